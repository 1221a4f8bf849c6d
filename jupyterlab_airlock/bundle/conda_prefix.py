"""Packing an existing conda environment (a prefix) on the DMZ side (``--pack-conda``).

Either as a conda bundle of its packages, the same versions and builds: each file is taken
from the environment's package cache where conda left it there (``pkgs/<file>`` beside the
extracted package) and it is the one recorded, else downloaded again from ``--channel``;
or, with ``--format conda-pack``, as a conda-pack archive of the prefix itself (what a
kernel is made from in the air gap), with its SBOM and manifests beside it.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

import conda_pack
from rattler import PrefixRecord, RepoDataRecord
from rattler.repo_data import PackageFormatSelection

from ..bundle_format.conda import CondaBundleInfo
from ..bundle_format.conda_target import conda_target
from ..bundle_format.folder import SBOM_FILE, BundleInputError, write_manifests
from ..conda.records import is_conda_prefix, prefix_records
from ..conda.solve import close_channel
from ..errors import AirlockError
from ..kinds import classify
from ..offline import sha256_file
from ..trust.advisories import AdvisoryData
from ..trust.sbom import conda_purl, cyclonedx_json
from .build import new_folder
from .check import Log, quiet
from .conda_build import PyPIPart, fetch_channels, make_conda_bundle


async def pack_prefix_bundle(
    out_dir: Path,
    prefix: Path,
    channels: Sequence[str],
    subdir: str | None,
    virtual_packages: Sequence[str] = (),
    *,
    pypi: PyPIPart | None = None,
    log: Log = quiet,
    pip_log: Log | None = None,
    advisories: AdvisoryData | None = None,
) -> CondaBundleInfo:
    """A conda bundle of the packages installed in ``prefix`` into the new folder
    ``out_dir``, for ``subdir`` (default: the prefix's own platform)."""
    installed = await asyncio.to_thread(_installed, prefix)
    target = conda_target(subdir or _platform_of(prefix, installed), virtual_packages)
    for record in installed:
        if record.subdir not in (target.subdir, "noarch"):
            raise BundleInputError(
                f"{prefix} holds {record.file_name}, a package for {record.subdir}: its "
                f"packages cannot make an environment for {target.subdir}. Leave --platform "
                "out, or pack an environment made for that platform."
            )
    cached = {r.file_name: path for r in installed if (path := _cached_archive(r)) is not None}
    urls = [url.rstrip("/") + "/" for url in channels]
    records = [_as_channel_record(record) for record in installed]
    if len(cached) < len(installed):
        if not urls:
            absent = sorted(r.file_name for r in installed if r.file_name not in cached)
            raise BundleInputError(
                f"{', '.join(absent)} of {prefix} are not in its package cache: give the "
                "mirror's channel with --channel to download them again."
            )
        records = await _from_channels(prefix, installed, cached, urls, target.subdir, log)
    log(
        f"{prefix}: {len(installed)} package(s), {len(cached)} in its package cache, "
        f"{len(installed) - len(cached)} to download from {', '.join(urls) or 'nowhere'}"
    )
    specs = [f"{r.name.normalized}=={r.version}={r.build}" for r in installed]
    return await make_conda_bundle(
        out_dir, specs, urls, target, records, cached, pypi, log, pip_log, advisories
    )


async def pack_prefix_archive(
    out_dir: Path, prefix: Path, *, log: Log = quiet, advisories: AdvisoryData | None = None
) -> Path:
    """A conda-pack archive of ``prefix`` in the new folder ``out_dir``, with the SBOM of
    its packages and the manifests; answers the archive's path."""
    installed = await asyncio.to_thread(_installed, prefix)
    name = out_dir.name if classify(f"{out_dir.name}.tar.gz")["kind"] == "env-archive" else None
    archive_name = f"{name or out_dir.name + '-env'}.tar.gz"
    async with new_folder(out_dir) as staging:
        log(f"Packing {prefix} with conda-pack {conda_pack.__version__}")
        await asyncio.to_thread(_conda_pack, prefix, staging / archive_name)
        await asyncio.to_thread(_write_archive_files, staging, out_dir.name, installed, advisories)
    log(f"Environment archive {out_dir / archive_name}: {len(installed)} conda package(s)")
    return out_dir / archive_name


def _installed(prefix: Path) -> list[PrefixRecord]:
    if not is_conda_prefix(prefix):
        raise BundleInputError(
            f"{prefix} is not a conda environment: it has no conda-meta folder. Give the "
            "environment's folder (e.g. ~/miniforge3/envs/analysis)."
        )
    records = prefix_records(prefix)
    if not records:
        raise BundleInputError(f"{prefix} is an empty conda environment: nothing to pack.")
    return records


def _platform_of(prefix: Path, installed: Sequence[PrefixRecord]) -> str:
    platforms = sorted({r.subdir for r in installed if r.subdir != "noarch"})
    if len(platforms) > 1:
        raise BundleInputError(
            f"{prefix} mixes packages for {', '.join(platforms)}: give the target with --platform."
        )
    if not platforms:
        raise BundleInputError(
            f"{prefix} holds only noarch packages: give the target's platform with "
            "--platform (e.g. linux-64)."
        )
    return platforms[0]


def _cached_archive(record: PrefixRecord) -> Path | None:
    """The package file conda kept in its cache for ``record``, if it is still there."""
    candidates = []
    if record.package_tarball_full_path is not None:
        candidates.append(Path(record.package_tarball_full_path))
    if record.extracted_package_dir is not None:
        candidates.append(Path(record.extracted_package_dir).parent / record.file_name)
    return next((path for path in candidates if path.is_file()), None)


async def _from_channels(
    prefix: Path,
    installed: Sequence[PrefixRecord],
    cached: dict[str, Path],
    channels: list[str],
    subdir: str,
    log: Log,
) -> list[RepoDataRecord]:
    """The channels' records of the installed packages (the prefix's own for those only in
    its cache); a package in neither, or another build under its file name, is refused."""
    records: list[RepoDataRecord] = []
    absent: list[str] = []
    with tempfile.TemporaryDirectory(prefix="airlock-repodata-") as cache:
        sources = await fetch_channels(channels, subdir, Path(cache), log)
        try:
            for record in installed:
                found = [
                    candidate
                    for source in sources
                    if source.subdir == record.subdir
                    for candidate in source.load_records(record.name, PackageFormatSelection.BOTH)
                    if candidate.file_name == record.file_name
                ]
                if found and record.sha256 and found[0].sha256 != record.sha256:
                    raise AirlockError(
                        "conda-build-differs",
                        f"{record.file_name} in {found[0].channel} is not the package "
                        f"installed in {prefix} (another sha256): the mirror has another "
                        "build under that name. Nothing was bundled.",
                        422,
                    )
                if found:
                    records.append(found[0])
                elif record.file_name in cached:
                    records.append(_as_channel_record(record))
                else:
                    absent.append(record.file_name)
        finally:
            await asyncio.to_thread(close_channel, sources)
    if absent:
        raise AirlockError(
            "bundle-incomplete",
            f"{', '.join(sorted(absent))}, installed in {prefix}, are neither in "
            f"{', '.join(channels)} nor in its package cache. Nothing was bundled.",
            422,
        )
    return records


def _as_channel_record(record: PrefixRecord) -> RepoDataRecord:
    """The record as its channel listed it, without what linking it into the prefix added."""
    return RepoDataRecord(record, record.file_name, record.url, record.channel)


def _conda_pack(prefix: Path, archive: Path) -> None:
    try:
        conda_pack.pack(prefix=str(prefix), output=str(archive), format="tar.gz")
    except conda_pack.CondaPackException as error:
        said = " ".join(str(error).split())
        raise AirlockError(
            "conda-pack-refused", f"conda-pack cannot pack {prefix}: {said}", 422
        ) from None


def _write_archive_files(
    folder: Path, name: str, installed: Sequence[PrefixRecord], advisories: AdvisoryData | None
) -> None:
    components = [
        {
            "name": r.name.normalized,
            "version": str(r.version),
            "purl": conda_purl(
                r.name.normalized, str(r.version), str(r.build), r.subdir, r.file_name
            ),
            **({"sha256": r.sha256.hex()} if r.sha256 else {}),
        }
        for r in installed
    ]
    document = cyclonedx_json(f"environment {name}", components, None, advisories)
    (folder / SBOM_FILE).write_text(json.dumps(document, indent=1) + "\n", "utf-8")
    files = {path.name: sha256_file(path) for path in sorted(folder.iterdir())}
    write_manifests(folder, files)
