"""Check connectivity: probe every endpoint of a mirror profile and say why one fails.

Each probe uses the profile's own settings (CA bundle, proxy, no_proxy) and ignores the
server's environment, so the answer is about the profile, not about the process that
happens to run the check. Causes are written for the data scientist: what failed, on which
host, and what to change. This module has no web framework in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import netrc
import os
import socket
import ssl
import stat
import time
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import SplitResult, urlsplit
from urllib.request import url2pathname

import boto3
import botocore.exceptions
import httpx
from botocore.config import Config

from .errors import exception_chain
from .secrets import redact

# What conda uses for a bare channel name when no channel_alias is configured.
DEFAULT_CHANNEL_ALIAS = "https://conda.anaconda.org"
# conda's built-in meaning of the "defaults" channel when the profile has no default_channels.
DEFAULT_CHANNELS = ("https://repo.anaconda.com/pkgs/main", "https://repo.anaconda.com/pkgs/r")
# Where boto3 goes when the source names no endpoint: only used to decide about the proxy
# and to name the host in a cause.
AWS_S3_URL = "https://s3.amazonaws.com"

# OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH: the certificate is trusted but names another host.
_HOSTNAME_MISMATCH = 62
_S3_CREDENTIAL_CODES = frozenset(
    {"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"}
)
_S3_REGION_CODES = frozenset({"PermanentRedirect", "AuthorizationHeaderMalformed"})
# What a missing page means for each kind of endpoint, appended to "... was not found".
_PIP_HINT = "check the index URL (a PyPI-style index usually ends in /simple/)"
_CONDA_HINT = "this is not a conda channel; check the channel name or URL"
_NPM_HINT = "check the registry URL"
_AWS_CHAIN_HINT = (
    "check the AWS credential chain (environment, ~/.aws/credentials, the source's aws_profile)"
)
_E = TypeVar("_E", bound=BaseException)


@dataclass(frozen=True)
class _Answer:
    """What one probe found; ``answered`` says whether the endpoint replied at all."""

    ok: bool
    status: int | None = None
    cause: str | None = None
    answered: bool = True


@dataclass(frozen=True)
class _Network:
    """The profile's TLS and proxy settings, resolved once for all its probes."""

    tls: ssl.SSLContext
    tls_problem: str | None  # set when the profile's CA bundle cannot be loaded
    ca_bundle: str | None
    proxy: Mapping[str, str]
    no_proxy: tuple[str, ...]
    netrc: httpx.Auth | None
    timeout: float

    def proxy_for(self, url: SplitResult) -> str | None:
        if _bypasses_proxy(url.hostname or "", self.no_proxy):
            return None
        return self.proxy.get(url.scheme)


async def check_profile(profile: dict[str, Any], timeout: float = 5.0) -> list[dict[str, Any]]:
    """Probe every endpoint of ``profile`` concurrently, each within ``timeout`` seconds.

    Returns one result per endpoint, in the order pip index, extra indexes, conda channels,
    npm registry, artifact source: ``{"endpoint", "url", "ok", "status", "latency_ms",
    "cause"}``. ``latency_ms`` is None when the endpoint did not answer at all.
    """
    net = _network(profile, timeout)
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
        for url in _channel_urls(name, conda):
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


def _network(profile: Mapping[str, Any], timeout: float) -> _Network:
    ca_bundle = profile.get("ca_bundle") or None
    tls_problem = None
    try:
        # cafile replaces the system store, as pip's `cert` does: the check sees what pip sees.
        tls = ssl.create_default_context(cafile=ca_bundle)
    except OSError as exc:  # ssl.SSLError is an OSError too
        reason = getattr(exc, "reason", None) or exc.strerror or str(exc)
        tls_problem = (
            f"the profile's CA bundle {ca_bundle} cannot be used ({reason}): "
            "point it at a PEM file holding your corporate CA"
        )
        # Plain-http endpoints can still be checked; https ones report the problem above.
        tls = ssl.create_default_context()
    proxy = profile.get("proxy") or {}
    return _Network(
        tls=tls,
        tls_problem=tls_problem,
        ca_bundle=ca_bundle,
        proxy={scheme: proxy[scheme] for scheme in ("http", "https") if proxy.get(scheme)},
        no_proxy=tuple(proxy.get("no_proxy") or ()),
        netrc=_netrc_auth(),
        timeout=timeout,
    )


def _netrc_auth() -> httpx.Auth | None:
    """Credentials from netrc, where pip and conda (through requests) find them too.

    ``trust_env=False`` keeps httpx from reading netrc by itself, so it is read here;
    a missing or broken file means no credentials, as for pip.
    """
    path = os.environ.get("NETRC") or os.path.expanduser("~/.netrc")
    try:
        return httpx.NetRCAuth(path)
    except (OSError, netrc.NetrcParseError):
        return None


def _channel_urls(name: str, conda: Mapping[str, Any]) -> list[str]:
    """The base URL(s) conda reads channel ``name`` from, under the profile's settings."""
    if "://" in name:
        return [name.rstrip("/")]
    if name == "defaults":
        defaults = conda.get("default_channels") or DEFAULT_CHANNELS
        return [url for entry in defaults for url in _channel_urls(entry, conda)]
    custom: Mapping[str, str] = conda.get("custom_channels") or {}
    # conda matches custom channels by name prefix, the longest first ("a/b" before "a").
    for key in sorted(custom, key=len, reverse=True):
        if name == key or name.startswith(key + "/"):
            return [f"{custom[key].rstrip('/')}/{name}"]
    alias = conda.get("channel_alias") or DEFAULT_CHANNEL_ALIAS
    return [f"{alias.rstrip('/')}/{name}"]


def _bypasses_proxy(host: str, no_proxy: Iterable[str]) -> bool:
    """Whether ``host`` matches a no_proxy entry: ``*``, a domain (with subdomains) or a CIDR."""
    host = host.lower().rstrip(".")
    for raw in no_proxy:
        entry = raw.strip().lower()
        if entry == "*":
            return True
        if "/" in entry:  # requests, and so pip and conda, accept networks such as 10.0.0.0/8
            with contextlib.suppress(ValueError):
                if ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False):
                    return True
            continue
        domain = entry.lstrip("*").lstrip(".")
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


async def _timed(
    endpoint: str, url: str, probe: Awaitable[_Answer], timeout: float
) -> dict[str, Any]:
    """Run ``probe`` within ``timeout`` and shape its answer as a result."""
    started = time.perf_counter()
    try:
        answer = await asyncio.wait_for(probe, timeout)
    except asyncio.TimeoutError:
        answer = _Answer(ok=False, cause=_timeout_cause(timeout), answered=False)
    except Exception as exc:
        # A failure nobody foresaw (say, an endpoint boto3 cannot parse) must not sink the
        # results of the other endpoints; it still gets a one-line, redacted cause.
        answer = _Answer(ok=False, cause=f"the check failed: {redact(str(exc))}", answered=False)
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
    endpoint: str, url: str, suffix: str, hint: str, net: _Network
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


def _check_local(path: Path, hint: str) -> _Answer:
    if not path.exists():
        return _Answer(ok=False, cause=f"{path} does not exist: {hint}")
    if not os.access(path, os.R_OK):
        return _Answer(ok=False, cause=f"{path} cannot be read by the server's user: {hint}")
    return _Answer(ok=True)


async def _get(url: str, parts: SplitResult, hint: str, net: _Network) -> _Answer:
    if parts.scheme == "https" and net.tls_problem:
        return _Answer(ok=False, cause=net.tls_problem, answered=False)
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
        return _Answer(
            ok=False, cause=_network_cause(exc, parts, proxy, net.timeout), answered=False
        )
    return _Answer(ok=200 <= status < 300, status=status, cause=_status_cause(status, url, hint))


def _status_cause(status: int, url: str, hint: str) -> str | None:
    host = urlsplit(url).hostname
    if 200 <= status < 300:
        return None
    if status == 404:
        return f"{host} answered, but {redact(url)} was not found (HTTP 404): {hint}"
    if status in (401, 403):
        return (
            f"the mirror refused access (HTTP {status}): check the credentials for {host} "
            "in ~/.netrc or your keyring"
        )
    if status == 407:
        return "the proxy asks for credentials (HTTP 407): check the profile's proxy settings"
    if status >= 500:
        return (
            f"{host} answered HTTP {status} (a server error): the mirror or the proxy is "
            "failing; try again later or tell its admin"
        )
    return f"{host} answered HTTP {status} instead of 200: {hint}"


def _probe_s3(source: Mapping[str, Any], net: _Network) -> Awaitable[dict[str, Any]]:
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

    async def probe() -> _Answer:
        if parts.scheme == "https" and net.tls_problem:
            return _Answer(ok=False, cause=net.tls_problem, answered=False)
        try:
            # boto3 blocks: a thread keeps the server's event loop free meanwhile.
            status = await asyncio.to_thread(list_one)
        except botocore.exceptions.ClientError as exc:
            return _s3_error_answer(exc, bucket, shown)
        except (
            botocore.exceptions.NoCredentialsError,
            botocore.exceptions.PartialCredentialsError,
        ):
            return _Answer(
                ok=False,
                cause="no complete AWS credentials were found: " + _AWS_CHAIN_HINT,
                answered=False,
            )
        except botocore.exceptions.ProfileNotFound:
            return _Answer(
                ok=False,
                cause=(
                    f"the AWS profile '{source.get('aws_profile')}' is not defined in "
                    "~/.aws/config or ~/.aws/credentials: check the source's aws_profile"
                ),
                answered=False,
            )
        except (botocore.exceptions.BotoCoreError, OSError) as exc:
            return _Answer(
                ok=False, cause=_network_cause(exc, parts, proxy, net.timeout), answered=False
            )
        return _Answer(ok=True, status=status)

    return _timed("artifact source", shown, probe(), net.timeout)


def _s3_error_answer(exc: botocore.exceptions.ClientError, bucket: str, shown: str) -> _Answer:
    error = exc.response.get("Error", {})
    code = error.get("Code", "")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code == "NoSuchBucket":
        cause = f"the bucket '{bucket}' does not exist at {redact(shown)}: check the bucket name"
    elif code == "AccessDenied":
        cause = (
            f"access to the bucket '{bucket}' was refused (HTTP {status}, AccessDenied): "
            f"the credentials must allow s3:ListBucket on it; {_AWS_CHAIN_HINT}"
        )
    elif code in _S3_CREDENTIAL_CODES:
        cause = f"the AWS credentials were rejected ({code}): {_AWS_CHAIN_HINT}"
    elif code in _S3_REGION_CODES:
        cause = (
            f"the bucket '{bucket}' is in another region ({code}): set the source's region "
            "to the bucket's region"
        )
    else:
        message = redact(str(error.get("Message") or code or exc))
        cause = f"S3 refused the listing (HTTP {status}, {code or 'error'}): {message}"
    return _Answer(ok=False, status=status, cause=cause)


def _probe_folder(folder: str, timeout: float) -> Awaitable[dict[str, Any]]:
    path = Path(os.path.abspath(os.path.expanduser(folder)))
    # A thread, with the timeout around it: a stale network mount can hang stat() for minutes.
    return _timed("artifact source", path.as_uri(), asyncio.to_thread(_check_folder, path), timeout)


def _check_folder(path: Path) -> _Answer:
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return _Answer(
            ok=False,
            cause=f"the folder {path} does not exist: is the exchange medium mounted, and is "
            "the source's path right?",
        )
    except OSError as exc:
        return _Answer(ok=False, cause=f"the folder {path} cannot be checked ({exc.strerror})")
    if not stat.S_ISDIR(mode):
        return _Answer(
            ok=False,
            cause=f"{path} is not a folder: point the source's path at the folder of transferred "
            "files",
        )
    if not os.access(path, os.R_OK | os.X_OK):
        return _Answer(
            ok=False,
            cause=f"the folder {path} cannot be read by the server's user: ask the admin for "
            "read access",
        )
    return _Answer(ok=True)


def _find(exc: BaseException, kind: type[_E]) -> _E | None:
    return next((e for e in exception_chain(exc) if isinstance(e, kind)), None)


def _timeout_cause(timeout: float) -> str:
    return (
        f"no answer within {timeout:g} s: the host may be down or a firewall drops the "
        "traffic; check the URL and the proxy settings"
    )


def _network_cause(
    exc: BaseException, target: SplitResult, proxy: str | None, timeout: float
) -> str:
    """A plain-words cause for a failure before any HTTP answer, read from the exception chain."""
    host = target.hostname or ""
    # Before the tunnel is up, DNS and connection failures concern the proxy, not the mirror.
    peer = urlsplit(proxy) if proxy else target
    default_port = {"http": 80, "https": 443}.get(peer.scheme)
    peer_name = f"the proxy {peer.hostname}" if proxy else peer.hostname
    peer_port = f"{peer.hostname}:{peer.port or default_port}"
    cert = _find(exc, ssl.SSLCertVerificationError)
    if cert is not None:
        reason = cert.verify_message or "verification failed"
        if cert.verify_code == _HOSTNAME_MISMATCH:
            return (
                f"the TLS certificate of {host} was issued for another name ({reason}): "
                "use the host name the certificate was issued for"
            )
        return (
            f"the TLS certificate of {host} is not trusted ({reason}): set the profile's CA "
            "bundle to your corporate CA"
        )
    if _find(exc, TimeoutError) or _find(exc, httpx.TimeoutException):
        return _timeout_cause(timeout)
    if _find(exc, socket.gaierror):
        if proxy:
            return (
                f"the name of the proxy {peer.hostname} does not resolve: check the profile's proxy"
            )
        return f"the name {host} does not resolve: check the URL or the DNS/proxy settings"
    if _find(exc, ConnectionRefusedError):
        if proxy:
            return f"the proxy {peer_port} refused the connection: check the profile's proxy"
        return f"{peer_port} refused the connection: is the mirror running?"
    proxy_error = _find(exc, httpx.ProxyError)
    if proxy_error is not None:
        return (
            f"the proxy {peer_port} could not open a tunnel to {host} ({proxy_error}): "
            "check the URL, and that the proxy may reach the mirror"
        )
    tls_error = _find(exc, ssl.SSLError)
    if tls_error is not None:
        return (
            f"the TLS handshake with {host} failed ({tls_error.reason or tls_error}): check "
            "that the URL's scheme (http or https) and port are right"
        )
    if _find(exc, httpx.UnsupportedProtocol):
        return f"{target.scheme}:// URLs cannot be checked: use an http or https URL"
    if _find(exc, ConnectionResetError) or _find(exc, httpx.RemoteProtocolError):
        return (
            f"{peer_port} closed the connection without an HTTP answer: check the URL's "
            "scheme and port"
        )
    os_error = next(
        (e for e in exception_chain(exc) if isinstance(e, OSError) and e.strerror), None
    )
    if os_error is not None:
        return f"{peer_name} cannot be reached ({os_error.strerror}): check the network and proxy"
    return f"the check failed: {redact(str(exc)) or type(exc).__name__}"
