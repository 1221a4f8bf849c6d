"""Reading a resolution's next wheels' METADATA before uv asks for it.

uv learns a wheel's requirements from its METADATA, then asks for theirs: a chain of
packages is as many round trips to this server, and from it to the bucket, one after the
other. When a wheel's METADATA is served, its requirements' likely wheels are read too, in
the background (a few at once, a few links down), into a small memo that the next requests
are answered from. It only warms: what is served is still judged by the policy on its way
out, and a refused file is not even read ahead.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection
from typing import Protocol

from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import sys_tags
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from .files import IndexedFile, IndexSnapshot

# What the memo holds at most, and for how long: METADATA is a few kB, so this is hundreds.
MEMO_BYTES = 16 << 20
MEMO_SECONDS = 60.0
# Reads from the source at once for read-aheads; uv's own requests do not wait for these.
CONCURRENT = 4
# Links of a chain read ahead of the one served, and wheels of one project (platforms).
DEPTH = 8
WHEELS_PER_PROJECT = 2
# Projects remembered as read ahead (a few dozen bytes each).
STARTED_LIMIT = 4096

_log = logging.getLogger(__name__)

Allowed = Callable[[IndexSnapshot, IndexedFile], bool]


class Snapshots(Protocol):
    def __call__(self, *, projects: Collection[str]) -> Awaitable[IndexSnapshot]: ...


class MetadataMemo:
    """METADATA read lately, by the file it came from (its source, key, size and etag: a
    file replaced in the bucket is another), the oldest dropped past ``limit`` bytes or
    ``seconds`` old."""

    def __init__(self, limit: int = MEMO_BYTES, seconds: float = MEMO_SECONDS) -> None:
        self._limit = limit
        self._seconds = seconds
        self._held: OrderedDict[tuple[str, ...], tuple[float, bytes]] = OrderedDict()
        self._bytes = 0

    def get(self, ident: tuple[str, ...]) -> bytes | None:
        self._expire()
        held = self._held.get(ident)
        return held[1] if held else None

    def put(self, ident: tuple[str, ...], data: bytes) -> None:
        if len(data) > self._limit:
            return
        self._drop(ident)
        self._held[ident] = (time.monotonic(), data)
        self._bytes += len(data)
        while self._bytes > self._limit:
            self._drop(next(iter(self._held)))

    def _expire(self) -> None:
        oldest = time.monotonic() - self._seconds
        while self._held and next(iter(self._held.values()))[0] < oldest:
            self._drop(next(iter(self._held)))

    def _drop(self, ident: tuple[str, ...]) -> None:
        held = self._held.pop(ident, None)
        if held is not None:
            self._bytes -= len(held[1])


class ReadAhead:
    """The read-aheads of one package index; ``close`` stops them (the server's stop)."""

    def __init__(self, snapshot: Snapshots, metadata: Callable[[str], Awaitable[bytes]]) -> None:
        self._snapshot = snapshot
        self._metadata = metadata
        self._slots = asyncio.Semaphore(CONCURRENT)
        self._running: set[asyncio.Task[None]] = set()
        self._closed = False
        # Projects read ahead lately, with the links still to go from them then: many
        # paths lead to one project, and it is followed again only to go further.
        self._started: OrderedDict[str, tuple[float, int]] = OrderedDict()
        # The server's own tags: most kernels run on this machine's Pythons.
        self._tags = {str(tag) for tag in sys_tags()}

    def start(self, metadata: bytes, allowed: Allowed, depth: int = DEPTH) -> None:
        """Read ahead the wheels that ``metadata``'s requirements likely resolve to."""
        if self._closed or depth <= 0:
            return
        for name, specifier in requirements(metadata):
            if not self._first_to(name, depth):
                continue
            task = asyncio.create_task(self._project(name, specifier, allowed, depth))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    def _first_to(self, name: str, depth: int) -> bool:
        """Whether ``name`` was not read ahead as far lately; noted if so."""
        now = time.monotonic()
        started = self._started.get(name)
        if started is not None and now - started[0] < MEMO_SECONDS and started[1] >= depth:
            return False
        self._started.pop(name, None)
        self._started[name] = (now, depth)
        while len(self._started) > STARTED_LIMIT:
            self._started.popitem(last=False)
        return True

    async def settled(self) -> None:
        """Wait until no read-ahead runs (those they start included)."""
        while self._running:
            await asyncio.wait(set(self._running))

    async def close(self) -> None:
        self._closed = True
        running = set(self._running)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    async def _project(
        self, name: str, specifier: SpecifierSet, allowed: Allowed, depth: int
    ) -> None:
        try:
            async with self._slots:
                snapshot = await self._snapshot(projects=[name])
            wheels = [
                indexed
                for indexed in snapshot.projects.get(name, [])
                if indexed.kind == "wheel" and allowed(snapshot, indexed)
            ]
            for indexed in likely_wheels(wheels, specifier, self._tags):
                async with self._slots:
                    data = await self._metadata(indexed.entry.key)
                self.start(data, allowed, depth - 1)
        except Exception as error:  # only warming: uv's own request reports what fails
            _log.debug("Airlock index: reading %s ahead failed: %s", name, error)


def requirements(metadata: bytes) -> list[tuple[str, SpecifierSet]]:
    """The projects ``metadata`` requires (without extras, for this machine's markers),
    each with its version specifier; lines that do not parse are left out."""
    found: list[tuple[str, SpecifierSet]] = []
    for line in parse_email(metadata)[0].get("requires_dist", []):
        try:
            requirement = Requirement(line)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
        except (InvalidRequirement, ValueError, LookupError):
            continue
        found.append((canonicalize_name(requirement.name), requirement.specifier))
    return found


def likely_wheels(
    wheels: list[IndexedFile], specifier: SpecifierSet, tags: set[str]
) -> list[IndexedFile]:
    """The wheels of the newest version ``specifier`` admits (a final release when there is
    one), those for ``tags`` first; at most ``WHEELS_PER_PROJECT``."""
    versions: dict[Version, list[IndexedFile]] = {}
    for indexed in wheels:
        try:
            versions.setdefault(Version(indexed.version), []).append(indexed)
        except InvalidVersion:
            continue
    admitted = list(specifier.filter(versions))
    if not admitted:
        return []
    newest = versions[max(admitted)]
    return sorted(newest, key=lambda indexed: not _fits(indexed, tags))[:WHEELS_PER_PROJECT]


def _fits(indexed: IndexedFile, tags: set[str]) -> bool:
    try:
        return any(str(tag) in tags for tag in parse_wheel_filename(indexed.entry.name)[3])
    except InvalidWheelFilename:
        return False
