"""From "missing" to delivered, end to end on loopback with real parts: a plan in the air gap
(a folder source, a venv kernel) that lacks a package writes a DMZ request; `jupyter
airlock bundle --from-request`, run as a user runs it against pypiserver, fills it; the
bundle copied into the source makes the same plan succeed and the install land.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from tornado.httpclient import HTTPClientError
from uv import find_uv_bin

from demo.content import DEMO_AWS_ENV
from demo.services import start_moto, start_pypiserver
from jupyterlab_airlock.audit import AuditLog
from jupyterlab_airlock.errors import AirlockError
from jupyterlab_airlock.installer.dmz_request import write_request
from jupyterlab_airlock.installer.plan import Plan
from jupyterlab_airlock.trust.policy import load_policy

from .installs import finished, imports, plan, start, version_of
from .test_bundle import airlock, leftovers, one_line_error
from .wheels import make_wheel

NATIVE = "manylinux_2_17_x86_64"


@pytest.fixture(scope="module")
def dmz_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The DMZ's index: what the air gap lacks, and more than it needs."""
    folder = tmp_path_factory.mktemp("dmz-index")
    make_wheel(folder, "airlock-asks", "1.0", ["airlock-needed>=1,<3"])
    make_wheel(folder, "airlock-needed", "1.0")
    make_wheel(folder, "airlock-needed", "2.0", ["airlock-deep"])
    make_wheel(folder, "airlock-needed", "3.0", ["airlock-deep"])
    make_wheel(folder, "airlock-deep", "1.0")
    make_wheel(folder, "airlock-deep", "2.0")
    make_wheel(folder, "airlock-native", "1.0", tag=f"cp311-cp311-{NATIVE}")
    make_wheel(folder, "airlock-native", "1.0", tag=f"cp312-cp312-{NATIVE}")
    make_wheel(folder, "airlock-only312", "1.0", tag=f"cp312-cp312-{NATIVE}")
    make_wheel(folder, "airlock-wants-new", "1.0", ["airlock-deep>=2"])
    service = start_pypiserver(folder)
    try:
        yield service.url
    finally:
        service.stop()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """The air gap's read side, a folder: it holds airlock-asks, not what it needs."""
    folder = tmp_path / "read-side"
    (folder / "wheels").mkdir(parents=True)
    make_wheel(folder / "wheels", "airlock-asks", "1.0", ["airlock-needed>=1,<3"])
    return folder


@pytest.fixture
def requests_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "to-dmz"
    folder.mkdir()
    return folder


@pytest.fixture
def airlock_config(source: Path, requests_folder: Path) -> dict[str, Any]:
    profile = {"name": "gap", "source": {"kind": "folder", "path": str(source)}}
    return {
        "profiles": [profile],
        "active_profile": "gap",
        "request_location": str(requests_folder),
    }


def preinstall(python: Path, index_folder: Path, *requirements: str) -> None:
    """What the kernel already has, installed by uv from wheels of the test's own."""
    subprocess.run(
        [find_uv_bin(), "pip", "install", "--python", str(python), "--no-index",
         "--find-links", str(index_folder), *requirements],
        check=True, capture_output=True, env={"UV_NO_CONFIG": "1", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip


async def ask_dmz(jp_fetch: Any, plan_id: str) -> dict[str, Any]:
    body = json.dumps({"plan": plan_id})
    response = await jp_fetch("airlock", "requests", method="POST", body=body)
    answer: dict[str, Any] = json.loads(response.body)
    return answer


def audit_records(jp_serverapp: Any) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = jp_serverapp.web_app.settings["airlock"].audit.read()
    return records


async def test_a_request_is_filled_in_the_dmz_and_the_same_plan_then_installs(
    jp_fetch: Any,
    jp_serverapp: Any,
    kernel: dict[str, Any],
    source: Path,
    requests_folder: Path,
    dmz_index: str,
    tmp_path: Path,
) -> None:
    wheels = tmp_path / "kernel-has"
    wheels.mkdir()
    make_wheel(wheels, "airlock-deep", "1.0")
    preinstall(kernel["python"], wheels, "airlock-deep==1.0")

    # In the air gap: the plan lacks airlock-needed, and asks the DMZ for it.
    first = await plan(jp_fetch, kernel["name"], requirements=["airlock-asks"])
    assert not first["ok"]
    assert [m["requirement"] for m in first["missing"]] == ["airlock-needed>=1,<3"]
    answer = await ask_dmz(jp_fetch, first["id"])
    request = answer["document"]
    assert request["requested"] == ["airlock-asks"]
    assert request["missing"] == [
        {"requirement": "airlock-needed>=1,<3", "needed_by": "airlock-asks"}
    ]
    assert request["constraints"] == ["airlock-deep==1.0"]
    target = request["target"]
    assert target["python_version"] == "3.11"
    assert (target["implementation"], target["abi"]) == ("cp", "cp311")
    assert target["glibc"]
    assert NATIVE in target["platforms"]
    assert target["conda_subdir"] == "linux-64"
    stored = requests_folder / answer["file_name"]
    assert answer["stored"] == str(stored)
    assert json.loads(stored.read_text()) == request
    assert answer["command"] == (
        f"jupyter airlock bundle dmz-bundle-{answer['id'][:8]} --from-request {answer['file_name']}"
    )

    # In the DMZ: the one command, pointed at the DMZ's index.
    dmz = tmp_path / "dmz"
    dmz.mkdir()
    shutil.copy(stored, dmz / answer["file_name"])
    out = dmz / f"dmz-bundle-{answer['id'][:8]}"
    made = airlock("bundle", out, "--from-request", dmz / answer["file_name"],
                   "--index-url", dmz_index)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "checked offline" in made.stdout
    described = json.loads((out / "bundle.json").read_text())
    assert described["request"] == answer["id"]
    # The closure within the kernel's versions: airlock-deep stays at what the kernel has.
    assert {(p["name"], p["version"]) for p in described["packages"]} == {
        ("airlock-asks", "1.0"),
        ("airlock-needed", "2.0"),
        ("airlock-deep", "1.0"),
    }

    # Back in the air gap, once the bundle passed into the read side.
    shutil.copytree(out, source / "bundles" / out.name)
    second = await plan(jp_fetch, kernel["name"], requirements=["airlock-asks"])
    assert second["ok"], second
    assert {s["name"]: s["version"] for s in second["steps"]} == {
        "airlock-asks": "1.0",
        "airlock-needed": "2.0",
    }
    [delivery] = second["delivered"]
    assert delivery["request"] == answer["id"]
    assert delivery["bundle"] == f"bundles/{out.name}/"
    job = await finished(jp_serverapp, jp_fetch, (await start(jp_fetch, second["id"]))["id"])
    assert job["state"] == "succeeded", job["log"]
    assert imports(kernel["python"], "airlock_asks", "airlock_needed")
    assert version_of(kernel["python"], "airlock_needed") == "2.0"
    assert version_of(kernel["python"], "airlock_deep") == "1.0"

    # The request's life in the audit trail: asked, delivered (seen by a plan), installed.
    records = audit_records(jp_serverapp)
    [asked] = [r for r in records if r["action"] == "dmz-request"]
    assert (asked["dmz_request"], asked["result"]) == (answer["id"], "ok")
    assert asked["missing"] == ["airlock-needed>=1,<3"]
    assert asked["stored"] == str(stored)
    [delivered] = [r for r in records if r["action"] == "plan" and r.get("dmz_requests")]
    assert delivered["dmz_requests"] == [answer["id"]]
    [installed] = [r for r in records if r["action"] == "install"]
    assert (installed["dmz_requests"], installed["result"]) == ([answer["id"]], "succeeded")


async def test_a_request_for_python_3_11_never_brings_a_cp312_wheel(
    jp_fetch: Any, kernel: dict[str, Any], dmz_index: str, tmp_path: Path
) -> None:
    planned = await plan(jp_fetch, kernel["name"], requirements=["airlock-native"])
    answer = await ask_dmz(jp_fetch, planned["id"])
    file = tmp_path / answer["file_name"]
    file.write_text(json.dumps(answer["document"]))
    made = airlock("bundle", tmp_path / "native", "--from-request", file, "--index-url", dmz_index)
    assert made.returncode == 0, made.stderr
    wheels = {path.name for path in (tmp_path / "native").glob("*.whl")}
    assert wheels == {f"airlock_native-1.0-cp311-cp311-{NATIVE}.whl"}

    planned = await plan(jp_fetch, kernel["name"], requirements=["airlock-only312"])
    answer = await ask_dmz(jp_fetch, planned["id"])
    file.write_text(json.dumps(answer["document"]))
    refused = airlock("bundle", tmp_path / "only312", "--from-request", file,
                      "--index-url", dmz_index)  # fmt: skip
    assert refused.returncode == 1
    error = one_line_error(refused.stderr)
    assert f"request {answer['id'][:8]}" in error
    assert "airlock-only312 has no wheel for" in error
    assert "CPython 3.11" in error
    assert not (tmp_path / "only312").exists()
    assert leftovers(tmp_path) == []


async def test_a_request_whose_constraints_conflict_is_refused_with_a_plain_reason(
    jp_fetch: Any, kernel: dict[str, Any], dmz_index: str, tmp_path: Path
) -> None:
    wheels = tmp_path / "kernel-has"
    wheels.mkdir()
    make_wheel(wheels, "airlock-deep", "1.0")
    preinstall(kernel["python"], wheels, "airlock-deep==1.0")
    planned = await plan(jp_fetch, kernel["name"], requirements=["airlock-wants-new"])
    answer = await ask_dmz(jp_fetch, planned["id"])
    assert answer["document"]["constraints"] == ["airlock-deep==1.0"]
    file = tmp_path / answer["file_name"]
    file.write_text(json.dumps(answer["document"]))
    refused = airlock("bundle", tmp_path / "out", "--from-request", file, "--index-url", dmz_index)
    assert refused.returncode == 1
    error = one_line_error(refused.stderr)
    assert "airlock-wants-new 1.0 depends on airlock-deep>=2" in error
    assert "the kernel has airlock-deep 1.0" in error
    assert not (tmp_path / "out").exists()
    assert leftovers(tmp_path) == []

    # A requirement that excludes the kernel's own version: said before any download.
    document = answer["document"] | {
        "missing": [{"requirement": "airlock-deep>=2", "needed_by": "airlock-wants-new"}]
    }
    file.write_text(json.dumps(document))
    refused = airlock("bundle", tmp_path / "out", "--from-request", file,
                      "--index-url", "http://127.0.0.1:9/simple/")  # fmt: skip
    assert refused.returncode == 1
    assert (
        "airlock-deep>=2, needed by airlock-wants-new, excludes airlock-deep 1.0, which the "
        "kernel has" in one_line_error(refused.stderr)
    )
    assert not (tmp_path / "out").exists()


async def test_only_a_plan_that_lacks_something_makes_a_request(
    jp_fetch: Any,
    jp_serverapp: Any,
    kernel: dict[str, Any],
    source: Path,
    requests_folder: Path,
) -> None:
    make_wheel(source / "wheels", "airlock-alone", "1.0")
    whole = await plan(jp_fetch, kernel["name"], requirements=["airlock-alone"])
    assert whole["ok"]
    for plan_id, status in ((whole["id"], 409), ("0" * 32, 404)):
        with pytest.raises(HTTPClientError) as refused:
            await ask_dmz(jp_fetch, plan_id)
        assert refused.value.code == status
    # A package the source does not hold at all: the request names it, needed by no one.
    lacking = await plan(jp_fetch, kernel["name"], requirements=["airlock-nowhere>=2"])
    answer = await ask_dmz(jp_fetch, lacking["id"])
    assert answer["document"]["requested"] == ["airlock-nowhere>=2"]
    assert answer["document"]["missing"] == [
        {"requirement": "airlock-nowhere>=2", "needed_by": None}
    ]
    assert await asyncio.to_thread(os.listdir, requests_folder) == [answer["file_name"]]
    asked = [r for r in audit_records(jp_serverapp) if r["action"] == "dmz-request"]
    assert [r["dmz_request"] for r in asked] == [answer["id"]]


@pytest.fixture
def write_bucket() -> Iterator[str]:
    service = start_moto()
    try:
        yield service.url
    finally:
        service.stop()


class TestS3Location:
    @pytest.fixture
    def airlock_config(self, source: Path, write_bucket: str) -> dict[str, Any]:
        profile = {"name": "gap", "source": {"kind": "folder", "path": str(source)}}
        return {
            "profiles": [profile],
            "active_profile": "gap",
            "request_location": "s3://to-dmz/requests/",
            "request_endpoint_url": write_bucket,
        }

    async def test_a_request_goes_to_the_bucket_or_says_why_not(
        self,
        jp_fetch: Any,
        jp_serverapp: Any,
        kernel: dict[str, Any],
        write_bucket: str,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        for name, value in DEMO_AWS_ENV.items():
            monkeypatch.setenv(name, value)
        planned = await plan(jp_fetch, kernel["name"], requirements=["airlock-asks"])
        # No bucket yet: the user still gets the request, and why it is not stored.
        answer = await ask_dmz(jp_fetch, planned["id"])
        assert answer["stored"] is None
        assert "there is no bucket 'to-dmz'" in answer["problem"]
        assert answer["document"]["missing"][0]["requirement"] == "airlock-needed>=1,<3"
        assert audit_records(jp_serverapp)[-1]["result"] == "not stored"

        s3 = boto3.client("s3", endpoint_url=write_bucket, region_name="us-east-1")
        s3.create_bucket(Bucket="to-dmz")
        answer = await ask_dmz(jp_fetch, planned["id"])
        key = f"requests/{answer['file_name']}"
        assert answer["stored"] == f"s3://to-dmz/{key}"
        assert answer["problem"] is None
        body = s3.get_object(Bucket="to-dmz", Key=key)["Body"].read()
        assert json.loads(body) == answer["document"]


async def test_the_dmz_is_never_asked_for_what_the_policy_keeps_out(
    kernel: dict[str, Any], requests_folder: Path, tmp_path: Path
) -> None:
    """A plan never lacks what the policy refuses (it says "refused"), but what was
    asked beside what is missing is checked too: the core, with the kernel's interpreter."""
    lacking = Plan(
        kernel=kernel["name"],
        display_name="Test env",
        python=str(kernel["python"]),
        environment={"prefix": str(kernel["prefix"]), "kind": "venv", "python_version": "3.11"},
        packages_before={},
        missing=[{"requirement": "airlock-needed>=1", "needed_by": "airlock-asks", "message": ""}],
        requested=["airlock-asks", "airlock-denied>=2"],
    )
    audit = AuditLog(tmp_path / "audit.jsonl")
    with pytest.raises(AirlockError) as refused:
        await write_request(
            lacking,
            user="ada",
            audit=audit,
            policy=load_policy({"deny": ["airlock-denied"]}, ""),
            location=str(requests_folder),
        )
    assert refused.value.status == 403
    assert refused.value.message.startswith("airlock-denied>=2: ")
    assert await asyncio.to_thread(os.listdir, requests_folder) == []
    assert audit.read() == []
