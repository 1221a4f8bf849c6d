"""The scanner's step: signing a folder's manifests, in a local folder or an S3 prefix, and
checking a bundle's signatures against the admin's trusted signers.

A signature names the folder it vouches for, as Airlock sees it: relative to the artifact
source's root (the profile's folder, or its bucket and prefix), ending in "/" ("" for the
root). ``signatures`` writes that name into the manifest before ``ssh-keygen`` signs it.

With ``index``, the folder's static index is written first (``index_writer``) and its
manifest signed too, for ``<folder>.airlock-index/``.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import botocore.exceptions as boto_errors
from boto3.exceptions import Boto3Error

from ..bundle_format.folder import BundleInputError
from ..errors import AirlockError
from ..package_index.layout import INDEX_FOLDER
from ..s3_write import parse_s3_url, s3_client
from ..trust.manifests import MANIFEST_JSON, SHA256SUMS
from ..trust.signatures import SIGNATURE_SUFFIX, TrustedSigners, sign, signed_folder
from .check import Log, quiet
from .index_cli import index_source, report
from .upload import upload_error

MANIFESTS = (SHA256SUMS, MANIFEST_JSON)


def folder_name(name: str) -> str:
    """``name`` as a folder of the source: no leading "/", a trailing one ("" stays "")."""
    stripped = name.strip("/")
    if ".." in stripped.split("/"):
        raise BundleInputError(f"{name!r} is no folder of the source: it leaves its root (..).")
    return stripped + "/" if stripped else ""


async def sign_folder(
    folder: Path, key: Path, name: str, log: Log = quiet, index: bool = False
) -> list[Path]:
    """Sign the manifests of local ``folder`` for source folder ``name`` (with ``index``,
    its static index written first, then its manifest too); the ``.sig`` files written."""
    found = [folder / manifest for manifest in MANIFESTS if (folder / manifest).is_file()]
    if index:
        empty = None if found else _nothing(str(folder))
        report(await index_source(str(folder), empty=empty, say=log), log)
        signed = await sign_folder(folder / INDEX_FOLDER, key, name + INDEX_FOLDER, log)
        return signed + (await sign_folder(folder, key, name, log) if found else [])
    if not found:
        raise AirlockError("no-manifest", _nothing(str(folder)), 422)
    signed = []
    for manifest in found:
        signed.append(await sign(manifest, key, name))
        log(f"Signed {manifest} for folder '{name}' ({manifest.name}{SIGNATURE_SUFFIX})")
    return signed


async def sign_s3(
    url: str,
    key: Path,
    name: str,
    *,
    endpoint_url: str | None = None,
    aws_profile: str | None = None,
    log: Log = quiet,
    index: bool = False,
) -> list[str]:
    """Sign the manifests under ``s3://bucket/prefix/``: each is downloaded, named and
    signed here, then uploaded with its signature (with ``index``, the static index is
    written first and signed too). The keys written."""
    written: list[str] = []
    bucket, prefix = parse_s3_url(url)
    base = f"{prefix}/" if prefix else ""
    where = f"s3://{bucket}/{base}"
    try:
        client = await asyncio.to_thread(s3_client, endpoint_url, aws_profile)
        with tempfile.TemporaryDirectory(prefix="airlock-sign-") as scratch:
            local = Path(scratch)
            for wanted in MANIFESTS:
                try:
                    await asyncio.to_thread(
                        client.download_file, bucket, base + wanted, str(local / wanted)
                    )
                except boto_errors.ClientError as error:
                    if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                        continue
                    raise
            found = any((local / wanted).is_file() for wanted in MANIFESTS)
            if index:
                empty = None if found else _nothing(where)
                indexed = await index_source(
                    url, endpoint_url=endpoint_url, aws_profile=aws_profile, empty=empty, say=log
                )
                report(indexed, log)
                written += await sign_s3(
                    url.rstrip("/") + "/" + INDEX_FOLDER,
                    key,
                    name + INDEX_FOLDER,
                    endpoint_url=endpoint_url,
                    aws_profile=aws_profile,
                    log=log,
                )
            if index and not found:
                return written  # the index was the folder's only manifest
            for signature in await sign_folder(local, key, name):
                manifest = signature.with_suffix("")
                # The manifest first: a reader never sees a new signature of old bytes.
                for path in (manifest, signature):
                    await asyncio.to_thread(client.upload_file, str(path), bucket, base + path.name)
                    written.append(base + path.name)
    except (boto_errors.BotoCoreError, boto_errors.ClientError, Boto3Error) as error:
        raise upload_error(error, bucket, where, endpoint_url) from None
    log(f"Uploaded {len(written)} file(s) to {where}")
    return written


def _nothing(where: str) -> str:
    return (
        f"{where} has neither {SHA256SUMS} nor {MANIFEST_JSON}, nor package files to index: "
        "there is nothing to sign."
    )


async def check_signatures(folder: Path, trusted: Path, name: str | None = None) -> list[str]:
    """Check the signatures of a bundle's manifests against allowed_signers ``trusted``:
    for source folder ``name``, or the one each signature names. One line a manifest;
    ``AirlockError("bad-signature")`` when one is missing or bad."""
    signers = TrustedSigners(str(trusted))
    said = []
    for manifest in MANIFESTS:
        path = folder / manifest
        if not path.is_file():
            continue
        data = await asyncio.to_thread(path.read_bytes)
        signature_path = path.with_name(manifest + SIGNATURE_SUFFIX)
        signature = signature_path.read_bytes() if signature_path.is_file() else None
        expected = name if name is not None else (signed_folder(data, manifest) or "")
        checked = await signers.check(data, signature, manifest, expected)
        if checked.state != "signed":
            why = checked.reason or f"there is no {signature_path.name}"
            raise AirlockError("bad-signature", f"{path} is not validly signed: {why}.", 422)
        said.append(f"{manifest}: signed by {checked.principal} for folder '{expected}'")
    return said
