"""Applying and reverting profiles on real files: merge, atomic writes, backups, environment."""

from __future__ import annotations

import configparser
import os
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

from jupyterlab_airlock.errors import AirlockError
from jupyterlab_airlock.profiles import ConfigPaths, ProfileApplier

MIRROR = "https://nexus.corp.example/repository"

PROFILE_A: dict[str, Any] = {
    "name": "a",
    "offline": True,
    "pip": {
        "index-url": f"{MIRROR}/pypi/simple/",
        "extra-index-url": [f"{MIRROR}/internal/simple/", f"{MIRROR}/more/simple/"],
        "trusted-host": ["nexus.corp.example"],
        "timeout": 60,
    },
    "conda": {"channels": ["main", "r"], "channel_alias": f"{MIRROR}/conda"},
    "proxy": {"https": "http://proxy.corp.example:3128"},
    "npm": {"registry": f"{MIRROR}/npm/"},
}
PROFILE_B: dict[str, Any] = {
    "name": "b",
    "pip": {"index-url": "https://devpi.lab.example/root/pypi/+simple/"},
    "conda": {"channels": ["https://conda.lab.example/main"]},
}

USER_PIP_CONF = """\
# my pip settings
[global]
index-url = https://old.example/simple/
find-links =
    /opt/wheels
    /opt/more-wheels
Extra_Index_URL = https://stray.example/simple/

[install]
# keep this
no-deps = false
"""
USER_CONDARC = """\
# conda, by hand
channels:
- defaults
envs_dirs:
  - /data/envs   # big disk
ssl_verify: false
"""
USER_NPMRC = """\
; npm
save-exact=true
registry=https://registry.npmjs.org/
@corp:registry=https://npm.corp.example/
"""


@pytest.fixture
def environ() -> dict[str, str]:
    return {"PATH": "/usr/bin", "HTTPS_PROXY": "http://admin-proxy:8080"}


@pytest.fixture
def applier(paths: ConfigPaths, environ: dict[str, str]) -> ProfileApplier:
    return ProfileApplier(paths, environ)


def write(path: Path, text: str, mode: int = 0o644) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path.read_bytes()


def pip_conf(paths: ConfigPaths) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    parser.read_string(paths.pip.read_text())
    return parser


def tree(root: Path) -> dict[str, bytes | None]:
    """Every file and folder under ``root`` with its bytes, to prove nothing changed."""
    return {
        str(path.relative_to(root)): path.read_bytes() if path.is_file() else None
        for path in sorted(root.rglob("*"))
    }


def refusal(applier: ProfileApplier, profile: dict[str, Any], code: str) -> str:
    with pytest.raises(AirlockError) as caught:
        applier.apply(profile)
    assert caught.value.code == code
    return caught.value.message


def test_apply_sets_airlocks_keys_and_keeps_everything_else(
    applier: ProfileApplier, paths: ConfigPaths
) -> None:
    write(paths.pip, USER_PIP_CONF)
    write(paths.conda, USER_CONDARC)
    write(paths.npm, USER_NPMRC)

    record = applier.apply(PROFILE_A)

    assert record["profile"] == "a"
    assert [f["path"] for f in record["files"]] == [
        str(paths.pip),
        str(paths.conda),
        str(paths.npm),
        str(paths.uv),
        str(paths.jupyter),
    ]
    assert [f["existed"] for f in record["files"]] == [True, True, True, False, False]
    pip = pip_conf(paths)
    assert pip["global"]["index-url"] == f"{MIRROR}/pypi/simple/"
    assert pip["global"]["extra-index-url"].split() == [
        f"{MIRROR}/internal/simple/",
        f"{MIRROR}/more/simple/",
    ]
    assert pip["global"]["no-index"] == "true"
    assert pip["global"]["proxy"] == "http://proxy.corp.example:3128"
    assert pip["global"]["timeout"] == "60"
    assert pip["global"]["find-links"].split() == ["/opt/wheels", "/opt/more-wheels"]
    assert dict(pip["install"]) == {"no-deps": "false"}
    text = paths.pip.read_text()
    assert text.startswith("# my pip settings\n[global]\nfind-links =\n    /opt/wheels\n")
    assert "Extra_Index_URL" not in text  # pip reads it as extra-index-url: Airlock's key
    assert f"extra-index-url =\n    {MIRROR}/internal/simple/\n    {MIRROR}/more/simple/\n" in text
    assert "[install]\n# keep this\nno-deps = false\n" in text

    conda_text = paths.conda.read_text()
    assert conda_text.startswith("# conda, by hand\nenvs_dirs:\n  - /data/envs   # big disk\n")
    assert yaml.safe_load(conda_text) == {
        "envs_dirs": ["/data/envs"],
        "channels": ["main", "r"],
        "channel_alias": f"{MIRROR}/conda",
        "proxy_servers": {"https": "http://proxy.corp.example:3128"},
        "offline": True,
    }

    assert paths.npm.read_text() == (
        "; npm\nsave-exact=true\n@corp:registry=https://npm.corp.example/\n"
        f"registry={MIRROR}/npm/\nhttps-proxy=http://proxy.corp.example:3128\n"
    )


def test_switching_from_a_to_b_removes_what_a_wrote(
    applier: ProfileApplier, paths: ConfigPaths, environ: dict[str, str]
) -> None:
    write(paths.pip, USER_PIP_CONF)
    applier.apply(PROFILE_A)

    applier.apply(PROFILE_B)

    pip = pip_conf(paths)
    assert dict(pip["global"]) == {
        "find-links": "\n/opt/wheels\n/opt/more-wheels",
        "index-url": "https://devpi.lab.example/root/pypi/+simple/",
    }
    assert yaml.safe_load(paths.conda.read_text()) == {
        "channels": ["https://conda.lab.example/main"]
    }
    # B has no npm section, but A's registry was Airlock's and must go.
    assert paths.npm.read_text() == ""
    assert environ["HTTPS_PROXY"] == "http://admin-proxy:8080"
    assert "https_proxy" not in environ
    assert applier.active() == PROFILE_B


def test_revert_twice_restores_the_original_bytes_and_removes_new_files(
    applier: ProfileApplier, paths: ConfigPaths, environ: dict[str, str]
) -> None:
    original_pip = write(paths.pip, "[global]\r\nindex-url=https://old.example/simple/\r\n")
    applier.apply(PROFILE_A)
    after_a = {path: path.read_bytes() for path in (paths.pip, paths.conda, paths.npm)}
    applier.apply(PROFILE_B)

    first = applier.revert()

    assert first["profile"] == "b"
    assert first["active"] == "a"
    assert {path: path.read_bytes() for path in after_a} == after_a
    assert applier.active() == PROFILE_A
    assert environ["https_proxy"] == "http://proxy.corp.example:3128"

    second = applier.revert()

    assert second["active"] is None
    assert paths.pip.read_bytes() == original_pip
    assert not paths.conda.exists()
    assert not paths.npm.exists()
    assert environ == {"PATH": "/usr/bin", "HTTPS_PROXY": "http://admin-proxy:8080"}
    assert applier.active() is None
    assert not applier.can_revert()
    assert list((paths.state_dir / "backups").iterdir()) == []
    with pytest.raises(AirlockError) as caught:
        applier.revert()
    assert (caught.value.code, caught.value.status) == ("nothing-to-revert", 409)


def test_the_admins_default_applied_at_first_is_where_revert_stops(
    applier: ProfileApplier, paths: ConfigPaths
) -> None:
    applier.apply(PROFILE_A, default=True)
    applier.apply(PROFILE_B)
    assert applier.can_revert()

    assert applier.revert()["active"] == "a"

    # A second Revert would leave no mirror at all (and the server would put the default
    # back at its next start): it is refused, and says why and what to do instead.
    assert not applier.can_revert()
    written = paths.pip.read_bytes()
    with pytest.raises(AirlockError) as caught:
        applier.revert()
    assert (caught.value.code, caught.value.status) == ("nothing-to-revert", 409)
    assert "'a' is your administrator's default profile" in caught.value.message
    assert "choose another profile" in caught.value.message
    assert applier.active() == PROFILE_A
    assert paths.pip.read_bytes() == written


def test_revert_restores_the_backup_even_after_hand_edits(
    applier: ProfileApplier, paths: ConfigPaths
) -> None:
    original = write(paths.pip, USER_PIP_CONF)
    applier.apply(PROFILE_B)
    with paths.pip.open("a") as file:
        file.write("[download]\ndest = /tmp\n")

    applier.revert()

    assert paths.pip.read_bytes() == original


def test_revert_works_from_the_state_on_disk_after_a_restart(
    paths: ConfigPaths, applier: ProfileApplier
) -> None:
    original = write(paths.conda, USER_CONDARC)
    applier.apply(PROFILE_B)

    restarted = ProfileApplier(paths, {})
    assert restarted.active() == PROFILE_B
    assert restarted.can_revert()
    restarted.revert()

    assert paths.conda.read_bytes() == original


@pytest.mark.parametrize(
    ("tool", "text", "reason"),
    [
        ("pip", "index-url = https://a/simple/\n", "comes before any [section] header"),
        (
            "pip",
            "[global]\nindex-url = a\nindex_url = b\n",
            "'index-url' is set twice in [global] (line 3",
        ),
        ("conda", "channels: [main\n", "expected ',' or ']'"),
        ("conda", "- main\n- r\n", "its top level is a list, not a mapping of settings"),
        ("conda", b"channels: [caf\xe9]\n", "not UTF-8 text"),
    ],
)
def test_an_unparsable_file_is_refused_and_nothing_is_written(
    applier: ProfileApplier, paths: ConfigPaths, tmp_path: Path, tool: str, text: Any, reason: str
) -> None:
    path: Path = getattr(paths, tool)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    before = tree(tmp_path)

    message = refusal(applier, PROFILE_A, "unreadable-config")

    assert message.startswith(f"{path} cannot be read: ")
    assert reason in message
    assert message.endswith("fix or move it, then switch again.")
    assert tree(tmp_path) == before


def test_an_unwritable_file_changes_nothing(
    applier: ProfileApplier, paths: ConfigPaths, tmp_path: Path, environ: dict[str, str]
) -> None:
    write(paths.pip, USER_PIP_CONF)
    write(paths.conda, USER_CONDARC)
    # Tests run as root, who may write anywhere: a file where a folder must be is what
    # stops a write for everyone. pip.conf and .condarc are written before .npmrc fails.
    (tmp_path / "home" / "npm-home").write_text("not a folder")
    paths.npm = tmp_path / "home" / "npm-home" / ".npmrc"
    before = tree(tmp_path)
    environ_before = dict(environ)

    message = refusal(applier, PROFILE_A, "config-not-writable")

    assert message.startswith(
        f"Airlock cannot write {paths.npm}: {paths.npm.parent} is a file where a folder must be."
    )
    assert "Nothing was changed" in message
    assert tree(tmp_path) == before | {
        "data": None,
        "data/airlock": None,
        "data/airlock/backups": None,
    }
    assert environ == environ_before
    assert applier.active() is None
    assert not applier.can_revert()


def test_an_unwritable_state_folder_changes_nothing(
    paths: ConfigPaths, tmp_path: Path, environ: dict[str, str]
) -> None:
    write(paths.pip, USER_PIP_CONF)
    (tmp_path / "data").write_text("not a folder")
    applier = ProfileApplier(
        ConfigPaths(paths.pip, paths.conda, paths.npm, tmp_path / "data" / "airlock"), environ
    )
    before = tree(tmp_path)

    message = refusal(applier, PROFILE_B, "config-not-writable")

    assert str(tmp_path / "data" / "airlock" / "backups") in message
    assert tree(tmp_path) == before


def test_the_proxy_is_set_for_the_server_and_restored(
    applier: ProfileApplier, environ: dict[str, str], paths: ConfigPaths
) -> None:
    profile = {
        "name": "proxied",
        "proxy": {
            "http": "http://proxy.corp.example:3128",
            "https": "http://proxy.corp.example:3129",
            "no_proxy": [".corp.example", "localhost"],
        },
    }

    record = applier.apply(profile)

    assert {k: v for k, v in environ.items() if k != "PATH"} == {
        "HTTP_PROXY": "http://proxy.corp.example:3128",
        "http_proxy": "http://proxy.corp.example:3128",
        "HTTPS_PROXY": "http://proxy.corp.example:3129",
        "https_proxy": "http://proxy.corp.example:3129",
        "NO_PROXY": ".corp.example,localhost",
        "no_proxy": ".corp.example,localhost",
    }
    assert record["environment"]["NO_PROXY"] == ".corp.example,localhost"
    # With a no_proxy list pip must keep reading the environment (see configfiles).
    assert not paths.pip.exists()
    assert any("NO_PROXY" in note for note in record["notes"])
    assert yaml.safe_load(paths.conda.read_text())["proxy_servers"] == {
        "http": "http://proxy.corp.example:3128",
        "https": "http://proxy.corp.example:3129",
    }

    applier.apply(PROFILE_B)

    assert environ == {"PATH": "/usr/bin", "HTTPS_PROXY": "http://admin-proxy:8080"}

    applier.revert()
    assert environ["no_proxy"] == ".corp.example,localhost"
    applier.revert()
    assert environ == {"PATH": "/usr/bin", "HTTPS_PROXY": "http://admin-proxy:8080"}


def test_restore_environment_puts_the_proxy_back_after_a_restart(
    applier: ProfileApplier, paths: ConfigPaths
) -> None:
    applier.apply({"name": "p", "proxy": {"http": "http://proxy:3128"}})
    fresh: dict[str, str] = {}

    ProfileApplier(paths, fresh).restore_environment()

    assert fresh == {"HTTP_PROXY": "http://proxy:3128", "http_proxy": "http://proxy:3128"}


def test_one_ca_bundle_serves_pip_conda_npm_and_s3(
    applier: ProfileApplier, paths: ConfigPaths, environ: dict[str, str], tmp_path: Path
) -> None:
    bundle = tmp_path / "corp-ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    profile = {**PROFILE_B, "ca_bundle": str(bundle), "npm": {"registry": f"{MIRROR}/npm/"}}
    profile["conda"] = {**PROFILE_B["conda"], "ssl_verify": False}

    applier.apply(profile)

    assert pip_conf(paths)["global"]["cert"] == str(bundle)
    assert yaml.safe_load(paths.conda.read_text())["ssl_verify"] == str(bundle)
    assert f"cafile={bundle}\n" in paths.npm.read_text()
    assert environ["AWS_CA_BUNDLE"] == str(bundle)

    applier.revert()
    assert "AWS_CA_BUNDLE" not in environ


def test_a_missing_ca_bundle_is_refused_naming_the_path(
    applier: ProfileApplier, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere.pem"

    message = refusal(applier, {**PROFILE_B, "ca_bundle": str(missing)}, "invalid-profile")

    assert f"the CA bundle {missing} does not exist" in message
    assert not (tmp_path / "home").exists()


def test_new_files_are_private_and_existing_modes_are_kept(
    applier: ProfileApplier, paths: ConfigPaths
) -> None:
    write(paths.pip, USER_PIP_CONF, mode=0o640)

    applier.apply(PROFILE_B)

    assert stat.S_IMODE(paths.pip.stat().st_mode) == 0o640
    assert stat.S_IMODE(paths.conda.stat().st_mode) == 0o600
    assert [p.name for p in paths.pip.parent.iterdir()] == ["pip.conf"]  # no temporary left


def test_a_symlinked_condarc_stays_a_link(
    applier: ProfileApplier, paths: ConfigPaths, tmp_path: Path
) -> None:
    dotfiles = tmp_path / "dotfiles" / "condarc"
    write(dotfiles, USER_CONDARC)
    paths.conda.parent.mkdir(parents=True, exist_ok=True)
    paths.conda.symlink_to(dotfiles)

    applier.apply(PROFILE_B)

    assert paths.conda.is_symlink()
    assert yaml.safe_load(dotfiles.read_text())["channels"] == ["https://conda.lab.example/main"]


def test_a_layout_that_cannot_be_edited_in_place_is_rewritten_with_the_same_settings(
    applier: ProfileApplier, paths: ConfigPaths
) -> None:
    write(paths.conda, "{channels: [defaults], envs_dirs: [/data/envs]}  # flow style\n")
    # An indented section header would continue the value of a key added before it.
    write(paths.pip, "[global]\n  timeout = 5\n [install]\nx = 1\n")

    record = applier.apply(PROFILE_B)

    assert yaml.safe_load(paths.conda.read_text()) == {
        "envs_dirs": ["/data/envs"],
        "channels": ["https://conda.lab.example/main"],
    }
    pip = pip_conf(paths)
    assert dict(pip["global"]) == {"index-url": "https://devpi.lab.example/root/pypi/+simple/"}
    assert dict(pip["install"]) == {"x": "1"}
    assert [str(paths.pip) in record["notes"][0], str(paths.conda) in record["notes"][1]] == [
        True,
        True,
    ]
    applier.revert()
    assert paths.conda.read_text().endswith("# flow style\n")


def test_applying_the_same_profile_twice_changes_no_file(
    applier: ProfileApplier, paths: ConfigPaths
) -> None:
    applier.apply(PROFILE_B)
    content = paths.pip.read_bytes()

    record = applier.apply(PROFILE_B)

    assert record["files"] == []
    assert paths.pip.read_bytes() == content
    applier.revert()
    assert paths.pip.read_bytes() == content


def test_an_invalid_profile_writes_nothing(applier: ProfileApplier, tmp_path: Path) -> None:
    message = refusal(applier, {"name": "x", "pip": {"index-url": "ftp://a/"}}, "invalid-profile")

    assert "'pip.index-url'" in message
    assert not any(tmp_path.iterdir())


def test_a_corrupt_state_file_is_named(applier: ProfileApplier, paths: ConfigPaths) -> None:
    write(paths.state_dir / "state.json", "{not json")

    message = refusal(applier, PROFILE_B, "unreadable-config")

    assert message.startswith(f"{paths.state_dir / 'state.json'} cannot be read")


def test_config_paths_for_the_user_follow_xdg(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "jupyter-config"))

    paths = ConfigPaths.for_user()

    assert paths == ConfigPaths(
        pip=tmp_path / "xdg" / "pip" / "pip.conf",
        conda=tmp_path / ".condarc",
        npm=tmp_path / ".npmrc",
        state_dir=tmp_path / "jupyter" / "airlock",
        uv=tmp_path / "xdg" / "uv" / "uv.toml",
        jupyter=tmp_path / "jupyter-config" / "jupyter_server_config.json",
    )
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert ConfigPaths.for_user().pip == tmp_path / ".config" / "pip" / "pip.conf"
    assert ConfigPaths.for_user().uv == tmp_path / ".config" / "uv" / "uv.toml"
    assert os.path.isabs(ConfigPaths.for_user().state_dir)
