"""Plans: the first plan of a small closure (a chain of five wheels, as ``requests`` has)
while the folder also holds N unrelated wheels, for N = 1,000 and 100,000 (quick: 10,000),
with the source's static index (``jupyter airlock index``) and without it (the walk), in
alternating rounds through Airlock's REST API into one fresh venv kernel.

Each case is its own mounted folder, read through a profile of its own: the unrelated
wheels are hard links of one small wheel under names of their own (100,000 take seconds to
make; putting them into moto took over half an hour), all listed in the folder's
SHA256SUMS. Every round applies the case's profile before its plan, and a walked folder is
dated anew (its kept listing is dropped), so each plan is the first look at its source (as
after the 30 s a look is kept, or on another user's server).

Then, where a warm plan's time goes: the plan through the API, against uv's own dry run of
the same request through the server's index over HTTP (what the plan runs), and against
uv's dry run from a local folder (``--find-links``, no HTTP at all).
"""

from __future__ import annotations

import asyncio
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
from pathlib import Path
from typing import Any

from uv import find_uv_bin

from bench.common import (
    BUCKET,
    S3_PROFILE,
    BenchError,
    Bound,
    Note,
    Outcome,
    Ratio,
    Scale,
    Servers,
    alternate,
    progress,
    seconds,
)
from demo.content import DEMO_AWS_ENV, DEMO_REGION
from jupyterlab_airlock.bundle.index_cli import index_source
from jupyterlab_airlock.index_address import USER
from jupyterlab_airlock.tests.wheels import make_wheel

CHAIN = 5
SMALL = 1_000
FULL_LARGE = 100_000
QUICK_LARGE = 10_000
FILL_THREADS = 16
LINKS_PER_FILE = 10_000
# Issue 26's targets: with the index, the first plan at 100,000 unrelated wheels within
# 1.5 times the one at 1,000, and within a second.
LARGE_LIMIT = 1.5
SECONDS_LIMIT = 1.0


def run(servers: Servers, scale: Scale) -> Iterator[Outcome]:
    work = servers.root_dir.parent / "plans"
    large = QUICK_LARGE if scale.quick else FULL_LARGE
    chain = chain_wheels(work / "chain", "bench-plan")
    template = make_wheel(work, "bench-unrelated", "1.0")
    cases: dict[tuple[int, bool], Callable[[], float]] = {}
    kernel = _kernel(servers)
    for count in (SMALL, large):
        for indexed in (False, True):
            folder = servers.mounted / "plans" / f"{count}-{'index' if indexed else 'walk'}"
            fill_folder(folder, chain, template, count)
            if indexed:
                yield from _index(folder, count)
            cases[count, indexed] = _first_plan(servers, kernel, folder, indexed)
    progress(f"plans: first plans at {SMALL:,} and {large:,} unrelated wheels, alternating")
    order = list(cases)
    times = dict(zip(order, alternate(scale.rounds, *cases.values()), strict=True))
    for case in order:
        yield Note(f"first plan, {_label(case)}", seconds(statistics.median(times[case])))
    # The baseline: the better of the two plans with 1,000 unrelated wheels.
    small = min((SMALL, False), (SMALL, True), key=lambda case: statistics.median(times[case]))
    yield Ratio(f"first plan, {large:,} unrelated wheels, index", "index", times[large, True],
                f"best at {_label(small)}", times[small], LARGE_LIMIT)  # fmt: skip
    walked = statistics.median(times[large, False]) / statistics.median(times[small])
    yield Note(f"first plan, {large:,} unrelated wheels, walk",
               f"ratio {walked:.2f} against that baseline (no target)")  # fmt: skip
    yield Bound(f"first plan, index, {large:,} unrelated wheels",
                statistics.median(times[large, True]), "s", SECONDS_LIMIT, 3)  # fmt: skip
    yield from _where_the_time_goes(servers, kernel, chain[0].parent, scale.rounds)
    servers.jupyter.post("/airlock/profiles/apply", {"name": S3_PROFILE})


def _index(folder: Path, count: int) -> Iterator[Outcome]:
    """Index ``folder``, then again with nothing changed: the second reads no wheel again."""
    for again in (False, True):
        progress(f"plans: indexing {folder} ({count + CHAIN:,} wheels){' again' if again else ''}")
        start = time.perf_counter()
        written = asyncio.run(index_source(str(folder)))
        took = time.perf_counter() - start
        yield Note(
            f"plans: 'jupyter airlock index' of {count + CHAIN:,} wheels in a folder"
            + (", again, nothing changed" if again else ""),
            f"{seconds(took)} ({written.pages_written:,} pages written, "
            f"{written.files_reused:,} files not read again)",
        )


def _where_the_time_goes(
    servers: Servers, kernel: str, chain: Path, rounds: int
) -> Iterator[Outcome]:
    """A warm plan (index, 1,000 unrelated wheels) against uv alone, over HTTP and local."""
    servers.jupyter.post(
        "/airlock/profiles/apply", folder_profile(servers.mounted / "plans" / f"{SMALL}-index")
    )
    home = servers.root_dir.parent / "home"
    secret = (home / ".local/share/jupyter/airlock/index-secret").read_text().strip()
    server = servers.jupyter.url.replace("://", f"://{USER}:{secret}@")
    index_url = server + "/airlock/index/simple/"
    python = str(servers.root_dir.parent / "plans" / "env" / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
    env.update(UV_NO_CONFIG="1", UV_CACHE_DIR=str(servers.root_dir.parent / "uv-plans"))
    dry_run = [str(find_uv_bin()), "pip", "install", "--dry-run", "--python", python]

    def plan() -> float:
        start = time.perf_counter()
        planned = servers.jupyter.post(
            "/airlock/install/plan", {"kernel": kernel, "requirements": ["bench-plan-0"]}
        )
        elapsed = time.perf_counter() - start
        if not planned["ok"]:
            raise BenchError(f"the warm plan is not installable: {planned['summary']}")
        return elapsed

    def uv(*where: str) -> Callable[[], float]:
        def timed() -> float:
            start = time.perf_counter()
            done = subprocess.run([*dry_run, *where, "bench-plan-0"], env=env,
                                  capture_output=True, text=True, check=False)  # fmt: skip
            elapsed = time.perf_counter() - start
            if done.returncode != 0:
                raise BenchError(f"uv's dry run failed: {done.stderr.strip()[-300:]}")
            return elapsed

        return timed

    progress("plans: a warm plan against uv's own dry run, over HTTP and from a folder")
    api, http, local = alternate(
        rounds * 3, plan, uv("--index-url", index_url), uv("--no-index", "--find-links", str(chain))
    )
    yield Note(
        "warm plan, index, 1,000 unrelated wheels: where the time goes",
        f"API plan {seconds(statistics.median(api))} | uv --dry-run through the server's index "
        f"(HTTP) {seconds(statistics.median(http))} | uv --dry-run --find-links (local) "
        f"{seconds(statistics.median(local))}",
    )


def profile_of(servers: Servers, prefix: str) -> dict[str, Any]:
    """A profile (to apply) whose source is ``prefix`` of the bench bucket."""
    source = {"kind": "s3", "endpoint_url": servers.s3_url, "bucket": BUCKET,
              "prefix": prefix + "/", "region": DEMO_REGION}  # fmt: skip
    return {"profile": {"name": "bench-" + prefix.replace("/", "-"), "source": source}}


def folder_profile(folder: Path) -> dict[str, Any]:
    """A profile (to apply) whose source is the mounted folder ``folder``."""
    source = {"kind": "folder", "path": str(folder)}
    return {"profile": {"name": f"bench-plans-{folder.name}", "source": source}}


def _label(case: tuple[int, bool]) -> str:
    return f"{case[0]:,} unrelated wheels, {'index' if case[1] else 'walk'}"


def _first_plan(servers: Servers, kernel: str, folder: Path, indexed: bool) -> Callable[[], float]:
    profile = folder_profile(folder)

    def plan() -> float:
        servers.jupyter.post("/airlock/profiles/apply", profile)  # a first look, untimed
        if not indexed:
            os.utime(folder / "wheels")  # a new date: the server lists the folder anew
        start = time.perf_counter()
        planned = servers.jupyter.post(
            "/airlock/install/plan", {"kernel": kernel, "requirements": ["bench-plan-0"]}
        )
        elapsed = time.perf_counter() - start
        if not planned["ok"] or len(planned["steps"]) != CHAIN:
            raise BenchError(f"the plan from {folder} is not the chain: {planned['summary']}")
        if indexed and "whole source" in planned["summary"]:
            raise BenchError(f"the plan from {folder} did not use its index: {planned['summary']}")
        return elapsed

    return plan


def _kernel(servers: Servers) -> str:
    """A fresh venv (no pip) with a kernelspec, planned into by every round."""
    name = "bench-plans"
    prefix = servers.root_dir.parent / "plans" / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True)
    spec = servers.root_dir.parent / "home" / ".local" / "share" / "jupyter" / "kernels" / name
    spec.mkdir(parents=True, exist_ok=True)
    argv = [str(prefix / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": name, "language": "python"})
    )
    return name


def chain_wheels(folder: Path, name: str) -> list[Path]:
    """``<name>-0`` needs ``<name>-1``, ... needs ``<name>-4``."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        make_wheel(folder, f"{name}-{n}", "1.0", [f"{name}-{n + 1}"] if n + 1 < CHAIN else [])
        for n in range(CHAIN)
    ]


def unrelated_wheel(work: Path) -> bytes:
    """The bytes every unrelated wheel has, under its own name (the index reads each one);
    the indexer's boto3 finds the bench's credentials, as the scanner's would find its own."""
    os.environ.update(DEMO_AWS_ENV)
    work.mkdir(parents=True, exist_ok=True)
    return make_wheel(work, "bench-unrelated", "1.0").read_bytes()


def fill_folder(folder: Path, chain: list[Path], template: Path, count: int) -> None:
    """The chain and ``count`` unrelated wheels (hard links of ``template``) in
    ``folder``/wheels/, all listed in its SHA256SUMS, dated an hour ago (as files copied in
    before an index is written are: the index trusts no file of its own second)."""
    progress(f"plans: linking {count + CHAIN:,} wheels into {folder}")
    wheels = folder / "wheels"
    wheels.mkdir(parents=True)
    digest = hashlib.sha256(template.read_bytes()).hexdigest()
    then = time.time() - 3600
    sums = []
    for wheel in chain:
        shutil.copyfile(wheel, wheels / wheel.name)
        os.utime(wheels / wheel.name, (then, then))
        sums.append(f"{hashlib.sha256(wheel.read_bytes()).hexdigest()}  {wheel.name}\n")
    linked = wheels
    for number in range(count):
        name = wheels / f"bench_unrelated_{number:06}-1.0-py3-none-any.whl"
        if number % LINKS_PER_FILE == 0:
            # A file may have only so many links (ext4: 65,000): a copy starts each batch.
            shutil.copyfile(template, name)
            os.utime(name, (then, then))  # and so every link of it
            linked = name
        else:
            os.link(linked, name)
        sums.append(f"{digest}  {name.name}\n")
    (wheels / "SHA256SUMS").write_text("".join(sums))


def upload(servers: Servers, prefix: str, chain: list[Path], template: bytes, count: int) -> None:
    """The chain and ``count`` unrelated wheels under ``prefix``/wheels/, all listed in its
    SHA256SUMS, as an admin's bucket would have them."""
    progress(f"plans: putting {count + CHAIN:,} wheels under {prefix}/ (moto: ~200 a second)")
    s3: Any = servers.s3(max_pool_connections=FILL_THREADS)
    bodies = {wheel.name: wheel.read_bytes() for wheel in chain}
    bodies.update((f"bench_unrelated_{n:06}-1.0-py3-none-any.whl", template) for n in range(count))
    with ThreadPoolExecutor(FILL_THREADS) as pool:
        for _ in pool.map(
            lambda item: s3.put_object(Bucket=BUCKET, Key=f"{prefix}/wheels/{item[0]}",
                                       Body=item[1]),
            bodies.items(),
        ):  # fmt: skip
            pass  # map re-raises a failed put here
    sums = "".join(f"{hashlib.sha256(b).hexdigest()}  {n}\n" for n, b in sorted(bodies.items()))
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}/wheels/SHA256SUMS", Body=sums.encode())
