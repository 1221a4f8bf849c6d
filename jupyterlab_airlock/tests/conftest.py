"""Fixtures shared by the tests of the web-free core."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyterlab_airlock.profiles import ConfigPaths


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
