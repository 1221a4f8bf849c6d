"""Install: through Airlock's REST API (plan, then install, into a fresh virtual environment)
against ``python -m pip install --no-index --find-links <folder>`` and bare ``uv pip install
--offline --no-index --find-links <folder>`` of the same files, in alternating rounds.

Two cases, beside 1,000 unrelated wheels in the bucket: a chain of 30 small wheels (each
needs the next), and pandas 2.2.3 with its closure, downloaded from PyPI once (kept in
~/.cache/airlock-bench). The first install of each is the cold one: nothing in Airlock's
content cache nor in its uv cache; then the bytes fetched from the bucket are compared with
the closure's.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import pip
from packaging.utils import canonicalize_name
from uv import find_uv_bin

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
    seconds,
)
from jupyterlab_airlock.jobs import FINISHED
from jupyterlab_airlock.tests.wheels import make_wheel

FOLDER = "install/wheels/"
CHAIN = 30
# Each wheel holds a few modules, as small libraries do.
MODULES = 5
FULL_UNRELATED = 1000
QUICK_UNRELATED = 100
FILL_THREADS = 16
# Plan + install against plain pip (warm, and cold: the files only in the bucket, pip's in
# a local folder) and against bare uv: issue 14's targets, and issue 26's (the chain cold
# and warm within half of pip, pandas warm within 1.5 x bare uv).
CHAIN_LIMIT = 0.5
CHAIN_COLD_LIMIT = 0.5
WARM_LIMIT = 0.2
COLD_LIMIT = 0.4
UV_LIMIT = 1.5
CHAIN_UV_LIMIT = 3.0
PANDAS = "2.2.3"
DOWNLOADS = Path.home() / ".cache" / "airlock-bench"
# How often the bench asks the server whether the job has ended. The job's duration comes
# from its own timestamps (milliseconds), so asking seldom costs no precision; asking often
# would take the CPU that the installer needs.
POLL_INTERVAL = 0.25
JOB_TIMEOUT = 600.0


def run(servers: Servers, scale: Scale) -> Iterator[Outcome]:
    work = servers.root_dir.parent / "install"
    unrelated = QUICK_UNRELATED if scale.quick else FULL_UNRELATED
    (work / "chain").mkdir(parents=True, exist_ok=True)
    chain = _chain(work / "chain")
    pandas = _pandas_closure()
    _upload(servers, work, [*chain, *pandas], unrelated)
    envs = work / "envs"
    kernels = servers.root_dir.parent / "home" / ".local" / "share" / "jupyter" / "kernels"
    made = 0

    def fresh_env(with_pip: bool = False, kernel: bool = True) -> tuple[str, Path]:
        nonlocal made
        made += 1
        name = f"bench-install-{made}"
        prefix = envs / name
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True)
        if with_pip:  # the server's pip
            [site_packages] = prefix.glob("lib/python*/site-packages")
            shutil.copytree(Path(pip.__file__).parent, site_packages / "pip")
        if kernel:
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
        shutil.rmtree(kernels / name, ignore_errors=True)

    def sides(top: str, files: list[Path], folder: Path) -> list[Callable[[], float]]:
        names = {_dist_name(wheel) for wheel in files}
        install_steps.clear()
        plan_steps.clear()

        def through_api() -> float:
            name, prefix = fresh_env()
            planned, installed = _plan_and_install(servers, name, top, len(files))
            install_steps.append(installed)
            plan_steps.append(planned)
            _expect_installed(prefix, names)
            drop(name, prefix)
            return planned + installed

        def plain_pip() -> float:
            name, prefix = fresh_env(with_pip=True, kernel=False)
            argv = [
                str(prefix / "bin" / "python"), "-m", "pip", "install",
                "--disable-pip-version-check", "--quiet",
                "--no-index", "--find-links", str(folder), top,
            ]  # fmt: skip
            # Kept from the user's pip config, as the server keeps its pip.
            env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
            env["PIP_CONFIG_FILE"] = os.devnull
            return _timed_run(argv, env, "plain pip", prefix, names, drop, name)

        def bare_uv() -> float:
            name, prefix = fresh_env(kernel=False)
            argv = [
                str(find_uv_bin()), "pip", "install", "--quiet", "--python",
                str(prefix / "bin" / "python"), "--offline", "--no-index",
                "--find-links", str(folder), top,
            ]  # fmt: skip
            # Its own cache, warm after the first round, as a user's would be.
            env = {key: value for key, value in os.environ.items() if not key.startswith("UV_")}
            env.update(UV_NO_CONFIG="1", UV_CACHE_DIR=str(work / "uv-cache"))
            return _timed_run(argv, env, "bare uv", prefix, names, drop, name)

        return [through_api, plain_pip, bare_uv]

    install_steps: list[float] = []
    plan_steps: list[float] = []
    for case, top, files, folder, (cold_limit, limit, uv_limit) in [
        (f"{CHAIN} chained wheels", "bench-chain-00", chain, work / "chain",
         (CHAIN_COLD_LIMIT, CHAIN_LIMIT, CHAIN_UV_LIMIT)),
        ("pandas 2.2.3 and its closure", "pandas", pandas, pandas[0].parent,
         (COLD_LIMIT, WARM_LIMIT, UV_LIMIT)),
    ]:  # fmt: skip
        through_api, plain_pip, bare_uv = sides(top, files, folder)
        progress(f"install: {case}, the first install, caches cold")
        before = servers.jupyter.get("/airlock/status")["transfers"]
        cold = through_api()
        after = servers.jupyter.get("/airlock/status")["transfers"]
        yield _fetched_note(case, before, after, files, len(chain) + len(pandas) + unrelated)
        progress(f"install: {case}, plan + install against plain pip and bare uv, caches warm")
        ours, pip_times, uv_times = alternate(scale.rounds, through_api, plain_pip, bare_uv)
        yield Ratio(f"install {case}, cache cold", "API plan + install", [cold],
                    "pip install --no-index --find-links", pip_times, cold_limit)  # fmt: skip
        yield Note(f"install {case}, cache cold: the plan alone, the install step alone",
                   f"{seconds(plan_steps[0])}, {seconds(install_steps[0])}")  # fmt: skip
        yield Ratio(f"install {case}, cache warm", "API plan + install", ours,
                    "pip install --no-index --find-links", pip_times, limit)  # fmt: skip
        yield Ratio(f"install {case}, cache warm", "API plan + install", ours,
                    "uv pip install --offline --find-links", uv_times, uv_limit)  # fmt: skip
        # Where the time goes: the plan, and the install step alone, against bare uv.
        yield Note(
            f"install {case}, cache warm: the plan alone, the install step alone",
            f"{seconds(statistics.median(plan_steps[-scale.rounds :]))}, "
            f"{seconds(statistics.median(install_steps[-scale.rounds :]))} | bare uv "
            f"{seconds(statistics.median(uv_times))}",
        )


def _timed_run(
    argv: list[str],
    env: dict[str, str],
    who: str,
    prefix: Path,
    names: set[str],
    drop: Callable[[str, Path], None],
    name: str,
) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise BenchError(f"{who} failed: {done.stderr.strip()[-500:]}")
    _expect_installed(prefix, names)
    drop(name, prefix)
    return elapsed


def _fetched_note(
    case: str, before: dict[str, int], after: dict[str, int], files: list[Path], total: int
) -> Note:
    closure = sum(wheel.stat().st_size for wheel in files)
    fetched = after["bytes"] - before["bytes"]
    count = after["files"] - before["files"]
    ranged = after["ranged_bytes"] - before["ranged_bytes"]
    reads = after["ranged_reads"] - before["ranged_reads"]
    return Note(
        f"install {case}, cache cold: fetched from a bucket of {total:,} wheels",
        f"{count} files, {fetched:,} bytes | the closure's {len(files)} wheels {closure:,} bytes"
        f" | ratio {fetched / closure:.2f} | target 1.00"
        f" | {'holds' if fetched == closure else 'MISSED'}"
        f" | plus {reads} ranged metadata reads, {ranged:,} bytes, during the plan",
    )


def _pandas_closure() -> list[Path]:
    """pandas 2.2.3 and its dependencies' wheels for this machine, from PyPI once."""
    folder = DOWNLOADS / f"pandas-{PANDAS}-py{sys.version_info[0]}{sys.version_info[1]}"
    done = folder / ".complete"
    if not done.is_file():
        progress(f"install: downloading pandas {PANDAS} and its closure from PyPI")
        folder.mkdir(parents=True, exist_ok=True)
        argv = [
            sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--quiet",
            "--only-binary=:all:", "--dest", str(folder), f"pandas=={PANDAS}",
        ]  # fmt: skip
        downloaded = subprocess.run(argv, capture_output=True, text=True, check=False)
        if downloaded.returncode != 0:
            raise BenchError(f"pip download pandas failed: {downloaded.stderr.strip()[-500:]}")
        done.touch()
    return sorted(folder.glob("*.whl"))


def _plan_and_install(
    servers: Servers, kernel: str, requirement: str, steps: int
) -> tuple[float, float]:
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
    if len(plan["steps"]) != steps:
        raise BenchError(f"the plan has {len(plan['steps'])} steps, not {steps}")
    return planned, installed


def _seconds_between(earlier: str, later: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


def _expect_installed(prefix: Path, names: set[str]) -> None:
    installed = {_dist_name(path) for path in prefix.glob("lib/python*/site-packages/*.dist-info")}
    if not names <= installed:
        raise BenchError(f"{prefix} lacks {', '.join(sorted(names - installed))}")


def _dist_name(path: Path) -> str:
    """The normalized project name of a wheel or a .dist-info folder."""
    return str(canonicalize_name(path.name.split("-")[0]))


def _chain(folder: Path) -> list[Path]:
    """bench-chain-00 needs bench-chain-01, … which needs bench-chain-29."""
    return [
        make_wheel(folder, f"bench-chain-{n:02}", "1.0",
                   [f"bench-chain-{n + 1:02}"] if n + 1 < CHAIN else [], modules=MODULES)
        for n in range(CHAIN)
    ]  # fmt: skip


def _upload(servers: Servers, work: Path, wheels: list[Path], unrelated: int) -> None:
    """``wheels`` and ``unrelated`` other wheels in FOLDER, with their SHA256SUMS (so the
    installs are verified, as an admin would have them)."""
    progress(
        f"install: putting {len(wheels)} wheels and {unrelated:,} unrelated ones in the bucket"
    )
    (work / "unrelated").mkdir(parents=True, exist_ok=True)
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
        for _ in pool.map(put, [*wheels, *others]):
            pass  # map re-raises a failed put here
    listing = "".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items()))
    s3.put_object(Bucket=BUCKET, Key=FOLDER + "SHA256SUMS", Body=listing.encode())
