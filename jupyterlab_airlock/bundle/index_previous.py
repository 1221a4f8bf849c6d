"""The index already in a source, as a new one is written over it: its serial (the next is
one more, and the new manifest may replace only that one), the pages that need not be
made again, and what it says of files unchanged since.

A page is kept as it is when what it was made from is what the walk finds now (its files
and their folders' manifests, by key, size, date and etag: its bin records that as
``inputs``); a file of a page made again is not read again when its own stamp and sha256
did not change. Either way only objects dated before the previous index was written count
as unchanged: dates have whole seconds, and a file rewritten in the same second with the
same size would look the same.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from ..errors import AirlockError
from ..package_index.documents import FileFacts, Stamp
from ..package_index.files import IndexedFile
from ..package_index.static_loader import CONCURRENCY
from ..package_index.static_reader import MANIFEST_KEY, OpenedIndex, read_manifest
from ..sources import Source
from ..trust.manifests import ManifestEntry


@dataclass
class Previous:
    """The index already there: its serial, its pages' hashes and inputs (from its bins)."""

    serial: int
    written: str
    pages: dict[str, ManifestEntry]
    inputs: dict[str, str]
    index: OpenedIndex

    def unchanged(self, name: str, inputs: str, stamps: list[Stamp]) -> bool:
        """Whether project ``name``'s page was made from ``inputs`` (its files' and
        manifests' ``stamps`` now), all dated before this index was written."""
        return (
            name in self.pages
            and self.inputs.get(name) == inputs
            and all(s.modified is not None and s.modified < self.written for s in stamps)
        )

    async def files(self, projects: set[str]) -> dict[str, FileFacts]:
        """What it says of each file of ``projects``, by key, for the files dated before
        it was written. A page that cannot be read says nothing: its files are read again."""
        limit = asyncio.Semaphore(CONCURRENCY)

        async def described(name: str) -> list[FileFacts]:
            async with limit:
                try:
                    page = await self.index.page(name)
                except AirlockError:
                    return []
            return page.files if page else []

        found = await asyncio.gather(*(described(n) for n in sorted(projects) if n in self.pages))
        return {
            facts.key: facts
            for files in found
            for facts in files
            if facts.stamp.modified is not None and facts.stamp.modified < self.written
        }


async def previous_index(source: Source) -> Previous | None:
    """The index already there; None when there is none that can be read (it is then
    written whole, as it is when its bins cannot be read)."""
    try:
        manifest = await read_manifest(source, None)
    except AirlockError:
        return None
    if manifest is None:
        return None
    index = OpenedIndex(source, manifest)
    try:
        pages, inputs = await index.pages(), await index.page_inputs()
    except AirlockError:
        pages, inputs = {}, {}
    return Previous(manifest.serial, manifest.written, pages, inputs, index)


async def manifest_etag(source: Source) -> str | None:
    """The etag of the index's manifest as it is now; None when there is none."""
    try:
        return (await source.stat(MANIFEST_KEY)).etag
    except AirlockError as error:
        if error.status == 404:
            return None
        raise


async def serial_now(source: Source) -> int:
    """The serial of the index there now; 0 when there is none that can be read."""
    try:
        manifest = await read_manifest(source, None)
    except AirlockError:
        return 0
    return manifest.serial if manifest else 0


def still(known: FileFacts, indexed: IndexedFile, stamp: Stamp, digest: str | None) -> bool:
    """Whether what the previous index says of a wheel or sdist holds now: the same object
    (key, size, date, etag), the sha256 its manifest gives now being the one it had (else
    the file is read again, to check it), and a wheel's METADATA read then."""
    if indexed.kind == "conda" or known.mismatch or known.stamp != stamp:
        return False
    if indexed.kind == "wheel" and known.metadata_sha256 is None:
        return False
    if digest is None:
        # No manifest lists it now: the sha256 must be one the index computed itself.
        return known.listed_by is None and known.sha256 is not None
    return known.sha256 == digest
