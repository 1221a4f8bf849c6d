"""Making a conda bundle on the DMZ side (``bundle_format.conda``'s layout): py-rattler solves
the specs for the target platform from the mirror's channels, the closure is downloaded
and verified, and the bundle is checked offline (``check``) before it takes its name.

Each package file is verified as it arrives against the sha256 of the channel's
``repodata.json``, then against what it says it is (its ``info/index.json``: the name,
version and build solved, for the platform it was listed for). The bundle's channel is
written from the solved records themselves, so that a re-solve offline sees exactly what
the mirror said. Nothing is left behind by a failure: the bundle is made in a hidden
folder beside ``out_dir`` that takes its name only once it checked out.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import rattler
from packaging.requirements import Requirement
from rattler import Channel, Client, LockChannel, LockFile, RepoDataRecord, SparseRepoData, Subdir
from rattler.exceptions import SolverError

from ..bundle_format.conda import (
    CHANNEL_DIR,
    CONDA_LOCK,
    ENVIRONMENT_YML,
    PIXI_PACK_JSON,
    PYPI_DIR,
    CondaBundleInfo,
)
from ..bundle_format.conda_check import one_line
from ..bundle_format.conda_target import CondaTarget, conda_specs
from ..bundle_format.folder import (
    BUNDLE_JSON,
    LOCK_FILE,
    SBOM_FILE,
    BundleInputError,
    now,
    write_manifests,
)
from ..conda.records import conda_record, first_line
from ..conda.solve import close_channel, explain_unsolvable
from ..errors import AirlockError
from ..offline import sha256_file
from ..secrets import redact
from ..trust.advisories import AdvisoryData
from ..trust.sbom import conda_purl, cyclonedx_json
from .build import download_wheels, lock_wheels, new_folder
from .check import Log, check_bundle, quiet
from .conda_fetch import fetch_packages

REPODATA_TIMEOUT = 300  # seconds for one repodata.json (conda-forge's is hundreds of MB)


@dataclass(frozen=True)
class PyPIPart:
    """The ``--pypi`` requirements and where their wheels come from."""

    requirements: Sequence[Requirement]
    index_url: str | None = None
    use_pip_config: bool = False


async def build_conda_bundle(
    out_dir: Path,
    specs: Sequence[str],
    channels: Sequence[str],
    target: CondaTarget,
    *,
    pypi: PyPIPart | None = None,
    log: Log = quiet,
    pip_log: Log | None = None,
    advisories: AdvisoryData | None = None,
    constraints: Sequence[str] = (),
    request: str | None = None,
) -> CondaBundleInfo:
    """Solve ``specs`` for ``target`` from ``channels`` (in priority order) and bundle the
    solution, with the wheels of ``pypi`` for the environment's Python, into the new
    folder ``out_dir``. ``constraints`` (specs) bound the packages of the solution they
    name; ``request`` is the id of the DMZ request the bundle answers."""
    if not specs:
        raise BundleInputError("Nothing to bundle: name conda packages with --conda.")
    matchspecs = conda_specs(specs)
    channels = _channel_urls(channels)
    with tempfile.TemporaryDirectory(prefix="airlock-repodata-") as cache:
        sources = await fetch_channels(channels, target.subdir, Path(cache), log)
        try:
            log(f"Solving {', '.join(specs)} for {target.describe()}")
            try:
                records = await rattler.solve_with_sparse_repodata(
                    matchspecs,
                    sources,
                    virtual_packages=target.generic(),
                    constraints=conda_specs(constraints),
                )
            except SolverError as error:
                problems = await asyncio.to_thread(
                    explain_unsolvable, list(specs), sources, [], error
                )
                raise AirlockError(
                    "bundle-unsatisfiable",
                    f"The conda specs cannot be met for {target.describe()} from "
                    f"{', '.join(redact(url) for url in channels)}: {one_line(problems)}.",
                    422,
                ) from None
        finally:
            await asyncio.to_thread(close_channel, sources)
    return await make_conda_bundle(
        out_dir, list(specs), channels, target, records, {}, pypi, log, pip_log, advisories,
        request=request,
    )  # fmt: skip


async def fetch_channels(
    channels: Sequence[str], subdir: str, cache: Path, log: Log = quiet
) -> list[SparseRepoData]:
    """The repodata of ``subdir`` and ``noarch`` of each channel, in order. A channel
    without packages for ``subdir`` (no such folder) gives its noarch part only."""
    sources: list[SparseRepoData] = []
    for url in channels:
        for folder in (subdir, "noarch"):
            try:
                sources += await rattler.fetch_repo_data(
                    channels=[Channel(url)],
                    platforms=[Subdir(folder)],
                    cache_path=cache,
                    callback=None,
                    client=Client(timeout=REPODATA_TIMEOUT),
                )
            except Exception as error:  # py-rattler's errors share no base class
                if folder != "noarch" and "404" in str(error):
                    log(f"{redact(url)} has no {folder} packages; its noarch ones only")
                    continue
                raise AirlockError(
                    "channel-unreachable",
                    f"The conda channel {redact(url)} cannot be read ({folder}/repodata.json: "
                    f"{first_line(error)}): check --channel and the proxy variables.",
                    502,
                ) from None
    return sources


async def make_conda_bundle(
    out_dir: Path,
    specs: list[str],
    channels: list[str],
    target: CondaTarget,
    records: list[RepoDataRecord],
    cached: Mapping[str, Path],
    pypi: PyPIPart | None,
    log: Log,
    pip_log: Log | None,
    advisories: AdvisoryData | None,
    request: str | None = None,
) -> CondaBundleInfo:
    """Bundle the solved ``records`` into the new folder ``out_dir``: each file from
    ``cached`` (file name -> a copy of it here) when that copy is the one recorded, else
    downloaded from its URL. Checked offline before it takes its name."""
    for record in records:
        _check_platform(record, target)
    python = _python_version(records)
    if pypi is not None and python is None:
        raise BundleInputError(
            "--pypi needs a Python in the environment: add python to the conda specs "
            "(e.g. --conda 'python 3.11.*')."
        )
    async with new_folder(out_dir) as staging:
        log(f"Fetching {len(records)} conda package(s)")
        packages = await fetch_packages(records, staging, cached, log)
        await asyncio.to_thread(_write_channel, staging / CHANNEL_DIR, records, target.subdir)
        wheel_files: dict[str, tuple[str, int]] = {}
        wheels: list[dict[str, str]] = []
        if pypi is not None and python is not None:
            await download_wheels(
                staging / PYPI_DIR,
                pypi.requirements,
                target.wheel_target(python),
                index_url=pypi.index_url,
                use_pip_config=pypi.use_pip_config,
                log=log,
                pip_log=pip_log,
            )
            wheel_files, wheels = await asyncio.to_thread(lock_wheels, staging / PYPI_DIR, staging)
        info = CondaBundleInfo(
            name=out_dir.name,
            created=now(),
            subdir=target.subdir,
            python_version=python,
            specs=specs,
            channels=[redact(url) for url in channels],
            packages=packages,
            requirements=[str(r) for r in pypi.requirements] if pypi else [],
            pypi=wheels,
            request=request,
        )
        await asyncio.to_thread(
            _write_files, staging, info, records, target, wheel_files, advisories
        )
        log("Checking the bundle offline")
        await check_bundle(staging, log=pip_log or quiet)
    log(
        f"Bundle {out_dir}: {len(packages)} conda package(s) for {target.describe()}; "
        "checked offline: its own channel solves to them."
    )
    return info


def _channel_urls(channels: Sequence[str]) -> list[str]:
    if not channels:
        raise BundleInputError(
            "Give the mirror's conda channel with --channel URL (e.g. "
            "https://mirror.corp/conda-forge), as many as needed, highest priority first."
        )
    for url in channels:
        if not url.startswith(("http://", "https://", "file://")):
            raise BundleInputError(
                f"--channel {redact(url)!r} is not a channel URL: give the mirror's full "
                "address (http://, https:// or file://), not a channel name."
            )
    return [url.rstrip("/") + "/" for url in channels]


def _check_platform(record: RepoDataRecord, target: CondaTarget) -> None:
    """A solved record is for the target or noarch, and is listed where its subdir says."""
    folder = conda_record(record).subdir
    if record.subdir not in (target.subdir, "noarch") or folder != record.subdir:
        raise AirlockError(
            "wrong-conda-platform",
            f"{record.file_name} is a package for {record.subdir}, listed in "
            f"{redact(record.channel)} under {folder}/: the bundle is for {target.subdir}. "
            "The channel's index is wrong; nothing was bundled.",
            422,
        )


def _python_version(records: Sequence[RepoDataRecord]) -> str | None:
    for record in records:
        if record.name.normalized == "python":
            return ".".join(str(record.version).split(".")[:2])
    return None


def _write_channel(channel_dir: Path, records: Sequence[RepoDataRecord], subdir: str) -> None:
    """``repodata.json`` of ``subdir`` and ``noarch`` from the solved records themselves."""
    for folder in (subdir, "noarch"):
        entries: dict[str, dict[str, object]] = {"packages": {}, "packages.conda": {}}
        for record in records:
            if record.subdir != folder:
                continue
            entry = json.loads(record.to_json())
            for key in ("fn", "url", "channel"):
                entry.pop(key, None)
            kind = "packages.conda" if record.file_name.endswith(".conda") else "packages"
            entries[kind][record.file_name] = entry
        document = {"info": {"subdir": folder}, **entries, "repodata_version": 1}
        (channel_dir / folder).mkdir(parents=True, exist_ok=True)
        text = json.dumps(document, indent=1, sort_keys=True) + "\n"
        (channel_dir / folder / "repodata.json").write_text(text, "utf-8")


def _write_files(
    folder: Path,
    info: CondaBundleInfo,
    records: Sequence[RepoDataRecord],
    target: CondaTarget,
    wheel_files: Mapping[str, tuple[str, int]],
    advisories: AdvisoryData | None,
) -> None:
    """pixi.lock, environment.yml, pixi-pack.json, bundle.json, the SBOM and the
    manifests, in ``folder`` that holds the packages, and the wheels (``wheel_files``:
    their sha256 and size) with their requirements.lock."""
    lock = LockFile([target.lock_platform()])
    platform = lock.platforms()[0]
    for record in records:
        lock.add_conda_package("default", platform, _without_secrets(record))
    lock.set_channels("default", [LockChannel(url) for url in info.channels])
    lock.to_path(folder / CONDA_LOCK)
    (folder / PIXI_PACK_JSON).write_text(
        json.dumps({"version": "1", "platform": info.subdir}) + "\n", "utf-8"
    )
    files = dict(wheel_files)
    (folder / ENVIRONMENT_YML).write_text(_environment_yml(info), "utf-8")
    (folder / BUNDLE_JSON).write_text(json.dumps(info.to_json(), indent=1) + "\n", "utf-8")
    components = [
        {
            "name": package.name,
            "version": package.version,
            "sha256": package.sha256,
            "purl": conda_purl(
                package.name, package.version, package.build, package.subdir, package.file
            ),
        }
        for package in info.packages
    ]
    components += [{**wheel, "sha256": files[wheel["file"]][0]} for wheel in info.pypi]
    document = cyclonedx_json(f"bundle {info.name}", components, None, advisories)
    (folder / SBOM_FILE).write_text(json.dumps(document, indent=1) + "\n", "utf-8")
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and relative not in files:
            files[relative] = sha256_file(path)
    write_manifests(folder, files)


def _without_secrets(record: RepoDataRecord) -> RepoDataRecord:
    """``record`` with the password of its channel's URL, if any, taken out."""
    url, channel = redact(record.url), redact(record.channel)
    if (url, channel) == (record.url, record.channel):
        return record
    return RepoDataRecord(record, record.file_name, url, channel)


def _environment_yml(info: CondaBundleInfo) -> str:
    """The environment as conda reads it: the exact packages, from ./channel only; the
    wheels from ./pypi only, hash-pinned by requirements.lock."""
    lines = [f"name: {info.name}", "channels:", f"  - ./{CHANNEL_DIR}", "  - nodefaults"]
    lines.append("dependencies:")
    lines += [f"  - {p.name}=={p.version}={p.build}" for p in info.packages]
    if info.pypi:
        lines += ["  - pip:", "    - --no-index", f"    - --find-links ./{PYPI_DIR}"]
        lines += [f"    - --requirement {LOCK_FILE}"]
    return "\n".join(lines) + "\n"
