"""Why a probe failed, in plain words for the data scientist: what failed, on which host,
and what to change. Read from HTTP statuses, S3 error codes and exception chains."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import SplitResult, urlsplit

import botocore.exceptions
import httpx

from ..errors import REFUSED_ADVICE, exception_chain
from ..secrets import redact

# OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH: the certificate is trusted but names another host.
_HOSTNAME_MISMATCH = 62
_S3_CREDENTIAL_CODES = frozenset(
    {"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"}
)
_S3_REGION_CODES = frozenset({"PermanentRedirect", "AuthorizationHeaderMalformed"})
AWS_CHAIN_HINT = (
    "check the AWS credential chain (environment, ~/.aws/credentials, the source's aws_profile)"
)
_E = TypeVar("_E", bound=BaseException)


@dataclass(frozen=True)
class Answer:
    """What one probe found; ``answered`` says whether the endpoint replied at all."""

    ok: bool
    status: int | None = None
    cause: str | None = None
    answered: bool = True


def status_cause(status: int, url: str, hint: str) -> str | None:
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


def s3_error_answer(exc: botocore.exceptions.ClientError, bucket: str, shown: str) -> Answer:
    error = exc.response.get("Error", {})
    code = error.get("Code", "")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code == "NoSuchBucket":
        cause = f"the bucket '{bucket}' does not exist at {redact(shown)}: check the bucket name"
    elif code == "AccessDenied":
        cause = (
            f"access to the bucket '{bucket}' was refused (HTTP {status}, AccessDenied): "
            f"the credentials must allow s3:ListBucket on it; {AWS_CHAIN_HINT}"
        )
    elif code in _S3_CREDENTIAL_CODES:
        cause = f"the AWS credentials were rejected ({code}): {AWS_CHAIN_HINT}"
    elif code in _S3_REGION_CODES:
        cause = (
            f"the bucket '{bucket}' is in another region ({code}): set the source's region "
            "to the bucket's region"
        )
    else:
        message = redact(str(error.get("Message") or code or exc))
        cause = f"S3 refused the listing (HTTP {status}, {code or 'error'}): {message}"
    return Answer(ok=False, status=status, cause=cause)


def _find(exc: BaseException, kind: type[_E]) -> _E | None:
    return next((e for e in exception_chain(exc) if isinstance(e, kind)), None)


def timeout_cause(timeout: float) -> str:
    return (
        f"no answer within {timeout:g} s: the host may be down or a firewall drops the "
        "traffic; check the URL and the proxy settings"
    )


def network_cause(
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
        return timeout_cause(timeout)
    if _find(exc, socket.gaierror):
        if proxy:
            return (
                f"the name of the proxy {peer.hostname} does not resolve: check the profile's proxy"
            )
        return f"the name {host} does not resolve: check the URL or the DNS/proxy settings"
    if _find(exc, ConnectionRefusedError):
        if proxy:
            return f"the proxy {peer_port} refused the connection: check the profile's proxy"
        return f"{peer_port} refused the connection: {REFUSED_ADVICE}"
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
