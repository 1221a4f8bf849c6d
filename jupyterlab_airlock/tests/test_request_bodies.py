"""Request bodies are checked against openapi.yaml in one place: a body the API does not
describe is refused with ``invalid-request`` naming where it differs, before any core is
called, so nothing changes and nothing starts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator
from tornado.httpclient import HTTPClientError

from jupyterlab_airlock.errors import AirlockError
from jupyterlab_airlock.handlers import ROUTES
from jupyterlab_airlock.request_bodies import RequestBodies
from jupyterlab_airlock.request_handlers import REQUEST_ROUTES

from .test_hostile_inputs import tree_state
from .test_openapi import load_spec

SECRET = "planted-Secret-51c2"


@pytest.fixture
def exchange(tmp_path: Path) -> Path:
    folder = tmp_path / "exchange"
    folder.mkdir()
    (folder / "readings.csv").write_text("station,t\nnorth,4.5\n")
    return folder


@pytest.fixture
def airlock_config(exchange: Path) -> dict[str, Any]:
    source = {"kind": "folder", "path": str(exchange)}
    return {"profiles": [{"name": "exchange", "source": source}], "active_profile": "exchange"}


CASES: list[tuple[tuple[str, ...], Any, str]] = [
    # (route, body, the message's end)
    (("install", "plan"), {"kernel": "python3", "requirements": "pandas"},
     "at $.requirements: 'pandas' is not of type 'array'."),
    (("install", "plan"), {"kernel": "python3", "requirements": ["pandas", 3]},
     "at $.requirements[1]: 3 is not of type 'string'."),
    (("install", "plan"), {"kernel": ""}, "at $.kernel: '' should be non-empty."),
    (("install", "plan"), {"requirements": ["pandas"]},
     "at $: 'kernel' is a required property."),
    (("artifacts", "copy"), {"key": 7, "destination": "x.csv"},
     "at $.key: 7 is not of type 'string'."),
    # Once taken as bool("no"): an overwrite nobody asked for.
    (("artifacts", "copy"), {"key": "readings.csv", "destination": "r.csv", "overwrite": "no"},
     "at $.overwrite: 'no' is not of type 'boolean'."),
    (("kernels", "create"), {"key": "envs/geo.tar.gz", "name": 3, "display_name": "Geo"},
     "at $.name: 3 is not of type 'string'."),
    (("install",), {"plan": 5}, "at $.plan: 5 is not of type 'string'."),
    (("install", "rollback"), {}, "at $: 'job' is a required property."),
    (("profiles", "apply"), {},
     "Expected: A managed profile by name, or a profile of the user's own (from the settings)."),
    (("profiles", "apply"), {"profile": "mine"}, "at $.profile: 'mine' is not of type 'object'."),
    (("profiles", "check"), {"name": 3}, "at $.name: 3 is not of type 'string'."),
    (("profiles", "doctor"), {"python_package": ["pip"]},
     "at $.python_package: ['pip'] is not of type 'string'."),
]  # fmt: skip


async def test_a_body_off_the_spec_is_refused_naming_where_and_changes_nothing(
    jp_fetch: Any, jp_serverapp: Any, jp_root_dir: Path, jp_home_dir: Path
) -> None:
    airlock = jp_serverapp.web_app.settings["airlock"]
    before = tree_state(jp_root_dir, jp_home_dir)
    for route, body, expected in CASES:
        with pytest.raises(HTTPClientError) as refused:
            await jp_fetch("airlock", *route, method="POST", body=json.dumps(body))
        assert refused.value.response is not None
        answer = json.loads(refused.value.response.body)
        assert (refused.value.code, answer["code"]) == (400, "invalid-request"), route
        assert answer["message"].startswith("The request does not fit the Airlock API at $")
        assert answer["message"].endswith(expected), answer["message"]
        assert SECRET not in answer["message"]
    assert tree_state(jp_root_dir, jp_home_dir) == before
    assert airlock.jobs.list() == []
    assert airlock.profiles.applier.active()["name"] == "exchange"


PROFILE_CASES: list[tuple[dict[str, Any], str]] = [
    ({"name": "mine", "pip": {"timeout": "slow"}}, "'pip.timeout' must be a number, not text."),
    ({"name": "mine", "source": {"kind": "nfs"}}, "'source.kind' is \"nfs\", which is not valid"),
    ({"name": "mine", "pip": {"index-url": [f"https://alice:{SECRET}@m/simple/"]}},
     "'pip.index-url' must be text, not a list."),
]  # fmt: skip


async def test_a_profile_in_a_body_is_checked_once_against_the_profile_schema(
    jp_fetch: Any, jp_serverapp: Any, jp_root_dir: Path, jp_home_dir: Path
) -> None:
    """openapi.yaml takes any object as a profile of the user's own: the server checks it
    against profile.schema.json and names every wrong key in its own words."""
    airlock = jp_serverapp.web_app.settings["airlock"]
    before = tree_state(jp_root_dir, jp_home_dir)
    for profile, expected in PROFILE_CASES:
        body = json.dumps({"profile": profile})
        with pytest.raises(HTTPClientError) as refused:
            await jp_fetch("airlock", "profiles", "apply", method="POST", body=body)
        assert refused.value.response is not None
        answer = json.loads(refused.value.response.body)
        assert (refused.value.code, answer["code"]) == (400, "invalid-profile")
        assert answer["message"].startswith("Profile 'mine': ")
        assert expected in answer["message"], answer["message"]
        assert SECRET not in answer["message"]
    assert tree_state(jp_root_dir, jp_home_dir) == before
    assert airlock.profiles.applier.active()["name"] == "exchange"


async def test_a_long_refused_value_is_cut_short_in_the_message(jp_fetch: Any) -> None:
    body = {"kernel": "python3", "requirements": "x" * 100_000}
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch("airlock", "install", "plan", method="POST", body=json.dumps(body))
    assert refused.value.response is not None
    message = json.loads(refused.value.response.body)["message"]
    assert len(message) < 400
    assert "at $.requirements: 'xxxx" in message


async def test_a_body_as_the_spec_describes_it_reaches_the_core(jp_fetch: Any) -> None:
    """The check between handler and core lets the described bodies through: an empty one
    where the body is optional, a profile by name."""
    checked = json.loads(
        (await jp_fetch("airlock", "profiles", "check", method="POST", body="")).body
    )
    assert checked["profile"] == "exchange"
    body = json.dumps({"key": "readings.csv", "destination": "r.csv", "overwrite": False})
    copy = await jp_fetch("airlock", "artifacts", "copy", method="POST", body=body)
    assert copy.code == 202


def test_every_body_the_spec_describes_is_checked_on_its_route() -> None:
    spec = load_spec()
    bodies = RequestBodies(spec)
    routes = {"/" + path for path, _ in [*ROUTES, *REQUEST_ROUTES]}
    described = [
        (path, method, operation["requestBody"]["content"]["application/json"]["schema"])
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "requestBody" in operation
    ]
    assert len(described) >= 8
    for path, method, schema in described:
        Draft4Validator.check_schema(schema)
        assert path in routes, path
        # Every body is a JSON object: a list is refused on each route that takes one.
        with pytest.raises(AirlockError, match=r"at \$: \[\] is not"):
            bodies.of(path.lstrip("/")).check(method, [])
