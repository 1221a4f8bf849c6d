"""An environment's interpreter is asked once, and again only after its sys.path may have
changed; its packages are read every time: an install by hand with pip in a terminal is
seen by the next plan, which starts no Python.

Real parts: a virtual environment, pip installing a wheel built here into it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_airlock.environments import facts as environment

from .wheels import make_wheel

HOUR_NS = 3600 * 1_000_000_000


def settle(prefix: Path) -> None:
    """Date every folder and file of the environment an hour back, as they are once it has
    been left alone: no date is then too recent to trust."""
    then = time.time_ns() - HOUR_NS
    for path in [prefix, *prefix.rglob("*")]:
        if not path.is_symlink():
            os.utime(path, ns=(then, then))


@pytest.fixture(autouse=True)
def nothing_known(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's interpreters are asked afresh: none answered for another test's venv."""
    monkeypatch.setattr(environment, "_known", {})


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    prefix = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True)
    settle(prefix)
    return prefix


@pytest.fixture
def interpreter_runs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Each time the kernel's interpreter is started to describe itself."""
    started: list[list[str]] = []
    real = environment.run

    async def counted(argv: list[str], **options: Any) -> Any:
        started.append(argv)
        return await real(argv, **options)

    monkeypatch.setattr(environment, "run", counted)
    return started


def describe(python: Path) -> dict[str, Any]:
    described: dict[str, Any] = asyncio.run(environment.describe_environment(str(python)))
    return described


def names(described: dict[str, Any]) -> set[str]:
    return {package["name"] for package in described["packages"]}


def test_a_pip_install_by_hand_is_seen_by_the_next_description(
    venv: Path, tmp_path: Path, interpreter_runs: list[list[str]]
) -> None:
    python = venv / "bin" / "python"
    first = describe(python)
    assert "hand-made" not in names(first)
    assert describe(python) == first
    assert len(interpreter_runs) == 1  # the second answer started no Python

    [site_packages] = venv.glob("lib/python*/site-packages")
    dated = site_packages.stat().st_mtime_ns
    wheel = make_wheel(tmp_path, "hand-made", "1.0")
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index",
         "--disable-pip-version-check", "--quiet", str(wheel)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    # Even when the folder's date did not move (a coarse clock): the packages are read anew.
    os.utime(site_packages, ns=(dated, dated))
    assert "hand-made" in names(describe(python))
    assert len(interpreter_runs) == 1


def test_a_pth_file_added_by_hand_asks_the_interpreter_again(
    venv: Path, tmp_path: Path, interpreter_runs: list[list[str]]
) -> None:
    """A .pth file adds a folder to sys.path: packages there are the kernel's too."""
    python = venv / "bin" / "python"
    describe(python)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "far_away-2.0.dist-info").mkdir()
    (extra / "far_away-2.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: far-away\nVersion: 2.0\n"
    )
    [site_packages] = venv.glob("lib/python*/site-packages")
    (site_packages / "extra.pth").write_text(f"{extra}\n")
    described = describe(python)
    assert len(interpreter_runs) == 2
    assert {"name": "far-away", "version": "2.0", "installer": None, "ecosystem": "pypi"} in (
        described["packages"]
    )
    describe(python)
    assert len(interpreter_runs) == 2


@pytest.mark.parametrize("sibling_kept", [True, False], ids=["sibling-kept", "sibling-deleted"])
def test_a_fresh_venv_of_a_python_already_asked_is_described_without_starting_it(
    sibling_kept: bool,
    venv: Path,
    tmp_path: Path,
    interpreter_runs: list[list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Kernels come and go: the venv that was asked need not be there any more."""
    describe(venv / "bin" / "python")
    if not sibling_kept:
        shutil.rmtree(venv)
    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(fresh)], check=True)
    derived = describe(fresh / "bin" / "python")
    assert len(interpreter_runs) == 1
    monkeypatch.setattr(environment, "_known", {})  # the interpreter itself, for comparison
    assert describe(fresh / "bin" / "python") == derived
    assert len(interpreter_runs) == 2
    assert derived["prefix"] == str(fresh)


def test_a_fresh_venv_with_another_pyvenv_cfg_is_asked(
    venv: Path, tmp_path: Path, interpreter_runs: list[list[str]]
) -> None:
    """A sibling is compared with the pyvenv.cfg the asked venv had, also once it is gone:
    a venv that sees the system's site-packages is asked."""
    describe(venv / "bin" / "python")
    shutil.rmtree(venv)
    fresh = tmp_path / "fresh"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(fresh)],
        check=True,
    )
    described = describe(fresh / "bin" / "python")
    assert len(interpreter_runs) == 2
    assert described["prefix"] == str(fresh)


def test_a_fresh_venv_with_a_pth_file_is_asked(
    venv: Path, tmp_path: Path, interpreter_runs: list[list[str]]
) -> None:
    describe(venv / "bin" / "python")
    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(fresh)], check=True)
    [site_packages] = fresh.glob("lib/python*/site-packages")
    (site_packages / "extra.pth").write_text(f"{tmp_path}\n")
    described = describe(fresh / "bin" / "python")
    assert len(interpreter_runs) == 2
    assert described["prefix"] == str(fresh)
