"""The one trust gate: every door through which something comes in asks here.

A door (the listing, a plan, an install, the served index, the conda channel, a copy,
kernel creation, a request to the DMZ) says what it knows of the thing at hand: its project
and version, its file, who vouches for the file (a manifest's :class:`Trust`, or what the
door read itself), and the advisory data of the active profile. The gate weighs the admin's
policy on all of it, each rule once: the package rules, ``require_verified`` and
``require_signed``, ``deny_advisories`` (failing closed while the data cannot be read), and
answers with a :class:`Verdict` whose reason names the rule and what is wrong with the
file's trust. ``Policy.verdict`` is asked from here alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from ..errors import AirlockError
from .advisories import Advisory
from .manifests import Trust
from .policy import Policy

Door = Literal["listing", "plan", "install", "index", "channel", "copy", "kernel", "request"]
DOORS: tuple[Door, ...] = (
    "listing",
    "plan",
    "install",
    "index",
    "channel",
    "copy",
    "kernel",
    "request",
)


class AdvisoryView(Protocol):
    """The active profile's advisories as the gate reads them (``active_source``'s state)."""

    @property
    def problem(self) -> str | None: ...

    def affecting(self, name: str, version: str) -> list[Advisory]: ...


@dataclass(frozen=True)
class Verdict:
    door: Door
    reason: str | None

    @property
    def allowed(self) -> bool:
        return self.reason is None

    def to_json(self) -> dict[str, bool | str | None]:
        return {"allowed": self.allowed, "reason": self.reason}

    def enforce(self, what: str = "") -> None:
        """Refuse (403) when the verdict is no; ``what`` leads the message."""
        if self.reason is not None:
            raise AirlockError("policy-refused", f"{what}{self.reason}.", 403)


def judge(
    policy: Policy,
    door: Door,
    *,
    project: str | None = None,
    version: str | None = None,
    file: str | None = None,
    trust: Trust | None = None,
    verified: bool | None = None,
    signed: bool | None = None,
    known: Sequence[Advisory] | None = None,
    advisories: AdvisoryView | None = None,
) -> Verdict:
    """The policy's verdict at ``door`` on ``project`` ``version`` as ``file``.

    Who vouches for the file: ``verified`` (a sha256 is known) and ``signed``, by default
    what ``trust``, a manifest's word, says; a refusal names what is wrong with ``trust``.
    The advisories are ``known`` when the door looked them up, else those ``advisories``
    give for the version; data that cannot be read keeps everything out under
    ``deny_advisories``.
    """
    if verified is None:
        verified = trust is not None and trust.listed
    if signed is None:
        signed = trust is not None and trust.signed
    if known is None:
        known = (
            advisories.affecting(project, version)
            if advisories is not None and project is not None and version is not None
            else []
        )
    reason = policy.verdict(project, version, file, verified, signed, known)
    if reason is None and advisories is not None and project is not None:
        reason = unreadable_advisories(policy, advisories)
    if trust is not None:
        reason = trust.explain(reason)
    return Verdict(door, reason)


def unreadable_advisories(policy: Policy, advisories: AdvisoryView) -> str | None:
    """Why nothing may come in while the advisory data cannot be read and the policy denies
    advisories (fail closed), or None."""
    if advisories.problem is None or policy.deny_advisories is None:
        return None
    return (
        f"{advisories.problem} The policy denies known advisories (rule 'deny_advisories'): "
        "nothing comes in until they can be read."
    )
