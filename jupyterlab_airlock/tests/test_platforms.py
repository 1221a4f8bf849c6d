"""The tags a kernel's own interpreter supports, asked of real interpreters."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import packaging
import pytest
from packaging.tags import sys_tags

from jupyterlab_airlock.environments.platforms import (
    parse_platform,
    platform_subdir,
    supported_tags,
)
from jupyterlab_airlock.errors import AirlockError

from .programs import cancel_once_started, fake_python

THIS_PYTHON = f"cp{sys.version_info[0]}{sys.version_info[1]}"
GLIBC_LINUX = sys.platform.startswith("linux") and bool(os.confstr("CS_GNU_LIBC_VERSION"))


@pytest.fixture(scope="module")
def bare_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment of this Python without pip, so without any packaging."""
    root = tmp_path_factory.mktemp("bare") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    return root


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test asks the interpreters itself, whatever ran before it in this process."""
    monkeypatch.setattr("jupyterlab_airlock.environments.platforms._cache", {})


@pytest.fixture
def pip_only_venv(tmp_path: Path) -> Path:
    """A virtual environment whose only packaging is the one vendored in (a stand-in) pip."""
    root = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    [site] = root.glob("lib/python*/site-packages")
    vendored = site / "pip" / "_vendor"
    shutil.copytree(Path(packaging.__file__).parent, vendored / "packaging")
    (site / "pip" / "__init__.py").write_text("")
    (vendored / "__init__.py").write_text("")
    return root


def venv_python(root: Path) -> Path:
    return root / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


async def test_the_venv_python_answers_with_its_own_sys_tags(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, "jupyterlab_airlock.environments.platforms")

    tags = await supported_tags(sys.executable)

    assert tags == [str(tag) for tag in sys_tags()]
    assert "py3-none-any" in tags
    assert tags[0].startswith(f"{THIS_PYTHON}-{THIS_PYTHON}-")
    assert "come from packaging.tags" in caplog.text


async def test_a_python_without_packaging_or_pip_falls_back_to_its_own_computation(
    bare_venv: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, "jupyterlab_airlock.environments.platforms")
    python = venv_python(bare_venv)

    tags = await supported_tags(str(python))

    assert "come from fallback" in caplog.text
    assert tags[0].startswith(f"{THIS_PYTHON}-{THIS_PYTHON}-")
    assert "py3-none-any" in tags
    assert f"{THIS_PYTHON}-abi3-{sysconfig.get_platform().replace('-', '_')}" in tags
    if GLIBC_LINUX:  # the fallback knows glibc and the legacy manylinux names, as packaging does
        assert set(tags) == {str(tag) for tag in sys_tags()}
        assert any(tag.endswith("manylinux2014_x86_64") for tag in tags) == (
            sysconfig.get_platform() == "linux-x86_64"
        )


async def test_pips_vendored_packaging_answers_when_packaging_is_missing(
    pip_only_venv: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, "jupyterlab_airlock.environments.platforms")

    tags = await supported_tags(str(venv_python(pip_only_venv)))

    assert "come from pip._vendor.packaging.tags" in caplog.text
    assert tags == [str(tag) for tag in sys_tags()]


async def test_a_missing_interpreter_is_named(tmp_path: Path) -> None:
    missing = str(tmp_path / "envs" / "gone" / "bin" / "python")

    with pytest.raises(AirlockError) as caught:
        await supported_tags(missing)

    assert caught.value.code == "kernel-python"
    assert caught.value.status == 409
    assert missing in caught.value.message
    assert "does not exist" in caught.value.message


async def test_an_interpreter_that_fails_says_why(tmp_path: Path) -> None:
    python = fake_python(tmp_path / "python", "echo 'Fatal: no encodings module' >&2; exit 3")

    with pytest.raises(AirlockError) as caught:
        await supported_tags(python)

    assert caught.value.code == "kernel-python"
    assert python in caught.value.message
    assert "exit status 3" in caught.value.message
    assert "Fatal: no encodings module" in caught.value.message


@pytest.mark.parametrize(
    "output", ["", "hello", '{"source": "x", "tags": []}', '{"source": "x", "tags": ["a-b"]}']
)
async def test_an_answer_that_is_not_tags_is_refused(tmp_path: Path, output: str) -> None:
    python = fake_python(tmp_path / "python", f"echo '{output}'")

    with pytest.raises(AirlockError, match="not a list of tags") as caught:
        await supported_tags(python)

    assert caught.value.code == "kernel-python"


async def test_an_interpreter_that_hangs_is_stopped_at_the_timeout(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    python = fake_python(tmp_path / "python", f"echo $$ > {pid_file}\nexec /bin/sleep 30")

    with pytest.raises(AirlockError, match=r"did not answer within 0\.5 seconds"):
        await supported_tags(python, timeout=0.5)

    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)


async def test_cancelling_leaves_no_process_behind(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    python = fake_python(tmp_path / "python", f"echo $$ > {pid_file}\nexec /bin/sleep 30")

    pid = await cancel_once_started(supported_tags(python), pid_file)

    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_the_answer_is_kept_until_the_interpreter_changes(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    answer = '{"source": "packaging.tags", "tags": ["cp311-cp311-linux_x86_64", "py3-none-any"]}'
    python = fake_python(tmp_path / "python", f"echo run >> {runs}\necho '{answer}'")

    first = await supported_tags(python)
    first.append("mutated by a caller")
    second = await supported_tags(python)
    assert second == ["cp311-cp311-linux_x86_64", "py3-none-any"]
    assert runs.read_text().count("run") == 1

    stat = os.stat(python)
    os.utime(python, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    await supported_tags(python)
    assert runs.read_text().count("run") == 2


@pytest.mark.parametrize(
    ("tags", "subdir"),
    [
        (["cp311-cp311-linux_x86_64", "cp311-cp311-manylinux_2_36_x86_64"], "linux-64"),
        (["cp312-cp312-manylinux_2_28_aarch64"], "linux-aarch64"),
        (["cp310-cp310-manylinux2014_ppc64le"], "linux-ppc64le"),
        (["cp312-cp312-musllinux_1_2_x86_64"], "linux-64"),
        (["cp311-cp311-macosx_14_0_arm64", "cp311-cp311-macosx_14_0_universal2"], "osx-arm64"),
        (["cp39-cp39-macosx_10_9_x86_64"], "osx-64"),
        (["cp312-cp312-win_amd64"], "win-64"),
        (["cp38-cp38-win32"], "win-32"),
        (["py3-none-any", "cp311-cp311-linux_i686"], "linux-32"),
        (["cp312-cp312-emscripten_3_1_58_wasm32"], None),
        (["py3-none-any"], None),
        ([], None),
    ],
)
def test_the_conda_subdir_comes_from_the_best_platform_tag(
    tags: list[str], subdir: str | None
) -> None:
    assert platform_subdir(tags) == subdir


@pytest.mark.skipif(not GLIBC_LINUX, reason="checks a Linux machine's own answer")
async def test_this_linux_machine_has_a_conda_subdir() -> None:
    machine = {"x86_64": "linux-64", "aarch64": "linux-aarch64"}.get(os.uname().machine)
    if machine is None:
        pytest.skip(f"no expectation written for {os.uname().machine}")
    assert platform_subdir(await supported_tags(sys.executable)) == machine


@pytest.mark.parametrize(
    ("tag", "parts"),
    [
        ("manylinux_2_28_x86_64", ("linux", "x86_64", "glibc", (2, 28))),
        ("manylinux2014_aarch64", ("linux", "aarch64", "glibc", (2, 17))),
        ("manylinux1_i686", ("linux", "i686", "glibc", (2, 5))),
        ("musllinux_1_1_x86_64", ("linux", "x86_64", "musl", (1, 1))),
        ("linux_armv7l", ("linux", "armv7l", None, None)),
        ("macosx_10_9_universal2", ("macos", "universal2", None, (10, 9))),
        ("win_amd64", ("windows", "x86_64", None, None)),
        ("any", ("any", None, None, None)),
        ("ios_13_0_arm64_iphoneos", ("ios_13_0_arm64_iphoneos", None, None, None)),
        ("", ("", None, None, None)),
    ],
)
def test_platform_tags_are_read_into_parts(
    tag: str, parts: tuple[str, str | None, str | None, tuple[int, int] | None]
) -> None:
    platform = parse_platform(tag)
    assert (platform.os, platform.arch, platform.libc, platform.version) == parts
