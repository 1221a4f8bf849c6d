"""Leak check: every effective setting that would make pip, conda, npm, uv or JupyterLab's
Extension Manager reach past the mirror.

It reads the effective settings (``read_effective``), not the profile, so a stray line in the
user's own file or a variable set by someone else is caught too. A setting the tool falls
back to when nothing is set (pip's PyPI, conda's ``defaults``, npm's registry) counts only
for a tool the profile configures: a profile without a conda section makes no claim about
conda.
"""

from __future__ import annotations

from typing import Any

from .owned import EXTENSION_INDEX, EXTENSION_MANAGER, OWNED, owned_settings
from .urls import host_of, on_hosts
from .validation import Profile

Leak = dict[str, str]

PYPI_HOSTS = ("pypi.org", "pythonhosted.org")
CONDA_HOSTS = ("anaconda.org", "anaconda.com", "anaconda.cloud", "conda-forge.org")
NPM_HOSTS = ("npmjs.org", "npmjs.com", "yarnpkg.com")

NOT_SET = "(not set)"
NOWHERE = "(no file or variable sets it)"

_DEPENDENCY_CONFUSION = (
    "pip mixes indexes with no priority: it takes the best version of a package from any of "
    "them, so a package of the same name on the other index can win (dependency confusion)."
)


def find_leaks(profile: Profile | None, effective: dict[str, Any]) -> list[Leak]:
    """``{"tool", "key", "value", "source", "message"}`` for each way out of the mirror."""
    return [
        *_pip_leaks(profile or {}, effective.get("pip", [])),
        *_conda_leaks(profile or {}, effective.get("conda", [])),
        *_npm_leaks(profile or {}, effective.get("npm", [])),
        *_uv_leaks(profile or {}, effective.get("uv", [])),
        *_jupyter_leaks(profile or {}, effective.get("jupyter", [])),
    ]


def profile_leaks(profile: Profile) -> list[Leak]:
    """The leaks a profile would have on its own, before it is applied."""
    source = f"profile '{profile.get('name')}'"
    settings = owned_settings(profile)
    effective: dict[str, list[dict[str, Any]]] = {tool: [] for tool in OWNED}
    for key, value in settings.get("pip", {}).items():
        shown = " ".join(value) if isinstance(value, list) else str(value)
        shown = "true" if value is True else shown
        effective["pip"].append({"key": f"global.{key}", "value": shown, "source": source})
    for key, value in settings.get("conda", {}).items():
        flat = value.items() if isinstance(value, dict) else [(None, value)]
        for name, item in flat:
            shown_key = key if name is None else f"{key}.{name}"
            effective["conda"].append({"key": shown_key, "value": item, "source": source})
    for tool in ("npm", "uv", "jupyter"):
        for key, value in settings.get(tool, {}).items():
            effective[tool].append({"key": key, "value": value, "source": source})
    return find_leaks(profile, effective)


def _leak(tool: str, entry: dict[str, Any], value: Any, message: str) -> Leak:
    return {
        "tool": tool,
        "key": str(entry["key"]),
        "value": str(value),
        "source": str(entry["source"]),
        "message": message,
    }


def _items(value: Any, separator: str | None = None) -> list[str]:
    """The items of a list setting, whether a list or text (pip: spaces, conda: commas)."""
    if isinstance(value, list):
        return [str(item) for item in value]
    if isinstance(value, str):
        return [item.strip() for item in value.split(separator) if item.strip()]
    return []


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on", "y")
    return value is True


def _missing(key: str, value: str = NOT_SET, source: str = NOWHERE) -> dict[str, str]:
    return {"key": key, "value": value, "source": source}


def _pip_leaks(profile: Profile, entries: list[dict[str, Any]]) -> list[Leak]:
    def option(entry: dict[str, Any]) -> str:
        return str(entry["key"]).rsplit(".", 1)[-1]  # "global.index-url", ":env:.index-url"

    leaks: list[Leak] = []
    no_index = any(option(e) == "no-index" and _truthy(e["value"]) for e in entries)
    if profile.get("offline") and not no_index:
        leaks.append(
            _leak(
                "pip",
                _missing("global.no-index"),
                NOT_SET,
                "The profile says this site is offline, but pip's no-index is not set: pip "
                "will still try to reach a package index.",
            )
        )
    for entry in (e for e in entries if option(e) == "find-links"):
        for url in _items(entry["value"]):
            if on_hosts(url, PYPI_HOSTS):
                leaks.append(_leak("pip", entry, url, f"pip looks for packages on {host_of(url)}."))
    if no_index:  # pip then contacts no index at all
        return leaks
    indexes = [e for e in entries if option(e) == "index-url"]
    for entry in indexes:
        for url in _items(entry["value"]):
            if on_hosts(url, PYPI_HOSTS):
                message = f"pip downloads from {host_of(url)}, the public PyPI, not the mirror."
                leaks.append(_leak("pip", entry, url, message))
    if not indexes and "pip" in profile and not profile.get("offline"):
        leaks.append(
            _leak(
                "pip",
                _missing("global.index-url", "https://pypi.org/simple", "pip's built-in default"),
                "https://pypi.org/simple",
                "No index-url is set, so pip downloads from the public PyPI (pypi.org).",
            )
        )
    for entry in (e for e in entries if option(e) == "extra-index-url"):
        for url in _items(entry["value"]):
            if on_hosts(url, PYPI_HOSTS):
                message = (
                    f"pip also downloads from {host_of(url)}, the public PyPI, beside the "
                    f"mirror; {_DEPENDENCY_CONFUSION}"
                )
            else:
                message = (
                    f"An extra index beside the index-url: {_DEPENDENCY_CONFUSION} Serve "
                    "everything from one mirror index (a group repository) instead."
                )
            leaks.append(_leak("pip", entry, url, message))
    return leaks


def _conda_leaks(profile: Profile, entries: list[dict[str, Any]]) -> list[Leak]:
    def named(key: str) -> list[dict[str, Any]]:
        return [e for e in entries if e["key"] == key]

    leaks: list[Leak] = []
    offline = any(_truthy(e["value"]) for e in named("offline"))
    if profile.get("offline") and not offline:
        leaks.append(
            _leak(
                "conda",
                _missing("offline"),
                NOT_SET,
                "The profile says this site is offline, but conda's offline is not set: conda "
                "will still try to reach its channels.",
            )
        )
    if offline:  # conda then fetches nothing remote
        return leaks

    aliases = named("channel_alias")
    custom_channels = [e for e in entries if str(e["key"]).startswith("custom_channels.")]
    custom = {str(e["key"]).split(".", 1)[1] for e in custom_channels}
    default_channels = named("default_channels")
    channels = named("channels")
    if not channels and "conda" in profile:
        channels = [_missing("channels", "defaults", "conda's built-in default")]
    for entry in channels:
        for channel in _items(entry["value"], ","):
            if channel == "defaults":
                if not default_channels:
                    message = (
                        "'defaults' stands for Anaconda's public channels (repo.anaconda.com), "
                        "since default_channels does not point at the mirror."
                    )
                    leaks.append(_leak("conda", entry, channel, message))
            elif "://" in channel:
                if on_hosts(channel, CONDA_HOSTS):
                    message = f"conda fetches this channel from {host_of(channel)}."
                    leaks.append(_leak("conda", entry, channel, message))
            elif not aliases and channel.split("/")[0] not in custom and _is_name(channel):
                message = (
                    f"The channel '{channel}' is given by name and no channel_alias points at "
                    "the mirror, so conda fetches it from conda.anaconda.org."
                )
                leaks.append(_leak("conda", entry, channel, message))
    for entry in default_channels:
        for url in _items(entry["value"], ","):
            if on_hosts(url, CONDA_HOSTS):
                message = f"'defaults' stands for {url}, outside the mirror."
                leaks.append(_leak("conda", entry, url, message))
    for entry in aliases + custom_channels:
        url = str(entry["value"])
        if on_hosts(url, CONDA_HOSTS):
            message = f"conda fetches channels given by name from {host_of(url)}."
            if entry["key"] != "channel_alias":
                message = f"conda fetches this channel from {host_of(url)}."
            leaks.append(_leak("conda", entry, url, message))
    return leaks


def _is_name(channel: str) -> bool:
    """A channel given by name, not a local folder."""
    return not channel.startswith(("/", ".", "~")) and ":" not in channel


def _npm_leaks(profile: Profile, entries: list[dict[str, Any]]) -> list[Leak]:
    registries = [e for e in entries if e["key"] == "registry"]
    if registries:
        url = str(registries[-1]["value"])
        if on_hosts(url, NPM_HOSTS):
            message = f"npm downloads from {host_of(url)}, the public registry, not the mirror."
            return [_leak("npm", registries[-1], url, message)]
    elif "npm" in profile:
        default = "https://registry.npmjs.org/"
        message = "No registry is set, so npm downloads from the public registry.npmjs.org."
        return [
            _leak("npm", _missing("registry", default, "npm's built-in default"), default, message)
        ]
    return []


def _uv_leaks(profile: Profile, entries: list[dict[str, Any]]) -> list[Leak]:
    def named(*keys: str) -> list[dict[str, Any]]:
        return [e for e in entries if e["key"] in keys]

    leaks: list[Leak] = []
    offline = any(_truthy(e["value"]) for e in named("offline", "no-index", "pip.no-index"))
    if profile.get("offline") and not offline:
        message = (
            "The profile says this site is offline, but uv's offline is not set: uv will "
            "still try to reach a package index."
        )
        leaks.append(_leak("uv", _missing("offline"), NOT_SET, message))
    if offline:
        return leaks
    indexes = named("index-url", "pip.index-url")
    for entry in indexes:
        if on_hosts(str(entry["value"]), PYPI_HOSTS):
            message = f"uv downloads from {host_of(str(entry['value']))}, not the mirror."
            leaks.append(_leak("uv", entry, entry["value"], message))
    if not indexes and "pip" in profile:
        default = "https://pypi.org/simple"
        message = "No index is set for uv, so it downloads from the public PyPI (pypi.org)."
        leaks.append(
            _leak("uv", _missing("index-url", default, "uv's built-in default"), default, message)
        )
    for entry in named("extra-index-url", "pip.extra-index-url", "index"):
        for url in _items(entry["value"], ","):
            message = (
                f"uv also consults {url} beside the mirror: a package missing from the mirror "
                "is taken from there. Serve everything from one mirror index instead."
            )
            leaks.append(_leak("uv", entry, url, message))
    return leaks


def _jupyter_leaks(profile: Profile, entries: list[dict[str, Any]]) -> list[Leak]:
    settings = {e["key"]: e for e in entries}
    manager = settings.get(EXTENSION_MANAGER)
    if manager is not None and manager["value"] == "readonly":
        return []
    index = settings.get(EXTENSION_INDEX)
    if index is not None and on_hosts(str(index["value"]), PYPI_HOSTS):
        message = "JupyterLab's Extension Manager lists extensions from the public PyPI."
        return [_leak("jupyter", index, index["value"], message)]
    if index is None and ("pip" in profile or "jupyterlab" in profile):
        default = "https://pypi.org/pypi"
        message = (
            "JupyterLab's Extension Manager lists extensions from the public PyPI: name the "
            "mirror's PyPI JSON API as the profile's jupyterlab.extension_index."
        )
        missing = _missing(EXTENSION_INDEX, default, "JupyterLab's built-in default")
        return [_leak("jupyter", missing, default, message)]
    return []
