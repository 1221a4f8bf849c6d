"""The effective configuration, read back from the files by pip itself and from conda's files."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_airlock.profiles import ConfigPaths, ProfileApplier, read_effective

from .programs import cancel_once_started, fake_python

MIRROR = "https://nexus.corp.example/repository"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def paths(home: Path, tmp_path: Path) -> ConfigPaths:
    return ConfigPaths(
        pip=home / ".config" / "pip" / "pip.conf",
        conda=home / ".condarc",
        npm=home / ".npmrc",
        state_dir=tmp_path / "state",
    )


@pytest.fixture
def environ(home: Path, tmp_path: Path) -> dict[str, str]:
    """A server environment of its own: no PIP_* of this machine, no /etc/xdg/pip, no conda."""
    (tmp_path / "empty").mkdir()
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CONFIG_DIRS": str(tmp_path / "empty"),
        "PATH": str(tmp_path / "empty"),
    }


def entry(entries: list[dict[str, Any]], key: str) -> dict[str, Any]:
    found = [e for e in entries if e["key"] == key]
    assert len(found) == 1, f"{key} in {entries}"
    return found[0]


async def test_the_effective_config_shows_each_value_and_its_file(
    paths: ConfigPaths, environ: dict[str, str]
) -> None:
    applier = ProfileApplier(paths, environ)
    applier.apply(
        {
            "name": "corp",
            "pip": {
                "index-url": f"{MIRROR}/pypi/simple/",
                "extra-index-url": [f"{MIRROR}/a/simple/", f"{MIRROR}/b/simple/"],
            },
            "conda": {"channels": ["main", "r"], "custom_channels": {"corp": MIRROR}},
            "npm": {"registry": f"{MIRROR}/npm/"},
            "proxy": {"https": "http://proxy.corp.example:3128"},
        }
    )
    environ["PIP_TIMEOUT"] = "90"
    environ["npm_config_cafile"] = "/etc/ssl/corp.pem"

    effective = await read_effective(paths, sys.executable, environ)

    assert entry(effective["pip"], "global.index-url") == {
        "key": "global.index-url",
        "value": f"{MIRROR}/pypi/simple/",
        "source": str(paths.pip),
    }
    assert entry(effective["pip"], "global.extra-index-url")["value"] == (
        f"{MIRROR}/a/simple/ {MIRROR}/b/simple/"
    )
    assert entry(effective["pip"], ":env:.timeout") == {
        "key": ":env:.timeout",
        "value": "90",
        "source": "environment variable PIP_TIMEOUT",
    }
    assert entry(effective["conda"], "channels") == {
        "key": "channels",
        "value": "main, r",
        "source": str(paths.conda),
    }
    assert entry(effective["conda"], "custom_channels.corp")["value"] == MIRROR
    assert entry(effective["conda"], "proxy_servers.https")["source"] == str(paths.conda)
    assert entry(effective["npm"], "registry") == {
        "key": "registry",
        "value": f"{MIRROR}/npm/",
        "source": str(paths.npm),
    }
    assert entry(effective["npm"], "cafile")["source"] == "environment variable npm_config_cafile"
    assert entry(effective["environment"], "HTTPS_PROXY") == {
        "key": "HTTPS_PROXY",
        "value": "http://proxy.corp.example:3128",
        "source": "environment of the Jupyter server",
    }
    assert entry(effective["environment"], "PIP_TIMEOUT")["value"] == "90"
    assert {e["key"] for e in effective["environment"]} == {
        "HTTPS_PROXY",
        "https_proxy",
        "PIP_TIMEOUT",
    }


async def test_later_sources_win_and_passwords_are_redacted(
    paths: ConfigPaths, environ: dict[str, str], home: Path
) -> None:
    legacy = home / ".pip" / "pip.conf"  # pip's older user file, read before the XDG one
    legacy.parent.mkdir(parents=True)
    legacy.write_text("[global]\nindex-url = https://legacy.example/simple/\ncert = /ca.pem\n")
    paths.pip.parent.mkdir(parents=True)
    paths.pip.write_text(
        "[global]\nindex-url = https://bob:hunter2@private.example/simple/\n"
        "[install]\nextra-index-url =\n    https://alice@other.example/simple/\n"
    )
    (home / ".conda").mkdir()
    (home / ".conda" / ".condarc").write_text("channels: [base]\nchannel_alias: https://a/\n")
    paths.conda.write_text("channels: [mine]\nchannel_alias: https://u:pw@b/\n")
    environ["PIP_INDEX_URL"] = "https://env:secret@env.example/simple/"
    environ["HTTPS_PROXY"] = "http://me:pass@proxy:3128"
    environ["CONDA_CHANNELS"] = "from-env,other"

    effective = await read_effective(paths, sys.executable, environ)

    assert "hunter2" not in json.dumps(effective)
    assert "secret" not in json.dumps(effective)
    assert "pass" not in json.dumps(effective)
    assert entry(effective["pip"], "global.index-url") == {
        "key": "global.index-url",
        "value": "https://***@private.example/simple/",
        "source": str(paths.pip),
    }
    assert entry(effective["pip"], "global.cert")["source"] == str(legacy)
    assert entry(effective["pip"], "install.extra-index-url")["value"] == (
        "https://***@other.example/simple/"
    )
    assert entry(effective["pip"], ":env:.index-url")["value"] == (
        "https://***@env.example/simple/"
    )
    # conda adds up lists from every file, and a later file wins a single value.
    channels = [(e["value"], e["source"]) for e in effective["conda"] if e["key"] == "channels"]
    assert channels == [
        ("base", str(home / ".conda" / ".condarc")),
        ("mine", str(paths.conda)),
        ("from-env, other", "environment variable CONDA_CHANNELS"),
    ]
    assert entry(effective["conda"], "channel_alias") == {
        "key": "channel_alias",
        "value": "https://***@b/",
        "source": str(paths.conda),
    }
    assert entry(effective["environment"], "HTTPS_PROXY")["value"] == "http://***@proxy:3128"


async def test_a_file_that_cannot_be_parsed_is_shown_as_unreadable(
    paths: ConfigPaths, environ: dict[str, str]
) -> None:
    paths.pip.parent.mkdir(parents=True)
    paths.pip.write_text("index-url = https://a/simple/\n")
    paths.conda.write_text("channels: [main\n")
    paths.npm.write_bytes(b"registry=caf\xe9\n")

    effective = await read_effective(paths, sys.executable, environ)

    [pip] = effective["pip"]
    assert pip["key"] == "(unreadable)"
    assert pip["source"] == str(paths.pip)
    assert "no section headers" in pip["value"]
    [conda] = effective["conda"]
    assert conda["key"] == "(unreadable)"
    assert conda["source"] == str(paths.conda)
    assert "expected ',' or ']'" in conda["value"]
    [npm] = effective["npm"]
    assert (npm["key"], npm["source"]) == ("(unreadable)", str(paths.npm))


async def test_cancelling_the_read_leaves_no_process_behind(
    paths: ConfigPaths, environ: dict[str, str], tmp_path: Path
) -> None:
    pid_file = tmp_path / "pid"
    slow_python = fake_python(tmp_path / "slow-python", f"echo $$ > {pid_file}\nexec /bin/sleep 30")

    pid = await cancel_once_started(read_effective(paths, slow_python, environ), pid_file)

    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_a_python_that_cannot_run_pip_is_reported(
    paths: ConfigPaths, environ: dict[str, str], tmp_path: Path
) -> None:
    effective = await read_effective(paths, str(tmp_path / "no-python"), environ)

    [pip] = effective["pip"]
    assert pip["key"] == "(unreadable)"
    assert "cannot be run: No such file or directory" in pip["value"]


@pytest.mark.skipif(shutil.which("conda") is None, reason="conda is not installed here")
async def test_conda_answers_for_itself_where_it_is_installed(
    paths: ConfigPaths, environ: dict[str, str]
) -> None:
    environ["PATH"] = os.environ["PATH"]
    paths.conda.write_text("channels:\n  - https://conda.lab.example/main\n")

    effective = await read_effective(paths, sys.executable, environ)

    assert entry(effective["conda"], "channels") == {
        "key": "channels",
        "value": "https://conda.lab.example/main",
        "source": str(paths.conda),
    }
