"""pytest fixtures shared by the Python tests: a real Jupyter server with Airlock loaded."""

from __future__ import annotations

from typing import Any

import pytest

pytest_plugins = ("pytest_jupyter.jupyter_server",)

TEST_PROFILES: list[dict[str, Any]] = [
    {
        "name": "corp",
        "description": "The corporate Nexus mirror",
        "pip": {"index-url": "https://nexus.corp.example/repository/pypi/simple/"},
        "source": {"kind": "folder", "path": "/mnt/exchange"},
    },
]


@pytest.fixture
def airlock_config() -> dict[str, Any]:
    """The ``c.Airlock`` options of the test server; override it in a test module."""
    return {"profiles": TEST_PROFILES, "active_profile": "corp"}


@pytest.fixture
def jp_server_config(jp_server_config: Any, airlock_config: dict[str, Any]) -> dict[str, Any]:
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyterlab_airlock": True},
            # Test against a server which requires authentication on all endpoints.
            "allow_unauthenticated_access": False,
        },
        "Airlock": airlock_config,
    }
