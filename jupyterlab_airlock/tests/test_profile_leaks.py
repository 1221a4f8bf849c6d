"""Leak check: every effective setting that reaches past the mirror, in plain words."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_airlock.profiles import (
    ConfigPaths,
    ProfileApplier,
    find_leaks,
    profile_leaks,
    read_effective,
)

MIRROR = "https://nexus.corp.example/repository"
SEALED: dict[str, Any] = {
    "name": "sealed",
    "pip": {"index-url": f"{MIRROR}/pypi/simple/"},
    "conda": {
        "channels": ["defaults", "conda-forge"],
        "channel_alias": f"{MIRROR}/conda",
        "default_channels": [f"{MIRROR}/conda/main"],
    },
    "npm": {"registry": f"{MIRROR}/npm/"},
}


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "empty").mkdir()
    home = tmp_path / "home"
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CONFIG_DIRS": str(tmp_path / "empty"),
        "PATH": str(tmp_path / "empty"),
    }


def effective(**tools: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        tool: [{"key": key, "value": value, "source": "/home/u/file"} for key, value in entries]
        for tool, entries in tools.items()
    }


def keyed(leaks: list[dict[str, str]]) -> list[tuple[str, str, str]]:
    return [(leak["tool"], leak["key"], leak["value"]) for leak in leaks]


async def test_a_sealed_profile_applied_has_no_leaks(
    paths: ConfigPaths, environ: dict[str, str]
) -> None:
    ProfileApplier(paths, environ).apply(SEALED)

    leaks = find_leaks(SEALED, await read_effective(paths, sys.executable, environ))

    assert leaks == []
    assert profile_leaks(SEALED) == []


async def test_a_stray_line_in_the_users_own_config_is_caught(
    paths: ConfigPaths, environ: dict[str, str]
) -> None:
    ProfileApplier(paths, environ).apply(SEALED)
    with paths.pip.open("a") as file:
        file.write("\n[install]\nextra-index-url = https://pypi.org/simple\n")

    leaks = find_leaks(SEALED, await read_effective(paths, sys.executable, environ))

    assert leaks == [
        {
            "tool": "pip",
            "key": "install.extra-index-url",
            "value": "https://pypi.org/simple",
            "source": str(paths.pip),
            "message": "pip also downloads from pypi.org, the public PyPI, beside the mirror; "
            "pip mixes indexes with no priority: it takes the best version of a package from "
            "any of them, so a package of the same name on the other index can win "
            "(dependency confusion).",
        }
    ]


async def test_offline_without_no_index_is_a_leak_until_an_offline_profile_is_applied(
    paths: ConfigPaths, environ: dict[str, str]
) -> None:
    offline = {"name": "offline", "offline": True}
    before = await read_effective(paths, sys.executable, environ)

    assert keyed(find_leaks(offline, before)) == [
        ("pip", "global.no-index", "(not set)"),
        ("conda", "offline", "(not set)"),
        ("uv", "offline", "(not set)"),
    ]

    ProfileApplier(paths, environ).apply(offline)
    after = await read_effective(paths, sys.executable, environ)

    assert find_leaks(offline, after) == []


def test_the_defaults_channel_leaks_unless_default_channels_point_at_the_mirror() -> None:
    profile = {"name": "p", "conda": {"channels": ["defaults"]}}

    [leak] = find_leaks(
        profile,
        effective(conda=[("channels", "defaults, main"), ("channel_alias", f"{MIRROR}/conda")]),
    )

    assert keyed([leak]) == [("conda", "channels", "defaults")]
    assert "repo.anaconda.com" in leak["message"]
    assert leak["source"] == "/home/u/file"
    assert (
        find_leaks(
            profile,
            effective(
                conda=[
                    ("channels", "defaults"),
                    ("default_channels", f"{MIRROR}/conda/main"),
                    ("channel_alias", f"{MIRROR}/conda"),
                ]
            ),
        )
        == []
    )


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ([("channel_alias", "https://conda.anaconda.org")], ("conda", "channel_alias")),
        (
            [("default_channels", "https://repo.anaconda.com/pkgs/main")],
            ("conda", "default_channels"),
        ),
        ([("channels", "https://conda.anaconda.org/conda-forge")], ("conda", "channels")),
        ([("custom_channels.bio", "https://conda.anaconda.org")], ("conda", "custom_channels.bio")),
        ([("channels", "conda-forge")], ("conda", "channels")),
    ],
)
def test_conda_on_a_public_host_leaks(
    entries: list[tuple[str, str]], expected: tuple[str, str]
) -> None:
    leaks = find_leaks(None, effective(conda=entries))

    assert [(leak["tool"], leak["key"]) for leak in leaks] == [expected]


def test_named_channels_are_fine_through_a_mirror_alias_or_custom_channel() -> None:
    conda = [
        ("channels", "bio, main/label/dev, /srv/local-channel"),
        ("custom_channels.bio", f"{MIRROR}/bio"),
        ("channel_alias", f"{MIRROR}/conda"),
    ]

    assert find_leaks(None, effective(conda=conda)) == []
    assert keyed(find_leaks(None, effective(conda=conda[:2]))) == [
        ("conda", "channels", "main/label/dev")
    ]


def test_an_extra_index_beside_the_mirror_is_dependency_confusion() -> None:
    pip = [
        ("global.index-url", f"{MIRROR}/pypi/simple/"),
        ("global.extra-index-url", f"{MIRROR}/internal/simple/ https://files.pythonhosted.org/x"),
    ]

    leaks = find_leaks(None, effective(pip=pip))

    assert keyed(leaks) == [
        ("pip", "global.extra-index-url", f"{MIRROR}/internal/simple/"),
        ("pip", "global.extra-index-url", "https://files.pythonhosted.org/x"),
    ]
    assert "dependency confusion" in leaks[0]["message"]
    assert "public PyPI" in leaks[1]["message"]


def test_public_pip_npm_and_environment_settings_leak() -> None:
    found = find_leaks(
        None,
        effective(
            pip=[(":env:.index-url", "https://pypi.org/simple/")],
            npm=[("registry", "https://registry.yarnpkg.com/")],
        ),
    )

    assert keyed(found) == [
        ("pip", ":env:.index-url", "https://pypi.org/simple/"),
        ("npm", "registry", "https://registry.yarnpkg.com/"),
    ]


def test_no_index_stops_pip_index_leaks_and_offline_stops_conda_leaks() -> None:
    found = find_leaks(
        {"name": "p", "offline": True},
        effective(
            pip=[("global.index-url", "https://pypi.org/simple/"), (":env:.no-index", "1")],
            conda=[("channels", "defaults"), ("offline", "true")],
            uv=[("index-url", "https://pypi.org/simple/"), ("offline", "true")],
        ),
    )

    assert found == []


def test_a_tool_the_profile_configures_leaks_by_its_built_in_default() -> None:
    profile = {"name": "p", "pip": {}, "conda": {}, "npm": {}}

    found = find_leaks(profile, effective(pip=[], conda=[], npm=[]))

    assert [(leak["tool"], leak["source"]) for leak in found] == [
        ("pip", "pip's built-in default"),
        ("conda", "conda's built-in default"),
        ("npm", "npm's built-in default"),
        ("uv", "uv's built-in default"),
        ("jupyter", "JupyterLab's built-in default"),
    ]
    assert find_leaks({"name": "p"}, effective(pip=[], conda=[], npm=[])) == []


def test_a_profile_not_yet_applied_is_checked_on_its_own() -> None:
    profile = {
        "name": "leaky",
        "offline": False,
        "pip": {
            "index-url": f"{MIRROR}/pypi/simple/",
            "extra-index-url": ["https://pypi.org/simple/"],
        },
        "conda": {"channels": ["defaults"]},
        "npm": {"registry": "https://registry.npmjs.org/"},
    }

    found = profile_leaks(profile)

    assert keyed(found) == [
        ("pip", "global.extra-index-url", "https://pypi.org/simple/"),
        ("conda", "channels", "defaults"),
        ("npm", "registry", "https://registry.npmjs.org/"),
        ("uv", "extra-index-url", "https://pypi.org/simple/"),
    ]
    assert {leak["source"] for leak in found} == {"profile 'leaky'"}


async def test_uv_and_the_extension_manager_are_checked_in_their_files(
    paths: ConfigPaths, environ: dict[str, str]
) -> None:
    ProfileApplier(paths, environ).apply(SEALED)
    assert paths.uv is not None
    assert paths.jupyter is not None
    with paths.uv.open("a") as file:
        file.write('\n[[index]]\nname = "torch"\nurl = "https://download.example/whl"\n')
    paths.jupyter.write_text('{"PyPIExtensionManager": {"base_url": "https://pypi.org/pypi"}}')

    found = find_leaks(SEALED, await read_effective(paths, sys.executable, environ))

    assert keyed(found) == [
        ("uv", "index", "https://download.example/whl"),
        ("jupyter", "PyPIExtensionManager.base_url", "https://pypi.org/pypi"),
    ]
    assert found[0]["source"] == str(paths.uv)
    assert "beside the mirror" in found[0]["message"]


async def test_uv_config_file_of_the_users_replaces_the_written_one(
    paths: ConfigPaths, environ: dict[str, str], tmp_path: Path
) -> None:
    ProfileApplier(paths, environ).apply(SEALED)
    own = tmp_path / "own-uv.toml"
    own.write_text('index-url = "https://pypi.org/simple"\n')
    environ["UV_CONFIG_FILE"] = str(own)

    found = find_leaks(SEALED, await read_effective(paths, sys.executable, environ))

    assert [(leak["tool"], leak["source"]) for leak in found] == [("uv", str(own))]
