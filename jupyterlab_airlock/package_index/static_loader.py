"""A snapshot of the source filled from its static index: only the pages asked for.

Each page names the folder manifests its files came from, as they were when the index was
written; the first time a snapshot uses a page, those manifests are looked at again (one
HEAD each, once per snapshot): one that changed or went away means the page is older than
the files, and the caller walks the source instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Collection, Iterable
from typing import TypeVar

from packaging.utils import canonicalize_name

from ..errors import AirlockError
from ..kinds import classify
from ..sources import Entry
from ..trust.manifests import ManifestEntry, Trust
from .documents import FileFacts, Stamp, repodata_path
from .files import IndexedFile, IndexSnapshot, IndexUnusable, offer
from .layout import INDEX_FOLDER
from .static_reader import OpenedIndex

# Pages read at once: enough to hide a bucket's latency, few enough for a small server.
CONCURRENCY = 16

_T = TypeVar("_T")


class StaticLoader:
    """Loads pages of ``opened`` into one snapshot. ``signed_by``: the trusted signer of the
    index's manifest, who then vouches for every file a folder manifest listed."""

    def __init__(self, opened: OpenedIndex, signed_by: str | None) -> None:
        self._opened = opened
        self._signed_by = signed_by
        self._checked: dict[str, asyncio.Task[None]] = {}
        self._loaded: set[str] = set()
        self._conda = False
        # One load at a time: two requests asking for the same page add its files once.
        self._lock = asyncio.Lock()

    async def load(
        self,
        snapshot: IndexSnapshot,
        projects: Collection[str],
        keys: Collection[str],
        conda: bool,
        every_project: bool,
    ) -> None:
        try:
            async with self._lock:
                await self._load(snapshot, projects, keys, conda, every_project)
        except AirlockError as error:
            if error.code != "index-invalid":
                raise
            raise IndexUnusable(f"{error.message} The index was not used.") from None

    async def names(self) -> list[str]:
        """Every project of the index, from its project list; IndexUnusable when a folder's
        manifest changed since it was written (a new project may be missing from it)."""
        try:
            names = await self._opened.names()
            stamps = await self._opened.folder_manifests()
        except AirlockError as error:
            if error.code != "index-invalid":
                raise
            raise IndexUnusable(f"{error.message} The index was not used.") from None
        await _bounded(self._fresh(stamp) for stamp in stamps)
        return sorted(names)

    async def _load(
        self,
        snapshot: IndexSnapshot,
        projects: Collection[str],
        keys: Collection[str],
        conda: bool,
        every_project: bool,
    ) -> None:
        names: set[str] = {canonicalize_name(name) for name in projects}
        for key in keys:
            info = classify(key)
            if info["kind"] in ("wheel", "sdist"):
                names.add(canonicalize_name(str(info["name"])))
            conda = conda or info["kind"] == "conda"
        if every_project:
            names.update(await self._opened.names())
        names -= self._loaded
        pages = await _bounded(self._opened.page(name) for name in sorted(names))
        await _bounded(self._fresh(stamp) for page in pages if page for stamp in page.manifests)
        if None in pages and not every_project:
            # A project the index does not have: new since, if any folder's manifest changed.
            stamps = await self._opened.folder_manifests()
            await _bounded(self._fresh(stamp) for stamp in stamps)
        for page in pages:
            if page is None:
                continue
            for facts in page.files:
                info = classify(facts.key)
                offer(snapshot, self._indexed(facts, page.name, info, str(info["kind"])))
        for files in snapshot.projects.values():
            files.sort(key=lambda indexed: indexed.entry.key)
        self._loaded |= names
        if conda and not self._conda:
            await self._load_conda(snapshot)
        for key in keys:
            if key not in snapshot.by_key and classify(key)["kind"] in ("wheel", "sdist", "conda"):
                await self._unknown(key)

    async def _load_conda(self, snapshot: IndexSnapshot) -> None:
        part = await self._opened.conda()
        self._conda = True
        if part is None:
            return
        await _bounded(self._fresh(stamp) for stamp in [*part.manifests, *part.channels])
        for facts in part.packages:
            info = classify(facts.key)
            indexed = self._indexed(facts, str(info["name"]), info, "conda")
            snapshot.conda.append(indexed)
            snapshot.by_key[facts.key] = indexed
        for stamp in part.channels:
            folder = stamp.key.removesuffix("repodata.json")
            snapshot.channels[folder] = Entry(
                stamp.key, "repodata.json", stamp.size, stamp.modified, stamp.etag
            )
        for subdir in part.subdirs:
            path = repodata_path(subdir)
            expected = self._opened.manifest.documents.get(path)
            if expected is None or expected.size is None:
                raise IndexUnusable(
                    f"The source's index names conda {subdir} packages but lists no {path}."
                )
            entry = Entry(INDEX_FOLDER + path, "repodata.json", expected.size, None, None)
            snapshot.repodata[subdir] = (entry, expected)

    def _indexed(
        self, facts: FileFacts, project: str, info: dict[str, object], kind: str
    ) -> IndexedFile:
        stamp = facts.stamp
        entry = Entry(facts.key, facts.name, stamp.size, stamp.modified, stamp.etag)
        expected = None
        if facts.listed_by is not None and facts.sha256 is not None:
            expected = ManifestEntry(facts.sha256, None if facts.mismatch else stamp.size)
        if facts.mismatch:
            lists = f"{facts.name} is not the file {facts.listed_by} lists"
            trust = Trust("mismatch", reason=lists)
        elif expected is None:
            trust = Trust("unverified")
        elif self._signed_by is not None:
            trust = Trust("signed", self._signed_by)
        else:
            trust = Trust("checksum")
        return IndexedFile(
            entry,
            project,
            str(info["version"]),
            kind,
            expected,
            trust,
            facts.requires_python,
            facts.metadata_sha256,
        )

    async def _fresh(self, stamp: Stamp) -> None:
        """Raise IndexUnusable when ``stamp``'s object changed since the index was written."""
        task = self._checked.get(stamp.key)
        if task is None:
            task = self._checked[stamp.key] = asyncio.ensure_future(self._compare(stamp))
        await asyncio.shield(task)

    async def _compare(self, stamp: Stamp) -> None:
        try:
            now = await self._opened.source.stat(stamp.key)
        except AirlockError as error:
            if error.status != 404:
                raise
            raise self._stale(f"{stamp.key} is gone") from None
        if (now.size, now.modified, now.etag) != (stamp.size, stamp.modified, stamp.etag):
            raise self._stale(f"{stamp.key} changed")

    async def _unknown(self, key: str) -> None:
        """A package file asked for by key that the index does not list: if the source
        has it, the index is older than the source."""
        try:
            await self._opened.source.stat(key)
        except AirlockError as error:
            if error.status == 404:
                return
            raise
        raise self._stale(f"{key} is not in it")

    def _stale(self, what: str) -> IndexUnusable:
        written = self._opened.manifest.written
        return IndexUnusable(
            f"The source's index (written {written}) is older than its files: {what} since; "
            "ask the admin to run 'jupyter airlock index' on it again."
        )


async def _bounded(work: Iterable[Awaitable[_T]]) -> list[_T]:
    """The results of ``work``, at most CONCURRENCY at a time."""
    limit = asyncio.Semaphore(CONCURRENCY)

    async def one(item: Awaitable[_T]) -> _T:
        async with limit:
            return await item

    return list(await asyncio.gather(*(one(item) for item in work)))
