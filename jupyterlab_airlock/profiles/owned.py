"""The keys Airlock owns in pip's, conda's and npm's files, and the values a profile gives
them. Every other key in those files is the user's and is never touched."""

from __future__ import annotations

from typing import Any

from .validation import Profile

OWNED: dict[str, tuple[str, ...]] = {
    "pip": ("index-url", "extra-index-url", "trusted-host", "cert", "timeout", "proxy", "no-index"),
    "conda": (
        "channels",
        "channel_alias",
        "custom_channels",
        "default_channels",
        "ssl_verify",
        "proxy_servers",
        "offline",
    ),
    "npm": ("registry", "proxy", "https-proxy", "cafile"),
}


def owned_settings(profile: Profile) -> dict[str, dict[str, Any]]:
    """The value of each Airlock-owned key, per tool, for the tools the profile reaches.

    A tool is reached when the profile has its section, or a proxy, CA bundle or offline
    flag that maps into it (npm only with an npm section: nobody needs an .npmrc created
    just for a proxy, which npm also takes from HTTPS_PROXY). A key missing from a tool's
    values is removed from its file.
    """
    pip = profile.get("pip", {})
    conda = profile.get("conda", {})
    proxy = profile.get("proxy", {})
    ca_bundle = profile.get("ca_bundle")
    offline = profile.get("offline") is True
    shared = any(key in profile for key in ("proxy", "ca_bundle", "offline"))
    settings: dict[str, dict[str, Any]] = {}

    if "pip" in profile or shared:
        values: dict[str, Any] = {
            key: pip[key]
            for key in ("index-url", "extra-index-url", "trusted-host", "timeout")
            if pip.get(key) not in (None, [])
        }
        if ca_bundle:
            values["cert"] = ca_bundle
        # pip ignores NO_PROXY once its own proxy option is set (it stops trusting the
        # environment), which would send a mirror listed in no_proxy through the proxy; with
        # a no_proxy list, pip takes the proxy from HTTP(S)_PROXY, which Airlock also sets.
        proxy_url = proxy.get("https") or proxy.get("http")
        if proxy_url and not proxy.get("no_proxy"):
            values["proxy"] = proxy_url
        if offline:
            values["no-index"] = True
        settings["pip"] = values

    if "conda" in profile or shared:
        values = {
            key: conda[key]
            for key in ("channels", "channel_alias", "custom_channels", "default_channels")
            if conda.get(key) not in (None, [], {})
        }
        if ca_bundle:
            values["ssl_verify"] = ca_bundle
        elif "ssl_verify" in conda:
            values["ssl_verify"] = conda["ssl_verify"]
        servers = {scheme: proxy[scheme] for scheme in ("http", "https") if proxy.get(scheme)}
        if servers:
            values["proxy_servers"] = servers
        if offline:
            values["offline"] = True
        settings["conda"] = values

    if "npm" in profile:
        npm_keys = {"registry": profile["npm"].get("registry"), "proxy": proxy.get("http")}
        npm_keys |= {"https-proxy": proxy.get("https"), "cafile": ca_bundle}
        settings["npm"] = {key: value for key, value in npm_keys.items() if value}
    return settings
