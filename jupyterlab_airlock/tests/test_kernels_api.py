"""Kernels from bundles through the REST API: a bundle folder in the mounted exchange
folder is recognised in the listing, and creating a kernel from it runs as a job that
leaves nothing behind when it cannot finish. (The whole creation, with a kernel that
imports the bundle's packages, is tested in test_kernel_create.py.)"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from jupyterlab_airlock.bundle.build import write_bundle
from jupyterlab_airlock.bundle_format.folder import parse_target

from .wheels import make_wheel

PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"


@pytest.fixture
def exchange(tmp_path: Path) -> Path:
    bundle = tmp_path / "exchange" / "bundles" / "analysis"
    bundle.mkdir(parents=True)
    make_wheel(bundle, "airlock-a", "1.0")
    write_bundle(bundle, "analysis", parse_target(["manylinux_2_17_x86_64"], PYTHON), ["airlock-a"])
    return tmp_path / "exchange"


@pytest.fixture
def airlock_config(exchange: Path) -> dict[str, Any]:
    source = {"kind": "folder", "path": str(exchange)}
    return {"profiles": [{"name": "exchange", "source": source}], "active_profile": "exchange"}


async def create(jp_fetch: Any, **body: str) -> Any:
    return await jp_fetch("airlock", "kernels", "create", method="POST", body=json.dumps(body))


async def test_a_bundle_folder_is_recognised_in_the_listing(jp_fetch: Any) -> None:
    response = await jp_fetch("airlock", "artifacts", params={"prefix": "bundles/analysis/"})
    page = json.loads(response.body)
    assert page["bundle"] == {
        "key": "bundles/analysis/",
        "name": "analysis",
        "python_version": PYTHON,
        "platform": "manylinux_2_17_x86_64",
        "requirements": ["airlock-a"],
        "files": 1,
    }
    kinds = {entry["name"]: entry["artifact"]["kind"] for entry in page["entries"]}
    assert kinds["bundle.json"] == "manifest"
    root = json.loads((await jp_fetch("airlock", "artifacts")).body)
    assert root["bundle"] is None


async def test_a_bundle_without_ipykernel_makes_no_kernel_and_leaves_nothing(
    jp_fetch: Any, jp_serverapp: Any, jp_data_dir: Path
) -> None:
    response = await create(jp_fetch, key="bundles/analysis/", name="analysis", display_name="A")
    assert response.code == 202
    job = await jp_serverapp.web_app.settings["airlock"].jobs.wait(json.loads(response.body)["id"])
    assert job.state == "failed"
    assert job.error is not None
    assert "ipykernel" in job.error["message"]
    assert not (jp_data_dir / "kernels" / "analysis").exists()
    audit = jp_serverapp.web_app.settings["airlock"].audit.read()
    assert (audit[-1]["action"], audit[-1]["result"]) == ("create-kernel", "failed")
    # The trail says why, in the words the user saw.
    assert (audit[-1]["code"], audit[-1]["reasons"]) == ("no-ipykernel", [job.error["message"]])


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"key": "bundles/analysis/", "name": "python3", "display_name": "P"}, 409, "already"),
        ({"key": "bundles/analysis/", "name": "Bad Name", "display_name": "B"}, 400, "lower-case"),
        ({"key": "bundles/analysis/bundle.json", "name": "x", "display_name": "X"}, 400, "neither"),
        ({"key": "envs/tools-env.zip", "name": "x", "display_name": "X"}, 400, "neither"),
        ({"key": "../outside/", "name": "x", "display_name": "X"}, 400, ".."),
    ],
)
async def test_bad_requests_are_refused_before_anything_starts(
    jp_fetch: Any, body: dict[str, str], status: int, words: str
) -> None:
    with pytest.raises(HTTPClientError) as refused:
        await create(jp_fetch, **body)
    assert refused.value.code == status
    assert refused.value.response is not None
    assert words in json.loads(refused.value.response.body)["message"]


def made_kernel(kernels: Path, envs: Path, name: str, metadata: dict[str, Any]) -> Path:
    """A kernelspec (with ``metadata``) and the environment folder it names."""
    prefix = envs / name
    (prefix / "bin").mkdir(parents=True)
    spec = kernels / name
    spec.mkdir(parents=True)
    argv = [str(prefix / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    body = {"argv": argv, "display_name": name, "language": "python", "metadata": metadata}
    (spec / "kernel.json").write_text(json.dumps(body))
    return prefix


async def test_a_kernel_airlock_made_is_removed_with_its_environment_and_audited(
    jp_fetch: Any, jp_serverapp: Any, jp_data_dir: Path
) -> None:
    airlock = jp_serverapp.web_app.settings["airlock"]
    envs = airlock.kernel_factory._envs_dir
    prefix = made_kernel(jp_data_dir / "kernels", envs, "made", {"airlock": {"bundle": "b"}})

    response = await jp_fetch("airlock", "kernels", "made", method="DELETE")

    assert response.code == 202
    job = await airlock.jobs.wait(json.loads(response.body)["id"])
    assert job.state == "succeeded", job.log
    assert not (jp_data_dir / "kernels" / "made").exists()
    assert not prefix.exists()
    record = airlock.audit.read()[-1]
    assert (record["action"], record["kernel"], record["result"]) == (
        "remove-kernel",
        "made",
        "succeeded",
    )


async def test_a_kernel_airlock_did_not_make_is_not_removed(
    jp_fetch: Any, jp_data_dir: Path, tmp_path: Path
) -> None:
    prefix = made_kernel(jp_data_dir / "kernels", tmp_path / "elsewhere", "theirs", {})

    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch("airlock", "kernels", "theirs", method="DELETE")

    assert refused.value.code == 409
    assert refused.value.response is not None
    assert "jupyter kernelspec remove theirs" in json.loads(refused.value.response.body)["message"]
    assert (jp_data_dir / "kernels" / "theirs" / "kernel.json").exists()
    assert prefix.exists()
