"""A bucket folder's listing as S3 pages, and reading those pages ahead of a reader.

S3 lists a folder one page after another, each from the previous one's continuation token:
a panel that asks for each page when it needs it waits for every one of them in turn. Once
a folder is opened, :class:`ReadAheads` fetches its next pages in the background (a few at
most, waiting for the reader to catch up), and later page requests are served from them.

A cursor names a position in the listing: an S3 continuation token (None at the start)
and how many items of the page it begins to skip. It means the same whether or not the page
is read ahead, so it stays valid when a read-ahead has stopped, and after a restart.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import NamedTuple

from ..errors import AirlockError

# S3's largest page: read-ahead asks for these after the page a reader waits for.
PAGE = 1000
# Pages held ahead of a reader at most (some 300 bytes an object): then the read-ahead waits.
WINDOW = 10
# A read-ahead nobody asked anything of for this long stops, and its pages go: they may be
# out of date, and the reader has left the folder.
IDLE = 60.0
# Folders read ahead at once per source (two browser tabs on two folders); opening a folder
# stops the others.
KEEP = 2


class Item(NamedTuple):
    """An object (``size`` set) or a common prefix (a sub-folder, ``size`` None), by full key."""

    key: str
    size: int | None
    modified: str | None
    etag: str | None


@dataclass(frozen=True)
class RawPage:
    """One ListObjectsV2 answer: its items in key order, folders and objects together (as S3
    counts them), and the token of the next page (None at the end)."""

    items: list[Item]
    next: str | None


# fetch(prefix, continuation token, max keys): one ListObjectsV2 request.
Fetch = Callable[[str, str | None, int], Awaitable[RawPage]]
Cursor = tuple[str | None, int]


def encode_cursor(cursor: Cursor) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(cursor)).encode()).decode("ascii")


def decode_cursor(text: str) -> Cursor:
    try:
        token, skip = json.loads(base64.urlsafe_b64decode(text.encode("ascii")))
        if (token is None or isinstance(token, str)) and isinstance(skip, int) and skip >= 0:
            return token, skip
    except (UnicodeError, binascii.Error, ValueError, TypeError):
        pass
    raise AirlockError(
        "invalid-token",
        "the page token is not valid for this folder: reload the listing from the start",
        400,
    )


def window(page: RawPage, cursor: Cursor, limit: int) -> tuple[list[Item], Cursor | None]:
    """The ``limit`` items of ``page`` (which begins at cursor's token) from the cursor on,
    and the cursor after them (None at the end of the listing)."""
    token, skip = cursor
    end = skip + limit
    if len(page.items) > end:
        return page.items[skip:end], (token, end)
    return page.items[skip:end], (page.next, 0) if page.next is not None else None


class ReadAheads:
    """The folders of one source being read ahead, by listing prefix."""

    def __init__(
        self,
        fetch: Fetch,
        *,
        page: int = PAGE,
        window: int = WINDOW,
        idle: float = IDLE,
        keep: int = KEEP,
    ) -> None:
        self._fetch = fetch
        self._page = page
        self._window = window
        self._idle = idle
        self._keep = keep
        self._running: OrderedDict[str, ReadAhead] = OrderedDict()
        self._loop: asyncio.AbstractEventLoop | None = None

    def of(self, prefix: str) -> ReadAhead | None:
        """The read-ahead of ``prefix``, if it has one."""
        return self._running.get(prefix)

    async def page(self, prefix: str, cursor: Cursor, limit: int) -> RawPage:
        """The page of ``prefix`` that begins at the cursor's token, holding at least the
        item the cursor points at. A cursor at the start opens the folder: its read-ahead
        starts afresh and those of other folders stop."""
        token, skip = cursor
        count = skip + limit
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # what another event loop started cannot be awaited here
            self._running.clear()
            self._loop = loop
        ahead = self._running.get(prefix)
        if token is None:
            self.stop()
            ahead = None
        elif ahead is not None and not ahead.serves(token, skip):
            ahead.stop()
            ahead = None
        if ahead is None:
            ahead = ReadAhead(
                self._fetch, prefix, (token, count), self._page, self._window, self._idle
            )
            self._running[prefix] = ahead
            while len(self._running) > self._keep:
                self._running.popitem(last=False)[1].stop()
        self._running.move_to_end(prefix)
        page = await ahead.page(token)
        # None: it stopped before reaching that page (another folder was opened).
        return page if page is not None else await self._fetch(prefix, token, count)

    def stop(self) -> None:
        for ahead in self._running.values():
            ahead.stop()
        self._running.clear()

    async def close(self) -> None:
        """Stop every read-ahead and wait until none fetches any more (the server stops):
        a page on its way is dropped."""
        if self._loop is not asyncio.get_running_loop():
            return  # none runs in this loop
        running = [ahead.finished for ahead in self._running.values()]
        self.stop()
        for finished in running:
            finished.cancel()
        await asyncio.gather(*running, return_exceptions=True)


class ReadAhead:
    """One folder's pages from ``token`` on, fetched one after another in the background
    while at most ``window`` are held ahead of the reader."""

    def __init__(
        self,
        fetch: Fetch,
        prefix: str,
        first: tuple[str | None, int],
        page: int,
        window: int,
        idle: float,
    ) -> None:
        """``first``: the token the first page begins at and how many items it needs."""
        self._fetch = fetch
        self._prefix = prefix
        self._page = page
        self._window = window
        self._idle = idle
        # Each page's answer by the token it begins at, in listing order; None when the
        # read-ahead stopped before fetching it.
        self._pages: OrderedDict[str | None, asyncio.Future[RawPage | None]] = OrderedDict()
        self._asked: dict[str | None, int] = {}  # how many items each page was asked for
        self._room = asyncio.Event()
        self.waiting = asyncio.Event()
        """Set while it waits for the reader to come nearer."""
        self._used = time.monotonic()
        self._stopped = False
        self._expect(*first)
        self.finished = asyncio.ensure_future(self._run(*first))
        """Done when it fetches no more."""

    @property
    def held(self) -> int:
        """Pages fetched and not passed by the reader yet: the reader's and those ahead."""
        return sum(future.done() for future in self._pages.values())

    @property
    def stopped(self) -> bool:
        return self._stopped

    def serves(self, token: str | None, skip: int) -> bool:
        """Whether the page that begins at ``token`` is here or on its way, reaches past
        ``skip`` items, and the reader was here recently."""
        future = self._pages.get(token)
        if future is None or time.monotonic() - self._used >= self._idle:
            return False
        if self._asked[token] <= skip:  # a shorter page than the cursor's (S3 fills pages)
            return False
        # A page it stopped before fetching, or failed to fetch, is asked for afresh.
        return not future.done() or (future.exception() is None and future.result() is not None)

    async def page(self, token: str | None) -> RawPage | None:
        """The page that begins at ``token`` (a reader is there: earlier pages go)."""
        self._used = time.monotonic()
        while next(iter(self._pages)) != token:
            del self._asked[self._pages.popitem(last=False)[0]]
        self._room.set()
        # Shielded: a request that goes away leaves the page to the read-ahead.
        return await asyncio.shield(self._pages[token])

    def stop(self) -> None:
        """Fetch nothing more; a page on its way still comes to whoever waits for it."""
        self._stopped = True
        self._room.set()

    def _expect(self, token: str | None, count: int) -> None:
        future: asyncio.Future[RawPage | None] = asyncio.get_running_loop().create_future()
        # A failure nobody waited for is not worth a "never retrieved" warning.
        future.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._pages[token] = future
        self._asked[token] = count

    async def _run(self, token: str | None, count: int) -> None:
        future = self._pages[token]
        left = False
        try:
            while not self._stopped:
                page = await self._fetch(self._prefix, token, count)
                future.set_result(page)
                if page.next is None:
                    return
                token, count = page.next, self._page
                self._expect(token, count)
                future = self._pages[token]
                while not self._stopped and self.held > self._window:
                    self._room.clear()
                    self.waiting.set()
                    try:
                        await asyncio.wait_for(self._room.wait(), self._idle)
                    except asyncio.TimeoutError:
                        left = True
                        return
                    finally:
                        self.waiting.clear()
        except Exception as error:  # an AirlockError of the fetch: its reader hears of it
            future.set_exception(error)
        finally:
            self._stopped = True
            for waiting in self._pages.values():
                if not waiting.done():
                    waiting.set_result(None)
            if left:
                self._pages.clear()  # the reader left: free the pages now
                self._asked.clear()
