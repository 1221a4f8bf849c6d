"""Kernels from bundles and environment archives, with real parts: bundles built by the
bundle command from wheels served by pypiserver, real venvs and pip, real tar archives (a
packed venv, and hostile ones), moto's S3 for the fetch out of the read bucket.
"""

from __future__ import annotations

import asyncio
import errno
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from packaging.requirements import Requirement

from demo.content import DEMO_AWS_ENV
from demo.services import Service, start_moto, start_pypiserver
from jupyterlab_airlock.bundle import build_bundle, parse_target, upload_bundle
from jupyterlab_airlock.bundle_format.folder import write_manifests
from jupyterlab_airlock.cache import ContentCache
from jupyterlab_airlock.errors import AirlockError
from jupyterlab_airlock.jobs import Job, JobContext
from jupyterlab_airlock.kernels.archive import create_kernel_from_archive
from jupyterlab_airlock.kernels.create import NewKernel, create_kernel_from_bundle
from jupyterlab_airlock.kernels.fetch import fetch_bundle
from jupyterlab_airlock.kinds import classify
from jupyterlab_airlock.offline import sha256_file
from jupyterlab_airlock.sources import S3Source

from .wheels import make_wheel

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
BUCKET = "airlock-read"


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two bundles for this machine: airlock-a (needs b needs c), and airlock-slow (three
    thousand modules: long enough to install to be cancelled)."""
    index = tmp_path_factory.mktemp("index")
    make_wheel(index, "airlock-a", "1.0", ["airlock-b>=1"])
    make_wheel(index, "airlock-b", "2.0", ["airlock-c"])
    make_wheel(index, "airlock-c", "1.0")
    make_wheel(index, "airlock-slow", "1.0", modules=3000)
    service = start_pypiserver(index)
    out = tmp_path_factory.mktemp("bundles")
    target = parse_target(["manylinux_2_17_x86_64"], PYTHON)
    made = {}
    try:
        for name, wanted in (("abc", "airlock-a"), ("slow", "airlock-slow")):
            requirements = [Requirement(wanted)]
            asyncio.run(build_bundle(out / name, requirements, target, index_url=service.url))
            made[name] = out / name
    finally:
        service.stop()
    return made


@pytest.fixture
def places(tmp_path: Path) -> dict[str, Path]:
    return {"kernels_dir": tmp_path / "kernels", "envs_dir": tmp_path / "envs"}


def job(on_log: Callable[[str], None] | None = None) -> tuple[JobContext, Job]:
    record = Job(id="test", kind="kernel", title="Create a kernel", queue="kernels")

    def save(saved: Job) -> None:
        if on_log is not None and saved.log:
            on_log(saved.log[-1])

    return JobContext(record, save), record


def nothing_made(places: dict[str, Path]) -> bool:
    return all(not folder.exists() or not any(folder.iterdir()) for folder in places.values())


def python_says(python: Path, code: str) -> str:
    answer = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    return answer.stdout.strip()


def has_pip(python: Path) -> bool:
    answer = subprocess.run([python, "-m", "pip", "--version"], capture_output=True, text=True)
    return answer.returncode == 0 and answer.stdout.startswith("pip ")


def rewrite_manifests(bundle: Path) -> None:
    """New manifests for a bundle a test changed on purpose, so they match again."""
    files = {
        path.name: sha256_file(path)
        for path in bundle.iterdir()
        if path.name not in ("manifest.json", "SHA256SUMS")
    }
    write_manifests(bundle, files)


def test_a_bundle_becomes_a_kernel_whose_python_imports_it(
    bundles: dict[str, Path], places: dict[str, Path]
) -> None:
    context, record = job()
    result = asyncio.run(
        create_kernel_from_bundle(
            bundles["abc"],
            NewKernel("analysis", "Analysis (bundle)", **places, require_ipykernel=False),
            context,
        )
    )
    python = places["envs_dir"] / "analysis" / "bin" / "python"
    assert result["python"] == str(python)
    assert {(p["name"], p["version"]) for p in result["packages"]} == {
        ("airlock-a", "1.0"),
        ("airlock-b", "2.0"),
        ("airlock-c", "1.0"),
    }
    assert python_says(python, "import airlock_a, airlock_b; print(airlock_b.VERSION)") == "2.0"
    # pip for %pip install, from the Python's own ensurepip (test_kernel_pip.py installs).
    assert has_pip(python)
    spec = KernelSpecManager(kernel_dirs=[str(places["kernels_dir"])]).get_kernel_spec("analysis")
    assert spec.display_name == "Analysis (bundle)"
    assert spec.language == "python"
    assert spec.argv == [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    assert any("match" in line for line in record.log)
    assert record.progress is not None
    assert record.progress > 0.8


def test_by_default_a_bundle_without_ipykernel_is_refused(
    bundles: dict[str, Path], places: dict[str, Path]
) -> None:
    context, _ = job()
    with pytest.raises(AirlockError) as refused:
        asyncio.run(
            create_kernel_from_bundle(bundles["abc"], NewKernel("k", "K", **places), context)
        )
    assert refused.value.code == "no-ipykernel"
    assert "has no ipykernel, which a kernel needs" in refused.value.message
    assert nothing_made(places)


def test_a_tampered_file_fails_naming_it_and_nothing_is_made(
    bundles: dict[str, Path], places: dict[str, Path], tmp_path: Path
) -> None:
    tampered = tmp_path / "tampered"
    shutil.copytree(bundles["abc"], tampered)
    wheel = tampered / "airlock_c-1.0-py3-none-any.whl"
    wheel.write_bytes(wheel.read_bytes() + b"\0")
    context, _ = job()
    with pytest.raises(AirlockError) as refused:
        asyncio.run(
            create_kernel_from_bundle(
                tampered, NewKernel("k", "K", **places, require_ipykernel=False), context
            )
        )
    assert refused.value.code == "checksum-mismatch"
    assert "'airlock_c-1.0-py3-none-any.whl' is not the file its manifest lists" in (
        refused.value.message
    )
    assert nothing_made(places)


def test_a_taken_name_is_refused_before_anything_is_made(
    bundles: dict[str, Path], places: dict[str, Path]
) -> None:
    mine = places["kernels_dir"] / "mine"
    mine.mkdir(parents=True)
    (mine / "kernel.json").write_text('{"argv": ["python"], "display_name": "Mine"}')
    context, record = job()
    for name, existing in (("mine", ()), ("python3", ("python3",))):
        with pytest.raises(AirlockError) as refused:
            asyncio.run(
                create_kernel_from_bundle(
                    bundles["abc"],
                    NewKernel(name, "K", **places, require_ipykernel=False, existing=existing),
                    context,
                )
            )
        assert refused.value.status == 409
        assert f"already a kernel named {name!r}" in refused.value.message
    assert [path.name for path in places["kernels_dir"].iterdir()] == ["mine"]
    assert json.loads((mine / "kernel.json").read_text())["display_name"] == "Mine"
    assert not places["envs_dir"].exists()
    assert record.log == []


def test_a_failed_install_removes_the_half_made_kernel(
    bundles: dict[str, Path], places: dict[str, Path], tmp_path: Path
) -> None:
    incomplete = tmp_path / "incomplete"
    shutil.copytree(bundles["abc"], incomplete)
    (incomplete / "airlock_c-1.0-py3-none-any.whl").unlink()
    lock = incomplete / "requirements.lock"
    lock.write_text("".join(line for line in lock.open() if "airlock-c==" not in line))
    rewrite_manifests(incomplete)
    context, record = job()
    with pytest.raises(AirlockError) as failed:
        asyncio.run(
            create_kernel_from_bundle(
                incomplete, NewKernel("k", "K", **places, require_ipykernel=False), context
            )
        )
    assert failed.value.code == "bundle-incomplete"
    assert "lacks airlock-c (needed by airlock-b)" in failed.value.message
    assert any(line.startswith("Creating a virtual environment") for line in record.log)
    assert nothing_made(places)


def test_cancelling_removes_the_half_made_kernel(
    bundles: dict[str, Path], places: dict[str, Path]
) -> None:
    async def scenario() -> None:
        installing = asyncio.Event()
        context, _ = job(lambda line: installing.set() if line.startswith("Resolved ") else None)
        task = asyncio.ensure_future(
            create_kernel_from_bundle(
                bundles["slow"],
                NewKernel("slow", "Slow", **places, require_ipykernel=False),
                context,
            )
        )
        waiter = asyncio.ensure_future(installing.wait())
        await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
        assert not task.done(), "the install ended before it could be cancelled"
        assert (places["envs_dir"] / "slow" / "bin" / "python").exists()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert nothing_made(places)


def test_a_bundle_for_another_python_is_refused(
    bundles: dict[str, Path], places: dict[str, Path], tmp_path: Path
) -> None:
    other = tmp_path / "other"
    shutil.copytree(bundles["abc"], other)
    described = json.loads((other / "bundle.json").read_text())
    described["target"]["python_version"] = "3.9"
    (other / "bundle.json").write_text(json.dumps(described))
    rewrite_manifests(other)
    context, _ = job()
    with pytest.raises(AirlockError) as refused:
        asyncio.run(
            create_kernel_from_bundle(
                other, NewKernel("k", "K", **places, require_ipykernel=False), context
            )
        )
    assert refused.value.code == "bundle-python"
    assert f"--python-version {PYTHON}" in refused.value.message
    assert nothing_made(places)


@pytest.fixture(scope="module")
def moto() -> Iterator[Service]:
    service = start_moto()
    try:
        yield service
    finally:
        service.stop()


def test_a_bundle_in_the_read_bucket_is_fetched_verified_and_becomes_a_kernel(
    bundles: dict[str, Path],
    places: dict[str, Path],
    moto: Service,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in DEMO_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3", endpoint_url=moto.url).create_bucket(Bucket=BUCKET)
    asyncio.run(upload_bundle(bundles["abc"], f"s3://{BUCKET}/approved", endpoint_url=moto.url))
    source = S3Source(BUCKET, "approved", endpoint_url=moto.url)
    cache = ContentCache(tmp_path / "cache")

    async def scenario() -> dict[str, Any]:
        context, _ = job()
        local = await fetch_bundle(source, "abc/", cache, tmp_path / "fetched", context)
        return await create_kernel_from_bundle(
            local, NewKernel("from-s3", "From S3", **places, require_ipykernel=False), context
        )

    result = asyncio.run(scenario())
    assert python_says(Path(result["python"]), "import airlock_a; print('ok')") == "ok"

    # Replaced in the bucket after the manifest was written: refused by name on the way in.
    boto3.client("s3", endpoint_url=moto.url).put_object(
        Bucket=BUCKET, Key="approved/abc/airlock_b-2.0-py3-none-any.whl", Body=b"not a wheel"
    )
    with pytest.raises(AirlockError) as refused:
        asyncio.run(
            fetch_bundle(source, "abc/", ContentCache(tmp_path / "c2"), tmp_path / "f2", job()[0])
        )
    assert refused.value.code == "checksum-mismatch"
    assert "abc/airlock_b-2.0-py3-none-any.whl" in refused.value.message
    assert not (tmp_path / "f2").exists()


def packed_environment(folder: Path, bundle: Path, ending: str = ".tar.gz") -> Path:
    """A venv with airlock-c in it and a conda-unpack stand-in that leaves a mark, packed as
    conda-pack packs (links dereferenced: the interpreter travels as a file); ``ending``
    .tar.gz or .tar.xz."""
    environment = folder / "packed-env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", environment], check=True)
    quiet = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            environment / "bin" / "python",
            "install",
            "--no-index",
            "--find-links",
            bundle,
            "airlock-c",
        ],
        check=True,
        capture_output=True,
        env=quiet | {"PIP_CONFIG_FILE": os.devnull},
    )
    script = environment / "bin" / "conda-unpack"
    script.write_text("import pathlib, sys\npathlib.Path(sys.prefix, 'UNPACKED').write_text('y')\n")
    archive = folder / f"analysis-env{ending}"
    with tarfile.open(archive, f"w:{ending.rpartition('.')[2]}", dereference=True) as tar:
        for path in sorted(environment.iterdir()):
            tar.add(path, arcname=path.name)
    return archive


@pytest.mark.parametrize("ending", [".tar.gz", ".tar.xz"])
def test_an_environment_archive_becomes_a_kernel(
    bundles: dict[str, Path], places: dict[str, Path], tmp_path: Path, ending: str
) -> None:
    packed = packed_environment(tmp_path, bundles["abc"], ending)
    # The listing offers "Create kernel" for exactly what the server calls an env-archive.
    assert classify(packed.name) == {"kind": "env-archive", "format": ending[1:]}
    # As the content cache keeps it: named by its sha256, its own name given beside.
    archive = packed.rename(tmp_path / sha256_file(packed)[0])
    context, record = job()
    result = asyncio.run(
        create_kernel_from_archive(
            archive,
            NewKernel("unpacked", "Unpacked", **places, require_ipykernel=False),
            context,
            archive_name=packed.name,
        )
    )
    prefix = places["envs_dir"] / "unpacked"
    assert result["python"] == str(prefix / "bin" / "python")
    assert python_says(prefix / "bin" / "python", "import sys, airlock_c; print(sys.prefix)") == (
        str(prefix)
    )
    assert (prefix / "UNPACKED").read_text() == "y"  # its conda-unpack ran
    assert has_pip(prefix / "bin" / "python")  # packed without pip, given one
    spec = json.loads((places["kernels_dir"] / "unpacked" / "kernel.json").read_text())
    assert spec["argv"][0] == str(prefix / "bin" / "python")
    assert any("conda-unpack" in line for line in record.log)
    assert spec["metadata"]["airlock"]["archive"] == packed.name


def test_a_zip_is_not_offered_as_an_environment_and_is_refused(
    places: dict[str, Path], tmp_path: Path
) -> None:
    """conda-pack can write a .zip, but kernel creation unpacks tar archives only."""
    assert classify("envs/tools-env.zip")["kind"] == "other"
    assert "tar.gz" in classify("envs/tools-env.zip")["problem"]
    archive = tmp_path / "tools-env.zip"
    archive.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip file
    with pytest.raises(AirlockError) as refused:
        asyncio.run(create_kernel_from_archive(archive, NewKernel("k", "K", **places), job()[0]))
    assert refused.value.code == "unsupported-archive"
    assert nothing_made(places)


def hostile(folder: Path, member: tarfile.TarInfo) -> Path:
    archive = folder / "hostile-env.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        harmless = tarfile.TarInfo("bin/python")
        tar.addfile(harmless, io.BytesIO(b""))
        data = b"pwned" if member.isfile() else b""
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data) if data else None)
    return archive


def link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type, member.linkname = kind, target
    return member


def device(name: str) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type, member.devmajor, member.devminor = tarfile.CHRTYPE, 1, 3
    return member


@pytest.mark.parametrize(
    ("member", "needle"),
    [
        (tarfile.TarInfo("../../escaped.txt"), "'../../escaped.txt' leaves the environment's"),
        (tarfile.TarInfo("lib/../../escaped.txt"), "leaves the environment's folder"),
        (tarfile.TarInfo("/tmp/airlock-absolute.txt"), "is an absolute path"),
        (link("lib/etc", "/etc"), "links to the absolute path '/etc'"),
        (link("lib/up", "../../.."), "links to '../../..', outside"),
        (link("lib/hard", "../outside.txt", tarfile.LNKTYPE), "outside the environment's"),
        (device("dev/null"), "is a device file"),
    ],
)
def test_a_hostile_archive_is_refused_naming_the_member_and_nothing_is_unpacked(
    places: dict[str, Path], tmp_path: Path, member: tarfile.TarInfo, needle: str
) -> None:
    archive = hostile(tmp_path, member)
    before = sorted(tmp_path.rglob("*"))
    context, _ = job()
    with pytest.raises(AirlockError) as refused:
        asyncio.run(create_kernel_from_archive(archive, NewKernel("k", "K", **places), context))
    assert refused.value.code == "unsafe-archive"
    assert needle in refused.value.message
    assert nothing_made(places)
    assert sorted(tmp_path.rglob("*")) == before
    assert not Path("/tmp/airlock-absolute.txt").exists()


def test_a_disk_that_fills_up_leaves_nothing_behind(
    bundles: dict[str, Path], places: dict[str, Path], tmp_path: Path, monkeypatch: Any
) -> None:
    archive = packed_environment(tmp_path, bundles["abc"])
    written = 0
    copy = tarfile.copyfileobj

    # A full disk cannot be made without privileges: the write that hits it is simulated,
    # after some files are already unpacked.
    def fill_up(source: Any, target: Any, length: int | None = None, *args: Any) -> None:
        nonlocal written
        written += 1
        if written > 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        copy(source, target, length, *args)

    monkeypatch.setattr(tarfile, "copyfileobj", fill_up)
    context, _ = job()
    with pytest.raises(AirlockError) as full:
        asyncio.run(create_kernel_from_archive(archive, NewKernel("k", "K", **places), context))
    assert full.value.code == "disk-full"
    assert "not enough space" in full.value.message
    assert written > 3
    assert nothing_made(places)


def test_an_archive_larger_than_the_free_space_is_refused_before_unpacking(
    places: dict[str, Path], tmp_path: Path, monkeypatch: Any
) -> None:
    archive = hostile(tmp_path, tarfile.TarInfo("lib/data.bin"))
    monkeypatch.setattr(shutil, "disk_usage", lambda _: SimpleNamespace(total=10, used=10, free=0))
    context, _ = job()
    with pytest.raises(AirlockError) as full:
        asyncio.run(create_kernel_from_archive(archive, NewKernel("k", "K", **places), context))
    assert full.value.code == "disk-full"
    assert "are free" in full.value.message
    assert nothing_made(places)
