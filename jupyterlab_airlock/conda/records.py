"""Conda packages as Airlock reads them: a channel's ``repodata.json`` and an
environment's ``conda-meta/`` records, checked, with the messages for what is wrong."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

from rattler import PrefixRecord, RepoDataRecord, Subdir
from rattler.exceptions import ParseSubdirError

from ..errors import AirlockError

PACKAGE_SUFFIXES = (".conda", ".tar.bz2")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class CondaRecord:
    """One package of a channel. ``subdir`` is the channel folder the file is in."""

    name: str
    version: str
    build: str
    subdir: str
    file_name: str
    sha256: str | None
    size: int | None
    depends: tuple[str, ...]

    @property
    def path(self) -> str:
        """Where the file is, relative to the channel: ``<subdir>/<file_name>``."""
        return f"{self.subdir}/{self.file_name}"


def is_conda_prefix(prefix: Path) -> bool:
    """Whether ``prefix`` is a conda environment (it has a ``conda-meta`` folder)."""
    return (prefix / "conda-meta").is_dir()


def read_repodata(text: str, source: str, subdir: str) -> list[CondaRecord]:
    """The packages of a channel's ``repodata.json`` (``text``) for ``subdir``: the
    ``packages`` (``.tar.bz2``) and ``packages.conda`` (``.conda``) entries.

    A malformed one raises ``AirlockError("invalid-repodata", ...)`` naming ``source`` and
    the entry at fault; so does a file name that is not a plain conda package name, since
    the file is fetched and written under that name."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise _invalid(source, f"is not valid JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(document, dict):
        raise _invalid(source, "is not a JSON object")
    records: list[CondaRecord] = []
    for key in ("packages", "packages.conda"):
        entries = document.get(key, {})
        if not isinstance(entries, dict):
            raise _invalid(source, f'"{key}" is not an object of file names')
        for file_name, entry in entries.items():
            where = f'"{key}" entry "{file_name}"'
            if not _is_package_file_name(file_name):
                raise _invalid(source, f"{where} is not a conda package file name")
            records.append(_record_from_entry(entry, file_name, subdir, source, where))
    return records


def installed_records(prefix: Path) -> list[tuple[str, str, str]]:
    """(name, version, build) of each package ``<prefix>/conda-meta/*.json`` says is
    installed, sorted by name. A record that cannot be read raises AirlockError naming it."""
    installed = []
    for path in sorted((prefix / "conda-meta").glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            installed.append((str(record["name"]), str(record["version"]), str(record["build"])))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise unreadable_meta(path, error) from None
    return sorted(installed)


def conda_subdir(platform: str) -> Subdir:
    try:
        return Subdir(platform)
    except ParseSubdirError:
        raise AirlockError(
            "invalid-platform", f"'{platform}' is not a conda platform such as linux-64."
        ) from None


def require_conda_prefix(prefix: Path) -> None:
    if not is_conda_prefix(prefix):
        raise AirlockError(
            "not-a-conda-environment",
            f"{prefix} is not a conda environment (it has no conda-meta folder): conda "
            "packages can only go into one.",
            409,
        )


def prefix_records(prefix: Path) -> list[PrefixRecord]:
    records = []
    for path in sorted((prefix / "conda-meta").glob("*.json")):
        try:
            records.append(PrefixRecord.from_path(path))
        except Exception as error:  # py-rattler's errors share no base class
            raise unreadable_meta(path, error) from None
    return records


def conda_record(record: RepoDataRecord) -> CondaRecord:
    # The folder of the file in its channel is in its URL, and that is where it is fetched.
    folder = PurePosixPath(unquote(urlparse(record.url).path)).parent.name
    return CondaRecord(
        name=record.name.normalized,
        version=str(record.version),
        build=str(record.build),
        subdir=folder or record.subdir,
        file_name=record.file_name,
        sha256=None if record.sha256 is None else record.sha256.hex(),
        size=record.size,
        depends=tuple(record.depends),
    )


def _is_package_file_name(name: str) -> bool:
    return (
        name.endswith(PACKAGE_SUFFIXES)
        and PurePosixPath(name).name == name
        and "\\" not in name
        and not name.startswith(".")
    )


def _record_from_entry(
    entry: Any, file_name: str, subdir: str, source: str, where: str
) -> CondaRecord:
    if not isinstance(entry, dict):
        raise _invalid(source, f"{where} is not an object")
    texts = {}
    for field in ("name", "version", "build"):
        value = entry.get(field)
        if not isinstance(value, str) or not value:
            raise _invalid(source, f'{where} has no "{field}"')
        texts[field] = value
    depends = entry.get("depends", [])
    if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
        raise _invalid(source, f'{where} has a "depends" that is not a list of specs')
    sha256 = entry.get("sha256")
    if sha256 is not None and not (isinstance(sha256, str) and _SHA256.match(sha256)):
        raise _invalid(source, f'{where} has a "sha256" that is not 64 hex digits')
    size = entry.get("size")
    if size is not None and not (isinstance(size, int) and size >= 0):
        raise _invalid(source, f'{where} has a "size" that is not a number of bytes')
    return CondaRecord(
        name=texts["name"],
        version=texts["version"],
        build=texts["build"],
        subdir=subdir,
        file_name=file_name,
        sha256=sha256,
        size=size,
        depends=tuple(depends),
    )


def _invalid(source: str, problem: str) -> AirlockError:
    return AirlockError("invalid-repodata", f"{source} {problem}.", 422)


def unreadable_meta(path: Path, error: BaseException) -> AirlockError:
    return AirlockError(
        "invalid-conda-meta",
        f"{path} cannot be read as a conda package record ({first_line(error)}): the "
        "environment may be damaged.",
        422,
    )


def first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
