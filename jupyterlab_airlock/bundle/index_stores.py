"""Where the index's documents are written: beside the files of a folder or of an S3 prefix.

A folder gets each document atomically (readers see the old one or the new one), made
durable all at once before the manifest that lists them (one sync, not one per page: a
fsync per page made 10,000 pages take 50 s); S3 gets each with its exact content type,
which uv and pip go by.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import botocore.exceptions as boto_errors
from boto3.exceptions import Boto3Error

from ..atomic import write_atomic
from ..errors import AirlockError
from ..package_index.documents import MANIFEST
from ..package_index.layout import INDEX_FOLDER, PLAIN_JSON
from ..s3_write import s3_client
from ..secrets import redact


class Store(ABC):
    """Writes the documents of ``.airlock-index/`` (paths are relative to it)."""

    @abstractmethod
    async def put(self, path: str, data: bytes, content_type: str) -> None: ...

    @abstractmethod
    def describe(self) -> str: ...

    @abstractmethod
    async def put_manifest(self, data: bytes, replacing: str | None) -> None:
        """Write the manifest over the one whose etag is ``replacing`` (None: over none);
        ``index-conflict`` when another writer's replaced it meanwhile, where the store can
        tell (S3's conditional PUT)."""

    @abstractmethod
    async def settle(self) -> None:
        """Every document put so far is durable: the manifest that lists them comes next."""


class FolderStore(Store):
    def __init__(self, root: Path) -> None:
        self.root = root / INDEX_FOLDER.rstrip("/")

    async def put(self, path: str, data: bytes, content_type: str) -> None:
        target = self.root / path
        try:
            # Readable by every user of the exchange medium, as the files beside it are
            # (write_atomic would make missing folders owner-only).
            await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
            if path == MANIFEST:
                await asyncio.to_thread(write_atomic, target, data, 0o644)
            else:
                await asyncio.to_thread(_replace, target, data)
        except OSError as error:
            raise AirlockError(
                "index-write-failed",
                f"{self.root / path} cannot be written ({error.strerror or error}): the index "
                "needs write access to the folder.",
                403,
            ) from None

    async def put_manifest(self, data: bytes, replacing: str | None) -> None:
        # A folder has no conditional write: the writer's check of the serial just before
        # is the guard.
        await self.put(MANIFEST, data, PLAIN_JSON)

    async def settle(self) -> None:
        await asyncio.to_thread(os.sync)

    def describe(self) -> str:
        return str(self.root)


def _replace(target: Path, data: bytes) -> None:
    """``target`` replaced whole by ``data`` (not yet durable: see ``settle``)."""
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


class S3Store(Store):
    def __init__(
        self, bucket: str, prefix: str, endpoint_url: str | None, aws_profile: str | None
    ) -> None:
        self.bucket = bucket
        self.base = (f"{prefix}/" if prefix else "") + INDEX_FOLDER
        self.endpoint_url = endpoint_url
        self._profile = aws_profile
        self._client: Any = None

    async def put(self, path: str, data: bytes, content_type: str, **condition: str) -> None:
        try:
            if self._client is None:
                self._client = await asyncio.to_thread(s3_client, self.endpoint_url, self._profile)
            await asyncio.to_thread(
                self._client.put_object,
                Bucket=self.bucket,
                Key=self.base + path,
                Body=data,
                ContentType=content_type,
                **condition,
            )
        except boto_errors.ClientError as error:
            if error.response.get("Error", {}).get("Code") in _CONFLICT:
                raise conflict(self.describe() + MANIFEST) from None
            raise self._failed(path, error) from None
        except (boto_errors.BotoCoreError, Boto3Error) as error:
            raise self._failed(path, error) from None

    async def put_manifest(self, data: bytes, replacing: str | None) -> None:
        # Conditional: only over the manifest this writer started from (none: only if
        # there is still none).
        condition = {"IfMatch": replacing} if replacing else {"IfNoneMatch": "*"}
        await self.put(MANIFEST, data, PLAIN_JSON, **condition)

    async def settle(self) -> None:
        """Nothing to do: an object is durable once its PUT is answered."""

    def _failed(self, path: str, error: Exception) -> AirlockError:
        return AirlockError(
            "index-write-failed",
            f"{self.describe()}{path} cannot be written ({redact(str(error))}): the index "
            "needs s3:PutObject on the prefix.",
            502,
        )

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.base}"


def conflict(where: str) -> AirlockError:
    return AirlockError(
        "index-conflict",
        f"Another 'jupyter airlock index' wrote {where} while this one ran; this run's index "
        "was not published. Run it again once the other has finished.",
        409,
    )


# S3's answer when a conditional PUT's condition does not hold.
_CONFLICT = ("PreconditionFailed", "412", "ConditionalRequestConflict")
