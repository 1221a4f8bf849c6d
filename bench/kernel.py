"""A kernel from a transfer bundle: ipykernel's closure (built once from PyPI with
``jupyter airlock bundle``'s builder, kept in ~/.cache/airlock-bench) becomes a new kernel
(Airlock's ``create_kernel_from_bundle``: the bundle verified, a virtual environment, uv
offline with hashes required, the kernelspec) against ``python -m venv`` and pip installing
the same files with ``--no-index --find-links``, in alternating rounds."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from packaging.requirements import Requirement

from bench.common import BenchError, Outcome, Ratio, Scale, alternate, progress
from bench.install import DOWNLOADS
from jupyterlab_airlock.bundle.build import build_bundle
from jupyterlab_airlock.bundle_format.folder import parse_target
from jupyterlab_airlock.jobs import Job, JobContext
from jupyterlab_airlock.kernels.create import NewKernel, create_kernel_from_bundle

# Issue 14's target.
LIMIT = 0.3
PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"
# This machine's wheels: pyzmq, tornado and psutil ship manylinux_2_28 or 2_17 ones.
PLATFORMS = ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"]


def run(scale: Scale) -> Iterator[Outcome]:
    bundle = _bundle()
    with tempfile.TemporaryDirectory(prefix="airlock-kernel-") as scratch:
        work = Path(scratch)
        made = 0

        def airlock() -> float:
            nonlocal made
            made += 1
            context = JobContext(Job(id="bench", kind="kernel", title="", queue=""), _quiet)
            kernel = NewKernel(f"k{made}", "Bench", work / "kernels", work / "envs")
            start = time.perf_counter()
            asyncio.run(
                create_kernel_from_bundle(bundle, kernel, context, cache_root=work / "cache")
            )
            elapsed = time.perf_counter() - start
            shutil.rmtree(work / "envs")
            shutil.rmtree(work / "kernels")
            return elapsed

        def venv_and_pip() -> float:
            prefix = work / "plain"
            env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
            env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
            start = time.perf_counter()
            for argv in (
                [sys.executable, "-m", "venv", str(prefix)],
                [str(prefix / "bin" / "python"), "-m", "pip", "install", "--quiet",
                 "--no-index", "--find-links", str(bundle), "ipykernel"],
            ):  # fmt: skip
                done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
                if done.returncode != 0:
                    raise BenchError(f"{argv[1]} failed: {done.stderr.strip()[-500:]}")
            elapsed = time.perf_counter() - start
            shutil.rmtree(prefix)
            return elapsed

        progress("kernel: a kernel from ipykernel's bundle against python -m venv and pip")
        ours, baseline = alternate(scale.rounds, airlock, venv_and_pip)
    yield Ratio("kernel from a bundle (ipykernel's closure)", "Airlock", ours,
                "python -m venv + pip install --no-index --find-links", baseline,
                LIMIT)  # fmt: skip


def _bundle() -> Path:
    """ipykernel's bundle for this machine, built from PyPI once."""
    folder = DOWNLOADS / f"ipykernel-bundle-py{PYTHON.replace('.', '')}"
    if not folder.is_dir():
        progress("kernel: building ipykernel's bundle from PyPI")
        folder.parent.mkdir(parents=True, exist_ok=True)
        target = parse_target(PLATFORMS, PYTHON)
        asyncio.run(build_bundle(folder, [Requirement("ipykernel")], target))
    return folder


def _quiet(_job: Job) -> None:
    """The bench reads no job log."""
