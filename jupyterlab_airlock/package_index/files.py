"""The package files of an artifact source, by project: what a plan, the served index and
the conda channel read (``package_index.PackageIndex`` keeps them).

A snapshot is either a whole walk of the source (every folder listed, every manifest read)
or one that loads what it is asked for (``loader``): the projects a resolution needs, from
the source's static index or its per-project folders.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Protocol

from packaging.utils import canonicalize_name

from ..active_source import ActiveTrust, AdvisoryState
from ..kinds import classify
from ..sources import Entry, Source
from ..trust import manifests
from ..trust.gate import Door, judge
from ..trust.policy import Policy
from .layout import INDEX_FOLDER


@dataclass(frozen=True)
class IndexedFile:
    """A wheel or sdist of the source, with the manifest's word on it when there is one."""

    entry: Entry
    project: str  # normalized, as pip compares names
    version: str
    kind: str  # "wheel", "sdist" or "conda"
    expected: manifests.ManifestEntry | None
    trust: manifests.Trust
    # Known from a static index only.
    requires_python: str | None = None
    metadata_sha256: str | None = None

    @property
    def verified(self) -> bool:
        return self.expected is not None


class Loader(Protocol):
    """Loads into a snapshot what it is asked for; raises ``IndexUnusable`` when it cannot
    vouch for what it would load (the caller walks the source instead)."""

    async def load(
        self,
        snapshot: IndexSnapshot,
        projects: Collection[str],
        keys: Collection[str],
        conda: bool,
        every_project: bool,
    ) -> None: ...


class IndexUnusable(Exception):
    """The static index cannot be used now; ``note`` says why, for the plan."""

    def __init__(self, note: str) -> None:
        super().__init__(note)
        self.note = note


@dataclass
class IndexSnapshot:
    """One look at the source: a walk, or what ``loader`` loaded so far."""

    source: Source
    taken: float
    projects: dict[str, list[IndexedFile]] = field(default_factory=dict)
    by_key: dict[str, IndexedFile] = field(default_factory=dict)  # conda packages too
    conda: list[IndexedFile] = field(default_factory=list)
    channels: dict[str, Entry] = field(default_factory=dict)  # folder -> its repodata.json
    # A static index's repodata.json of the loose conda packages, by subdir, with what it
    # must be.
    repodata: dict[str, tuple[Entry, manifests.ManifestEntry]] = field(default_factory=dict)
    manifests: dict[str, Entry] = field(default_factory=dict)  # the folders' manifests seen
    problems: list[str] = field(default_factory=list)
    # The advisory data of the walk's time; None when the profile names none.
    advisories: AdvisoryState | None = None
    loader: Loader | None = None  # None: a whole walk
    # Why a walk was taken instead of the source's index (the plan says so), or None.
    note: str | None = None
    # How the packages were found, for the status and the bench: "walk", "index", "prefixes".
    via: str = "walk"

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


async def walk_source(
    source: Source,
    trust: ActiveTrust | None,
    folders: Collection[str] = ("",),
    snapshot: IndexSnapshot | None = None,
    skip: Collection[str] = (),
) -> IndexSnapshot:
    """Every package file under ``folders`` of ``source`` (all of it by default), each with
    its folder's manifest; the static index's own folder and ``skip`` are left out."""
    if snapshot is None:
        snapshot = IndexSnapshot(source=source, taken=time.monotonic())
        snapshot.advisories = await trust.advisories() if trust else None
    signers = trust.signers if trust else None
    pending = list(folders)
    while pending:
        folder = pending.pop()
        manifest, problems = await manifests.read_folder(source, folder, signers)
        snapshot.problems += problems
        cursor: str | None = None
        while True:
            page = await source.list(folder, cursor)
            pending += [f for f in page.folders if not _index_folder(f) and f not in skip]
            for entry in page.entries:
                add(snapshot, entry, manifest)
            cursor = page.next_token
            if cursor is None:
                break
    for files in snapshot.projects.values():
        files.sort(key=lambda indexed: indexed.entry.key)
    return snapshot


def add(snapshot: IndexSnapshot, entry: Entry, manifest: manifests.Manifest | None) -> None:
    """File ``entry`` of a folder whose manifests are ``manifest``, into the snapshot."""
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
    if entry.name in (manifests.SHA256SUMS, manifests.MANIFEST_JSON):
        snapshot.manifests[entry.key] = entry
        return
    if info["kind"] not in ("wheel", "sdist"):
        if info["kind"] == "other" and info.get("problem"):
            snapshot.problems.append(f"{entry.key}: {info['problem']}")
        return
    project = canonicalize_name(str(info["name"]))
    expected = manifest.files.get(entry.name) if manifest else None
    indexed = IndexedFile(entry, project, str(info["version"]), str(info["kind"]), expected, trust)
    offer(snapshot, indexed)


def offer(snapshot: IndexSnapshot, indexed: IndexedFile) -> None:
    """``indexed`` among its project's files; of two files of one name, the preferred."""
    entry, expected = indexed.entry, indexed.expected
    files = snapshot.projects.setdefault(indexed.project, [])
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


def _index_folder(folder: str) -> bool:
    return folder == INDEX_FOLDER or folder.endswith("/" + INDEX_FOLDER)


def _preference(indexed: IndexedFile) -> tuple[int, str]:
    return (0 if indexed.trust.signed else 1, indexed.entry.key)
