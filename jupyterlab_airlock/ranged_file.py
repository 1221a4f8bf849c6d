"""An object of the source as a seekable file that reads only the byte ranges asked for.

Formats with an index at their end (a wheel's zip directory, a Parquet footer, an Arrow
file's footer) are read this way: a library that parses the file gets a file object, and
a large object costs only the requests its parser makes.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

from .cache import FetchCounter
from .errors import AirlockError
from .sources import Entry, Source

# The first read takes this much of the object's end in one request, and what is held
# grows down from there to at most _HELD_LIMIT.
_TAIL = 64 << 10
_HELD_LIMIT = 16 << 20


class ReadLimitExceeded(Exception):
    """A read would take the bytes fetched from the object past the reader's limit."""


class RangedFile(io.RawIOBase):
    """A read-only, seekable view of an object that reads only the ranges asked for.

    A zip is read from its end: the end record, the central directory, then the member's
    header and data, which in a wheel (``.dist-info`` comes last) lie close before it. So
    the first read takes the last ``_TAIL`` bytes, and a read just before what is held
    extends it down to there: a small wheel's metadata costs one request, a large one's two
    or three. A read far before it (a .dist-info written first) takes only what it asks.
    ``limit``: at most this many bytes fetched in all; a read past it raises
    ReadLimitExceeded before anything is requested. Used from a worker thread; the reads
    run on the server's event loop.
    """

    def __init__(
        self,
        source: Source,
        entry: Entry,
        loop: asyncio.AbstractEventLoop,
        counter: FetchCounter,
        limit: int | None = None,
    ) -> None:
        self._source = source
        self._entry = entry
        self._loop = loop
        self._counter = counter
        self._limit = limit
        self.fetched = 0  # bytes this file took from the source
        self._position = 0
        # The bytes held: [_held_from, size).
        self._held = b""
        self._held_from = entry.size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._entry.size}
        self._position = max(0, base[whence] + offset)
        return self._position

    async def _read(self, start: int, length: int) -> bytes:
        # Counted on the event loop, where the cache counts its whole-file fetches.
        data = await self._source.read_range(self._entry.key, start, length)
        self._counter.ranged_reads += 1
        self._counter.ranged_bytes += len(data)
        self.fetched += len(data)
        return data

    def _fetch(self, start: int, length: int) -> bytes:
        if self._limit is not None and self.fetched + length > self._limit:
            raise ReadLimitExceeded(
                f"{self._entry.key}: {length} more bytes would pass the limit of {self._limit}"
            )
        read = self._read(start, length)
        return asyncio.run_coroutine_threadsafe(read, self._loop).result()

    def readinto(self, buffer: Any) -> int:
        size = self._entry.size
        wanted = min(len(buffer), max(0, size - self._position))
        if wanted == 0:
            return 0
        if self._position < self._held_from:
            start = min(self._position, max(0, size - _TAIL))
            # Far below what is held (a wheel whose .dist-info comes first, as meson-python
            # writes them) or far from the end: read just this, not all that lies between.
            if self._held_from - start > _TAIL or size - start > _HELD_LIMIT:
                data = self._fetch(self._position, wanted)
                buffer[: len(data)] = data
                self._position += len(data)
                return len(data)
            more = self._fetch(start, self._held_from - start)
            if len(more) != self._held_from - start:
                raise AirlockError(
                    "transfer-broken", f"{self._entry.key} changed while it was read.", 502
                )
            self._held = more + self._held
            self._held_from = start
        offset = self._position - self._held_from
        data = self._held[offset : offset + wanted]
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)
