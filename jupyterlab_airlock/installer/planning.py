"""Planning an install: what it would change in a kernel's environment, before anything
changes.

uv resolves wheels and sdists (``resolution.py``) with ``--dry-run`` against the artifact
source served as an index; conda packages are solved with py-rattler against a local
channel of the source. Either way the policy judges every step, the plan is written to
the audit log, and it is kept on the server for an hour under its id, to be carried out
once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from packaging.utils import canonicalize_name

from ..audit import AuditLog
from ..cache import ContentCache
from ..conda.records import is_conda_prefix
from ..dmz.delivery import deliveries
from ..environments.facts import describe_kernel
from ..environments.platforms import platform_subdir, supported_tags
from ..errors import AirlockError
from ..kinds import classify, fit
from ..package_index.index import PackageIndex
from ..pip import parse_requirement
from ..trust.gate import Door
from ..trust.policy import Policy
from .conda_plan import solve_conda
from .plan import Plan, package_versions
from .resolution import UvResolver
from .vetting import vet

_MIXED = (
    "Conda packages and pip packages are planned separately: install the conda packages "
    "first, then the wheels or requirements."
)
PLAN_LIFETIME = 3600


class Planner:
    """The plans for the kernels of one Jupyter server, made offline and kept an hour."""

    def __init__(
        self,
        spec_manager: Any,
        index: PackageIndex,
        index_url: Callable[[], str],
        cache: ContentCache,
        audit: AuditLog,
        root_dir: Path,
        policy: Policy,
        hide: Callable[[str], str],
    ) -> None:
        self._specs = spec_manager
        self._index = index
        self._index_url = index_url
        self._cache = cache
        self._audit = audit
        self._root = root_dir.resolve()
        self._policy = policy
        self._resolver = UvResolver(index, index_url, policy, hide, cache.root / "uv")
        self._plans: dict[str, Plan] = {}

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
            requested=[str(requirement) for requirement in parsed],
        )
        if not described["writable"]:
            plan.refused.append({"item": kernel, "message": described["why_not_writable"]})
            return self._keep(plan)
        reason = self._policy.environment(described["kind"], described["prefix"])
        if reason:
            plan.refused.append({"item": kernel, "message": reason})
            return await self._audited(plan, user, requirements, keys, paths)
        # The interpreter's tags and the source's files, asked at once. A walk younger than
        # the index's TTL is reused (walking a bucket costs more than the resolution);
        # a plan that misses something walks again before it says so (``_resolve``).
        started = time.monotonic()
        conda_items = [item for item in [*keys, *paths] if classify(item)["kind"] == "conda"]
        tags, walk = await asyncio.gather(
            supported_tags(python), self._index.snapshot(keys=keys, conda=bool(conda_items))
        )
        # py-rattler's solve is not retried: a conda plan always walks afresh.
        reused = walk.taken < started
        if reused and (conda_items or any(key not in walk.by_key for key in keys)):
            await self._index.snapshot(fresh=True, keys=keys, conda=bool(conda_items))
            reused = False
        if conda_items and is_conda_prefix(Path(described["prefix"])):
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
            await self._resolver.resolve(plan, wanted, tags, reused)
        return await self._audited(plan, user, requirements, keys, paths)

    async def _audited(
        self,
        plan: Plan,
        user: str | None,
        requirements: Sequence[str],
        keys: Sequence[str],
        paths: Sequence[str],
    ) -> Plan:
        await vet(plan, self._index, self._policy)
        note = (await self._index.snapshot()).note
        if note:
            plan.notes.append(note)  # the plan read the whole source, and says why
        for item, reason in self._refusals(plan, "plan"):
            plan.refused.append({"item": item, "message": reason})
        plan.delivered = await deliveries(plan.steps, (await self._index.snapshot()).source)
        await self._audit.append(
            "plan",
            user,
            kernel=plan.kernel,
            prefix=plan.environment["prefix"],
            requirements=list(requirements),
            keys=list(keys),
            paths=list(paths),
            result="ok" if plan.ok else "refused",
            # Why not, in the words the plan showed (Activity says it beside the refusal).
            reasons=[refused["message"] for refused in plan.refused]
            + [str(missing.get("message", "")) for missing in plan.missing]
            + plan.problems,
            steps=[f"{step.name}=={step.version}" for step in plan.steps],
            advisory_data=plan.advisory_data,
            **plan.answered(),
        )
        return self._keep(plan)

    async def _plan_conda(
        self, plan: Plan, keys: Sequence[str], paths: Sequence[str], tags: list[str]
    ) -> None:
        """Solve conda packages with py-rattler against a local channel of the source."""
        snapshot = await self._index.snapshot(keys=keys, conda=True)
        unknown = [key for key in keys if key not in snapshot.by_key]
        if unknown:
            plan.refused += [
                {"item": key, "message": f"{key} is not in the artifact source."} for key in unknown
            ]
            return
        local = [self._workspace_file(path) for path in paths]
        await solve_conda(plan, [*keys, *paths], snapshot, self._cache, local, tags)

    async def _requirement_for_key(self, plan: Plan, key: str, tags: list[str]) -> list[str]:
        snapshot = await self._index.snapshot(keys=[key])
        info = classify(key)
        indexed = snapshot.by_key.get(key)
        if info["kind"] == "conda":
            plan.refused.append({"item": key, "message": _conda_message(key, plan)})
            return []
        if indexed is None:
            plan.refused.append(
                {"item": key, "message": f"{key} is not a wheel or sdist in the artifact source."}
            )
            return []
        if not self._fits(plan, key, info, tags):
            return []
        reason = snapshot.refusal(self._policy, indexed, "plan")  # the index would not serve it
        if reason:
            plan.refused.append({"item": key, "message": reason})
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

    def _refusals(self, plan: Plan, door: Door) -> list[tuple[str, str]]:
        """Each step the gate keeps out at ``door``, with the rule in words."""
        refusals = []
        for step in plan.steps:
            reason = step.refusal(self._policy, door)
            if reason:
                refusals.append((f"{step.name} {step.version}", reason))
        return refusals

    def _keep(self, plan: Plan) -> Plan:
        now = time.monotonic()
        for stale in [k for k, p in self._plans.items() if now - p.created > PLAN_LIFETIME]:
            del self._plans[stale]
        self._plans[plan.id] = plan
        return plan

    def kept(self, plan_id: str) -> Plan:
        """Plan ``plan_id`` as it was made, whatever its problems; it stays kept."""
        plan = self._plans.get(plan_id)
        if plan is None:
            raise AirlockError(
                "unknown-plan", "This plan has expired or the server restarted: plan again.", 404
            )
        return plan

    def take(self, plan_id: str) -> Plan:
        """Plan ``plan_id``, to be carried out now: handed out once, and only if it has no
        problems and the policy, asked again, still lets every step in."""
        plan = self.kept(plan_id)
        if not plan.ok:
            raise AirlockError("plan-not-ok", plan.summary(), 409)
        # Checked again here: the policy is the server's word at the moment of install.
        self._policy.check_intact()
        refusals = self._refusals(plan, "install")
        if refusals:
            item, reason = refusals[0]
            raise AirlockError("policy-refused", f"{item}: {reason}.", 403)
        del self._plans[plan_id]  # a plan is carried out once
        return plan


def _conda_message(item: str, plan: Plan) -> str:
    return (
        f"{PurePosixPath(item).name} is a conda package; {plan.display_name} runs in a "
        f"{plan.environment['kind']} environment, which conda packages cannot go into."
    )
