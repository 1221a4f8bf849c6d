"""Downloading a solved conda closure on the DMZ side, each file verified as it arrives:
against the sha256 of the channel's ``repodata.json``, then against what it says it is (its
``info/index.json``). A file the environment's package cache holds at that sha256 is
copied from there instead; a ``file://`` channel's files are copied."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import httpx
from rattler import RepoDataRecord

from ..bundle_format.conda import CHANNEL_DIR, CondaPackage
from ..bundle_format.conda_check import check_archive_is
from ..errors import AirlockError
from ..offline import sha256_file
from ..secrets import redact
from .check import Log

# Package files are downloaded a few at a time: a mirror is not to be flooded.
PARALLEL_DOWNLOADS = 4
DOWNLOAD_TIMEOUT = httpx.Timeout(60.0, connect=15.0)
_CHUNK = 1024 * 1024


async def fetch_packages(
    records: Sequence[RepoDataRecord], staging: Path, cached: Mapping[str, Path], log: Log
) -> list[CondaPackage]:
    """Every record's file into ``staging/channel/<subdir>/``, verified; the first failure
    stops the others."""
    slots = asyncio.Semaphore(PARALLEL_DOWNLOADS)
    async with httpx.AsyncClient(timeout=DOWNLOAD_TIMEOUT, follow_redirects=True) as client:

        async def one(record: RepoDataRecord) -> CondaPackage:
            async with slots:
                return await _fetch(record, staging, cached.get(record.file_name), client, log)

        tasks = [asyncio.ensure_future(one(record)) for record in records]
        try:
            packages = await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
    return sorted(packages, key=lambda package: package.name)


async def _fetch(
    record: RepoDataRecord,
    staging: Path,
    cached: Path | None,
    client: httpx.AsyncClient,
    log: Log,
) -> CondaPackage:
    if record.sha256 is None:
        raise AirlockError(
            "conda-no-checksum",
            f"{record.file_name} has no sha256 in {redact(record.channel)}'s repodata.json: "
            "its download could not be verified. Nothing was bundled.",
            422,
        )
    expected = record.sha256.hex()
    relative = f"{CHANNEL_DIR}/{record.subdir}/{record.file_name}"
    destination = staging / relative
    await asyncio.to_thread(destination.parent.mkdir, parents=True, exist_ok=True)
    if cached is not None and await asyncio.to_thread(_copy_if_same, cached, destination, expected):
        log(f"{record.file_name}: taken from the environment's package cache")
    else:
        digest = await _download(client, record.url, destination)
        if digest != expected:
            destination.unlink(missing_ok=True)
            raise AirlockError(
                "checksum-mismatch",
                f"{record.file_name} downloaded from {redact(record.url)} has sha256 {digest}, "
                f"but the channel's repodata.json says {expected}: it was damaged or replaced "
                "on the way. Nothing was bundled.",
                422,
            )
        log(f"{record.file_name}: downloaded from {redact(record.channel)}")
    name, version, build = record.name.normalized, str(record.version), str(record.build)
    await asyncio.to_thread(check_archive_is, destination, name, version, build, record.subdir)
    return CondaPackage(name, version, build, record.subdir, relative, expected)


async def _download(client: httpx.AsyncClient, url: str, destination: Path) -> str:
    """Stream ``url`` into ``destination``; its sha256."""
    if url.startswith("file://"):
        return await asyncio.to_thread(_copy_local, url, destination)
    digest = hashlib.sha256()
    try:
        async with client.stream("GET", url) as response:
            if response.status_code != 200:
                raise AirlockError(
                    "download-failed",
                    f"{redact(url)} answered HTTP {response.status_code}: the package cannot "
                    "be downloaded. Nothing was bundled.",
                    502,
                )
            with destination.open("wb") as file:
                async for chunk in response.aiter_bytes(_CHUNK):
                    digest.update(chunk)
                    await asyncio.to_thread(file.write, chunk)
    except httpx.HTTPError as error:
        raise AirlockError(
            "download-failed",
            f"{redact(url)} cannot be downloaded ({type(error).__name__}: {redact(str(error))}): "
            "check the channel and the proxy variables. Nothing was bundled.",
            502,
        ) from None
    return digest.hexdigest()


def _copy_local(url: str, destination: Path) -> str:
    """A package of a channel on this machine's file system: copied; its sha256."""
    path = Path(url2pathname(urlparse(url).path))
    try:
        shutil.copyfile(path, destination)
    except OSError as error:
        raise AirlockError(
            "download-failed",
            f"{path} cannot be read ({error.strerror}): check --channel. Nothing was bundled.",
            502,
        ) from None
    return sha256_file(destination)[0]


def _copy_if_same(cached: Path, destination: Path, sha256: str) -> bool:
    """Copy ``cached`` to ``destination`` if it is the file of that ``sha256``."""
    with contextlib.suppress(OSError):
        if sha256_file(cached)[0] == sha256:
            shutil.copyfile(cached, destination)
            return True
    return False
