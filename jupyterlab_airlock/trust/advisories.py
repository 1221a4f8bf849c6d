"""Known advisories behind the air gap: OSV's export for PyPI, read from the source.

The DMZ drops OSV's per-ecosystem zip (one OSV-format JSON record per file, as
``https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip`` serves it) into the read
bucket; the profile names its key. The zip is read member by member from the content cache,
never unpacked to disk (member names are never used as paths), within bounds that a zip
bomb or a huge file cannot get past, and the index it gives is kept by the zip's sha256.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..errors import AirlockError
from ..sizes import size_text

# Bounds: OSV's whole PyPI export is tens of MiB zipped, its largest record tens of KiB.
MAX_ZIP_BYTES = 128 << 20
MAX_RECORD_BYTES = 1 << 20
MAX_TOTAL_BYTES = 1 << 30
MAX_RECORDS = 500_000
_CVSS = {"CVSS_V2": CVSS2, "CVSS_V3": CVSS3, "CVSS_V4": CVSS4}


@dataclass(frozen=True)
class Advisory:
    """One advisory as a plan or a listing shows it."""

    id: str
    aliases: tuple[str, ...]
    summary: str
    fixed: tuple[str, ...]
    severity: str | None  # the vector or the database's word ("HIGH"), as published
    score: float | None  # the CVSS base score, when a vector is given

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "aliases": list(self.aliases),
            "summary": self.summary,
            "fixed": list(self.fixed),
            "severity": self.severity,
            "score": self.score,
        }


@dataclass(frozen=True)
class _Affected:
    advisory: Advisory
    ranges: tuple[tuple[tuple[str, Version], ...], ...]  # each: sorted (event, version)
    versions: frozenset[str]

    def covers(self, version: Version) -> bool:
        if str(version) in self.versions:
            return True
        return any(_in_range(events, version) for events in self.ranges)


@dataclass
class AdvisoryData:
    """The advisories of one OSV export, by package."""

    sha256: str
    source: str  # the key it was read from, for messages
    date: str | None = None  # the newest record's 'modified': how current the data is
    records: int = 0
    skipped: list[str] = field(default_factory=list)  # records that could not be read
    _by_package: dict[str, list[_Affected]] = field(default_factory=dict)

    def affecting(self, name: str, version: str) -> list[Advisory]:
        """The advisories that affect ``name`` at ``version``, by id."""
        try:
            parsed = Version(version)
        except InvalidVersion:
            return []
        found = {
            affected.advisory.id: affected.advisory
            for affected in self._by_package.get(canonicalize_name(name), [])
            if affected.covers(parsed)
        }
        return [found[key] for key in sorted(found)]

    def describe(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "sha256": self.sha256,
            "date": self.date,
            "records": self.records,
            "skipped": len(self.skipped),
        }


def read_osv_zip(path: Path, sha256: str, source: str) -> AdvisoryData:
    """Read OSV export ``path`` (the zip of ``source``, with that sha256); a zip that breaks
    a bound or is no zip raises ``AirlockError("advisories-invalid")`` naming ``source``."""
    size = path.stat().st_size
    if size > MAX_ZIP_BYTES:
        raise _invalid(
            source,
            f"it is {size_text(size)}; an OSV export is at most {size_text(MAX_ZIP_BYTES)}",
        )
    data = AdvisoryData(sha256, source)
    total = 0
    try:
        with zipfile.ZipFile(path) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            if len(members) > MAX_RECORDS:
                raise _invalid(source, f"it holds {len(members)} files, more than {MAX_RECORDS}")
            for info in members:
                with archive.open(info) as member:
                    # Read one byte past the bound: the sizes in a zip's directory may lie.
                    raw = member.read(MAX_RECORD_BYTES + 1)
                total += len(raw)
                if total > MAX_TOTAL_BYTES:
                    raise _invalid(
                        source,
                        f"it unpacks to more than {size_text(MAX_TOTAL_BYTES)} (a zip bomb?)",
                    )
                if len(raw) > MAX_RECORD_BYTES:
                    data.skipped.append(f"{info.filename}: larger than {MAX_RECORD_BYTES} bytes")
                    continue
                _add(data, raw, info.filename)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as error:
        raise _invalid(source, f"it is not a readable zip ({error})") from None
    return data


def _add(data: AdvisoryData, raw: bytes, name: str) -> None:
    try:
        record = json.loads(raw)
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            raise ValueError("not an OSV record (no 'id')")
        if record.get("withdrawn"):
            return
        advisory = _advisory(record)
        affected = [_affected(advisory, item) for item in record.get("affected") or []]
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as error:
        data.skipped.append(f"{name}: {error}")
        return
    data.records += 1
    modified = record.get("modified")
    if isinstance(modified, str) and (data.date is None or modified > data.date):
        data.date = modified
    for package, item in affected:
        if package is not None:
            data._by_package.setdefault(package, []).append(item)


def _advisory(record: dict[str, Any]) -> Advisory:
    severity, score = None, None
    for entry in record.get("severity") or []:
        kind, vector = entry.get("type"), entry.get("score")
        if kind in _CVSS and isinstance(vector, str):
            try:
                base = _CVSS[kind](vector).scores()[0]
            except (CVSSError, ValueError, KeyError, IndexError):
                continue
            if score is None or base > score:
                severity, score = vector, float(base)
    if severity is None:
        word = (record.get("database_specific") or {}).get("severity")
        severity = word if isinstance(word, str) else None
    fixed = {
        str(event["fixed"])
        for item in record.get("affected") or []
        for range_ in item.get("ranges") or []
        for event in range_.get("events") or []
        if "fixed" in event
    }
    return Advisory(
        id=record["id"],
        aliases=tuple(str(alias) for alias in record.get("aliases") or []),
        summary=str(record.get("summary") or record.get("details") or "")[:300],
        fixed=tuple(sorted(fixed, key=_version_key)),
        severity=severity,
        score=score,
    )


def _affected(advisory: Advisory, item: dict[str, Any]) -> tuple[str | None, _Affected]:
    package = item.get("package") or {}
    name = package.get("name") if package.get("ecosystem") == "PyPI" else None
    ranges = []
    for range_ in item.get("ranges") or []:
        if range_.get("type") not in ("ECOSYSTEM", "SEMVER"):
            continue  # GIT ranges name commits, not releases
        events = []
        for event in range_.get("events") or []:
            for kind in ("introduced", "fixed", "last_affected"):
                if kind in event:
                    version = Version("0") if event[kind] == "0" else Version(str(event[kind]))
                    events.append((kind, version))
        ranges.append(tuple(sorted(events, key=lambda pair: pair[1])))
    versions = frozenset(str(Version(str(v))) for v in item.get("versions") or [] if _valid(v))
    canonical = canonicalize_name(name) if isinstance(name, str) else None
    return canonical, _Affected(advisory, tuple(ranges), versions)


def _in_range(events: tuple[tuple[str, Version], ...], version: Version) -> bool:
    """OSV's rule: affected when the last event at or below ``version`` introduced it, or
    ``version`` is at most a ``last_affected`` that follows an introduction."""
    affected = False
    for kind, at in events:
        if kind == "introduced" and at <= version:
            affected = True
        elif (kind == "fixed" and at <= version) or (kind == "last_affected" and at < version):
            affected = False
    return affected


def _valid(text: object) -> bool:
    try:
        Version(str(text))
    except InvalidVersion:
        return False
    return True


def _version_key(text: str) -> tuple[int, Version | str]:
    return (0, Version(text)) if _valid(text) else (1, text)


def _invalid(source: str, problem: str) -> AirlockError:
    return AirlockError(
        "advisories-invalid",
        f"The advisory data {source} cannot be used: {problem}. Ask whoever brings OSV's "
        "export across to drop a fresh PyPI zip.",
        422,
    )
