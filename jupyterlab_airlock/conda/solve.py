"""Planning a conda install: MatchSpecs solved with py-rattler against a local channel and
what the environment has, as steps, or what is missing in plain words."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import rattler
from rattler import (
    Channel,
    MatchSpec,
    PackageRecord,
    PrefixRecord,
    RepoDataRecord,
    SparseRepoData,
    Version,
    VirtualPackage,
)
from rattler.exceptions import DetectVirtualPackageError, InvalidMatchSpecError, SolverError
from rattler.repo_data import PackageFormatSelection

from ..errors import AirlockError
from .records import (
    CondaRecord,
    conda_record,
    conda_subdir,
    first_line,
    prefix_records,
    read_repodata,
    require_conda_prefix,
)

Action = Literal["install", "upgrade", "downgrade", "reinstall"]

# What a user may ask for: a package name, then versions and builds. Channels (``::``),
# URLs and paths (``:`` or ``/``), bracketed keys (``[url=...]``) and options are refused
# before MatchSpec sees them, so that nothing names a source other than the local channel.
_NOT_PLAIN = re.compile(r"^\s*-|[:/\\\[\]]")


@dataclass(frozen=True)
class CondaStep:
    """One package to link. ``version`` and ``build`` are those it will have; ``installed``
    is the version there before, None if none. A plan never removes a package."""

    name: str
    version: str
    build: str
    action: Action
    installed: str | None
    record: CondaRecord


@dataclass(frozen=True)
class CondaSolution:
    """The plan for ``specs`` on ``platform``: its steps, dependencies first, or, when the
    request cannot be met, no steps and ``problems`` in plain words."""

    specs: tuple[str, ...]
    platform: str
    steps: tuple[CondaStep, ...]
    problems: tuple[str, ...]

    @property
    def to_fetch(self) -> list[CondaRecord]:
        """The package files :func:`install` needs in the channel folder."""
        return [step.record for step in self.steps]


async def solve(channel_dir: Path, specs: list[str], prefix: Path, platform: str) -> CondaSolution:
    """Plan the install of ``specs`` (MatchSpecs such as ``"numpy >=1.26"``) into the conda
    environment ``prefix`` for ``platform`` (e.g. ``"linux-64"``), from the local channel
    ``channel_dir``: its ``<platform>/repodata.json`` and ``noarch/repodata.json``.

    What is installed stays, and is preferred at its version; upgrading or downgrading it
    is planned only when the request needs it. A request that cannot be met returns a
    solution with ``problems`` and no steps. Bad input raises AirlockError: a spec that is
    not a plain package spec, an unknown platform, a prefix that is not a conda
    environment, a malformed repodata.json."""
    subdir = conda_subdir(platform)
    wanted = [plain_spec(spec) for spec in specs]
    if not wanted:
        raise AirlockError("invalid-conda-spec", "Name at least one conda package to install.")
    require_conda_prefix(prefix)
    installed = await asyncio.to_thread(prefix_records, prefix)
    sources = await asyncio.to_thread(open_channel, channel_dir, [str(subdir), "noarch"])
    try:
        virtual = await asyncio.to_thread(_virtual_packages)
        asked = {spec.name.normalized for spec in wanted}
        # Every installed package is asked for too, so that the plan keeps it and keeps it
        # working with what changes; locked_packages makes its installed version preferred.
        kept = [r.name.normalized for r in installed if r.name.normalized not in asked]
        try:
            records = await rattler.solve_with_sparse_repodata(
                [*wanted, *kept], sources, locked_packages=installed, virtual_packages=virtual
            )
        except SolverError as error:
            problems = await asyncio.to_thread(explain_unsolvable, specs, sources, installed, error)
            return CondaSolution(tuple(specs), str(subdir), (), tuple(problems))
    finally:
        await asyncio.to_thread(close_channel, sources)
    return CondaSolution(tuple(specs), str(subdir), _steps(records, installed), ())


def plain_spec(spec: str) -> MatchSpec:
    """``spec`` as a MatchSpec, if it names a package and versions and nothing else."""
    refusal = (
        f"'{spec}' is not a conda package spec Airlock installs: give a package name and "
        "optionally versions, e.g. 'numpy >=1.26' (options, channels, URLs and paths are "
        "not accepted)."
    )
    if not spec.strip() or _NOT_PLAIN.search(spec):
        raise AirlockError("invalid-conda-spec", refusal)
    try:
        # Not strict: conda's own leniency, e.g. ``numpy=1.26=py311h_0`` as conda list prints.
        return MatchSpec(spec, exact_names_only=True, extras=False, conditionals=False, flags=False)
    except InvalidMatchSpecError as error:
        raise AirlockError("invalid-conda-spec", f"{refusal} ({first_line(error)})") from None


def open_channel(channel_dir: Path, subdirs: Iterable[str]) -> list[SparseRepoData]:
    """The repodata of ``subdirs`` that ``channel_dir`` has, checked by read_repodata
    (whose messages are clearer than the solver's) before py-rattler maps it."""
    channel_dir = channel_dir.resolve()
    channel = Channel(channel_dir.as_uri())
    sources = []
    for subdir in dict.fromkeys(subdirs):
        repodata = channel_dir / subdir / "repodata.json"
        if repodata.is_file():
            read_repodata(repodata.read_text(encoding="utf-8"), str(repodata), subdir)
            sources.append(SparseRepoData(channel, subdir, repodata))
    return sources


def close_channel(sources: Iterable[SparseRepoData]) -> None:
    for source in sources:
        source.close()


def _virtual_packages() -> list[VirtualPackage]:
    """This machine's (``__glibc``, ``__unix`` ...): real packages depend on them."""
    try:
        return VirtualPackage.detect()
    except DetectVirtualPackageError:
        return []  # the solver then names the virtual package a package needs


def _steps(records: list[RepoDataRecord], installed: list[PrefixRecord]) -> tuple[CondaStep, ...]:
    """The changes from ``installed`` to the solved environment ``records``."""
    before = {r.name.normalized: r for r in installed}
    after = {r.name.normalized: r for r in records}
    steps = []
    for package in _dependencies_first(records):
        name = package.name.normalized
        new, old = after[name], before.get(name)
        if old is not None and _same_package(old, new):
            continue
        steps.append(
            CondaStep(
                name=name,
                version=str(new.version),
                build=str(new.build),
                action=_action(old, new),
                installed=None if old is None else str(old.version),
                record=conda_record(new),
            )
        )
    return tuple(steps)


def _dependencies_first(records: Iterable[PackageRecord]) -> list[PackageRecord]:
    return PackageRecord.sort_topologically(list(records))


def _same_package(old: RepoDataRecord, new: RepoDataRecord) -> bool:
    if old.sha256 is not None and new.sha256 is not None:
        return old.sha256 == new.sha256
    return (str(old.version), str(old.build)) == (str(new.version), str(new.build))


def _action(old: RepoDataRecord | None, new: RepoDataRecord) -> Action:
    if old is None:
        return "install"
    before, after = Version(str(old.version)), Version(str(new.version))
    if after > before:
        return "upgrade"
    if after < before:
        return "downgrade"
    return "reinstall"  # the same version, another build


def explain_unsolvable(
    specs: list[str],
    sources: list[SparseRepoData],
    installed: list[PrefixRecord],
    error: SolverError,
) -> list[str]:
    """Why ``specs`` cannot be installed, in plain words: each dependency that nothing in
    the channel or the prefix provides, and who needs it. Following the highest version
    that matches each spec, as the solver would. Conflicts between packages that are all
    there are left to the solver's own explanation."""
    by_name: dict[str, list[RepoDataRecord]] = {}
    found: dict[str, list[str]] = {}
    visiting: set[str] = set()

    def candidates(name: str) -> list[RepoDataRecord]:
        if name not in by_name:
            records: list[RepoDataRecord] = [r for r in installed if r.name.normalized == name]
            for source in sources:
                records.extend(source.load_records(name, PackageFormatSelection.BOTH))
            by_name[name] = sorted(records, key=lambda r: Version(str(r.version)), reverse=True)
        return by_name[name]

    def of_record(record: RepoDataRecord) -> list[str]:
        key = f"{record.name.normalized} {record.version} {record.build} {record.file_name}"
        if key in visiting:  # a dependency cycle: judged where it started
            return []
        if key not in found:
            visiting.add(key)
            needer = f"{record.name.normalized} {record.version}"
            found[key] = [p for dep in record.depends for p in of_spec(dep, needer)]
            visiting.discard(key)
        return found[key]

    def of_spec(text: str, needed_by: str | None) -> list[str]:
        try:
            spec = MatchSpec(text)
        except InvalidMatchSpecError:
            return []  # the solver's message covers what cannot even be read
        name = spec.name.normalized
        if name.startswith("__"):
            return []  # a virtual package: a property of the machine, not of the channel
        available = candidates(name)
        matching = [r for r in available if spec.matches(r)]
        if not matching:
            return [_missing(text, needed_by, available)]
        first: list[str] = []
        for record in matching:
            problems = of_record(record)
            if not problems:
                return []
            first = first or problems
        return first

    problems = [p for spec in specs for p in of_spec(spec, None)]
    if problems:
        return list(dict.fromkeys(problems))
    reason = str(error).strip().removeprefix("Cannot solve the request because of:").strip()
    together = " with the packages installed" if installed else ""
    return [f"The packages cannot be installed together{together}:\n{reason}"]


def _missing(spec: str, needed_by: str | None, available: list[RepoDataRecord]) -> str:
    who = "" if needed_by is None else f", needed by {needed_by},"
    versions = list(dict.fromkeys(str(r.version) for r in available))
    there = (
        f" (available: {available[0].name.normalized} {', '.join(versions)})" if versions else ""
    )
    return f"{spec}{who} is not in the channel{there}"
