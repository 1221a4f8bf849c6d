"""One file of a source into an open file, hashed on the way, in constant memory.

The file is streamed while the previous chunk is written and hashed in a worker thread, so a
transfer takes as long as the slower of the two. When the stream proves slow (one connection
to a remote S3 carries far less than sha256 can take), the rest comes as ranged reads,
several at once, still written and hashed in order. A stream that is fast stays one stream:
a local server gains nothing from more connections (and moto reads the whole object for every
ranged GET, which makes ranges cost more there).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from typing import BinaryIO

from .errors import AirlockError
from .sources import Entry, Source
from .trust.manifests import Sha256Verifier

# Read and written 4 MiB at a time: 1 MiB pieces cost a third more CPU in thread hand-offs
# and allocations (bench/copy.py measures it), and larger ones gain nothing more.
CHUNK = 4 * 1024 * 1024
# The stream's speed is judged over this many bytes; smaller files are always streamed.
PROBE = 32 * 1024 * 1024
# Below this many bytes a second the stream is slow (a remote S3's one connection; a local
# server streams ten times faster): ranged reads take over.
SLOW_STREAM = 100 * 1024 * 1024
# Ranged reads on their way at once, each of CHUNK bytes: the memory they hold.
READERS = 4


async def receive(
    source: Source,
    entry: Entry,
    out: BinaryIO,
    verifier: Sha256Verifier,
    progress: Callable[[int], None],
) -> None:
    """Write ``entry``'s content to ``out`` and through ``verifier``, in order; ``progress``
    hears the bytes received so far."""
    saver = _Saver(out, verifier)
    try:
        # Timed from the first chunk: a server may take a while before it sends anything
        # (moto reads the whole object first), which more connections would not shorten.
        start: float | None = None
        async with contextlib.aclosing(source.stream(entry.key, CHUNK)) as chunks:
            async for chunk in chunks:
                await saver.put(chunk)
                progress(saver.received)
                if start is None:
                    start, first = time.monotonic(), saver.received
                elif PROBE <= saver.received < entry.size - PROBE:
                    rate = (saver.received - first) / max(time.monotonic() - start, 1e-6)
                    if rate < SLOW_STREAM:
                        break  # closing the stream drops its connection
            else:
                await saver.flush()
                return
        await _ranged(source, entry, saver, progress)
        await saver.flush()
    finally:
        await saver.close()


async def _ranged(
    source: Source, entry: Entry, saver: _Saver, progress: Callable[[int], None]
) -> None:
    """The rest of ``entry`` after what ``saver`` received, by READERS ranged reads at once."""
    offsets = iter(range(saver.received, entry.size, CHUNK))
    reads: deque[asyncio.Task[bytes]] = deque()

    def read_next() -> None:
        offset = next(offsets, None)
        if offset is not None:
            # The version streamed so far, or an error: never a mix of two versions.
            ranged = source.read_range(entry.key, offset, CHUNK, etag=entry.etag)
            reads.append(asyncio.ensure_future(ranged))

    try:
        for _ in range(READERS):
            read_next()
        while reads:
            data = await reads.popleft()
            read_next()
            wanted = min(CHUNK, entry.size - saver.received)
            if len(data) != wanted:
                raise AirlockError(
                    "transfer-broken",
                    f"{entry.key} changed during the transfer ({len(data)} bytes where "
                    f"{wanted} were expected at offset {saver.received}); nothing was kept. "
                    "Try again.",
                    502,
                )
            await saver.put(data)
            progress(saver.received)
    finally:
        for read in reads:
            read.cancel()  # the thread behind it ends on its own; its bytes are dropped
        await asyncio.gather(*reads, return_exceptions=True)


class _Saver:
    """Writes and hashes one piece at a time in a worker thread, in the order given: the
    event loop neither writes nor hashes, so the server keeps answering."""

    def __init__(self, out: BinaryIO, verifier: Sha256Verifier) -> None:
        self._out = out
        self._verifier = verifier
        self._saving: asyncio.Future[None] | None = None
        self.received = 0

    def _keep(self, piece: bytes) -> None:
        self._out.write(piece)
        self._verifier.update(piece)

    async def put(self, piece: bytes) -> None:
        """Start saving ``piece`` once the one before is saved."""
        if self._saving is not None:
            await asyncio.shield(self._saving)  # a cancelled transfer still lets it end
        self._saving = asyncio.ensure_future(asyncio.to_thread(self._keep, piece))
        self.received += len(piece)

    async def flush(self) -> None:
        """Wait for the last piece to be saved; its error, if any, is raised."""
        if self._saving is not None:
            await asyncio.shield(self._saving)

    async def close(self) -> None:
        """Wait for the last piece: the file is closed next. When the transfer failed, the
        error already on its way is the one that counts."""
        if self._saving is not None:
            await asyncio.wait([self._saving])
            self._saving.exception()
