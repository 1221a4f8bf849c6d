"""Carrying out a conda plan: the planned package files, checked, linked into the
environment with py-rattler, offline.

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
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import rattler
from rattler import Channel, PrefixRecord, RepoDataRecord, SparseRepoData, Subdir
from rattler.repo_data import PackageFormatSelection

from ..errors import AirlockError
from ..offline import sha256_file
from .records import (
    CondaRecord,
    conda_record,
    conda_subdir,
    first_line,
    prefix_records,
    require_conda_prefix,
)
from .solve import CondaSolution, CondaStep

_T = TypeVar("_T")


async def install(
    solution: CondaSolution,
    channel_dir: Path,
    prefix: Path,
    log: Callable[[str], None],
    *,
    cache_dir: Path | None = None,
    link_scripts: bool = False,
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
    an environment that had no tag is given none. A package's link scripts (its
    ``bin/.<name>-post-link.sh``) run only with ``link_scripts``: they are programs of the
    package's author, run with the server's rights."""
    if solution.problems:
        raise AirlockError(
            "conda-plan-unsolvable",
            "This plan cannot be installed: " + " ".join(solution.problems),
            409,
        )
    require_conda_prefix(prefix)
    channel_dir = await asyncio.to_thread(channel_dir.resolve)
    target = conda_subdir(solution.platform)
    current = {r.name.normalized: r for r in await asyncio.to_thread(prefix_records, prefix)}
    _check_prefix_matches_plan(solution, current)
    linkable = await asyncio.to_thread(channel_records, channel_dir, solution.to_fetch)
    for planned in solution.to_fetch:
        await asyncio.to_thread(_verify_file, channel_dir, planned)
    tag = prefix / "CACHEDIR.TAG"
    tagged = tag.exists()
    try:
        for step in solution.steps:
            await _finish_despite_cancellation(
                _apply(
                    step, linkable[step.name], current, prefix, target, cache_dir, link_scripts, log
                )
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
    link_scripts: bool,
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
            execute_link_scripts=link_scripts,
            show_progress=False,
        )
    except Exception as error:  # py-rattler's errors share no base class
        raise _install_failed(step, prefix, error) from None
    meta = prefix / "conda-meta" / f"{step.name}-{step.version}-{step.build}.json"
    current[step.name] = await asyncio.to_thread(PrefixRecord.from_path, meta)
    log(_describe(step))


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


def channel_records(channel_dir: Path, records: list[CondaRecord]) -> dict[str, RepoDataRecord]:
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
        if not matches or conda_record(matches[0]).sha256 != planned.sha256:
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
        digest = sha256_file(path)[0]
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
        f"Installing {step.name} {step.version} into {prefix} failed: {first_line(error)}. "
        "The packages logged before it are installed; it and the ones after it are not.",
        500,
    )
