"""Switching mirror profiles through the REST API really changes what pip and conda do.

Real parts: a pypiserver mirror on 127.0.0.1 serving wheels built in this session, a
Jupyter server with Airlock, and a fresh virtual environment whose pip sees nothing but
the configuration the switch wrote.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import venv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from tornado.httpclient import HTTPClientError

from demo.content import build_wheels
from demo.services import start_pypiserver


@pytest.fixture(scope="module")
def mirror_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    wheels = tmp_path_factory.mktemp("mirror")
    build_wheels(wheels)
    service = start_pypiserver(wheels)
    try:
        yield service.url
    finally:
        service.stop()


@pytest.fixture
def airlock_config(mirror_url: str) -> dict[str, Any]:
    return {
        "profiles": [
            {
                "name": "lab-mirror",
                "description": "The test session's pypiserver",
                "pip": {"index-url": mirror_url, "trusted-host": ["127.0.0.1"]},
                "conda": {"channels": ["http://127.0.0.1:9/conda/main"]},
            },
            {
                "name": "other",
                "pip": {"index-url": "http://127.0.0.1:9/simple/"},
                "conda": {"channels": ["http://127.0.0.1:9/conda/other"]},
            },
            {
                "name": "leaky",
                "pip": {
                    "index-url": mirror_url,
                    "extra-index-url": ["https://pypi.org/simple/"],
                },
            },
        ],
        "active_profile": "",
    }


@pytest.fixture(autouse=True)
def isolated_config(jp_environ: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pip must read only the user config the switch writes, not this machine's /etc."""
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "no-system-config"))
    for name in list(os.environ):
        if name.startswith("PIP_"):
            monkeypatch.delenv(name)


def pip_conf() -> Path:
    return Path(os.environ["HOME"]) / ".config" / "pip" / "pip.conf"


def condarc() -> Path:
    return Path(os.environ["HOME"]) / ".condarc"


async def post(jp_fetch: Any, path: str, body: dict[str, Any] | None = None) -> Any:
    response = await jp_fetch(
        "airlock", "profiles", *path.split("/"), method="POST", body=json.dumps(body or {})
    )
    return json.loads(response.body)


async def test_switching_makes_a_fresh_venv_install_from_the_mirror(
    jp_fetch: Any, tmp_path: Path
) -> None:
    state = await post(jp_fetch, "apply", {"name": "lab-mirror"})

    assert state["active"]["name"] == "lab-mirror"
    env_dir = tmp_path / "kernel-env"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = await asyncio.to_thread(
        subprocess.run,
        [str(python), "-m", "pip", "install", "--no-cache-dir", "airlock-demo-hello"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    greeting = await asyncio.to_thread(
        subprocess.run,
        [str(python), "-c", "import airlock_demo_hello; print(airlock_demo_hello.greet())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Hello" in greeting.stdout
    # pip names the index it used; it must be the mirror and nothing else.
    assert "Looking in indexes: http://127.0.0.1:" in install.stdout
    assert "pypi.org" not in install.stdout


async def test_switch_and_revert_restore_the_previous_config_byte_for_byte(
    jp_fetch: Any,
) -> None:
    pip_conf().parent.mkdir(parents=True)
    original = b"# my own settings\n[global]\ntimeout = 42\n\n[install]\nuser = false\n"
    pip_conf().write_bytes(original)

    await post(jp_fetch, "apply", {"name": "lab-mirror"})
    await post(jp_fetch, "apply", {"name": "other"})

    written = pip_conf().read_text()
    assert "index-url = http://127.0.0.1:9/simple/" in written
    assert "[install]" in written  # keys Airlock does not own are kept
    channels = yaml.safe_load(condarc().read_text())["channels"]
    assert channels == ["http://127.0.0.1:9/conda/other"]

    await post(jp_fetch, "revert")
    state = await post(jp_fetch, "revert")

    assert pip_conf().read_bytes() == original
    assert not condarc().exists()
    assert state["active"] is None


async def test_effective_config_is_read_back_from_the_files(jp_fetch: Any) -> None:
    await post(jp_fetch, "apply", {"name": "lab-mirror"})

    response = await jp_fetch("airlock", "profiles", "effective")

    effective = json.loads(response.body)["effective"]
    index = next(s for s in effective["pip"] if s["key"].endswith("index-url"))
    assert index["value"].startswith("http://127.0.0.1:")
    assert index["source"] == str(pip_conf())
    channels = next(s for s in effective["conda"] if s["key"] == "channels")
    assert "127.0.0.1:9/conda/main" in channels["value"]
    assert channels["source"] == str(condarc())


async def test_a_stray_line_in_the_users_own_config_is_reported_as_a_leak(
    jp_fetch: Any,
) -> None:
    await post(jp_fetch, "apply", {"name": "lab-mirror"})
    with pip_conf().open("a") as conf:
        conf.write("extra-index-url = https://pypi.org/simple/\n")

    response = await jp_fetch("airlock", "profiles", "effective")

    leaks = json.loads(response.body)["leaks"]
    assert any("pypi.org" in leak["value"] for leak in leaks), leaks


async def test_an_invalid_profile_is_refused_and_nothing_changes(jp_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as refused:
        await post(
            jp_fetch,
            "apply",
            {"profile": {"name": "mine", "pip": {"index-url": "ftp://mirror/simple/"}}},
        )

    assert refused.value.code == 400
    body = json.loads(refused.value.response.body)
    assert body["code"] == "invalid-profile"
    assert "index-url" in body["message"]
    assert not pip_conf().exists()


async def test_an_unparsable_pip_conf_is_left_untouched_and_named(jp_fetch: Any) -> None:
    pip_conf().parent.mkdir(parents=True)
    broken = b"this is not an ini file\n[global\n"
    pip_conf().write_bytes(broken)

    with pytest.raises(HTTPClientError) as refused:
        await post(jp_fetch, "apply", {"name": "lab-mirror"})

    assert refused.value.code == 409
    assert str(pip_conf()) in json.loads(refused.value.response.body)["message"]
    assert pip_conf().read_bytes() == broken
    assert not condarc().exists()


async def test_an_unknown_profile_name_is_refused(jp_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as refused:
        await post(jp_fetch, "apply", {"name": "nope"})

    assert refused.value.code == 404
    message = json.loads(refused.value.response.body)["message"]
    assert "lab-mirror" in message
    # Activity says why, in the words the user got.
    activity = json.loads((await jp_fetch("airlock", "audit")).body)
    record = next(r for r in activity["records"] if r["action"] == "profile-apply")
    assert (record["result"], record["reasons"]) == ("refused", [message])


async def test_a_users_own_profile_can_be_applied(jp_fetch: Any, mirror_url: str) -> None:
    state = await post(
        jp_fetch, "apply", {"profile": {"name": "mine", "pip": {"index-url": mirror_url}}}
    )

    assert state["active"]["name"] == "mine"
    assert f"index-url = {mirror_url}" in pip_conf().read_text()


async def test_connectivity_of_the_active_profile(jp_fetch: Any) -> None:
    await post(jp_fetch, "apply", {"name": "lab-mirror"})

    checked = await post(jp_fetch, "check")

    by_endpoint = {result["endpoint"]: result for result in checked["results"]}
    assert by_endpoint["pip index"]["ok"] is True
    assert by_endpoint["pip index"]["status"] == 200
    conda = next(r for r in checked["results"] if r["endpoint"].startswith("conda channel"))
    assert conda["ok"] is False
    assert "refused" in conda["cause"]


async def test_each_managed_profile_says_what_would_leak_before_it_is_applied(
    jp_fetch: Any,
) -> None:
    response = await jp_fetch("airlock", "profiles")

    leaks = json.loads(response.body)["leaks"]
    assert leaks["lab-mirror"] == []
    assert leaks["leaky"], "an extra index on pypi.org must be flagged"
    assert all("pypi.org" in leak["value"] for leak in leaks["leaky"])
    assert leaks["leaky"][0]["source"] == "profile 'leaky'"


async def test_the_doctor_asks_pip_and_uv_and_is_audited(jp_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as no_profile:
        await post(jp_fetch, "doctor")
    assert no_profile.value.code == 409
    await post(jp_fetch, "apply", {"name": "lab-mirror"})

    report = await post(jp_fetch, "doctor", {"python_package": "airlock-demo-hello"})

    assert report["profile"] == "lab-mirror"
    tools = {result["tool"]: result for result in report["results"]}
    assert list(tools) == ["pip", "uv", "conda", "npm"]
    assert tools["pip"]["outcome"] == "reached", tools["pip"]
    assert tools["uv"]["outcome"] == "reached", tools["uv"]
    assert tools["npm"]["outcome"] in ("not-configured", "not-installed")
    activity = json.loads((await jp_fetch("airlock", "audit")).body)
    doctor = next(r for r in activity["records"] if r["action"] == "profile-doctor")
    assert (doctor["profile"], doctor["result"]) == ("lab-mirror", "succeeded")


async def test_the_doctor_refuses_an_option_as_a_package_name(jp_fetch: Any) -> None:
    await post(jp_fetch, "apply", {"name": "lab-mirror"})

    with pytest.raises(HTTPClientError) as refused:
        await post(jp_fetch, "doctor", {"python_package": "--index-url=https://evil/simple"})

    assert refused.value.code == 400
    assert json.loads(refused.value.response.body)["code"] == "invalid-request"
