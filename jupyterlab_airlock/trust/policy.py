"""The admin's policy: which packages may come in, from where, verified how, and how much.

Set in the server's config (``c.Airlock.policy`` inline and/or ``c.Airlock.policy_file``,
YAML or JSON, the same keys), never from the browser::

    allow: ["numpy>=1.26", "pandas"]   # when given, only these packages (PEP 440 ranges)
    deny: ["requests<2.31"]            # never these
    require_verified: true             # every installed file has a manifest sha256
    require_signed: true               # ... in a manifest signed by a trusted signer
    deny_advisories: 7.0               # refuse known advisories: "all", or a CVSS minimum
    allowed_sources:                   # the artifact sources profiles may use
      - {kind: s3, endpoint_url: "https://minio.corp", bucket: read-bucket}
      - {kind: folder, path: /mnt/exchange}
    max_copy_bytes: 10737418240        # the largest copy out of the source
    allow_system_installs: false       # installs into a system (non-virtual) Python

A policy that does not parse fails closed: every install and copy is refused, naming the
file and what is wrong; it never falls back to "allow all".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..errors import AirlockError
from .advisories import Advisory

_KEYS = {
    "allow",
    "deny",
    "require_verified",
    "require_signed",
    "deny_advisories",
    "allowed_sources",
    "max_copy_bytes",
    "allow_system_installs",
}
_SOURCE_KEYS = ("kind", "endpoint_url", "bucket", "prefix", "path")


@dataclass
class Policy:
    allow: list[Requirement] | None = None
    deny: list[Requirement] = field(default_factory=list)
    require_verified: bool = False
    require_signed: bool = False
    # None: advisories are shown, not enforced; 0.0 ("all"): any advisory refuses.
    deny_advisories: float | None = None
    allowed_sources: list[dict[str, str]] | None = None
    max_copy_bytes: int | None = None
    allow_system_installs: bool = True
    # Why the policy could not be read; while set, everything it guards is refused.
    broken: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "allow": [str(r) for r in self.allow] if self.allow is not None else None,
            "deny": [str(r) for r in self.deny],
            "require_verified": self.require_verified,
            "require_signed": self.require_signed,
            "deny_advisories": self.deny_advisories,
            "allowed_sources": self.allowed_sources,
            "max_copy_bytes": self.max_copy_bytes,
            "allow_system_installs": self.allow_system_installs,
            "broken": self.broken,
        }

    def check_intact(self) -> None:
        if self.broken:
            raise AirlockError(
                "policy-broken",
                f"{self.broken} Until your administrator fixes it, nothing can be installed "
                "or copied.",
                503,
            )

    def verdict(
        self,
        project: str | None,
        version: str | None = None,
        file: str | None = None,
        verified: bool = False,
        signed: bool = False,
        advisories: Sequence[Advisory] = (),
    ) -> str | None:
        """Why ``project`` (at ``version``, as ``file``) may not come in, or None.

        The one question every door asks (plan, install, index, channel, listing, kernels);
        the parts left out are not asked: no version asks about the project as a whole, no
        project (an environment archive) only about the file, no file nothing about
        verification (``verified``: a manifest's sha256; ``signed``: listed in a validly
        signed manifest), no advisories nothing about them.
        """
        reason = None
        if project is not None:
            reason = self.project(project) if version is None else self.package(project, version)
        if reason is None and file is not None:
            reason = self.file(file, verified, signed)
        if reason is None and project is not None:
            reason = self.advisories(project, version, advisories)
        return reason

    def advisories(self, name: str, version: str | None, known: Sequence[Advisory]) -> str | None:
        """Why the advisories known for ``name`` ``version`` keep it out, or None."""
        if self.deny_advisories is None:
            return None
        threshold = self.deny_advisories
        denied = [a for a in known if _severity_score(a) >= threshold]
        if not denied:
            return None
        names = ", ".join(
            a.id + (f" ({', '.join(a.aliases)})" if a.aliases else "") for a in denied
        )
        rule = "any known advisory" if threshold == 0 else f"advisories of CVSS {threshold} or more"
        release = f"{name} {version}" if version else name
        return (
            f"{release} is affected by {names}, and the policy denies {rule} "
            "(rule 'deny_advisories')"
        )

    def package(self, name: str, version: str) -> str | None:
        """Why package ``name`` ``version`` may not come in, or None."""
        if self.broken:
            return "the admin's policy could not be read"
        key = canonicalize_name(name)
        for rule in self.deny:
            if canonicalize_name(rule.name) == key and _within(rule, version):
                return f"{name} {version} is denied by the policy rule '{rule}'"
        if self.allow is not None:
            rules = [rule for rule in self.allow if canonicalize_name(rule.name) == key]
            if not rules:
                return f"{name} is not on the policy's list of approved packages"
            if not any(_within(rule, version) for rule in rules):
                allowed = ", ".join(str(rule) for rule in rules)
                return f"{name} {version} is outside the approved versions ({allowed})"
        return None

    def project(self, name: str) -> str | None:
        """Why no version of ``name`` may come in, or None."""
        key = canonicalize_name(name)
        for rule in self.deny:
            if canonicalize_name(rule.name) == key and not str(rule.specifier):
                return f"{name} is denied by the policy rule '{rule}'"
        if self.allow is not None and all(canonicalize_name(r.name) != key for r in self.allow):
            return f"{name} is not on the policy's list of approved packages"
        return None

    def file(self, name: str, verified: bool, signed: bool = False) -> str | None:
        """Why file ``name`` may not be installed for want of a verified sha256 or of a
        trusted signature, or None."""
        if self.require_signed and not signed:
            return (
                f"{name} is not listed in a manifest signed by a trusted signer, and the "
                "policy requires signed files (rule 'require_signed')"
            )
        if self.require_verified and not verified:
            return (
                f"{name} has no sha256 in a manifest of the source, and the policy requires "
                "verified files (rule 'require_verified')"
            )
        return None

    def environment(self, kind: str, prefix: str) -> str | None:
        if kind == "system" and not self.allow_system_installs:
            return (
                f"{prefix} is a system Python and the policy forbids installs into it (rule "
                "'allow_system_installs'): use a virtual or conda environment"
            )
        return None

    def source(self, config: Mapping[str, Any]) -> None:
        """Refuse an artifact source the policy does not list (403)."""
        self.check_intact()
        if self.allowed_sources is None:
            return
        for allowed in self.allowed_sources:
            if all(
                str(config.get(key) or "").rstrip("/") == str(value).rstrip("/")
                for key, value in allowed.items()
            ):
                return
        where = config.get("path") or f"{config.get('endpoint_url', 's3')} {config.get('bucket')}"
        raise AirlockError(
            "source-not-allowed",
            f"The artifact source {where} is not one the policy allows (rule "
            "'allowed_sources'): choose a profile with an approved source.",
            403,
        )

    def copy(self, key: str, size: int) -> None:
        self.check_intact()
        if self.max_copy_bytes is not None and size > self.max_copy_bytes:
            raise AirlockError(
                "copy-too-large",
                f"{key} is {size} bytes; the policy allows copies of at most "
                f"{self.max_copy_bytes} bytes (rule 'max_copy_bytes').",
                413,
            )


def load_policy(inline: Mapping[str, Any], path: str) -> Policy:
    """The policy from the config: the file's keys, then the inline ones over them.

    Never raises: a policy that cannot be read comes back ``broken``, naming the file and
    the line or key, so that everything it guards is refused.
    """
    data: dict[str, Any] = {}
    where = "c.Airlock.policy"
    if path:
        where = path
        try:
            text = Path(path).read_text("utf-8")
        except OSError as error:
            return Policy(broken=f"The policy file {path} cannot be read: {error.strerror}.")
        try:
            loaded = yaml.safe_load(text) if not path.endswith(".json") else json.loads(text)
        except (yaml.YAMLError, ValueError) as error:
            return Policy(broken=f"The policy file {path} does not parse: {_where(error)}.")
        if loaded is not None and not isinstance(loaded, dict):
            return Policy(broken=f"The policy file {path} must hold a mapping of rules.")
        data.update(loaded or {})
    data.update(inline)
    try:
        return _build(data)
    except ValueError as error:
        return Policy(broken=f"The policy ({where}) is invalid: {error}.")


def _build(data: Mapping[str, Any]) -> Policy:
    unknown = sorted(str(key) for key in set(data) - _KEYS)
    if unknown:
        raise ValueError(f"unknown rule(s) {', '.join(unknown)}; known: {', '.join(sorted(_KEYS))}")
    policy = Policy()
    if data.get("allow") is not None:
        policy.allow = _requirements(data["allow"], "allow")
    policy.deny = _requirements(data.get("deny") or [], "deny")
    policy.require_verified = _flag(data, "require_verified", False)
    policy.allow_system_installs = _flag(data, "allow_system_installs", True)
    policy.require_signed = _flag(data, "require_signed", False)
    policy.deny_advisories = _threshold(data.get("deny_advisories"))
    limit = data.get("max_copy_bytes")
    if limit is not None:
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise ValueError("'max_copy_bytes' must be a whole number of bytes")
        policy.max_copy_bytes = limit
    sources = data.get("allowed_sources")
    if sources is not None:
        if not isinstance(sources, list) or not all(isinstance(s, dict) for s in sources):
            raise ValueError("'allowed_sources' must be a list of sources")
        policy.allowed_sources = [
            {key: str(source[key]) for key in _SOURCE_KEYS if source.get(key)} for source in sources
        ]
    return policy


def _requirements(values: Any, rule: str) -> list[Requirement]:
    if not isinstance(values, list):
        raise ValueError(f"'{rule}' must be a list of requirements such as 'numpy>=1.26'")
    parsed = []
    for number, value in enumerate(values):
        try:
            requirement = Requirement(str(value))
        except InvalidRequirement as error:
            raise ValueError(f"'{rule}' item {number + 1} ({value!r}): {error}") from None
        if requirement.url or requirement.marker or requirement.extras:
            raise ValueError(f"'{rule}' item {number + 1} ({value!r}) must be a name and range")
        parsed.append(requirement)
    return parsed


def _flag(data: Mapping[str, Any], name: str, default: bool) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise ValueError(f"'{name}' must be true or false")
    return value


def _threshold(value: Any) -> float | None:
    if value is None or value is False:
        return None
    if value == "all" or value is True:
        return 0.0
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 10:
        return float(value)
    raise ValueError("'deny_advisories' must be \"all\" or a CVSS score from 0 to 10")


# OSV records without a CVSS vector often carry their database's word; these are the lower
# ends of CVSS's own qualitative ranges, so 7.0 denies HIGH and CRITICAL alike.
_SEVERITY_WORDS = {"CRITICAL": 9.0, "HIGH": 7.0, "MODERATE": 4.0, "MEDIUM": 4.0, "LOW": 0.1}


def _severity_score(advisory: Advisory) -> float:
    """An advisory's score; one with neither score nor word counts as the most severe
    (fail closed: nothing says it is mild)."""
    if advisory.score is not None:
        return advisory.score
    return _SEVERITY_WORDS.get((advisory.severity or "").upper(), 10.0)


def _within(rule: Requirement, version: str) -> bool:
    try:
        return rule.specifier.contains(Version(version), prereleases=True)
    except InvalidVersion:
        return not str(rule.specifier)


def _where(error: Exception) -> str:
    mark = getattr(error, "problem_mark", None)
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}: {getattr(error, 'problem', error)}"
    if isinstance(error, json.JSONDecodeError):
        return f"line {error.lineno}, column {error.colno}: {error.msg}"
    return str(error)
