"""The environment behind each kernelspec, as its own interpreter describes it.

``describe_environment(python)`` answers with one flat JSON object:

- ``python``: the interpreter asked, as given.
- ``version``: its Python version, e.g. ``"3.11.7"``.
- ``prefix``, ``base_prefix``: its ``sys.prefix`` and ``sys.base_prefix``.
- ``kind``: ``"conda"`` (``<prefix>/conda-meta`` exists), ``"venv"`` (else, the prefixes
  differ or ``<prefix>/pyvenv.cfg`` exists) or ``"system"``.
- ``site_packages``: where installs go, ``sysconfig.get_paths()["purelib"]``.
- ``writable``: whether this user may write there (permissions and read-only mounts).
- ``why_not_writable``: plain words saying why not and what to do; None when writable.
- ``advice``: None, or for a system Python why installing into it is a bad idea even when
  ``writable`` is true.
- ``packages``: ``[{"name", "version", "installer", "ecosystem"}]``, sorted by lower-case
  name: the distributions ``importlib.metadata`` finds inside that interpreter (so pip
  need not be there), the first on ``sys.path`` for each normalized name; ``installer``
  is the contents of the distribution's INSTALLER file, or None. A conda environment's packages that
  Python does not list (libraries, python itself) are added from its ``conda-meta``
  records, with installer and ecosystem ``"conda"`` (the others' ecosystem is ``"pypi"``:
  PyPI's advisories and package URLs apply to them only).

``describe_kernel`` adds ``name``, ``display_name`` and ``language`` of the kernelspec; a
kernel whose environment cannot be described has those three and ``error``
(``{"code", "message"}``) instead, so it is still listed, saying why.

What the interpreter says is kept while nothing it depends on changes: the interpreter's
file and ``pyvenv.cfg``, and in each folder of its ``sys.path`` (and its ``conda-meta``)
the folder's date and the names of its distributions' metadata. An install, by Airlock or
by hand with pip, conda or uv, changes those; so a warm plan starts no Python.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from ..conda.records import prefix_records
from ..errors import AirlockError
from ..processes import last_line, run, timeout_raises
from .interpreter import kernel_python

# Facts only, judged by the server. -I keeps the current directory, the user site and
# PYTHON* variables off sys.path, so the environment alone answers. Needs Python 3.8+
# (importlib.metadata). The normalization is PEP 503's, as pip's; a folder left without a
# name or version by a broken install is skipped.
_SCRIPT = r"""
import json, platform, re, sys, sysconfig
from importlib import metadata

packages, seen = [], set()
for dist in metadata.distributions():
    meta = dist.metadata or {}
    name, version = meta.get("Name"), meta.get("Version")
    key = re.sub(r"[-_.]+", "-", name or "").lower()
    if not key or version is None or key in seen:
        continue
    seen.add(key)
    installer = (dist.read_text("INSTALLER") or "").strip()
    packages.append({"name": name, "version": version, "installer": installer or None})
print(json.dumps({
    "version": platform.python_version(),
    "prefix": sys.prefix,
    "base_prefix": sys.base_prefix,
    "site_packages": sysconfig.get_paths()["purelib"],
    "path": [entry for entry in sys.path if entry],
    "packages": packages,
}))
"""

_FACTS = ("version", "prefix", "base_prefix", "site_packages")
# The entries whose names change when a distribution is installed, upgraded or removed.
_METADATA = (".dist-info", ".egg-info", ".egg-link", ".pth", ".json")
# A folder modified this recently may change again within its file system's clock tick
# without its date moving (as in sources/listings.py): its facts are not kept.
SETTLE_NS = 3_000_000_000
# Per interpreter: what its facts depended on when they were read, and the facts.
_known: dict[str, tuple[tuple[object, ...], dict[str, Any]]] = {}


async def describe_environment(python: str, timeout: float = 30) -> dict[str, Any]:
    """What the environment of interpreter ``python`` is, and what is installed there.

    Failures raise ``AirlockError("kernel-python", ..., 409)`` naming the interpreter.
    """
    facts = await _facts(python, timeout)
    prefix, site_packages = facts["prefix"], facts["site_packages"]
    # The server checks: kernels run as the server's user, on the same file systems.
    kind = await asyncio.to_thread(_kind, prefix, facts["base_prefix"])
    why_not = await asyncio.to_thread(_why_not_writable, site_packages, prefix)
    advice = None
    if kind == "system":
        advice = (
            f"This is the system Python ({prefix}): installing into it affects every user "
            "of it; prefer a virtual environment."
        )
    return {
        "python": python,
        **{key: facts[key] for key in _FACTS},
        "kind": kind,
        "writable": why_not is None,
        "why_not_writable": why_not,
        "advice": advice,
        "packages": sorted(
            [package | {"ecosystem": "pypi"} for package in facts["packages"]]
            + await _conda_only(kind, prefix, facts["packages"]),
            key=lambda package: package["name"].lower(),
        ),
    }


async def _facts(python: str, timeout: float) -> dict[str, Any]:
    """What the interpreter says of itself: kept while its state stays the same."""
    known = _known.get(python)
    if known is not None and await asyncio.to_thread(_state, python, known[1]) == known[0]:
        return known[1]
    facts = _read_facts(python, await _run(python, timeout))
    state = await asyncio.to_thread(_state, python, facts)
    if state is None:
        _known.pop(python, None)
    else:
        _known[python] = (state, facts)
    return facts


def _state(python: str, facts: dict[str, Any]) -> tuple[object, ...] | None:
    """What the facts of ``python`` depend on, now; None when part of it changed too
    recently to tell a later change by its date."""
    now = time.time_ns()
    found = shutil.which(python)
    executable = os.path.realpath(found) if found else python
    prefix = Path(facts["prefix"])
    folders = [*facts["path"], str(prefix / "conda-meta")]
    state: list[object] = []
    for path in [executable, str(prefix / "pyvenv.cfg"), *folders]:
        try:
            info = os.stat(path)
        except OSError:
            state.append((path, None))
            continue
        if now - info.st_mtime_ns <= SETTLE_NS:
            return None
        names: tuple[str, ...] = ()
        if path in folders and os.path.isdir(path):
            try:
                names = tuple(sorted(n for n in os.listdir(path) if n.endswith(_METADATA)))
            except OSError:
                return None
        state.append((path, info.st_ino, info.st_mtime_ns, info.st_size, names))
    return tuple(state)


async def _conda_only(kind: str, prefix: str, listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A conda environment's packages that Python does not list (a library, a compiler,
    python itself), from its conda-meta records, installed by conda."""
    if kind != "conda":
        return []
    try:
        records = await asyncio.to_thread(prefix_records, Path(prefix))
    except AirlockError:
        return []  # an unreadable record: the Python packages are still worth showing
    known = {canonicalize_name(package["name"]) for package in listed}
    return [
        {
            "name": record.name.normalized,
            "version": str(record.version),
            "installer": "conda",
            "ecosystem": "conda",
        }
        for record in records
        if canonicalize_name(record.name.normalized) not in known
    ]


async def describe_kernel(spec_manager: Any, name: str) -> dict[str, Any]:
    """Kernelspec ``name`` and its environment, or why that cannot be described.

    Raises ``AirlockError("unknown-kernel", ..., 404)`` only when there is no such kernel.
    """
    spec, python = await asyncio.to_thread(_spec_and_python, spec_manager, name)
    described = {"name": name, "display_name": spec.display_name, "language": spec.language}
    if isinstance(python, str):
        try:
            return described | await describe_environment(python)
        except AirlockError as error:
            python = error
    return described | {"error": python.to_json()}


async def describe_kernels(spec_manager: Any) -> list[dict[str, Any]]:
    """Every kernelspec, described concurrently, sorted by display name."""
    names = await asyncio.to_thread(spec_manager.get_all_specs)
    described = await asyncio.gather(*(_describe_listed(spec_manager, name) for name in names))
    kernels = [kernel for kernel in described if kernel is not None]
    return sorted(kernels, key=lambda kernel: (kernel["display_name"].casefold(), kernel["name"]))


async def _describe_listed(spec_manager: Any, name: str) -> dict[str, Any] | None:
    try:
        return await describe_kernel(spec_manager, name)
    except AirlockError as error:
        # A kernelspec removed since the listing is simply no longer there.
        if error.code == "unknown-kernel":
            return None
        raise


def _spec_and_python(spec_manager: Any, name: str) -> tuple[Any, str | AirlockError]:
    """The kernelspec and its interpreter, or why it has none; unknown kernels raise."""
    try:
        python: str | AirlockError = kernel_python(spec_manager, name)
    except AirlockError as error:
        if error.code == "unknown-kernel":
            raise
        python = error
    return spec_manager.get_kernel_spec(name), python


async def _run(python: str, timeout: float) -> str:
    """The standard output of ``python -I -c _SCRIPT``, which must exit with 0."""
    try:
        with timeout_raises(_error(python, f"did not answer within {timeout:g} seconds")):
            result = await run([python, "-I", "-c", _SCRIPT], timeout=timeout)
    except FileNotFoundError:
        raise _error(python, "cannot be found") from None
    except PermissionError:
        raise _error(python, "is not executable") from None
    except OSError as error:
        raise _error(python, f"cannot be run: {error.strerror}") from None
    if result.returncode != 0:
        raise _error(python, f"exited with code {result.returncode}: {last_line(result.stderr)}")
    return result.stdout


def _read_facts(python: str, output: str) -> dict[str, Any]:
    """The script's answer, checked: it comes from another program."""
    try:
        # The last line: a sitecustomize of the environment may print before the script.
        facts = json.loads(output.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise _error(python, "gave an answer Airlock cannot read") from None
    if not (
        isinstance(facts, dict)
        and all(isinstance(facts.get(key), str) for key in _FACTS)
        and isinstance(facts.get("path"), list)
        and all(isinstance(entry, str) for entry in facts["path"])
        and isinstance(facts.get("packages"), list)
        and all(_is_package(package) for package in facts["packages"])
    ):
        raise _error(python, "gave an answer Airlock cannot read")
    return facts


def _is_package(package: Any) -> bool:
    return (
        isinstance(package, dict)
        and package.keys() == {"name", "version", "installer"}
        and isinstance(package["name"], str)
        and isinstance(package["version"], str)
        and isinstance(package["installer"], (str, type(None)))
    )


def _kind(prefix: str, base_prefix: str) -> str:
    # conda-meta first: conda manages such a prefix even when its python is venv-like.
    if os.path.isdir(os.path.join(prefix, "conda-meta")):
        return "conda"
    if prefix != base_prefix or os.path.exists(os.path.join(prefix, "pyvenv.cfg")):
        return "venv"
    return "system"


def _why_not_writable(path: str, prefix: str) -> str | None:
    """Why this user cannot install into ``path`` of the environment at ``prefix``, or None."""
    # pip creates a missing site-packages: what counts is the nearest folder that exists.
    existing = os.path.abspath(path)
    while not os.path.isdir(existing) and os.path.dirname(existing) != existing:
        existing = os.path.dirname(existing)
    # Checked first and on its own: root may write anywhere except on a read-only mount.
    if sys.platform != "win32" and os.statvfs(existing).f_flag & os.ST_RDONLY:
        return (
            f"The environment at {prefix} is on a read-only file system: ask your admin "
            "to install there, or create a kernel of your own."
        )
    if not os.access(existing, os.W_OK):
        return (
            f"You may not write to the environment at {prefix} ({existing}): ask its "
            "owner to install there, or create a kernel of your own."
        )
    return None


def _error(python: str, problem: str) -> AirlockError:
    return AirlockError("kernel-python", f"The kernel's Python {python} {problem}.", 409)
