"""The artifact browser's listing: what the active source holds, page by page.

Listing adds to each file what it is (kinds.classify), what its folder's manifest says
of it (or the sha256 a copy computed), who vouches for it (a trusted signature, a
checksum), the offline advisories that affect a package, whether it fits a chosen kernel
and whether the policy lets it in. Previews are in ``previews``, copies in ``copies``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from .active_source import ActiveSource, ActiveTrust, AdvisoryState
from .bundle_format.conda import CondaBundleInfo, read_any_bundle_json
from .bundle_format.folder import BUNDLE_JSON
from .conda.records import is_conda_prefix
from .copies import WorkspaceCopier
from .environments.platforms import interpreter_prefix, platform_subdir, supported_tags
from .errors import AirlockError
from .kinds import classify, fit
from .sources import Entry, Source
from .trust import manifests
from .trust.advisories import Advisory
from .trust.gate import judge
from .trust.policy import Policy


class ArtifactCatalog:
    """Browsing the active profile's artifact source, for one Jupyter server."""

    def __init__(
        self,
        active_source: ActiveSource,
        copier: WorkspaceCopier,
        kernel_python: Callable[[str], str],
        policy: Policy,
        trust: ActiveTrust,
    ) -> None:
        self._policy = policy
        self._trust = trust
        self._active_source = active_source
        self._copier = copier
        self._kernel_python = kernel_python
        # A folder's manifests, read when its first page is listed and reused for the pages
        # that follow, by (source, folder). Copies read them afresh: they verify against them.
        self._listed_manifests: dict[
            tuple[str, str], tuple[manifests.Manifest | None, list[str]]
        ] = {}

    async def list_page(
        self,
        prefix: str = "",
        token: str | None = None,
        starting: str = "",
        kernel: str | None = None,
        limit: int = 500,
    ) -> dict[str, Any]:
        source = self._active_source.get()
        page = await source.list(prefix, token, limit, starting, read_ahead=True)
        folder = (source.describe(), page.prefix)
        if token is None or folder not in self._listed_manifests:
            self._listed_manifests[folder] = await manifests.read_folder(
                source, page.prefix, self._trust.signers
            )
        manifest, problems = self._listed_manifests[folder]
        advisories = await self._trust.advisories()
        # Advisory data that cannot be read keeps every package out under deny_advisories.
        tags: list[str] = []
        subdir: str | None = None
        conda_env: bool | None = None
        if kernel:
            python = self._kernel_python(kernel)
            tags = await supported_tags(python)
            subdir = platform_subdir(tags)
            conda_env = await asyncio.to_thread(is_conda_prefix, interpreter_prefix(python))
        entries = []
        for entry in page.entries:
            info = classify(entry.key)
            listed = manifest.files.get(entry.name) if manifest else None
            hashed = self._copier.hashed(source, entry)
            trust = manifests.trust(manifest, entry.name, entry.size, hashed)
            known = _advisories(info, advisories)
            entries.append(
                {
                    **entry.to_json(),
                    "artifact": info,
                    "checksum": manifests.status(manifest, entry.name, entry.size, hashed),
                    "sha256": listed.sha256 if listed else hashed,
                    "trust": trust.to_json(),
                    "advisories": [advisory.to_json() for advisory in known]
                    if known is not None
                    else None,
                    "fit": fit(info, tags, subdir, conda_env) if kernel else None,
                    "policy": self._verdict(info, entry.name, trust, known or [], advisories),
                }
            )
        return {
            "source": source.describe(),
            "prefix": page.prefix,
            "folders": page.folders,
            "entries": entries,
            "next_token": page.next_token,
            "manifests": [manifest.source] if manifest else [],
            "bundle": await self._bundle(source, page.prefix, page.entries),
            "problems": problems
            + ([advisories.problem] if advisories and advisories.problem else []),
            "advisory_data": advisories.describe() if advisories else None,
        }

    async def _bundle(
        self, source: Source, prefix: str, entries: list[Entry]
    ) -> dict[str, Any] | None:
        """What a transfer bundle folder holds, from its bundle.json (None for others): for a
        conda bundle, its conda platform, its Python and its conda specs and PyPI
        requirements; ``files`` counts the packages (conda packages and wheels)."""
        described = next((entry for entry in entries if entry.name == BUNDLE_JSON), None)
        if described is None or described.size > manifests.MANIFEST_LIMIT:
            return None
        text = (await source.read_range(described.key, 0, described.size)).decode(
            "utf-8", "replace"
        )
        try:
            info = read_any_bundle_json(text, described.key)
        except AirlockError as error:
            return {"key": prefix, "problem": error.message}
        if isinstance(info, CondaBundleInfo):
            python = {"python_version": info.python_version} if info.python_version else {}
            return {
                "key": prefix,
                "kind": "conda",
                "name": info.name,
                **python,
                "platform": info.subdir,
                "requirements": [*info.specs, *info.requirements],
                "files": len(info.packages) + len(info.pypi),
            }
        return {
            "key": prefix,
            "name": info.name,
            "python_version": info.target.python_version,
            "platform": ", ".join(info.target.platforms),
            "requirements": info.requirements,
            "files": len(info.packages),
        }

    def _verdict(
        self,
        info: dict[str, Any],
        file: str,
        trust: manifests.Trust,
        known: list[Advisory],
        advisories: AdvisoryState | None,
    ) -> dict[str, Any] | None:
        """Whether the policy lets a package in, and why not."""
        if info["kind"] not in ("wheel", "sdist", "conda"):
            return None
        return judge(
            self._policy,
            "listing",
            project=str(info["name"]),
            version=str(info["version"]),
            file=file,
            trust=trust,
            known=known,
            advisories=advisories,
        ).to_json()


def _advisories(info: dict[str, Any], state: AdvisoryState | None) -> list[Advisory] | None:
    """The advisories known for a package file; None for other files or without data."""
    if state is None or info["kind"] not in ("wheel", "sdist", "conda"):
        return None
    return state.affecting(str(info["name"]), str(info["version"]))
