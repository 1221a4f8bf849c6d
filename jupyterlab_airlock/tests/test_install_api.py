"""Offline installs through the REST API, with real parts: a moto S3 bucket of wheels the
tests build (airlock-a needs airlock-b needs airlock-c, beside thirty unrelated wheels), a
virtual environment per test with its kernelspec, and the server's pip installing into it.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPClientError
from uv import find_uv_bin

from demo.content import DEMO_AWS_ENV
from jupyterlab_airlock.conda.link import install
from jupyterlab_airlock.conda.solve import solve
from jupyterlab_airlock.installer.service import Installer
from jupyterlab_airlock.jobs import JobManager

from .installs import (
    BUCKET,
    CLOSURE,
    bucket_source,
    cached_blobs,
    finished,
    imports,
    plan,
    start,
    version_of,
)
from .wheels import make_wheel


@pytest.fixture
def airlock_config(bucket: dict[str, Any]) -> dict[str, Any]:
    source = bucket_source(bucket)
    profiles = [
        {"name": "bucket", "source": source},
        {"name": "bucket-index", "source": source, "index_from_source": True},
    ]
    return {"profiles": profiles, "active_profile": "bucket"}


@pytest.fixture(autouse=True)
def credentials(jp_environ: None, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in DEMO_AWS_ENV.items():
        monkeypatch.setenv(name, value)


async def test_install_brings_the_whole_closure_and_only_it(
    jp_fetch: Any, jp_serverapp: Any, kernel: dict[str, Any], bucket: dict[str, Any]
) -> None:
    planned = await plan(jp_fetch, kernel["name"], requirements=["airlock-a"])
    assert planned["ok"], planned
    steps = {step["name"]: step for step in planned["steps"]}
    assert set(steps) == {"airlock-a", "airlock-b", "airlock-c"}
    assert steps["airlock-b"]["version"] == "2.0"
    assert steps["airlock-a"]["requested"]
    assert not steps["airlock-c"]["requested"]
    assert steps["airlock-c"]["needed_by"] == ["airlock-b 2.0"]
    assert all(step["action"] == "install" and step["verified"] for step in steps.values())
    # The plan read metadata only: nothing was installed, no wheel was fetched whole.
    assert not imports(kernel["python"], "airlock_a")
    assert cached_blobs(jp_serverapp) == set()
    transfers = await _transfers(jp_fetch)
    assert (transfers["files"], transfers["bytes"]) == (0, 0)
    assert transfers["ranged_reads"] > 0

    job = await finished(jp_serverapp, jp_fetch, (await start(jp_fetch, planned["id"]))["id"])
    assert job["state"] == "succeeded", job["log"]
    assert imports(kernel["python"], *CLOSURE)
    closure = {bucket["sums"][name] for name in bucket["sums"] if name.startswith(CLOSURE)}
    closure -= {bucket["sums"]["airlock_b-1.0-py3-none-any.whl"]}
    assert cached_blobs(jp_serverapp) == closure
    # What crossed the network is the closure, whole, once: none of the unrelated wheels.
    cache = jp_serverapp.web_app.settings["airlock"].cache
    closure_bytes = sum(cache.path(sha256).stat().st_size for sha256 in closure)
    transfers = await _transfers(jp_fetch)
    assert (transfers["files"], transfers["bytes"]) == (3, closure_bytes)
    assert job["result"]["kernels"] == ["testenv"]
    assert {change["name"] for change in job["result"]["changes"]} == {
        "airlock-a",
        "airlock-b",
        "airlock-c",
    }
    audit = jp_serverapp.web_app.settings["airlock"].audit.read()
    assert [record["action"] for record in audit] == ["plan", "install"]
    assert audit[-1]["result"] == "succeeded"
    assert {file["sha256"] for file in audit[-1]["files"]} == closure


async def _transfers(jp_fetch: Any) -> dict[str, int]:
    response = await jp_fetch("airlock", "status")
    transfers: dict[str, int] = json.loads(response.body)["transfers"]
    return transfers


async def test_the_users_uv_and_pip_configuration_has_no_effect(
    jp_fetch: Any,
    jp_serverapp: Any,
    kernel: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Settings that would each change or break Airlock's runs if they were read: no
    # network (so no index), no dependencies, and indexes that do not answer.
    config = tmp_path / "config"
    (config / "uv").mkdir(parents=True)
    (config / "uv" / "uv.toml").write_text("offline = true\n[pip]\nno-deps = true\n")
    (config / "pip").mkdir()
    dead = "http://127.0.0.1:9/simple/"
    (config / "pip" / "pip.conf").write_text(f"[global]\nindex-url = {dead}\nno-deps = true\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    for name in ("UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"):
        monkeypatch.setenv(name, dead)
    monkeypatch.setenv("UV_NO_DEPS", "1")
    monkeypatch.setenv("PIP_NO_DEPS", "1")
    # The configuration is real: uv run by hand with it resolves nothing.
    index = jp_serverapp.web_app.settings["airlock"].index_address.url() + "simple/"
    by_hand = await run_async(
        str(find_uv_bin()), "pip", "install", "--dry-run", "--python", str(kernel["python"]),
        "--index-url", index, "airlock-a", env=dict(os.environ),
    )  # fmt: skip
    assert by_hand.returncode != 0, by_hand.stdout

    planned = await plan(jp_fetch, kernel["name"], requirements=["airlock-a"])
    assert planned["ok"], planned
    assert {step["name"] for step in planned["steps"]} == {"airlock-a", "airlock-b", "airlock-c"}
    job = await finished(jp_serverapp, jp_fetch, (await start(jp_fetch, planned["id"]))["id"])
    assert job["state"] == "succeeded", job["log"]
    assert imports(kernel["python"], *CLOSURE)


async def test_a_missing_dependency_is_named_and_nothing_changes(
    jp_fetch: Any, kernel: dict[str, Any]
) -> None:
    planned = await plan(jp_fetch, kernel["name"], requirements=["airlock-lonely"])
    assert not planned["ok"]
    assert planned["steps"] == []
    [missing] = planned["missing"]
    assert missing["message"] == (
        "airlock-absent>=1.26, needed by airlock-lonely, is not in the artifact source."
    )
    with pytest.raises(HTTPClientError) as refused:
        await start(jp_fetch, planned["id"])
    assert refused.value.code == 409
    assert not imports(kernel["python"], "airlock_lonely")


async def test_a_plan_sees_a_wheel_that_arrived_after_the_last_plan(
    jp_fetch: Any, kernel: dict[str, Any], bucket: dict[str, Any], tmp_path: Path
) -> None:
    """Plans reuse a recent walk of the bucket; one that misses a package walks again."""
    first = await plan(jp_fetch, kernel["name"], requirements=["airlock-late"])
    assert [missing["requirement"] for missing in first["missing"]] == ["airlock-late"]
    wheel = make_wheel(tmp_path, "airlock-late", "1.0")
    key = f"approved/wheels/{wheel.name}"
    bucket["s3"].put_object(Bucket=BUCKET, Key=key, Body=wheel.read_bytes())
    try:
        second = await plan(jp_fetch, kernel["name"], requirements=["airlock-late"])
    finally:
        bucket["s3"].delete_object(Bucket=BUCKET, Key=key)
    assert second["ok"], second
    assert [step["file"] for step in second["steps"]] == [wheel.name]


async def test_a_wheel_for_another_python_is_refused_in_the_plan(
    jp_fetch: Any, kernel: dict[str, Any]
) -> None:
    key = "wheels/airlock_new-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"
    planned = await plan(jp_fetch, kernel["name"], keys=[key])
    assert not planned["ok"]
    [refused] = planned["refused"]
    assert refused["item"] == key
    assert "3.12" in refused["message"]
    assert f"3.{sys.version_info[1]}" in refused["message"]


MAC_WHEEL = "airlock_mac-1.0-py3-none-macosx_11_0_arm64.whl"


@pytest.mark.parametrize(
    ("asked", "requirement", "needed_by", "file", "reason"),
    [
        (
            "airlock-new",
            "airlock-new",
            None,
            "airlock_new-1.0-cp312-cp312-manylinux_2_17_x86_64.whl",
            f"this wheel is for CPython 3.12, the kernel runs CPython 3.{sys.version_info[1]}",
        ),
        (
            "airlock-glibc",
            "airlock-glibc",
            None,
            "airlock_glibc-1.0-py3-none-manylinux_2_99_x86_64.whl",
            "needs glibc 2.99 (manylinux_2_99), the kernel has 2.",
        ),
        ("airlock-mac", "airlock-mac", None, MAC_WHEEL, "built for macOS, the kernel runs on"),
        (
            "airlock-needs-mac",
            "airlock-mac",
            "airlock-needs-mac",
            MAC_WHEEL,
            "built for macOS, the kernel runs on",
        ),
    ],
)
async def test_the_plan_names_the_files_it_could_not_use_and_why(
    jp_fetch: Any,
    kernel: dict[str, Any],
    asked: str,
    requirement: str,
    needed_by: str | None,
    file: str,
    reason: str,
) -> None:
    planned = await plan(jp_fetch, kernel["name"], requirements=[asked])
    assert not planned["ok"]
    assert planned["steps"] == []
    [missing] = planned["missing"]
    assert (missing["requirement"], missing["needed_by"]) == (requirement, needed_by)
    [unusable] = missing["unusable"]
    assert unusable["file"] == file
    assert unusable["reason"].startswith(reason)
    assert f"{file}: {reason}" in missing["message"]
    assert "the artifact source holds no file the kernel can use" in missing["message"]


async def test_a_selected_wheel_installs_with_its_dependencies(
    jp_fetch: Any, jp_serverapp: Any, kernel: dict[str, Any]
) -> None:
    planned = await plan(jp_fetch, kernel["name"], keys=["wheels/airlock_b-1.0-py3-none-any.whl"])
    assert planned["ok"], planned
    assert {(s["name"], s["version"]) for s in planned["steps"]} == {
        ("airlock-b", "1.0"),
        ("airlock-c", "1.0"),
    }
    job = await finished(jp_serverapp, jp_fetch, (await start(jp_fetch, planned["id"]))["id"])
    assert job["state"] == "succeeded", job["log"]
    assert version_of(kernel["python"], "airlock_b") == "1.0"


async def test_upgrade_then_roll_back(
    jp_fetch: Any, jp_serverapp: Any, kernel: dict[str, Any]
) -> None:
    first = await plan(jp_fetch, kernel["name"], requirements=["airlock-b==1.0"])
    await finished(jp_serverapp, jp_fetch, (await start(jp_fetch, first["id"]))["id"])
    upgrade = await plan(jp_fetch, kernel["name"], requirements=["airlock-a", "airlock-b>=2"])
    steps = {step["name"]: step for step in upgrade["steps"]}
    assert set(steps) == {"airlock-a", "airlock-b"}
    assert (steps["airlock-b"]["action"], steps["airlock-b"]["installed"]) == ("upgrade", "1.0")
    job = await finished(jp_serverapp, jp_fetch, (await start(jp_fetch, upgrade["id"]))["id"])
    assert version_of(kernel["python"], "airlock_b") == "2.0"

    body = json.dumps({"job": job["id"]})
    response = await jp_fetch("airlock", "install", "rollback", method="POST", body=body)
    assert response.code == 202
    rollback = await finished(jp_serverapp, jp_fetch, json.loads(response.body)["id"])
    assert rollback["state"] == "succeeded", rollback["log"]
    assert version_of(kernel["python"], "airlock_b") == "1.0"
    assert not imports(kernel["python"], "airlock_a")
    assert imports(kernel["python"], "airlock_c")
    undone = json.loads((await jp_fetch("airlock", "jobs", job["id"])).body)
    assert undone["result"]["can_roll_back"] is False
    assert undone["result"]["rolled_back"] is True  # the panel reads "rolled back"
    with pytest.raises(HTTPClientError) as twice:
        await jp_fetch("airlock", "install", "rollback", method="POST", body=body)
    assert twice.value.code == 409


async def test_cancel_mid_install_leaves_the_environment_as_it_was(
    jp_fetch: Any, jp_serverapp: Any, kernel: dict[str, Any]
) -> None:
    planned = await plan(jp_fetch, kernel["name"], requirements=["airlock-slow"])
    job = await start(jp_fetch, planned["id"])
    jobs = jp_serverapp.web_app.settings["airlock"].jobs
    await jobs.until(lambda: any(line.startswith("Installing") for line in jobs.get(job["id"]).log))
    response = await jp_fetch("airlock", "jobs", job["id"], method="DELETE")
    assert json.loads(response.body)["state"] == "cancelled"
    assert not imports(kernel["python"], "airlock_slow")
    assert not imports(kernel["python"], "airlock_c")
    # The environment takes a new install afterwards.
    again = await plan(jp_fetch, kernel["name"], requirements=["airlock-c"])
    done = await finished(jp_serverapp, jp_fetch, (await start(jp_fetch, again["id"]))["id"])
    assert done["state"] == "succeeded"


async def test_after_a_restart_an_interrupted_install_says_what_landed_and_rolls_back(
    jp_fetch: Any, jp_serverapp: Any, kernel: dict[str, Any]
) -> None:
    airlock = jp_serverapp.web_app.settings["airlock"]
    planned = await plan(jp_fetch, kernel["name"], requirements=["airlock-slow"])
    job = await start(jp_fetch, planned["id"])
    jobs = airlock.jobs
    await jobs.until(lambda: any(line.startswith("Installing") for line in jobs.get(job["id"]).log))
    # What the disk holds when the server dies now: a running job with the plan's pins.
    record = jobs._dir / f"{job['id']}.json"
    left = json.loads(record.read_text())
    assert left["state"] == "running"
    assert {f["name"] for f in left["resume"]["files"]} == {"airlock-slow", "airlock-c"}
    await jp_fetch("airlock", "jobs", job["id"], method="DELETE")
    # Part of the plan landed before the server died: airlock-c, not airlock-slow.
    part = await plan(jp_fetch, kernel["name"], requirements=["airlock-c"])
    await finished(jp_serverapp, jp_fetch, (await start(jp_fetch, part["id"]))["id"])
    record.write_text(json.dumps(left))

    # The restart: new jobs and installer over the same state.
    restarted = JobManager(jobs._dir, audit=airlock.audit)
    assert restarted.get(job["id"]).state == "interrupted"
    installer = Installer(
        jp_serverapp.web_app.settings["kernel_spec_manager"],
        airlock.index,
        airlock.index_address,
        airlock.cache,
        restarted,
        airlock.audit,
        Path(jp_serverapp.web_app.settings["server_root_dir"]),
        airlock.policy,
    )
    await installer.reconcile()
    settled = restarted.get(job["id"])
    assert settled.state == "interrupted"
    assert settled.log[-1] == (
        "After the restart: 1 of 2 planned package(s) are in Test env; not installed: "
        "airlock-slow 1.0. Roll back puts the environment back as it was before this install."
    )
    assert settled.result is not None
    assert [(c["name"], c["action"]) for c in settled.result["changes"]] == [
        ("airlock-c", "install")
    ]
    assert settled.result["can_roll_back"]
    assert not await asyncio.to_thread(os.path.exists, left["resume"]["staging"])

    rollback = await installer.rollback(job["id"])
    assert (await restarted.wait(rollback.id)).state == "succeeded"
    assert not imports(kernel["python"], "airlock_c")
    assert restarted.get(job["id"]).result["can_roll_back"] is False


async def test_two_installs_into_one_environment_wait_in_line(
    jp_fetch: Any, jp_serverapp: Any, kernel: dict[str, Any]
) -> None:
    slow = await plan(jp_fetch, kernel["name"], requirements=["airlock-slow"])
    other = await plan(jp_fetch, kernel["name"], requirements=["unrelated-3"])
    first = await start(jp_fetch, slow["id"])
    second = await start(jp_fetch, other["id"])
    jobs = jp_serverapp.web_app.settings["airlock"].jobs
    pairs = []

    def second_finished() -> bool:
        pairs.append((jobs.get(first["id"]).state, jobs.get(second["id"]).state))
        return pairs[-1][1] in ("succeeded", "failed", "cancelled")

    await jobs.until(second_finished)
    assert ("running", "running") not in pairs
    assert ("running", "queued") in pairs
    assert pairs[-1] == ("succeeded", "succeeded")
    assert imports(kernel["python"], "airlock_slow", "unrelated_3")


@pytest.fixture
def other_env(tmp_path: Path, jp_data_dir: Path, kernel: dict[str, Any]) -> Path:
    """Another user's venv with its kernelspec 'otherenv', and a second kernelspec
    'sameenv' running the interpreter of the kernel 'testenv'."""
    other = tmp_path / "other-env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(other)], check=True)
    for name, python in [("otherenv", other / "bin" / "python"), ("sameenv", kernel["python"])]:
        spec = jp_data_dir / "kernels" / name
        spec.mkdir(parents=True)
        argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        spec.joinpath("kernel.json").write_text(
            json.dumps({"argv": argv, "display_name": name, "language": "python"})
        )
    return other


async def test_installs_into_two_environments_run_at_once_and_both_are_whole(
    jp_fetch: Any, jp_serverapp: Any, kernel: dict[str, Any], other_env: Path
) -> None:
    """Another user's kernel has an environment of its own: its install does not wait for
    this one, and each job names only the kernels of its own environment."""
    other = other_env
    slow = await plan(jp_fetch, kernel["name"], requirements=["airlock-slow"])
    closure = await plan(jp_fetch, "otherenv", requirements=["airlock-a"])
    first = await start(jp_fetch, slow["id"])
    second = await start(jp_fetch, closure["id"])
    jobs = jp_serverapp.web_app.settings["airlock"].jobs
    states = []

    def both_finished() -> bool:
        states.append((jobs.get(first["id"]).state, jobs.get(second["id"]).state))
        return all(state in ("succeeded", "failed", "cancelled") for state in states[-1])

    await jobs.until(both_finished)
    assert ("running", "running") in states
    assert states[-1] == ("succeeded", "succeeded")
    assert imports(kernel["python"], "airlock_slow")
    assert not imports(kernel["python"], "airlock_a")
    assert imports(other / "bin" / "python", *CLOSURE)
    assert jobs.get(first["id"]).result["kernels"] == ["sameenv", "testenv"]
    assert jobs.get(second["id"]).result["kernels"] == ["otherenv"]


async def test_bad_requests_are_refused_with_a_message(
    jp_fetch: Any, kernel: dict[str, Any]
) -> None:
    for body, words in [
        ({"kernel": kernel["name"], "requirements": ["--index-url=http://evil/"]}, "option"),
        ({"kernel": kernel["name"], "requirements": ["x @ http://evil/x.whl"]}, "URL"),
        ({"kernel": kernel["name"], "requirements": ["not a requirement!"]}, "pandas>=2"),
        ({"kernel": kernel["name"], "paths": ["../outside.whl"]}, "workspace"),
        ({"kernel": kernel["name"]}, "Nothing to install"),
        ({"kernel": "nope", "requirements": ["airlock-a"]}, "no kernel named"),
    ]:
        with pytest.raises(HTTPClientError) as refused:
            await jp_fetch("airlock", "install", "plan", method="POST", body=json.dumps(body))
        assert 400 <= refused.value.code < 500
        assert refused.value.response is not None
        assert words in json.loads(refused.value.response.body)["message"]


CONDA_KEY = "conda/noarch/airlock-cx-1.0-0.tar.bz2"


async def test_conda_packages_install_into_a_conda_environment_with_their_dependencies(
    jp_fetch: Any, jp_serverapp: Any, kernel: dict[str, Any]
) -> None:
    # The kernel's environment is a virtual environment made a conda prefix by giving it
    # conda-meta/: no conda Python can be installed here, offline. The packages are
    # noarch generic ones, linked by py-rattler.
    (kernel["prefix"] / "conda-meta").mkdir()
    planned = await plan(jp_fetch, kernel["name"], keys=[CONDA_KEY])
    assert planned["ok"], planned
    steps = {step["name"]: step for step in planned["steps"]}
    assert set(steps) == {"airlock-cx", "airlock-cy"}
    assert steps["airlock-cy"]["kind"] == "conda"
    assert steps["airlock-cy"]["needed_by"] == ["airlock-cx 1.0"]
    assert not (kernel["prefix"] / "share" / "airlock-cx").exists()

    job = await finished(jp_serverapp, jp_fetch, (await start(jp_fetch, planned["id"]))["id"])
    assert job["state"] == "succeeded", job["log"]
    for name in ("airlock-cx", "airlock-cy"):
        assert (kernel["prefix"] / "share" / name / "VERSION").read_text() == "1.0\n"
        assert list((kernel["prefix"] / "conda-meta").glob(f"{name}-1.0-0.json"))


async def test_conda_packages_are_refused_for_a_virtual_environment(
    jp_fetch: Any, kernel: dict[str, Any]
) -> None:
    planned = await plan(jp_fetch, kernel["name"], keys=[CONDA_KEY])
    [refused] = planned["refused"]
    assert "is a conda package" in refused["message"]
    assert "venv environment" in refused["message"]


async def run_async(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A program run without blocking the loop the Jupyter server answers on."""
    process = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await process.communicate()
    return subprocess.CompletedProcess(argv, process.returncode or 0, output.decode(), "")


async def test_plain_pip_install_works_against_the_bucket_after_a_profile_switch(
    jp_fetch: Any, jp_serverapp: Any, jp_home_dir: Path, tmp_path: Path, bucket: dict[str, Any]
) -> None:
    body = json.dumps({"name": "bucket-index"})
    await jp_fetch("airlock", "profiles", "apply", method="POST", body=body)
    secret = jp_serverapp.web_app.settings["airlock"].index_address.secret
    pip_conf = jp_home_dir / ".config" / "pip" / "pip.conf"
    assert f"airlock:{secret}@127.0.0.1:{jp_serverapp.port}/" in pip_conf.read_text()
    assert "/airlock/index/simple/" in pip_conf.read_text()
    assert pip_conf.stat().st_mode & 0o077 == 0  # the secret is the user's alone
    condarc = (jp_home_dir / ".condarc").read_text()
    assert f"airlock:{secret}@127.0.0.1:{jp_serverapp.port}/" in condarc
    assert "/airlock/index/conda" in condarc
    assert (jp_home_dir / ".condarc").stat().st_mode & 0o077 == 0
    effective = await jp_fetch("airlock", "profiles", "effective")
    assert secret.encode() not in effective.body

    # A fresh environment whose pip has nothing but the config the switch wrote.
    prefix = tmp_path / "plain"
    env = {
        "HOME": str(jp_home_dir),
        "PATH": os.environ["PATH"],
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    made = await run_async(sys.executable, "-m", "venv", str(prefix), env=env)
    assert made.returncode == 0, made.stdout
    pip = await run_async(
        str(prefix / "bin" / "python"), "-m", "pip", "install", "airlock-a", env=env
    )
    assert pip.returncode == 0, pip.stdout
    assert imports(prefix / "bin" / "python", *CLOSURE)
    closure = {bucket["sums"][name] for name in bucket["sums"] if name.startswith(CLOSURE)}
    closure -= {bucket["sums"]["airlock_b-1.0-py3-none-any.whl"]}
    assert cached_blobs(jp_serverapp) == closure  # only the closure left the bucket


async def test_checking_the_bucket_index_profile_probes_the_index_pip_uses(
    jp_fetch: Any, jp_serverapp: Any
) -> None:
    await jp_fetch("airlock", "profiles", "apply", method="POST", body='{"name": "bucket-index"}')

    response = await jp_fetch("airlock", "profiles", "check", method="POST", body="{}")

    results = {result["endpoint"]: result for result in json.loads(response.body)["results"]}
    assert "/airlock/index/simple/" in results["pip index"]["url"]
    assert results["pip index"]["ok"], results["pip index"]
    [conda] = [result for name, result in results.items() if name.startswith("conda channel")]
    assert "/airlock/index/conda" in conda["url"]
    assert results["artifact source"]["ok"]
    secret = jp_serverapp.web_app.settings["airlock"].index_address.secret
    assert secret.encode() not in response.body


async def test_the_bucket_is_a_conda_channel_py_rattler_installs_from(
    jp_fetch: Any, jp_serverapp: Any, tmp_path: Path
) -> None:
    secret = jp_serverapp.web_app.settings["airlock"].index_address.secret
    channel_url = jp_serverapp.web_app.settings["airlock"].index_address.url() + "conda"
    client = AsyncHTTPClient()
    channel = tmp_path / "channel"
    (channel / "noarch").mkdir(parents=True)
    repodata = await client.fetch(f"{channel_url}/noarch/repodata.json")
    (channel / "noarch" / "repodata.json").write_bytes(repodata.body)
    empty = json.loads((await client.fetch(f"{channel_url}/linux-64/repodata.json")).body)
    assert empty["packages"] == {}

    prefix = tmp_path / "conda-env"
    (prefix / "conda-meta").mkdir(parents=True)
    solution = await solve(channel, ["airlock-cx"], prefix, "linux-64")
    assert [step.name for step in solution.steps] == ["airlock-cy", "airlock-cx"]
    for record in solution.to_fetch:
        package = await client.fetch(f"{channel_url}/{record.path}")
        (channel / record.path).write_bytes(package.body)
    await install(solution, channel, prefix, lambda line: None, cache_dir=tmp_path / "pkgs")
    assert (prefix / "share" / "airlock-cx" / "VERSION").read_text() == "1.0\n"
    refused = await client.fetch(
        f"{channel_url.replace(secret, '0' * 64)}/noarch/repodata.json", raise_error=False
    )
    assert refused.code == 401
