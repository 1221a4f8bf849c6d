"""Advisories from OSV-format records written here, zipped as OSV exports them."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_airlock.errors import AirlockError
from jupyterlab_airlock.trust import advisories
from jupyterlab_airlock.trust.advisories import read_osv_zip

CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


def record(ident: str, name: str, events: list[dict[str, str]], **more: Any) -> dict[str, Any]:
    return {
        "schema_version": "1.6.0",
        "id": ident,
        "modified": more.pop("modified", "2026-11-20T08:00:00Z"),
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": name},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
                **more.pop("affected", {}),
            }
        ],
        **more,
    }


def export(path: Path, records: dict[str, Any]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in records.items():
            archive.writestr(name, content if isinstance(content, bytes) else json.dumps(content))
    return path


@pytest.fixture
def osv(tmp_path: Path) -> advisories.AdvisoryData:
    path = export(
        tmp_path / "PyPI.zip",
        {
            "PYSEC-2026-1.json": record(
                "PYSEC-2026-1",
                "Demo_Stats",
                [{"introduced": "0"}, {"fixed": "1.2"}],
                aliases=["CVE-2026-1111"],
                summary="Code execution when loading a crafted file",
                severity=[{"type": "CVSS_V3", "score": CRITICAL}],
            ),
            "GHSA-aaaa.json": record(
                "GHSA-aaaa",
                "demo-stats",
                [{"introduced": "1.0"}, {"last_affected": "1.0.5"}],
                database_specific={"severity": "MODERATE"},
                modified="2026-11-21T00:00:00Z",
            ),
            "PYSEC-2026-2.json": record(
                "PYSEC-2026-2", "demo-units", [], affected={"versions": ["0.3"]}
            ),
            "PYSEC-2020-9.json": record(
                "PYSEC-2020-9", "demo-stats", [{"introduced": "0"}], withdrawn="2021-01-01"
            ),
            "broken.json": b"{not json",
            "other.json": {"no": "id"},
        },
    )
    return read_osv_zip(path, "f" * 64, "osv/PyPI.zip")


def test_a_version_in_a_range_is_affected_with_what_a_user_needs_to_know(
    osv: advisories.AdvisoryData,
) -> None:
    [found] = osv.affecting("demo.stats", "1.1")
    assert found.to_json() == {
        "id": "PYSEC-2026-1",
        "aliases": ["CVE-2026-1111"],
        "summary": "Code execution when loading a crafted file",
        "fixed": ["1.2"],
        "severity": CRITICAL,
        "score": 9.8,
    }


def test_ranges_end_where_osv_says(osv: advisories.AdvisoryData) -> None:
    assert osv.affecting("demo-stats", "1.2") == []  # fixed
    assert [a.id for a in osv.affecting("demo-stats", "1.0.5")] == ["GHSA-aaaa", "PYSEC-2026-1"]
    assert [a.id for a in osv.affecting("demo-stats", "0.9")] == ["PYSEC-2026-1"]
    assert osv.affecting("demo-stats", "1.0.5")[0].severity == "MODERATE"
    assert [a.id for a in osv.affecting("demo-units", "0.3")] == ["PYSEC-2026-2"]
    assert osv.affecting("demo-units", "0.4") == []
    assert osv.affecting("demo-stats", "not a version") == []


def test_the_data_says_how_current_it_is_and_what_it_skipped(
    osv: advisories.AdvisoryData,
) -> None:
    assert osv.describe() == {
        "source": "osv/PyPI.zip",
        "sha256": "f" * 64,
        "date": "2026-11-21T00:00:00Z",
        "records": 3,  # the withdrawn one is not counted
        "skipped": 2,
    }
    assert any(line.startswith("broken.json:") for line in osv.skipped)


def test_member_names_are_never_paths(tmp_path: Path) -> None:
    path = export(
        tmp_path / "PyPI.zip",
        {"../../escaped.json": record("PYSEC-1", "x", [{"introduced": "0"}])},
    )
    data = read_osv_zip(path, "0" * 64, "osv/PyPI.zip")

    assert [a.id for a in data.affecting("x", "1")] == ["PYSEC-1"]
    assert not (tmp_path.parent / "escaped.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["PyPI.zip"]


def test_a_zip_bomb_is_refused_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(advisories, "MAX_TOTAL_BYTES", 4 << 20)
    zeros = b"0" * (900 << 10)  # compresses to almost nothing
    path = export(tmp_path / "PyPI.zip", {f"{n}.json": zeros for n in range(8)})

    with pytest.raises(AirlockError) as raised:
        read_osv_zip(path, "0" * 64, "osv/PyPI.zip")
    assert raised.value.code == "advisories-invalid"
    assert "osv/PyPI.zip" in raised.value.message
    assert "zip bomb" in raised.value.message


def test_a_record_larger_than_the_bound_is_skipped_not_read(tmp_path: Path) -> None:
    huge = b" " * (advisories.MAX_RECORD_BYTES + 10)
    path = export(tmp_path / "PyPI.zip", {"huge.json": huge})

    data = read_osv_zip(path, "0" * 64, "osv/PyPI.zip")
    assert data.records == 0
    assert data.skipped == [f"huge.json: larger than {advisories.MAX_RECORD_BYTES} bytes"]


def test_a_200_mb_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "PyPI.zip"
    with path.open("wb") as file:
        file.truncate(200 << 20)  # sparse: nothing is written

    with pytest.raises(AirlockError) as raised:
        read_osv_zip(path, "0" * 64, "osv/PyPI.zip")
    assert "209.7 MB" in raised.value.message


def test_something_that_is_not_a_zip_is_named(tmp_path: Path) -> None:
    path = tmp_path / "PyPI.zip"
    path.write_text("<html>Access denied</html>")

    with pytest.raises(AirlockError) as raised:
        read_osv_zip(path, "0" * 64, "osv/PyPI.zip")
    assert "osv/PyPI.zip cannot be used: it is not a readable zip" in raised.value.message
