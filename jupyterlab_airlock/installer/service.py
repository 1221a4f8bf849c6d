"""Plans, installs and roll-backs for kernels' environments, as the routes call them.

A plan is kept on the server for an hour under its id; the install job carries out exactly
that plan: the planned files are fetched into the content-addressed cache and verified,
then ``pip install --no-index --require-hashes`` installs them from a folder holding only
those files, so pip cannot reach any index, nor install anything the plan did not name.
One job at a time per environment (the job queue is the environment's prefix).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..audit import AuditLog
from ..cache import ContentCache
from ..errors import AirlockError
from ..jobs import Job, JobContext, JobManager
from ..kernels.environment import describe_environment, describe_kernel
from ..kernels.resolve import kernel_python
from ..kinds import classify, fit
from ..manifests import ManifestEntry
from ..offline import sha256_file
from ..package_index import IndexSnapshot, PackageIndex
from ..pip import (
    ReportItem,
    explain_failure,
    parse_requirement,
    pins,
    pip_command,
    pip_environment,
    report_items,
)
from ..platforms import platform_subdir, supported_tags
from ..policy import Policy
from ..processes import last_line, run
from . import conda
from .conda_channel import build_channel
from .plan import Plan, PlanStep, action, changes, package_versions

_MIXED = (
    "Conda packages and pip packages are planned separately: install the conda packages "
    "first, then the wheels or requirements."
)
PLAN_LIFETIME = 3600
RESOLVE_TIMEOUT = 600
INSTALL_TIMEOUT = 3600
# pip gets this long after SIGINT to put back the package it was replacing.
INTERRUPT_GRACE = 30


class Installer:
    """Offline installs for the kernels of one Jupyter server."""

    def __init__(
        self,
        spec_manager: Any,
        index: PackageIndex,
        index_url: Callable[[], str],
        index_secret: str,
        cache: ContentCache,
        jobs: JobManager,
        audit: AuditLog,
        root_dir: Path,
        policy: Policy,
    ) -> None:
        self._policy = policy
        self._specs = spec_manager
        self._index = index
        self._index_url = index_url
        self._secret = index_secret
        self._cache = cache
        self._jobs = jobs
        self._audit = audit
        self._root = root_dir.resolve()
        self._plans: dict[str, Plan] = {}

    # -- planning --------------------------------------------------------------------

    async def plan(
        self,
        kernel: str,
        requirements: Sequence[str] = (),
        keys: Sequence[str] = (),
        paths: Sequence[str] = (),
        user: str | None = None,
    ) -> Plan:
        """Resolve the request for ``kernel`` offline; nothing in the environment changes."""
        self._policy.check_intact()
        parsed = [parse_requirement(text) for text in requirements if text.strip()]
        if not (parsed or keys or paths):
            raise AirlockError(
                "empty-request",
                "Nothing to install: select files in the Artifacts section or name "
                "requirements such as pandas>=2.",
            )
        described = await describe_kernel(self._specs, kernel)
        if "error" in described:
            raise AirlockError("kernel-python", described["error"]["message"], 409)
        python = described["python"]
        plan = Plan(
            kernel=kernel,
            display_name=described["display_name"],
            python=python,
            environment={
                "prefix": described["prefix"],
                "kind": described["kind"],
                "python_version": described["version"],
            },
            packages_before=package_versions(described["packages"]),
        )
        if not described["writable"]:
            plan.refused.append({"item": kernel, "message": described["why_not_writable"]})
            return self._keep(plan)
        reason = self._policy.environment(described["kind"], described["prefix"])
        if reason:
            plan.refused.append({"item": kernel, "message": reason})
            return await self._audited(plan, user, requirements, keys, paths)
        tags = await supported_tags(python)
        await self._index.snapshot(fresh=True)  # the bucket as it is now
        conda_items = [item for item in [*keys, *paths] if classify(item)["kind"] == "conda"]
        if conda_items and conda.is_conda_prefix(Path(described["prefix"])):
            if parsed or len(conda_items) != len(keys) + len(paths):
                plan.refused.append({"item": "request", "message": _MIXED})
            else:
                await self._plan_conda(plan, keys, paths, tags)
            return await self._audited(plan, user, requirements, keys, paths)
        wanted = [str(requirement) for requirement in parsed]
        for key in keys:
            wanted += await self._requirement_for_key(plan, key, tags)
        for path in paths:
            wanted += self._requirement_for_path(plan, path, tags)
        if wanted and not plan.refused:
            await self._resolve(plan, wanted)
        return await self._audited(plan, user, requirements, keys, paths)

    async def _audited(
        self,
        plan: Plan,
        user: str | None,
        requirements: Sequence[str],
        keys: Sequence[str],
        paths: Sequence[str],
    ) -> Plan:
        for item, reason in self._refusals(plan):
            plan.refused.append({"item": item, "message": reason})
        await self._audit.append(
            "plan",
            user,
            kernel=plan.kernel,
            prefix=plan.environment["prefix"],
            requirements=list(requirements),
            keys=list(keys),
            paths=list(paths),
            result="ok" if plan.ok else "refused",
            steps=[f"{step.name}=={step.version}" for step in plan.steps],
        )
        return self._keep(plan)

    async def _plan_conda(
        self, plan: Plan, keys: Sequence[str], paths: Sequence[str], tags: list[str]
    ) -> None:
        """Solve conda packages with py-rattler against a local channel of the source."""
        snapshot = await self._index.snapshot()
        unknown = [key for key in keys if key not in snapshot.by_key]
        if unknown:
            plan.refused += [
                {"item": key, "message": f"{key} is not in the read bucket."} for key in unknown
            ]
            return
        local = [self._workspace_file(path) for path in paths]
        specs, requested = [], set()
        for item in [*keys, *paths]:
            info = classify(item)
            specs.append(f"{info['name']}={info['version']}={info['build']}")
            requested.add(str(info["name"]))
        channel = self._cache.root / "conda-plans" / plan.id
        sources = await build_channel(snapshot, self._cache, channel, local)
        platform = platform_subdir(tags) or "noarch"
        solution = await conda.solve(channel, specs, Path(plan.environment["prefix"]), platform)
        plan.missing += [
            {"requirement": problem, "needed_by": None, "message": problem}
            for problem in solution.problems
        ]
        for step in solution.steps:
            record = step.record
            plan.steps.append(
                PlanStep(
                    name=step.name,
                    version=step.version,
                    action=step.action,
                    installed=step.installed,
                    kind="conda",
                    file=record.file_name,
                    size=record.size,
                    sha256=record.sha256,
                    verified=record.sha256 is not None,
                    requested=step.name in requested,
                    needed_by=[
                        f"{other.name} {other.version}"
                        for other in solution.steps
                        if any(dep.split()[0] == step.name for dep in other.record.depends)
                    ],
                    key=sources.get(record.file_name),
                )
            )
        plan.conda, plan.channel = solution, channel

    async def _requirement_for_key(self, plan: Plan, key: str, tags: list[str]) -> list[str]:
        snapshot = await self._index.snapshot()
        info = classify(key)
        indexed = snapshot.by_key.get(key)
        if info["kind"] == "conda":
            plan.refused.append({"item": key, "message": _conda_message(key, plan)})
            return []
        if indexed is None:
            plan.refused.append(
                {"item": key, "message": f"{key} is not a wheel or sdist in the read bucket."}
            )
            return []
        if not self._fits(plan, key, info, tags):
            return []
        return [f"{indexed.project} @ {self._index_url()}files/{key}"]

    def _requirement_for_path(self, plan: Plan, path: str, tags: list[str]) -> list[str]:
        local = self._workspace_file(path)
        info = classify(local.name)
        if info["kind"] == "conda":
            plan.refused.append({"item": path, "message": _conda_message(path, plan)})
            return []
        if info["kind"] not in ("wheel", "sdist"):
            plan.refused.append(
                {
                    "item": path,
                    "message": f"{path} is not a wheel or an sdist: pip cannot install it.",
                }
            )
            return []
        if not self._fits(plan, path, info, tags):
            return []
        return [f"{canonicalize_name(str(info['name']))} @ {local.as_uri()}"]

    def _fits(self, plan: Plan, item: str, info: dict[str, Any], tags: list[str]) -> bool:
        if info["kind"] != "wheel":
            return True
        verdict = fit(info, tags, platform_subdir(tags))
        if verdict.get("fits") is False:
            plan.refused.append(
                {"item": item, "message": f"{PurePosixPath(item).name}: {verdict['reason']}"}
            )
            return False
        return True

    def _workspace_file(self, path: str) -> Path:
        relative = PurePosixPath(path.strip())
        if not path.strip() or relative.is_absolute() or ".." in relative.parts or "\0" in path:
            raise AirlockError(
                "invalid-path", f"{path!r} is not a file path inside the workspace.", 400
            )
        local = (self._root / relative).resolve()
        if not local.is_relative_to(self._root) or not local.is_file():
            raise AirlockError(
                "invalid-path", f"{path} is not a file in the workspace (or leads outside it).", 400
            )
        return local

    async def _resolve(self, plan: Plan, wanted: list[str]) -> None:
        with tempfile.TemporaryDirectory(prefix="airlock-plan-") as scratch:
            report_path = Path(scratch) / "report.json"
            argv = pip_command(
                plan.python,
                "install",
                "--dry-run",
                "--quiet",
                "--no-cache-dir",
                "--progress-bar",
                "off",
                "--report",
                str(report_path),
                "--index-url",
                self._index_url() + "simple/",
                *wanted,
            )
            try:
                completed = await run(argv, timeout=RESOLVE_TIMEOUT, env=pip_environment())
            except asyncio.TimeoutError:
                raise AirlockError(
                    "plan-timeout", f"pip did not finish the plan in {RESOLVE_TIMEOUT} s.", 504
                ) from None
            if completed.returncode != 0:
                missing, problems = explain_failure(self._hide(completed.stderr + completed.stdout))
                snapshot = await self._index.snapshot()
                for lacking in missing:
                    # The index hides what the policy keeps out: say so, not "missing".
                    reason = self._hidden_by_policy(snapshot, lacking.requirement)
                    if reason:
                        plan.refused.append({"item": lacking.requirement, "message": reason})
                    else:
                        plan.missing.append(lacking.to_json())
                plan.problems += problems
                return
            report = json.loads(report_path.read_text("utf-8"))
        items = report_items(report)
        snapshot = await self._index.snapshot()
        files_url = self._index_url() + "files/"
        for item in items:
            installed = plan.packages_before.get(item.name)
            step = PlanStep(
                name=item.display_name,
                version=item.version,
                action=action(installed, item.version),
                installed=installed,
                kind="wheel",
                file=unquote(item.url.rpartition("/")[2]),
                size=None,
                sha256=item.sha256,
                verified=False,
                requested=item.requested,
                needed_by=_needed_by(item, items),
            )
            if item.url.startswith(files_url):
                step.key = unquote(item.url[len(files_url) :])
                indexed = snapshot.by_key.get(step.key)
                if indexed is not None:
                    step.size = indexed.entry.size
                    step.verified = indexed.verified
                    step.kind = indexed.kind
                    step.sha256 = step.sha256 or (
                        indexed.expected.sha256 if indexed.expected else None
                    )
            elif item.url.startswith("file://"):
                step.path = unquote(item.url[len("file://") :])
                step.size = os.stat(step.path).st_size
                step.kind = str(classify(step.file)["kind"])
            else:  # pip was given only our index: anything else is a bug worth stopping on
                raise AirlockError("plan-source", f"pip chose {step.file} from elsewhere.", 500)
            plan.steps.append(step)

    def _hidden_by_policy(self, snapshot: IndexSnapshot, text: str) -> str | None:
        """Why the policy hid every file that would satisfy requirement ``text``, or None."""
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            return None
        reason = self._policy.verdict(requirement.name)
        if reason:
            return reason
        matching = [
            indexed
            for indexed in snapshot.projects.get(canonicalize_name(requirement.name), [])
            if requirement.specifier.contains(indexed.version, prereleases=True)
        ]
        reasons = [
            self._policy.verdict(f.project, f.version, f.entry.name, f.verified) for f in matching
        ]
        return reasons[0] if reasons and all(reasons) else None

    def _refusals(self, plan: Plan) -> list[tuple[str, str]]:
        """Each step the policy keeps out, with the rule in words."""
        refusals = []
        for step in plan.steps:
            reason = self._policy.verdict(step.name, step.version, step.file, step.verified)
            if reason:
                refusals.append((f"{step.name} {step.version}", reason))
        return refusals

    def _keep(self, plan: Plan) -> Plan:
        now = time.monotonic()
        for stale in [k for k, p in self._plans.items() if now - p.created > PLAN_LIFETIME]:
            del self._plans[stale]
        self._plans[plan.id] = plan
        return plan

    def _hide(self, text: str) -> str:
        """Output with the index's secret blanked: it goes to the browser and the logs."""
        return text.replace(self._secret, "***")

    # -- installing ------------------------------------------------------------------

    def install(self, plan_id: str, user: str | None = None) -> Job:
        """Start carrying out plan ``plan_id`` as a job in its environment's queue."""
        plan = self._plans.get(plan_id)
        if plan is None:
            raise AirlockError(
                "unknown-plan", "This plan has expired or the server restarted: plan again.", 404
            )
        if not plan.ok:
            raise AirlockError("plan-not-ok", plan.summary(), 409)
        # Checked again here: the policy is the server's word at the moment of install.
        self._policy.check_intact()
        refusals = self._refusals(plan)
        if refusals:
            item, reason = refusals[0]
            raise AirlockError("policy-refused", f"{item}: {reason}.", 403)
        del self._plans[plan_id]  # a plan is carried out once

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
            audit={"kernel": plan.kernel, "prefix": prefix},
        )

    async def _install(self, plan: Plan, context: JobContext) -> dict[str, Any]:
        if plan.conda is not None:
            return await self._install_conda(plan, context)
        before = package_versions((await describe_environment(plan.python))["packages"])
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
        files: list[dict[str, Any]] = []
        context.audit(files=files)  # what was staged so far, whatever the outcome
        await asyncio.to_thread(self._cache.root.mkdir, parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".install-", dir=self._cache.root) as scratch:
            folder = Path(scratch)
            for number, step in enumerate(plan.steps):
                sha256 = await self._stage(step, folder)
                files.append(
                    {
                        "name": step.name,
                        "version": step.version,
                        "file": step.file,
                        "sha256": sha256,
                    }
                )
                context.log(f"{step.file}: sha256 {sha256}{' (verified)' if step.verified else ''}")
                context.progress(0.3 * (number + 1) / len(plan.steps))
            requirements = folder / "plan.txt"
            requirements.write_text(pins([(f["name"], f["version"], f["sha256"]) for f in files]))
            argv = pip_command(
                plan.python,
                "install",
                "--no-index",
                "--no-cache-dir",
                "--progress-bar",
                "off",
                "--find-links",
                str(folder),
                "--require-hashes",
                "--requirement",
                str(requirements),
            )
            seen = 0

            def on_line(line: str) -> None:
                nonlocal seen
                context.log(self._hide(line))
                if line.startswith("Processing "):
                    seen += 1
                    context.progress(0.3 + 0.6 * min(seen, len(plan.steps)) / len(plan.steps))

            prefix = plan.environment["prefix"]
            context.log(f"Installing {len(files)} file(s) into {prefix} with pip, offline")
            try:
                completed = await run(
                    argv,
                    timeout=INSTALL_TIMEOUT,
                    env=pip_environment(),
                    on_line=on_line,
                    interrupt_grace=INTERRUPT_GRACE,
                )
            except asyncio.CancelledError:
                await asyncio.shield(self._undo_partial(plan, before, context))
                raise
        if completed.returncode != 0:
            raise AirlockError(
                "install-failed",
                f"pip could not install into {plan.display_name}: "
                f"{self._hide(last_line(completed.stderr))}",
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
            "kernels": self._kernels_of(plan.environment["prefix"]),
            "can_roll_back": bool(changed),
        }

    async def _install_conda(self, plan: Plan, context: JobContext) -> dict[str, Any]:
        assert plan.channel is not None
        prefix = Path(plan.environment["prefix"])
        snapshot = await self._index.snapshot()
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
            await conda.install(
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
            "kernels": self._kernels_of(str(prefix)),
            # Roll back is pip's for now: conda environments keep their own revisions.
            "can_roll_back": False,
        }

    async def _stage(self, step: PlanStep, folder: Path) -> str:
        """Put the step's file, fetched and verified, in the folder pip installs from."""
        if step.key is not None:
            _, path, sha256 = await self._index.file(step.key)
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
        target = folder / step.file
        try:
            os.link(path, target)
        except OSError:  # another file system: a copy will do
            await asyncio.to_thread(shutil.copyfile, path, target)
        return sha256

    async def _undo_partial(self, plan: Plan, before: dict[str, str], context: JobContext) -> None:
        """After a cancel: remove what the cut-short install added, so the environment
        holds what it held before (pip itself put back a package it was replacing)."""
        now = package_versions((await describe_environment(plan.python))["packages"])
        added = sorted(name for name in now if name not in before)
        if added:
            context.log(f"Cancelled: removing what was already installed: {', '.join(added)}")
            await run(
                pip_command(plan.python, "uninstall", "--yes", *added),
                timeout=INSTALL_TIMEOUT,
                env=pip_environment(),
                on_line=lambda line: context.log(self._hide(line)),
            )
        changed = [name for name in now if name in before and now[name] != before[name]]
        if changed:
            context.log(
                "Cancelled after these were replaced (use Roll back on an earlier install "
                f"to restore them): {', '.join(changed)}"
            )

    def _kernels_of(self, prefix: str) -> list[str]:
        """The kernelspecs whose interpreter lives in ``prefix``: they need a restart."""
        names = []
        for name in self._specs.get_all_specs():
            with contextlib.suppress(AirlockError):
                python = os.path.abspath(kernel_python(self._specs, name))
                if python.startswith(os.path.join(prefix, "")):
                    names.append(name)
        return sorted(names)

    # -- rolling back ----------------------------------------------------------------

    async def rollback(self, job_id: str, user: str | None = None) -> Job:
        """Undo succeeded install ``job_id``: remove what it added, put back what it
        replaced, offline. Refused (409) up front, naming the files, if any is missing."""
        job = self._jobs.get(job_id)
        if job.kind != "install" or job.state != "succeeded" or not job.result:
            raise AirlockError(
                "cannot-roll-back",
                f"'{job.title}' is not a finished install; nothing to undo.",
                409,
            )
        result = job.result
        if not result.get("can_roll_back"):
            raise AirlockError(
                "cannot-roll-back", f"'{job.title}' has been rolled back already.", 409
            )
        python, prefix = str(result["python"]), str(result["prefix"])
        remove = [c["name"] for c in result["changes"] if c["previous"] is None]
        restore = [c for c in result["changes"] if c["previous"] is not None]
        staged: list[tuple[str, str, str, str]] = []  # name, version, sha256, file name
        lacking = []
        for change in restore:
            found = self._earlier_file(change["name"], change["previous"])
            if found is None:
                lacking.append(f"{change['name']} {change['previous']}")
            else:
                staged.append((change["name"], change["previous"], *found))
        if lacking:
            raise AirlockError(
                "rollback-needs-files",
                "Roll back needs the files of "
                + ", ".join(lacking)
                + ", which no earlier install brought into the cache. Put them in the read "
                "bucket and install those versions instead.",
                409,
            )

        async def work(context: JobContext) -> dict[str, Any]:
            if remove:
                context.log(f"Removing {', '.join(remove)}")
                await self._pip(python, context, "uninstall", "--yes", *remove)
            if staged:
                with tempfile.TemporaryDirectory(
                    prefix=".rollback-", dir=self._cache.root
                ) as scratch:
                    folder = Path(scratch)
                    for _, _, sha256, file_name in staged:
                        os.link(self._cache.path(sha256), folder / file_name)
                    requirements = folder / "restore.txt"
                    requirements.write_text(pins([(n, v, sha) for n, v, sha, _ in staged]))
                    context.log("Restoring " + ", ".join(f"{n} {v}" for n, v, _, _ in staged))
                    await self._pip(
                        python, context, "install", "--no-index", "--no-deps", "--no-cache-dir",
                        "--require-hashes", "--find-links", str(folder), "-r", str(requirements),
                    )  # fmt: skip
            self._jobs.annotate(job_id, can_roll_back=False)
            return {"kernel": result["kernel"], "prefix": prefix, "kernels": result["kernels"]}

        return self._jobs.submit(
            "rollback",
            f"Roll back: {job.title}",
            f"env:{prefix}",
            work,
            user=user,
            audit={"job": job_id, "prefix": prefix},
        )

    def _earlier_file(self, name: str, version: str) -> tuple[str, str] | None:
        """The sha256 and file name of ``name`` ``version`` cached by an earlier install."""
        for earlier in self._jobs.list():
            for file in (earlier.result or {}).get("files", []):
                same = canonicalize_name(file["name"]) == canonicalize_name(name)
                if same and file["version"] == version and self._cache.has(file["sha256"]):
                    return file["sha256"], file["file"]
        return None

    async def _pip(self, python: str, context: JobContext, *arguments: str) -> None:
        completed = await run(
            pip_command(python, *arguments),
            timeout=INSTALL_TIMEOUT,
            env=pip_environment(),
            on_line=lambda line: context.log(self._hide(line)),
            interrupt_grace=INTERRUPT_GRACE,
        )
        if completed.returncode != 0:
            raise AirlockError(
                "rollback-failed", f"pip failed: {self._hide(last_line(completed.stderr))}", 500
            )


def _needed_by(item: ReportItem, items: list[ReportItem]) -> list[str]:
    return [
        f"{other.display_name} {other.version}" for other in items if item.name in other.requires
    ]


def _conda_message(item: str, plan: Plan) -> str:
    return (
        f"{PurePosixPath(item).name} is a conda package; {plan.display_name} runs in a "
        f"{plan.environment['kind']} environment, which conda packages cannot go into."
    )


def _conda_versions(prefix: Path) -> dict[str, str]:
    return {name: version for name, version, _ in conda.installed_records(prefix)}
