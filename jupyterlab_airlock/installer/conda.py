"""Conda packages offline: index a local channel, plan an install, link it with py-rattler.

The read bucket may hold a conda channel (``<subdir>/repodata.json`` beside the packages)
or loose conda packages. Either way the packages end up in a local channel folder, and
nothing here ever reaches a network: every package is linked from a ``file:`` URL.

- :func:`read_repodata` parses a channel's ``repodata.json`` into :class:`CondaRecord`
  values (both ``packages`` and ``packages.conda``), refusing a malformed one by name.
- :func:`index_packages` lays loose package files out as a local channel
  (``<channel_dir>/<subdir>/<file>``, the subdir read from each package's
  ``info/index.json``) and writes each subdir's ``repodata.json`` with py-rattler's indexer.
- :func:`is_conda_prefix` and :func:`installed_records` say what ``conda-meta/`` holds.
- :func:`solve` plans: it resolves MatchSpecs against the local channel's repodata (the
  package files need not be there yet: ``CondaSolution.to_fetch`` lists the ones the plan
  needs) together with what the prefix already has, and returns a :class:`CondaSolution`:
  its :class:`CondaStep` list, or its problems in plain words when the request cannot be
  met. Only bad input raises.
- :func:`install` carries out a plan from the package files now in the channel, after
  checking each against the sha256 of its record.

Cancelling :func:`install` (``asyncio.CancelledError``) takes effect between packages.
py-rattler's own install is one transaction over all packages and is not safe to cancel:
its unlinks run concurrently and stop wherever they are, and each package is linked
(files, then its ``conda-meta`` record) on a worker thread that goes on after the awaiting
coroutine has been cancelled, so the prefix keeps changing after the cancellation. This
module therefore links one package per py-rattler transaction (an upgrade unlinks the old
version and links the new one in it), in dependency order, and lets the transaction under
way finish before the cancellation is re-raised: every package in the prefix is then
complete with its record, and each one's dependencies went in before it. Packages linked
before the cancellation stay, and the log names them. A package that fails to link stops
the install with an AirlockError naming it; the packages before it stay linked, and
py-rattler does not undo the files of the failing one that it linked already.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal, TypeVar
from urllib.parse import unquote, urlparse

import rattler
from rattler import (
    Channel,
    IndexJson,
    MatchSpec,
    PackageRecord,
    PrefixRecord,
    RepoDataRecord,
    SparseRepoData,
    Subdir,
    Version,
    VirtualPackage,
)
from rattler.exceptions import (
    DetectVirtualPackageError,
    InvalidMatchSpecError,
    ParseSubdirError,
    SolverError,
)
from rattler.index import index_fs
from rattler.repo_data import PackageFormatSelection

from ..errors import AirlockError

Action = Literal["install", "upgrade", "downgrade", "reinstall"]

_T = TypeVar("_T")

_PACKAGE_SUFFIXES = (".conda", ".tar.bz2")
# What a user may ask for: a package name, then versions and builds. Channels (``::``),
# URLs and paths (``:`` or ``/``), bracketed keys (``[url=...]``) and options are refused
# before MatchSpec sees them, so that nothing names a source other than the local channel.
_NOT_PLAIN = re.compile(r"^\s*-|[:/\\\[\]]")
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


async def index_packages(files: list[Path], channel_dir: Path) -> list[CondaRecord]:
    """Make ``channel_dir`` a local channel of the conda packages ``files``: each is placed
    (hard-linked, else copied) at ``<channel_dir>/<subdir>/<file name>``, the subdir read
    from its ``info/index.json``, and every subdir gets its ``repodata.json``. Returns the
    records of ``files``, in their order.

    A file that is not a conda package, or has no ``info/index.json``, raises AirlockError
    naming it, before anything is placed."""
    subdirs = [await asyncio.to_thread(_package_subdir, file) for file in files]
    for file, subdir in zip(files, subdirs, strict=True):
        await asyncio.to_thread(_place, file, channel_dir / subdir / file.name)
    # The indexer expects a noarch folder in every channel, even an empty one.
    (channel_dir / "noarch").mkdir(parents=True, exist_ok=True)
    try:
        await index_fs(channel_dir, write_zst=False, write_shards=False, force=True)
    except Exception as error:  # py-rattler's errors share no base class
        raise AirlockError(
            "conda-index-failed", f"Indexing the conda packages failed: {_first_line(error)}", 500
        ) from None
    by_path: dict[str, CondaRecord] = {}
    for subdir in sorted(set(subdirs)):
        repodata = channel_dir / subdir / "repodata.json"
        text = await asyncio.to_thread(repodata.read_text, encoding="utf-8")
        by_path.update((r.path, r) for r in read_repodata(text, str(repodata), subdir))
    return [by_path[f"{subdir}/{file.name}"] for file, subdir in zip(files, subdirs, strict=True)]


def is_conda_prefix(prefix: Path) -> bool:
    """Whether ``prefix`` is a conda environment (it has a ``conda-meta`` folder)."""
    return (prefix / "conda-meta").is_dir()


def installed_records(prefix: Path) -> list[tuple[str, str, str]]:
    """(name, version, build) of each package ``<prefix>/conda-meta/*.json`` says is
    installed, sorted by name. A record that cannot be read raises AirlockError naming it."""
    installed = []
    for path in sorted((prefix / "conda-meta").glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            installed.append((str(record["name"]), str(record["version"]), str(record["build"])))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise _unreadable_meta(path, error) from None
    return sorted(installed)


async def solve(channel_dir: Path, specs: list[str], prefix: Path, platform: str) -> CondaSolution:
    """Plan the install of ``specs`` (MatchSpecs such as ``"numpy >=1.26"``) into the conda
    environment ``prefix`` for ``platform`` (e.g. ``"linux-64"``), from the local channel
    ``channel_dir``: its ``<platform>/repodata.json`` and ``noarch/repodata.json``.

    What is installed stays, and is preferred at its version; upgrading or downgrading it
    is planned only when the request needs it. A request that cannot be met returns a
    solution with ``problems`` and no steps. Bad input raises AirlockError: a spec that is
    not a plain package spec, an unknown platform, a prefix that is not a conda
    environment, a malformed repodata.json."""
    subdir = _subdir(platform)
    wanted = [_plain_spec(spec) for spec in specs]
    if not wanted:
        raise AirlockError("invalid-conda-spec", "Name at least one conda package to install.")
    _require_conda_prefix(prefix)
    installed = await asyncio.to_thread(_prefix_records, prefix)
    sources = await asyncio.to_thread(_open_channel, channel_dir, [str(subdir), "noarch"])
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
            problems = await asyncio.to_thread(_explain, specs, sources, installed, error)
            return CondaSolution(tuple(specs), str(subdir), (), tuple(problems))
    finally:
        await asyncio.to_thread(_close, sources)
    return CondaSolution(tuple(specs), str(subdir), _steps(records, installed), ())


async def install(
    solution: CondaSolution,
    channel_dir: Path,
    prefix: Path,
    log: Callable[[str], None],
    *,
    cache_dir: Path | None = None,
) -> None:
    """Carry out ``solution`` in the conda environment ``prefix`` from the package files
    now in ``channel_dir/<subdir>/``, offline, logging one line per package.

    Before the prefix is touched, every file is checked against the sha256 (else the size)
    of its planned record, and the prefix against the plan: a missing or mismatching file,
    or a prefix changed since the plan was made, raises AirlockError and changes nothing.
    Packages are linked one transaction each, dependencies first; see the module docstring
    for what cancellation and failure leave. ``cache_dir`` is where py-rattler keeps the
    extracted packages it links from (default: its own user cache, as pixi does). py-rattler
    tags a prefix it creates as a cache folder (CACHEDIR.TAG, so that backup tools skip it);
    an environment that had no tag is given none."""
    if solution.problems:
        raise AirlockError(
            "conda-plan-unsolvable",
            "This plan cannot be installed: " + " ".join(solution.problems),
            409,
        )
    _require_conda_prefix(prefix)
    channel_dir = await asyncio.to_thread(channel_dir.resolve)
    target = _subdir(solution.platform)
    current = {r.name.normalized: r for r in await asyncio.to_thread(_prefix_records, prefix)}
    _check_prefix_matches_plan(solution, current)
    linkable = await asyncio.to_thread(_channel_records, channel_dir, solution.to_fetch)
    for planned in solution.to_fetch:
        await asyncio.to_thread(_verify_file, channel_dir, planned)
    tag = prefix / "CACHEDIR.TAG"
    tagged = tag.exists()
    try:
        for step in solution.steps:
            await _finish_despite_cancellation(
                _apply(step, linkable[step.name], current, prefix, target, cache_dir, log)
            )
    finally:
        if not tagged:
            tag.unlink(missing_ok=True)


async def _apply(
    step: CondaStep,
    record: RepoDataRecord,
    current: dict[str, PrefixRecord],
    prefix: Path,
    platform: Subdir,
    cache_dir: Path | None,
    log: Callable[[str], None],
) -> None:
    """Link ``record`` as one py-rattler transaction (replacing the package of that name,
    if any), then update ``current`` (name -> installed record) and log it."""
    desired = [r for name, r in current.items() if name != step.name]
    try:
        await rattler.install(
            [*desired, record],
            prefix,
            cache_dir=cache_dir,
            installed_packages=list(current.values()),
            platform=platform,
            execute_link_scripts=False,
            show_progress=False,
        )
    except Exception as error:  # py-rattler's errors share no base class
        raise _install_failed(step, prefix, error) from None
    meta = prefix / "conda-meta" / f"{step.name}-{step.version}-{step.build}.json"
    current[step.name] = await asyncio.to_thread(PrefixRecord.from_path, meta)
    log(_describe(step))


# --- planning -----------------------------------------------------------------------------


def _plain_spec(spec: str) -> MatchSpec:
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
        raise AirlockError("invalid-conda-spec", f"{refusal} ({_first_line(error)})") from None


def _subdir(platform: str) -> Subdir:
    try:
        return Subdir(platform)
    except ParseSubdirError:
        raise AirlockError(
            "invalid-platform", f"'{platform}' is not a conda platform such as linux-64."
        ) from None


def _require_conda_prefix(prefix: Path) -> None:
    if not is_conda_prefix(prefix):
        raise AirlockError(
            "not-a-conda-environment",
            f"{prefix} is not a conda environment (it has no conda-meta folder): conda "
            "packages can only go into one.",
            409,
        )


def _prefix_records(prefix: Path) -> list[PrefixRecord]:
    records = []
    for path in sorted((prefix / "conda-meta").glob("*.json")):
        try:
            records.append(PrefixRecord.from_path(path))
        except Exception as error:  # py-rattler's errors share no base class
            raise _unreadable_meta(path, error) from None
    return records


def _open_channel(channel_dir: Path, subdirs: Iterable[str]) -> list[SparseRepoData]:
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


def _close(sources: Iterable[SparseRepoData]) -> None:
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
                record=_conda_record(new),
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


def _conda_record(record: RepoDataRecord) -> CondaRecord:
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


def _explain(
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


# --- installing ---------------------------------------------------------------------------


def _check_prefix_matches_plan(solution: CondaSolution, current: dict[str, PrefixRecord]) -> None:
    for step in solution.steps:
        record = current.get(step.name)
        now = None if record is None else str(record.version)
        if now != step.installed:
            raise AirlockError(
                "conda-plan-stale",
                f"The environment changed since the plan was made ({step.name} is "
                f"{'not installed' if now is None else now} now, the plan expected "
                f"{step.installed or 'none'}): make the plan again.",
                409,
            )


def _channel_records(channel_dir: Path, records: list[CondaRecord]) -> dict[str, RepoDataRecord]:
    """py-rattler's records of the planned ``records``, from the channel's repodata.json,
    keyed by package name. Their URLs are ``file:`` URLs into ``channel_dir``."""
    channel = Channel(channel_dir.as_uri())
    found: dict[str, RepoDataRecord] = {}
    for planned in records:
        repodata = channel_dir / planned.subdir / "repodata.json"
        if not repodata.is_file():
            raise _not_in_channel(planned)
        source = SparseRepoData(channel, planned.subdir, repodata)
        try:
            matches = [
                r
                for r in source.load_records(planned.name, PackageFormatSelection.BOTH)
                if r.file_name == planned.file_name
            ]
        finally:
            source.close()
        if not matches or _conda_record(matches[0]).sha256 != planned.sha256:
            raise _not_in_channel(planned)
        found[planned.name] = matches[0]
    return found


def _verify_file(channel_dir: Path, record: CondaRecord) -> None:
    path = channel_dir / record.subdir / record.file_name
    if not path.is_file():
        raise AirlockError(
            "conda-package-missing",
            f"{record.path} is not in the local channel: it must be fetched before the install.",
            409,
        )
    if record.sha256 is not None:
        digest = _sha256(path)
        if digest != record.sha256:
            raise _mismatch(record, f"its sha256 is {digest}, not {record.sha256}")
    elif record.size is not None and path.stat().st_size != record.size:
        raise _mismatch(record, f"its size is {path.stat().st_size} bytes, not {record.size}")


async def _finish_despite_cancellation(work: Awaitable[_T]) -> _T:
    """Await ``work`` to its end. Should the caller be cancelled meanwhile, ``work`` still
    runs to its end, and the cancellation is re-raised then."""
    task = asyncio.ensure_future(work)
    cancelled: asyncio.CancelledError | None = None
    while not task.done():
        try:
            await asyncio.wait({task})  # unlike awaiting the task, never cancels it
        except asyncio.CancelledError as error:
            cancelled = error
    if cancelled is not None:
        if not task.cancelled():
            task.exception()  # retrieved: the cancellation is what the caller hears of
        raise cancelled
    return task.result()


def _describe(step: CondaStep) -> str:
    build = f"{step.version} ({step.build})"
    if step.action == "install":
        return f"linked {step.name} {build}"
    if step.action == "reinstall":
        return f"reinstalled {step.name} {build}"
    return f"{step.action}d {step.name} {step.installed} -> {build}"


# --- indexing -----------------------------------------------------------------------------


def _package_subdir(file: Path) -> str:
    """The channel subdir ``file`` belongs in, from its ``info/index.json``."""
    if not file.name.endswith(_PACKAGE_SUFFIXES):
        raise AirlockError(
            "invalid-conda-package",
            f"{file.name} is not a conda package: their names end in .conda or .tar.bz2.",
            422,
        )
    try:
        index = IndexJson.from_package_archive(file)
    except Exception as error:  # py-rattler's errors share no base class
        raise AirlockError(
            "invalid-conda-package",
            f"{file.name} has no readable info/index.json: it is not a conda package, or a "
            f"damaged one ({_first_line(error)}).",
            422,
        ) from None
    subdir = index.subdir or ("noarch" if not index.noarch.none else None)
    if subdir is None:
        raise AirlockError(
            "invalid-conda-package",
            f"{file.name} does not say which platform it is for (no subdir in its "
            "info/index.json).",
            422,
        )
    return str(_subdir(subdir))


def _place(file: Path, destination: Path) -> None:
    """Put ``file`` at ``destination`` (a hard link where the file system allows one),
    unless the very same file is there already."""
    if destination.exists():
        if destination.samefile(file) or _same_bytes(destination, file):
            return
        raise AirlockError(
            "conda-package-conflict",
            f"{destination.parent.name}/{file.name} is in the channel already, with other "
            "contents: two different packages cannot have one file name.",
            409,
        )
    destination.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.link(file, destination)
        return
    # Copied under a temporary name first, so that a stopped copy is never taken for a package.
    handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=".airlock-")
    os.close(handle)
    try:
        shutil.copyfile(file, temporary)
        os.replace(temporary, destination)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _same_bytes(left: Path, right: Path) -> bool:
    if left.stat().st_size != right.stat().st_size:
        return False
    return _sha256(left) == _sha256(right)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- messages -----------------------------------------------------------------------------


def _is_package_file_name(name: str) -> bool:
    return (
        name.endswith(_PACKAGE_SUFFIXES)
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


def _unreadable_meta(path: Path, error: BaseException) -> AirlockError:
    return AirlockError(
        "invalid-conda-meta",
        f"{path} cannot be read as a conda package record ({_first_line(error)}): the "
        "environment may be damaged.",
        422,
    )


def _not_in_channel(record: CondaRecord) -> AirlockError:
    return AirlockError(
        "conda-plan-stale",
        f"{record.path} is no longer in the channel's repodata.json as planned: make the "
        "plan again.",
        409,
    )


def _mismatch(record: CondaRecord, detail: str) -> AirlockError:
    return AirlockError(
        "checksum-mismatch",
        f"{record.path} does not match its record in the channel ({detail}): it is damaged "
        "or not the file that was published. Nothing was installed; transfer it again.",
        422,
    )


def _install_failed(step: CondaStep, prefix: Path, error: BaseException) -> AirlockError:
    return AirlockError(
        "conda-install-failed",
        f"Installing {step.name} {step.version} into {prefix} failed: {_first_line(error)}. "
        "The packages logged before it are installed; it and the ones after it are not.",
        500,
    )


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
