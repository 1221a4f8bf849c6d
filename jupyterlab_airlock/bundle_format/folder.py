"""The files of a transfer bundle, as both sides read them.

A bundle is one folder: the wheels of a whole dependency closure for one target (platform
tags and Python version), side by side, and

- ``bundle.json``: what the bundle is for, so that the panel can tell a bundle folder::

    {"airlock_bundle": 1, "name": "analysis", "created": "2025-01-31T12:00:00Z",
     "target": {"platforms": ["manylinux_2_17_x86_64"], "python_version": "3.11",
                "implementation": "cp"},
     "requirements": ["pandas>=2"],
     "packages": [{"name": "pandas", "version": "2.2.3", "file": "pandas-2.2.3-...whl"}],
     "request": "3f2a..."}   # only in a bundle made --from-request: the request's id

- ``requirements.lock``: ``name==version --hash=sha256:<hex>`` for every wheel, which
  ``pip install --require-hashes`` takes as it is;
- ``sbom.cdx.json``: CycloneDX JSON of its packages, with their sha256 and the advisories
  known when it was made (``--advisories``);
- ``manifest.json`` and ``SHA256SUMS`` (the formats of ``trust/manifests.py``) listing every file
  of the bundle but themselves, so whoever receives it can check each file; with
  ``--sign-key``, ``SHA256SUMS.sig`` and ``manifest.json.sig`` beside them (``signatures``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeGuard

from packaging.requirements import Requirement
from packaging.tags import mac_platforms
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .. import pip
from ..environments.platforms import parse_platform
from ..errors import AirlockError
from ..offline import hashed
from ..trust.advisories import AdvisoryData
from ..trust.manifests import MANIFEST_JSON, SHA256SUMS, Manifest, ManifestEntry, merge
from ..trust.manifests import parse as parse_manifest
from ..trust.sbom import cyclonedx_json

BUNDLE_JSON = "bundle.json"
LOCK_FILE = "requirements.lock"
CONDA_LOCK = "pixi.lock"  # a conda bundle's lock (conda.py)
# What the bundle holds, as CycloneDX JSON: hashes from its manifest, advisories where known.
SBOM_FILE = "sbom.cdx.json"
FORMAT = 1

_PYTHON_VERSION = re.compile(r"3\.(\d{1,2})")
_LINUX_ARCHES = frozenset(
    {"x86_64", "i686", "aarch64", "armv7l", "ppc64le", "ppc64", "s390x", "riscv64", "loongarch64"}
)
_PLATFORM_EXAMPLES = "manylinux_2_17_x86_64, musllinux_1_2_aarch64, macosx_11_0_arm64, win_amd64"
_LOCK_LINE = re.compile(r"(?P<name>[A-Za-z0-9._-]+)==(?P<version>\S+) --hash=sha256:(?P<hex>\S+)")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_REQUEST_ID = re.compile(r"[0-9a-f]{32}")


class BundleInputError(AirlockError):
    """Input that is wrong as given (a tag, a requirement): nothing was tried with it."""

    def __init__(self, message: str) -> None:
        super().__init__("invalid-bundle-input", message, 400)


@dataclass(frozen=True)
class Target:
    """Where the bundle's wheels must install: wheel platform tags and a CPython version."""

    platforms: tuple[str, ...]
    python_version: str  # "3.11"
    implementation: str = "cp"

    def pip_options(self) -> list[str]:
        """pip's options that make it choose files for this target instead of its own."""
        options = ["--only-binary=:all:", "--implementation", self.implementation]
        options += ["--python-version", self.python_version]
        for platform in self.platforms:
            options += ["--platform", platform]
        return options

    def describe(self) -> str:
        # A kernel's request lists every tag it accepts (dozens): its best one says enough.
        shown = " / ".join(self.platforms[:3])
        more = f" (and {len(self.platforms) - 3} older)" if len(self.platforms) > 3 else ""
        return f"{shown}{more}, CPython {self.python_version}"

    def to_json(self) -> dict[str, Any]:
        return {
            "platforms": list(self.platforms),
            "python_version": self.python_version,
            "implementation": self.implementation,
        }


@dataclass(frozen=True)
class LockEntry:
    name: str  # normalized
    version: str
    sha256: str


@dataclass(frozen=True)
class BundleInfo:
    """What ``bundle.json`` says."""

    name: str
    created: str
    target: Target
    requirements: list[str]
    packages: list[dict[str, str]]  # {"name", "version", "file"}
    request: str | None = None  # the id of the DMZ request it answers

    def to_json(self) -> dict[str, Any]:
        return {
            "airlock_bundle": FORMAT,
            "name": self.name,
            "created": self.created,
            "target": self.target.to_json(),
            "requirements": list(self.requirements),
            "packages": [dict(package) for package in self.packages],
            **({"request": self.request} if self.request else {}),
        }


def parse_target(platforms: Sequence[str], python_version: str) -> Target:
    """The target, each part checked; ``BundleInputError`` says which part is wrong."""
    if not platforms:
        raise BundleInputError(
            f"Give the target's platform with --platform, e.g. {_PLATFORM_EXAMPLES}."
        )
    for platform in platforms:
        check_platform(platform)
    if not _PYTHON_VERSION.fullmatch(python_version):
        raise BundleInputError(
            f"{python_version!r} is not a Python version for a bundle: give the target's "
            "CPython as major.minor, e.g. 3.11."
        )
    return Target(tuple(dict.fromkeys(platforms)), python_version)


def check_platform(tag: str) -> None:
    """Refuse what is not a wheel platform tag that a real system has."""
    platform = parse_platform(tag)
    problem: str | None = None
    if platform.os == "linux":
        if platform.arch not in _LINUX_ARCHES:
            problem = f"{platform.arch!r} is not a Linux CPU architecture wheels are built for"
        elif platform.libc == "glibc" and platform.version and platform.version[0] != 2:
            problem = "manylinux versions are glibc versions, 2_<minor> (e.g. manylinux_2_17)"
        elif platform.libc == "musl" and platform.version and platform.version[0] != 1:
            problem = "musllinux versions are musl versions, 1_<minor> (e.g. musllinux_1_2)"
    elif platform.os == "macos":
        assert platform.version is not None  # parse_platform sets both for macOS
        assert platform.arch is not None
        if tag not in mac_platforms(platform.version, platform.arch):
            problem = (
                "macOS tags name a macOS version and architecture pip accepts "
                "(macOS 11 and later as macosx_<major>_0, e.g. macosx_11_0_arm64)"
            )
    elif platform.os not in ("windows", "any"):
        problem = "it is not a wheel platform tag"
        if re.fullmatch(r"(linux|osx|win)-\w+|noarch", tag):
            problem += " (that is how conda names platforms)"
    if problem is not None:
        raise BundleInputError(
            f"Unknown platform {tag!r}: {problem}. Examples of platform tags: {_PLATFORM_EXAMPLES}."
        )


def bundle_requirement(text: str, where: str) -> Requirement:
    """A requirement to bundle, read by :func:`..pip.parse_requirement`; one it refuses is
    input that is wrong as given (``BundleInputError``)."""
    try:
        return pip.parse_requirement(text, where)
    except AirlockError as error:
        raise BundleInputError(error.message) from None


def read_requirements_file(path: Path) -> list[Requirement]:
    """The requirements of a requirements file: comments and blank lines skipped, lines
    continued with a backslash joined; anything else than a requirement is refused."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise BundleInputError(f"Cannot read the requirements file {path}: {reason}.") from None
    requirements: list[Requirement] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*", "", raw).rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if line.strip():
            requirements.append(bundle_requirement(line, f"{path}, line {start}"))
    if pending.strip():
        requirements.append(bundle_requirement(pending, f"{path}, line {start}"))
    return requirements


def read_bundle_json(text: str, source: str) -> BundleInfo:
    """``bundle.json``, checked; ``AirlockError("invalid-bundle", 422)`` says what is wrong."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise _invalid_bundle(source, f"it is not JSON ({error})") from None
    if not isinstance(data, dict) or data.get("airlock_bundle") != FORMAT:
        raise _invalid_bundle(source, f'it has no "airlock_bundle": {FORMAT}')
    target = data.get("target")
    if not isinstance(target, dict):
        raise _invalid_bundle(source, '"target" is not an object')
    platforms, python_version = target.get("platforms"), target.get("python_version")
    if not _strings(platforms) or not isinstance(python_version, str):
        raise _invalid_bundle(source, '"target" needs "platforms" and "python_version"')
    try:
        parsed = parse_target(platforms, python_version)
    except BundleInputError as error:
        raise _invalid_bundle(source, error.message) from None
    packages = data.get("packages")
    if not isinstance(packages, list) or not all(
        isinstance(p, dict) and _strings([p.get(k) for k in ("name", "version", "file")])
        for p in packages
    ):
        raise _invalid_bundle(source, '"packages" is not a list of {name, version, file}')
    requirements = data.get("requirements")
    if not _strings(requirements):
        raise _invalid_bundle(source, '"requirements" is not a list of strings')
    name, created = data.get("name"), data.get("created")
    if not isinstance(name, str) or not isinstance(created, str):
        raise _invalid_bundle(source, '"name" and "created" must be strings')
    return BundleInfo(
        name=name,
        created=created,
        target=parsed,
        requirements=list(requirements),
        packages=[{k: str(p[k]) for k in ("name", "version", "file")} for p in packages],
        request=answered_request(data, source),
    )


def answered_request(data: dict[str, Any], source: str) -> str | None:
    """The id of the DMZ request a bundle.json says its bundle answers, if any."""
    request = data.get("request")
    if request is not None and not (isinstance(request, str) and _REQUEST_ID.fullmatch(request)):
        raise _invalid_bundle(source, '"request" is not the id of a DMZ request')
    return request


def read_lock(text: str, source: str) -> list[LockEntry]:
    """``requirements.lock`` as this module writes it: one pinned, hashed wheel a line."""
    entries: list[LockEntry] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LOCK_LINE.fullmatch(line.strip())
        if match is None or not _HEX64.fullmatch(match["hex"]) or not _is_version(match["version"]):
            raise AirlockError(
                "invalid-lock",
                f"{source}, line {number}, is not 'name==version --hash=sha256:<64 hex>': "
                f"{line.strip()[:80]!r}. The bundle cannot be installed as it is.",
                422,
            )
        entries.append(LockEntry(canonicalize_name(match["name"]), match["version"], match["hex"]))
    return entries


def satisfied(requirement: str, lock: Sequence[LockEntry], python_version: str) -> bool:
    """Whether the lock pins a version of ``requirement``'s project that it accepts, or the
    requirement's marker leaves it out for the target (evaluated as pip does: this machine,
    with the target's Python version)."""
    wanted = Requirement(requirement)
    versions = {"python_version": python_version, "python_full_version": f"{python_version}.0"}
    if wanted.marker is not None and not wanted.marker.evaluate(versions):
        return True
    name = canonicalize_name(wanted.name)
    return any(
        entry.name == name and wanted.specifier.contains(entry.version, prereleases=True)
        for entry in lock
    )


def write_sbom(
    folder: Path,
    info: BundleInfo,
    files: Mapping[str, tuple[str, int]],
    advisories: AdvisoryData | None = None,
) -> None:
    """``sbom.cdx.json`` of the bundle's packages, with the sha256 of ``files``."""
    sha256 = {package["name"]: files[package["file"]][0] for package in info.packages}
    document = cyclonedx_json(f"bundle {info.name}", info.packages, sha256, advisories)
    (folder / SBOM_FILE).write_text(json.dumps(document, indent=1) + "\n", "utf-8")


def write_manifests(folder: Path, files: Mapping[str, tuple[str, int]]) -> None:
    """``manifest.json`` and ``SHA256SUMS`` in ``folder`` for ``files`` (path -> sha256, size)."""
    ordered = sorted(files.items())
    listing = [{"path": path, "sha256": digest, "size": size} for path, (digest, size) in ordered]
    document = {"version": 1, "generator": "jupyter airlock bundle", "files": listing}
    (folder / MANIFEST_JSON).write_text(json.dumps(document, indent=1) + "\n", "utf-8")
    sums = "".join(f"{digest}  {path}\n" for path, (digest, _) in ordered)
    (folder / SHA256SUMS).write_text(sums, "utf-8")


def read_manifest(folder: Path) -> Manifest:
    """The manifests of a bundle folder, merged; a bundle without one cannot be verified,
    nor one whose manifest does not list its bundle.json and its lock (``pixi.lock`` for
    a conda bundle, else ``requirements.lock``)."""
    manifest = folder_manifest(folder)
    lock = CONDA_LOCK if CONDA_LOCK in manifest.files else LOCK_FILE
    for needed in (BUNDLE_JSON, lock):
        if needed not in manifest.files:
            raise AirlockError(
                "invalid-bundle",
                f"{folder} is not a whole bundle: its manifest does not list {needed}.",
                422,
            )
    return manifest


def folder_manifest(folder: Path) -> Manifest:
    """The manifests of a folder Airlock made (a bundle, an environment archive), merged."""
    found: list[Manifest] = []
    for name in (SHA256SUMS, MANIFEST_JSON):
        path = folder / name
        if path.is_file():
            found.append(parse_manifest(path.read_text("utf-8", "replace"), str(path)))
    if not found:
        raise AirlockError(
            "no-manifest",
            f"{folder} has neither {MANIFEST_JSON} nor {SHA256SUMS}: its files cannot be "
            "verified. Make bundles with 'jupyter airlock bundle'.",
            422,
        )
    return merge(found)


def verify_file(folder: Path, path: str, expected: ManifestEntry) -> None:
    """Raise unless ``folder/path`` is the file the manifest lists (missing, size, sha256)."""
    file = folder / path
    if not file.is_file():
        raise AirlockError(
            "bundle-incomplete",
            f"{path!r} is listed in the bundle's manifest but is not in {folder}: the "
            "bundle is incomplete. Transfer it again.",
            422,
        )
    hashed(file, path).check(expected)


def _is_version(text: str) -> bool:
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


def _strings(value: Any) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _invalid_bundle(source: str, problem: str) -> AirlockError:
    return AirlockError("invalid-bundle", f"{source} is not a bundle description: {problem}.", 422)


def now() -> str:
    """The time a bundle is made, as bundle.json says it: UTC, to the second."""
    created = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    return created.replace("+00:00", "Z")
