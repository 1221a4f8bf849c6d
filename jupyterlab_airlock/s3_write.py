"""Writing to an S3 prefix, as the DMZ's uploads and index and the air gap's requests do:
where (``s3://bucket/prefix``), with which client (boto3's credential chain, an optional
profile and endpoint), and why a write failed, in words without secrets."""

from __future__ import annotations

import re
from typing import Any

import boto3
import botocore.exceptions as boto_errors

from .bundle_format.folder import BundleInputError
from .errors import exception_chain
from .secrets import redact

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


def s3_client(endpoint_url: str | None, aws_profile: str | None) -> Any:
    session = boto3.session.Session(profile_name=aws_profile)
    return session.client("s3", endpoint_url=endpoint_url)


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
