"""The status route, answered by a real Jupyter server with Airlock loaded."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from jupyterlab_airlock import __version__


async def test_status_reports_version_and_active_profile(jp_fetch: Any) -> None:
    response = await jp_fetch("airlock", "status")

    assert response.code == 200
    status = json.loads(response.body)
    assert status["version"] == __version__
    assert status["active_profile"]["name"] == "corp"
    assert status["active_profile"]["pip"]["index-url"].startswith("https://nexus.corp")
    assert status["profiles"] == ["corp"]
    assert status["problems"] == []


async def test_status_refuses_a_request_without_token(jp_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch("airlock", "status", headers={"Authorization": ""})

    assert refused.value.code == 403
    body = json.loads(refused.value.response.body)
    assert body["code"] == "http-403"
    assert "Reload the page and log in again" in body["message"]
    assert "corp" not in refused.value.response.body.decode()


async def test_status_refuses_a_wrong_token(jp_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch("airlock", "status", headers={"Authorization": "token not-the-token"})

    assert refused.value.code == 403


async def test_errors_are_json_messages_without_traceback(jp_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch("airlock", "status", method="POST", body="{}")

    assert refused.value.code == 405
    body = json.loads(refused.value.response.body)
    assert body["code"] == "http-405"
    assert body["message"]
    assert "traceback" not in body
    assert "Traceback" not in refused.value.response.body.decode()
