"""Profiles from the admin's configuration: what is kept, what is refused and why."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jupyterlab_airlock.profiles import load_profiles


def test_valid_profiles_are_kept_and_the_active_one_found() -> None:
    profiles = load_profiles(
        [{"name": "a", "pip": {"index-url": "https://a/simple/"}}, {"name": "b"}], "b"
    )

    assert sorted(profiles.profiles) == ["a", "b"]
    assert profiles.active == {"name": "b"}
    assert profiles.problems == []


def test_no_active_profile_is_not_a_problem() -> None:
    profiles = load_profiles([{"name": "a"}], "")

    assert profiles.active is None
    assert profiles.problems == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("corp", "Profile #1 in c.Airlock.profiles is not a mapping"),
        ({"name": "  "}, "Profile #1 in c.Airlock.profiles has no 'name'"),
        ({"name": "x", "pip": "https://a/simple/"}, "Profile 'x': 'pip' must be a mapping"),
        ({"name": "x", "password": "hunter2"}, "Profile 'x' has unknown keys: password"),
    ],
)
def test_an_invalid_profile_is_left_out_and_named(raw: Any, expected: str) -> None:
    profiles = load_profiles([raw], "")

    assert profiles.profiles == {}
    assert len(profiles.problems) == 1
    assert profiles.problems[0].startswith(expected)


def test_a_repeated_name_keeps_the_first_profile() -> None:
    profiles = load_profiles([{"name": "a", "description": "1"}, {"name": "a"}], "a")

    assert profiles.active == {"name": "a", "description": "1"}
    assert profiles.problems == [
        "Profile #2 in c.Airlock.profiles repeats the name 'a'; the first one is kept."
    ]


@pytest.fixture
def airlock_config() -> dict[str, Any]:
    return {
        "profiles": [
            {"name": "good", "pip": {"index-url": "https://mirror.example/simple/"}},
            {"name": "typo", "pip_index": "https://mirror.example/simple/"},
            {"description": "no name"},
        ],
        "active_profile": "missing",
    }


async def test_status_names_what_is_wrong_in_the_admin_config(jp_fetch: Any) -> None:
    response = await jp_fetch("airlock", "status")

    status = json.loads(response.body)
    assert status["profiles"] == ["good"]
    assert status["active_profile"] is None
    problems = "\n".join(status["problems"])
    assert "Profile 'typo' has unknown keys: pip_index" in problems
    assert "Profile #3 in c.Airlock.profiles has no 'name'" in problems
    assert "The active profile 'missing' is not among the configured profiles (good)" in problems
