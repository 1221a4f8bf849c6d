"""Checking a conda bundle offline (``conda``'s layout), once its files match its
manifests: what each of its own files says against ``bundle.json``, and a solve for the
target from nothing but its own channel.

``bundle.json``'s ``packages`` is the authority: each package's file must have the sha256
it lists, be the package it names (its ``info/index.json``: name, version, build and the
platform it is for), and be the only files in ``channel/``; the channel's
``repodata.json`` files and ``pixi.lock`` must list exactly those files with those sha256;
and py-rattler, solving ``specs`` for the lock's platform and virtual packages against
``channel/`` alone, must arrive at exactly those packages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import rattler
from rattler import IndexJson, LockFile, RepoDataRecord
from rattler.exceptions import SolverError

from ..conda.records import PACKAGE_SUFFIXES, conda_record, first_line, read_repodata

# The installer's own reading of a local channel and its plain words for what is missing.
from ..conda.solve import close_channel, explain_unsolvable, open_channel
from ..errors import AirlockError
from ..trust.manifests import Manifest
from .conda import CHANNEL_DIR, CONDA_LOCK, CondaBundleInfo, CondaPackage
from .conda_target import CondaTarget, conda_specs, target_of_lock
from .folder import Target

Log = Callable[[str], None]


async def check_conda_packages(
    folder: Path, info: CondaBundleInfo, manifest: Manifest, log: Log
) -> Target | None:
    """Check the conda part of the bundle in ``folder`` (its files already match
    ``manifest``), or raise an AirlockError naming what is wrong. Answers the wheel target
    of its PyPI part, None when it has none."""
    for package in info.packages:
        _check_listed(package, manifest)
        await asyncio.to_thread(_check_is_package, folder, package)
    await asyncio.to_thread(_check_no_strays, folder, info)
    await asyncio.to_thread(_check_repodata, folder, info)
    target = await asyncio.to_thread(_check_lock, folder, info)
    log(f"{len(info.packages)} conda package(s) match bundle.json, the channel and {CONDA_LOCK}")
    await resolve_offline(folder / CHANNEL_DIR, info, target)
    log(f"Solved {', '.join(info.specs)} for {target.describe()} from the bundle's own channel")
    if not info.pypi and not info.requirements:
        return None
    if info.python_version is None:
        raise _broken(f"{folder} has PyPI packages but no python among its conda packages")
    return target.wheel_target(info.python_version)


async def resolve_offline(channel_dir: Path, info: CondaBundleInfo, target: CondaTarget) -> None:
    """Solve ``info.specs`` for ``target`` from ``channel_dir`` alone: the solution must
    be ``info.packages``, or an AirlockError names what is missing and who needs it."""
    sources = await asyncio.to_thread(open_channel, channel_dir, [target.subdir, "noarch"])
    try:
        try:
            records = await rattler.solve_with_sparse_repodata(
                conda_specs(info.specs), sources, virtual_packages=target.generic()
            )
        except SolverError as error:
            problems = await asyncio.to_thread(explain_unsolvable, info.specs, sources, [], error)
            raise AirlockError(
                "bundle-incomplete",
                f"The bundle cannot be installed offline for {target.describe()}: "
                f"{one_line(problems)}.",
                422,
            ) from None
    finally:
        await asyncio.to_thread(close_channel, sources)
    solved = {(r.name.normalized, str(r.version), str(r.build)) for r in records}
    listed = {(p.name, p.version, p.build) for p in info.packages}
    if solved != listed:
        differ = sorted(" ".join(item) for item in solved ^ listed)
        raise _broken(
            f"solving its specs for {target.describe()} from its own channel does not give "
            f"its packages (differing: {', '.join(differ)})"
        )


def one_line(problems: list[str]) -> str:
    """The solver's problems on one line (its own explanation is a tree of lines)."""
    return " ".join(" ".join(problems).split())


def check_archive_is(file: Path, name: str, version: str, build: str, subdir: str) -> None:
    """Raise unless the conda package ``file`` says (``info/index.json``) it is ``name``
    ``version`` ``build`` for ``subdir``."""
    try:
        index = IndexJson.from_package_archive(file)
    except Exception as error:  # py-rattler's errors share no base class
        raise AirlockError(
            "invalid-conda-package",
            f"{file.name} is not a conda package, or a damaged one ({first_line(error)}).",
            422,
        ) from None
    said_subdir = index.subdir or ("noarch" if not index.noarch.none else "")
    if said_subdir != subdir:
        raise AirlockError(
            "wrong-conda-platform",
            f"{file.name} is a package for {said_subdir or 'no platform'} (its "
            f"info/index.json), not for {subdir}: it is not the package its channel lists.",
            422,
        )
    said = (index.name.normalized, str(index.version), str(index.build))
    if said != (name, version, build):
        raise AirlockError(
            "invalid-conda-package",
            f"{file.name} is {' '.join(said)} by its info/index.json, not {name} {version} "
            f"{build}: it is not the package its channel lists.",
            422,
        )


def _check_listed(package: CondaPackage, manifest: Manifest) -> None:
    entry = manifest.files.get(package.file)
    if entry is None:
        raise _broken(f"its manifest does not list {package.file}, which bundle.json lists")
    if entry.sha256 != package.sha256:
        raise AirlockError(
            "checksum-mismatch",
            f"{package.file} has sha256 {entry.sha256} in the bundle's manifest but "
            f"{package.sha256} in its bundle.json: the bundle was changed after it was made. "
            "Make it again.",
            422,
        )


def _check_is_package(folder: Path, package: CondaPackage) -> None:
    check_archive_is(
        folder / package.file, package.name, package.version, package.build, package.subdir
    )


def _check_no_strays(folder: Path, info: CondaBundleInfo) -> None:
    listed = {package.file for package in info.packages}
    channel = folder / CHANNEL_DIR
    for file in sorted(channel.rglob("*")) if channel.is_dir() else []:
        relative = file.relative_to(folder).as_posix()
        if file.name.endswith(PACKAGE_SUFFIXES) and relative not in listed:
            raise _broken(f"{relative} is in its channel but not in its bundle.json")


def _check_repodata(folder: Path, info: CondaBundleInfo) -> None:
    """Each subdir's repodata.json lists exactly the bundle's packages of that subdir."""
    for subdir in (info.subdir, "noarch"):
        path = folder / CHANNEL_DIR / subdir / "repodata.json"
        if not path.is_file():
            raise _broken(f"it has no {CHANNEL_DIR}/{subdir}/repodata.json")
        records = read_repodata(path.read_text("utf-8"), str(path), subdir)
        found = {f"{CHANNEL_DIR}/{r.path}": r.sha256 for r in records}
        wanted = {p.file: p.sha256 for p in info.packages if p.subdir == subdir}
        if found != wanted:
            differ = sorted(set(found.items()) ^ set(wanted.items()))
            raise _broken(
                f"{CHANNEL_DIR}/{subdir}/repodata.json does not list its packages as "
                f"bundle.json does (differing: {', '.join(file for file, _ in differ)})"
            )


def _check_lock(folder: Path, info: CondaBundleInfo) -> CondaTarget:
    """The lock's records are the bundle's packages; answers the target it names."""
    path = folder / CONDA_LOCK
    try:
        lock = LockFile.from_path(path)
    except Exception as error:  # py-rattler's errors share no base class
        raise _broken(f"{CONDA_LOCK} cannot be read ({first_line(error)})") from None
    environment = lock.default_environment()
    platforms = [p for p in lock.platforms() if p.name == info.subdir]
    if environment is None or not platforms:
        raise _broken(f"{CONDA_LOCK} has no default environment for {info.subdir}")
    records: list[RepoDataRecord] = (
        environment.conda_repodata_records_for_platform(platforms[0]) or []
    )
    locked = {(conda_record(r).path, r.sha256.hex() if r.sha256 else None) for r in records}
    wanted = {(p.file.removeprefix(f"{CHANNEL_DIR}/"), p.sha256) for p in info.packages}
    if locked != wanted:
        differ = sorted(path for path, _ in locked ^ wanted)
        raise _broken(
            f"{CONDA_LOCK} does not lock its packages as bundle.json lists them "
            f"(differing: {', '.join(differ)})"
        )
    return target_of_lock(platforms[0])


def _broken(problem: str) -> AirlockError:
    return AirlockError(
        "bundle-check-failed",
        f"The conda bundle does not check out: {problem}. Make the bundle again.",
        422,
    )
