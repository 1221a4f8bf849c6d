"""The files of a conda bundle, as both sides read them.

A conda bundle is a transfer bundle folder (``format.py``) whose ``bundle.json`` says
``"kind": "conda"``. Its layout is pixi-pack's, unpacked into the folder, so that plain
conda can also use it (``conda create --offline -c ./channel``), plus Airlock's files::

    bundle.json         {"airlock_bundle": 1, "kind": "conda", "name": ..., "created": ...,
                         "target": {"subdir": "linux-64", "python_version": "3.11" | null},
                         "specs": ["numpy>=2", ...], "channels": ["https://mirror/conda-forge"],
                         "packages": [{"name", "version", "build", "subdir",
                                       "file": "channel/linux-64/numpy-2.1.0-....conda",
                                       "sha256"}],
                         "requirements": ["requests>=2"],   # the --pypi part, as given
                         "pypi": [{"name", "version", "file": "pypi/requests-....whl"}],
                         "request": "3f2a..."}   # made --from-request: the request's id
    pixi-pack.json      {"version": "1", "platform": "linux-64"} (pixi-pack's marker)
    environment.yml     the solved records as exact specs, channel ./channel
    pixi.lock           the solved records with their sha256, written by py-rattler's LockFile
    channel/<subdir>/repodata.json and channel/noarch/repodata.json, and the packages
    pypi/*.whl          the wheels of the --pypi part, for the environment's Python
    requirements.lock   those wheels, hash-pinned as in a wheel bundle (absent without --pypi)
    sbom.cdx.json, manifest.json, SHA256SUMS (and their .sig when signed), as in format.py

``bundle.json``'s ``packages`` is the authority on what the environment holds: each file is
checked against its sha256 here and against the manifests before anything is linked.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from ..errors import AirlockError
from .folder import CONDA_LOCK as CONDA_LOCK  # there, as format.py reads both kinds' manifests
from .folder import FORMAT, BundleInfo, BundleInputError, answered_request, read_bundle_json

CONDA_KIND = "conda"
CHANNEL_DIR = "channel"
PYPI_DIR = "pypi"
PIXI_PACK_JSON = "pixi-pack.json"
ENVIRONMENT_YML = "environment.yml"

_SUBDIR = re.compile(r"noarch|(linux|osx|win|emscripten|wasi|freebsd|zos)-[a-z0-9_]+")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_PYTHON_VERSION = re.compile(r"3\.\d{1,2}")


@dataclass(frozen=True)
class CondaPackage:
    """One solved record of the bundle and its file, relative to the bundle folder."""

    name: str
    version: str
    build: str
    subdir: str
    file: str  # "channel/<subdir>/<filename>"
    sha256: str

    def to_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "version": self.version,
            "build": self.build,
            "subdir": self.subdir,
            "file": self.file,
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class CondaBundleInfo:
    """What a conda bundle's ``bundle.json`` says."""

    name: str
    created: str
    subdir: str
    python_version: str | None  # of the solved ``python`` record, when there is one
    specs: list[str]
    channels: list[str]  # where it was solved from, passwords never written
    packages: list[CondaPackage]
    requirements: list[str] = field(default_factory=list)
    pypi: list[dict[str, str]] = field(default_factory=list)  # {"name", "version", "file"}
    request: str | None = None  # the id of the DMZ request it answers

    def to_json(self) -> dict[str, Any]:
        return {
            "airlock_bundle": FORMAT,
            "kind": CONDA_KIND,
            "name": self.name,
            "created": self.created,
            "target": {"subdir": self.subdir, "python_version": self.python_version},
            "specs": list(self.specs),
            "channels": list(self.channels),
            "packages": [package.to_json() for package in self.packages],
            "requirements": list(self.requirements),
            "pypi": [dict(wheel) for wheel in self.pypi],
            **({"request": self.request} if self.request else {}),
        }

    def describe(self) -> str:
        python = f", Python {self.python_version}" if self.python_version else ""
        return f"conda {self.subdir}{python}"


def check_subdir(subdir: str) -> str:
    """A conda platform (subdir) name, or an AirlockError that says what one looks like."""
    if not _SUBDIR.fullmatch(subdir):
        raise BundleInputError(
            f"Unknown conda platform {subdir!r}: conda names platforms like linux-64, "
            "linux-aarch64, osx-64, osx-arm64, win-64 or noarch."
        )
    return subdir


def read_any_bundle_json(text: str, source: str) -> BundleInfo | CondaBundleInfo:
    """``bundle.json`` of either kind of bundle, checked (``invalid-bundle``, 422)."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise _invalid(source, f"it is not JSON ({error})") from None
    if isinstance(data, dict) and data.get("kind", "wheels") == CONDA_KIND:
        return read_conda_bundle_json(data, source)
    return read_bundle_json(text, source)


def read_conda_bundle_json(data: Any, source: str) -> CondaBundleInfo:
    """A conda bundle's ``bundle.json``, already parsed, checked field by field."""
    if not isinstance(data, dict) or data.get("airlock_bundle") != FORMAT:
        raise _invalid(source, f'it has no "airlock_bundle": {FORMAT}')
    if data.get("kind") != CONDA_KIND:
        raise _invalid(source, f'it is not a conda bundle ("kind": "{CONDA_KIND}")')
    target = data.get("target")
    if not isinstance(target, dict) or not isinstance(target.get("subdir"), str):
        raise _invalid(source, '"target" needs "subdir" (e.g. linux-64)')
    subdir, python_version = target["subdir"], target.get("python_version")
    if not _SUBDIR.fullmatch(subdir) or subdir == "noarch":
        raise _invalid(source, f"{subdir!r} is not a conda platform")
    if python_version is not None and not (
        isinstance(python_version, str) and _PYTHON_VERSION.fullmatch(python_version)
    ):
        raise _invalid(source, '"target"."python_version" is not major.minor or null')
    name, created = data.get("name"), data.get("created")
    if not isinstance(name, str) or not isinstance(created, str):
        raise _invalid(source, '"name" and "created" must be strings')
    lists = {key: data.get(key, []) for key in ("specs", "channels", "requirements")}
    for key, value in lists.items():
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise _invalid(source, f'"{key}" is not a list of strings')
    packages = [_package(item, subdir, source) for item in _objects(data, "packages", source)]
    pypi = [_wheel(item, source) for item in _objects(data, "pypi", source)]
    return CondaBundleInfo(
        name=name,
        created=created,
        subdir=subdir,
        python_version=python_version,
        specs=list(lists["specs"]),
        channels=list(lists["channels"]),
        packages=packages,
        requirements=list(lists["requirements"]),
        pypi=pypi,
        request=answered_request(data, source),
    )


def _objects(data: dict[str, Any], key: str, source: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _invalid(source, f'"{key}" is not a list of objects')
    return value


def _package(item: dict[str, Any], subdir: str, source: str) -> CondaPackage:
    keys = ("name", "version", "build", "subdir", "file", "sha256")
    if not all(isinstance(item.get(key), str) for key in keys):
        raise _invalid(source, f'each of "packages" needs {", ".join(keys)}')
    package = CondaPackage(*(str(item[key]) for key in keys))
    if package.subdir not in (subdir, "noarch"):
        raise _invalid(source, f"{package.name} is for {package.subdir}, not {subdir}")
    if not _HEX64.fullmatch(package.sha256):
        raise _invalid(source, f"{package.name}'s sha256 is not 64 hex digits")
    expected_parent = PurePosixPath(CHANNEL_DIR, package.subdir)
    if PurePosixPath(package.file).parent != expected_parent or ".." in package.file:
        raise _invalid(source, f"{package.name}'s file is not in {expected_parent}/")
    return package


def _wheel(item: dict[str, Any], source: str) -> dict[str, str]:
    keys = ("name", "version", "file")
    if not all(isinstance(item.get(key), str) for key in keys):
        raise _invalid(source, '"pypi" is not a list of {name, version, file}')
    if PurePosixPath(item["file"]).parent != PurePosixPath(PYPI_DIR) or ".." in item["file"]:
        raise _invalid(source, f"{item['name']}'s wheel is not in {PYPI_DIR}/")
    return {key: str(item[key]) for key in keys}


def _invalid(source: str, problem: str) -> AirlockError:
    return AirlockError(
        "invalid-bundle",
        f"{source} does not describe a conda bundle: {problem}. Make the bundle again with "
        "'jupyter airlock bundle --conda'.",
        422,
    )
