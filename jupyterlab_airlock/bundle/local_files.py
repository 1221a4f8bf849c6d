"""Local wheel and sdist files in a wheel bundle: an in-house package, or Airlock's own wheel
built from a checkout, given beside requirements as a path (``dist/pkg-1.0-py3-none-any.whl``)
or as ``pkg @ file:///…``.

A wheel goes to ``pip download`` as a direct reference, so pip resolves its dependencies
from the index with the rest and copies the file into the bundle; the copy is then checked
to be that very file. An sdist is first built into a wheel here (``pip wheel``, its build
backend from the same index), because the receiving side installs wheels only. Remote URLs
stay refused: files come from the index.
"""

from __future__ import annotations

import asyncio
import sys
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from ..bundle_format.folder import BundleInputError, Target, bundle_requirement
from ..errors import AirlockError
from ..offline import sha256_file
from ..pip import pip_command
from ..processes import last_line, run
from .check import Log, quiet

BUILD_TIMEOUT = 900
WHEEL = ".whl"
SDIST_SUFFIXES = (".tar.gz", ".zip")
_WHAT = "a wheel (.whl) or a source distribution (.tar.gz)"


@dataclass(frozen=True)
class LocalFile:
    """A wheel or sdist on this machine, to bundle with its dependencies."""

    path: Path  # absolute
    name: str  # the project's name, normalized
    version: Version
    extras: frozenset[str] = frozenset()
    marker: str = ""

    @property
    def is_wheel(self) -> bool:
        return self.path.name.endswith(WHEEL)

    def pinned(self) -> str:
        """What the bundle was made for, as ``bundle.json`` records it: the name and the
        file's version (not the file's path on the DMZ machine)."""
        return f"{self._named()}=={self.version}{self._marker()}"

    def direct_reference(self, wheel: Path) -> Requirement:
        """``name[extras] @ file:///…wheel ; marker`` for pip."""
        return Requirement(f"{self._named()} @ {wheel.as_uri()} {self._marker()}")

    def _named(self) -> str:
        return self.name + (f"[{','.join(sorted(self.extras))}]" if self.extras else "")

    def _marker(self) -> str:
        return f"; {self.marker}" if self.marker else ""


def bundle_input(text: str, where: str) -> Requirement | LocalFile:
    """A requirement to bundle (``pandas>=2``), or a local wheel or sdist given as a path or
    as ``name @ file:///…``. Other URLs, pip options and missing or unfit files are
    refused with a ``BundleInputError`` naming them."""
    shown = text.strip()
    if _looks_like_path(shown):
        return local_file(Path(shown), where)
    try:
        requirement = Requirement(shown)
    except InvalidRequirement:
        return bundle_requirement(shown, where)  # says why in pip's words
    if requirement.url is None or not requirement.url.startswith("file:"):
        return bundle_requirement(shown, where)  # remote URLs are refused there
    found = local_file(_file_url_path(requirement.url, where), where)
    if canonicalize_name(requirement.name) != canonicalize_name(found.name):
        raise BundleInputError(
            f"{where}: {shown!r} names {requirement.name}, but {found.path.name} is "
            f"{found.name} {found.version}: give the project's own name, or the path alone."
        )
    marker = str(requirement.marker) if requirement.marker else ""
    return LocalFile(found.path, found.name, found.version, frozenset(requirement.extras), marker)


def local_file(path: Path, where: str) -> LocalFile:
    """The wheel or sdist at ``path``, checked to be one by its name and to be a file."""
    given = path.expanduser()
    absolute = given.absolute()
    if not absolute.exists():
        raise BundleInputError(
            f"{where}: {given} does not exist: give the path of {_WHAT} to bundle it."
        )
    if absolute.is_dir():
        raise BundleInputError(
            f"{where}: {given} is a folder; give the path of {_WHAT}. To bundle a project's "
            "folder, build its wheel first (uv build --wheel, or python -m build --wheel)."
        )
    name = absolute.name
    try:
        if name.endswith(WHEEL):
            project, version, _, _ = parse_wheel_filename(name)
        elif name.endswith(SDIST_SUFFIXES):
            project, version = parse_sdist_filename(name)
        else:
            raise BundleInputError(
                f"{where}: {given} is neither a wheel (.whl) nor a source distribution "
                "(.tar.gz) by its name: give one as it was built (name-version-tags.whl, "
                "name-version.tar.gz)."
            )
    except (InvalidWheelFilename, InvalidSdistFilename) as error:
        raise BundleInputError(
            f"{where}: {given} is not named as a wheel or an sdist is ({error}); give the "
            "file under the name it was built with (name-version-tags.whl, "
            "name-version.tar.gz)."
        ) from None
    if not absolute.is_file():
        raise BundleInputError(f"{where}: {given} is not a regular file; give {_WHAT}.")
    return LocalFile(absolute, str(project), version)


async def local_wheels(
    files: Sequence[LocalFile],
    scratch: Path,
    target: Target,
    *,
    index_url: str | None,
    env: dict[str, str],
    log: Log = quiet,
    pip_log: Log | None = None,
) -> dict[LocalFile, Path]:
    """The wheel of each local file: the file itself, or for an sdist the wheel ``pip wheel``
    builds from it into ``scratch``. Each must install on ``target``, or a
    ``BundleInputError`` names it and its tags."""
    wheels: dict[LocalFile, Path] = {}
    for file in files:
        wheel = (
            file.path
            if file.is_wheel
            else await _build_wheel(file, scratch, index_url, env, log, pip_log)
        )
        _check_fits(wheel, target, file)
        wheels[file] = wheel
    return wheels


def check_copied(folder: Path, wheels: dict[LocalFile, Path], log: Log = quiet) -> None:
    """The bundle holds each local wheel byte for byte, as pip was told to copy it."""
    for wheel in wheels.values():
        copied = folder / wheel.name
        expected = sha256_file(wheel)[0]
        if not copied.is_file() or sha256_file(copied)[0] != expected:
            raise AirlockError(
                "bundle-local-file",
                f"pip did not copy {wheel} into the bundle as it is: make the bundle again.",
                500,
            )
        log(f"{wheel.name}: copied from {wheel.parent}, sha256 {expected}")


async def _build_wheel(
    sdist: LocalFile,
    scratch: Path,
    index_url: str | None,
    env: dict[str, str],
    log: Log,
    pip_log: Log | None,
) -> Path:
    out = scratch / sdist.path.name
    out.mkdir(parents=True)
    log(f"Building a wheel from {sdist.path.name} (its build backend from the index)")
    argv = pip_command(
        sys.executable,
        "wheel",
        "--no-deps",
        "--no-cache-dir",
        "--progress-bar",
        "off",
        "--wheel-dir",
        str(out),
        *(["--index-url", index_url] if index_url else []),
        str(sdist.path),
    )
    try:
        completed = await run(argv, timeout=BUILD_TIMEOUT, env=env, on_line=pip_log)
    except asyncio.TimeoutError:
        raise AirlockError(
            "bundle-timeout", f"pip did not build {sdist.path} in {BUILD_TIMEOUT} s.", 504
        ) from None
    built = sorted(out.glob(f"*{WHEEL}"))
    if completed.returncode != 0 or len(built) != 1:
        why = last_line(completed.stderr or completed.stdout)
        raise AirlockError(
            "bundle-build-failed",
            f"pip could not build a wheel from {sdist.path}: {why} (run with -v for pip's output).",
            422,
        )
    return built[0]


def _check_fits(wheel: Path, target: Target, given: LocalFile) -> None:
    _, _, _, tags = parse_wheel_filename(wheel.name)
    if tags.isdisjoint(_target_tags(target)):
        built = "" if given.is_wheel else f", built from {given.path.name},"
        raise BundleInputError(
            f"{wheel.name}{built} does not install on {target.describe()}: its tags are "
            f"{', '.join(sorted(map(str, tags)))}. Build it for the target, or bundle for the "
            "platform it was built for."
        )


def _target_tags(target: Target) -> set[Tag]:
    """The wheel tags a CPython of the target's version on its platforms installs."""
    major, minor = (int(part) for part in target.python_version.split("."))
    platforms = list(target.platforms)
    tags = set(cpython_tags((major, minor), platforms=platforms))
    tags |= set(compatible_tags((major, minor), f"cp{major}{minor}", platforms))
    return tags


def _looks_like_path(text: str) -> bool:
    """A path, as pip tells one from a requirement: it has a folder separator or an archive's
    suffix, and no ``@`` of a direct reference."""
    if "@" in text:
        return False
    return "/" in text or text.endswith((WHEEL, *SDIST_SUFFIXES))


def _file_url_path(url: str, where: str) -> Path:
    parsed = urllib.parse.urlsplit(url)
    if parsed.netloc not in ("", "localhost") or parsed.query or parsed.fragment:
        raise BundleInputError(
            f"{where}: {url!r} is not a file on this machine: write file:///absolute/path."
        )
    return Path(urllib.request.url2pathname(parsed.path))
