"""What pip, conda, npm, uv and JupyterLab's Extension Manager see now, read back from
their files, with the file of each value.

Not what Airlock wrote, but what the tools will use: the user's own lines, the admin's
system-wide files and environment variables all count. pip answers for itself (``pip config
debug``); conda too when it is installed, else its files are read in conda's order.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import json
import os
import re
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..processes import run
from ..secrets import redact
from .configfiles import ConfigFormatError, parse, pip_key
from .owned import OWNED
from .paths import MANAGED_ENVIRONMENT, ConfigPaths

Entry = dict[str, Any]

TIMEOUT = 30.0  # seconds a tool may take to describe its configuration
SERVER_ENVIRONMENT = "environment of the Jupyter server"
UNREADABLE = "(unreadable)"


async def read_effective(
    paths: ConfigPaths, python: str = sys.executable, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``{"pip", "conda", "npm", "uv", "jupyter", "environment"}``, each a list.

    Each list holds ``{"key", "value", "source"}`` (value as text; lists comma-separated for
    conda and space-separated for pip, as each tool writes them) for each key now; a file
    that cannot be parsed shows as key ``(unreadable)`` with the reason. Passwords in URLs
    are replaced by ``***``, since this goes to the browser.
    """
    env = dict(os.environ if environ is None else environ)
    pip, conda = await asyncio.gather(_pip(python, env), _conda(paths, env))
    result = {
        "pip": pip,
        "conda": conda,
        "npm": _npm(paths, env),
        "uv": _uv(paths, env),
        "jupyter": _jupyter(paths),
        "environment": _server(env),
    }
    redacted: dict[str, Any] = redact(result)
    return redacted


async def _run(argv: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Exit status, output and errors of a command; the child dies with a cancelled caller."""
    result = await run(argv, timeout=TIMEOUT, env=env)
    return result.returncode, result.stdout, result.stderr


def _text(value: Any) -> str:
    """A setting as one line of text for the panel: lists comma-separated, YAML's true/false."""
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value)
    if isinstance(value, bool) or value is None or isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def _unreadable(reason: str, source: str) -> Entry:
    return {"key": UNREADABLE, "value": " ".join(reason.split()), "source": source}


# --- pip ------------------------------------------------------------------------------------

# pip's order of precedence, weakest first (pip's OVERRIDE_ORDER): PIP_* variables beat the
# PIP_CONFIG_FILE file, which beats the virtual environment's, the user's, the system's.
_PIP_ORDER = ("global", "user", "site", "env", "env_var")
_PIP_VARIANT = re.compile(r"^(?P<variant>[a-z_]+):$")
_PIP_VARIABLE = re.compile(r"^  PIP_(?P<name>[^=]+)=(?P<value>.*)$")
_PIP_FILE = re.compile(r"^  (?P<path>.+), exists: (?P<exists>True|False)$")
_PIP_VALUE = re.compile(r"^    (?P<key>[^\s:]+\.[^\s.:]+): ?(?P<value>.*)$")
_PIP_FILE_ERROR = re.compile(r"file: '(?P<path>[^']+)'")


async def _pip(python: str, env: dict[str, str]) -> list[Entry]:
    command = "pip config debug"
    try:
        status, output, errors = await _run(
            [python, "-m", "pip", "config", "debug"], {**env, "PYTHONIOENCODING": "utf-8"}
        )
    except asyncio.TimeoutError:
        return [_unreadable(f"{command} did not answer within {TIMEOUT:.0f} s", python)]
    except OSError as error:
        return [_unreadable(f"{python} cannot be run: {error.strerror or error}", python)]
    if status != 0:
        reason = errors.strip() or output.strip() or f"{command} ended with status {status}"
        failed_file = _PIP_FILE_ERROR.search(reason)
        return [_unreadable(reason, failed_file["path"] if failed_file else command)]
    return parse_pip_debug(output)


def parse_pip_debug(output: str) -> list[Entry]:
    """The effective value of each ``section.key`` in the output of ``pip config debug``.

    Variables are keyed ``:env:.name`` as ``pip config list`` shows them. A multi-line value
    (pip's lists) becomes one line, its items separated by spaces, as pip splits it.
    """
    found: dict[str, list[Entry]] = {}
    variant = ""
    source = ""
    lines: list[str] = []  # of the value being read
    for line in output.splitlines():
        if match := _PIP_VARIANT.match(line):
            variant = match["variant"]
        elif variant == "env_var" and (match := _PIP_VARIABLE.match(line)):
            name = match["name"]
            found.setdefault(variant, []).append(
                {
                    "key": f":env:.{pip_key(name)}",
                    "value": _python_string(match["value"]),
                    "source": f"environment variable PIP_{name}",
                }
            )
        elif match := _PIP_FILE.match(line):
            source = match["path"]
        elif match := _PIP_VALUE.match(line):
            lines = [match["value"]]
            found.setdefault(variant, []).append(
                {"key": match["key"], "value": lines, "source": source}
            )
        elif line.startswith("    "):
            lines.append(line)
    effective: dict[str, Entry] = {}
    for name in _PIP_ORDER:
        for entry in found.get(name, []):
            if isinstance(entry["value"], list):
                entry["value"] = " ".join(part.strip() for part in entry["value"] if part.strip())
            effective[entry["key"]] = entry
    return list(effective.values())


def _python_string(text: str) -> str:
    """pip prints variables with repr(); read them back, or keep the text if that fails."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    return value if isinstance(value, str) else text


# --- conda ----------------------------------------------------------------------------------

# conda's own variables for the keys Airlock cares about; lists are comma-separated.
_CONDA_VARIABLES = {
    "CONDA_CHANNELS": "channels",
    "CONDA_DEFAULT_CHANNELS": "default_channels",
    "CONDA_CHANNEL_ALIAS": "channel_alias",
    "CONDA_SSL_VERIFY": "ssl_verify",
    "CONDA_OFFLINE": "offline",
}
_CONDA_LISTS = ("channels", "default_channels")


def conda_search_path(paths: ConfigPaths, environ: Mapping[str, str]) -> list[Path]:
    """The files and ``condarc.d`` folders conda reads, weakest first (conda's SEARCH_PATH)."""
    home = Path(environ.get("HOME") or Path.home())
    folders: list[str | Path | None] = [
        "/etc/conda",
        "/var/lib/conda",
        environ.get("CONDA_ROOT"),
        Path(environ["XDG_CONFIG_HOME"]) / "conda" if environ.get("XDG_CONFIG_HOME") else None,
        home / ".config" / "conda",
        home / ".conda",
    ]
    found: list[Path] = []
    for folder in folders:
        if folder:
            found += [Path(folder) / name for name in (".condarc", "condarc", "condarc.d")]
    found.append(home / ".condarc")
    if environ.get("CONDA_PREFIX"):
        found += [Path(environ["CONDA_PREFIX"]) / n for n in (".condarc", "condarc", "condarc.d")]
    if environ.get("CONDARC"):
        found.append(Path(environ["CONDARC"]))
    found.append(paths.conda)
    unique: dict[str, Path] = {}
    for path in found:
        unique.setdefault(os.path.realpath(path), path)
    return list(unique.values())


async def _conda(paths: ConfigPaths, env: dict[str, str]) -> list[Entry]:
    search_path = conda_search_path(paths, env)
    conda = shutil.which("conda", path=env.get("PATH", os.defpath))
    # When conda fails (often: a file it cannot parse), reading the files names that file.
    if conda:
        with contextlib.suppress(asyncio.TimeoutError, OSError, ValueError):
            status, output, _ = await _run([conda, "config", "--show-sources", "--json"], env)
            if status == 0:
                return _conda_entries(_ordered_sources(json.loads(output), search_path))
    return _conda_entries(_read_conda_files(search_path) + _conda_variables(env))


def _ordered_sources(
    collected: dict[str, Any], search_path: list[Path]
) -> list[tuple[str, dict[str, Any] | str]]:
    """conda's sources in its order of precedence (its JSON output sorts them by name).

    A file outside the known search path is conda's own root prefix, placed where conda
    reads it: after the system-wide folders.
    """
    positions = {str(path): number for number, path in enumerate(search_path)}
    root_position = positions.get("/var/lib/conda/condarc.d", -1) + 0.5

    def position(source: str) -> float:
        if source == "envvars":
            return float("inf")
        parent = str(Path(source).parent)
        return positions.get(source, positions.get(parent, root_position))

    return [
        (source if source != "envvars" else "environment variables CONDA_*", settings)
        for source, settings in sorted(collected.items(), key=lambda item: position(item[0]))
    ]


def _read_conda_files(search_path: list[Path]) -> list[tuple[str, dict[str, Any] | str]]:
    files: list[Path] = []
    for path in search_path:
        if path.name == "condarc.d":
            if path.is_dir():
                files += sorted(p for p in path.iterdir() if p.suffix in (".yml", ".yaml"))
        elif path.is_file():
            files.append(path)
    sources: list[tuple[str, dict[str, Any] | str]] = []
    for path in files:
        try:
            sources.append((str(path), parse("conda", path.read_text("utf-8"))))
        except (OSError, UnicodeDecodeError, ConfigFormatError) as error:
            sources.append((str(path), str(error)))
    return sources


def _conda_variables(env: Mapping[str, str]) -> list[tuple[str, dict[str, Any] | str]]:
    sources: list[tuple[str, dict[str, Any] | str]] = []
    for variable, key in _CONDA_VARIABLES.items():
        if variable in env:
            value: Any = env[variable]
            if key in _CONDA_LISTS:
                value = [item.strip() for item in value.split(",") if item.strip()]
            sources.append((f"environment variable {variable}", {key: value}))
    return sources


def _conda_entries(sources: list[tuple[str, dict[str, Any] | str]]) -> list[Entry]:
    """Combine sources as conda does: lists add up, mappings per key, other values replace."""
    entries: dict[tuple[str, str], Entry] = {}
    for source, settings in sources:
        if isinstance(settings, str):
            entries[(UNREADABLE, source)] = _unreadable(settings, source)
            continue
        for key, value in settings.items():
            if isinstance(value, dict):
                for name, item in value.items():
                    entries[(f"{key}.{name}", "")] = {
                        "key": f"{key}.{name}",
                        "value": _text(item),
                        "source": source,
                    }
            else:
                # Lists show once per contributing source, other values once.
                identity = (str(key), source if isinstance(value, list) else "")
                entries[identity] = {"key": str(key), "value": _text(value), "source": source}
    return list(entries.values())


# --- npm and the server's environment -------------------------------------------------------


def _npm(paths: ConfigPaths, env: Mapping[str, str]) -> list[Entry]:
    entries: dict[str, Entry] = {}
    try:
        settings = parse("npm", paths.npm.read_text("utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        settings = {}
    except (OSError, UnicodeDecodeError) as error:
        return [_unreadable(str(error), str(paths.npm))]
    for key, value in settings.items():
        entries[key] = {"key": key, "value": _text(value), "source": str(paths.npm)}
    # npm_config_* variables (any case) beat the user's .npmrc.
    for variable, value in sorted(env.items()):
        if variable.lower().startswith("npm_config_"):
            key = variable[len("npm_config_") :].lower().replace("_", "-")
            entries[key] = {
                "key": key,
                "value": value,
                "source": f"environment variable {variable}",
            }
    return list(entries.values())


def _server(env: Mapping[str, str]) -> list[Entry]:
    return [
        {"key": variable, "value": value, "source": SERVER_ENVIRONMENT}
        for variable, value in sorted(env.items())
        if variable in MANAGED_ENVIRONMENT or variable.startswith(("PIP_", "CONDA_", "UV_"))
    ]


# --- uv and the Jupyter server --------------------------------------------------------------

# uv's variables for the keys Airlock cares about (they beat every file).
_UV_VARIABLES = {
    "UV_INDEX_URL": "index-url",
    "UV_DEFAULT_INDEX": "index-url",
    "UV_EXTRA_INDEX_URL": "extra-index-url",
    "UV_INDEX": "index",
    "UV_OFFLINE": "offline",
    "UV_NO_INDEX": "no-index",
    "UV_NATIVE_TLS": "native-tls",
}


def uv_files(paths: ConfigPaths, env: Mapping[str, str]) -> list[Path]:
    """The files uv reads, weakest first: the system's, then the user's or UV_CONFIG_FILE."""
    if env.get("UV_CONFIG_FILE"):
        return [Path(env["UV_CONFIG_FILE"])]
    found = [Path("/etc/uv/uv.toml")]
    return found + ([paths.uv] if paths.uv else [])


def _uv(paths: ConfigPaths, env: Mapping[str, str]) -> list[Entry]:
    entries: dict[str, Entry] = {}
    for path in uv_files(paths, env):
        try:
            settings = parse("uv", path.read_text("utf-8"))
        except (FileNotFoundError, NotADirectoryError):
            continue
        except (OSError, UnicodeDecodeError, ConfigFormatError) as error:
            entries[f"{UNREADABLE} {path}"] = _unreadable(str(error), str(path))
            continue
        for key, value in _flat_uv(settings):
            entries[key] = {"key": key, "value": _text(value), "source": str(path)}
    for variable, key in _UV_VARIABLES.items():
        if variable in env:
            source = f"environment variable {variable}"
            entries[key] = {"key": key, "value": env[variable], "source": source}
    return list(entries.values())


def _flat_uv(settings: dict[str, Any]) -> list[tuple[str, Any]]:
    """Top-level keys, ``pip.<key>`` (uv pip's own table) and each index as ``index``."""
    flat: list[tuple[str, Any]] = []
    for key, value in settings.items():
        if key == "index" and isinstance(value, list):
            urls = [entry.get("url", "") for entry in value if isinstance(entry, dict)]
            flat.append(("index", urls))
        elif key == "pip" and isinstance(value, dict):
            flat += [(f"pip.{name}", item) for name, item in value.items()]
        elif not isinstance(value, (dict, list)) or key in OWNED["uv"]:
            flat.append((key, value))
    return flat


def _jupyter(paths: ConfigPaths) -> list[Entry]:
    """Only the Extension Manager's keys: the rest of that file may hold tokens."""
    if paths.jupyter is None:
        return []
    try:
        settings = parse("jupyter", paths.jupyter.read_text("utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return []
    except (OSError, UnicodeDecodeError, ConfigFormatError) as error:
        return [_unreadable(str(error), str(paths.jupyter))]
    return [
        {"key": key, "value": _text(settings[key]), "source": str(paths.jupyter)}
        for key in OWNED["jupyter"]
        if key in settings
    ]
