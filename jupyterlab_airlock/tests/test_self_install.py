"""Airlock itself across the gap, as the admin guide (docs/admin-guide.md) says to do it.

Connected side: the wheel of this checkout is built, and ``jupyter airlock bundle`` makes a
bundle of it and JupyterLab with their whole closure for this machine's Python and
platform, from a DMZ mirror (pypiserver on 127.0.0.1 serving the wheels of uv.lock's
versions, downloaded from PyPI once into .make/ and reused by later runs). Air-gapped side:
fresh environments get it with ``pip install --no-index --find-links`` and ``uv pip install
--offline --no-index --find-links``, with every configuration file, index and cache of this
machine kept out and the proxy variables pointing at a closed port; then Jupyter lists the
extension and a server started from the environment answers ``GET /airlock/status``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.tags import platform_tags
from uv import find_uv_bin

from demo.services import free_port, start_pypiserver, start_service
from jupyterlab_airlock.bundle_format.folder import Target
from jupyterlab_airlock.pip import pip_environment

ROOT = Path(__file__).resolve().parents[2]
MIRRORS = ROOT / ".make" / "dmz-mirror"
PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"
# This machine's platform as pip names it: every manylinux tag its glibc accepts.
PLATFORMS = [tag for tag in platform_tags() if tag.startswith("manylinux")]
# JupyterLab is not a dependency of the wheel (a server with Airlock needs jupyter_server
# only), so the admin names it, as the admin guide does: the release the labextension is
# built for (package.json's ~4.6.4).
LAB = "jupyterlab>=4.6.4,<4.7"
PROXY = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


def run(argv: list[str | Path], env: dict[str, str] | None = None, timeout: float = 600) -> str:
    """Run ``argv``; its output (stdout and stderr, no colours), or a failure showing it."""
    done = subprocess.run(
        [str(part) for part in argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=ROOT,
    )
    output = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)  # colours
    assert done.returncode == 0, f"{argv[:4]} failed:\n{output[-3000:]}"
    return output


def dmz_mirror(wheel: Path, work: Path) -> Path:
    """A folder of the wheels of ``wheel`` and JupyterLab's closure for this machine, at
    uv.lock's versions: the DMZ's mirror. Filled from PyPI the first time for this lock and
    target, then reused (a stamp marks it whole)."""
    constraints = locked_versions()
    target = Target(tuple(PLATFORMS), PYTHON)
    key = hashlib.sha256(f"{constraints}{target}{LAB}".encode()).hexdigest()[:16]
    folder = MIRRORS / key
    if (folder / ".complete").exists():
        return folder
    if MIRRORS.is_dir():  # a mirror of another lock is stale
        for other in MIRRORS.iterdir():
            shutil.rmtree(other)
    folder.mkdir(parents=True)
    (work / "constraints.txt").write_text(constraints)
    run(
        [sys.executable, "-m", "pip", "download", "--progress-bar", "off",
         *target.pip_options(), "--dest", folder, "--index-url", "https://pypi.org/simple/",
         "-c", work / "constraints.txt", wheel, LAB],
        env=pip_environment() | {k: v for k, v in os.environ.items() if k in PROXY},
    )  # fmt: skip
    for own in folder.glob("jupyterlab_airlock-*"):
        own.unlink()  # the mirror holds the world's packages; Airlock's wheel is given
    (folder / ".complete").touch()
    return folder


def locked_versions() -> str:
    """uv.lock's pins for the target's Python, as a pip constraints file. pip would evaluate
    the lock's markers for the interpreter it runs in (3.11.7 takes another soupsieve than
    3.11.0, say), and a bundle for "3.11" is resolved for 3.11.0: so they are evaluated here."""
    exported = subprocess.run(
        [find_uv_bin(), "export", "--frozen", "--all-extras", "--no-emit-project",
         "--no-hashes", "--no-header", "--no-annotate", "--format", "requirements-txt"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout  # fmt: skip
    target = {"python_version": PYTHON, "python_full_version": f"{PYTHON}.0"}
    pins = [Requirement(line) for line in exported.splitlines() if line.strip()]
    return "".join(
        f"{pin.name}{pin.specifier}\n"
        for pin in pins
        if pin.marker is None or pin.marker.evaluate(target)
    )


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The connected side: Airlock's wheel from this checkout, bundled with JupyterLab."""
    work = tmp_path_factory.mktemp("dmz")
    run(
        [find_uv_bin(), "build", "--wheel", "--out-dir", work / "dist", "--python", sys.executable],
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
    )
    (wheel,) = (work / "dist").glob("jupyterlab_airlock-*.whl")
    mirror = start_pypiserver(dmz_mirror(wheel, work))
    try:
        platforms = [option for tag in PLATFORMS for option in ("--platform", tag)]
        said = run(
            [sys.executable, "-m", "jupyterlab_airlock", "bundle", work / "airlock", wheel,
             LAB, *platforms, "--python-version", PYTHON, "--index-url", mirror.url],
        )  # fmt: skip
    finally:
        mirror.stop()
    assert "checked offline" in said
    described = json.loads((work / "airlock" / "bundle.json").read_text())
    assert described["requirements"] == [
        f"jupyterlab-airlock=={version_of(wheel)}",
        str(Requirement(LAB)),
    ]
    yield work / "airlock"
    shutil.rmtree(work)  # 115 MB, not left for pytest's rotation of /tmp


def version_of(wheel: Path) -> str:
    return wheel.name.split("-")[1]


@pytest.fixture
def air_gap(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of the air-gapped side: no configuration of this machine's pip, uv
    or Jupyter, no index, and every proxy variable pointing at a port that refuses."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        proxy = f"http://127.0.0.1:{closed.getsockname()[1]}"
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("PIP_", "UV_", "JUPYTER", "XDG_", "PYTHON", "CONDA"))
            and name.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
            and name != "VIRTUAL_ENV"
        }
        env |= {name: proxy for name in PROXY}
        env |= {
            "HOME": str(tmp_path / "home"),
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_NO_INDEX": "1",
            "UV_NO_CONFIG": "1",
            "UV_OFFLINE": "1",
            "UV_PYTHON_DOWNLOADS": "never",
            "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
            "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter" / "config"),
            "JUPYTER_DATA_DIR": str(tmp_path / "jupyter" / "data"),
            "JUPYTER_RUNTIME_DIR": str(tmp_path / "jupyter" / "runtime"),
        }
        yield env


def listed_under(output: str, heading: str) -> list[str]:
    """The lines of ``jupyter ... list`` output under ``heading`` (a folder it names), up
    to the next folder."""
    lines = output.splitlines()
    start = lines.index(heading) + 1
    end = next(
        (n for n in range(start, len(lines)) if lines[n].startswith(("/", "Config dir:"))),
        len(lines),
    )
    return [line.strip() for line in lines[start:end]]


def assert_airlock_is_enabled(prefix: Path, env: dict[str, str], version: str) -> None:
    """`jupyter server extension list` and `jupyter labextension list` show Airlock enabled
    in the environment at ``prefix`` (not anywhere else), and a server started there
    answers its status."""
    jupyter = prefix / "bin" / "jupyter"
    servers = run([jupyter, "server", "extension", "list"], env)
    in_prefix = listed_under(servers, f"Config dir: {prefix}/etc/jupyter")
    assert "jupyterlab_airlock enabled" in in_prefix
    assert f"jupyterlab_airlock {version} OK" in in_prefix
    assert servers.count("jupyterlab_airlock enabled") == 1
    labs = run([jupyter, "labextension", "list"], env)
    (line,) = [line for line in labs.splitlines() if "jupyterlab-airlock" in line]
    assert line.strip() in listed_under(labs, f"{prefix}/share/jupyter/labextensions")
    assert line.split() == [
        "jupyterlab-airlock",
        f"v{version}",
        "enabled",
        "OK",
        "(python,",
        "jupyterlab_airlock)",
    ]

    port, token = free_port(), "self-install-token"
    server = start_service(
        "jupyter server",
        [jupyter, "server", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
         "--ServerApp.allow_root=True", f"--ServerApp.root_dir={prefix.parent}"],
        f"http://127.0.0.1:{port}/api/status",
        env=env,
        timeout=60,
    )  # fmt: skip
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/airlock/status", headers={"Authorization": f"token {token}"}
        )
        loopback = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with loopback.open(request, timeout=30) as answer:
            status = json.loads(answer.read())
    finally:
        server.stop()
    assert status["version"] == version
    assert status["problems"] == []


def test_pip_installs_airlock_offline_beside_an_installed_jupyterlab(
    bundle: Path, air_gap: dict[str, str], tmp_path: Path
) -> None:
    prefix = tmp_path / "lab"
    run([sys.executable, "-m", "venv", prefix], air_gap)  # with pip, from ensurepip
    # The JupyterLab the site already has (put there by uv: pip's part is what follows).
    run(
        [find_uv_bin(), "pip", "install", "--offline", "--no-index", "--find-links", bundle,
         "--python", prefix / "bin" / "python", LAB],
        air_gap,
    )  # fmt: skip
    assert not list((prefix / "share" / "jupyter" / "labextensions").glob("jupyterlab-airlock"))

    run(
        [prefix / "bin" / "python", "-m", "pip", "install", "--no-index", "--find-links", bundle,
         "jupyterlab-airlock"],
        air_gap,
    )  # fmt: skip

    assert_airlock_is_enabled(prefix, air_gap, bundle_version(bundle))


def test_uv_installs_airlock_and_jupyterlab_offline_into_an_empty_environment(
    bundle: Path, air_gap: dict[str, str], tmp_path: Path
) -> None:
    prefix = tmp_path / "empty"
    uv = find_uv_bin()
    run([uv, "venv", prefix, "--python", sys.executable], air_gap)
    assert not (prefix / "bin" / "pip").exists()

    run(
        [uv, "pip", "install", "--offline", "--no-index", "--find-links", bundle,
         "--python", prefix / "bin" / "python", "jupyterlab-airlock", LAB],
        air_gap,
    )  # fmt: skip

    assert_airlock_is_enabled(prefix, air_gap, bundle_version(bundle))


def bundle_version(bundle: Path) -> str:
    (wheel,) = bundle.glob("jupyterlab_airlock-*.whl")
    return version_of(wheel)
