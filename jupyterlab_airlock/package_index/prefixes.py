"""A source laid out a folder per project, read a project at a time without an index.

The layout: a ``wheels/`` folder at the source's root whose sub-folders are named by
normalized project names (PEP 503: ``wheels/scikit-learn/``), each holding that project's
wheels and sdists and, optionally, their manifests. Seen when the first page of
``wheels/`` holds such folders and no files. A project's files are then those of its
folder (one listing, the folder's manifests); files picked by key elsewhere are looked at
one by one, and conda packages by a walk of everything outside ``wheels/``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Collection

from packaging.utils import canonicalize_name

from ..active_source import ActiveTrust
from ..errors import AirlockError
from ..kinds import classify
from ..sources import Source
from ..trust import manifests
from .files import IndexSnapshot, add, walk_source

PROJECTS = "wheels/"
_NORMALIZED = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


async def per_project(source: Source) -> bool:
    """Whether ``source`` is laid out a folder per project under ``wheels/``."""
    try:
        page = await source.list(PROJECTS)
    except AirlockError as error:
        if error.status == 404:
            return False
        raise
    names = [folder[len(PROJECTS) :].rstrip("/") for folder in page.folders]
    packages = [e for e in page.entries if classify(e.key)["kind"] in ("wheel", "sdist")]
    return bool(names) and not packages and all(_NORMALIZED.fullmatch(n) for n in names)


class PrefixLoader:
    """Loads projects of a per-project source into one snapshot, each folder listed once."""

    def __init__(self, source: Source, trust: ActiveTrust | None) -> None:
        self._source = source
        self._trust = trust
        self._loaded: set[str] = set()
        self._everything = False
        self._conda = False
        # One load at a time: two requests asking for the same folder add its files once.
        self._lock = asyncio.Lock()

    async def load(
        self,
        snapshot: IndexSnapshot,
        projects: Collection[str],
        keys: Collection[str],
        conda: bool,
        every_project: bool,
    ) -> None:
        async with self._lock:
            await self._load(snapshot, projects, keys, conda, every_project)

    async def _load(
        self,
        snapshot: IndexSnapshot,
        projects: Collection[str],
        keys: Collection[str],
        conda: bool,
        every_project: bool,
    ) -> None:
        if self._everything:
            return
        if every_project:
            await walk_source(self._source, self._trust, snapshot=snapshot)
            self._everything = True
            return
        names = {canonicalize_name(name) for name in projects}
        elsewhere = []
        for key in keys:
            if key.startswith(PROJECTS) and key.count("/") == 2:
                names.add(canonicalize_name(key.split("/")[1]))
            elif classify(key)["kind"] == "conda":
                conda = True
            elif key not in snapshot.by_key:
                elsewhere.append(key)
        for name in sorted(set(names) - self._loaded):
            await self._project(snapshot, name)
            self._loaded.add(name)
        for key in elsewhere:
            await self._file(snapshot, key)
        if conda and not self._conda:
            await walk_source(self._source, self._trust, snapshot=snapshot, skip=[PROJECTS])
            self._conda = True

    async def _project(self, snapshot: IndexSnapshot, name: str) -> None:
        try:
            await walk_source(
                self._source, self._trust, folders=[f"{PROJECTS}{name}/"], snapshot=snapshot
            )
        except AirlockError as error:
            if error.status != 404:  # a folder source says so of a project it lacks
                raise

    async def _file(self, snapshot: IndexSnapshot, key: str) -> None:
        """The file ``key`` outside the projects' folders, with its folder's manifests."""
        try:
            entry = await self._source.stat(key)
        except AirlockError as error:
            if error.status == 404:
                return
            raise
        signers = self._trust.signers if self._trust else None
        folder = key.removesuffix(entry.name)
        manifest, problems = await manifests.read_folder(self._source, folder, signers)
        snapshot.problems += problems
        add(snapshot, entry, manifest)
