"""The admin's policy enforced by the server: at the plan, at the install, in the index,
on copies and sources; shown read-only; and failing closed when it cannot be read.

Real parts: the moto bucket of the install tests and a virtual environment per test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from demo.content import DEMO_AWS_ENV

from .installs import bucket_source, finished, imports, plan, start

POLICY = {
    "allow": [
        "airlock-a",
        "airlock-b>=2",
        "airlock-c",
        "airlock-d<2",
        "unrelated-1",
        "unrelated-2",
    ],
    "deny": ["unrelated-1"],
    "require_verified": True,
    "max_copy_bytes": 100,
}


@pytest.fixture
def policy_file(tmp_path: Path) -> str:
    return ""


@pytest.fixture
def airlock_config(bucket: dict[str, Any], policy_file: str, tmp_path: Path) -> dict[str, Any]:
    return {
        "profiles": [{"name": "bucket", "source": bucket_source(bucket)}],
        "active_profile": "bucket",
        "policy": {**POLICY, "allowed_sources": [bucket_source(bucket)]},
        "policy_file": policy_file,
        "audit_log": str(tmp_path / "shared" / "audit.jsonl"),
    }


@pytest.fixture(autouse=True)
def credentials(jp_environ: None, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in DEMO_AWS_ENV.items():
        monkeypatch.setenv(name, value)


async def test_the_policy_is_shown_read_only(jp_fetch: Any) -> None:
    status = json.loads((await jp_fetch("airlock", "status")).body)
    assert status["policy"]["deny"] == ["unrelated-1"]
    assert status["policy"]["require_verified"] is True
    assert status["policy"]["broken"] is None


async def test_allowed_packages_install(
    jp_fetch: Any, jp_serverapp: Any, kernel: dict[str, Any], tmp_path: Path
) -> None:
    planned = await plan(jp_fetch, kernel["name"], requirements=["airlock-a"])
    assert planned["ok"], planned
    job = await finished(jp_serverapp, jp_fetch, (await start(jp_fetch, planned["id"]))["id"])
    assert job["state"] == "succeeded"
    audit = [json.loads(line) for line in (tmp_path / "shared" / "audit.jsonl").open()]
    assert [record["action"] for record in audit] == ["plan", "install"]


async def test_a_version_outside_the_range_is_refused_naming_the_rule(
    jp_fetch: Any, kernel: dict[str, Any]
) -> None:
    planned = await plan(jp_fetch, kernel["name"], requirements=["airlock-b==1.0"])
    assert not planned["ok"]
    assert planned["refused"] == [
        {
            "item": "airlock-b==1.0",
            "message": "airlock-b 1.0 is outside the approved versions (airlock-b>=2)",
        }
    ]
    assert not imports(kernel["python"], "airlock_b")


async def test_the_plan_names_a_file_the_policy_denies_beside_one_that_does_not_fit(
    jp_fetch: Any, kernel: dict[str, Any]
) -> None:
    # airlock-d 2.0 would install but is outside the approved versions; 1.0 is for macOS.
    planned = await plan(jp_fetch, kernel["name"], requirements=["airlock-d"])
    assert not planned["ok"]
    [missing] = planned["missing"]
    reasons = {file["file"]: file["reason"] for file in missing["unusable"]}
    assert reasons == {
        "airlock_d-1.0-py3-none-macosx_11_0_arm64.whl": reasons[
            "airlock_d-1.0-py3-none-macosx_11_0_arm64.whl"
        ],
        "airlock_d-2.0-py3-none-any.whl": (
            "airlock-d 2.0 is outside the approved versions (airlock-d<2)"
        ),
    }
    assert reasons["airlock_d-1.0-py3-none-macosx_11_0_arm64.whl"].startswith("built for macOS")
    assert "outside the approved versions" in missing["message"]


async def test_a_denied_package_is_refused_and_not_served_by_the_index(
    jp_fetch: Any, jp_serverapp: Any, kernel: dict[str, Any]
) -> None:
    planned = await plan(jp_fetch, kernel["name"], requirements=["unrelated-1"])
    assert planned["refused"] == [
        {"item": "unrelated-1", "message": "unrelated-1 is denied by the policy rule 'unrelated-1'"}
    ]
    index = jp_serverapp.web_app.settings["airlock"].index_address.url()
    client = AsyncHTTPClient()
    assert (await client.fetch(index + "simple/unrelated-1/", raise_error=False)).code == 404
    listing = (await client.fetch(index + "simple/")).body
    assert b"unrelated-2" in listing
    assert b"unrelated-1/" not in listing
    served = await client.fetch(
        index + "files/wheels/unrelated_1-1.0-py3-none-any.whl", raise_error=False
    )
    assert served.code == 403
    assert b"denied by the policy rule" in served.body


async def test_listing_says_what_the_policy_allows(jp_fetch: Any) -> None:
    page = json.loads((await jp_fetch("airlock", "artifacts", params={"prefix": "wheels/"})).body)
    verdicts = {entry["name"]: entry["policy"] for entry in page["entries"]}
    assert verdicts["airlock_a-1.0-py3-none-any.whl"] == {"allowed": True, "reason": None}
    assert verdicts["unrelated_1-1.0-py3-none-any.whl"]["allowed"] is False
    assert verdicts["SHA256SUMS"] is None


async def test_copies_larger_than_the_policy_allows_are_refused(
    jp_fetch: Any, jp_serverapp: Any, jp_root_dir: Path, tmp_path: Path
) -> None:
    body = json.dumps({"key": "wheels/airlock_a-1.0-py3-none-any.whl", "destination": "a.whl"})
    response = await jp_fetch("airlock", "artifacts", "copy", method="POST", body=body)
    job = await finished(jp_serverapp, jp_fetch, json.loads(response.body)["id"])
    assert job["state"] == "failed"
    assert "max_copy_bytes" in job["error"]["message"]
    assert not (jp_root_dir / "a.whl").exists()
    audit = [json.loads(line) for line in (tmp_path / "shared" / "audit.jsonl").open()]
    assert audit[-1]["action"] == "copy"
    assert audit[-1]["result"] == "failed"


async def test_a_denied_package_is_not_copied_into_the_workspace_either(
    jp_fetch: Any, jp_serverapp: Any, jp_root_dir: Path
) -> None:
    key = "wheels/unrelated_1-1.0-py3-none-any.whl"
    body = json.dumps({"key": key, "destination": "denied.whl"})
    response = await jp_fetch("airlock", "artifacts", "copy", method="POST", body=body)
    job = await finished(jp_serverapp, jp_fetch, json.loads(response.body)["id"])
    assert job["state"] == "failed"
    assert job["error"]["message"].startswith(f"{key} is not copied: ")
    assert "unrelated-1" in job["error"]["message"]
    assert not (jp_root_dir / "denied.whl").exists()


async def test_a_profile_with_a_source_the_policy_does_not_allow_cannot_be_browsed(
    jp_fetch: Any,
) -> None:
    own = {"name": "mine", "source": {"kind": "folder", "path": "/tmp"}}
    await jp_fetch("airlock", "profiles", "apply", method="POST", body=json.dumps({"profile": own}))
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch("airlock", "artifacts")
    assert refused.value.code == 403
    assert refused.value.response is not None
    assert b"allowed_sources" in refused.value.response.body


class TestABrokenPolicyFailsClosed:
    @pytest.fixture
    def policy_file(self, tmp_path: Path) -> str:
        path = tmp_path / "policy.yaml"
        path.write_text("allow: [airlock-a\n")
        return str(path)

    async def test_installs_and_copies_are_refused_naming_the_file(
        self, jp_fetch: Any, kernel: dict[str, Any], policy_file: str
    ) -> None:
        status = json.loads((await jp_fetch("airlock", "status")).body)
        assert policy_file in status["policy"]["broken"]
        for route, body in [
            (("install", "plan"), {"kernel": kernel["name"], "requirements": ["airlock-a"]}),
            (("artifacts", "copy"), {"key": "wheels/SHA256SUMS", "destination": "sums"}),
        ]:
            with pytest.raises(HTTPClientError) as refused:
                await jp_fetch("airlock", *route, method="POST", body=json.dumps(body))
            assert refused.value.code == 503
            assert refused.value.response is not None
            message = json.loads(refused.value.response.body)["message"]
            assert policy_file in message
            assert "line 2" in message


async def test_the_activity_route_lists_the_audit_trail_with_filters(
    jp_fetch: Any, kernel: dict[str, Any]
) -> None:
    await plan(jp_fetch, kernel["name"], requirements=["airlock-c"])
    own = {"name": "mine", "source": {"kind": "folder", "path": "/tmp"}}
    await jp_fetch("airlock", "profiles", "apply", method="POST", body=json.dumps({"profile": own}))
    activity = json.loads((await jp_fetch("airlock", "audit")).body)
    assert [record["action"] for record in activity["records"]] == ["profile-apply", "plan"]
    assert activity["actions"] == ["plan", "profile-apply"]
    only_plans = json.loads((await jp_fetch("airlock", "audit", params={"action": "plan"})).body)
    assert [record["action"] for record in only_plans["records"]] == ["plan"]
    assert only_plans["records"][0]["steps"] == ["airlock-c==1.0"]
