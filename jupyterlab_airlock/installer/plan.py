"""What an install will do, worked out before anything changes: the plan the user reads.

pip resolves the request with ``--dry-run --report`` against the artifact source served as
an index (``index_handlers``), so only metadata crosses the network; the report becomes
steps in plain words (install, upgrade 1.0 → 2.0, downgrade, dependency of what), and a
failed resolution becomes the requirement that is missing and who needs it.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..sizes import size_text
from ..trust.advisories import Advisory
from ..trust.gate import Door, judge
from ..trust.manifests import Trust
from ..trust.policy import Policy


@dataclass
class PlanStep:
    name: str
    version: str
    action: str  # install, upgrade, downgrade, reinstall
    installed: str | None
    kind: str  # wheel, sdist, conda
    file: str
    size: int | None
    sha256: str | None
    verified: bool
    requested: bool
    needed_by: list[str] = field(default_factory=list)
    # Where the file comes from: a key of the source or a path in the workspace. Kept on
    # the server (the index URL holds its secret).
    key: str | None = None
    path: str | None = None
    # Set by ``vetting``: who vouches for the file, and the advisories of its version.
    trust: Trust | None = None
    advisories: list[Advisory] = field(default_factory=list)

    def refusal(self, policy: Policy, door: Door) -> str | None:
        """Why the gate keeps this step out at ``door``, its trust and advisories weighed."""
        return judge(
            policy,
            door,
            project=self.name,
            version=self.version,
            file=self.file,
            trust=self.trust,
            verified=self.verified,
            known=self.advisories,
        ).reason

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["key"], data["path"]
        return data


@dataclass
class Plan:
    kernel: str
    display_name: str
    python: str
    environment: dict[str, Any]
    packages_before: dict[str, str]  # normalized name -> version, when planned
    steps: list[PlanStep] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # The advisory data the plan was checked against (AdvisoryState.describe()), or None.
    advisory_data: dict[str, Any] | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    created: float = field(default_factory=time.monotonic)
    # A conda plan: py-rattler's solution and the local channel it was solved against.
    conda: Any = None
    channel: Path | None = None
    # How the plan was made, when the user should know (the source's index was not used).
    notes: list[str] = field(default_factory=list)
    # The requirements the user named, and the DMZ requests whose bundles the steps come
    # from: {"request", "bundle", "packages"} (``dmz.delivery``).
    requested: list[str] = field(default_factory=list)
    delivered: list[dict[str, Any]] = field(default_factory=list)

    def answered(self) -> dict[str, Any]:
        """The audit fields naming the DMZ requests this plan's files answer, if any."""
        return {"dmz_requests": [d["request"] for d in self.delivered]} if self.delivered else {}

    @property
    def ok(self) -> bool:
        return bool(self.steps) and not (self.missing or self.refused or self.problems)

    def summary(self) -> str:
        return " ".join([self._outcome(), *self.notes])

    def _outcome(self) -> str:
        if self.refused or self.missing or self.problems:
            count = len(self.refused) + len(self.missing) + len(self.problems)
            return (
                f"Nothing can be installed into {self.display_name} yet: {count} "
                f"problem{'s' if count != 1 else ''} below. The environment was not touched."
            )
        if not self.steps:
            return f"Everything asked for is already installed in {self.display_name}."
        counts: dict[str, int] = {}
        for step in self.steps:
            counts[step.action] = counts.get(step.action, 0) + 1
        words = ", ".join(f"{number} to {action}" for action, number in counts.items())
        size = sum(step.size or 0 for step in self.steps)
        return f"{len(self.steps)} packages for {self.display_name}: {words} ({size_text(size)})."

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kernel": self.kernel,
            "display_name": self.display_name,
            "environment": self.environment,
            "steps": [step.to_json() for step in self.steps],
            "missing": self.missing,
            "refused": self.refused + [{"item": "uv", "message": p} for p in self.problems],
            "ok": self.ok,
            "summary": self.summary(),
            "advisory_data": self.advisory_data,
            "delivered": self.delivered,
        }


def action(installed: str | None, version: str) -> str:
    """install, upgrade, downgrade or reinstall, from the installed and planned versions."""
    if installed is None:
        return "install"
    try:
        old, new = Version(installed), Version(version)
    except InvalidVersion:
        return "reinstall" if installed == version else "upgrade"
    if new > old:
        return "upgrade"
    return "downgrade" if new < old else "reinstall"


def package_versions(packages: list[dict[str, Any]]) -> dict[str, str]:
    return {canonicalize_name(package["name"]): package["version"] for package in packages}


def changes(before: dict[str, str], after: dict[str, str]) -> list[dict[str, Any]]:
    """What an install changed: each package added, removed or given another version."""
    changed = []
    for name in sorted(before.keys() | after.keys()):
        previous, version = before.get(name), after.get(name)
        if previous == version:
            continue
        kind = "remove" if version is None else action(previous, version)
        changed.append({"name": name, "version": version, "previous": previous, "action": kind})
    return changed
