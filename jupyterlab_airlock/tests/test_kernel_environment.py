"""The environment behind each kernelspec, described by real interpreters and kernelspecs."""

from __future__ import annotations

import inspect
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from jupyter_client.kernelspec import KernelSpecManager

from jupyterlab_airlock.environments.facts import (
    _why_not_writable,
    describe_environment,
    describe_kernel,
    describe_kernels,
)
from jupyterlab_airlock.errors import AirlockError

from .programs import cancel_once_started, fake_python

REPO = Path(__file__).resolve().parents[2]


def venv_python(root: Path) -> str:
    return str(root / ("Scripts/python.exe" if os.name == "nt" else "bin/python"))


def site_packages(root: Path) -> Path:
    [site] = root.glob("lib/python*/site-packages")
    return site


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment of this Python, with pip."""
    root = tmp_path_factory.mktemp("with-pip") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True)
    return root


@pytest.fixture
def bare_venv(tmp_path: Path) -> Path:
    """A virtual environment of this Python with nothing installed."""
    root = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    return root


@pytest.fixture
def kernels_dir(tmp_path: Path) -> Path:
    return tmp_path / "kernels"


@pytest.fixture
def spec_manager(kernels_dir: Path) -> KernelSpecManager:
    """Only the kernelspecs a test writes; not the server's own Python kernel."""
    return KernelSpecManager(kernel_dirs=[str(kernels_dir)], ensure_native_kernel=False)


def add_kernel(
    kernels_dir: Path, name: str, display_name: str, argv0: str, language: str = "python"
) -> None:
    argv = [argv0, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    if language != "python":
        argv = [argv0, "--slave", "-e", "IRkernel::main()", "--args", "{connection_file}"]
    folder = kernels_dir / name
    folder.mkdir(parents=True)
    spec = {"argv": argv, "display_name": display_name, "language": language}
    (folder / "kernel.json").write_text(json.dumps(spec))


def add_dist(folder: Path, dist_info: str, metadata: str, installer: str | None) -> None:
    info = folder / dist_info
    info.mkdir(parents=True)
    (info / "METADATA").write_text(metadata)
    if installer is not None:
        (info / "INSTALLER").write_text(f"{installer}\n")


def gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (a zombie waiting for init to reap it has)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


async def test_a_venv_kernel_is_described_with_its_environment(
    venv: Path, kernels_dir: Path, spec_manager: KernelSpecManager
) -> None:
    add_kernel(kernels_dir, "demo", "Demo venv", venv_python(venv))

    kernel = await describe_kernel(spec_manager, "demo")

    assert (kernel["name"], kernel["display_name"], kernel["language"]) == (
        "demo",
        "Demo venv",
        "python",
    )
    assert kernel["python"] == venv_python(venv)
    assert kernel["version"] == platform.python_version()
    assert kernel["kind"] == "venv"
    assert kernel["prefix"] == str(venv)
    assert kernel["base_prefix"] == sys.base_prefix
    assert kernel["site_packages"] == str(site_packages(venv))
    assert kernel["writable"] is True
    assert kernel["why_not_writable"] is None
    assert kernel["advice"] is None
    assert "error" not in kernel
    [pip_info] = site_packages(venv).glob("pip-*.dist-info")
    pip_version = pip_info.name[len("pip-") : -len(".dist-info")]
    assert {"name": "pip", "version": pip_version, "installer": "pip", "ecosystem": "pypi"} in (
        kernel["packages"]
    )
    names = [package["name"].lower() for package in kernel["packages"]]
    assert names == sorted(names)


async def test_packages_are_read_without_pip_and_the_first_on_sys_path_wins(
    bare_venv: Path, tmp_path: Path
) -> None:
    site = site_packages(bare_venv)
    later = tmp_path / "later"
    (site / "later.pth").write_text(f"{later}\n")
    add_dist(site, "Demo_Pkg-1.0.dist-info", "Name: Demo_Pkg\nVersion: 1.0\n", "pip")
    add_dist(later, "demo.pkg-2.0.dist-info", "Name: demo.pkg\nVersion: 2.0\n", "conda")
    add_dist(site, "zeta-3.dist-info", "Name: zeta\nVersion: 3\n", None)
    add_dist(site, "broken-0.dist-info", "Summary: left by an interrupted install\n", "pip")

    environment = await describe_environment(venv_python(bare_venv))

    assert environment["packages"] == [
        {"name": "Demo_Pkg", "version": "1.0", "installer": "pip", "ecosystem": "pypi"},
        {"name": "zeta", "version": "3", "installer": None, "ecosystem": "pypi"},
    ]


async def test_the_base_interpreter_of_a_venv_is_a_system_or_conda_python() -> None:
    base = Path(sys.base_prefix)
    python = shutil.which("python3", path=str(base / "bin"))
    if python is None:
        pytest.skip(f"no python3 in {base / 'bin'}")
    conda = (base / "conda-meta").is_dir()

    environment = await describe_environment(python)

    assert environment["kind"] == ("conda" if conda else "system")
    assert environment["prefix"] == environment["base_prefix"] == sys.base_prefix
    assert environment["writable"] is (environment["why_not_writable"] is None)
    if conda:
        assert environment["advice"] is None
    else:
        assert "system Python" in environment["advice"]
        assert environment["prefix"] in environment["advice"]
        assert "virtual environment" in environment["advice"]


async def test_a_kernel_whose_interpreter_is_missing_is_listed_saying_why(
    tmp_path: Path, kernels_dir: Path, spec_manager: KernelSpecManager
) -> None:
    missing = str(tmp_path / "envs" / "gone" / "bin" / "python")
    add_kernel(kernels_dir, "gone", "Gone", missing)

    kernel = await describe_kernel(spec_manager, "gone")

    assert kernel.keys() == {"name", "display_name", "language", "error"}
    assert kernel["error"]["code"] == "kernel-python"
    assert missing in kernel["error"]["message"]


async def test_a_kernel_that_is_not_python_is_listed_saying_so(
    kernels_dir: Path, spec_manager: KernelSpecManager
) -> None:
    add_kernel(kernels_dir, "ir", "R", "R", language="R")

    kernel = await describe_kernel(spec_manager, "ir")

    assert kernel == {
        "name": "ir",
        "display_name": "R",
        "language": "R",
        "error": {
            "code": "not-a-python-kernel",
            "message": "The kernel 'R' is not a Python kernel.",
        },
    }


async def test_a_kernel_that_does_not_exist_is_refused(spec_manager: KernelSpecManager) -> None:
    with pytest.raises(AirlockError) as caught:
        await describe_kernel(spec_manager, "nope")

    assert (caught.value.code, caught.value.status) == ("unknown-kernel", 404)


async def test_every_kernel_is_described_at_once_sorted_by_display_name(
    venv: Path, tmp_path: Path, kernels_dir: Path, spec_manager: KernelSpecManager
) -> None:
    # Two interpreters that each wait for the other to start: described one after the other,
    # the first would give up and fail.
    started = tmp_path / "started"
    started.mkdir()
    barrier = f"""touch {started}/$$
i=0
while [ "$(ls {started} | wc -l)" -lt 2 ]; do
  i=$((i + 1)); [ $i -gt 100 ] && {{ echo "started alone" >&2; exit 3; }}
  sleep 0.05
done
exec {venv_python(venv)} "$@"
"""
    add_kernel(kernels_dir, "one", "barrier one", fake_python(tmp_path / "one", barrier))
    add_kernel(kernels_dir, "two", "Barrier two", fake_python(tmp_path / "two", barrier))
    add_kernel(kernels_dir, "ir", "R", "R", language="R")
    add_kernel(kernels_dir, "gone", "Gone", str(tmp_path / "gone" / "python"))
    add_kernel(kernels_dir, "demo", "Demo venv", venv_python(venv))

    kernels = await describe_kernels(spec_manager)

    assert [kernel["display_name"] for kernel in kernels] == [
        "barrier one",
        "Barrier two",
        "Demo venv",
        "Gone",
        "R",
    ]
    one, two, demo, missing, r = kernels
    for kernel in (one, two, demo):
        assert "error" not in kernel, kernel.get("error")
        assert kernel["kind"] == "venv"
    assert one["python"] == str(tmp_path / "one")
    assert len(list(started.iterdir())) == 2
    assert missing["error"]["code"] == "kernel-python"
    assert r["error"]["code"] == "not-a-python-kernel"


async def test_an_interpreter_that_fails_says_how(tmp_path: Path) -> None:
    python = fake_python(
        tmp_path / "python", "echo 'warming up' >&2\necho 'Fatal: no encodings' >&2\nexit 3"
    )

    with pytest.raises(AirlockError) as caught:
        await describe_environment(python)

    assert (caught.value.code, caught.value.status) == ("kernel-python", 409)
    assert python in caught.value.message
    assert "exited with code 3: Fatal: no encodings" in caught.value.message


async def test_a_file_that_is_not_executable_is_named(tmp_path: Path) -> None:
    python = tmp_path / "python"
    python.write_text("not a program")

    with pytest.raises(AirlockError, match="is not executable") as caught:
        await describe_environment(str(python))

    assert str(python) in caught.value.message


@pytest.mark.parametrize(
    "output", ["", "hello", "[]", '{"version": "3.11.7"}', '{"version": 3, "packages": []}']
)
async def test_an_answer_that_is_not_an_environment_is_refused(tmp_path: Path, output: str) -> None:
    python = fake_python(tmp_path / "python", f"echo '{output}'")

    with pytest.raises(AirlockError, match="gave an answer Airlock cannot read") as caught:
        await describe_environment(python)

    assert caught.value.code == "kernel-python"


async def test_an_interpreter_that_hangs_is_killed_with_its_children(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    python = fake_python(tmp_path / "python", f"sleep 30 &\necho $$ $! > {pids}\nwait")

    with pytest.raises(AirlockError, match=r"did not answer within 0\.5 seconds") as caught:
        await describe_environment(python, timeout=0.5)

    assert python in caught.value.message
    shell, sleep = map(int, pids.read_text().split())
    assert gone(shell)
    assert gone(sleep)


async def test_cancelling_leaves_no_process_behind(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    python = fake_python(tmp_path / "python", f"echo $$ > {pid_file}\nexec sleep 30")

    pid = await cancel_once_started(describe_environment(python), pid_file)

    assert gone(pid)


@pytest.fixture
def read_only_venv(bare_venv: Path) -> Iterator[Path]:
    """``bare_venv`` with its site-packages on a read-only bind mount, where one can be made."""
    site = str(site_packages(bare_venv))
    mount, umount = shutil.which("mount"), shutil.which("umount")
    if mount is None or umount is None:
        pytest.skip("no mount command here")
    if subprocess.run([mount, "--bind", site, site], check=False).returncode:
        pytest.skip("cannot bind-mount here (needs root)")
    try:
        remount = [mount, "-o", "remount,bind,ro", site]
        if subprocess.run(remount, check=False).returncode:
            pytest.skip("cannot remount read-only here")
        yield bare_venv
    finally:
        subprocess.run([umount, site], check=True)


async def test_a_read_only_environment_is_not_writable_and_says_why(read_only_venv: Path) -> None:
    environment = await describe_environment(venv_python(read_only_venv))

    assert environment["kind"] == "venv"
    assert environment["writable"] is False
    assert environment["why_not_writable"] == (
        f"The environment at {environment['prefix']} is on a read-only file system: ask your "
        "admin to install there, or create a kernel of your own."
    )


def test_a_read_only_mount_counts_even_for_root_and_for_a_folder_still_to_create(
    read_only_venv: Path,
) -> None:
    site = site_packages(read_only_venv)

    assert "read-only file system" in (_why_not_writable(str(site), "/env") or "")
    assert "read-only file system" in (_why_not_writable(str(site / "a" / "b"), "/env") or "")


def test_a_writable_folder_and_one_still_to_create_are_writable(tmp_path: Path) -> None:
    assert _why_not_writable(str(tmp_path), str(tmp_path)) is None
    assert _why_not_writable(str(tmp_path / "lib" / "site-packages"), str(tmp_path)) is None


def test_a_folder_this_user_may_not_write_to_is_not_writable() -> None:
    folder = tempfile.mkdtemp()
    os.chmod(folder, 0o555)  # noqa: S103 - others must reach it, not write to it
    # The function's own source, run by the base interpreter: the checkout (and its venv)
    # may sit in a folder only its owner can enter, as `mktemp -d` makes them.
    check = "import os, sys\n" + inspect.getsource(_why_not_writable)
    check += "print(_why_not_writable(sys.argv[1], '/env'))\n"
    try:
        if os.geteuid() != 0:
            why = _why_not_writable(folder, "/env")
        else:
            # Root may write anywhere: ask as nobody.
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                pytest.skip("running as root without setpriv to drop to another user")
            drop = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
            command = [*drop, os.path.realpath(sys.executable), "-I", "-c", check, folder]
            answer = subprocess.run(command, cwd="/", capture_output=True, text=True, check=True)
            why = answer.stdout.strip()
    finally:
        os.rmdir(folder)

    assert why == (
        f"You may not write to the environment at /env ({folder}): ask its owner to install "
        "there, or create a kernel of your own."
    )
