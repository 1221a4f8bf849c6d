"""A conda kernel's request, end to end on loopback: a conda plan (py-rattler against the
exchange folder's channel) lacks airlock-b; the request carries the kernel's conda
platform, virtual packages and records, and the DMZ's channel (a folder, file://) the
kernel's bundle was made from; the request's command, run as it is, makes a conda bundle
from that channel within those records; the bundle copied into the exchange makes the same
plan succeed and the install land.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_airlock.conda.local_channel import index_packages
from jupyterlab_airlock.conda.records import installed_records

from . import condapackages
from .condabundles import exchange_config, make_conda_bundle
from .condapython import build_python
from .installs import finished, plan, start
from .test_bundle import airlock, leftovers, one_line_error
from .test_conda_install import conda_kernel_from
from .test_dmz_request import ask_dmz, audit_records

A_KEY = "conda/noarch/airlock-a-1.0-0.tar.bz2"


@pytest.fixture
def airlock_a(tmp_path: Path) -> Path:
    """airlock-a, as the air gap's scanned channel and the DMZ's mirror both have it."""
    return condapackages.build(tmp_path / "upstream", "airlock-a", "1.0", ["airlock-b >=2"])


@pytest.fixture
def exchange(tmp_path: Path, airlock_a: Path) -> Path:
    """The air gap's exchange folder: a channel with airlock-a, not the airlock-b it needs."""
    asyncio.run(index_packages([airlock_a], tmp_path / "exchange" / "conda"))
    return tmp_path / "exchange"


@pytest.fixture
def dmz_channel(tmp_path: Path, airlock_a: Path) -> str:
    """The DMZ's mirror: airlock-a, and airlock-b and airlock-c in two versions each."""
    folder = tmp_path / "dmz-built"
    built = [
        airlock_a,
        condapackages.build(folder, "airlock-b", "2.0", ["airlock-c >=1"], subdir="linux-64"),
        condapackages.build(folder, "airlock-b", "3.0", ["airlock-c >=1"], subdir="linux-64"),
        condapackages.build(folder, "airlock-c", "1.0"),
        condapackages.build(folder, "airlock-c", "2.0"),
    ]
    asyncio.run(index_packages(built, tmp_path / "dmz-channel"))
    return (tmp_path / "dmz-channel").as_uri()


@pytest.fixture
def airlock_config(exchange: Path, tmp_path: Path) -> dict[str, Any]:
    (tmp_path / "to-dmz").mkdir()
    return exchange_config(exchange, {}) | {"request_location": str(tmp_path / "to-dmz")}


@pytest.fixture
def conda_kernel(tmp_path: Path, jp_data_dir: Path, dmz_channel: str) -> Path:
    """Kernel 'condakernel': python and airlock-c 1.0, linked by py-rattler."""
    packages = [
        build_python(tmp_path / "python"),
        condapackages.build(tmp_path / "kernel-built", "airlock-c", "1.0"),
    ]
    bundle = make_conda_bundle(tmp_path / "kernel-bundle", packages, channels=[dmz_channel])
    return conda_kernel_from(bundle, tmp_path, jp_data_dir)


async def test_a_conda_request_is_filled_with_a_conda_bundle_that_then_installs(
    jp_fetch: Any,
    jp_serverapp: Any,
    conda_kernel: Path,
    exchange: Path,
    dmz_channel: str,
    tmp_path: Path,
) -> None:
    first = await plan(jp_fetch, "condakernel", keys=[A_KEY])
    assert not first["ok"]
    answer = await ask_dmz(jp_fetch, first["id"])
    request = answer["document"]
    assert request["requested"] == ["airlock-a=1.0=0"]
    assert request["missing"] == [{"requirement": "airlock-b >=2", "needed_by": "airlock-a 1.0"}]
    conda = request["conda"]
    assert conda["subdir"] == "linux-64"
    assert any(vp.startswith("__glibc=") for vp in conda["virtual_packages"])
    assert "airlock-c=1.0=0" in conda["constraints"]
    assert any(record.startswith("python=") for record in conda["constraints"])
    # The channel the kernel's bundle was made from: the DMZ's, which it remembers.
    assert conda["channels"] == [dmz_channel]

    # The command runs as it is in the DMZ, beside the request's file.
    dmz = tmp_path / "dmz"
    dmz.mkdir()
    (dmz / answer["file_name"]).write_text(json.dumps(request))
    jupyter, command, *arguments = shlex.split(answer["command"])
    assert (jupyter, command) == ("jupyter", "airlock")
    made = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "jupyterlab_airlock", *arguments],
        cwd=dmz,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    assert dmz_channel in made.stdout
    out = dmz / f"dmz-bundle-{answer['id'][:8]}"
    described = json.loads((out / "bundle.json").read_text())
    assert (described["kind"], described["request"]) == ("conda", answer["id"])
    # The newest airlock-b, and airlock-c as the kernel has it (not 2.0).
    assert {(p["name"], p["version"]) for p in described["packages"]} == {
        ("airlock-a", "1.0"),
        ("airlock-b", "3.0"),
        ("airlock-c", "1.0"),
    }

    shutil.copytree(out, exchange / "bundles" / out.name)
    second = await plan(jp_fetch, "condakernel", keys=[A_KEY])
    assert second["ok"], second
    [delivery] = second["delivered"]
    assert (delivery["request"], delivery["bundle"]) == (answer["id"], f"bundles/{out.name}/")
    # Both channels list airlock-a, the same file: it is taken from either.
    assert "airlock-b 3.0" in delivery["packages"]
    job_ = await finished(jp_serverapp, jp_fetch, (await start(jp_fetch, second["id"]))["id"])
    assert job_["state"] == "succeeded", job_["log"]
    installed = {name: version for name, version, _ in installed_records(conda_kernel)}
    assert (installed["airlock-b"], installed["airlock-c"]) == ("3.0", "1.0")
    installs = [r for r in audit_records(jp_serverapp) if r["action"] == "install"]
    assert [r["dmz_requests"] for r in installs] == [[answer["id"]]]


async def test_a_conda_request_naming_no_channel_needs_the_dmz_s(
    jp_fetch: Any, conda_kernel: Path, dmz_channel: str, tmp_path: Path
) -> None:
    """A kernel that does not know the DMZ's channel (not made from an Airlock conda
    bundle) asks without one: the DMZ gives --channel, and nothing is tried without it."""
    (conda_kernel / "conda-meta" / "airlock").unlink()
    planned = await plan(jp_fetch, "condakernel", keys=[A_KEY])
    answer = await ask_dmz(jp_fetch, planned["id"])
    assert "channels" not in answer["document"]["conda"]
    file = tmp_path / answer["file_name"]
    file.write_text(json.dumps(answer["document"]))
    refused = airlock("bundle", tmp_path / "out", "--from-request", file)
    assert refused.returncode == 2
    error = one_line_error(refused.stderr)
    assert "names no channel" in error
    assert "give the mirror's conda channel with --channel URL" in error
    assert not (tmp_path / "out").exists()
    made = airlock("bundle", tmp_path / "out", "--from-request", file, "--channel", dmz_channel)
    assert made.returncode == 0, made.stderr


async def test_a_conda_request_that_cannot_fit_the_kernel_says_why(
    jp_fetch: Any, conda_kernel: Path, dmz_channel: str, tmp_path: Path
) -> None:
    planned = await plan(jp_fetch, "condakernel", keys=[A_KEY])
    answer = await ask_dmz(jp_fetch, planned["id"])
    request = answer["document"]
    # The DMZ's channel has no airlock-b for this kernel's airlock-c: pinned where none is.
    request["conda"]["constraints"] = [
        c.replace("airlock-c=1.0=0", "airlock-c=0.5=0") for c in request["conda"]["constraints"]
    ]
    file = tmp_path / "request.json"
    file.write_text(json.dumps(request))
    refused = airlock("bundle", tmp_path / "out", "--from-request", file, "--channel", dmz_channel)
    assert refused.returncode == 1
    error = one_line_error(refused.stderr)
    assert f"The request {answer['id'][:8]} (Conda kernel) cannot be met" in error
    assert "airlock-c >=1" in error
    assert "the kernel has airlock-c 0.5" in error
    assert not (tmp_path / "out").exists()
    assert leftovers(tmp_path) == []
