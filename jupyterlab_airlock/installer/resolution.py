"""Resolving wheels and sdists for a plan: uv's dry run against the artifact source served
as an index (PEP 691 pages, PEP 658 metadata: no wheel is fetched whole), each package it
would install as a step with the source's file it stands for, or what is missing and why.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..environments.platforms import interpreter_identity
from ..errors import AirlockError
from ..kinds import classify
from ..package_index.index import IndexSnapshot, PackageIndex
from ..pip import Missing
from ..processes import run, timeout_raises
from ..trust.gate import judge
from ..trust.policy import Policy
from ..uv import (
    Change,
    changes_printed,
    dependents,
    unresolved,
    uv_command,
    uv_environment,
    uv_errors,
)
from .files import best_file, described, unusable
from .plan import Plan, PlanStep, action
from .remembered import Resolutions

RESOLVE_TIMEOUT = 600


class UvResolver:
    """uv's resolutions for the plans of one server, with its own uv cache."""

    def __init__(
        self,
        index: PackageIndex,
        index_url: Callable[[], str],
        policy: Policy,
        hide: Callable[[str], str],
        uv_cache: Path,
    ) -> None:
        self._index = index
        self._index_url = index_url
        self._policy = policy
        self._hide = hide
        self._uv_cache = uv_cache
        self._resolutions = Resolutions()

    async def resolve(
        self, plan: Plan, wanted: list[str], tags: list[str], reused_walk: bool
    ) -> None:
        """uv resolves ``wanted`` against the source served as an index, reading wheels'
        metadata only (PEP 658); its dry run says what it would install, its debug log
        who needs what. Each package becomes a step with the file of the source it
        stands for: the one named in the request, or the best fit for the kernel. uv is
        asked once for the same inputs (``remembered``)."""
        interpreter = await interpreter_identity(plan.python)
        looked = await self._index.snapshot()
        key = self._resolutions.key(
            plan, wanted, tags, interpreter, self._policy, looked, self._index_url()
        )
        remembered = self._resolutions.get(key)
        if remembered is not None:
            returncode, output = 0, remembered
        else:
            returncode, output = await self._dry_run(plan, wanted)
            if returncode == 0:
                self._resolutions.keep(key, looked, output)
        if returncode != 0 and reused_walk:
            # Files may have arrived since the walk that was reused: look again, then retry.
            await self._index.snapshot(fresh=True)
            returncode, output = await self._dry_run(plan, wanted)
        # The projects uv read (from the index, or by reading pages through our routes),
        # the ones it lacks and the files named by key: what the steps are made of.
        named = [Requirement(text).name for text in wanted]
        named += [change.name for change in changes_printed(output)]
        if returncode != 0:  # reading uv's explanation costs more than the rest of a plan
            named += [Requirement(lacking.requirement).name for lacking in _parsed(output)]
        keys = [
            unquote(text.partition(" @ ")[2].removeprefix(self._index_url() + "files/"))
            for text in wanted
            if " @ " + self._index_url() in text
        ]
        snapshot = await self._index.snapshot(projects=named, keys=keys)
        if returncode != 0:
            self._explain(plan, output, snapshot, tags)
            return
        direct = {
            canonicalize_name(text.partition(" @ ")[0]): text.partition(" @ ")[2]
            for text in wanted
            if " @ " in text
        }
        asked = {canonicalize_name(Requirement(text).name) for text in wanted}
        chosen = [
            self._chosen(change, direct.get(canonicalize_name(change.name)), snapshot, tags)
            for change in changes_printed(output)
            if change.sign == "+"
        ]
        needs = dependents(output)
        planned = {(canonicalize_name(step.name), step.version) for step in chosen}
        for step in chosen:
            name = canonicalize_name(step.name)
            step.installed = plan.packages_before.get(name)
            step.action = action(step.installed, step.version)
            step.requested = name in asked
            step.needed_by = [f"{by} {v}" for by, v in needs.get(name, []) if (by, v) in planned]
            plan.steps.append(step)

    async def _dry_run(self, plan: Plan, wanted: list[str]) -> tuple[int, str]:
        """uv's dry run of ``wanted`` against the source served as an index: its exit
        status and its output, secrets hidden."""
        argv = uv_command(
            "install",
            plan.python,
            "--dry-run",
            "-v",
            "--index-url",
            self._index_url() + "simple/",
            *wanted,
        )
        planning = f"uv did not finish the plan in {RESOLVE_TIMEOUT} s."
        with timeout_raises(AirlockError("plan-timeout", planning, 504)):
            completed = await run(argv, timeout=RESOLVE_TIMEOUT, env=uv_environment(self._uv_cache))
        return completed.returncode, self._hide(completed.stdout + completed.stderr)

    def _chosen(
        self, change: Change, url: str | None, snapshot: IndexSnapshot, tags: list[str]
    ) -> PlanStep:
        """The step for a package uv would install: the workspace file or source key the
        request named (``url``), else the source's file of that version the kernel
        prefers (as uv does: the best-ranked wheel tag, else the sdist)."""
        step = PlanStep(
            name=change.name,
            version=change.version or "",
            action="install",
            installed=None,
            kind="wheel",
            file="",
            size=None,
            sha256=None,
            verified=False,
            requested=False,
        )
        if url is not None and url.startswith("file://"):
            step.path = unquote(url[len("file://") :])
            step.file = Path(step.path).name
            step.size = os.stat(step.path).st_size
            info = classify(step.file)
            step.kind, step.version = str(info["kind"]), str(info["version"])
            return step
        if url is not None:
            indexed = snapshot.by_key.get(unquote(url.removeprefix(self._index_url() + "files/")))
        else:
            indexed = best_file(snapshot.projects.get(canonicalize_name(change.name), []),
                                 step.version, tags)  # fmt: skip
        if indexed is None:  # uv was given only our index: a bug worth stopping on
            raise AirlockError("plan-source", f"uv chose {change.name} from elsewhere.", 500)
        step.key = indexed.entry.key
        step.file = PurePosixPath(indexed.entry.key).name
        step.version = indexed.version
        step.size = indexed.entry.size
        step.verified = indexed.verified
        step.kind = indexed.kind
        step.sha256 = indexed.expected.sha256 if indexed.expected else None
        return step

    def _explain(self, plan: Plan, output: str, snapshot: IndexSnapshot, tags: list[str]) -> None:
        """What a failed resolution means: each requirement with no usable file, with the
        files of the source that could not be used and why, or uv's own words."""
        missing = unresolved(output)
        for lacking in missing:
            # The index hides what the policy keeps out: say so, not "missing".
            reason = self._hidden_by_policy(snapshot, lacking.requirement)
            if reason:
                plan.refused.append({"item": lacking.requirement, "message": reason})
            else:
                plan.missing.append(self._unusable(lacking, snapshot, tags))
        if not missing:
            plan.problems.append(uv_errors(output))

    def _unusable(
        self, lacking: Missing, snapshot: IndexSnapshot, tags: list[str]
    ) -> dict[str, Any]:
        """``lacking`` as the plan shows it, with the files of its project in the source
        that could not serve and why."""
        requirement = Requirement(lacking.requirement)
        files = snapshot.projects.get(canonicalize_name(requirement.name), [])
        found: dict[str, Any] = lacking.to_json()
        found["unusable"] = unusable(requirement, files, tags, self._policy)
        if found["unusable"]:
            head = lacking.message.removesuffix(" is not in the artifact source.")
            found["message"] = described(head, found["unusable"])
        return found

    def _hidden_by_policy(self, snapshot: IndexSnapshot, text: str) -> str | None:
        """Why the policy hid every file that would satisfy requirement ``text``, or None."""
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            return None
        reason = judge(self._policy, "plan", project=requirement.name).reason
        if reason:
            return reason
        matching = [
            indexed
            for indexed in snapshot.projects.get(canonicalize_name(requirement.name), [])
            if requirement.specifier.contains(indexed.version, prereleases=True)
        ]
        reasons = [snapshot.refusal(self._policy, f, "plan") for f in matching]
        return reasons[0] if reasons and all(reasons) else None


def _parsed(output: str) -> list[Missing]:
    """What uv lacks, each requirement one ``packaging`` reads."""
    found = []
    for lacking in unresolved(output):
        try:
            Requirement(lacking.requirement)
        except InvalidRequirement:
            continue
        found.append(lacking)
    return found
