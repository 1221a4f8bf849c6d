"""The wheel tags a kernel's own interpreter supports, asked of that interpreter.

The server's Python is not the kernel's: a kernel may run another Python version, another
ABI (free-threaded, debug) or another implementation, so what fits is asked of the kernel's
interpreter, once, and the answer kept while the interpreter's file stays the same. The
answer is kept by the interpreter's real file: every virtual environment made from one
Python (its ``bin/python`` links to it) has that Python's tags, so a fresh venv kernel
starts no Python to learn them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import AirlockError
from ..processes import last_line, run, timeout_raises

log = logging.getLogger(__name__)

# Run with -I (isolated: no current directory, user site or PYTHON* variables on sys.path), so
# a stray packaging/ or json.py next to the server cannot answer in the interpreter's place.
# The script stays valid for old Pythons (3.6+): a kernel may be much older than the server.
_SCRIPT = r"""
import json, os, sys, sysconfig

def from_packaging(module):
    sys_tags = __import__(module, fromlist=["sys_tags"]).sys_tags
    return [str(tag) for tag in sys_tags()]

def fallback():
    # Minimal sys_tags(): CPython's own ABI, abi3 and none; then pure-Python tags.
    major, minor = sys.version_info[:2]
    nodot = "%d%d" % (major, minor)
    var = sysconfig.get_config_var
    plat = sysconfig.get_platform().replace(".", "_").replace("-", "_").replace(" ", "_")
    platforms = [plat]
    if plat.startswith("linux_"):
        arch = plat[len("linux_"):]
        if arch == "x86_64" and sys.maxsize <= 2 ** 32:
            arch = "i686"
        platforms = ["linux_" + arch]
        try:
            glibc = os.confstr("CS_GNU_LIBC_VERSION").split()[1].split(".")
            glibc = (int(glibc[0]), int(glibc[1]))
        except (AttributeError, IndexError, OSError, ValueError):
            glibc = None  # musl or another libc: no manylinux wheel fits
        if glibc is not None and glibc[0] == 2:
            legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
            for level in range(glibc[1], 4, -1):
                platforms.append("manylinux_2_%d_%s" % (level, arch))
                if level in legacy:
                    platforms.append("%s_%s" % (legacy[level], arch))
    tags = []
    cpython = sys.implementation.name == "cpython"
    if cpython:
        threaded = (major, minor) >= (3, 13) and bool(var("Py_GIL_DISABLED"))
        abi = "cp" + nodot + ("t" if threaded else "") + ("d" if var("Py_DEBUG") else "")
        if (major, minor) < (3, 8) and var("WITH_PYMALLOC"):
            abi += "m"
        abis = [abi] + ([] if threaded else ["abi3"]) + ["none"]
        tags += ["cp%s-%s-%s" % (nodot, a, p) for a in abis for p in platforms]
        if not threaded:
            tags += ["cp%d%d-abi3-%s" % (major, m, p) for m in range(minor - 1, 1, -1)
                     for p in platforms]
    pythons = ["py" + nodot, "py%d" % major] + ["py%d%d" % (major, m)
                                                for m in range(minor - 1, -1, -1)]
    tags += ["%s-none-%s" % (py, p) for py in pythons for p in platforms]
    if cpython:
        tags.append("cp%s-none-any" % nodot)
    tags += ["%s-none-any" % py for py in pythons]
    return tags

for source in ("packaging.tags", "pip._vendor.packaging.tags", "fallback"):
    try:
        tags = fallback() if source == "fallback" else from_packaging(source)
        break
    except Exception:
        continue
print(json.dumps({"source": source, "tags": tags}))
"""

_TAG = re.compile(r"[^-\s]+-[^-\s]+-[^-\s]+")  # interpreter-abi-platform

# Per interpreter file (resolved path, mtime): its answer.
_cache: dict[tuple[str, int], tuple[str, ...]] = {}


async def supported_tags(python: str, timeout: float = 30) -> list[str]:
    """The tags ``python`` accepts, best first, as ``sys_tags()`` run by that interpreter says.

    ``python`` is a path or a command name (as a kernelspec's ``argv[0]`` may be). Failures
    raise ``AirlockError("kernel-python", ...)`` naming the interpreter.
    """
    found, identity = await asyncio.to_thread(_locate, python)
    cached = _cache.get(identity)
    if cached is not None:
        return list(cached)
    tags = await _ask(python, found, timeout)
    _cache[identity] = tuple(tags)
    return tags


async def interpreter_identity(python: str) -> tuple[str, int]:
    """What identifies the interpreter ``python`` runs: its real file and that file's
    mtime (a venv's python is a link to its base interpreter)."""
    return (await asyncio.to_thread(_locate, python))[1]


def _locate(python: str) -> tuple[str, tuple[str, int]]:
    """The executable ``python`` names, and what identifies its file: real path and mtime."""
    found = shutil.which(python)
    if found is None:
        raise _error(python, "does not exist or is not executable; check the kernel's kernelspec")
    try:
        real = os.path.realpath(found)
        return found, (real, os.stat(real).st_mtime_ns)
    except OSError as error:
        raise _error(python, f"cannot be read: {error.strerror}") from error


async def _ask(python: str, executable: str, timeout: float) -> list[str]:
    try:
        with timeout_raises(_error(python, f"did not answer within {timeout:g} seconds")):
            result = await run([executable, "-I", "-c", _SCRIPT], timeout=timeout)
    except OSError as error:
        raise _error(python, f"cannot be run: {error.strerror}") from error
    if result.returncode != 0:
        raise _error(
            python, f"failed (exit status {result.returncode}): {last_line(result.stderr)}"
        )
    try:
        # The last line: a sitecustomize of the environment may print before the script runs.
        answer = json.loads(result.stdout.strip().splitlines()[-1])
        source, tags = answer["source"], answer["tags"]
    except (IndexError, KeyError, TypeError, ValueError):
        raise _error(python, "gave an answer that is not a list of tags") from None
    if (
        not isinstance(tags, list)
        or not tags
        or not all(isinstance(t, str) and _TAG.fullmatch(t) for t in tags)
    ):
        raise _error(python, "gave an answer that is not a list of tags")
    log.debug("the tags of %s come from %s", python, source)
    return tags


def _error(python: str, problem: str) -> AirlockError:
    return AirlockError("kernel-python", f"The kernel's Python {python!r} {problem}.", 409)


@dataclass(frozen=True)
class Platform:
    """A wheel platform tag in parts.

    ``os`` is "linux", "macos", "windows", "any" or, for a platform not known here, the tag
    itself. ``libc`` ("glibc", "musl") and ``version`` (the oldest glibc, musl or macOS the
    tag requires) are set when the tag says; ``arch`` is spelt as in the tag, except Windows'
    "amd64"/"win32", which are "x86_64"/"x86" as elsewhere.
    """

    tag: str
    os: str
    arch: str | None = None
    libc: str | None = None
    version: tuple[int, int] | None = None


# PEP 513/571/599 names for glibc 2.5, 2.12 and 2.17.
_LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
_VERSIONED = re.compile(r"(manylinux|musllinux|macosx)_(\d+)_(\d+)_(\w+)")
_LEGACY = re.compile(r"(manylinux1|manylinux2010|manylinux2014)_(\w+)")
_WINDOWS_ARCH = {"win32": "x86", "win_amd64": "x86_64", "win_arm64": "arm64"}
_CONDA_SUBDIRS = {
    ("linux", "x86_64"): "linux-64",
    ("linux", "i686"): "linux-32",
    ("linux", "aarch64"): "linux-aarch64",
    ("linux", "ppc64le"): "linux-ppc64le",
    ("linux", "s390x"): "linux-s390x",
    ("linux", "armv7l"): "linux-armv7l",
    ("macos", "x86_64"): "osx-64",
    ("macos", "arm64"): "osx-arm64",
    ("windows", "x86_64"): "win-64",
    ("windows", "x86"): "win-32",
    ("windows", "arm64"): "win-arm64",
}


def parse_platform(tag: str) -> Platform:
    """The parts of one platform tag, e.g. ``manylinux_2_28_x86_64``; never raises."""
    if tag == "any":
        return Platform(tag, "any")
    if match := _VERSIONED.fullmatch(tag):
        kind, major, minor, arch = match.groups()
        version = (int(major), int(minor))
        if kind == "macosx":
            return Platform(tag, "macos", arch, None, version)
        return Platform(tag, "linux", arch, "glibc" if kind == "manylinux" else "musl", version)
    if match := _LEGACY.fullmatch(tag):
        return Platform(tag, "linux", match[2], "glibc", _LEGACY_MANYLINUX[match[1]])
    if tag.startswith("linux_"):
        return Platform(tag, "linux", tag[len("linux_") :])
    if tag in _WINDOWS_ARCH:
        return Platform(tag, "windows", _WINDOWS_ARCH[tag])
    return Platform(tag, tag)


def platform_subdir(tags: Sequence[str]) -> str | None:
    """The conda subdir (``linux-64``, ``osx-arm64``, ...) of the interpreter with these tags.

    Its platform is that of its best tag which is not ``any``; None when conda has no
    subdir for it or the tags are not known.
    """
    for tag in tags:
        platform = parse_platform(tag.rsplit("-", 1)[-1])
        if platform.os != "any":
            return _CONDA_SUBDIRS.get((platform.os, platform.arch or ""))
    return None


def interpreter_prefix(python: str) -> Path:
    """The environment an interpreter at ``<prefix>/bin/python`` belongs to (not resolved:
    a venv's python links to its base interpreter)."""
    return Path(python).parent.parent
