"""Install: a chain of 30 small wheels (each needs the next) into a fresh virtual environment
through Airlock's REST API, plan and install with the content cache warm, against
``python -m pip install --no-index --find-links <folder>`` of the same files; and, the cache
cold, the bytes fetched from a bucket that also holds 1,000 unrelated wheels against the size
of the chain."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import pip

from bench.common import (
    BUCKET,
    BenchError,
    Note,
    Outcome,
    Ratio,
    Scale,
    Servers,
    alternate,
    progress,
)
from jupyterlab_airlock.jobs import FINISHED
from jupyterlab_airlock.tests.wheels import make_wheel

FOLDER = "install/wheels/"
CHAIN = 30
# Each wheel holds a few modules, as small libraries do: pip byte-compiles every one.
MODULES = 5
FULL_UNRELATED = 1000
QUICK_UNRELATED = 100
FILL_THREADS = 16
RATIO_LIMIT = 1.15
# How often the bench asks the server whether the job has ended. The job's duration comes
# from its own timestamps (milliseconds), so asking seldom costs no precision; asking often
# would take the CPU that pip needs.
POLL_INTERVAL = 0.25
JOB_TIMEOUT = 600.0


def run(servers: Servers, scale: Scale) -> Iterator[Outcome]:
    work = servers.root_dir.parent / "install"
    unrelated = QUICK_UNRELATED if scale.quick else FULL_UNRELATED
    chain = _upload(servers, work, unrelated)
    top = "bench-chain-00"
    envs = work / "envs"
    kernels = servers.root_dir.parent / "home" / ".local" / "share" / "jupyter" / "kernels"
    made = 0

    def fresh_env(with_pip: bool = False) -> tuple[str, Path]:
        nonlocal made
        made += 1
        name = f"bench-install-{made}"
        prefix = envs / name
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True)
        if with_pip:  # the server's pip, so both sides run the same pip version
            [site_packages] = prefix.glob("lib/python*/site-packages")
            shutil.copytree(Path(pip.__file__).parent, site_packages / "pip")
        spec = kernels / name
        spec.mkdir(parents=True)
        python = str(prefix / "bin" / "python")
        argv = [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        spec.joinpath("kernel.json").write_text(
            json.dumps({"argv": argv, "display_name": name, "language": "python"})
        )
        return name, prefix

    def drop(name: str, prefix: Path) -> None:
        shutil.rmtree(prefix)
        shutil.rmtree(kernels / name)

    install_steps: list[float] = []

    def through_api() -> float:
        name, prefix = fresh_env()
        planned, installed = _plan_and_install(servers, name, top)
        install_steps.append(installed)
        _expect_installed(prefix, len(chain))
        drop(name, prefix)
        return planned + installed

    def plain_pip() -> float:
        name, prefix = fresh_env(with_pip=True)
        argv = [
            str(prefix / "bin" / "python"), "-m", "pip", "install",
            "--disable-pip-version-check", "--quiet",
            "--no-index", "--find-links", str(work / "chain"), top,
        ]  # fmt: skip
        # Kept from the user's pip config, as the server keeps its pip.
        env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
        env["PIP_CONFIG_FILE"] = os.devnull
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise BenchError(f"plain pip failed: {done.stderr.strip()[-500:]}")
        _expect_installed(prefix, len(chain))
        drop(name, prefix)
        return elapsed

    progress("install: the first install, cache cold")
    before = servers.jupyter.get("/airlock/status")["transfers"]
    through_api()
    after = servers.jupyter.get("/airlock/status")["transfers"]
    closure = sum(wheel.stat().st_size for wheel in chain)
    fetched = after["bytes"] - before["bytes"]
    files = after["files"] - before["files"]
    ranged = after["ranged_bytes"] - before["ranged_bytes"]
    reads = after["ranged_reads"] - before["ranged_reads"]
    yield Note(
        f"install, cache cold: fetched from a bucket of {CHAIN + unrelated:,} wheels",
        f"{files} files, {fetched:,} bytes | the chain's {len(chain)} wheels {closure:,} bytes"
        f" | ratio {fetched / closure:.2f} | target 1.00"
        f" | {'holds' if fetched == closure else 'MISSED'}"
        f" | plus {reads} ranged metadata reads, {ranged:,} bytes, during the plan",
    )
    progress(f"install: {CHAIN} wheels, plan + install against plain pip, cache warm")
    ours, baseline = alternate(scale.rounds, through_api, plain_pip)
    yield Ratio(f"install {CHAIN} wheels, cache warm", "API plan + install", ours,
                "pip install --no-index --find-links", baseline, RATIO_LIMIT)  # fmt: skip
    # Where the difference lies: the install step alone (after the plan) against plain pip.
    yield Ratio(f"install {CHAIN} wheels, cache warm: the install step alone", "API install",
                install_steps[-scale.rounds:], "pip install --no-index --find-links", baseline,
                RATIO_LIMIT)  # fmt: skip


def _plan_and_install(servers: Servers, kernel: str, requirement: str) -> tuple[float, float]:
    """Seconds the plan takes, and from the click on Install to the job's end: what a user
    waits (less the reading of the plan)."""
    jupyter = servers.jupyter
    start = time.perf_counter()
    plan = jupyter.post("/airlock/install/plan", {"kernel": kernel, "requirements": [requirement]})
    if not plan["ok"]:
        raise BenchError(f"the plan is not installable: {plan['missing'] or plan['refused']}")
    planned = time.perf_counter() - start
    job = jupyter.post("/airlock/install", {"plan": plan["id"]})
    deadline = start + JOB_TIMEOUT
    while job["state"] not in FINISHED:
        if time.perf_counter() > deadline:
            raise BenchError(f"the install job {job['id']} did not end in {JOB_TIMEOUT:.0f} s")
        time.sleep(POLL_INTERVAL)
        job = jupyter.get(f"/airlock/jobs/{job['id']}")
    installed = _seconds_between(job["created"], job["finished"])
    if job["state"] != "succeeded":
        raise BenchError(f"the install job {job['state']}: {job.get('error')}")
    if len(plan["steps"]) != CHAIN:
        raise BenchError(f"the plan has {len(plan['steps'])} steps, not {CHAIN}")
    return planned, installed


def _seconds_between(earlier: str, later: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


def _expect_installed(prefix: Path, count: int) -> None:
    installed = list(prefix.glob("lib/python*/site-packages/bench_chain_*.dist-info"))
    if len(installed) != count:
        raise BenchError(f"{prefix} holds {len(installed)} of the {count} wheels")


def _chain(folder: Path) -> list[Path]:
    """bench-chain-00 needs bench-chain-01, … which needs bench-chain-29."""
    return [
        make_wheel(folder, f"bench-chain-{n:02}", "1.0",
                   [f"bench-chain-{n + 1:02}"] if n + 1 < CHAIN else [], modules=MODULES)
        for n in range(CHAIN)
    ]  # fmt: skip


def _upload(servers: Servers, work: Path, unrelated: int) -> list[Path]:
    """The chain and ``unrelated`` other wheels in FOLDER, with their SHA256SUMS (so the
    installs are verified, as an admin would have them)."""
    progress(f"install: putting {CHAIN} chained and {unrelated:,} unrelated wheels in the bucket")
    for part in ("chain", "unrelated"):
        (work / part).mkdir(parents=True, exist_ok=True)
    chain = _chain(work / "chain")
    others = [
        make_wheel(work / "unrelated", f"bench-other-{n:04}", "1.0", modules=MODULES)
        for n in range(unrelated)
    ]
    s3: Any = servers.s3(max_pool_connections=FILL_THREADS)
    sums: dict[str, str] = {}

    def put(wheel: Path) -> None:
        body = wheel.read_bytes()
        s3.put_object(Bucket=BUCKET, Key=FOLDER + wheel.name, Body=body)
        sums[wheel.name] = hashlib.sha256(body).hexdigest()

    with ThreadPoolExecutor(FILL_THREADS) as pool:
        for _ in pool.map(put, [*chain, *others]):
            pass  # map re-raises a failed put here
    listing = "".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items()))
    s3.put_object(Bucket=BUCKET, Key=FOLDER + "SHA256SUMS", Body=listing.encode())
    return chain
