"""Concurrent users: eight users of one Jupyter server, each with a fresh venv kernel of
their own, plan and install the same five-wheel chain at once from the bucket (1,000
unrelated wheels beside it, with the static index), against one user alone, in alternating
rounds: no failures, every environment whole, the slowest 5 % within 3 times one user's
median. Then the same with four Jupyter servers (each its own home, state and uv cache, as
four users' servers have) sharing that source, one user on each at once, against one user
alone on one of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from bench.common import (
    BUCKET,
    S3_PROFILE,
    BenchError,
    Jupyter,
    Note,
    Outcome,
    Ratio,
    Scale,
    Servers,
    progress,
    start_jupyter,
)
from bench.plans import CHAIN, SMALL, chain_wheels, profile_of, unrelated_wheel, upload
from demo.content import DEMO_REGION
from jupyterlab_airlock.bundle.index_cli import index_source
from jupyterlab_airlock.jobs import FINISHED

USERS = 8
SERVERS = 4
P95_LIMIT = 3.0
PREFIX = "users"
POLL_INTERVAL = 0.25  # the job's own timestamps give its duration; polling is not timed
JOB_TIMEOUT = 600.0


def run(servers: Servers, scale: Scale) -> Iterator[Outcome]:
    work = servers.root_dir.parent / "users"
    chain = chain_wheels(work / "chain", "bench-user")
    upload(servers, PREFIX, chain, unrelated_wheel(work), SMALL)
    url = f"s3://{BUCKET}/{PREFIX}"
    asyncio.run(index_source(url, endpoint_url=servers.s3_url, region=DEMO_REGION))
    servers.jupyter.post("/airlock/profiles/apply", profile_of(servers, PREFIX))
    made = 0

    home = servers.root_dir.parent / "home"

    def kernel() -> tuple[str, Path]:
        nonlocal made
        made += 1
        return _kernel(home, work, f"bench-user-{made}")

    alone: list[float] = []
    together: list[float] = []
    # CPU seconds of the server and its programs per install: alone, and in the crowd.
    alone_cpu: list[float] = []
    together_cpu: list[float] = []
    # One user's first install warms what every later one shares (uv's cache, the pages).
    _whole(*kernel(), servers.jupyter)
    for number in range(scale.rounds):
        progress(f"users: round {number + 1}: one user, then {USERS} at once")
        name, prefix = kernel()
        before = _cpu_seconds(servers.jupyter_pid)
        alone.append(_whole(name, prefix, servers.jupyter))
        alone_cpu.append(_cpu_seconds(servers.jupyter_pid) - before)
        kernels = [kernel() for _ in range(USERS)]
        clients = [Jupyter(servers.jupyter.url, servers.jupyter.token) for _ in kernels]
        before = _cpu_seconds(servers.jupyter_pid)
        with ThreadPoolExecutor(USERS) as pool:
            together += pool.map(_whole, *zip(*kernels, strict=True), clients)
        together_cpu.append((_cpu_seconds(servers.jupyter_pid) - before) / USERS)
        for client in clients:
            client.close()
    yield from _outcomes(f"{USERS} users at once", together, alone)
    yield _cpu_note(statistics.median(alone_cpu), statistics.median(together_cpu),
                    statistics.median(alone))  # fmt: skip
    yield from _servers_sharing(servers, scale, work)
    servers.jupyter.post("/airlock/profiles/apply", {"name": S3_PROFILE})


def _servers_sharing(servers: Servers, scale: Scale, work: Path) -> Iterator[Outcome]:
    """One user on each of SERVERS Jupyter servers (the bench's own and others started
    here) at once, all reading the same indexed prefix, against one user alone."""
    with contextlib.ExitStack() as stack:
        started = [(servers.jupyter, servers.root_dir.parent / "home")]
        for number in range(2, SERVERS + 1):
            progress(f"users: starting Jupyter server {number} of {SERVERS}")
            place = work / f"server-{number}"
            root = place / "workspace"
            root.mkdir(parents=True)
            lab, token = start_jupyter(place, servers.s3_url, root)
            stack.callback(lab.stop)
            jupyter = Jupyter(lab.url.removesuffix("/api"), token)
            stack.callback(jupyter.close)
            jupyter.post("/airlock/profiles/apply", profile_of(servers, PREFIX))
            started.append((jupyter, place / "home"))
        made = 0

        def kernel(home: Path) -> tuple[str, Path]:
            nonlocal made
            made += 1
            return _kernel(home, work, f"bench-server-user-{made}")

        # Each server's first install warms what its later ones share (its uv cache).
        for jupyter, home in started:
            _whole(*kernel(home), jupyter)
        alone: list[float] = []
        together: list[float] = []
        for number in range(scale.rounds):
            progress(f"users: round {number + 1}: one user, then one on each of {SERVERS} servers")
            alone.append(_whole(*kernel(started[0][1]), started[0][0]))
            kernels = [kernel(home) for _, home in started]
            clients = [Jupyter(jupyter.url, jupyter.token) for jupyter, _ in started]
            with ThreadPoolExecutor(SERVERS) as pool:
                together += pool.map(_whole, *zip(*kernels, strict=True), clients)
            for client in clients:
                client.close()
    yield from _outcomes(f"{SERVERS} servers sharing the source, one user each at once",
                         together, alone)  # fmt: skip


def _outcomes(name: str, together: list[float], alone: list[float]) -> Iterator[Outcome]:
    p95 = sorted(together)[math.ceil(0.95 * len(together)) - 1]
    yield Ratio(f"{name}, plan + install: slowest 5 %", "p95", [p95],
                "one user alone", alone, P95_LIMIT)  # fmt: skip
    yield Note(f"{name}, plan + install",
               f"median {statistics.median(together):.2f} s over {len(together)} installs, "
               "no failures, every environment whole")  # fmt: skip


def _cpu_note(alone_cpu: float, each_cpu: float, alone: float) -> Note:
    """What the cores allow: if each install keeps a core busy, the last of USERS at once
    cannot end before their CPU time shared by the machine's cores."""
    cores = os.cpu_count() or 1
    floor = USERS * each_cpu / cores
    return Note(
        f"{USERS} users at once, CPU of the server and its programs (uv, Python)",
        f"{alone_cpu * 1000:.0f} ms per install alone, {each_cpu * 1000:.0f} ms each of "
        f"{USERS} at once: the last of them ends after {floor:.2f} s at the earliest on "
        f"{cores} cores, {floor / alone:.2f} times one user alone",
    )


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of ``pid`` and of the programs it started and waited
    for (uv, and the Python uv asks about a kernel's interpreter)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _whole(name: str, prefix: Path, jupyter: Jupyter) -> float:
    """Plan and install the chain into kernel ``name``: the seconds a user waits (the plan,
    then the job from its creation to its end); the environment checked whole."""
    start = time.perf_counter()
    plan = jupyter.post("/airlock/install/plan", {"kernel": name, "requirements": ["bench-user-0"]})
    planned = time.perf_counter() - start
    if not plan["ok"] or len(plan["steps"]) != CHAIN:
        raise BenchError(f"{name}: the plan is not the chain: {plan['summary']}")
    job = jupyter.post("/airlock/install", {"plan": plan["id"]})
    while job["state"] not in FINISHED:
        if time.perf_counter() - start > JOB_TIMEOUT:
            raise BenchError(f"{name}: the install did not end in {JOB_TIMEOUT:.0f} s")
        time.sleep(POLL_INTERVAL)
        job = jupyter.get(f"/airlock/jobs/{job['id']}")
    if job["state"] != "succeeded":
        raise BenchError(f"{name}: the install {job['state']}: {job.get('error')}")
    took = datetime.fromisoformat(job["finished"]) - datetime.fromisoformat(job["created"])
    installed = {p.name.split("-")[0] for p in prefix.glob("lib/python*/site-packages/*.dist-info")}
    wanted = {f"bench_user_{n}" for n in range(CHAIN)}
    if not wanted <= installed:
        raise BenchError(f"{name}: the environment lacks {sorted(wanted - installed)}")
    shutil.rmtree(prefix)
    return planned + took.total_seconds()


def _kernel(home: Path, work: Path, name: str) -> tuple[str, Path]:
    """A fresh venv kernel ``name``, known to the Jupyter server whose home is ``home``."""
    prefix = work / "envs" / name
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True)
    spec = home / ".local" / "share" / "jupyter" / "kernels" / name
    spec.mkdir(parents=True, exist_ok=True)
    argv = [str(prefix / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": name, "language": "python"})
    )
    return name, prefix
