"""``%pip install`` in the kernels Airlock makes: a kernel made from a bundle has pip (from
its Python's own ensurepip, offline), and that pip installs a package of the read bucket
through the index the active profile gives it (the bucket, served by this server), with
real parts: moto's S3, a bundle of a real wheel, a real venv and pip."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from demo.content import DEMO_AWS_ENV
from jupyterlab_airlock.bundle.build import write_bundle
from jupyterlab_airlock.bundle_format.folder import parse_target
from jupyterlab_airlock.jobs import Job, JobContext
from jupyterlab_airlock.kernels.create import NewKernel, create_kernel_from_bundle
from jupyterlab_airlock.processes import run

from .installs import CLOSURE, bucket_source, imports
from .wheels import make_wheel

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


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


async def test_pip_install_in_a_kernel_from_a_bundle_installs_from_the_bucket(
    jp_fetch: Any, jp_home_dir: Path, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    make_wheel(bundle, "airlock-tool", "1.0")
    target = parse_target(["manylinux_2_17_x86_64"], PYTHON)
    write_bundle(bundle, "tools", target, ["airlock-tool"])
    log: list[str] = []
    record = Job(id="test", kind="create-kernel", title="Create a kernel", queue="kernels")
    context = JobContext(record, lambda saved: log.extend(saved.log[len(log) :]))
    result = await create_kernel_from_bundle(
        bundle,
        NewKernel(
            "tools", "Tools", tmp_path / "kernels", tmp_path / "envs", require_ipykernel=False
        ),
        context,
    )
    python = result["python"]
    assert any("ensurepip" in line for line in log), log
    body = json.dumps({"name": "bucket-index"})
    await jp_fetch("airlock", "profiles", "apply", method="POST", body=body)
    # What a kernel started now gets: the user's HOME, with the config the switch wrote.
    env = {"HOME": str(jp_home_dir), "PATH": os.environ["PATH"]}

    version = await run([python, "-m", "pip", "--version"], timeout=60, env=env)
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("pip ")
    assert not imports(Path(python), *CLOSURE)
    installed = await run(
        [python, "-m", "pip", "install", "--disable-pip-version-check", "airlock-a"],
        timeout=300,
        env=env,
    )

    assert installed.returncode == 0, installed.stdout + installed.stderr
    # Through the bucket served by this server (the airlock-* packages exist nowhere else).
    assert "/airlock/index/simple" in installed.stdout
    assert imports(Path(python), "airlock_tool", *CLOSURE)
