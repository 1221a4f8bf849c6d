"""The embedded demo: what `make demo` starts is real, reachable, verified and stops cleanly."""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tarfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import psutil
import pytest

from demo.content import (
    DEMO_AWS_ENV,
    DEMO_BUCKET,
    DEMO_BUNDLE,
    build_conda_package,
    build_sdists,
    demo_environment,
)
from demo.services import free_port
from jupyterlab_airlock.kinds import classify

ROOT = Path(__file__).resolve().parents[2]
SDISTS = [
    "sdists/airlock_demo_hello-1.0.0.tar.gz",
    "sdists/airlock_demo_legacy-0.9.0.tar.gz",
    "sdists/airlock_demo_stats-1.0.0.tar.gz",
    "sdists/airlock_demo_units-1.0.0.tar.gz",
]
CONDA_PACKAGE = "conda/noarch/airlock-demo-units-1.0.0-py_0.tar.bz2"


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port somebody else is listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def s3_client(endpoint_url: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=DEMO_AWS_ENV["AWS_DEFAULT_REGION"],
        aws_access_key_id=DEMO_AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DEMO_AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    )


def test_demo_bucket_and_mirror_are_real_and_ports_taken_are_replaced(
    tmp_path: Path, taken_port: int
) -> None:
    with demo_environment(tmp_path, s3_port=taken_port, pypi_port=taken_port) as env:
        assert f":{taken_port}" not in env.s3_url
        assert f":{taken_port}" not in env.pypi_url
        s3 = s3_client(env.s3_url)
        keys = {item["Key"] for item in s3.list_objects_v2(Bucket=DEMO_BUCKET)["Contents"]}
        assert {"wheels/SHA256SUMS", "wheels/manifest.json", "datasets/SHA256SUMS"} <= keys
        # The transfer bundle the demo builds as a DMZ would: its kernel can start.
        assert f"bundles/{DEMO_BUNDLE}/bundle.json" in keys
        assert any(key.startswith(f"bundles/{DEMO_BUNDLE}/ipykernel-") for key in keys)
        assert any(key.startswith("datasets/") and key.endswith(".csv") for key in keys)

        # Every wheel in the bucket matches the sums its folder's manifest gives.
        manifest = json.loads(
            s3.get_object(Bucket=DEMO_BUCKET, Key="wheels/manifest.json")["Body"].read()
        )
        wheels = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
        assert {name.split("-")[0] for name in wheels} == {
            "airlock_demo_legacy",  # denied by the demo's policy
            "airlock_demo_units",
            "airlock_demo_stats",
            "airlock_demo_hello",
        }
        for name, sha256 in wheels.items():
            body = s3.get_object(Bucket=DEMO_BUCKET, Key=f"wheels/{name}")["Body"].read()
            assert hashlib.sha256(body).hexdigest() == sha256

        # The sdists and the conda channel are there too, in the bucket and the exchange
        # folder alike, and the artifact browser tells them apart.
        assert {*SDISTS, "sdists/SHA256SUMS", "sdists/manifest.json"} <= keys
        assert {CONDA_PACKAGE, "conda/noarch/repodata.json", "conda/noarch/manifest.json"} <= keys
        assert {classify(key)["kind"] for key in SDISTS} == {"sdist"}
        conda_kind = classify(CONDA_PACKAGE)
        assert (conda_kind["kind"], conda_kind["subdir"]) == ("conda", "noarch")
        for folder in ("sdists", "conda/noarch"):
            manifest_body = s3.get_object(Bucket=DEMO_BUCKET, Key=f"{folder}/manifest.json")["Body"]
            exchanged = env.state_dir / "exchange" / folder / "manifest.json"
            assert exchanged.read_bytes() == manifest_body.read()

        def body(key: str) -> bytes:
            data: bytes = s3.get_object(Bucket=DEMO_BUCKET, Key=key)["Body"].read()
            return data

        with tarfile.open(fileobj=io.BytesIO(body(SDISTS[-1]))) as sdist:
            pkg_info = sdist.extractfile("airlock_demo_units-1.0.0/PKG-INFO")
            assert pkg_info is not None
            assert "Name: airlock-demo-units" in pkg_info.read().decode().splitlines()
        package = body(CONDA_PACKAGE)
        with tarfile.open(fileobj=io.BytesIO(package), mode="r:bz2") as conda:
            index_json = conda.extractfile("info/index.json")
            assert index_json is not None
            index = json.load(index_json)
            assert "site-packages/airlock_demo_units/__init__.py" in conda.getnames()
        assert (index["name"], index["subdir"]) == ("airlock-demo-units", "noarch")
        # The channel's repodata.json describes the very package next to it.
        repodata = json.loads(body("conda/noarch/repodata.json"))
        record = repodata["packages"][CONDA_PACKAGE.rpartition("/")[2]]
        assert record["sha256"] == hashlib.sha256(package).hexdigest()

        # A second start reuses them: same sources, nothing rebuilt.
        built = [env.state_dir / key for key in (*SDISTS, CONDA_PACKAGE)]
        stamps = [path.stat().st_mtime_ns for path in built]
        sdists = build_sdists(env.state_dir / "sdists")
        build_conda_package(sdists["airlock-demo-units"], env.state_dir / "conda" / "noarch")
        assert [path.stat().st_mtime_ns for path in built] == stamps

        # pip resolves the demo package and its dependency chain from the mirror alone.
        download = tmp_path / "download"
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-cache-dir", "--isolated",
             "--index-url", env.pypi_url, "--dest", str(download), "airlock-demo-hello"],
            check=True, capture_output=True,
        )  # fmt: skip
        assert sorted(path.name.split("-")[0] for path in download.iterdir()) == [
            "airlock_demo_hello",
            "airlock_demo_stats",
            "airlock_demo_units",
        ]
        processes = [service.process for service in env.services]

    assert all(process.poll() is not None for process in processes)


def test_launcher_serves_airlock_with_the_demo_profile_and_ctrl_c_leaves_nothing(
    tmp_path: Path,
) -> None:
    port = free_port()
    launcher = subprocess.Popen(
        [sys.executable, "-m", "demo", "--no-browser", "--port", str(port),
         "--state-dir", str(tmp_path), "--", "--IdentityProvider.token=demo-test"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "JUPYTER_CONFIG_PATH": ""},
    )  # fmt: skip
    try:
        assert launcher.stdout is not None
        for line in launcher.stdout:  # bounded by the demo's own readiness deadline
            if "Press Ctrl-C to stop." in line:
                break
        else:
            pytest.fail(f"the demo exited with {launcher.wait()} before it was ready")
        children = psutil.Process(launcher.pid).children(recursive=True)
        assert len(children) >= 3  # moto, pypiserver, JupyterLab

        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/airlock/status",
            headers={"Authorization": "token demo-test"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            status = json.load(response)
        assert status["active_profile"]["name"] == "demo"
        assert status["active_profile"]["source"]["bucket"] == DEMO_BUCKET

        launcher.send_signal(signal.SIGINT)
        assert launcher.wait(timeout=60) == 0
        _, alive = psutil.wait_procs(children, timeout=10)
        assert alive == []
    finally:
        if launcher.poll() is None:
            launcher.kill()
