"""Who vouches for each step of a plan, and what is known against it.

The plan's last stage asks here, once the steps are known: each step gets its file's trust
(signed by whom, checksum only, mismatch, bad signature, unverified) and the offline
advisories that affect its version, so that the gate's verdict (``Planner._refusals``, at
the plan and again at the install) weighs ``require_signed`` and ``deny_advisories``. The
advisory data's date and sha256 go with the plan into the audit trail.
"""

from __future__ import annotations

from ..package_index.index import PackageIndex
from ..trust.gate import unreadable_advisories
from ..trust.manifests import Trust
from ..trust.policy import Policy
from .plan import Plan


async def vet(plan: Plan, index: PackageIndex, policy: Policy) -> None:
    """Set each step's ``trust`` and ``advisories`` and the plan's ``advisory_data``; advisory
    data that cannot be read refuses the plan when the policy denies advisories."""
    snapshot = await index.snapshot(keys=[step.key for step in plan.steps if step.key])
    state = snapshot.advisories
    plan.advisory_data = state.describe() if state else None
    for step in plan.steps:
        indexed = snapshot.by_key.get(step.key) if step.key else None
        # A workspace file has no manifest: nothing vouches for it.
        step.trust = indexed.trust if indexed else Trust("unverified")
        step.advisories = state.affecting(step.name, step.version) if state else []
    refusal = unreadable_advisories(policy, state) if state and plan.steps else None
    if state and refusal:
        plan.refused.append({"item": state.source, "message": refusal})
