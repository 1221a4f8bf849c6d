"""The artifact source seen as a package index: which wheels and sdists it holds, by project.

pip resolves against it through the index routes (PEP 503 pages, PEP 691 JSON, PEP 658
metadata), so only the files a resolution needs are ever fetched: the metadata of a wheel
is read with a few ranged reads of its zip directory, not by fetching the wheel.

The listing is walked when first needed and again once it is older than ``ttl`` seconds,
so files that arrive in the bucket show up without a restart.
"""

from __future__ import annotations

import asyncio
import io
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from .active_source import ActiveTrust, AdvisoryState
from .cache import ContentCache
from .errors import AirlockError
from .kinds import classify
from .ranged_file import RangedFile
from .sources import Entry, Source
from .trust import manifests
from .trust.gate import Door, judge
from .trust.policy import Policy

# pip only needs METADATA; more than this is not a wheel's metadata file.
METADATA_LIMIT = 4 << 20
_BLOCK = 64 << 10


@dataclass(frozen=True)
class IndexedFile:
    """A wheel or sdist of the source, with the manifest's word on it when there is one."""

    entry: Entry
    project: str  # normalized, as pip compares names
    version: str
    kind: str  # "wheel", "sdist" or "conda"
    expected: manifests.ManifestEntry | None
    trust: manifests.Trust

    @property
    def verified(self) -> bool:
        return self.expected is not None


@dataclass
class IndexSnapshot:
    """One walk of the source."""

    source: Source
    taken: float
    projects: dict[str, list[IndexedFile]] = field(default_factory=dict)
    by_key: dict[str, IndexedFile] = field(default_factory=dict)  # conda packages too
    conda: list[IndexedFile] = field(default_factory=list)
    channels: dict[str, Entry] = field(default_factory=dict)  # folder -> its repodata.json
    problems: list[str] = field(default_factory=list)
    # The advisory data of the walk's time; None when the profile names none.
    advisories: AdvisoryState | None = None

    def refusal(self, policy: Policy, indexed: IndexedFile, door: Door) -> str | None:
        """Why the gate keeps ``indexed`` out at ``door``, its signature and advisories
        considered, or None."""
        return judge(
            policy,
            door,
            project=indexed.project,
            version=indexed.version,
            file=indexed.entry.name,
            trust=indexed.trust,
            advisories=self.advisories,
        ).reason


class PackageIndex:
    """The active source's packages, re-walked at most every ``ttl`` seconds."""

    def __init__(
        self,
        source: Callable[[], Source],
        cache: ContentCache,
        trust: ActiveTrust | None = None,
        ttl: float = 30,
    ) -> None:
        self._source = source
        self._cache = cache
        self._trust = trust
        self._ttl = ttl
        self._snapshot: IndexSnapshot | None = None
        self._walking: asyncio.Task[IndexSnapshot] | None = None

    async def snapshot(self, fresh: bool = False) -> IndexSnapshot:
        """The latest walk; concurrent callers share one walk of the source."""
        source = self._source()
        current = self._snapshot
        if (
            not fresh
            and current is not None
            and current.source is source
            and time.monotonic() - current.taken < self._ttl
        ):
            return current
        if self._walking is None or self._walking.done():
            self._walking = asyncio.create_task(_walk(source, self._trust))
        self._snapshot = await asyncio.shield(self._walking)
        return self._snapshot

    async def file(self, key: str) -> tuple[IndexedFile, Path, str]:
        """A wheel or sdist by key, fetched into the cache and verified."""
        snapshot = await self.snapshot()
        indexed = snapshot.by_key.get(key)
        if indexed is None:
            raise AirlockError("not-in-index", f"{key} is not a package file of the source.", 404)
        path, sha256 = await self._cache.fetch(snapshot.source, indexed.entry, indexed.expected)
        return indexed, path, sha256

    async def metadata(self, key: str) -> bytes:
        """The METADATA of wheel ``key`` (PEP 658), from the cache or by ranged reads."""
        snapshot = await self.snapshot()
        indexed = snapshot.by_key.get(key)
        if indexed is None or indexed.kind != "wheel":
            raise AirlockError("not-in-index", f"{key} is not a wheel of the source.", 404)
        cached = self._cache.known(snapshot.source, indexed.entry)
        if cached is None and indexed.expected and self._cache.has(indexed.expected.sha256):
            cached = indexed.expected.sha256
        loop = asyncio.get_running_loop()
        if cached is not None:
            path = self._cache.path(cached)
            return await asyncio.to_thread(_wheel_metadata, lambda: path.open("rb"), key)
        entry = indexed.entry

        def opener() -> io.BufferedReader:
            ranged = RangedFile(snapshot.source, entry, loop, self._cache.fetched)
            return io.BufferedReader(ranged, _BLOCK)

        return await asyncio.to_thread(_wheel_metadata, opener, key)


async def _walk(source: Source, trust: ActiveTrust | None) -> IndexSnapshot:
    snapshot = IndexSnapshot(source=source, taken=time.monotonic())
    signers = trust.signers if trust else None
    snapshot.advisories = await trust.advisories() if trust else None
    folders = [""]
    while folders:
        folder = folders.pop()
        manifest, problems = await manifests.read_folder(source, folder, signers)
        snapshot.problems += problems
        cursor: str | None = None
        while True:
            page = await source.list(folder, cursor)
            folders += page.folders
            for entry in page.entries:
                _add(snapshot, entry, manifest)
            cursor = page.next_token
            if cursor is None:
                break
    for files in snapshot.projects.values():
        files.sort(key=lambda indexed: indexed.entry.key)
    return snapshot


def _add(snapshot: IndexSnapshot, entry: Entry, manifest: manifests.Manifest | None) -> None:
    info = classify(entry.key)
    trust = manifests.trust(manifest, entry.name, entry.size)
    if info["kind"] == "conda":
        expected = manifest.files.get(entry.name) if manifest else None
        indexed = IndexedFile(
            entry, str(info["name"]), str(info["version"]), "conda", expected, trust
        )
        snapshot.conda.append(indexed)
        snapshot.by_key[entry.key] = indexed
        return
    if entry.name == "repodata.json":
        snapshot.channels[entry.key.removesuffix(entry.name)] = entry
        return
    if info["kind"] not in ("wheel", "sdist"):
        if info["kind"] == "other" and info.get("problem"):
            snapshot.problems.append(f"{entry.key}: {info['problem']}")
        return
    project = canonicalize_name(str(info["name"]))
    expected = manifest.files.get(entry.name) if manifest else None
    files = snapshot.projects.setdefault(project, [])
    indexed = IndexedFile(entry, project, str(info["version"]), str(info["kind"]), expected, trust)
    # Every key stays reachable as itself (a file picked in the Artifacts section)...
    snapshot.by_key[entry.key] = indexed
    twin = next((other for other in files if other.entry.name == entry.name), None)
    if twin is not None:
        # ...but pip cannot tell two files of one name apart: one is listed, a signed copy
        # (the scanned folder's, not an unsigned bundle's) before others, then the first
        # by key.
        offered = min(twin, indexed, key=_preference)
        if not (twin.expected and expected and twin.expected.sha256 == expected.sha256):
            snapshot.problems.append(
                f"{entry.name} is both {twin.entry.key} and {entry.key}; only "
                f"{offered.entry.key} is offered. Remove one of them."
            )
        if offered is twin:
            return
        files.remove(twin)
    files.append(indexed)


def _preference(indexed: IndexedFile) -> tuple[int, str]:
    return (0 if indexed.trust.signed else 1, indexed.entry.key)


def _wheel_metadata(opener: Callable[[], Any], key: str) -> bytes:
    """``<name>.dist-info/METADATA`` of a wheel, read through the zip's own directory."""
    try:
        with opener() as raw, zipfile.ZipFile(raw) as wheel:
            names = [
                name
                for name in wheel.namelist()
                if name.count("/") == 1 and name.endswith(".dist-info/METADATA")
            ]
            if len(names) != 1:
                raise AirlockError(
                    "invalid-wheel", f"{key} has no single .dist-info/METADATA: it is broken.", 422
                )
            info = wheel.getinfo(names[0])
            if info.file_size > METADATA_LIMIT:
                raise AirlockError("invalid-wheel", f"{key} has an oversized METADATA.", 422)
            return wheel.read(info)
    except zipfile.BadZipFile as error:
        raise AirlockError("invalid-wheel", f"{key} is not a valid wheel: {error}.", 422) from None
