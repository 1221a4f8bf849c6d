"""The doctor with real parts: pypiserver over HTTPS behind a trustme CA, proxy.py on
127.0.0.1 (the only one that resolves the mirror's name), real pip, uv and npm reading
the files a profile switch wrote, with the environment a kernel gets."""

from __future__ import annotations

import asyncio
import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from demo.services import Service
from jupyterlab_airlock.doctor import run_doctor
from jupyterlab_airlock.profiles import ConfigPaths, ProfileApplier

from .mirrors import BLOCKED_HOST, MIRROR_HOST, start_proxy, start_tls_pypiserver
from .wheels import make_wheel

PACKAGE = "airlock-probe"
needs_npm = pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("ca")
    authority = trustme.CA(organization_name="Airlock Test Corp")
    issued = authority.issue_cert(MIRROR_HOST, BLOCKED_HOST)
    issued.private_key_and_cert_chain_pem.write_to_path(str(folder / "server.pem"))
    authority.cert_pem.write_to_path(str(folder / "ca.pem"))
    return {"server": folder / "server.pem", "ca": folder / "ca.pem"}


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory, ca: dict[str, Path]) -> Iterator[Service]:
    folder = tmp_path_factory.mktemp("wheels")
    make_wheel(folder, PACKAGE)
    service = start_tls_pypiserver(folder, ca["server"], ca["server"], folder / "server.log")
    yield service
    service.stop()


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    service = start_proxy(tmp_path_factory.mktemp("proxy") / "proxy.log")
    yield service
    service.stop()


@pytest.fixture
def kernel_env(paths: ConfigPaths) -> dict[str, str]:
    """What a kernel of this user gets: the server's PATH and HOME, nothing of the machine
    running the tests (its PIP_*, SSL_CERT_FILE, proxies)."""
    home = paths.npm.parent
    return {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(home)}


def doctor(profile: dict[str, Any], env: dict[str, str], paths: ConfigPaths) -> dict[str, Any]:
    """Switch to ``profile`` as a user would (files and environment), then ask the doctor."""
    ProfileApplier(paths, env).apply(profile)
    results = asyncio.run(run_doctor(profile, env, python_package=PACKAGE, npm_package=PACKAGE))
    return {result["tool"]: result for result in results}


def profile_for(mirror: Service, **extra: Any) -> dict[str, Any]:
    return {"name": "corp", "pip": {"index-url": mirror.url}, **extra}


def test_trusted_ca_and_the_needed_proxy_reach_the_mirror(
    mirror: Service, proxy: Service, ca: dict[str, Path], kernel_env: dict[str, str],
    paths: ConfigPaths,
) -> None:  # fmt: skip
    profile = profile_for(mirror, ca_bundle=str(ca["ca"]), proxy={"https": proxy.url})

    found = doctor(profile, kernel_env, paths)

    for tool in ("pip", "uv"):
        assert found[tool]["outcome"] == "reached", found[tool]
        assert found[tool]["message"] == f"Found '{PACKAGE}' at {mirror.url}."
    assert found["pip"]["command"].startswith("python -m pip install -vv --dry-run")
    assert found["uv"]["command"].startswith(f"echo {PACKAGE} | uv pip compile - --no-deps")
    assert found["npm"]["outcome"] in ("not-configured", "not-installed")
    assert found["conda"]["outcome"] in ("not-configured", "not-installed")


def test_an_untrusted_ca_is_named(
    mirror: Service, proxy: Service, kernel_env: dict[str, str], paths: ConfigPaths
) -> None:
    found = doctor(profile_for(mirror, proxy={"https": proxy.url}), kernel_env, paths)

    for tool in ("pip", "uv"):
        assert found[tool]["outcome"] == "failed"
        assert found[tool]["message"].startswith(
            f"The TLS certificate of {MIRROR_HOST} is not trusted: it was signed by "
            "'OU=Testing CA #"
        ), found[tool]
        assert ",O=Airlock Test Corp', a CA that " in found[tool]["message"]
        assert "(the profile's CA bundle: none is set)" in found[tool]["message"]


def test_a_missing_proxy_is_told_from_a_needed_one(
    mirror: Service, ca: dict[str, Path], kernel_env: dict[str, str], paths: ConfigPaths
) -> None:
    found = doctor(profile_for(mirror, ca_bundle=str(ca["ca"])), kernel_env, paths)

    for tool in ("pip", "uv"):
        assert found[tool]["message"] == (
            f"The name {MIRROR_HOST} does not resolve here: the mirror may only be reachable "
            "through the site's proxy (set the profile's proxy), or its URL is wrong."
        ), found[tool]


def test_the_proxy_refusing_the_tunnel(
    mirror: Service, proxy: Service, ca: dict[str, Path], kernel_env: dict[str, str],
    paths: ConfigPaths,
) -> None:  # fmt: skip
    blocked = mirror.url.replace(MIRROR_HOST, BLOCKED_HOST)
    profile = {
        "name": "blocked",
        "pip": {"index-url": blocked},
        "ca_bundle": str(ca["ca"]),
        "proxy": {"https": proxy.url},
    }

    found = doctor(profile, kernel_env, paths)

    for tool in ("pip", "uv"):
        assert found[tool]["message"].startswith(
            f"The proxy 127.0.0.1:{proxy.url.rsplit(':', 1)[1]} refused the tunnel to "
            f"{BLOCKED_HOST}"
        ), found[tool]


def test_a_proxy_that_is_not_running(
    mirror: Service, ca: dict[str, Path], kernel_env: dict[str, str], paths: ConfigPaths
) -> None:
    profile = profile_for(mirror, ca_bundle=str(ca["ca"]), proxy={"https": "http://127.0.0.1:9"})

    found = doctor(profile, kernel_env, paths)

    for tool in ("pip", "uv"):
        assert found[tool]["message"].startswith(
            "The proxy 127.0.0.1:9 cannot be reached (connection refused)"
        ), found[tool]


def test_a_wrong_index_path(
    mirror: Service, proxy: Service, ca: dict[str, Path], kernel_env: dict[str, str],
    paths: ConfigPaths,
) -> None:  # fmt: skip
    wrong = mirror.url.replace("/simple/", "/repository/pypi/simple/")
    profile = {
        "name": "wrong",
        "pip": {"index-url": wrong},
        "ca_bundle": str(ca["ca"]),
        "proxy": {"https": proxy.url},
    }

    found = doctor(profile, kernel_env, paths)

    for tool in ("pip", "uv"):
        assert found[tool]["message"].startswith(
            f"The index path is wrong: {wrong} is no package index (HTTP 404)"
        ), found[tool]


def test_a_package_the_mirror_lacks(
    mirror: Service, proxy: Service, ca: dict[str, Path], kernel_env: dict[str, str],
    paths: ConfigPaths,
) -> None:  # fmt: skip
    profile = profile_for(mirror, ca_bundle=str(ca["ca"]), proxy={"https": proxy.url})
    ProfileApplier(paths, kernel_env).apply(profile)

    results = asyncio.run(run_doctor(profile, kernel_env, python_package="not-on-the-mirror"))

    for result in results[:2]:
        assert result["message"] == (
            f"Reached {mirror.url}, but the mirror has no package "
            "'not-on-the-mirror', so nothing was resolved."
        ), result
        # Reached, but not whole: the panel says so rather than showing ✓.
        assert (result["outcome"], result["ok"]) == ("reached", False)


class _Refusing(http.server.BaseHTTPRequestHandler):
    """A mirror that wants credentials (401) or refuses this user (403) for every page."""

    def do_GET(self) -> None:
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.mark.parametrize("status", [401, 403])
def test_refused_access(status: int, kernel_env: dict[str, str], paths: ConfigPaths) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    server.status = status  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/simple/"
        found = doctor({"name": "refusing", "pip": {"index-url": url}}, kernel_env, paths)
    finally:
        server.shutdown()
        server.server_close()

    for tool in ("pip", "uv"):
        assert found[tool]["message"].startswith(f"The mirror refused access (HTTP {status})"), (
            found[tool]
        )


def test_an_offline_profile_runs_nothing(kernel_env: dict[str, str], paths: ConfigPaths) -> None:
    found = doctor({"name": "sealed", "offline": True}, kernel_env, paths)

    assert found["pip"]["outcome"] == "offline"
    assert found["pip"]["ok"] is True
    assert found["pip"]["output"] == ""
    assert "'sealed' is offline" in found["uv"]["message"]


@needs_npm
def test_npm_reaches_the_registry_with_the_ca_of_the_profile(
    mirror: Service, proxy: Service, ca: dict[str, Path], kernel_env: dict[str, str],
    paths: ConfigPaths,
) -> None:  # fmt: skip
    registry = mirror.url.replace("/simple/", "/npm/")
    trusted = {"name": "npm", "npm": {"registry": registry}, "proxy": {"https": proxy.url}}

    untrusted = doctor(trusted, kernel_env, paths)["npm"]
    found = doctor({**trusted, "ca_bundle": str(ca["ca"])}, kernel_env, paths)["npm"]

    assert "is not trusted: it was signed by 'OU=Testing CA #" in untrusted["message"]
    # pypiserver is no npm registry: trusted and through the proxy, npm gets its 404.
    assert found["message"].startswith(f"Reached {registry}, but the mirror has no package")
    assert found["command"].startswith(f"npm view {PACKAGE} version")


def test_real_uv_and_pip_install_through_the_written_files(
    mirror: Service, proxy: Service, ca: dict[str, Path], kernel_env: dict[str, str],
    paths: ConfigPaths, tmp_path: Path,
) -> None:  # fmt: skip
    """Not the doctor: the files alone make both installers use the mirror."""
    profile = profile_for(mirror, ca_bundle=str(ca["ca"]), proxy={"https": proxy.url})
    ProfileApplier(paths, kernel_env).apply(profile)
    target = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(target)], check=True)
    python = str(target / "bin" / "python")
    uv = shutil.which("uv", path=kernel_env["PATH"])
    assert uv is not None

    subprocess.run(
        [uv, "pip", "install", "--python", python, "--no-cache", PACKAGE],
        env=kernel_env, check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        [python, "-c", "import airlock_probe"], env=kernel_env, check=True, capture_output=True
    )
    downloaded = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir",
         "-d", str(tmp_path / "got"), PACKAGE],
        env=kernel_env, capture_output=True, text=True,
    )  # fmt: skip
    assert downloaded.returncode == 0, downloaded.stderr
    assert [p.name for p in (tmp_path / "got").iterdir()] == ["airlock_probe-1.0-py3-none-any.whl"]
    assert os.environ.get("SSL_CERT_FILE") != str(ca["ca"])  # the test's own process untouched
