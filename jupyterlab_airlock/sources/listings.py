"""A folder source's sorted directory listings, kept while each directory is unchanged.

Scanning and sorting a directory of 100,000 entries takes a fifth of a second; a panel that
pages through it would pay that for every page. A listing holds only the directory's names
(which change the directory's mtime when added, removed or renamed), never sizes or dates
(a file rewritten in place leaves the directory's mtime alone): those are read for each page.
"""

from __future__ import annotations

import bisect
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

# (0 for a folder, 1 for a file; name): sorting on it puts folders first, then by name.
Item = tuple[int, str]
# (st_dev, st_ino, st_mtime_ns) of a directory: another directory or a changed one differs.
Stamp = tuple[int, int, int]

# A directory modified this recently may change again within the same tick of its file
# system's clock (a second on some network mounts, two on FAT) without its mtime moving:
# its scan is used once, not kept.
SETTLE_NS = 3_000_000_000
# At most this many names are kept over all directories (some 80 bytes each): the least
# recently listed directories go first, and a larger directory is scanned for every page.
MAX_NAMES = 400_000


@dataclass(frozen=True)
class Listing:
    """A directory's listable names, sorted, as a scan found them."""

    stamp: Stamp
    folders: list[str]
    files: list[str]
    # Symbolic links: where they lead may change without the directory changing, so the
    # page checks them again.
    links: frozenset[str]

    @classmethod
    def of(cls, stamp: Stamp, items: Iterable[tuple[Item, bool]]) -> Listing:
        """The listing of scanned ``((kind, name), is_link)`` items."""
        folders: list[str] = []
        files: list[str] = []
        links: set[str] = set()
        for (kind, name), is_link in items:
            (files if kind else folders).append(name)
            if is_link:
                links.add(name)
        folders.sort()
        files.sort()
        return cls(stamp, folders, files, frozenset(links))

    @property
    def size(self) -> int:
        return len(self.folders) + len(self.files)

    def page(self, after: Item | None, count: int, starting: str) -> list[Item]:
        """Up to ``count`` items that sort after ``after`` and start with ``starting``."""
        items: list[Item] = []
        for kind, names in ((0, self.folders), (1, self.files)):
            if after is not None and after[0] > kind:
                continue
            # Names starting with ``starting`` are one run of the sorted list.
            index = bisect.bisect_left(names, starting)
            if after is not None and after[0] == kind:
                index = max(index, bisect.bisect_right(names, after[1]))
            while index < len(names) and len(items) < count:
                name = names[index]
                if not name.startswith(starting):
                    break
                items.append((kind, name))
                index += 1
        return items


def stamp_of(info: os.stat_result) -> Stamp:
    return (info.st_dev, info.st_ino, info.st_mtime_ns)


class Listings:
    """Listings by real directory path, least recently used first; thread-safe (folder
    sources list in worker threads)."""

    def __init__(self, max_names: int = MAX_NAMES) -> None:
        self._max_names = max_names
        self._kept: OrderedDict[str, Listing] = OrderedDict()
        self._names = 0
        self._lock = threading.Lock()

    def get(self, directory: str, stamp: Stamp) -> Listing | None:
        """The kept listing of ``directory`` if it is still as ``stamp`` says."""
        with self._lock:
            listing = self._kept.get(directory)
            if listing is None or listing.stamp != stamp:
                return None
            self._kept.move_to_end(directory)
            return listing

    def keep(self, directory: str, listing: Listing, stated: int) -> None:
        """Keep ``listing``, scanned after a stat at ``stated`` (see SETTLE_NS)."""
        with self._lock:
            old = self._kept.pop(directory, None)
            self._names -= old.size if old else 0
            if listing.size > self._max_names or stated - listing.stamp[2] <= SETTLE_NS:
                return
            self._kept[directory] = listing
            self._names += listing.size
            while self._names > self._max_names:
                _, dropped = self._kept.popitem(last=False)
                self._names -= dropped.size
