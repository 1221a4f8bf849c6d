"""The active profile's artifact source, and what vouches for its files: the one place every
door (the catalog, the index, the conda channel, kernel creation) gets them from."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .cache import ContentCache
from .errors import AirlockError
from .sizes import size_text
from .sources import source_from_config
from .sources.base import Source
from .trust.advisories import MAX_ZIP_BYTES, Advisory, AdvisoryData, read_osv_zip
from .trust.policy import Policy
from .trust.signatures import TrustedSigners


class ActiveSource:
    """Follows the active profile; a source is built once per distinct configuration, so its
    client and connections are reused across requests."""

    def __init__(
        self, active_profile: Callable[[], Mapping[str, Any] | None], policy: Policy
    ) -> None:
        self._active_profile = active_profile
        self._policy = policy
        self._built: dict[str, Source] = {}

    @property
    def policy(self) -> Policy:
        return self._policy

    def config(self) -> dict[str, Any] | None:
        """The active profile's ``source``, with the profile's CA bundle, or None."""
        active = self._active_profile()
        if not active or not active.get("source"):
            return None
        # The profile's one CA bundle also serves the S3 client.
        ca_bundle = active.get("ca_bundle")
        return {**active["source"], **({"ca_bundle": ca_bundle} if ca_bundle else {})}

    def get(self) -> Source:
        """The source to read from now; refused when there is none or the policy forbids it."""
        config = self.config()
        if not config:
            raise AirlockError(
                "no-source",
                "The active mirror profile names no artifact source: switch to a profile "
                "with one in the Mirror section.",
                409,
            )
        self._policy.source(config)
        key = json.dumps(config, sort_keys=True)
        if key not in self._built:
            self._built[key] = source_from_config(config)
        return self._built[key]

    async def close(self) -> None:
        """The server stops: every source built stops its background work."""
        for source in self._built.values():
            await source.close()


@dataclass(frozen=True)
class AdvisoryState:
    """The active profile's advisory data, or why it cannot be used (``problem``)."""

    source: str
    data: AdvisoryData | None = None
    problem: str | None = None

    def affecting(self, name: str, version: str) -> list[Advisory]:
        return self.data.affecting(name, version) if self.data else []

    def describe(self) -> dict[str, Any]:
        described = self.data.describe() if self.data else _UNREAD | {"source": self.source}
        return {**described, "problem": self.problem}


_UNREAD = {"sha256": None, "date": None, "records": 0, "skipped": 0}


class ActiveTrust:
    """What vouches for the active source's files: the admin's trusted signers, and the
    advisories of the OSV export the active profile names (``"advisories": "osv/PyPI.zip"``),
    fetched into the content cache and read once per sha256."""

    def __init__(
        self,
        active_profile: Callable[[], Mapping[str, Any] | None],
        active_source: ActiveSource,
        cache: ContentCache,
        trusted_signers: str,
    ) -> None:
        self._active_profile = active_profile
        self._active_source = active_source
        self._cache = cache
        # None when the admin trusts no signer: manifests then vouch by checksum only.
        self.signers = TrustedSigners(trusted_signers) if trusted_signers else None
        self._read: dict[str, AdvisoryData | AirlockError] = {}
        self._lock = asyncio.Lock()

    @property
    def require_signed(self) -> bool:
        """Whether the policy takes only files a trusted signer vouches for."""
        return self._active_source.policy.require_signed

    async def advisories(self) -> AdvisoryState | None:
        """The active profile's advisory data; None when it names none. A zip that cannot
        be used gives its problem in words and changes nothing else."""
        active = self._active_profile()
        key = active.get("advisories") if active else None
        if not key:
            return None
        try:
            source = self._active_source.get()
            entry = await source.stat(key)
            if entry.size > MAX_ZIP_BYTES:
                # Refused before a byte is fetched: the bound is the zip's size.
                raise AirlockError(
                    "advisories-invalid",
                    f"The advisory data {key} cannot be used: it is {size_text(entry.size)}; an "
                    f"OSV export is at most {size_text(MAX_ZIP_BYTES)}.",
                    422,
                )
            async with self._lock:
                path, sha256 = await self._cache.fetch(source, entry)
                if sha256 not in self._read:
                    try:
                        self._read[sha256] = await asyncio.to_thread(
                            read_osv_zip, path, sha256, key
                        )
                    except AirlockError as error:
                        self._read[sha256] = error
            read = self._read[sha256]
        except AirlockError as error:
            return AdvisoryState(key, problem=error.message)
        if isinstance(read, AirlockError):
            return AdvisoryState(key, problem=read.message)
        return AdvisoryState(key, read)
