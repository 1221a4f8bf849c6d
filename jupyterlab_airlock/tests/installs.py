"""Offline installs in tests: a moto bucket of wheels and conda packages the tests build,
a virtual environment with its kernelspec, and the REST calls of a plan and an install.

The fixtures ``install_bucket`` and ``kernel`` live in conftest.py; these are the helpers.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3

from demo.services import start_moto

from . import condapackages
from .wheels import make_wheel

BUCKET = "read-bucket"
CLOSURE = ("airlock_a", "airlock_b", "airlock_c")


def bucket_source(bucket: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "s3", "endpoint_url": bucket["url"], "bucket": BUCKET, "prefix": "approved/"}


def fill_bucket(folder: Path) -> Iterator[dict[str, Any]]:
    """A moto server whose bucket holds the test wheels and conda packages (a generator:
    the server stops when it is closed)."""
    wheels = [
        make_wheel(folder, "airlock-a", "1.0", ["airlock-b>=1"]),
        make_wheel(folder, "airlock-b", "1.0", ["airlock-c"]),
        make_wheel(folder, "airlock-b", "2.0", ["airlock-c"]),
        make_wheel(folder, "airlock-c", "1.0"),
        make_wheel(folder, "airlock-lonely", "1.0", ["airlock-absent>=1.26"]),
        # Three thousand modules: installing this one takes long enough to be cancelled.
        make_wheel(folder, "airlock-slow", "1.0", ["airlock-c"], modules=3000),
        make_wheel(folder, "airlock-new", "1.0", tag="cp312-cp312-manylinux_2_17_x86_64"),
        # Files no Linux kernel of these tests can use, alone or as a dependency.
        make_wheel(folder, "airlock-mac", "1.0", tag="py3-none-macosx_11_0_arm64"),
        make_wheel(folder, "airlock-glibc", "1.0", tag="py3-none-manylinux_2_99_x86_64"),
        make_wheel(folder, "airlock-needs-mac", "1.0", ["airlock-mac"]),
        make_wheel(folder, "airlock-d", "1.0", tag="py3-none-macosx_11_0_arm64"),
        make_wheel(folder, "airlock-d", "2.0"),
        *(make_wheel(folder, f"unrelated-{n}", "1.0") for n in range(30)),
    ]
    channel = folder / "conda"
    channel.mkdir()
    conda_packages = [
        condapackages.build(channel, "airlock-cx", "1.0", ["airlock-cy >=1"]),
        condapackages.build(channel, "airlock-cy", "1.0"),
    ]
    service = start_moto()
    s3 = boto3.client("s3", endpoint_url=service.url, region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip
    s3.create_bucket(Bucket=BUCKET)
    sums = {}
    for wheel in wheels:
        body = wheel.read_bytes()
        s3.put_object(Bucket=BUCKET, Key=f"approved/wheels/{wheel.name}", Body=body)
        sums[wheel.name] = hashlib.sha256(body).hexdigest()
    for package in conda_packages:
        s3.put_object(
            Bucket=BUCKET, Key=f"approved/conda/noarch/{package.name}", Body=package.read_bytes()
        )
    listing = "".join(f"{digest}  {name}\n" for name, digest in sums.items())
    s3.put_object(Bucket=BUCKET, Key="approved/wheels/SHA256SUMS", Body=listing)
    try:
        yield {"url": service.url, "s3": s3, "sums": sums}
    finally:
        service.stop()


def imports(python: Path, *modules: str) -> bool:
    code = "; ".join(f"import {module}" for module in modules)
    return subprocess.run([str(python), "-c", code], capture_output=True).returncode == 0


def version_of(python: Path, module: str) -> str:
    code = f"import {module}; print({module}.VERSION)"
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True).stdout.strip()


async def plan(jp_fetch: Any, kernel: str, **request: Any) -> dict[str, Any]:
    body = json.dumps({"kernel": kernel, **request})
    response = await jp_fetch("airlock", "install", "plan", method="POST", body=body)
    result: dict[str, Any] = json.loads(response.body)
    return result


async def start(jp_fetch: Any, plan_id: str) -> dict[str, Any]:
    body = json.dumps({"plan": plan_id})
    response = await jp_fetch("airlock", "install", method="POST", body=body)
    assert response.code == 202
    job: dict[str, Any] = json.loads(response.body)
    return job


async def finished(jp_serverapp: Any, jp_fetch: Any, job_id: str) -> dict[str, Any]:
    await jp_serverapp.web_app.settings["airlock"].jobs.wait(job_id)
    response = await jp_fetch("airlock", "jobs", job_id)
    job: dict[str, Any] = json.loads(response.body)
    return job


def cached_blobs(jp_serverapp: Any) -> set[str]:
    root = jp_serverapp.web_app.settings["airlock"].cache.root / "blobs"
    return {path.name for path in root.glob("*/*")}
