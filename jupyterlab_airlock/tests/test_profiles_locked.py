"""Admin-managed profiles with a lock: applied for everyone, and users cannot leave them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

MANAGED = {"name": "corp", "pip": {"index-url": "https://nexus.corp.example/simple/"}}


@pytest.fixture
def airlock_config() -> dict[str, Any]:
    return {"profiles": [MANAGED], "active_profile": "corp", "lock_profiles": True}


@pytest.fixture(autouse=True)
def isolated_config(jp_environ: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)


async def test_the_default_profile_is_applied_at_start(jp_fetch: Any) -> None:
    response = await jp_fetch("airlock", "profiles")

    state = json.loads(response.body)
    assert state["locked"] is True
    assert state["active"]["name"] == "corp"
    assert state["can_revert"] is False
    pip_conf = Path(os.environ["HOME"]) / ".config" / "pip" / "pip.conf"
    assert "index-url = https://nexus.corp.example/simple/" in pip_conf.read_text()


async def test_a_users_own_profile_is_refused(jp_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch(
            "airlock",
            "profiles",
            "apply",
            method="POST",
            body=json.dumps({"profile": {"name": "mine", "pip": {"index-url": "https://x/"}}}),
        )

    assert refused.value.code == 403
    body = json.loads(refused.value.response.body)
    assert body["code"] == "profile-locked"
    assert "administrator" in body["message"]


async def test_revert_is_refused(jp_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch("airlock", "profiles", "revert", method="POST", body="{}")

    assert refused.value.code == 403
