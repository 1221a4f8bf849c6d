"""The network a profile's probes go through: its CA bundle, proxy and no_proxy, netrc,
and the URLs conda reads a channel from, all as pip and conda would use them."""

from __future__ import annotations

import contextlib
import ipaddress
import netrc
import os
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult

import httpx

# What conda uses for a bare channel name when no channel_alias is configured.
DEFAULT_CHANNEL_ALIAS = "https://conda.anaconda.org"
# conda's built-in meaning of the "defaults" channel when the profile has no default_channels.
DEFAULT_CHANNELS = ("https://repo.anaconda.com/pkgs/main", "https://repo.anaconda.com/pkgs/r")


@dataclass(frozen=True)
class Network:
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


def network_of(profile: Mapping[str, Any], timeout: float) -> Network:
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
    return Network(
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


def channel_urls(name: str, conda: Mapping[str, Any]) -> list[str]:
    """The base URL(s) conda reads channel ``name`` from, under the profile's settings."""
    if "://" in name:
        return [name.rstrip("/")]
    if name == "defaults":
        defaults = conda.get("default_channels") or DEFAULT_CHANNELS
        return [url for entry in defaults for url in channel_urls(entry, conda)]
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
