"""CycloneDX SBOMs, checked against CycloneDX's own JSON schema."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from jupyterlab_airlock.trust.advisories import read_osv_zip
from jupyterlab_airlock.trust.sbom import cyclonedx_json


def test_an_sbom_names_each_package_its_hash_and_the_advisories_that_affect_it(
    tmp_path: Path,
) -> None:
    osv = tmp_path / "PyPI.zip"
    with zipfile.ZipFile(osv, "w") as archive:
        archive.writestr(
            "PYSEC-1.json",
            json.dumps(
                {
                    "id": "PYSEC-1",
                    "aliases": ["CVE-2026-1"],
                    "summary": "Bad things",
                    "modified": "2026-11-20T00:00:00Z",
                    "severity": [
                        {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}
                    ],
                    "affected": [
                        {
                            "package": {"ecosystem": "PyPI", "name": "demo-stats"},
                            "ranges": [
                                {
                                    "type": "ECOSYSTEM",
                                    "events": [{"introduced": "0"}, {"fixed": "2"}],
                                }
                            ],
                        }
                    ],
                }
            ),
        )
    document = cyclonedx_json(
        "kernel demo",
        [{"name": "Demo_Stats", "version": "1.0"}, {"name": "demo-units", "version": "0.3"}],
        sha256={"demo-stats": "ab" * 32},
        advisories=read_osv_zip(osv, "0" * 64, "osv/PyPI.zip"),
    )

    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(document))
    assert errors is None, errors
    assert document["metadata"]["component"]["name"] == "kernel demo"
    by_name = {c["name"]: c for c in document["components"]}
    assert by_name["Demo_Stats"]["purl"] == "pkg:pypi/demo-stats@1.0"
    assert by_name["Demo_Stats"]["hashes"] == [{"alg": "SHA-256", "content": "ab" * 32}]
    assert "hashes" not in by_name["demo-units"]
    [vulnerability] = document["vulnerabilities"]
    assert vulnerability["id"] == "PYSEC-1"
    assert vulnerability["affects"] == [{"ref": "pkg:pypi/demo-stats@1.0"}]
    assert vulnerability["ratings"][0]["score"] == 9.8
    assert vulnerability["recommendation"] == "Upgrade to 2"
