"""What every artifact source offers: one folder level at a time, stat, ranged and streamed reads.

Keys are relative to the source's root and '/'-separated, whatever the kind of source; a key
is cleaned by :func:`clean_key` before it goes anywhere, so no source can be walked out of.
"""

from __future__ import annotations

import datetime
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import AirlockError

MAX_KEY_BYTES = 1024  # S3's own limit; a longer key cannot name an object anywhere
MAX_PAGE = 1000  # S3's largest page


@dataclass(frozen=True)
class Entry:
    """A file in a source. ``key`` is relative to the source's root."""

    key: str
    name: str
    size: int
    modified: str | None  # ISO 8601, UTC
    etag: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "size": self.size,
            "modified": self.modified,
            "etag": self.etag,
        }


@dataclass(frozen=True)
class Page:
    """One page of one folder level: sub-folders (keys ending in '/') and files."""

    prefix: str
    folders: list[str]
    entries: list[Entry]
    next_token: str | None  # pass back to ``Source.list`` for the next page; None at the end

    def to_json(self) -> dict[str, Any]:
        return {
            "prefix": self.prefix,
            "folders": list(self.folders),
            "entries": [entry.to_json() for entry in self.entries],
            "next_token": self.next_token,
        }


class Source(ABC):
    """A read-only tree of files: an S3 bucket prefix or a local/mounted folder."""

    kind: ClassVar[str]

    @abstractmethod
    def describe(self) -> str:
        """Where the files come from, for messages and the UI (no credentials in it)."""

    @abstractmethod
    async def list(
        self,
        prefix: str = "",
        token: str | None = None,
        limit: int = 1000,
        starting: str = "",
        read_ahead: bool = False,
    ) -> Page:
        """One page of the folder level under ``prefix``; ``token`` continues a listing.

        ``starting`` keeps only the names that start with it (the panel's filter): a bucket
        can narrow by key prefix itself, so even a huge folder filters at once.
        ``read_ahead``: a reader will ask for the next pages soon (a panel being scrolled),
        so a source whose pages come one after another may fetch them ahead; the pages and
        tokens are the same either way.
        """

    @abstractmethod
    async def stat(self, key: str) -> Entry:
        """The file ``key``; AirlockError 404 if it does not exist."""

    @abstractmethod
    async def read_range(self, key: str, start: int, length: int, etag: str | None = None) -> bytes:
        """At most ``length`` bytes of ``key`` from offset ``start`` (fewer at the end).

        ``etag``: only from this version of ``key`` (a transfer reading it in pieces), else
        AirlockError("transfer-broken", 502); sources without etags ignore it.
        """

    @abstractmethod
    def stream(self, key: str, chunk_size: int = 1 << 20) -> AsyncGenerator[bytes, None]:
        """The content of ``key`` in chunks of at most ``chunk_size``, in constant memory.

        Errors (a missing key...) surface on the first iteration. Closing the generator
        early releases the file or connection: consume it inside ``contextlib.aclosing`` so
        that this also happens when the consumer stops or is cancelled (hence a generator,
        not just an iterator).
        """

    async def close(self) -> None:  # noqa: B027 - most sources do nothing in the background
        """Stop what the source does in the background (the server stops)."""


def clean_key(key: str) -> str:
    """``key`` with '//' and '.' segments collapsed; a trailing '/' (a folder) is kept.

    Refuses what could leave the source's root or mean different things to S3 and to a file
    system: '..' segments, absolute paths, backslashes, NUL, keys over 1024 bytes.
    """
    if "\0" in key:
        raise _invalid(key, "contains a NUL character")
    if "\\" in key:
        raise _invalid(key, "contains a backslash; keys use '/' between folders")
    if key.startswith("/"):
        raise _invalid(key, "is an absolute path; give it relative to the source's root")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise _invalid(key, "is not valid UTF-8") from None
    if size > MAX_KEY_BYTES:
        raise _invalid(key, f"is longer than {MAX_KEY_BYTES} bytes")
    parts = [part for part in key.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise _invalid(key, "contains a '..' segment, which would leave the source")
    cleaned = "/".join(parts)
    return cleaned + "/" if cleaned and key.endswith("/") else cleaned


def folder_prefix(prefix: str) -> str:
    """``prefix`` cleaned, as a folder: '' for the root, else ending in '/'."""
    cleaned = clean_key(prefix)
    return cleaned if not cleaned or cleaned.endswith("/") else cleaned + "/"


def file_key(key: str) -> str:
    """``key`` cleaned, refused if it names the root or a folder rather than a file."""
    cleaned = clean_key(key)
    if not cleaned or cleaned.endswith("/"):
        raise AirlockError(
            "invalid-key",
            f"'{key}' names a folder, not a file: pick a file inside it",
            400,
        )
    return cleaned


def check_range(start: int, length: int) -> None:
    if start < 0 or length < 0:
        raise AirlockError(
            "invalid-range",
            f"cannot read {length} bytes from offset {start}: both must be 0 or more",
            400,
        )


def page_limit(limit: int, most: int = MAX_PAGE) -> int:
    return max(1, min(limit, most))


def iso_utc(moment: datetime.datetime) -> str:
    """``moment`` in ISO 8601 UTC, to the second (what S3's Last-Modified header carries)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    utc = moment.astimezone(datetime.timezone.utc).replace(microsecond=0)
    return utc.isoformat().replace("+00:00", "Z")


def text_option(config: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    """The string option ``name`` of a source's configuration; '' counts as not given."""
    value = config.get(name)
    if value is None or value == "":
        if required:
            raise AirlockError(
                "invalid-source",
                f"the {config.get('kind')} artifact source needs '{name}': add it to the "
                "profile's source",
                400,
            )
        return None
    if not isinstance(value, str):
        raise AirlockError(
            "invalid-source",
            f"the artifact source's '{name}' must be a string, not {type(value).__name__}",
            400,
        )
    return value


def _invalid(key: str, why: str) -> AirlockError:
    shown = key if len(key) <= 200 else key[:200] + "…"
    return AirlockError("invalid-key", f"the key {shown!r} {why}", 400)
