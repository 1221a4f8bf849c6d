"""One trust gate: every door asks ``trust.gate.judge`` and nothing else asks the policy.

The doors' behaviour under each rule is tested where the doors are (test_policy_api,
test_trust_api, test_install_api, test_package_index, test_conda_install, test_kernels_api);
this walks the code so that a new door, or an old one going around the gate, fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from jupyterlab_airlock.trust.advisories import Advisory
from jupyterlab_airlock.trust.gate import DOORS, judge
from jupyterlab_airlock.trust.manifests import Trust
from jupyterlab_airlock.trust.policy import Policy, load_policy

PACKAGE = Path(__file__).resolve().parent.parent

# Where each door lets things in, and so where it must ask the gate.
DOOR_MODULES = {
    "listing": "catalog.py",
    "plan": "installer/planning.py",
    "install": "installer/planning.py",
    "index": "index_handlers.py",
    "channel": "installer/conda_channel.py",
    "copy": "copies.py",
    "kernel": "kernels/factory.py",
}


def _calls(path: Path) -> list[ast.Call]:
    return [node for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Call)]


def _modules() -> list[Path]:
    return [
        path
        for path in PACKAGE.rglob("*.py")
        if not {"tests", "labextension"} & set(path.relative_to(PACKAGE).parts)
    ]


def test_the_policy_is_asked_by_the_gate_alone() -> None:
    asking = sorted(
        str(path.relative_to(PACKAGE))
        for path in _modules()
        for call in _calls(path)
        if isinstance(call.func, ast.Attribute) and call.func.attr == "verdict"
    )
    assert asking == ["trust/gate.py"]


@pytest.mark.parametrize("door", DOORS)
def test_each_door_asks_the_gate_under_its_name(door: str) -> None:
    module = PACKAGE / DOOR_MODULES[door]
    named = [
        call
        for call in _calls(module)
        if any(isinstance(a, ast.Constant) and a.value == door for a in call.args)
        and (
            (isinstance(call.func, ast.Name) and call.func.id == "judge")
            or (isinstance(call.func, ast.Attribute) and call.func.attr in {"refusal", "_refusals"})
        )
    ]
    assert named, f"{DOOR_MODULES[door]} does not ask the gate as door {door!r}"


class _Advisories:
    def __init__(self, problem: str | None = None, known: list[Advisory] | None = None) -> None:
        self.problem = problem
        self._known = known or []

    def affecting(self, name: str, version: str) -> list[Advisory]:
        return self._known


def test_the_verdict_weighs_every_rule_once_and_names_what_is_wrong() -> None:
    policy = load_policy({"deny": ["evil"], "require_signed": True, "deny_advisories": "all"}, "")
    assert judge(policy, "plan", project="evil").reason == (
        "evil is denied by the policy rule 'evil'"
    )
    bad = Trust("bad-signature", "scanner", "wheels/manifest.json.sig: not trusted")
    refused = judge(policy, "index", project="ok", version="1.0", file="ok.whl", trust=bad)
    assert refused.reason is not None
    assert "require_signed" in refused.reason
    assert refused.reason.endswith("bad-signature: wheels/manifest.json.sig: not trusted")
    signed = Trust("signed", "scanner")
    assert judge(policy, "copy", file="a.csv", trust=signed).allowed
    unread = judge(
        policy,
        "listing",
        project="ok",
        version="1.0",
        trust=signed,
        advisories=_Advisories(problem="osv/PyPI.zip cannot be read."),
    )
    assert unread.reason is not None
    assert unread.reason.startswith("osv/PyPI.zip cannot be read. The policy denies")
    assert unread.to_json() == {"allowed": False, "reason": unread.reason}
    with pytest.raises(Exception, match="The bundle holds evil"):
        judge(policy, "kernel", project="evil", version="1.0").enforce("The bundle holds ")


def test_no_policy_lets_everything_in() -> None:
    assert judge(Policy(), "install", project="x", version="1", file="x.whl").allowed
