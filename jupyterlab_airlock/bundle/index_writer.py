"""Writing a source's static index (layout in the package's docstring): one walk of the
source, what the index adds to the listing read from each file, then the documents.

A file's sha256 comes from its folder's manifest when it lists it; otherwise the file is
read to hash it (the page then says no manifest lists it: a reader treats it as
unverified, as a walk does). A wheel's METADATA gives requires-python and the
core-metadata hash: a small wheel is read whole in one request (and checked against its
manifest on the way), a large one by ranged reads of its zip directory. What the previous
index says is reused where nothing changed since (``index_previous``): a page whose files
and manifests are as they were is kept without reading them, a file unchanged is not read
again. Pages whose bytes did not change are not written again. The manifest goes last, and
only when no other writer's manifest replaced the one this run started from (on S3 a
conditional PUT; in a folder a check of the serial just before): ``index-conflict``
otherwise.
"""

from __future__ import annotations

import asyncio
import datetime
import email.parser
import io
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from ..cache import ContentCache, FetchCounter
from ..conda.local_channel import index_packages
from ..errors import AirlockError
from ..package_index.documents import (
    CONDA_PACKAGES,
    FOLDER_MANIFESTS,
    FORMAT,
    MANIFEST,
    PROJECT_LIST,
    CondaPart,
    FileFacts,
    ProjectPage,
    Stamp,
    bin_document,
    bin_path,
    conda_document,
    encode,
    manifests_document,
    normalized,
    page_inputs,
    page_path,
    project_document,
    project_list_document,
    repodata_path,
    sha256,
)
from ..package_index.files import IndexedFile, IndexSnapshot, walk_source
from ..package_index.index import _wheel_metadata
from ..package_index.layout import PLAIN_JSON, PYPI_JSON
from ..package_index.static_loader import CONCURRENCY
from ..package_index.static_reader import SECTION
from ..ranged_file import RangedFile
from ..sources import Entry, Source
from ..trust.manifests import ManifestEntry
from .index_previous import Previous, manifest_etag, previous_index, serial_now, still
from .index_stores import Store, conflict

# A wheel this small is read whole: one request, and its sha256 checked on the way.
WHOLE_READ = 1 << 20


@dataclass
class Written:
    """What ``write_index`` did, for the command's report."""

    where: str
    serial: int
    projects: int = 0
    files: int = 0
    conda: int = 0
    pages_written: int = 0
    files_reused: int = 0  # described by the previous index, unchanged since: not read
    problems: list[str] = field(default_factory=list)


async def write_index(
    source: Source,
    store: Store,
    log: Callable[[str], None] = lambda _: None,
    empty: str | None = None,
) -> Written:
    """Index every package file of ``source`` into ``store`` (its ``.airlock-index/``);
    with ``empty``, a source without package files is refused with that message, before
    anything is written."""
    replacing = await manifest_etag(source)
    previous = await previous_index(source)
    serial = (previous.serial if previous else 0) + 1
    written = Written(store.describe(), serial)
    log(f"Listing {source.describe()}")
    walk = await walk_source(source, None)
    written.problems += walk.problems
    packages = [f for f in walk.by_key.values() if f.kind in ("wheel", "sdist")]
    if empty is not None and not (packages or walk.conda or walk.channels):
        raise AirlockError("no-manifest", empty, 422)
    log(f"Reading {len(packages)} wheels and sdists and {len(walk.conda)} conda packages")
    kept = _kept(walk, packages, previous)
    fresh = [f for f in packages if f.project not in kept]
    before = await previous.files({f.project for f in fresh}) if previous else {}
    with tempfile.TemporaryDirectory(prefix="airlock-index-") as scratch:
        reader = _Reader(source, walk, ContentCache(Path(scratch)), written.problems, before)
        facts = await reader.all([*fresh, *walk.conda])
        written.files_reused = reader.reused + len(packages) - len(fresh)
        documents: dict[str, ManifestEntry] = {}
        pages = _pages(walk, fresh, facts, written.problems)
        bins: dict[str, dict[str, tuple[ManifestEntry, str]]] = {}
        for page in pages:
            data = encode(project_document(page))
            entry = ManifestEntry(sha256(data), len(data))
            if previous is None or previous.pages.get(page.name) != entry:
                await store.put(page_path(page.name), data, PYPI_JSON)
                written.pages_written += 1
            inputs = page_inputs([f.stamp for f in page.files], page.manifests)
            bins.setdefault(bin_path(page.name), {})[page.name] = (entry, inputs)
        for name, (entry, inputs) in kept.items():
            bins.setdefault(bin_path(name), {})[name] = (entry, inputs)
        for path, entries in sorted(bins.items()):
            documents[path] = await _put(store, path, bin_document(entries), PLAIN_JSON)
        names = [page.name for page in pages] + list(kept)
        documents[PROJECT_LIST] = await _put(
            store, PROJECT_LIST, project_list_document(names), PYPI_JSON
        )
        stamps = [Stamp(e.key, e.size, e.modified, e.etag) for e in walk.manifests.values()]
        documents[FOLDER_MANIFESTS] = await _put(
            store, FOLDER_MANIFESTS, manifests_document(stamps), PLAIN_JSON
        )
        if walk.conda or walk.channels:
            documents.update(await reader.conda(store, facts))
    manifest = {
        "version": 1,
        "files": [
            {"path": path, "sha256": entry.sha256, "size": entry.size}
            for path, entry in sorted(documents.items())
        ],
        SECTION: {"format": FORMAT, "serial": serial, "written": _now()},
    }
    await store.settle()
    if await serial_now(source) != serial - 1:
        raise conflict(store.describe() + MANIFEST)
    await store.put_manifest((json.dumps(manifest, indent=1) + "\n").encode(), replacing)
    written.projects, written.files, written.conda = len(pages), len(packages), len(walk.conda)
    return written


async def _put(store: Store, path: str, document: dict[str, object], kind: str) -> ManifestEntry:
    data = encode(document)
    await store.put(path, data, kind)
    return ManifestEntry(sha256(data), len(data))


def _kept(
    walk: IndexSnapshot, packages: list[IndexedFile], previous: Previous | None
) -> dict[str, tuple[ManifestEntry, str]]:
    """The previous index's pages made from what the walk finds now: kept as they are."""
    if previous is None:
        return {}
    by_project: dict[str, list[IndexedFile]] = {}
    for indexed in packages:
        by_project.setdefault(indexed.project, []).append(indexed)
    kept = {}
    for name, files in by_project.items():
        stamps = [Stamp(f.entry.key, f.entry.size, f.entry.modified, f.entry.etag) for f in files]
        manifests = _manifests(walk, [f.entry.key for f in files])
        inputs = page_inputs(stamps, manifests)
        if previous.unchanged(name, inputs, [*stamps, *manifests]):
            kept[name] = (previous.pages[name], inputs)
    return kept


def _pages(
    walk: IndexSnapshot,
    packages: list[IndexedFile],
    facts: dict[str, FileFacts],
    problems: list[str],
) -> list[ProjectPage]:
    by_project: dict[str, list[FileFacts]] = {}
    for indexed in packages:
        if not normalized(indexed.project):
            problems.append(f"{indexed.entry.key} was left out of the index: its project name "
                            f"{indexed.project!r} is not one a page can have")  # fmt: skip
        elif indexed.entry.key in facts:
            by_project.setdefault(indexed.project, []).append(facts[indexed.entry.key])
    return [
        ProjectPage(name, files, _manifests(walk, [f.key for f in files]))
        for name, files in sorted(by_project.items())
    ]


def _manifests(walk: IndexSnapshot, keys: list[str]) -> list[Stamp]:
    """The manifests of the folders of ``keys``, as the walk listed them."""
    folders = {key.rpartition("/")[0] + "/" if "/" in key else "" for key in keys}
    return [
        Stamp(entry.key, entry.size, entry.modified, entry.etag)
        for entry in walk.manifests.values()
        if entry.key.removesuffix(entry.name) in folders
    ]


class _Reader:
    """What the index adds to the walk, read from the files, a few at a time."""

    def __init__(
        self,
        source: Source,
        walk: IndexSnapshot,
        scratch: ContentCache,
        problems: list[str],
        before: dict[str, FileFacts],
    ) -> None:
        self._source = source
        self._walk = walk
        self._scratch = scratch
        self._problems = problems
        self._before = before
        self.reused = 0
        self._limit = asyncio.Semaphore(CONCURRENCY)
        self._loose: dict[str, Path] = {}  # conda packages fetched, by key

    async def all(self, files: list[IndexedFile]) -> dict[str, FileFacts]:
        read = await asyncio.gather(*(self._facts(indexed) for indexed in files))
        return {facts.key: facts for facts in read if facts is not None}

    async def _facts(self, indexed: IndexedFile) -> FileFacts | None:
        entry = indexed.entry
        expected = indexed.expected
        listed_by = self._listed_by(entry) if expected else None
        digest = expected.sha256 if expected else None
        mismatch = indexed.trust.state == "mismatch"
        stamp = Stamp(entry.key, entry.size, entry.modified, entry.etag)
        known = self._before.get(entry.key)
        if known is not None and not mismatch and still(known, indexed, stamp, digest):
            self.reused += 1
            return FileFacts(stamp, known.sha256, listed_by, False, known.requires_python,
                             known.metadata_sha256)  # fmt: skip
        requires = metadata = None
        async with self._limit:
            try:
                if indexed.kind == "conda" and not self._walk.channels:
                    path, digest = await self._scratch.fetch(self._source, entry, expected)
                    self._loose[entry.key] = path
                elif indexed.kind == "wheel" or digest is None:
                    digest, opener = await self._open(entry, digest)
                    if indexed.kind == "wheel":
                        requires, metadata = await self._metadata(entry, opener)
            except AirlockError as error:
                if error.code != "checksum-mismatch":
                    self._problems.append(f"{entry.key} was left out of the index: {error.message}")
                    return None
                self._problems.append(error.message)
                mismatch = True
        return FileFacts(stamp, digest, listed_by, mismatch, requires, metadata)

    async def _open(
        self, entry: Entry, expected: str | None
    ) -> tuple[str | None, Callable[[], io.BufferedIOBase]]:
        """The file's sha256 (the manifest's, else computed) and how to open it."""
        if entry.size <= WHOLE_READ:
            data = await self._source.read_range(entry.key, 0, entry.size)
            digest = sha256(data)
            if expected is not None and digest != expected:
                raise AirlockError(
                    "checksum-mismatch",
                    f"{entry.key} is not the file its manifest lists (sha256 {digest}).",
                    422,
                )
            return digest, lambda: io.BytesIO(data)
        if expected is None:
            path, digest = await self._scratch.fetch(self._source, entry)
            return digest, lambda: path.open("rb")
        loop = asyncio.get_running_loop()

        def ranged() -> io.BufferedIOBase:
            return io.BufferedReader(RangedFile(self._source, entry, loop, FetchCounter()))

        return expected, ranged

    async def _metadata(
        self, entry: Entry, opener: Callable[[], io.BufferedIOBase]
    ) -> tuple[str | None, str | None]:
        """requires-python and the sha256 of a wheel's METADATA."""
        data = await asyncio.to_thread(_wheel_metadata, opener, entry.key)
        header = email.parser.BytesHeaderParser().parsebytes(data).get("Requires-Python")
        requires = str(header).strip() if header else None
        try:
            SpecifierSet(requires or "")
        except InvalidSpecifier:
            self._problems.append(f"{entry.key}: its Requires-Python {requires!r} is not valid")
            requires = None
        return requires, sha256(data)

    def _listed_by(self, entry: Entry) -> str:
        folder = entry.key.removesuffix(entry.name)
        names = sorted(m.key for m in self._walk.manifests.values() if m.key.startswith(folder)
                       and "/" not in m.key[len(folder) :])  # fmt: skip
        return " + ".join(names)

    async def conda(self, store: Store, facts: dict[str, FileFacts]) -> dict[str, ManifestEntry]:
        """The conda documents: the packages, and the loose ones' repodata per subdir."""
        walk = self._walk
        documents: dict[str, ManifestEntry] = {}
        subdirs: list[str] = []
        if self._loose:
            channel = self._scratch.root / "channel"
            named = []
            for number, (key, path) in enumerate(sorted(self._loose.items())):
                target = self._scratch.root / "named" / str(number) / key.rsplit("/", 1)[-1]
                target.parent.mkdir(parents=True)
                await asyncio.to_thread(shutil.copyfile, path, target)
                named.append(target)
            await index_packages(named, channel)
            for repodata in sorted(channel.glob("*/repodata.json")):
                subdir = repodata.parent.name
                data = await asyncio.to_thread(repodata.read_bytes)
                if json.loads(data).get("packages") or json.loads(data).get("packages.conda"):
                    await store.put(repodata_path(subdir), data, PLAIN_JSON)
                    documents[repodata_path(subdir)] = ManifestEntry(sha256(data), len(data))
                    subdirs.append(subdir)
        packages = [facts[f.entry.key] for f in walk.conda if f.entry.key in facts]
        channels = [Stamp(e.key, e.size, e.modified, e.etag) for e in walk.channels.values()]
        part = CondaPart(packages, channels, subdirs, _manifests(walk, [f.key for f in packages]))
        documents[CONDA_PACKAGES] = await _put(
            store, CONDA_PACKAGES, conda_document(part), PLAIN_JSON
        )
        return documents


def _now() -> str:
    moment = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")
