"""Reading a source's static index: its manifest (and signature), then only the bins and
pages asked for, each checked against the size and sha256 the index gives before it is
parsed. What is read is kept with the manifest it belongs to: the next snapshot of an
unchanged index reads nothing again but the manifest.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..errors import AirlockError
from ..sizes import size_text
from ..sources import Source
from ..trust import manifests
from ..trust.manifests import MANIFEST_LIMIT, ManifestEntry, read_signature
from ..trust.signatures import Signature, TrustedSigners
from .documents import (
    CONDA_PACKAGES,
    FOLDER_MANIFESTS,
    FORMAT,
    MANIFEST,
    MAX_DOCUMENT_BYTES,
    MAX_REPODATA_BYTES,
    PROJECT_LIST,
    CondaPart,
    ProjectPage,
    Stamp,
    bin_path,
    invalid,
    normalized,
    page_path,
    parse_bin,
    parse_bin_inputs,
    parse_conda,
    parse_manifests,
    parse_project,
    repodata_path,
    sha256,
)
from .layout import INDEX_FOLDER

MANIFEST_KEY = INDEX_FOLDER + MANIFEST
SECTION = "airlock-index"

_T = TypeVar("_T")


@dataclass(frozen=True)
class IndexManifest:
    """The index's manifest: its documents, version, date and signature check."""

    sha256: str
    documents: dict[str, ManifestEntry]  # path under .airlock-index/ -> what it must be
    serial: int
    written: str
    signature: Signature | None  # None: no trusted signers are configured

    @property
    def signer(self) -> str | None:
        signature = self.signature
        return signature.principal if signature and signature.state == "signed" else None


async def read_manifest(source: Source, signers: TrustedSigners | None) -> IndexManifest | None:
    """The source's index manifest, its signature checked when ``signers`` are given; None
    when the source has no index. A manifest that cannot be read raises ``index-invalid``."""
    try:
        entry = await source.stat(MANIFEST_KEY)
    except AirlockError as error:
        if error.status == 404:
            return None
        raise
    if entry.size > MANIFEST_LIMIT:
        raise invalid(MANIFEST_KEY, f"it is {size_text(entry.size)}, more than an index needs")
    data = await source.read_range(MANIFEST_KEY, 0, entry.size)
    try:
        parsed = manifests.parse_manifest_json(data.decode("utf-8", "replace"), MANIFEST_KEY)
        section = json.loads(data).get(SECTION)
    except AirlockError as error:
        raise invalid(MANIFEST_KEY, error.message) from None
    if not isinstance(section, dict) or section.get("format") != FORMAT:
        raise invalid(MANIFEST_KEY, f"it has no '{SECTION}' section of format {FORMAT}")
    serial, written = section.get("serial"), section.get("written")
    if not isinstance(serial, int) or isinstance(serial, bool) or serial < 1:
        raise invalid(MANIFEST_KEY, "its serial is not a positive number")
    if not isinstance(written, str):
        raise invalid(MANIFEST_KEY, "it does not say when it was written")
    signature = None
    if signers is not None:
        signature = await signers.check(
            data, await read_signature(source, MANIFEST_KEY), MANIFEST_KEY, INDEX_FOLDER
        )
    return IndexManifest(sha256(data), parsed.files, serial, written, signature)


async def read_document(
    source: Source, path: str, expected: ManifestEntry, limit: int = MAX_DOCUMENT_BYTES
) -> bytes:
    """Document ``path`` of the index, exactly as ``expected`` says it is."""
    key = INDEX_FOLDER + path
    if expected.size is None or expected.size > limit:
        size = "no size" if expected.size is None else size_text(expected.size)
        raise invalid(key, f"the index gives it {size}; a document is at most {size_text(limit)}")
    try:
        # One byte more than expected: a longer object is told from the right one.
        data = await source.read_range(key, 0, expected.size + 1)
    except AirlockError as error:
        if error.status == 404:
            raise invalid(key, "the index lists it, but it is not there") from None
        raise
    if len(data) != expected.size or sha256(data) != expected.sha256:
        raise invalid(key, "it is not the document the index lists (its size or sha256 differs)")
    return data


class OpenedIndex:
    """One version of a source's index: the documents read so far, each read once."""

    def __init__(self, source: Source, manifest: IndexManifest) -> None:
        self.source = source
        self.manifest = manifest
        self._read: dict[str, asyncio.Task[Any]] = {}

    async def page(self, name: str) -> ProjectPage | None:
        """Project ``name``'s page (normalized name); None when the index has no such project."""
        bin_entries = await self._once(bin_path(name), lambda: self._bin(bin_path(name)))
        expected = bin_entries.get(name)
        if expected is None:
            return None
        path = page_path(name)

        async def read() -> ProjectPage:
            data = await read_document(self.source, path, expected)
            return parse_project(data, name, INDEX_FOLDER + path)

        page: ProjectPage = await self._once(path, read)
        return page

    async def pages(self) -> dict[str, ManifestEntry]:
        """Every project's page, as the bins give it (what a new index compares with)."""
        pages: dict[str, ManifestEntry] = {}
        for path in sorted(self.manifest.documents):
            if path.startswith("bins/"):
                pages.update(await self._bin(path))
        return pages

    async def page_inputs(self) -> dict[str, str]:
        """What each project's page was made from, as the bins give it (for a writer)."""
        inputs: dict[str, str] = {}
        for path in sorted(self.manifest.documents):
            if path.startswith("bins/"):
                data = await self._document(path)
                inputs.update(parse_bin_inputs(data, INDEX_FOLDER + path) if data else {})
        return inputs

    async def names(self) -> list[str]:
        """Every project of the index."""

        async def read() -> list[str]:
            data = await self._document(PROJECT_LIST)
            if data is None:
                return []
            where = INDEX_FOLDER + PROJECT_LIST
            try:
                names = [project["name"] for project in json.loads(data)["projects"]]
            except (ValueError, KeyError, TypeError):
                raise invalid(where, "it is no PEP 691 project list") from None
            for name in names:
                if not isinstance(name, str) or not normalized(name):
                    raise invalid(where, f"{name!r} is not a normalized project name")
            return names

        names: list[str] = await self._once(PROJECT_LIST, read)
        return names

    async def folder_manifests(self) -> list[Stamp]:
        """Every folder manifest of the source, as it was when the index was written."""

        async def read() -> list[Stamp]:
            data = await self._document(FOLDER_MANIFESTS)
            return parse_manifests(data, INDEX_FOLDER + FOLDER_MANIFESTS) if data else []

        stamps: list[Stamp] = await self._once(FOLDER_MANIFESTS, read)
        return stamps

    async def conda(self) -> CondaPart | None:
        """The source's conda packages and channels; None when it has none."""

        async def read() -> CondaPart | None:
            data = await self._document(CONDA_PACKAGES)
            return parse_conda(data, INDEX_FOLDER + CONDA_PACKAGES) if data is not None else None

        part: CondaPart | None = await self._once(CONDA_PACKAGES, read)
        return part

    async def repodata(self, subdir: str) -> bytes | None:
        """The repodata.json of the loose conda packages of ``subdir``, checked."""
        path = repodata_path(subdir)
        expected = self.manifest.documents.get(path)
        if expected is None:
            return None
        return await read_document(self.source, path, expected, MAX_REPODATA_BYTES)

    async def _bin(self, path: str) -> dict[str, ManifestEntry]:
        data = await self._document(path)
        return parse_bin(data, INDEX_FOLDER + path) if data is not None else {}

    async def _document(self, path: str) -> bytes | None:
        expected = self.manifest.documents.get(path)
        return await read_document(self.source, path, expected) if expected else None

    async def _once(self, path: str, read: Callable[[], Awaitable[_T]]) -> _T:
        """``read()``, once for all who ask at the same time or later."""
        task = self._read.get(path)
        if task is None:
            task = self._read[path] = asyncio.ensure_future(read())
        try:
            result: _T = await asyncio.shield(task)
        except BaseException:
            if task.done() and self._read.get(path) is task:
                del self._read[path]  # a source that failed once may answer next time
            raise
        return result
