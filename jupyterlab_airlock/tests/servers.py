"""A Jupyter server with Airlock in a process of its own, for the tests that need one the
way an admin runs it: stopped by a signal, or called synchronously by another library."""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from demo.content import DEMO_AWS_ENV
from demo.services import HOST, Service, free_port, start_service

DEADLINE = 60.0
T = TypeVar("T")


def until(what: str, check: Callable[[], T | None]) -> T:
    """Poll ``check`` until it returns something, or fail naming ``what``."""
    deadline = time.monotonic() + DEADLINE
    while (result := check()) is None:
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {DEADLINE:g} s")
        time.sleep(0.1)  # bounded polling of another process, which offers no event
    return result


class Server:
    """A Jupyter server with Airlock in a process of its own, over the given folders."""

    def __init__(self, tmp_path: Path, data_dir: Path, source: dict[str, Any]) -> None:
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.config = tmp_path / "jupyter_server_config.py"
        profiles = [{"name": "bucket", "source": source}]
        self.config.write_text(
            "c.ServerApp.allow_root = True\n"
            f"c.ServerApp.root_dir = {str(tmp_path / 'root')!r}\n"
            "c.ServerApp.jpserver_extensions = {'jupyterlab_airlock': True}\n"
            f"c.Airlock.profiles = {profiles!r}\n"
            "c.Airlock.active_profile = 'bucket'\n"
        )
        (tmp_path / "root").mkdir()
        (tmp_path / "home").mkdir()
        self.env = {
            **os.environ,
            **DEMO_AWS_ENV,
            "HOME": str(tmp_path / "home"),
            "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
            "JUPYTER_DATA_DIR": str(data_dir),
            "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        }
        self.logs = tmp_path / "logs"
        self.jobs = data_dir / "airlock" / "jobs"

    def start(self) -> Service:
        """Start the server (again), its log in a file of its own."""
        self.log = self.logs / f"server-{len(list(self.logs.glob('*.log'))) + 1}.log"
        argv = [
            sys.executable, "-m", "jupyter_server", f"--config={self.config}",
            f"--ip={HOST}", f"--port={self.port}", "--port-retries=0", "--no-browser",
            f"--IdentityProvider.token={self.token}",
        ]  # fmt: skip
        url = f"http://{HOST}:{self.port}/airlock/status"
        return start_service("Jupyter server", argv, url, log=self.log, env=self.env)

    def index_secret(self) -> str:
        """The index's credential, which the server wrote at its first start."""
        return (Path(self.env["JUPYTER_DATA_DIR"]) / "airlock" / "index-secret").read_text().strip()

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=f"http://{HOST}:{self.port}/airlock/",
            headers={"Authorization": f"token {self.token}"},
            timeout=30,
        )
