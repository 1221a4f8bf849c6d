"""Fixtures shared by the tests of the web-free core."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_airlock.profiles import ConfigPaths

from .installs import fill_bucket


@pytest.fixture
def paths(tmp_path: Path) -> ConfigPaths:
    """pip's, conda's and npm's user files under a home of the test's own."""
    home = tmp_path / "home"
    return ConfigPaths(
        pip=home / ".config" / "pip" / "pip.conf",
        conda=home / ".condarc",
        npm=home / ".npmrc",
        state_dir=tmp_path / "data" / "airlock",
    )


@pytest.fixture(scope="module")
def bucket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The read bucket of the install tests, on a moto server of the test module's own."""
    yield from fill_bucket(tmp_path_factory.mktemp("packages"))


@pytest.fixture
def kernel(tmp_path: Path, jp_data_dir: Path) -> dict[str, Any]:
    """A fresh virtual environment (no pip in it: the server's pip does the work) with a
    kernelspec named 'testenv'."""
    prefix = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True)
    python = prefix / "bin" / "python"
    spec = jp_data_dir / "kernels" / "testenv"
    spec.mkdir(parents=True)
    argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Test env", "language": "python"})
    )
    return {"name": "testenv", "python": python, "prefix": prefix}
