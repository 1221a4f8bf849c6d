"""A local or read-only mounted folder (the portable exchange medium).

Nothing outside the folder is ever listed or read: a symbolic link is followed only when its
target stays inside. File system calls run in threads, under a timeout, because a stale
network mount can block them for minutes.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime
import os
import stat
import time
from collections.abc import AsyncGenerator, Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, TypeVar

from ..errors import AirlockError
from .base import (
    Entry,
    Page,
    Source,
    check_range,
    clean_key,
    file_key,
    folder_prefix,
    iso_utc,
    page_limit,
    text_option,
)
from .listings import Item, Listing, Listings, stamp_of

# A kept listing serves a page of any size for the stats of its files: larger pages than a
# bucket's (1,000) spare a panel scrolling a large folder most of its round trips.
MAX_PAGE = 5000
# One file system call (a whole directory scan included) may take this long before the user
# is told; the thread itself cannot be interrupted.
TIMEOUT = 30.0

_T = TypeVar("_T")


class FolderSource(Source):
    """Files under ``path``; keys are '/'-separated paths relative to it."""

    kind = "folder"

    def __init__(self, path: str) -> None:
        self.root = Path(os.path.abspath(os.path.expanduser(path)))
        self._listings = Listings()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FolderSource:
        return cls(text_option(config, "path", required=True) or "")

    def describe(self) -> str:
        return str(self.root)

    async def list(
        self,
        prefix: str = "",
        token: str | None = None,
        limit: int = 1000,
        starting: str = "",
        read_ahead: bool = False,  # every page is at hand once the directory is scanned
    ) -> Page:
        folder = folder_prefix(prefix)
        after = _decode_token(token) if token else None
        limit = page_limit(limit, MAX_PAGE)
        return await self._in_thread(self._list, folder, after, limit, starting)

    async def stat(self, key: str) -> Entry:
        key = file_key(key)
        return await self._in_thread(self._stat, key)

    async def read_range(self, key: str, start: int, length: int, etag: str | None = None) -> bytes:
        key = file_key(key)
        check_range(start, length)

        def read() -> bytes:
            with self._open(key) as stream:
                stream.seek(start)
                return self._read(key, stream, length)

        return await self._in_thread(read)

    async def stream(self, key: str, chunk_size: int = 1 << 20) -> AsyncGenerator[bytes, None]:
        key = file_key(key)
        stream = await self._in_thread(self._open, key)
        try:
            while chunk := await self._in_thread(self._read, key, stream, max(1, chunk_size)):
                yield chunk
        finally:
            stream.close()  # also when the consumer stops early or is cancelled

    async def _in_thread(self, function: Callable[..., _T], *args: Any) -> _T:
        try:
            return await asyncio.wait_for(asyncio.to_thread(function, *args), TIMEOUT)
        except asyncio.TimeoutError:
            raise AirlockError(
                "source-unreachable",
                f"the folder {self.root} gave no answer within {TIMEOUT:g} s: the mount may be "
                "stale; ask the admin to check it",
                504,
            ) from None

    def _real_root(self) -> str:
        try:
            mode = os.stat(self.root).st_mode
        except (FileNotFoundError, NotADirectoryError):
            raise AirlockError(
                "source-not-found",
                f"the folder {self.root} does not exist: is the exchange medium mounted, and is "
                "the source's path right?",
                404,
            ) from None
        except OSError as exc:
            raise self._os_error(exc, "") from exc
        if not stat.S_ISDIR(mode):
            raise AirlockError(
                "source-not-found",
                f"{self.root} is not a folder: point the source's path at the folder of "
                "transferred files",
                404,
            )
        return os.path.realpath(self.root)

    def _resolve(self, key: str) -> str:
        """The real path ``key`` leads to; refused when a symbolic link leads out of the root."""
        root = self._real_root()
        target = os.path.realpath(os.path.join(root, *key.split("/")))
        if not _inside(target, root):
            raise AirlockError(
                "outside-source",
                f"{key} leads outside the folder {self.root} through a symbolic link: it "
                "cannot be read from this source",
                403,
            )
        return target

    def _list(self, folder: str, after: Item | None, limit: int, starting: str) -> Page:
        root = self._real_root()
        directory = self._resolve(folder) if folder else root
        try:
            listing = self._listing(directory, root)
        except (FileNotFoundError, NotADirectoryError):
            raise AirlockError(
                "not-found",
                f"the folder {folder} does not exist in {self.root}: it may have been moved or "
                "deleted; refresh the listing",
                404,
            ) from None
        except OSError as exc:
            raise self._os_error(exc, folder) from exc
        page = listing.page(after, limit + 1, starting)
        next_token = _encode_token(page[limit - 1]) if len(page) > limit else None
        folders: list[str] = []
        entries: list[Entry] = []
        for kind, name in page[:limit]:
            path = os.path.join(directory, name)
            if name in listing.links and not _inside(os.path.realpath(path), root):
                continue  # a link that has since been pointed out of the root
            if not kind:
                folders.append(f"{folder}{name}/")
                continue
            # Sizes and dates are read now: a file rewritten in place leaves the listing as is.
            try:
                info = os.stat(path)
            except OSError:
                continue  # removed since the scan
            if stat.S_ISREG(info.st_mode):
                entries.append(_entry(folder + name, info))
        return Page(prefix=folder, folders=folders, entries=entries, next_token=next_token)

    def _listing(self, directory: str, root: str) -> Listing:
        """The directory's sorted listing: the kept one while the directory is unchanged
        (one stat tells), else a fresh scan."""
        stated = time.time_ns()
        stamp = stamp_of(os.stat(directory))
        listing = self._listings.get(directory, stamp)
        if listing is None:
            with os.scandir(directory) as scan:
                listing = Listing.of(stamp, _items(scan, root))
            self._listings.keep(directory, listing, stated)
        return listing

    def _stat(self, key: str) -> Entry:
        return _entry(key, self._file_info(key, self._resolve(key)))

    def _file_info(self, key: str, path: str) -> os.stat_result:
        try:
            info = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            raise AirlockError(
                "not-found",
                f"{key} does not exist in {self.root}: it may have been moved or deleted; "
                "refresh the listing",
                404,
            ) from None
        except OSError as exc:
            raise self._os_error(exc, key) from exc
        if not stat.S_ISREG(info.st_mode):
            what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise AirlockError(
                "not-a-file", f"{key} in {self.root} is {what}: pick a file instead", 400
            )
        return info

    def _open(self, key: str) -> IO[bytes]:
        path = self._resolve(key)
        self._file_info(key, path)  # refuses folders, FIFOs (which would block) and devices

        def no_follow(name: str, flags: int) -> int:
            # The resolved path has no links left: one appearing since the check is refused.
            return os.open(name, flags | getattr(os, "O_NOFOLLOW", 0))

        try:
            return open(path, "rb", opener=no_follow)  # the callers close it
        except OSError as exc:
            raise self._os_error(exc, key) from exc

    def _read(self, key: str, stream: IO[bytes], size: int) -> bytes:
        try:
            return stream.read(size)
        except OSError as exc:
            raise self._os_error(exc, key) from exc

    def _os_error(self, exc: OSError, key: str) -> AirlockError:
        where = self.root / key if key else self.root
        if isinstance(exc, PermissionError):
            return AirlockError(
                "access-denied",
                f"the server's user may not read {where}: ask the admin for read access",
                403,
            )
        return AirlockError(
            "source-error",
            f"reading {where} failed ({exc.strerror or exc}): check that the folder is still "
            "mounted",
            502,
        )


def _items(scan: Iterator[os.DirEntry[str]], root: str) -> Iterator[tuple[Item, bool]]:
    """The listable items of a directory scan, each with whether it is a symbolic link."""
    for item in scan:
        try:
            # A name no clean key can address (backslash, not UTF-8...) could not be read back.
            if clean_key(item.name) != item.name:
                continue
        except AirlockError:
            continue
        link = item.is_symlink()
        if link and not _inside(os.path.realpath(item.path), root):
            continue
        try:
            # These follow symbolic links; a broken link is neither. FIFOs, sockets and
            # devices are not offered.
            kind = 0 if item.is_dir() else 1 if item.is_file() else None
        except OSError:
            continue
        if kind is not None:
            yield (kind, item.name), link


def _entry(key: str, info: os.stat_result) -> Entry:
    modified = datetime.datetime.fromtimestamp(info.st_mtime, tz=datetime.timezone.utc)
    return Entry(
        key=key,
        name=key.rsplit("/", 1)[-1],
        size=info.st_size,
        modified=iso_utc(modified),
        etag=None,
    )


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _encode_token(item: Item) -> str:
    kind, name = item
    return base64.urlsafe_b64encode(f"{kind}/{name}".encode()).decode("ascii")


def _decode_token(token: str) -> Item:
    try:
        kind, _, name = base64.urlsafe_b64decode(token.encode("ascii")).decode().partition("/")
        if kind in ("0", "1") and name:
            return (int(kind), name)
    except (UnicodeError, binascii.Error, ValueError):
        pass
    raise AirlockError(
        "invalid-token",
        "the page token is not valid for this folder: reload the listing from the start",
        400,
    )
