"""Which tools the doctor asks, with which harmless command, and what their answers mean.

Each command resolves one package and installs nothing: pip's dry run, uv's compile of
one requirement, npm's view of one version, conda's search. The tools read their own
files (those the profile wrote) and the environment a kernel gets, so what works here
works in a notebook.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..connectivity.network import channel_urls, network_of
from ..processes import run
from ..secrets import redact
from .explain import Target, explain

_WHAT = {"pip": "pip index", "uv": "pip index", "conda": "conda channel", "npm": "npm registry"}
# One try and a short wait: a silent mirror is reported in seconds, not minutes.
_QUICK = {"uv": {"UV_HTTP_TIMEOUT": "10", "UV_HTTP_RETRIES": "0"}}

TIMEOUT = 60.0  # seconds one tool may take; each gives up on a silent mirror sooner
OUTPUT_LINES = 12  # of the tool's output, shown under a failure
# The lines of a failure's output that say why (pip's debug output says much more).
_TELLING = re.compile(r"error|fail|could not|cause|hint|refused|denied", re.IGNORECASE)


async def run_doctor(
    profile: Mapping[str, Any],
    environ: Mapping[str, str],
    *,
    python: str = sys.executable,
    python_package: str = "pip",
    npm_package: str = "npm",
    timeout: float = TIMEOUT,
) -> list[dict[str, Any]]:
    """One result per tool, in the order pip, uv, conda, npm:
    ``{"tool", "command", "outcome", "ok", "message", "output"}``.

    ``outcome`` is ``reached``, ``failed``, ``offline`` (the profile reaches no index:
    nothing is run), ``not-configured`` (the profile says nothing for that tool) or
    ``not-installed``. ``ok`` is false for a failure and for a mirror reached that lacks the
    package asked for (nothing was resolved: the check is not whole); the last three
    outcomes checked nothing and are not failures. ``profile`` is the profile as written (with
    this server's index when it serves the read bucket).
    """
    env = dict(environ)
    path = env.get("PATH", os.defpath)
    index = (profile.get("pip") or {}).get("index-url", "")
    conda = profile.get("conda") or {}
    channels = conda.get("channels") or []
    channel = channel_urls(channels[0], conda)[0] if channels else ""
    npm_registry = (profile.get("npm") or {}).get("registry", "")
    checks = [
        ("pip", [python, "-m", "pip"], index, python_package, _pip),
        ("uv", _uv_binary(path), index, python_package, _uv),
        ("conda", _which(path, "conda", "micromamba", "mamba"), channel, python_package, _conda),
        ("npm", _which(path, "npm"), npm_registry, npm_package, _npm),
    ]
    with tempfile.TemporaryDirectory(prefix="airlock-doctor-") as scratch:
        results = await asyncio.gather(
            *(
                _check(tool, program, url, package, argv, profile, env, python, timeout, scratch)
                for tool, program, url, package, argv in checks
            )
        )
    return list(results)


async def _check(
    tool: str,
    program: list[str] | None,
    url: str,
    package: str,
    argv_of: Any,
    profile: Mapping[str, Any],
    env: dict[str, str],
    python: str,
    timeout: float,
    scratch: str,
) -> dict[str, Any]:
    if program is None:
        return _result(
            tool, "", "not-installed", True, "Not installed on the server's machine.", ""
        )
    if not url and not profile.get("offline"):
        message = f"The profile names no {_WHAT[tool]}: {tool} keeps its own settings."
        return _result(tool, "", "not-configured", True, message, "")
    argv = argv_of(program, package, python)
    command = redact(shlex.join([Path(argv[0]).name, *argv[1:]]))
    # uv reads the requirement from its standard input: no file of the user's involved.
    stdin = Path(scratch) / "requirements.in" if tool == "uv" else None
    if stdin is not None:
        stdin.write_text(f"{package}\n", "utf-8")
        command = f"echo {shlex.quote(package)} | {command}"
    if profile.get("offline"):
        message = (
            f"The profile '{profile.get('name')}' is offline: {tool} is set to reach no "
            "index, so there is nothing to reach. Install from transferred files instead."
        )
        return _result(tool, command, "offline", True, message, "")
    try:
        completed = await run(
            argv, timeout=timeout, env={**env, **_QUICK.get(tool, {})}, stdin=stdin
        )
    except asyncio.TimeoutError:
        return _result(tool, command, "failed", False, "Did not finish in time.", "")
    except OSError as error:
        message = f"Cannot be run: {error.strerror or error}."
        return _result(tool, command, "failed", False, message, "")
    output = completed.stdout + completed.stderr
    if completed.returncode == 0:
        where = f" at {redact(url)}" if url else ""
        message = f"Found '{package}'{where}."
        return _result(tool, command, "reached", True, message, "")
    net = network_of(profile, timeout)
    proxy = net.proxy_for(urlsplit(url)) if url else None
    target = Target(url, proxy, package, net.ca_bundle, index=tool in ("pip", "uv"))
    cause, reached = await explain(output, target, tool, min(timeout, 10.0))
    if reached:  # the mirror answered, without the package: nothing was resolved
        return _result(tool, command, "reached", False, _sentence(cause), "")
    shown = "\n".join(
        [line for line in output.splitlines() if _TELLING.search(line)][-OUTPUT_LINES:]
    )
    return _result(tool, command, "failed", False, _sentence(cause), shown)


def _sentence(cause: str) -> str:
    return cause[0].upper() + cause[1:] + "."


def _result(
    tool: str, command: str, outcome: str, ok: bool, message: str, output: str
) -> dict[str, Any]:
    return {
        "tool": tool,
        "command": command,
        "outcome": outcome,
        "ok": ok,
        "message": message,
        "output": redact(output),
    }


def _which(path: str, *names: str) -> list[str] | None:
    for name in names:
        found = shutil.which(name, path=path)
        if found:
            return [found]
    return None


def _uv_binary(path: str) -> list[str] | None:
    """uv on the kernels' PATH, else the one shipped in the server's Python package."""
    found = _which(path, "uv")
    if found:
        return found
    try:
        import uv
    except ImportError:
        return None
    try:
        return [uv.find_uv_bin()]
    except FileNotFoundError:
        return None


# --- the harmless commands ------------------------------------------------------------------


def _pip(program: list[str], package: str, python: str) -> list[str]:
    # --ignore-installed: an installed package would be "already satisfied" without asking.
    # -vv: pip tells why it could not fetch an index page only in its debug output.
    return [
        *program,
        "install",
        "-vv",
        "--dry-run",
        "--no-deps",
        "--ignore-installed",
        "--no-cache-dir",
        "--no-input",
        "--disable-pip-version-check",
        "--retries",
        "0",
        "--timeout",
        "10",
        package,
    ]


def _uv(program: list[str], package: str, python: str) -> list[str]:
    return [
        *program,
        "pip",
        "compile",
        "-",
        "--no-deps",
        "--no-cache",
        "--no-header",
        "--python",
        python,
    ]


def _conda(program: list[str], package: str, python: str) -> list[str]:
    return [*program, "search", "--json", package]


def _npm(program: list[str], package: str, python: str) -> list[str]:
    return [
        *program,
        "view",
        package,
        "version",
        "--prefer-online",
        "--fetch-retries=0",
        "--fetch-timeout=10000",
    ]
