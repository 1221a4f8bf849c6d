"""The artifact source seen as a package index: which wheels and sdists it holds, by project.

pip resolves against it through the index routes (PEP 503 pages, PEP 691 JSON, PEP 658
metadata), so only the files a resolution needs are ever fetched: the metadata of a wheel
is read with a few ranged reads of its zip directory, not by fetching the wheel.

A source with a static index (``layout``) is read a project at a time, as the
resolution asks; one without is walked. Either is looked at again once older than ``ttl``
seconds, so files that arrive in the bucket show up without a restart.
"""

from __future__ import annotations

import asyncio
import io
import time
import zipfile
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from ..active_source import ActiveTrust
from ..cache import ContentCache
from ..errors import AirlockError
from ..ranged_file import RangedFile
from ..sources import Source
from .files import IndexedFile, IndexSnapshot, IndexUnusable, walk_source
from .layout import INDEX_FOLDER
from .prefixes import PROJECTS, PrefixLoader, per_project
from .read_ahead import MetadataMemo, ReadAhead
from .static_loader import StaticLoader
from .static_reader import MANIFEST_KEY, IndexManifest, OpenedIndex, read_manifest

__all__ = ["IndexSnapshot", "IndexedFile", "PackageIndex"]

# pip only needs METADATA; more than this is not a wheel's metadata file.
METADATA_LIMIT = 4 << 20
# A wheel this small is read whole (as a ranged reader's first read of its end would).
SMALL_WHEEL = 64 << 10
_BLOCK = 64 << 10


class PackageIndex:
    """The active source's packages, looked at again at most every ``ttl`` seconds: from
    its static index when it has a usable one (only the projects asked for are read), else
    by a walk of the whole source."""

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
        self._taking: asyncio.Task[IndexSnapshot] | None = None
        # A snapshot whose index turned out unusable, and the walk that replaces it.
        self._replacing: tuple[IndexSnapshot, asyncio.Task[IndexSnapshot]] | None = None
        self._opened: OpenedIndex | None = None  # the last index read, reused while unchanged
        self._serials: dict[str, int] = {}  # the newest index seen, by source: no rollback
        # METADATA read lately or being read, shared by uv's requests and the read-aheads.
        self._memo = MetadataMemo()
        self._reading: dict[tuple[str, ...], asyncio.Task[bytes]] = {}
        self.read_ahead = ReadAhead(self.snapshot, self.metadata)

    async def snapshot(
        self,
        fresh: bool = False,
        *,
        projects: Collection[str] = (),
        keys: Collection[str] = (),
        conda: bool = False,
        every_project: bool = False,
    ) -> IndexSnapshot:
        """The latest look at the source, holding at least the files of ``projects``
        (normalized names), the files ``keys``, the conda packages when ``conda`` and every
        project when ``every_project`` (which a walk holds anyway). Concurrent callers share
        one look."""
        source = self._source()
        snapshot = self._snapshot
        if (
            fresh
            or snapshot is None
            or snapshot.source is not source
            or time.monotonic() - snapshot.taken >= self._ttl
        ):
            if self._taking is None or self._taking.done():
                self._taking = asyncio.create_task(self._take(source))
            snapshot = self._snapshot = await asyncio.shield(self._taking)
        if snapshot.loader is not None and (projects or keys or conda or every_project):
            try:
                await snapshot.loader.load(snapshot, projects, keys, conda, every_project)
            except IndexUnusable as unusable:
                snapshot = await self._walk_instead(snapshot, unusable.note)
        return snapshot

    async def _take(self, source: Source) -> IndexSnapshot:
        """A new look: the static index when it can be used, else a walk saying why not."""
        signers = self._trust.signers if self._trust else None
        try:
            manifest = await read_manifest(source, signers)
        except AirlockError as error:
            if error.code != "index-invalid":
                raise
            return await self._without_index(source, error.message)
        if manifest is None:
            return await self._without_index(source, None)
        reason = self._unusable(source, manifest)
        if reason is not None:
            return await self._without_index(source, reason)
        self._serials[source.describe()] = manifest.serial
        opened = self._opened
        if opened is None or (opened.source, opened.manifest.sha256) != (source, manifest.sha256):
            opened = self._opened = OpenedIndex(source, manifest)
        snapshot = IndexSnapshot(source=source, taken=time.monotonic(), via="index")
        snapshot.loader = StaticLoader(opened, manifest.signer)
        snapshot.advisories = await self._trust.advisories() if self._trust else None
        return snapshot

    def _unusable(self, source: Source, manifest: IndexManifest) -> str | None:
        """Why the index may not be used, or None."""
        signature = manifest.signature
        if signature is not None and signature.state == "bad":
            return f"The source's index is not trusted ({MANIFEST_KEY}.sig: {signature.reason})."
        if signature is not None and signature.state == "unsigned" and self._require_signed():
            return (
                "The source's index is not signed, and the policy requires signatures: "
                f"there is no {MANIFEST_KEY}.sig."
            )
        newest = self._serials.get(source.describe(), 0)
        if manifest.serial < newest:
            return (
                f"The source's index is older (serial {manifest.serial}) than one read before "
                f"(serial {newest}): an old index is being served again."
            )
        return None

    def _require_signed(self) -> bool:
        return self._trust is not None and self._trust.require_signed

    async def _without_index(self, source: Source, problem: str | None) -> IndexSnapshot:
        """The source read without its index (``problem`` says why it cannot be used; None
        when there is none): a project at a time when it is laid out so, else walked."""
        if await per_project(source):
            snapshot = IndexSnapshot(source=source, taken=time.monotonic(), via="prefixes")
            snapshot.loader = PrefixLoader(source, self._trust)
            snapshot.advisories = await self._trust.advisories() if self._trust else None
            snapshot.note = f"{problem} {_LISTED}" if problem else None
            return snapshot
        snapshot = await walk_source(source, self._trust)
        snapshot.note = f"{problem or _NO_INDEX} {_WALKED}"
        return snapshot

    async def _walk_instead(self, failed: IndexSnapshot, note: str) -> IndexSnapshot:
        """A walk in place of ``failed``, whose index turned out unusable; one for all who
        find out at the same time."""
        replacing = self._replacing
        if replacing is None or replacing[0] is not failed:
            task = asyncio.create_task(self._without_index(failed.source, note))
            replacing = self._replacing = (failed, task)
        walked = await asyncio.shield(replacing[1])
        if self._snapshot is failed:
            self._snapshot = walked
        return walked

    async def file(self, key: str) -> tuple[IndexedFile, Path, str]:
        """A wheel or sdist by key, fetched into the cache and verified."""
        snapshot = await self.snapshot(keys=[key])
        indexed = snapshot.by_key.get(key)
        if indexed is None:
            raise AirlockError("not-in-index", f"{key} is not a package file of the source.", 404)
        path, sha256 = await self._cache.fetch(snapshot.source, indexed.entry, indexed.expected)
        return indexed, path, sha256

    async def project_names(self) -> tuple[IndexSnapshot, list[str]] | None:
        """Every project of the source, from its static index's project list alone, with
        the look it belongs to; None when the source is not read through an index now
        (``snapshot(every_project=True)`` then), or its list is older than the files."""
        snapshot = await self.snapshot()
        if not isinstance(snapshot.loader, StaticLoader):
            return None
        try:
            return snapshot, await snapshot.loader.names()
        except IndexUnusable:
            return None

    async def metadata(self, key: str) -> bytes:
        """The METADATA of wheel ``key`` (PEP 658): from the memo, the cache or by ranged
        reads; one read for all who ask at once."""
        snapshot = await self.snapshot(keys=[key])
        indexed = snapshot.by_key.get(key)
        if indexed is None or indexed.kind != "wheel":
            raise AirlockError("not-in-index", f"{key} is not a wheel of the source.", 404)
        entry = indexed.entry
        ident = (snapshot.source.describe(), key, str(entry.size), entry.etag or "")
        known = self._memo.get(ident)
        if known is not None:
            return known
        reading = self._reading.get(ident)
        if reading is None:
            reading = asyncio.create_task(self._read_metadata(snapshot, indexed))
            self._reading[ident] = reading
            reading.add_done_callback(lambda done: self._read(ident, done))
        return await asyncio.shield(reading)

    def _read(self, ident: tuple[str, ...], done: asyncio.Task[bytes]) -> None:
        del self._reading[ident]
        if not done.cancelled() and done.exception() is None:  # failures are not kept
            self._memo.put(ident, done.result())

    async def _read_metadata(self, snapshot: IndexSnapshot, indexed: IndexedFile) -> bytes:
        key, entry = indexed.entry.key, indexed.entry
        cached = self._cache.known(snapshot.source, entry)
        if cached is None and indexed.expected and self._cache.has(indexed.expected.sha256):
            cached = indexed.expected.sha256
        loop = asyncio.get_running_loop()
        if cached is not None:
            path = self._cache.path(cached)
            return await asyncio.to_thread(_wheel_metadata, lambda: path.open("rb"), key)
        if entry.size <= SMALL_WHEEL:
            # Read whole in one request, from here: a ranged reader's first read would take
            # as much, through two more threads (a chain's every link waits for this).
            data = await snapshot.source.read_range(key, 0, entry.size)
            self._cache.fetched.ranged_reads += 1
            self._cache.fetched.ranged_bytes += len(data)
            return _wheel_metadata(lambda: io.BytesIO(data), key)

        def opener() -> io.BufferedReader:
            ranged = RangedFile(snapshot.source, entry, loop, self._cache.fetched)
            return io.BufferedReader(ranged, _BLOCK)

        return await asyncio.to_thread(_wheel_metadata, opener, key)

    async def close(self) -> None:
        """Stop the read-aheads and the reads no request waits for (the server's stop)."""
        await self.read_ahead.close()
        reading = list(self._reading.values())
        for task in reading:
            task.cancel()
        await asyncio.gather(*reading, return_exceptions=True)


_NO_INDEX = f"The source has no index ({INDEX_FOLDER})."
_WALKED = "This plan listed the whole source instead, which takes longer in a large one."
_LISTED = f"This plan listed the folders of the projects it needs instead ({PROJECTS}<project>/)."


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
