"""A switch configures uv and JupyterLab's Extension Manager too, and gives every tool the
CA; revert puts every file back byte for byte. uv and Jupyter read what was written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_airlock.profiles import ConfigPaths, ProfileApplier

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MIRROR = "https://nexus.corp.example/repository/pypi-all"
USER_UV = """\
# uv, by hand
cache-dir = "/data/uv-cache"
index-url = "https://pypi.org/simple"

[pip]
# keep bytecode
compile-bytecode = true
"""
USER_JUPYTER = '{"ServerApp": {"ip": "0.0.0.0"}, "LabApp": {"collaborative": true}}'


@pytest.fixture
def environ() -> dict[str, str]:
    return {"PATH": "/usr/bin", "SSL_CERT_FILE": "/etc/ssl/site.pem"}


@pytest.fixture
def ca_bundle(tmp_path: Path) -> str:
    path = tmp_path / "corp-ca.pem"
    path.write_text("-----BEGIN CERTIFICATE-----\n")
    return str(path)


def files(paths: ConfigPaths) -> tuple[Path, Path]:
    assert paths.uv is not None
    assert paths.jupyter is not None
    return paths.uv, paths.jupyter


def write(path: Path, text: str) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path.read_bytes()


def test_uv_gets_the_index_the_ca_and_keeps_the_users_lines(
    paths: ConfigPaths, environ: dict[str, str], ca_bundle: str
) -> None:
    uv, _ = files(paths)
    write(uv, USER_UV)
    profile = {
        "name": "corp",
        "pip": {
            "index-url": f"{MIRROR}/simple/",
            "extra-index-url": [f"{MIRROR}-more/simple/"],
            "trusted-host": ["nexus.corp.example"],
        },
        "ca_bundle": ca_bundle,
    }

    ProfileApplier(paths, environ).apply(profile)

    text = uv.read_text()
    assert text.startswith('# uv, by hand\ncache-dir = "/data/uv-cache"\n')
    assert "[pip]\n# keep bytecode\ncompile-bytecode = true\n" in text
    assert tomllib.loads(text) == {
        "cache-dir": "/data/uv-cache",
        "index-url": f"{MIRROR}/simple/",
        "extra-index-url": [f"{MIRROR}-more/simple/"],
        "allow-insecure-host": ["nexus.corp.example"],
        "native-tls": True,
        "pip": {"compile-bytecode": True},
    }


def test_an_offline_profile_makes_uv_offline_and_the_extension_manager_read_only(
    paths: ConfigPaths, environ: dict[str, str]
) -> None:
    uv, jupyter = files(paths)

    record = ProfileApplier(paths, environ).apply({"name": "sealed", "offline": True})

    assert any("restart the server" in note for note in record["notes"])
    assert tomllib.loads(uv.read_text()) == {"offline": True, "no-index": True}
    assert json.loads(jupyter.read_text()) == {"LabApp": {"extension_manager": "readonly"}}


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ({"pip": {"index-url": f"{MIRROR}/simple/"}}, f"{MIRROR}/pypi"),
        ({"pip": {"index-url": "https://devpi.example/root/pypi/+simple/"}}, None),
        (
            {
                "pip": {"index-url": "https://devpi.example/root/pypi/+simple/"},
                "jupyterlab": {"extension_index": "https://devpi.example/root/pypi"},
            },
            "https://devpi.example/root/pypi",
        ),
    ],
)
def test_the_extension_manager_lists_from_the_mirrors_pypi_api(
    paths: ConfigPaths, environ: dict[str, str], profile: dict[str, Any], expected: str | None
) -> None:
    _, jupyter = files(paths)
    write(jupyter, USER_JUPYTER)

    ProfileApplier(paths, environ).apply({"name": "corp", **profile})

    settings = json.loads(jupyter.read_text())
    assert settings["ServerApp"] == {"ip": "0.0.0.0"}
    assert settings["LabApp"] == {"collaborative": True}
    assert settings.get("PyPIExtensionManager", {}).get("base_url") == expected


def test_the_ca_reaches_every_tool_of_kernels_started_afterwards(
    paths: ConfigPaths, environ: dict[str, str], ca_bundle: str
) -> None:
    applier = ProfileApplier(paths, environ)

    record = applier.apply({"name": "corp", "ca_bundle": ca_bundle})

    for variable in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "AWS_CA_BUNDLE"):
        assert environ[variable] == ca_bundle
        assert record["environment"][variable] == ca_bundle
    applier.revert()
    assert environ == {"PATH": "/usr/bin", "SSL_CERT_FILE": "/etc/ssl/site.pem"}


def test_revert_restores_every_file_byte_for_byte(
    paths: ConfigPaths, environ: dict[str, str], ca_bundle: str
) -> None:
    uv, jupyter = files(paths)
    before = {
        paths.pip: write(paths.pip, "[global]\ntimeout = 9\n"),
        paths.conda: write(paths.conda, "envs_dirs:\n  - /data/envs\n"),
        paths.npm: write(paths.npm, "save-exact=true\n"),
        uv: write(uv, USER_UV),
        jupyter: write(jupyter, USER_JUPYTER),
    }
    applier = ProfileApplier(paths, environ)
    profile = {
        "name": "corp",
        "pip": {"index-url": f"{MIRROR}/simple/"},
        "npm": {"registry": "https://nexus.corp.example/repository/npm/"},
        "conda": {"channels": ["main"]},
        "ca_bundle": ca_bundle,
    }
    applier.apply(profile)
    assert all(path.read_bytes() != data for path, data in before.items())
    applier.apply({"name": "sealed", "offline": True})

    applier.revert()
    applier.revert()

    assert {path: path.read_bytes() for path in before} == before


def test_a_user_uv_config_file_is_named_in_the_notes(
    paths: ConfigPaths, environ: dict[str, str]
) -> None:
    environ["UV_CONFIG_FILE"] = "/home/me/uv.toml"

    record = ProfileApplier(paths, environ).apply({"name": "corp", "pip": {}})

    assert any("UV_CONFIG_FILE names /home/me/uv.toml" in note for note in record["notes"])


def test_an_unreadable_uv_toml_is_left_untouched(
    paths: ConfigPaths, environ: dict[str, str]
) -> None:
    uv, _ = files(paths)
    broken = write(uv, 'index-url = "unterminated\n')

    with pytest.raises(Exception, match=r"uv\.toml cannot be read") as caught:
        ProfileApplier(paths, environ).apply({"name": "corp", "pip": {}})

    assert getattr(caught.value, "code", None) == "unreadable-config"
    assert uv.read_bytes() == broken
    assert not paths.pip.exists()


def test_real_uv_and_jupyter_read_what_was_written(
    paths: ConfigPaths, environ: dict[str, str], tmp_path: Path
) -> None:
    uv, jupyter = files(paths)
    home = paths.npm.parent
    ProfileApplier(paths, environ).apply(
        {"name": "corp", "pip": {"index-url": f"{MIRROR}/simple/"}}
    )

    # The mirror is not there: uv says which settings it read instead of resolving.
    shown = subprocess.run(
        [str(Path(sys.executable).parent / "uv"), "pip", "compile", "--show-settings", "-"],
        input="",
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"{MIRROR}/simple/" in shown
    code = (
        "from jupyter_server.serverapp import ServerApp\n"
        "from jupyterlab.extensions.pypi import PyPIExtensionManager\n"
        "app = ServerApp(); app.load_config_file()\n"
        "print(PyPIExtensionManager(parent=app).base_url)\n"
    )
    base_url = subprocess.run(
        [sys.executable, "-c", code],
        env={"HOME": str(home), "JUPYTER_CONFIG_DIR": str(jupyter.parent), "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout.strip()
    assert base_url == f"{MIRROR}/pypi"
    assert uv.exists()
