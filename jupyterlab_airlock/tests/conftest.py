"""Fixtures shared by the tests of the web-free core."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPResponse

from jupyterlab_airlock.profiles import ConfigPaths

from .contract import check_response
from .installs import fill_bucket


@pytest.fixture
def jp_fetch(
    jp_fetch: Callable[..., Awaitable[HTTPResponse]], jp_base_url: str
) -> Callable[..., Awaitable[HTTPResponse]]:
    """pytest-jupyter's jp_fetch, with every Airlock answer (errors too) checked against
    openapi.yaml: an off-spec answer fails the test that got it."""

    async def fetch(*parts: str, **kwargs: Any) -> HTTPResponse:
        try:
            response = await jp_fetch(*parts, **kwargs)
        except HTTPClientError as error:
            if error.response is not None:
                check_response(error.response, jp_base_url)
            raise
        check_response(response, jp_base_url)
        return response

    return fetch


@pytest.fixture
def paths(tmp_path: Path) -> ConfigPaths:
    """The tools' user files under a home of the test's own, where the tools look for them
    when HOME is that home."""
    home = tmp_path / "home"
    return ConfigPaths(
        pip=home / ".config" / "pip" / "pip.conf",
        conda=home / ".condarc",
        npm=home / ".npmrc",
        state_dir=tmp_path / "data" / "airlock",
        uv=home / ".config" / "uv" / "uv.toml",
        jupyter=home / ".jupyter" / "jupyter_server_config.json",
    )


@pytest.fixture(scope="module")
def bucket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The read bucket of the install tests, on a moto server of the test module's own."""
    yield from fill_bucket(tmp_path_factory.mktemp("packages"))


@pytest.fixture
def kernel(tmp_path: Path, jp_data_dir: Path) -> dict[str, Any]:
    """A fresh virtual environment (no pip in it: the server's uv does the work) with a
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


@pytest.fixture
def index(jp_fetch: Any, jp_serverapp: Any, jp_base_url: str) -> Any:
    """GET a path under this server's package index, as pip does: the secret is the Basic
    auth password in the URL's userinfo (jp_fetch starts the HTTP listener). Each answer is
    checked against the spec."""
    base = jp_serverapp.web_app.settings["airlock"].index_address.url()

    async def get(path: str, accept: str = "text/html", follow: bool = False) -> Any:
        response = await AsyncHTTPClient().fetch(
            base + path, headers={"Accept": accept}, raise_error=False, follow_redirects=follow
        )
        check_response(response, jp_base_url)
        return response

    return get
