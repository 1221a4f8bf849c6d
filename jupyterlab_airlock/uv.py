"""uv, as Airlock runs it: the binary of the ``uv`` package beside the server, acting on a
kernel's interpreter with ``--python``, with the user's uv and pip configuration kept out.

uv resolves and installs the same wheels as pip in a fraction of the time (it links from
its cache instead of unpacking, and resolves in one process). Airlock keeps what uv lacks
around it: the plan, policy, manifests, the content cache, audit and roll back.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name
from uv import find_uv_bin

from .pip import PROXY_VARIABLES, Missing

# Variables that would point uv (or the interpreter it inspects) somewhere else than the
# files Airlock chose.
_DROPPED = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV")
_CHANGE = re.compile(r"^ (?P<sign>[-+~]) (?P<name>[^=@\s]+)(?:==(?P<version>\S+)| @ (?P<url>\S+))")
_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]|[A-Za-z0-9]"
_SPEC = r"(?:[<>=!~][^\s]*)?"
# uv explains a failed resolution in sentences: the packages it found no usable file for
# ("x was not found in ...", "x==1 has no wheels with a matching platform tag", "only x==1
# is available"), and who asked for them ("y depends on x>=2", "you require x").
_BLAMED = re.compile(
    rf"(?P<a>{_NAME})(?:==\S+)? (?:was not found in|has no wheels with|has no usable)"
    rf"|only (?P<b>{_NAME})==\S+ (?:is|are) available"
    rf"|there (?:is|are) no versions? of (?P<c>{_NAME})"
)
_ASKED = re.compile(
    rf"(?:(?P<by>{_NAME})(?:\[[^\]]*\])?(?:[<>=!~]=?\S+?)? depends? on|you require) "
    rf"(?P<name>{_NAME})(?P<spec>{_SPEC})"
)
# uv's debug log (-v) says which dependency each selected package adds.
_EDGE = re.compile(
    rf"Adding transitive dependency for (?P<by>{_NAME})(?:\[[^\]]*\])?==(?P<version>\S+): "
    rf"(?P<name>{_NAME})"
)


def uv_command(subcommand: str, python: str | Path, *arguments: str) -> list[str]:
    """``uv pip <subcommand> --python <python> <arguments>``, run by the server's uv."""
    return [str(find_uv_bin()), "pip", subcommand, "--python", str(python), *arguments]


def uv_environment(cache_dir: Path | None, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of an Airlock uv run: no user or system uv.toml (``UV_NO_CONFIG``),
    no ``UV_*``/``PIP_*`` settings, no proxies, no Python downloads, and Airlock's own
    cache ``cache_dir`` (kept warm across installs), or none at all."""
    source = os.environ if base is None else base
    env = {
        key: value
        for key, value in source.items()
        if not key.startswith(("UV_", "PIP_"))
        and key not in _DROPPED
        and key.lower() not in PROXY_VARIABLES
    }
    env.update(
        UV_NO_CONFIG="1",
        UV_PYTHON_DOWNLOADS="never",
        UV_NO_PROGRESS="1",
        NO_COLOR="1",
    )
    if cache_dir is None:
        env["UV_NO_CACHE"] = "1"
    else:
        env["UV_CACHE_DIR"] = str(cache_dir)
    return env


@dataclass(frozen=True)
class Change:
    """One line of uv's summary: ``+`` installed, ``-`` removed, ``~`` reinstalled; a
    file given by URL has its URL instead of a version."""

    sign: str
    name: str
    version: str | None
    url: str | None


def changes_printed(output: str) -> list[Change]:
    """The `` + name==version`` lines uv prints after a (dry) run."""
    return [
        Change(match["sign"], match["name"], match["version"], match["url"])
        for match in (_CHANGE.match(line) for line in output.splitlines())
        if match
    ]


def dependents(output: str) -> dict[str, list[tuple[str, str]]]:
    """From uv's debug log (``-v``): for each package (normalized name), the packages
    (name, version) that depend on it."""
    found: dict[str, list[tuple[str, str]]] = {}
    for match in _EDGE.finditer(output):
        edge = (str(canonicalize_name(match["by"])), match["version"])
        edges = found.setdefault(str(canonicalize_name(match["name"])), [])
        if edge not in edges:
            edges.append(edge)
    return found


def unresolved(output: str) -> list[Missing]:
    """The requirements uv found no usable file for, and who asked for each, from its
    explanation of a failed resolution."""
    text = " ".join(output.split())
    asked: dict[str, tuple[str, str | None]] = {}
    for match in _ASKED.finditer(text):
        spec = match["spec"].rstrip(",.")
        asked.setdefault(canonicalize_name(match["name"]), (match["name"] + spec, match["by"]))
    found: dict[str, Missing] = {}
    for match in _BLAMED.finditer(text):
        name = match["a"] or match["b"] or match["c"]
        requirement, by = asked.get(canonicalize_name(name), (name, None))
        message = f"{requirement}, needed by {by}," if by else requirement
        found.setdefault(
            canonicalize_name(name),
            Missing(requirement, by, message + " is not in the artifact source."),
        )
    return list(found.values())


def uv_errors(output: str) -> str:
    """uv's own explanation of a failure, its ``error:`` line and what follows, trimmed."""
    lines = [line.rstrip() for line in output.splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if line.startswith("error:")), None)
    chosen = lines[start:] if start is not None else lines[-5:]
    return "\n".join(chosen[:20]) or "uv failed without saying why."


def platform_options(platforms: Sequence[str], python_version: str) -> list[str]:
    """uv's options to resolve for another target than the interpreter's own: the
    newest of a bundle's pip platform tags (manylinux_2_17_x86_64, macosx_11_0_arm64,
    win_amd64) as one of uv's target triples, and the Python version."""
    targets = [_target(tag) for tag in platforms]
    known = sorted((t for t in targets if t is not None), reverse=True)
    options = ["--python-version", python_version]
    return options + (["--python-platform", known[0][1]] if known else [])


_MANYLINUX = re.compile(r"manylinux_(?P<major>\d+)_(?P<minor>\d+)_(?P<arch>\w+)")
_LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
_ARCH = {"amd64": "x86_64", "arm64": "aarch64", "x86_64": "x86_64", "aarch64": "aarch64"}


def _target(tag: str) -> tuple[tuple[int, int], str] | None:
    """A pip platform tag as (glibc order, uv target), or None when uv has no such target."""
    for legacy, (major, minor) in _LEGACY.items():
        if tag.startswith(legacy + "_"):
            tag = f"manylinux_{major}_{minor}_{tag[len(legacy) + 1 :]}"
    found = _MANYLINUX.fullmatch(tag)
    if found:
        # uv's oldest manylinux target is 2.17: older wheels install there too.
        major, minor = max((int(found["major"]), int(found["minor"])), (2, 17))
        return (major, minor), f"{found['arch']}-manylinux_{major}_{minor}"
    if tag.startswith("macosx_"):
        arch = _ARCH.get(tag.rpartition("_")[2])
        return ((0, 0), f"{arch}-apple-darwin") if arch else None
    if tag.startswith("win_"):
        arch = _ARCH.get(tag[len("win_") :])
        return ((0, 0), f"{arch}-pc-windows-msvc") if arch else None
    if tag.startswith("musllinux_"):
        arch = _ARCH.get(tag.split("_", 3)[-1])
        return ((0, 0), f"{arch}-unknown-linux-musl") if arch else None
    if tag.startswith("linux_"):
        arch = _ARCH.get(tag[len("linux_") :])
        return ((0, 0), f"{arch}-unknown-linux-gnu") if arch else None
    return None
