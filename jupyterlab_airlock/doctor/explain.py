"""Why a tool could not reach the mirror, read from what it printed, in plain words.

pip, uv, npm and conda each word a failure their own way; the patterns below are the
words each prints for the same few causes. A certificate that is not trusted is looked
at once more, directly, to name the CA that signed it.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

from cryptography import x509

from ..connectivity import check_profile
from ..secrets import redact


@dataclass(frozen=True)
class Target:
    """What a tool was asked to reach: the mirror's URL and the proxy it goes through."""

    url: str
    proxy: str | None
    package: str
    ca_bundle: str | None
    index: bool  # a PyPI-style index (pip, uv), whose own page answers when its path is right

    @property
    def parts(self) -> SplitResult:
        return urlsplit(self.url)

    @property
    def host(self) -> str:
        return self.parts.hostname or ""


def _any(*words: str) -> re.Pattern[str]:
    return re.compile("|".join(words), re.IGNORECASE)


_HOSTNAME = _any(r"hostname mismatch", r"NotValidForName", r"ERR_TLS_CERT_ALTNAME_INVALID")
_UNTRUSTED = _any(
    r"CERTIFICATE_VERIFY_FAILED",
    r"UnknownIssuer",
    r"invalid peer certificate",
    r"UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    r"SELF_SIGNED_CERT_IN_CHAIN",
    r"DEPTH_ZERO_SELF_SIGNED_CERT",
    r"UNABLE_TO_GET_ISSUER_CERT",
)
# pip: "Tunnel connection failed: 403 Forbidden"; uv: "tunnel error: unsuccessful";
# npm: "tunneling socket could not be established, statusCode=403".
_TUNNEL = re.compile(
    r"Tunnel connection failed: (?P<pip>\d{3})|tunnel error|statusCode=(?P<npm>\d{3})",
    re.IGNORECASE,
)
_PROXY_DOWN = _any(r"Unable to connect to proxy", r"Cannot connect to proxy")
_DNS = _any(
    r"Name or service not known",
    r"Temporary failure in name resolution",
    r"NameResolutionError",
    r"dns error",
    r"failed to lookup address",
    r"ENOTFOUND",
    r"EAI_AGAIN",
)
_REFUSED = _any(r"Connection refused", r"ECONNREFUSED")
_TIMEOUT = _any(r"timed out", r"ETIMEDOUT", r"operation timed out")
_PROXY_AUTH = _any(r"\b407\b")
_ACCESS = re.compile(
    r"\b(?P<status>401|403)\b[^\n]*(Unauthorized|Forbidden)|\bE(?P<npm>401|403)\b",
    re.IGNORECASE,
)
# pip logs a 404 of the project page; uv and npm say the package was not found.
_NOT_FOUND = _any(
    r"\b404\b",
    r"not found in the package registry",
    r"was not found in the package registry",
    r"\bE404\b",
    r"from versions: none",
    r"PackagesNotFoundError",
)


async def explain(output: str, target: Target, tool: str, timeout: float) -> tuple[str, bool]:
    """The cause of a failed check, from the tool's ``output``, and whether the tool did
    reach the mirror (which then lacks the package asked for)."""
    host = target.host
    proxy_host = urlsplit(target.proxy).netloc if target.proxy else ""
    if _HOSTNAME.search(output):
        return (
            f"the TLS certificate of {host} was issued for another name: use the host name "
            "the certificate names in the profile's URLs"
        ), False
    if _UNTRUSTED.search(output):
        signer = await asyncio.to_thread(certificate_issuer, target, timeout)
        signed = f"it was signed by '{signer}', a CA" if signer else "its CA is one"
        ca = target.ca_bundle or "none is set"
        return (
            f"the TLS certificate of {host} is not trusted: {signed} that {tool} does not "
            f"trust (the profile's CA bundle: {ca}). Set the profile's CA bundle to a PEM "
            "file holding that CA"
        ), False
    tunnel = _TUNNEL.search(output)
    status = tunnel and (tunnel["pip"] or tunnel["npm"])
    # A proxy that is down fails the tunnel too, in uv's words, but answers no status.
    if target.proxy and not status and (_PROXY_DOWN.search(output) or _REFUSED.search(output)):
        return (
            f"the proxy {proxy_host} cannot be reached (connection refused): check the "
            "profile's proxy, or whether the mirror is reached without one"
        ), False
    if _PROXY_AUTH.search(output):
        return (
            "the proxy asks for credentials (HTTP 407): check the profile's proxy settings",
            False,
        )
    if tunnel and target.proxy:
        answered = f" (HTTP {status})" if status else ""
        return (
            f"the proxy {proxy_host} refused the tunnel to {host}{answered}: ask the proxy's "
            f"admin to allow {host}, or add it to the profile's no_proxy if it is reached "
            "directly"
        ), False
    if _DNS.search(output):
        if target.proxy:
            return (
                f"a name does not resolve (the proxy {proxy_host}, or {host} behind it): "
                "check the profile's proxy and the mirror's URL"
            ), False
        return (
            f"the name {host} does not resolve here: the mirror may only be reachable "
            "through the site's proxy (set the profile's proxy), or its URL is wrong"
        ), False
    if _REFUSED.search(output):
        return f"{target.parts.netloc} refused the connection: is the mirror running there?", False
    if _TIMEOUT.search(output):
        return (
            f"{host} did not answer in time: the host may be down or a firewall drops the "
            "traffic; check the URL and the proxy settings"
        ), False
    access = _ACCESS.search(output)
    if access:
        status = access["status"] or access["npm"]
        return (
            f"the mirror refused access (HTTP {status}): check the credentials for {host} "
            "in ~/.netrc or your keyring"
        ), False
    if _NOT_FOUND.search(output):
        shown = redact(target.url)
        if target.index and not await _index_answers(target, timeout):
            return (
                f"the index path is wrong: {shown} is no package index (HTTP 404); check "
                "the profile's index URL (a PyPI-style index usually ends in /simple/)"
            ), False
        # The index answered: TLS, proxy and credentials work; only the package is missing.
        lacks = f"reached {shown}, but the mirror has no package '{target.package}'"
        if target.index:
            return f"{lacks}, so nothing was resolved", True
        return f"{lacks}: check the registry URL, or name a package the mirror carries", False
    return f"failed: {redact(_last_error(output))}", False


async def _index_answers(target: Target, timeout: float) -> bool:
    """Whether the index page itself answers, asked as the profile's probe asks it."""
    profile: dict[str, Any] = {"name": "doctor", "pip": {"index-url": target.url}}
    if target.proxy:
        profile["proxy"] = {target.parts.scheme: target.proxy}
    if target.ca_bundle:
        profile["ca_bundle"] = target.ca_bundle
    [result] = await check_profile(profile, timeout)
    return bool(result["ok"])


def _last_error(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower()]
    return (errors or lines or ["no message"])[-1]


def certificate_issuer(target: Target, timeout: float) -> str | None:
    """Who signed the certificate the mirror presents, as an RFC 4514 name; None if the
    mirror cannot be reached for it. Read without verifying: only the name is used."""
    parts = target.parts
    port = parts.port or 443
    try:
        if target.proxy:
            proxy = urlsplit(target.proxy)
            sock = socket.create_connection((proxy.hostname, proxy.port or 80), timeout)
            sock.sendall(f"CONNECT {parts.hostname}:{port} HTTP/1.1\r\n\r\n".encode("ascii"))
            answer = b""
            while b"\r\n\r\n" not in answer and len(answer) < 65536:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
            if answer.split(b" ", 2)[1:2] != [b"200"]:
                sock.close()
                return None
        else:
            sock = socket.create_connection((parts.hostname, port), timeout)
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with context.wrap_socket(sock, server_hostname=parts.hostname) as tls:
            der = tls.getpeercert(binary_form=True)
    except (OSError, IndexError):
        return None
    if der is None:
        return None
    return x509.load_der_x509_certificate(der).issuer.rfc4514_string()
