"""An S3-compatible read bucket (AWS S3, MinIO, Ceph...), scoped to one bucket and prefix.

Only ListObjectsV2, HeadObject and GetObject are ever sent, so credentials that may just list
and read the prefix are enough (no ListAllMyBuckets, no HeadBucket). boto3 blocks: every call
runs in a thread so the server's event loop stays free.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any, TypeVar

import boto3
import botocore.exceptions as boto_errors
from botocore.config import Config

from ..errors import BAD_GATEWAY, REFUSED_ADVICE, AirlockError, exception_chain
from ..secrets import redact
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
from .s3_pages import PAGE, Item, RawPage, ReadAheads, decode_cursor, encode_cursor, window

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 30

_T = TypeVar("_T")

_NOT_FOUND_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
# HeadObject answers without a body, so a refusal arrives as a bare "403".
_DENIED_CODES = frozenset({"AccessDenied", "403", "Forbidden", "AllAccessDisabled"})
_CREDENTIAL_CODES = frozenset(
    {"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"}
)
_REGION_CODES = frozenset({"PermanentRedirect", "AuthorizationHeaderMalformed"})
_CHAIN_HINT = (
    "check the AWS credential chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, "
    "~/.aws/credentials) or the source's aws_profile"
)


class S3Source(Source):
    """Objects under ``s3://bucket/prefix/``; keys are relative to that prefix."""

    kind = "s3"

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        aws_profile: str | None = None,
        ca_bundle: str | None = None,
    ) -> None:
        self.bucket = bucket
        try:
            # A leading '/' in a configured prefix is a common slip, not an absolute path.
            self.root = folder_prefix(prefix.lstrip("/"))
        except AirlockError as exc:
            raise AirlockError(
                "invalid-source", f"the source's prefix cannot be used: {exc.message}", 400
            ) from None
        self.endpoint_url = endpoint_url
        self.region = region
        self.aws_profile = aws_profile
        self.ca_bundle = ca_bundle
        self._endpoint_shown = redact(endpoint_url.rstrip("/")) if endpoint_url else "AWS S3"
        self._client: Any = None
        self._client_lock = threading.Lock()
        self.read_aheads = ReadAheads(self.fetch)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> S3Source:
        return cls(
            text_option(config, "bucket", required=True) or "",
            text_option(config, "prefix") or "",
            endpoint_url=text_option(config, "endpoint_url"),
            region=text_option(config, "region"),
            aws_profile=text_option(config, "aws_profile"),
            ca_bundle=text_option(config, "ca_bundle"),
        )

    async def close(self) -> None:
        await self.read_aheads.close()

    def describe(self) -> str:
        where = f"s3://{self.bucket}/{self.root}"
        return f"{where} at {self._endpoint_shown}" if self.endpoint_url else where

    async def list(
        self,
        prefix: str = "",
        token: str | None = None,
        limit: int = 1000,
        starting: str = "",
        read_ahead: bool = False,
    ) -> Page:
        folder = folder_prefix(prefix)
        if "/" in starting:
            raise AirlockError("invalid-filter", "A name filter cannot contain '/'.", 400)
        cursor = decode_cursor(token) if token else (None, 0)
        full = self.root + folder + starting
        limit = page_limit(limit)
        if read_ahead:
            raw = await self.read_aheads.page(full, cursor, limit)
        else:
            raw = await self.fetch(full, cursor[0], cursor[1] + limit)
        items, after = window(raw, cursor, limit)
        folders: list[str] = []
        entries: list[Entry] = []
        for item in items:
            rel = self._relative(item.key)
            if rel is None:
                continue
            if item.size is None:
                folders.append(rel)
            elif not rel.endswith("/"):  # a "folder marker" some tools write is no file
                entries.append(
                    Entry(rel, rel.rsplit("/", 1)[-1], item.size, item.modified, item.etag)
                )
        next_token = encode_cursor(after) if after else None
        return Page(prefix=folder, folders=folders, entries=entries, next_token=next_token)

    async def fetch(self, full: str, token: str | None, count: int) -> RawPage:
        """One ListObjectsV2 page of the folder level ``full`` (the source's root
        included), from ``token`` on."""
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Prefix": full,
            "Delimiter": "/",
            "MaxKeys": min(count, PAGE),
        }
        if token:
            params["ContinuationToken"] = token

        def ask(s3: Any) -> RawPage:
            answer = s3.list_objects_v2(**params)
            items = [
                Item(item["Prefix"], None, None, None) for item in answer.get("CommonPrefixes", [])
            ]
            items += [
                Item(
                    item["Key"],
                    int(item["Size"]),
                    iso_utc(item["LastModified"]),
                    _etag(item.get("ETag")),
                )
                for item in answer.get("Contents", [])
            ]
            # S3 counts both in one key order: a cursor's skip counts them the same way.
            items.sort(key=lambda item: item.key)
            following = answer.get("NextContinuationToken") if answer.get("IsTruncated") else None
            return RawPage(items, following)

        return await self._call(full[len(self.root) :], ask)

    async def stat(self, key: str) -> Entry:
        key = file_key(key)
        head = await self._call(
            key, lambda s3: s3.head_object(Bucket=self.bucket, Key=self.root + key)
        )
        return Entry(
            key=key,
            name=key.rsplit("/", 1)[-1],
            size=int(head["ContentLength"]),
            modified=iso_utc(head["LastModified"]) if head.get("LastModified") else None,
            etag=_etag(head.get("ETag")),
        )

    async def read_range(self, key: str, start: int, length: int, etag: str | None = None) -> bytes:
        key = file_key(key)
        check_range(start, length)
        if length == 0:
            await self.stat(key)  # still say so when the key does not exist
            return b""

        def read(s3: Any) -> bytes:
            try:
                answer = s3.get_object(
                    Bucket=self.bucket,
                    Key=self.root + key,
                    Range=f"bytes={start}-{start + length - 1}",
                    **({"IfMatch": f'"{etag}"'} if etag else {}),
                )
            except boto_errors.ClientError as exc:
                if _code(exc) == "InvalidRange":  # start is at or past the end
                    return b""
                raise
            body = answer["Body"]
            try:
                if start and answer["ResponseMetadata"]["HTTPStatusCode"] != 206:
                    raise AirlockError(
                        "source-error",
                        f"{self._endpoint_shown} ignored the byte range asked for "
                        f"s3://{self.bucket}/{self.root}{key}: previews need an S3 server that "
                        "supports ranged GETs",
                        502,
                    )
                # Never more than length bytes, even when the whole object comes back.
                data: bytes = body.read(length)
                return data
            finally:
                body.close()

        return await self._call(key, read)

    async def stream(self, key: str, chunk_size: int = 1 << 20) -> AsyncGenerator[bytes, None]:
        key = file_key(key)
        answer = await self._call(
            key, lambda s3: s3.get_object(Bucket=self.bucket, Key=self.root + key)
        )
        body = answer["Body"]
        try:
            while chunk := await self._call(key, lambda _: body.read(max(1, chunk_size))):
                yield chunk
        finally:
            # Also when the consumer stops early or is cancelled: the connection is dropped
            # instead of being drained.
            body.close()

    def _relative(self, full_key: str) -> str | None:
        """``full_key`` relative to the root, or None when no clean key can name it.

        Such objects ('a//b', 'x/../y', backslashes) could not be read back through
        ``clean_key``, so listing them would only offer errors.
        """
        if not full_key.startswith(self.root):
            return None
        rel = full_key[len(self.root) :]
        try:
            return rel if rel and clean_key(rel) == rel else None
        except AirlockError:
            return None

    def _s3(self) -> Any:
        # Created on first use (in a worker thread): building a client reads config files.
        with self._client_lock:
            if self._client is None:
                session = boto3.session.Session(profile_name=self.aws_profile)
                self._client = session.client(
                    "s3",
                    endpoint_url=self.endpoint_url,
                    region_name=self.region,
                    verify=self.ca_bundle,
                    config=Config(
                        connect_timeout=CONNECT_TIMEOUT,
                        read_timeout=READ_TIMEOUT,
                        retries={"max_attempts": 2, "mode": "standard"},
                        # MinIO and most S3-compatible servers only speak path style; AWS
                        # itself prefers virtual hosts, which "auto" picks.
                        s3={"addressing_style": "path" if self.endpoint_url else "auto"},
                    ),
                )
            return self._client

    async def _call(self, key: str, operation: Callable[[Any], _T]) -> _T:
        """``operation(client)`` in a thread, its failures turned into AirlockErrors."""
        try:
            return await asyncio.to_thread(lambda: operation(self._s3()))
        except (boto_errors.BotoCoreError, boto_errors.ClientError, OSError) as exc:
            # OSError: botocore reports an unusable CA bundle path that way.
            raise self._error(exc, key) from exc

    def _error(self, exc: BaseException, key: str) -> AirlockError:
        where = f"s3://{self.bucket}/{self.root}{key}"
        scope = f"s3://{self.bucket}/{self.root}"
        endpoint = self._endpoint_shown
        if isinstance(exc, boto_errors.ClientError):
            code = _code(exc)
            if code == "NoSuchBucket":
                return AirlockError(
                    "bucket-not-found",
                    f"bucket {self.bucket} does not exist at {endpoint}: "
                    "check the source's bucket name and endpoint",
                    404,
                )
            if code == "PreconditionFailed":  # a read of one version (etag) only
                return AirlockError(
                    "transfer-broken",
                    f"{where} was replaced at {endpoint} while it was being read: try again",
                    502,
                )
            if code in _NOT_FOUND_CODES:
                return AirlockError(
                    "not-found",
                    f"{where} does not exist at {endpoint}: it may have been moved or "
                    "deleted; refresh the listing",
                    404,
                )
            if code in _DENIED_CODES:
                return AirlockError(
                    "access-denied",
                    f"the credentials in use may not read {where} at {endpoint}: ask for "
                    f"list/read (s3:ListBucket, s3:GetObject) on {scope}",
                    403,
                )
            if code in _CREDENTIAL_CODES:
                return AirlockError(
                    "bad-credentials",
                    f"{endpoint} rejected the AWS credentials ({code}): {_CHAIN_HINT}",
                    403,
                )
            if code in _REGION_CODES:
                return AirlockError(
                    "wrong-region",
                    f"bucket {self.bucket} is in another region ({code}): set the source's "
                    "region to the bucket's region",
                    400,
                )
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            detail = redact(str(exc.response.get("Error", {}).get("Message") or code))
            return AirlockError(
                "source-error",
                f"{endpoint} refused the request for {where} (HTTP {status}, {code}): {detail}",
                502,
            )
        if isinstance(exc, (boto_errors.NoCredentialsError, boto_errors.PartialCredentialsError)):
            return AirlockError(
                "no-credentials",
                "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in "
                "the server's environment, a shared credentials file (~/.aws/credentials) or "
                "the source's aws_profile",
                403,
            )
        if isinstance(exc, boto_errors.ProfileNotFound):
            return AirlockError(
                "no-credentials",
                f"the AWS profile '{self.aws_profile}' is not defined in ~/.aws/config or "
                "~/.aws/credentials: fix the source's aws_profile or ask the admin to add it",
                403,
            )
        if isinstance(exc, boto_errors.ConnectTimeoutError):
            return _unreachable(
                f"{endpoint} gave no answer within {CONNECT_TIMEOUT} s: the host may be down "
                "or a firewall drops the traffic; check the source's endpoint_url and the proxy"
            )
        if isinstance(exc, boto_errors.ReadTimeoutError):
            return _unreachable(
                f"{endpoint} stopped answering for {READ_TIMEOUT} s while reading {where}: "
                "try again later"
            )
        if isinstance(exc, boto_errors.SSLError):
            return AirlockError(
                "tls-untrusted",
                f"the TLS certificate of {endpoint} is not trusted: set the profile's CA bundle "
                "to your corporate CA",
                502,
            )
        if isinstance(exc, boto_errors.EndpointConnectionError):
            if _caused_by(exc, ConnectionRefusedError):
                why = f"refused the connection: {REFUSED_ADVICE}"
            elif _caused_by(exc, socket.gaierror):
                why = "has a host name that cannot be resolved: check the source's endpoint_url"
            else:
                why = "cannot be reached: check the source's endpoint_url and the network"
            return _unreachable(f"{endpoint} {why}", BAD_GATEWAY)
        if isinstance(exc, (boto_errors.ResponseStreamingError, boto_errors.IncompleteReadError)):
            return AirlockError(
                "transfer-broken",
                f"the transfer of {where} from {endpoint} broke off: try again",
                502,
            )
        return AirlockError(
            "source-error",
            f"reading {where} from {endpoint} failed: {redact(str(exc))}",
            502,
        )


def _code(exc: boto_errors.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _etag(value: str | None) -> str | None:
    return value.strip('"') if value else None


def _unreachable(message: str, status: int = 504) -> AirlockError:
    """504 when the source gave no answer in time, 502 when it cannot be reached at all (an
    outage, which the Jupyter server then logs in one line, without the request headers)."""
    return AirlockError("source-unreachable", message, status)


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    return any(isinstance(link, kind) for link in exception_chain(exc))
