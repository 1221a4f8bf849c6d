"""Carrying out a plan as a job in its environment's queue: uv from folders holding only
the planned files, verified, or py-rattler from the plan's local conda channel.

A job waits for the jobs before it in the queue (one per environment prefix); a pip plan
is refused if another install touched a package it was made around meanwhile. A cancelled
pip install is undone: what it added is removed, and pip puts back what it was replacing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from ..cache import ContentCache
from ..conda import link as conda_link
from ..conda.records import installed_records
from ..environments.facts import describe_environment
from ..environments.interpreter import spec_python
from ..errors import AirlockError
from ..jobs import Job, JobContext, JobManager
from ..offline import INTERRUPT_GRACE, install_offline, linked, sha256_file, uninstall
from ..package_index.index import IndexSnapshot, PackageIndex
from ..pip import pins
from ..trust.manifests import ManifestEntry
from ..uv import uv_errors
from .plan import Plan, PlanStep, changes, package_versions

# Files of a plan fetched at once: a cold closure of many small wheels waits on round
# trips, not bandwidth.
STAGING = 8


class Installs:
    """Plans carried out, each as a job, for the kernels of one Jupyter server."""

    def __init__(
        self,
        spec_manager: Any,
        index: PackageIndex,
        cache: ContentCache,
        jobs: JobManager,
        hide: Callable[[str], str],
    ) -> None:
        self._specs = spec_manager
        self._index = index
        self._cache = cache
        self._jobs = jobs
        self._hide = hide

    def start(self, plan: Plan, user: str | None = None) -> Job:
        """Start carrying out ``plan`` as a job in its environment's queue."""

        async def work(context: JobContext) -> dict[str, Any]:
            return await self._install(plan, context)

        asked = ", ".join(step.name for step in plan.steps if step.requested) or "packages"
        prefix = plan.environment["prefix"]
        return self._jobs.submit(
            "install",
            f"Install {asked} into {plan.display_name}",
            f"env:{prefix}",
            work,
            user=user,
            audit={
                "kernel": plan.kernel,
                "prefix": prefix,
                "advisory_data": plan.advisory_data,
                **plan.answered(),
            },
        )

    async def _install(self, plan: Plan, context: JobContext) -> dict[str, Any]:
        if plan.conda is not None:
            return await self._install_conda(plan, context)
        files: list[dict[str, Any]] = []
        context.audit(files=files)  # what was staged so far, whatever the outcome
        await asyncio.to_thread(self._cache.root.mkdir, parents=True, exist_ok=True)
        # The look at the environment and the files (a cold closure fetched a few at a
        # time) at once: neither waits on the other.
        fetching = asyncio.Semaphore(STAGING)
        snapshot = await self._index.snapshot(keys=[step.key for step in plan.steps if step.key])

        async def stage(step: PlanStep) -> tuple[str, Path]:
            async with fetching:
                sha256, wheel = await self._stage(step, snapshot)
            files.append(
                {"name": step.name, "version": step.version, "file": step.file, "sha256": sha256}
            )
            context.log(f"{step.file}: sha256 {sha256}{' (verified)' if step.verified else ''}")
            context.progress(0.3 * len(files) / len(plan.steps))
            return sha256, wheel

        described, stages = await _together(
            describe_environment(plan.python), [stage(step) for step in plan.steps]
        )
        order = {step.name: number for number, step in enumerate(plan.steps)}
        files.sort(key=lambda file: order[file["name"]])  # in the plan's order
        before = package_versions(described["packages"])
        # Another install may have run meanwhile (they wait in line): that is fine unless
        # it touched a package this plan was made around.
        moved = [
            step.name
            for step in plan.steps
            if before.get(canonicalize_name(step.name)) != step.installed
        ]
        if moved:
            raise AirlockError(
                "environment-changed",
                f"{', '.join(moved)} changed in {plan.display_name} since this plan was made: "
                "plan again.",
                409,
            )
        wheels = [wheel for _, wheel in stages]
        with tempfile.TemporaryDirectory(prefix=".install-", dir=self._cache.root) as scratch:
            folder = Path(scratch)
            requirements = folder / "plan.txt"
            requirements.write_text(pins([(f["name"], f["version"], f["sha256"]) for f in files]))
            prefix = plan.environment["prefix"]
            # Should the server stop now, the restart looks at the environment with these.
            context.keep(
                kernel=plan.kernel,
                display_name=plan.display_name,
                prefix=prefix,
                python=plan.python,
                before=before,
                files=files,
                staging=scratch,
            )
            context.log(f"Installing {len(files)} file(s) into {prefix} with uv, offline")
            try:
                completed = await install_offline(
                    plan.python,
                    [wheel.parent for wheel in wheels],
                    requirements,
                    log=lambda line: context.log(self._hide(line)),
                    cache_dir=self._cache.root / "uv",
                    # The plan is the resolution: its files, and nothing else (uv would
                    # ask for the hashes of dependencies already installed, too).
                    options=["--no-deps"],
                    progress=lambda share: context.progress(0.3 + 0.6 * share),
                    interrupt_grace=INTERRUPT_GRACE,
                )
            except asyncio.CancelledError:
                await asyncio.shield(self._undo_partial(plan, before, context))
                raise
        if completed.returncode != 0:
            raise AirlockError(
                "install-failed",
                f"uv could not install into {plan.display_name}: "
                f"{self._hide(uv_errors(completed.stderr))}",
                500,
            )
        # pip installed exactly the pinned files (--require-hashes admits nothing else), so
        # the environment now holds what it held with the plan's versions on top.
        after = dict(before)
        after.update((canonicalize_name(file["name"]), file["version"]) for file in files)
        changed = changes(before, after)
        return {
            "kernel": plan.kernel,
            "prefix": plan.environment["prefix"],
            "python": plan.python,
            "changes": changed,
            "files": files,
            # Off the event loop: the other users' plans and jobs go on meanwhile.
            "kernels": await asyncio.to_thread(self.kernels_of, plan.environment["prefix"]),
            "can_roll_back": bool(changed),
        }

    async def _install_conda(self, plan: Plan, context: JobContext) -> dict[str, Any]:
        assert plan.channel is not None
        prefix = Path(plan.environment["prefix"])
        snapshot = await self._index.snapshot(keys=[step.key for step in plan.steps if step.key])
        files: list[dict[str, Any]] = []
        context.audit(files=files)
        try:
            for number, step in enumerate(plan.steps):
                record = next(r for r in plan.conda.to_fetch if r.file_name == step.file)
                target = plan.channel / record.subdir / record.file_name
                if step.key is not None and not target.exists():
                    indexed = snapshot.by_key[step.key]
                    expected = ManifestEntry(record.sha256) if record.sha256 else indexed.expected
                    path, _ = await self._cache.fetch(snapshot.source, indexed.entry, expected)
                    await asyncio.to_thread(os.link, path, target)
                sha256 = (await asyncio.to_thread(sha256_file, target))[0]
                files.append(
                    {
                        "name": step.name,
                        "version": step.version,
                        "file": step.file,
                        "sha256": sha256,
                    }
                )
                context.progress(0.3 * (number + 1) / len(plan.steps))
            before = await asyncio.to_thread(_conda_versions, prefix)
            await conda_link.install(
                plan.conda,
                plan.channel,
                prefix,
                context.log,
                cache_dir=self._cache.root / "rattler",
            )
        finally:
            await asyncio.to_thread(shutil.rmtree, plan.channel, True)
        after = await asyncio.to_thread(_conda_versions, prefix)
        return {
            "kernel": plan.kernel,
            "prefix": str(prefix),
            "python": plan.python,
            "changes": changes(before, after),
            "files": files,
            "kernels": await asyncio.to_thread(self.kernels_of, str(prefix)),
            # Roll back is pip's for now: conda environments keep their own revisions.
            "can_roll_back": False,
        }

    async def _stage(self, step: PlanStep, snapshot: IndexSnapshot) -> tuple[str, Path]:
        """The step's file (from ``snapshot``, one look at the source for every step),
        fetched and verified, and where uv installs it from."""
        if step.key is not None:
            indexed = snapshot.by_key.get(step.key)
            if indexed is None:
                raise AirlockError(
                    "not-in-index", f"{step.key} is no longer a package file of the source.", 404
                )
            path, sha256 = await self._cache.fetch(snapshot.source, indexed.entry, indexed.expected)
        elif step.path is not None:
            path = Path(step.path)
            sha256, _ = await asyncio.to_thread(sha256_file, path)
        else:
            raise AirlockError("plan-source", f"The plan has no file for {step.name}.", 500)
        if step.sha256 and step.sha256 != sha256:
            raise AirlockError(
                "checksum-mismatch",
                f"{step.file} changed since the plan (sha256 {sha256}, planned "
                f"{step.sha256}); nothing was installed. Plan again.",
                409,
            )
        return sha256, await linked(path, sha256, step.file, self._cache.root / "links")

    async def _undo_partial(self, plan: Plan, before: dict[str, str], context: JobContext) -> None:
        """After a cancel: remove what the cut-short install added, so the environment
        holds what it held before (pip itself put back a package it was replacing)."""
        now = package_versions((await describe_environment(plan.python))["packages"])
        added = sorted(name for name in now if name not in before)
        if added:
            context.log(f"Cancelled: removing what was already installed: {', '.join(added)}")
            await uninstall(plan.python, added, log=lambda line: context.log(self._hide(line)))
        changed = [name for name in now if name in before and now[name] != before[name]]
        if changed:
            context.log(
                "Cancelled after these were replaced (use Roll back on an earlier install "
                f"to restore them): {', '.join(changed)}"
            )

    def kernels_of(self, prefix: str) -> list[str]:
        """The kernelspecs whose interpreter lives in ``prefix``: they need a restart.
        Each kernelspec is read once (a server of many users has as many kernels)."""
        names = []
        for name, found in self._specs.get_all_specs().items():
            spec = found.get("spec", {})
            shown = spec.get("display_name", name)
            with contextlib.suppress(AirlockError):
                python = spec_python(spec.get("language", ""), spec.get("argv", []), shown)
                python = os.path.abspath(python)
                if python.startswith(os.path.join(prefix, "")):
                    names.append(name)
        return sorted(names)


async def _together(
    first: Awaitable[dict[str, Any]], rest: list[Awaitable[tuple[str, Path]]]
) -> tuple[dict[str, Any], list[tuple[str, Path]]]:
    """``first`` and ``rest`` run at once; when one fails (or the job is cancelled) the
    others are cancelled before the error goes on."""
    head = asyncio.ensure_future(first)
    tail = [asyncio.ensure_future(awaitable) for awaitable in rest]
    try:
        await asyncio.gather(head, *tail)
    except BaseException:
        for task in [head, *tail]:
            task.cancel()
        await asyncio.gather(head, *tail, return_exceptions=True)
        raise
    return head.result(), [task.result() for task in tail]


def _conda_versions(prefix: Path) -> dict[str, str]:
    return {name: version for name, version, _ in installed_records(prefix)}
