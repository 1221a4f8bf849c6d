"""The keys Airlock owns in pip's, conda's, npm's and uv's files and in the Jupyter server's
configuration, and the values a profile gives them. Every other key in those files is the
user's and is never touched."""

from __future__ import annotations

from typing import Any

from .validation import Profile

EXTENSION_INDEX = "PyPIExtensionManager.base_url"
EXTENSION_MANAGER = "LabApp.extension_manager"

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
    "uv": (
        "index-url",
        "extra-index-url",
        "allow-insecure-host",
        "native-tls",
        "offline",
        "no-index",
    ),
    # JupyterLab's Extension Manager (jupyterlab.extensions.pypi), as Section.trait.
    "jupyter": (EXTENSION_INDEX, EXTENSION_MANAGER),
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

    if "pip" in profile or shared:
        uv: dict[str, Any] = {
            key: settings["pip"][key]
            for key in ("index-url", "extra-index-url")
            if key in settings["pip"]
        }
        if pip.get("trusted-host"):
            uv["allow-insecure-host"] = pip["trusted-host"]
        if ca_bundle:
            # The system store plus SSL_CERT_FILE (set for kernels), as pip's cert does.
            uv["native-tls"] = True
        if offline:
            uv["offline"] = uv["no-index"] = True
        settings["uv"] = uv

    if "pip" in profile or "jupyterlab" in profile or offline:
        settings["jupyter"] = _extension_manager(profile, offline)

    if "npm" in profile:
        npm_keys = {"registry": profile["npm"].get("registry"), "proxy": proxy.get("http")}
        npm_keys |= {"https-proxy": proxy.get("https"), "cafile": ca_bundle}
        settings["npm"] = {key: value for key, value in npm_keys.items() if value}
    return settings


def extension_index(profile: Profile) -> str | None:
    """The PyPI JSON API JupyterLab's Extension Manager lists and reads extensions from.

    Mirrors serve it beside their simple index: Nexus and Artifactory at ``.../pypi``
    where the index is ``.../simple``; the profile may name it when the mirror differs.
    """
    named: str | None = profile.get("jupyterlab", {}).get("extension_index")
    index: str = profile.get("pip", {}).get("index-url", "")
    stem = index.rstrip("/")
    if named or not stem.endswith("/simple"):
        return named
    return stem.removesuffix("simple") + "pypi"


def _extension_manager(profile: Profile, offline: bool) -> dict[str, Any]:
    # Offline, or with the read bucket as the only index, there is no PyPI API to list
    # extensions from: the read-only manager keeps JupyterLab from trying pypi.org.
    if offline or profile.get("index_from_source"):
        return {EXTENSION_MANAGER: "readonly"}
    url = extension_index(profile)
    return {EXTENSION_INDEX: url} if url else {}
