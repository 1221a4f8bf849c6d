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

The interpreter is asked for its ``sys.path`` (and version, prefixes), and that answer is
kept while nothing it depends on changes: the interpreter's file, ``pyvenv.cfg``, and in
each folder of its ``sys.path`` the names of the files that add to it (``.pth``,
``sitecustomize.py``). The packages are read from that ``sys.path`` each time, in the
server, as ``importlib.metadata`` in the kernel would: an install by Airlock or by hand
(pip, conda or uv in a terminal) is seen by the next description, which starts no Python.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from email.message import Message
from importlib import metadata
from pathlib import Path
from typing import Any, cast

from packaging.utils import canonicalize_name

from ..conda.records import prefix_records
from ..errors import AirlockError
from ..processes import last_line, run, timeout_raises
from .interpreter import kernel_python

# Facts only, judged by the server. -I keeps the current directory, the user site and
# PYTHON* variables off sys.path, so the environment alone answers.
_SCRIPT = r"""
import json, platform, sys, sysconfig
print(json.dumps({
    "version": platform.python_version(),
    "prefix": sys.prefix,
    "base_prefix": sys.base_prefix,
    "site_packages": sysconfig.get_paths()["purelib"],
    "path": [entry for entry in sys.path if entry],
}))
"""

_FACTS = ("version", "prefix", "base_prefix", "site_packages")
# The entries of a sys.path folder that add to sys.path when the interpreter starts.
_PATH_FILES = (".pth",)
_CUSTOMIZE = ("sitecustomize.py", "usercustomize.py")
_DISTRIBUTIONS = (".dist-info", ".egg-info")
# Per interpreter: what its answer depended on when it was asked, the answer, and the
# lines of its venv's pyvenv.cfg then (None outside a venv): a sibling is compared with
# those, also once that venv is gone (kernels come and go).
_known: dict[str, tuple[tuple[object, ...], dict[str, Any], list[str] | None]] = {}


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
    """What the interpreter says of itself (asked again only when what it depends on
    changed), and the packages on its ``sys.path``, read now."""
    known = _known.get(python)
    if known is not None and await asyncio.to_thread(_state, python, known[1]) == known[0]:
        facts = known[1]
    else:
        sibling = await asyncio.to_thread(_sibling, python)
        facts = sibling or _read_facts(python, await _run(python, timeout))
        _known[python] = await asyncio.to_thread(_remembered, python, facts)
    return facts | {"packages": await asyncio.to_thread(_packages, facts["path"])}


def _remembered(
    python: str, facts: dict[str, Any]
) -> tuple[tuple[object, ...], dict[str, Any], list[str] | None]:
    return _state(python, facts), facts, _venv_config(facts["prefix"])


def _sibling(python: str) -> dict[str, Any] | None:
    """The answer of venv interpreter ``python``, from another venv of the same Python
    that was asked, when nothing can tell them apart but their folder: the same
    interpreter file and ``pyvenv.cfg`` (its ``command`` line aside), no file in either
    venv that adds to ``sys.path``, the same such files elsewhere. A fresh venv kernel then
    starts no Python to be described; None when any of that does not hold."""
    prefix = os.path.dirname(os.path.dirname(python))
    if not os.path.isabs(python) or os.path.realpath(prefix) != prefix:
        return None
    config = _venv_config(prefix)
    if config is None:
        return None
    for other, (state, facts, then) in list(_known.items()):
        old = facts["prefix"]
        if old == prefix or old != os.path.dirname(os.path.dirname(other)) or then != config:
            continue
        derived = {key: _moved(value, old, prefix) for key, value in facts.items()}
        now = _state(python, derived)
        if now[0] != state[0] or len(now) != len(state):
            continue  # another interpreter, or it changed since
        if _same_path_files(now[2:], state[2:], old, prefix):
            return derived
    return None


def _same_path_files(now: tuple[object, ...], then: tuple[object, ...], old: str, new: str) -> bool:
    """Whether the ``sys.path`` folders of venv ``new`` (``now``) hold the same files that
    add to it as those of venv ``old`` did (``then``), and neither venv holds any."""
    for folder_now, folder_then in zip(now, then, strict=True):
        if _moved(folder_then, old, new) != folder_now:
            return False
        folder, names = cast(tuple[str, tuple[str, ...]], folder_now)
        if names and _inside(folder, new):
            return False
    return True


def _venv_config(prefix: str) -> list[str] | None:
    """The lines of ``<prefix>/pyvenv.cfg`` that decide the interpreter's answer."""
    try:
        with open(os.path.join(prefix, "pyvenv.cfg"), encoding="utf-8") as config:
            lines = config.read().splitlines()
    except (OSError, ValueError):
        return None
    return sorted(line for line in lines if not line.replace(" ", "").startswith("command="))


def _moved(value: Any, old: str, new: str) -> Any:
    """``value`` (a path, or paths in a list or tuple) with prefix ``old`` made ``new``."""
    if isinstance(value, str) and _inside(value, old):
        return new + value[len(old) :]
    if isinstance(value, (list, tuple)):
        return type(value)(_moved(item, old, new) for item in value)
    return value


def _inside(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + os.sep)


def _state(python: str, facts: dict[str, Any]) -> tuple[object, ...]:
    """What the answer of ``python`` depends on, now: its file and ``pyvenv.cfg``, and in
    each folder of its ``sys.path`` the files that add folders to it."""
    found = shutil.which(python)
    executable = os.path.realpath(found) if found else python
    state: list[object] = []
    for path in [executable, str(Path(facts["prefix"]) / "pyvenv.cfg")]:
        try:
            info = os.stat(path)
        except OSError:
            state.append((path, None))
            continue
        state.append((path, info.st_ino, info.st_mtime_ns, info.st_size))
    for folder in facts["path"]:
        try:
            names = tuple(
                sorted(n for n in os.listdir(folder) if n.endswith(_PATH_FILES) or n in _CUSTOMIZE)
            )
        except OSError:
            names = ()  # not a folder (a zip) or not there: it adds nothing
        state.append((folder, names))
    return tuple(state)


def _packages(path: list[str]) -> list[dict[str, Any]]:
    """The distributions on ``path`` (a kernel's ``sys.path``), the first for each
    normalized name (PEP 503, as pip); one left without a name or version by a broken
    install is skipped. Each folder is listed now: ``importlib.metadata``'s own lookup
    trusts a folder's date, which a coarse clock leaves unchanged across an install."""
    packages, seen = [], set()
    for folder in path:
        try:
            entries = sorted(os.listdir(folder))
        except OSError:
            continue  # a zip or a folder not there: no installed distributions
        for entry in entries:
            if not entry.endswith(_DISTRIBUTIONS):
                continue
            dist = metadata.PathDistribution(Path(folder, entry))
            # An email message, as importlib.metadata reads it: a missing field is None.
            meta = cast(Message, dist.metadata)
            name, version = meta.get("Name"), meta.get("Version")
            key = canonicalize_name(name or "")
            if not key or version is None or key in seen:
                continue
            seen.add(key)
            installer = (dist.read_text("INSTALLER") or "").strip()
            packages.append({"name": name, "version": version, "installer": installer or None})
    return packages


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
    ):
        raise _error(python, "gave an answer Airlock cannot read")
    return facts


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
