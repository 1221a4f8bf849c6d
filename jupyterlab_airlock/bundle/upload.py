"""Uploading a bundle to the DMZ's write bucket, manifests last, never over another."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import botocore.exceptions as boto_errors
from boto3.exceptions import Boto3Error

from ..bundle_format.folder import (
    BUNDLE_JSON,
    CONDA_LOCK,
    LOCK_FILE,
    folder_manifest,
)
from ..errors import AirlockError
from ..s3_write import parse_s3_url, s3_client, s3_problem
from ..trust.manifests import MANIFEST_JSON, SHA256SUMS
from ..trust.signatures import SIGNATURE_SUFFIX
from .check import Log, quiet


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
