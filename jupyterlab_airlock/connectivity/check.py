"""Probing every endpoint of a profile, concurrently and each within a timeout.

Each probe uses the profile's own settings (``network``) and ignores the server's
environment; each failure gets its cause in plain words (``causes``).
"""

from __future__ import annotations

import asyncio
import os
import stat
import time
from collections.abc import Awaitable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit
from urllib.request import url2pathname

import boto3
import botocore.exceptions
import httpx
from botocore.config import Config

from ..secrets import redact
from .causes import (
    AWS_CHAIN_HINT,
    Answer,
    network_cause,
    s3_error_answer,
    status_cause,
    timeout_cause,
)
from .network import Network, channel_urls, network_of

# Where boto3 goes when the source names no endpoint: only used to decide about the proxy
# and to name the host in a cause.
AWS_S3_URL = "https://s3.amazonaws.com"
# What a missing page means for each kind of endpoint, appended to "... was not found".
_PIP_HINT = "check the index URL (a PyPI-style index usually ends in /simple/)"
_CONDA_HINT = "this is not a conda channel; check the channel name or URL"
_NPM_HINT = "check the registry URL"


async def check_profile(profile: dict[str, Any], timeout: float = 5.0) -> list[dict[str, Any]]:
    """Probe every endpoint of ``profile`` concurrently, each within ``timeout`` seconds.

    Returns one result per endpoint, in the order pip index, extra indexes, conda channels,
    npm registry, artifact source: ``{"endpoint", "url", "ok", "status", "latency_ms",
    "cause"}``. ``latency_ms`` is None when the endpoint did not answer at all.
    """
    net = network_of(profile, timeout)
    probes: list[Awaitable[dict[str, Any]]] = []
    pip = profile.get("pip") or {}
    if pip.get("index-url"):
        probes.append(_probe_url("pip index", pip["index-url"], "", _PIP_HINT, net))
    probes.extend(
        _probe_url("pip extra index", url, "", _PIP_HINT, net)
        for url in pip.get("extra-index-url") or []
    )
    conda = profile.get("conda") or {}
    for name in conda.get("channels") or []:
        for url in channel_urls(name, conda):
            probes.append(
                _probe_url(f"conda channel {name}", url, "/noarch/repodata.json", _CONDA_HINT, net)
            )
    npm = profile.get("npm") or {}
    if npm.get("registry"):
        probes.append(_probe_url("npm registry", npm["registry"], "", _NPM_HINT, net))
    source = profile.get("source")
    if source and source.get("kind") == "s3":
        probes.append(_probe_s3(source, net))
    elif source and source.get("kind") == "folder":
        probes.append(_probe_folder(source["path"], timeout))
    return list(await asyncio.gather(*probes))


async def _timed(
    endpoint: str, url: str, probe: Awaitable[Answer], timeout: float
) -> dict[str, Any]:
    """Run ``probe`` within ``timeout`` and shape its answer as a result."""
    started = time.perf_counter()
    try:
        answer = await asyncio.wait_for(probe, timeout)
    except asyncio.TimeoutError:
        answer = Answer(ok=False, cause=timeout_cause(timeout), answered=False)
    except Exception as exc:
        # A failure nobody foresaw (say, an endpoint boto3 cannot parse) must not sink the
        # results of the other endpoints; it still gets a one-line, redacted cause.
        answer = Answer(ok=False, cause=f"the check failed: {redact(str(exc))}", answered=False)
    latency = round((time.perf_counter() - started) * 1000, 1) if answer.answered else None
    return {
        "endpoint": endpoint,
        "url": redact(url),
        "ok": answer.ok,
        "status": answer.status,
        "latency_ms": latency,
        "cause": answer.cause,
    }


def _probe_url(
    endpoint: str, url: str, suffix: str, hint: str, net: Network
) -> Awaitable[dict[str, Any]]:
    """Probe ``url + suffix`` and report it under ``url``; ``hint`` says what a 404 means."""
    target = url.rstrip("/") + suffix if suffix else url
    parts = urlsplit(target)
    if parts.scheme == "file":
        # A local channel or index (a mounted exchange folder): the file system answers.
        probe = asyncio.to_thread(_check_local, Path(url2pathname(parts.path)), hint)
    else:
        probe = _get(target, parts, hint, net)
    return _timed(endpoint, url, probe, net.timeout)


def _check_local(path: Path, hint: str) -> Answer:
    if not path.exists():
        return Answer(ok=False, cause=f"{path} does not exist: {hint}")
    if not os.access(path, os.R_OK):
        return Answer(ok=False, cause=f"{path} cannot be read by the server's user: {hint}")
    return Answer(ok=True)


async def _get(url: str, parts: SplitResult, hint: str, net: Network) -> Answer:
    if parts.scheme == "https" and net.tls_problem:
        return Answer(ok=False, cause=net.tls_problem, answered=False)
    proxy = net.proxy_for(parts)
    # Credentials in the URL win over netrc, as in pip; httpx would do the opposite.
    auth = None if parts.username else net.netrc
    try:
        async with (
            httpx.AsyncClient(
                verify=net.tls, proxy=proxy, auth=auth, trust_env=False, follow_redirects=True
            ) as client,
            # Streamed and never read: an index page or repodata.json can be hundreds of MB.
            client.stream("GET", url) as response,
        ):
            status = response.status_code
    except httpx.HTTPError as exc:
        return Answer(ok=False, cause=network_cause(exc, parts, proxy, net.timeout), answered=False)
    return Answer(ok=200 <= status < 300, status=status, cause=status_cause(status, url, hint))


def _probe_s3(source: Mapping[str, Any], net: Network) -> Awaitable[dict[str, Any]]:
    bucket = source.get("bucket", "")
    prefix = source.get("prefix") or ""
    endpoint = source.get("endpoint_url") or None
    shown = f"{endpoint.rstrip('/')}/{bucket}/{prefix}" if endpoint else f"s3://{bucket}/{prefix}"
    parts = urlsplit(endpoint or AWS_S3_URL)
    proxy = net.proxy_for(parts)

    def list_one() -> int:
        session = boto3.session.Session(
            profile_name=source.get("aws_profile") or None,
            region_name=source.get("region") or None,
        )
        client = session.client(
            "s3",
            endpoint_url=endpoint,
            verify=net.ca_bundle,
            config=Config(
                connect_timeout=net.timeout,
                read_timeout=net.timeout,
                retries={"max_attempts": 1},
                # An empty mapping, not None: None would make botocore read HTTP(S)_PROXY.
                proxies={parts.scheme: proxy} if proxy else {},
            ),
        )
        # Needs only s3:ListBucket on the prefix, the least a reader of the bucket has.
        response = client.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
        status: int = response["ResponseMetadata"]["HTTPStatusCode"]
        return status

    async def probe() -> Answer:
        if parts.scheme == "https" and net.tls_problem:
            return Answer(ok=False, cause=net.tls_problem, answered=False)
        try:
            # boto3 blocks: a thread keeps the server's event loop free meanwhile.
            status = await asyncio.to_thread(list_one)
        except botocore.exceptions.ClientError as exc:
            return s3_error_answer(exc, bucket, shown)
        except (
            botocore.exceptions.NoCredentialsError,
            botocore.exceptions.PartialCredentialsError,
        ):
            return Answer(
                ok=False,
                cause="no complete AWS credentials were found: " + AWS_CHAIN_HINT,
                answered=False,
            )
        except botocore.exceptions.ProfileNotFound:
            return Answer(
                ok=False,
                cause=(
                    f"the AWS profile '{source.get('aws_profile')}' is not defined in "
                    "~/.aws/config or ~/.aws/credentials: check the source's aws_profile"
                ),
                answered=False,
            )
        except (botocore.exceptions.BotoCoreError, OSError) as exc:
            return Answer(
                ok=False, cause=network_cause(exc, parts, proxy, net.timeout), answered=False
            )
        return Answer(ok=True, status=status)

    return _timed("artifact source", shown, probe(), net.timeout)


def _probe_folder(folder: str, timeout: float) -> Awaitable[dict[str, Any]]:
    path = Path(os.path.abspath(os.path.expanduser(folder)))
    # A thread, with the timeout around it: a stale network mount can hang stat() for minutes.
    return _timed("artifact source", path.as_uri(), asyncio.to_thread(_check_folder, path), timeout)


def _check_folder(path: Path) -> Answer:
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return Answer(
            ok=False,
            cause=f"the folder {path} does not exist: is the exchange medium mounted, and is "
            "the source's path right?",
        )
    except OSError as exc:
        return Answer(ok=False, cause=f"the folder {path} cannot be checked ({exc.strerror})")
    if not stat.S_ISDIR(mode):
        return Answer(
            ok=False,
            cause=f"{path} is not a folder: point the source's path at the folder of transferred "
            "files",
        )
    if not os.access(path, os.R_OK | os.X_OK):
        return Answer(
            ok=False,
            cause=f"the folder {path} cannot be read by the server's user: ask the admin for "
            "read access",
        )
    return Answer(ok=True)
