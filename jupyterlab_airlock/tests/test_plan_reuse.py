"""A plan for the same inputs is the same plan: uv resolves once, and again as soon as one
input changed (a package installed by hand in a terminal, a newer wheel in the bucket).

Real parts, as in test_install_api: moto's S3 with the test wheels, a virtual environment
with its kernelspec, the server's uv resolving and installing.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import pytest
from uv import find_uv_bin

from demo.content import DEMO_AWS_ENV
from jupyterlab_airlock.installer import resolution

from .installs import BUCKET, bucket_source, plan
from .wheels import make_wheel


@pytest.fixture
def airlock_config(bucket: dict[str, Any]) -> dict[str, Any]:
    return {"profiles": [{"name": "bucket", "source": bucket_source(bucket)}],
            "active_profile": "bucket"}  # fmt: skip


@pytest.fixture(autouse=True)
def credentials(jp_environ: None, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in DEMO_AWS_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def uv_resolutions(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Each uv dry run a plan starts."""
    started: list[list[str]] = []
    real = resolution.run

    async def counted(argv: list[str], **options: Any) -> Any:
        started.append(argv)
        return await real(argv, **options)

    monkeypatch.setattr(resolution, "run", counted)
    return started


def steps(planned: dict[str, Any]) -> dict[str, str]:
    assert planned["ok"], planned
    return {step["name"]: step["version"] for step in planned["steps"]}


async def test_the_same_plan_again_asks_uv_once_and_sees_an_install_by_hand(
    jp_fetch: Any, kernel: dict[str, Any], tmp_path: Path, uv_resolutions: list[list[str]]
) -> None:
    closure = {"airlock-a": "1.0", "airlock-b": "2.0", "airlock-c": "1.0"}
    assert steps(await plan(jp_fetch, kernel["name"], requirements=["airlock-a"])) == closure
    assert steps(await plan(jp_fetch, kernel["name"], requirements=["airlock-a"])) == closure
    assert len(uv_resolutions) == 1

    # airlock-c installed by hand in a terminal: the next plan no longer installs it.
    wheel = make_wheel(tmp_path, "airlock-c", "1.0")
    argv = [str(find_uv_bin()), "pip", "install", "--python", str(kernel["python"]),
            "--offline", "--no-index", str(wheel)]  # fmt: skip
    await asyncio.to_thread(subprocess.run, argv, check=True, capture_output=True)
    replanned = await plan(jp_fetch, kernel["name"], requirements=["airlock-a"])
    assert steps(replanned) == {"airlock-a": "1.0", "airlock-b": "2.0"}
    assert len(uv_resolutions) == 2


async def test_a_newer_wheel_in_the_next_look_at_the_bucket_is_planned(
    jp_fetch: Any,
    jp_serverapp: Any,
    kernel: dict[str, Any],
    bucket: dict[str, Any],
    tmp_path: Path,
    uv_resolutions: list[list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = await plan(jp_fetch, kernel["name"], requirements=["airlock-a"])
    assert steps(first)["airlock-a"] == "1.0"
    wheel = make_wheel(tmp_path, "airlock-a", "3.0", ["airlock-b>=1"])
    key = f"approved/wheels/{wheel.name}"
    bucket["s3"].put_object(Bucket=BUCKET, Key=key, Body=wheel.read_bytes())
    # The walk of the first plan has had its time: the next plan looks at the bucket again.
    monkeypatch.setattr(jp_serverapp.web_app.settings["airlock"].index, "_ttl", 0)
    try:
        second = await plan(jp_fetch, kernel["name"], requirements=["airlock-a"])
    finally:
        bucket["s3"].delete_object(Bucket=BUCKET, Key=key)
    assert steps(second)["airlock-a"] == "3.0"
    assert len(uv_resolutions) == 2


async def test_a_new_walk_that_finds_the_same_files_reuses_the_resolution(
    jp_fetch: Any,
    jp_serverapp: Any,
    kernel: dict[str, Any],
    uv_resolutions: list[list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(jp_serverapp.web_app.settings["airlock"].index, "_ttl", 0)
    first = await plan(jp_fetch, kernel["name"], requirements=["airlock-a"])
    second = await plan(jp_fetch, kernel["name"], requirements=["airlock-a"])
    assert steps(second) == steps(first)
    assert len(uv_resolutions) == 1
