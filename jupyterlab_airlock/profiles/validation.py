"""Which profiles exist, which one is active, and what is wrong with them.

A profile says where packages come from (pip index, conda channels, npm registry, proxy,
CA bundle) and where transferred files arrive (the artifact source). Its shape is the JSON
schema in ``profile.schema.json``, shared with JupyterLab's Settings Editor; what a schema
cannot say well (is this URL acceptable, is that path absolute) is checked here in code.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from jsonschema import Draft7Validator, ValidationError

from ..errors import AirlockError
from ..secrets import redact
from .urls import url_problem

Profile = dict[str, Any]

# The schema marks every URL field with this pattern; the code below explains what is wrong
# with such a URL better than "does not match", so schema errors for it are left to the code.
URL_PATTERN = "^https?://"

_TYPE_WORDS = {
    "object": "a mapping of settings",
    "array": "a list",
    "string": "text",
    "number": "a number",
    "boolean": "true or false",
}


@lru_cache(maxsize=1)
@functools.cache
def _profile_schema() -> dict[str, Any]:
    text = resources.files("jupyterlab_airlock").joinpath("profile.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _validator() -> Draft7Validator:
    return Draft7Validator(_profile_schema())


def validate_profile(raw: Any) -> Profile:
    """A copy of ``raw`` if it is a valid profile; else AirlockError ``invalid-profile``.

    The message names the profile and every key that is wrong, and says what is wrong with
    it, so an admin or user can fix it in one go.
    """
    if not isinstance(raw, Mapping):
        raise _invalid(f"A profile must be a mapping of settings, not {_kind_of(raw)}.")
    profile = dict(raw)
    name = profile.get("name")
    label = f"Profile '{name}'" if isinstance(name, str) and name.strip() else "A profile"
    validator = _validator()
    errors = sorted(
        validator.iter_errors(profile), key=lambda error: [str(p) for p in error.absolute_path]
    )
    # jsonschema reports each missing key of one "required" apart: one sentence names all.
    problems = list(
        dict.fromkeys(
            _describe(error, label) for error in _by_kind(errors) if not _is_url_pattern(error)
        )
    )
    for where, url in _urls(profile, _profile_schema(), ""):
        problem = url_problem(url)
        if problem:
            problems.append(f"{label}: '{where}' ({redact(url)!r}) {problem}.")
    ca_bundle = profile.get("ca_bundle")
    if isinstance(ca_bundle, str) and ca_bundle and not os.path.isabs(ca_bundle):
        problems.append(
            f"{label}: 'ca_bundle' ({ca_bundle!r}) must be an absolute path to a PEM file."
        )
    advisories = profile.get("advisories")
    if isinstance(advisories, str) and not profile.get("source"):
        problems.append(
            f"{label}: 'advisories' ({advisories!r}) is a key of the artifact source, and the "
            "profile has no 'source'."
        )
    if problems:
        raise _invalid(" ".join(problems))
    return copy.deepcopy(profile)


def _kind_branch(schema: Mapping[str, Any], instance: Any) -> int | None:
    """In a ``oneOf`` by ``kind`` (the artifact source: each kind has its own fields), the
    index of the branch of ``instance``'s kind; None when no branch has it."""
    if not isinstance(instance, Mapping):
        return None
    for index, branch in enumerate(schema.get("oneOf", [])):
        # Each branch's kind is an enum of one value (the Settings Editor's form fills
        # an enum's default, not a const).
        if branch.get("properties", {}).get("kind", {}).get("enum") == [instance.get("kind")]:
            return index
    return None


def _by_kind(errors: Iterable[ValidationError]) -> Iterator[ValidationError]:
    """The errors to explain: a ``oneOf`` by kind is replaced by what is wrong in the
    branch of the instance's kind (a missing key, an unknown one), or with the kind itself
    when it is none of them."""
    for error in errors:
        instance = error.instance
        if (
            error.validator != "oneOf"
            or not isinstance(error.schema, Mapping)
            or not isinstance(instance, Mapping)
        ):
            yield error
            continue
        chosen = _kind_branch(error.schema, instance)
        branch = 0 if chosen is None else chosen
        within = [sub for sub in error.context or [] if sub.relative_schema_path[0] == branch]
        if chosen is None:  # the first branch says what is wrong with the kind
            within = [
                sub
                for sub in within
                if list(sub.relative_path) == ["kind"]
                or (sub.validator == "required" and "kind" not in instance)
            ]
        yield from within or [error]


def _invalid(message: str) -> AirlockError:
    return AirlockError("invalid-profile", message, status=400)


def _is_url_pattern(error: ValidationError) -> bool:
    return bool(error.validator == "pattern" and error.validator_value == URL_PATTERN)


def _describe(error: ValidationError, label: str) -> str:
    where = _dotted(error.absolute_path)
    subject = f"{label}: '{where}'" if where else label
    instance = error.instance
    # The profile schema only has object subschemas; jsonschema types them more widely.
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    value: Any = error.validator_value
    required: list[str] = list(value) if error.validator == "required" else []
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(schema.get("properties", {}))
        unknown = sorted(str(key) for key in instance if key not in allowed)
        return f"{subject} has unknown keys: {', '.join(unknown)} (allowed: {', '.join(allowed)})."
    if error.validator == "type":
        wanted = _TYPE_WORDS.get(str(error.validator_value), str(error.validator_value))
        return f"{subject} must be {wanted}, not {_kind_of(instance)}."
    if error.validator == "required" and isinstance(instance, dict):
        missing = ", ".join(f"'{key}'" for key in required if key not in instance)
        kind = instance.get("kind")
        of_kind = f" of kind '{kind}'" if isinstance(kind, str) else ""
        return f"{subject}{of_kind} needs {missing}."
    shown = json.dumps(redact(instance))
    expected = schema.get("description", error.message)
    return f"{subject} is {shown}, which is not valid: {expected}"


def _urls(instance: Any, schema: Mapping[str, Any], where: str) -> Iterator[tuple[str, str]]:
    """Every URL in a (schema-valid part of a) profile, with its dotted path.

    conda channels are names or URLs; only those with a scheme are URLs.
    """
    if isinstance(instance, str):
        is_channel_url = where.startswith("conda.channels[") and "://" in instance
        if schema.get("pattern") == URL_PATTERN or is_channel_url:
            yield where, instance
    elif isinstance(instance, dict):
        properties = schema.get("properties", {})
        branch = _kind_branch(schema, instance)
        if branch is not None:
            properties = {**properties, **schema["oneOf"][branch].get("properties", {})}
        extra = schema.get("additionalProperties")
        for key, value in instance.items():
            sub = properties.get(key, extra)
            if isinstance(sub, Mapping):
                yield from _urls(value, sub, f"{where}.{key}" if where else str(key))
    elif isinstance(instance, list) and isinstance(schema.get("items"), Mapping):
        for position, item in enumerate(instance):
            yield from _urls(item, schema["items"], f"{where}[{position}]")


def _dotted(path: Iterable[str | int]) -> str:
    dotted = ""
    for part in path:
        dotted += f"[{part}]" if isinstance(part, int) else (f".{part}" if dotted else part)
    return dotted


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else type(value).__name__


@dataclass(frozen=True)
class ProfileSet:
    """The configured profiles, validated once, with the problems found in them."""

    profiles: dict[str, Profile]
    active_name: str
    problems: list[str] = field(default_factory=list)

    @property
    def active(self) -> Profile | None:
        return self.profiles.get(self.active_name)


def load_profiles(raw_profiles: Iterable[Any], active_name: str) -> ProfileSet:
    """Validate profiles from the server configuration.

    An invalid profile is left out and named in ``problems`` rather than stopping the
    server: the panel shows what is wrong, the other profiles stay usable.
    """
    profiles: dict[str, Profile] = {}
    problems: list[str] = []
    for position, raw in enumerate(raw_profiles, start=1):
        problem = _position_problem(raw, position, profiles)
        if problem:
            problems.append(problem)
            continue
        try:
            profiles[raw["name"]] = validate_profile(raw)
        except AirlockError as error:
            problems.append(f"{error.message} It was ignored.")
    if active_name and active_name not in profiles:
        known = ", ".join(sorted(profiles)) or "none"
        problems.append(
            f"The active profile '{active_name}' is not among the configured profiles "
            f"({known}). Set c.Airlock.active_profile to one of them."
        )
    return ProfileSet(profiles=profiles, active_name=active_name, problems=problems)


def _position_problem(raw: Any, position: int, seen: Mapping[str, Profile]) -> str | None:
    """What only the position in the admin's list can name: no mapping, no name, a repeat."""
    where = f"Profile #{position} in c.Airlock.profiles"
    if not isinstance(raw, Mapping):
        return f"{where} is not a mapping of settings; it was ignored."
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        return f"{where} has no 'name'; give it a short unique name. It was ignored."
    if name in seen:
        return f"{where} repeats the name '{name}'; the first one is kept."
    return None
