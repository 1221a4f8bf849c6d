"""Software bills of materials: CycloneDX JSON of what an environment or a bundle holds.

One function for both: packages by name and version, with the sha256 a manifest gives them
where known and the offline advisories that affect them, so that the record an admin files
says what was there and what was known about it at the time. Packages are PyPI's unless
they carry a ``purl`` of their own (conda packages: :func:`conda_purl`); OSV's PyPI
advisories are matched to PyPI packages only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from cyclonedx.model import HashAlgorithm, HashType
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.vulnerability import (
    BomTarget,
    Vulnerability,
    VulnerabilityRating,
    VulnerabilityReference,
    VulnerabilitySource,
)
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL
from packaging.utils import canonicalize_name

from .._version import __version__
from .advisories import AdvisoryData

FORMAT = "CycloneDX 1.6 JSON"


def cyclonedx_json(
    subject: str,
    packages: Iterable[Mapping[str, Any]],
    sha256: Mapping[str, str] | None = None,
    advisories: AdvisoryData | None = None,
) -> dict[str, Any]:
    """The SBOM of ``subject`` (a kernel, a bundle) holding ``packages`` (``{"name",
    "version"}``, optionally ``"purl"`` and ``"sha256"``); ``sha256`` by canonical name
    where a manifest gives it."""
    bom = Bom()
    root = Component(type=ComponentType.APPLICATION, name=subject, bom_ref=subject)
    bom.metadata.component = root
    bom.metadata.tools.components.add(
        Component(type=ComponentType.APPLICATION, name="jupyterlab_airlock", version=__version__)
    )
    known = {canonicalize_name(name): digest for name, digest in (sha256 or {}).items()}
    for package in packages:
        name, version = str(package["name"]), str(package["version"])
        if "purl" in package:
            purl = PackageURL.from_string(str(package["purl"]))
        else:
            purl = PackageURL(type="pypi", name=canonicalize_name(name), version=version)
        digest = package.get("sha256") or known.get(canonicalize_name(name))
        component = Component(
            type=ComponentType.LIBRARY,
            name=name,
            version=version,
            purl=purl,
            bom_ref=purl.to_string(),
            hashes=[HashType(alg=HashAlgorithm.SHA_256, content=digest)] if digest else [],
        )
        bom.components.add(component)
        bom.register_dependency(root, [component])
        pypi = purl.type == "pypi"
        for advisory in advisories.affecting(name, version) if advisories and pypi else []:
            bom.vulnerabilities.add(
                Vulnerability(
                    bom_ref=f"{advisory.id}/{purl.to_string()}",
                    id=advisory.id,
                    source=VulnerabilitySource(name="OSV"),
                    references=[
                        VulnerabilityReference(id=alias, source=VulnerabilitySource())
                        for alias in advisory.aliases
                    ],
                    description=advisory.summary or None,
                    ratings=[
                        VulnerabilityRating(
                            score=Decimal(str(advisory.score)), vector=advisory.severity
                        )
                    ]
                    if advisory.score is not None
                    else [],
                    recommendation=f"Upgrade to {', '.join(advisory.fixed)}"
                    if advisory.fixed
                    else None,
                    affects=[BomTarget(ref=purl.to_string())],
                )
            )
    document: dict[str, Any] = json.loads(JsonV1Dot6(bom).output_as_string())
    return document


def conda_purl(name: str, version: str, build: str, subdir: str, file_name: str) -> str:
    """The package URL of a conda package (purl-spec's ``conda`` type)."""
    kind = "conda" if file_name.endswith(".conda") else "tar.bz2"
    qualifiers = {"build": build, "subdir": subdir, "type": kind}
    return str(PackageURL(type="conda", name=name, version=version, qualifiers=qualifiers))
