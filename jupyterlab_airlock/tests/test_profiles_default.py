"""The admin's default profile, not locked: a user may leave it, but Revert does not drop it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

DEFAULT = {"name": "corp", "pip": {"index-url": "https://nexus.corp.example/simple/"}}
OTHER = {"name": "lab", "pip": {"index-url": "https://devpi.lab.example/simple/"}}


@pytest.fixture
def airlock_config() -> dict[str, Any]:
    return {"profiles": [DEFAULT, OTHER], "active_profile": "corp"}


@pytest.fixture(autouse=True)
def isolated_config(jp_environ: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)


async def post(jp_fetch: Any, path: str, body: dict[str, Any] | None = None) -> Any:
    response = await jp_fetch(
        "airlock", "profiles", path, method="POST", body=json.dumps(body or {})
    )
    return json.loads(response.body)


async def test_a_second_revert_is_refused_rather_than_dropping_the_default(
    jp_fetch: Any,
) -> None:
    state = json.loads((await jp_fetch("airlock", "profiles")).body)
    assert state["active"]["name"] == "corp"
    assert state["can_revert"] is False

    await post(jp_fetch, "apply", {"name": "lab"})
    state = await post(jp_fetch, "revert")
    assert state["active"]["name"] == "corp"
    assert state["can_revert"] is False

    with pytest.raises(HTTPClientError) as refused:
        await post(jp_fetch, "revert")

    assert refused.value.code == 409
    body = json.loads(refused.value.response.body)
    assert body["code"] == "nothing-to-revert"
    assert "choose another profile" in body["message"]
    state = json.loads((await jp_fetch("airlock", "profiles")).body)
    assert state["active"]["name"] == "corp"
