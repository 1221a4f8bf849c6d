"""What Airlock reads from uv's output and what it gives uv: failed resolutions in uv's
own words (taken from real uv runs), its summary lines, a bundle target's options, and the
environment that keeps the user's uv and pip configuration out."""

from __future__ import annotations

from pathlib import Path

from jupyterlab_airlock.uv import (
    changes_printed,
    dependents,
    platform_options,
    unresolved,
    uv_environment,
)

NOT_FOUND = """error: No solution found when resolving dependencies
  cause: Because airlock-nothing was not found in the provided package locations and you
         require airlock-nothing, we can conclude that your requirements are unsatisfiable.
"""
TOO_OLD = """  cause: Because only airlock-absent==1.0 is available and all versions of
         airlock-lonely depend on airlock-absent>=1.26, we can conclude that all versions
         of airlock-lonely cannot be used.
"""
NO_WHEELS = """  cause: Because airlock-mac==1.0 has no wheels with a matching platform tag (e.g.,
         `manylinux_2_36_x86_64`) and only airlock-mac==1.0 is available, we can conclude
         that all versions of airlock-mac cannot be used. And because all versions of
         airlock-needs depend on airlock-mac and you require airlock-needs, we can conclude
         that your requirements are unsatisfiable.
"""
NO_VERSION = """  cause: Because there is no version of airlock-b==1.0 and you require
         airlock-b==1.0, we can conclude that your requirements are unsatisfiable.
"""


def test_a_failed_resolution_names_what_is_missing_and_who_needs_it() -> None:
    found = {
        text: [(m.requirement, m.needed_by) for m in unresolved(text)]
        for text in (NOT_FOUND, TOO_OLD, NO_WHEELS, NO_VERSION)
    }
    assert found == {
        NOT_FOUND: [("airlock-nothing", None)],
        TOO_OLD: [("airlock-absent>=1.26", "airlock-lonely")],
        NO_WHEELS: [("airlock-mac", "airlock-needs")],
        NO_VERSION: [("airlock-b==1.0", None)],
    }
    [missing] = unresolved(TOO_OLD)
    assert missing.message == (
        "airlock-absent>=1.26, needed by airlock-lonely, is not in the artifact source."
    )
    assert unresolved("error: Failed to inspect Python interpreter") == []


def test_the_summary_and_the_debug_log_say_what_changes_and_who_needs_what() -> None:
    output = (
        "DEBUG Adding transitive dependency for airlock-a==1.0: airlock-b>=1\n"
        "DEBUG Adding transitive dependency for airlock-b==2.0: airlock-c\n"
        "Resolved 3 packages in 5ms\n"
        " - airlock-b==1.0\n"
        " + airlock-b==2.0\n"
        " + airlock-c @ file:///tmp/airlock_c-1.0-py3-none-any.whl\n"
    )
    assert [(c.sign, c.name, c.version, c.url) for c in changes_printed(output)] == [
        ("-", "airlock-b", "1.0", None),
        ("+", "airlock-b", "2.0", None),
        ("+", "airlock-c", None, "file:///tmp/airlock_c-1.0-py3-none-any.whl"),
    ]
    assert dependents(output) == {
        "airlock-b": [("airlock-a", "1.0")],
        "airlock-c": [("airlock-b", "2.0")],
    }


def test_a_bundle_target_becomes_uv_options() -> None:
    linux = ["manylinux2014_x86_64", "manylinux_2_28_x86_64", "linux_x86_64"]
    assert platform_options(linux, "3.11") == [
        "--python-version", "3.11", "--python-platform", "x86_64-manylinux_2_28",
    ]  # fmt: skip
    assert platform_options(["manylinux1_x86_64"], "3.9")[-1] == "x86_64-manylinux_2_17"
    assert platform_options(["macosx_11_0_arm64"], "3.12")[-1] == "aarch64-apple-darwin"
    assert platform_options(["win_amd64"], "3.12")[-1] == "x86_64-pc-windows-msvc"
    assert platform_options(["musllinux_1_2_x86_64"], "3.12")[-1] == "x86_64-unknown-linux-musl"
    assert platform_options(["ios_13_0_arm64_iphoneos"], "3.13") == ["--python-version", "3.13"]


def test_uv_runs_without_the_users_configuration(tmp_path: Path) -> None:
    users = {
        "PATH": "/usr/bin",
        "UV_INDEX_URL": "http://elsewhere/simple/",
        "UV_CACHE_DIR": "/home/user/.cache/uv",
        "PIP_INDEX_URL": "http://elsewhere/simple/",
        "HTTPS_PROXY": "http://proxy:3128",
        "no_proxy": "localhost",
        "VIRTUAL_ENV": "/home/user/venv",
        "PYTHONPATH": "/home/user/lib",
    }
    env = uv_environment(tmp_path / "uv", users)
    assert env == {
        "PATH": "/usr/bin",
        "UV_NO_CONFIG": "1",
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_PROGRESS": "1",
        "NO_COLOR": "1",
        "UV_CACHE_DIR": str(tmp_path / "uv"),
    }
    assert uv_environment(None, users)["UV_NO_CACHE"] == "1"
