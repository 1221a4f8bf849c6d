"""Which profiles a user may apply, and the switch itself: managed profiles, locks, undo.

The admin's profiles (``c.Airlock.profiles``) are *managed*; a user may also apply a
profile of their own (from JupyterLab's settings) unless the admin locked the managed ones.
Every switch, and every refused one, goes into the audit trail.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from ..audit import AuditLog
from ..config import Airlock
from ..connectivity import check_profile
from ..doctor import run_doctor
from ..errors import AirlockError
from ..index_address import IndexAddress
from ..secrets import redact
from .applier import ProfileApplier
from .effective import read_effective
from .leaks import find_leaks, profile_leaks
from .paths import ConfigPaths
from .validation import Profile, ProfileSet, load_profiles, validate_profile


class ProfileManager:
    """The profiles journey, for one Jupyter server (one user)."""

    def __init__(
        self, config: Airlock, paths: ConfigPaths, index: IndexAddress, audit: AuditLog
    ) -> None:
        self._config = config
        self.managed: ProfileSet = load_profiles(config.profiles, config.active_profile)
        self.paths = paths
        self.applier = ProfileApplier(self.paths)
        # This server's package index, where ``index_from_source`` profiles point.
        self._index = index
        self._audit = audit

    def expand(self, profile: Profile) -> Profile:
        """The settings a profile writes: an ``index_from_source`` profile points pip and
        conda at this server's index of the read bucket, and at nothing else."""
        if not profile.get("index_from_source"):
            return profile
        url = self._index.url()
        written = {key: value for key, value in profile.items() if key != "offline"}
        pip = {k: v for k, v in profile.get("pip", {}).items() if k != "extra-index-url"}
        written["pip"] = {**pip, "index-url": url + "simple/"}
        written["conda"] = {**profile.get("conda", {}), "channels": [url + "conda"]}
        proxy = profile.get("proxy")
        if proxy:
            no_proxy = [*proxy.get("no_proxy", []), "127.0.0.1", "localhost"]
            written["proxy"] = {**proxy, "no_proxy": no_proxy}
        return written

    def _apply(self, profile: Profile, default: bool = False) -> None:
        self.applier.apply(profile, self.expand, default=default)

    @property
    def locked(self) -> bool:
        return bool(self._config.lock_profiles)

    def start(self) -> list[str]:
        """Bring the server process in line with the active profile; return what went wrong.

        Environment variables (proxy, CA bundle) live in the process and are lost on restart,
        so they are put back. The admin's default profile is applied for a user who has none
        yet, and at every start when profiles are locked.
        """
        problems: list[str] = []
        try:
            self.applier.restore_environment()
        except AirlockError as error:
            problems.append(error.message)
        default = self.managed.active
        active = self.applier.active()
        first = active is None
        must_apply = default is not None and (first or (self.locked and active != default))
        if active and active.get("index_from_source") and not must_apply:
            # The index's address holds this server's port, which may differ from the
            # last start: write it again.
            default, must_apply = active, True
        if must_apply and default is not None:
            try:
                self._apply(default, default=first)
            except AirlockError as error:
                problems.append(
                    f"The default profile '{default['name']}' could not be applied: {error.message}"
                )
        return problems

    def describe(self) -> dict[str, Any]:
        return {
            "managed": list(self.managed.profiles.values()),
            "default": self.managed.active_name or None,
            "locked": self.locked,
            "active": self.applier.active(),
            "can_revert": self.applier.can_revert() and not self.locked,
            "problems": self.managed.problems,
            # Computed once per request from the profiles alone: no file is read.
            "leaks": {
                name: profile_leaks(profile) for name, profile in self.managed.profiles.items()
            },
        }

    def resolve(self, body: Mapping[str, Any]) -> Profile:
        """The profile a request names: ``{"name": ...}`` (managed) or ``{"profile": {...}}``."""
        name = body.get("name")
        if isinstance(name, str) and "profile" not in body:
            managed = self.managed.profiles.get(name)
            if managed is None:
                known = ", ".join(sorted(self.managed.profiles)) or "none"
                raise AirlockError(
                    "unknown-profile",
                    f"There is no managed profile named '{name}' (managed profiles: {known}).",
                    404,
                )
            return managed
        raw = body.get("profile")
        if not isinstance(raw, Mapping):
            raise AirlockError(
                "invalid-request",
                'Send {"name": "<managed profile>"} or {"profile": {...}} to choose a profile.',
            )
        profile = validate_profile(raw)
        managed = self.managed.profiles.get(profile["name"])
        if managed is not None:
            # A managed profile is always applied as the admin wrote it.
            return managed
        return profile

    async def apply(self, body: Mapping[str, Any], user: str | None) -> dict[str, Any]:
        """Apply the profile ``body`` names (see ``resolve``) for ``user``; return
        ``describe()``."""
        try:
            profile = self.resolve(body)
            if self.locked and profile["name"] not in self.managed.profiles:
                raise AirlockError(
                    "profile-locked",
                    f"Your administrator locked the mirror profiles: '{profile['name']}' is "
                    "not one of them. Choose a managed profile.",
                    403,
                )
            self._apply(profile)
            described = self.describe()
        except AirlockError as error:
            await self._audit.append(
                "profile-apply",
                user,
                request=body,
                result="refused",
                code=error.code,
                reasons=[error.message],
            )
            raise
        await self._audit.append(
            "profile-apply", user, profile=_active_name(described), result="succeeded"
        )
        return described

    async def revert(self, user: str | None) -> dict[str, Any]:
        """Undo the latest switch for ``user``; return ``describe()``."""
        if self.locked:
            raise AirlockError(
                "profile-locked",
                "Your administrator locked the mirror profiles, so the configuration cannot "
                "be reverted to what it was before.",
                403,
            )
        self.applier.revert()
        described = self.describe()
        await self._audit.append(
            "profile-revert", user, profile=_active_name(described), result="succeeded"
        )
        return described

    async def effective(self) -> dict[str, Any]:
        effective = await read_effective(self.paths)
        active = self.applier.active()
        leaks = find_leaks(self.expand(active) if active else None, effective)
        return self.hide({"effective": effective, "leaks": leaks})

    def hide(self, value: dict[str, Any]) -> dict[str, Any]:
        """``value`` with this server's index secret blanked: it goes to the browser."""
        hidden: dict[str, Any] = json.loads(self._index.hide(json.dumps(value)))
        return hidden

    async def doctor(self, body: Mapping[str, Any], user: str | None) -> dict[str, Any]:
        """Ask each package tool to reach the active profile's mirror; audited."""
        active = self.applier.active()
        if active is None:
            raise AirlockError("no-active-profile", "No profile is active: choose one first.", 409)
        results = await run_doctor(
            self.expand(active),
            os.environ,
            python_package=_package_name(body.get("python_package"), "pip"),
            npm_package=_package_name(body.get("npm_package"), "npm"),
        )
        failed = [result["tool"] for result in results if result["outcome"] == "failed"]
        outcome = f"failed: {', '.join(failed)}" if failed else "succeeded"
        await self._audit.append("profile-doctor", user, profile=active["name"], result=outcome)
        time = datetime.now(timezone.utc).isoformat(timespec="seconds")
        report = {"profile": active["name"], "time": time, "results": results}
        return self.hide(report)

    async def check(self, body: Mapping[str, Any]) -> dict[str, Any]:
        profile = self.resolve(body) if body else self.applier.active()
        if profile is None:
            raise AirlockError("no-active-profile", "No profile is active: choose one first.", 409)
        # What the tools reach: for an index_from_source profile, this server's index.
        results = await check_profile(self.expand(profile))
        return self.hide({"profile": profile["name"], "results": results})


# A package name, never an option: the doctor passes it to pip, uv and npm as an argument.
_PACKAGE_NAME = re.compile(r"^(@[a-z0-9][\w.-]*/)?[A-Za-z0-9][\w.-]*$")


def _package_name(value: Any, default: str) -> str:
    if value is None or value == "":
        return default
    if not isinstance(value, str) or not _PACKAGE_NAME.match(value):
        raise AirlockError(
            "invalid-request",
            f"{redact(str(value))!r} is not a package name: name one package the mirror "
            "carries, such as 'pip' or 'npm'.",
        )
    return value


def _active_name(described: Mapping[str, Any]) -> str | None:
    active = described["active"]
    return active["name"] if active else None
