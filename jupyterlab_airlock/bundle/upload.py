"""Uploading a bundle to the DMZ's write bucket, manifests last, never over another."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions as boto_errors
from boto3.exceptions import Boto3Error

from ..errors import AirlockError, exception_chain
from ..manifests import MANIFEST_JSON, SHA256SUMS
from ..secrets import redact
from ..signatures import SIGNATURE_SUFFIX
from .check import Log, quiet
from .format import BUNDLE_JSON, CONDA_LOCK, LOCK_FILE, BundleInputError, folder_manifest

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` as (bucket, prefix without slashes at its ends)."""
    rest = url.removeprefix("s3://")
    bucket, _, prefix = rest.partition("/")
    if rest == url or not _BUCKET.fullmatch(bucket):
        raise BundleInputError(
            f"{url!r} is not where a bundle can go: give s3://<bucket>/<prefix>, e.g. "
            "s3://dmz-write/bundles."
        )
    return bucket, prefix.strip("/")


async def upload_bundle(
    folder: Path,
    url: str,
    *,
    endpoint_url: str | None = None,
    aws_profile: str | None = None,
    log: Log = quiet,
) -> list[str]:
    """Upload the bundle's files (or an environment archive's folder) to
    ``<url>/<folder name>/``; return the keys written.

    Credentials come from the AWS chain (variables, ~/.aws, ``aws_profile``). The manifests
    (then their signatures, when the bundle was signed) go last, so whoever watches the
    bucket sees a bundle as listed only once it is whole. A bundle of the same name already
    there is not overwritten.
    """
    bucket, prefix = parse_s3_url(url)
    base = f"{prefix}/{folder.name}/" if prefix else f"{folder.name}/"
    manifest = await asyncio.to_thread(folder_manifest, folder)
    last = [name for name in (CONDA_LOCK, LOCK_FILE, BUNDLE_JSON) if name in manifest.files]
    manifests = [SHA256SUMS, MANIFEST_JSON]
    signatures = [
        m + SIGNATURE_SUFFIX for m in manifests if (folder / (m + SIGNATURE_SUFFIX)).is_file()
    ]
    order = sorted(set(manifest.files) - set(last)) + last + manifests + signatures
    where = f"s3://{bucket}/{base}"
    try:
        client = await asyncio.to_thread(s3_client, endpoint_url, aws_profile)
        await asyncio.to_thread(_refuse_existing, client, bucket, base, where)
        keys = []
        for number, name in enumerate(order, start=1):
            key = base + name
            await asyncio.to_thread(client.upload_file, str(folder / name), bucket, key)
            log(f"[{number}/{len(order)}] uploaded {name}")
            keys.append(key)
    except (boto_errors.BotoCoreError, boto_errors.ClientError, Boto3Error) as error:
        raise upload_error(error, bucket, where, endpoint_url) from None
    log(f"Uploaded the bundle to {where}")
    return keys


def s3_client(endpoint_url: str | None, aws_profile: str | None) -> Any:
    session = boto3.session.Session(profile_name=aws_profile)
    return session.client("s3", endpoint_url=endpoint_url)


def _refuse_existing(client: Any, bucket: str, base: str, where: str) -> None:
    try:
        listing = client.list_objects_v2(Bucket=bucket, Prefix=base, MaxKeys=1)
    except boto_errors.ClientError as error:
        # A write-only bucket may not let us list: then there is nothing to compare with.
        if error.response.get("Error", {}).get("Code") in ("AccessDenied", "403"):
            return
        raise
    if listing.get("KeyCount", 0):
        raise AirlockError(
            "bundle-exists",
            f"{where} already holds files: give the bundle another folder name, or another "
            "prefix; nothing was uploaded.",
            409,
        )


def upload_error(
    error: BaseException, bucket: str, where: str, endpoint_url: str | None
) -> AirlockError:
    return AirlockError(
        "upload-failed",
        f"The bundle could not be uploaded to {where}: {s3_problem(error, bucket, endpoint_url)}. "
        "The local bundle is whole; upload it again once this is fixed.",
        502,
    )


def s3_problem(error: BaseException, bucket: str, endpoint_url: str | None) -> str:
    """Why boto3 could not write to ``bucket``, in words (no secrets)."""
    endpoint = endpoint_url or "AWS S3"
    problem = f"{type(error).__name__}: {error}"
    for cause in exception_chain(error):
        if isinstance(cause, boto_errors.NoCredentialsError):
            problem = (
                "no AWS credentials were found: set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, use ~/.aws/credentials, or give --aws-profile"
            )
            break
        if isinstance(cause, boto_errors.ProfileNotFound):
            problem = f"there is no AWS profile {cause.kwargs.get('profile')!r} in ~/.aws"
            break
        if isinstance(cause, boto_errors.EndpointConnectionError):
            problem = f"{endpoint} cannot be reached"
            break
        if isinstance(cause, boto_errors.ClientError):
            code = cause.response.get("Error", {}).get("Code", "")
            problem = {
                "NoSuchBucket": f"there is no bucket {bucket!r} at {endpoint}",
                "AccessDenied": "the credentials may not write there (s3:PutObject)",
                "InvalidAccessKeyId": "the credentials were rejected (unknown access key)",
                "SignatureDoesNotMatch": "the credentials were rejected (wrong secret key)",
            }.get(code, f"S3 answered {code or 'an error'}: {redact(str(cause))}")
            break
    return problem
