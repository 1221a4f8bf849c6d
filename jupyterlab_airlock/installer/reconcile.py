"""Installs that a server stop cut short, looked at again after the restart.

A server that stops kills its uv first (``JobManager.stop``); one that dies leaves uv, in
a process group of its own, to run on and finish, or die too and leave part of the plan
installed. Either way the job's record keeps the plan's pins (``JobContext.keep``); after
the restart the environment is examined (once any uv still at work in it has let go of
its lock), the job says what actually landed, and roll back is offered when anything
changed.
"""

from __future__ import annotations

import asyncio
import fcntl
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from ..environments.facts import describe_environment
from ..errors import AirlockError
from ..jobs import Job, JobManager
from .plan import changes, package_versions

# How often an environment's lock is tried while an orphaned uv holds it (seconds).
LOCK_POLL = 0.5


async def reconcile(jobs: JobManager, kernels_of: Callable[[str], list[str]]) -> None:
    """Settle every install a restart interrupted with what its environment now holds."""
    for job in jobs.interrupted("install"):
        assert job.resume is not None
        kept = job.resume
        await _wait_for_uv(Path(kept["prefix"]))
        await asyncio.to_thread(shutil.rmtree, kept["staging"], True)
        try:
            described = await describe_environment(kept["python"])
        except AirlockError as error:
            jobs.settle(job.id, _result(kept, [], [], kernels_of), f"After the restart: {error}")
            continue
        now = package_versions(described["packages"])
        jobs.settle(job.id, *_found(job, kept, now, kernels_of))


def _found(
    job: Job, kept: dict[str, Any], now: dict[str, str], kernels_of: Callable[[str], list[str]]
) -> tuple[dict[str, Any], str]:
    files = kept["files"]
    names = {canonicalize_name(file["name"]) for file in files}
    before = {name: version for name, version in kept["before"].items() if name in names}
    after = {name: version for name, version in now.items() if name in names}
    landed = [file for file in files if now.get(canonicalize_name(file["name"])) == file["version"]]
    changed = changes(before, after)
    result = _result(kept, changed, landed, kernels_of)
    where = kept["display_name"]
    if len(landed) == len(files):
        note = f"After the restart: all {len(files)} planned package(s) are in {where}."
    else:
        absent = [f"{f['name']} {f['version']}" for f in files if f not in landed]
        note = (
            f"After the restart: {len(landed)} of {len(files)} planned package(s) are in "
            f"{where}; not installed: {', '.join(absent)}."
        )
        if changed:
            note += " Roll back puts the environment back as it was before this install."
    return result, note


def _result(
    kept: dict[str, Any],
    changed: list[dict[str, Any]],
    landed: list[dict[str, Any]],
    kernels_of: Callable[[str], list[str]],
) -> dict[str, Any]:
    return {
        "kernel": kept["kernel"],
        "prefix": kept["prefix"],
        "python": kept["python"],
        "changes": changed,
        "files": landed,
        "kernels": kernels_of(kept["prefix"]),
        "can_roll_back": bool(changed),
    }


async def _wait_for_uv(prefix: Path) -> None:
    """Wait until no uv installs into ``prefix``: uv holds an exclusive lock on the
    environment's ``.lock`` while it works (an orphan of a server that died may).

    The lock is tried, not waited for in a thread: a server stopping meanwhile cancels
    this at once, and no thread is left blocked in ``flock``."""
    lock = prefix / ".lock"
    if not lock.is_file():
        return
    with lock.open("rb") as file:
        while True:
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                await asyncio.sleep(LOCK_POLL)
                continue
            fcntl.flock(file, fcntl.LOCK_UN)
            return
