"""Mirror profiles: which profiles exist, which one is active, and what is wrong with them.

A profile says where packages come from (pip index, conda channels, proxy) and where
transferred files arrive (the artifact source). This module has no web framework in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

PROFILE_KEYS = frozenset({"name", "description", "pip", "conda", "proxy", "npm", "source"})
SECTION_KEYS = PROFILE_KEYS - {"name", "description"}


@dataclass(frozen=True)
class ProfileSet:
    """The configured profiles, validated once, with the problems found in them."""

    profiles: dict[str, dict[str, Any]]
    active_name: str
    problems: list[str] = field(default_factory=list)

    @property
    def active(self) -> dict[str, Any] | None:
        return self.profiles.get(self.active_name)


def load_profiles(raw_profiles: Iterable[Any], active_name: str) -> ProfileSet:
    """Validate profiles from the server configuration.

    An invalid profile is left out and named in ``problems`` rather than stopping the
    server: the panel shows what is wrong, the other profiles stay usable.
    """
    profiles: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for position, raw in enumerate(raw_profiles, start=1):
        problem = _profile_problem(raw, position, profiles)
        if problem:
            problems.append(problem)
        else:
            profiles[raw["name"]] = dict(raw)
    if active_name and active_name not in profiles:
        known = ", ".join(sorted(profiles)) or "none"
        problems.append(
            f"The active profile '{active_name}' is not among the configured profiles "
            f"({known}). Set c.Airlock.active_profile to one of them."
        )
    return ProfileSet(profiles=profiles, active_name=active_name, problems=problems)


def _profile_problem(raw: Any, position: int, seen: Mapping[str, dict[str, Any]]) -> str | None:
    where = f"Profile #{position} in c.Airlock.profiles"
    if not isinstance(raw, Mapping):
        return f"{where} is not a mapping of settings; it was ignored."
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        return f"{where} has no 'name'; give it a short unique name. It was ignored."
    if name in seen:
        return f"{where} repeats the name '{name}'; the first one is kept."
    unknown = sorted(set(raw) - PROFILE_KEYS)
    if unknown:
        allowed = ", ".join(sorted(PROFILE_KEYS))
        return (
            f"Profile '{name}' has unknown keys: {', '.join(unknown)} (allowed: {allowed}). "
            "It was ignored."
        )
    for key in SECTION_KEYS & set(raw):
        if not isinstance(raw[key], Mapping):
            return f"Profile '{name}': '{key}' must be a mapping of settings. It was ignored."
    return None
