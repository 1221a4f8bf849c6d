"""A conda plan: the packages asked for, solved with py-rattler against a local channel made
from the artifact source (``conda_channel``), as the steps of a :class:`Plan`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..cache import ContentCache
from ..conda.solve import solve
from ..environments.platforms import platform_subdir
from ..kinds import classify
from ..package_index.index import IndexSnapshot
from .conda_channel import build_channel
from .plan import Plan, PlanStep


async def solve_conda(
    plan: Plan,
    items: Sequence[str],
    snapshot: IndexSnapshot,
    cache: ContentCache,
    local: list[Path],
    tags: list[str],
) -> None:
    """Add to ``plan`` the steps that install the conda packages ``items`` (keys of the
    source, paths in the workspace, whose files are ``local``) for platform ``tags``, or
    what is missing; ``plan.conda`` and ``plan.channel`` are what the install carries out."""
    specs, requested = [], set()
    for item in items:
        info = classify(item)
        specs.append(f"{info['name']}={info['version']}={info['build']}")
        requested.add(str(info["name"]))
    channel = cache.root / "conda-plans" / plan.id
    sources = await build_channel(snapshot, cache, channel, local)
    platform = platform_subdir(tags) or "noarch"
    solution = await solve(channel, specs, Path(plan.environment["prefix"]), platform)
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
