"""A content-addressed cache of files fetched from the artifact source.

Each file is kept once, under its sha256 (``blobs/ab/abcdef…``), whatever its name or
folder in the bucket; installs, the package index and roll-backs all read from here, so a
file crosses the network once. Fetches stream to a temporary name while hashing, are checked
against the manifest's sha256 when there is one, and only then take their final name.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .atomic import write_atomic
from .errors import AirlockError
from .sources import Entry, Source
from .transfers import receive
from .trust.manifests import ManifestEntry, Sha256Verifier

_REFS = "refs.json"


@dataclass
class FetchCounter:
    """What crossed the network since the server started: whole files fetched into the
    cache, and the ranged reads that took a wheel's metadata without fetching it."""

    files: int = 0
    bytes: int = 0
    ranged_reads: int = 0
    ranged_bytes: int = 0


class ContentCache:
    """Files by sha256 under ``root``; which source object gave which sha256 is remembered."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.fetched = FetchCounter()
        # (source, key, etag) -> sha256, kept on disk so a restart does not refetch.
        self._refs: dict[str, str] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        # Fetches run at once (a plan's closure): the refs are saved one write at a time,
        # and one write covers every change made before it started.
        self._saving = asyncio.Lock()
        self._unsaved = False
        with contextlib.suppress(OSError, ValueError):
            loaded = json.loads((root / _REFS).read_text("utf-8"))
            if isinstance(loaded, dict):
                self._refs = {str(key): str(value) for key, value in loaded.items()}

    def path(self, sha256: str) -> Path:
        return self.root / "blobs" / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def known(self, source: Source, entry: Entry) -> str | None:
        """The sha256 of ``entry`` if it is in the cache already."""
        sha256 = self._refs.get(_ref(source, entry))
        return sha256 if sha256 and self.has(sha256) else None

    async def fetch(
        self, source: Source, entry: Entry, expected: ManifestEntry | None = None
    ) -> tuple[Path, str]:
        """The cached file of ``entry`` and its sha256, fetched first if need be.

        With ``expected`` (the manifest's word), a cached copy is found without touching
        the source and a fetched one must match it, else ``checksum-mismatch`` (422) and
        nothing is kept.
        """
        if expected is not None and self.has(expected.sha256):
            return self.path(expected.sha256), expected.sha256
        ref = _ref(source, entry)
        async with self._locks.setdefault(ref, asyncio.Lock()):
            known = self.known(source, entry)
            if known is not None and (expected is None or expected.sha256 == known):
                return self.path(known), known
            sha256 = await self._download(source, entry, expected)
            self._refs[ref] = sha256
            await self._save_refs()
            return self.path(sha256), sha256

    async def _download(self, source: Source, entry: Entry, expected: ManifestEntry | None) -> str:
        incoming = self.root / "incoming"
        await asyncio.to_thread(incoming.mkdir, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=incoming, prefix=".fetch-")
        verifier = Sha256Verifier(entry.key)
        try:
            with os.fdopen(handle, "wb") as out:
                await receive(source, entry, out, verifier, lambda _: None)
            self.fetched.files += 1
            self.fetched.bytes += verifier.size
            if verifier.size != entry.size:
                raise AirlockError(
                    "transfer-broken",
                    f"The transfer of {entry.key} stopped after {verifier.size} of "
                    f"{entry.size} bytes; nothing was kept. Try again.",
                    502,
                )
            if expected is not None:
                verifier.check(expected)
            sha256 = verifier.hexdigest()
            final = self.path(sha256)
            await asyncio.to_thread(final.parent.mkdir, parents=True, exist_ok=True)
            os.replace(temporary, final)
            return sha256
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)

    async def _save_refs(self) -> None:
        """Return once the refs, as they are now, are on disk."""
        self._unsaved = True
        async with self._saving:
            if not self._unsaved:
                return  # the write before this one started after the change
            self._unsaved = False
            data = json.dumps(self._refs).encode("utf-8")
            await asyncio.to_thread(write_atomic, self.root / _REFS, data)


def _ref(source: Source, entry: Entry) -> str:
    return json.dumps([source.describe(), entry.key, entry.etag, entry.size])
