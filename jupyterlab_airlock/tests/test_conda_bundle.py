"""`jupyter airlock bundle --conda` and `--pack-conda`, run as a user runs them (a
subprocess), with real parts: conda packages the tests build (airlock-native, for linux-64
and for osx-arm64, needs airlock-b needs airlock-c; a python record for the PyPI part)
served as a channel over HTTP on 127.0.0.1, py-rattler solving for either platform from
this machine, wheels from pypiserver, conda-pack, OpenSSH signatures and moto's S3.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rattler
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from rattler import Channel, LockFile, SparseRepoData

from demo.content import DEMO_AWS_ENV
from demo.services import Service, start_moto, start_pypiserver
from jupyterlab_airlock.bundle.cli import main
from jupyterlab_airlock.bundle_format.conda import read_conda_bundle_json
from jupyterlab_airlock.bundle_format.folder import write_manifests
from jupyterlab_airlock.offline import sha256_file
from jupyterlab_airlock.trust.manifests import parse

from . import condapackages
from .condachannel import make_channel, serve
from .test_bundle import airlock, leftovers, one_line_error, s3
from .test_signatures import make_key
from .wheels import make_wheel

NATIVE = "airlock-native-1.0-h0.tar.bz2"
NOARCH = {"airlock-b-2.0-0.tar.bz2", "airlock-c-1.0-0.tar.bz2"}
LAYOUT = {
    "bundle.json",
    "pixi.lock",
    "pixi-pack.json",
    "environment.yml",
    "sbom.cdx.json",
    "manifest.json",
    "SHA256SUMS",
    "channel",
}
GOOD = [
    ("noarch", "airlock-c", "1.0", [], "0"),
    ("noarch", "airlock-b", "2.0", ["airlock-c"], "0"),
    ("noarch", "airlock-lonely", "1.0", ["airlock-absent >=1.26"], "0"),
    ("linux-64", "airlock-native", "1.0", ["airlock-b", "__glibc >=2.17"], "h0"),
    ("linux-64", "python", "3.11.9", [], "h0"),
    ("osx-arm64", "airlock-native", "1.0", ["airlock-b", "__osx >=11.0"], "h0"),
]


@pytest.fixture(scope="module")
def mirror_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three channels: ``good/``; ``tampered/``, whose airlock-c is not the file its
    repodata.json lists; ``wrong/``, whose linux-64 folder lists a package made for
    osx-arm64."""
    root = tmp_path_factory.mktemp("mirror")
    make_channel(root / "good", GOOD)
    make_channel(root / "tampered", GOOD[:2] + GOOD[3:4])
    condapackages.build(root / "tampered" / "noarch", "airlock-c", "1.0", ["airlock-b"])
    make_channel(root / "wrong", GOOD[:2])
    condapackages.build(
        root / "wrong" / "linux-64", "airlock-native", "1.0", ["airlock-b"],
        build_string="h0", subdir="osx-arm64",
    )  # fmt: skip
    condapackages.write_repodata(root / "wrong" / "linux-64")
    return root


@pytest.fixture(scope="module")
def mirror(mirror_root: Path) -> Iterator[str]:
    """The channels over HTTP, as a mirror serves them."""
    with serve(mirror_root) as url:
        yield url


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("index")
    make_wheel(folder, "airlock-a", "1.0", ["airlock-d"])
    make_wheel(folder, "airlock-d", "1.0")
    service = start_pypiserver(folder)
    try:
        yield service.url
    finally:
        service.stop()


def conda(mirror: str, platform: str = "linux-64", channel: str = "good") -> list[str]:
    return ["--channel", mirror + channel, "--platform", platform]


@pytest.fixture(scope="module")
def built(mirror: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("built") / "analysis"
    result = airlock("bundle", out, "--conda", "airlock-native", *conda(mirror))
    assert result.returncode == 0, result.stderr
    assert "checked offline" in result.stdout
    return out


def described(bundle: Path) -> Any:
    text = (bundle / "bundle.json").read_text()
    return read_conda_bundle_json(json.loads(text), "bundle.json")


def test_a_conda_bundle_is_a_channel_of_the_closure_with_lock_and_manifests(
    built: Path, mirror: str
) -> None:
    assert {path.name for path in built.iterdir()} == LAYOUT
    assert leftovers(built.parent) == []
    channel = built / "channel"
    assert {p.name for p in (channel / "linux-64").iterdir()} == {NATIVE, "repodata.json"}
    assert {p.name for p in (channel / "noarch").iterdir()} == NOARCH | {"repodata.json"}
    info = described(built)
    assert info.subdir == "linux-64"
    assert info.specs == ["airlock-native"]
    assert info.channels == [mirror + "good/"]
    sha256 = {
        p.name: hashlib.sha256((built / p.file).read_bytes()).hexdigest() for p in info.packages
    }
    assert {(p.name, p.version, p.build, p.subdir) for p in info.packages} == {
        ("airlock-native", "1.0", "h0", "linux-64"),
        ("airlock-b", "2.0", "0", "noarch"),
        ("airlock-c", "1.0", "0", "noarch"),
    }
    assert {p.name: p.sha256 for p in info.packages} == sha256
    # The files as the mirror serves them: the same bytes it lists.
    served = json.loads((channel / "linux-64" / "repodata.json").read_text())
    assert served["packages"][NATIVE]["sha256"] == sha256["airlock-native"]

    lock = LockFile.from_path(built / "pixi.lock")
    platform = lock.platforms()[0]
    assert platform.name == "linux-64"
    assert "__glibc=2.28=0" in platform.virtual_packages
    environment = lock.default_environment()
    assert environment is not None
    records = environment.conda_repodata_records_for_platform(platform) or []
    assert {r.name.normalized: r.sha256.hex() for r in records if r.sha256} == sha256

    files = {p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file()}
    for name in ("manifest.json", "SHA256SUMS"):
        manifest = parse((built / name).read_text(), name)
        assert set(manifest.files) == files - {"manifest.json", "SHA256SUMS"}
    assert json.loads((built / "pixi-pack.json").read_text()) == {
        "version": "1",
        "platform": "linux-64",
    }
    assert "  - airlock-native==1.0=h0\n" in (built / "environment.yml").read_text()
    sbom = (built / "sbom.cdx.json").read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(sbom) is None
    purls = {c["purl"] for c in json.loads(sbom)["components"]}
    assert "pkg:conda/airlock-native@1.0?build=h0&subdir=linux-64&type=tar.bz2" in purls


async def test_the_bundles_channel_installs_offline_with_py_rattler(
    built: Path, tmp_path: Path
) -> None:
    channel = (built / "channel").resolve()
    sources = [
        SparseRepoData(Channel(channel.as_uri()), subdir, channel / subdir / "repodata.json")
        for subdir in ("linux-64", "noarch")
    ]
    records = await rattler.solve_with_sparse_repodata(
        ["airlock-native"], sources, virtual_packages=rattler.VirtualPackage.detect()
    )
    prefix = tmp_path / "env"
    await rattler.install(records, prefix, cache_dir=tmp_path / "pkgs", show_progress=False)
    assert (prefix / "share" / "airlock-native" / "VERSION").read_text() == "1.0\n"
    assert (prefix / "share" / "airlock-c" / "VERSION").read_text() == "1.0\n"


def test_a_bundle_for_osx_arm64_is_solved_on_this_machine(mirror: str, tmp_path: Path) -> None:
    out = tmp_path / "mac"
    result = airlock("bundle", out, "--conda", "airlock-native", *conda(mirror, "osx-arm64"))
    assert result.returncode == 0, result.stderr
    native = {p.name: p for p in described(out).packages}["airlock-native"]
    assert (native.subdir, native.file) == ("osx-arm64", f"channel/osx-arm64/{NATIVE}")
    platform = LockFile.from_path(out / "pixi.lock").platforms()[0]
    assert "__osx=13.0=0" in platform.virtual_packages
    checked = airlock("check-bundle", out)
    assert checked.returncode == 0, checked.stderr
    assert "3 conda package(s) for conda osx-arm64" in checked.stdout

    too_old = airlock(
        "bundle", tmp_path / "old", "--conda", "airlock-native", *conda(mirror, "osx-arm64"),
        "--virtual-package", "__osx=10.15",
    )  # fmt: skip
    assert too_old.returncode == 1
    error = one_line_error(too_old.stderr)
    assert "osx-arm64 (__archspec 1, __osx 10.15, __unix 0)" in error
    assert "__osx >=11.0" in error
    assert not (tmp_path / "old").exists()


def test_a_channel_on_this_machines_file_system_is_bundled_too(
    mirror_root: Path, tmp_path: Path
) -> None:
    out = tmp_path / "local"
    channel = (mirror_root / "good").as_uri()
    result = airlock("bundle", out, "--conda", "airlock-native", "--channel", channel,
                     "--platform", "linux-64")  # fmt: skip
    assert result.returncode == 0, result.stderr
    names = {package.name for package in described(out).packages}
    assert names == {"airlock-native", "airlock-b", "airlock-c"}


def test_a_password_in_the_channel_url_is_never_written(mirror: str, tmp_path: Path) -> None:
    secret = mirror.replace("http://", "http://builder:s3cret@") + "good"
    out = tmp_path / "private"
    result = airlock("bundle", out, "--conda", "airlock-native", "--channel", secret,
                     "--platform", "linux-64")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "s3cret" not in result.stdout + result.stderr
    for path in out.rglob("*"):
        if path.is_file() and not path.name.endswith(".tar.bz2"):
            assert b"s3cret" not in path.read_bytes(), path
    assert described(out).channels == [mirror.replace("http://", "http://***@") + "good/"]


def test_a_missing_dependency_is_named_with_who_needs_it(mirror: str, tmp_path: Path) -> None:
    result = airlock("bundle", tmp_path / "lonely", "--conda", "airlock-lonely", *conda(mirror))
    assert result.returncode == 1
    error = one_line_error(result.stderr)
    assert "airlock-absent >=1.26, needed by airlock-lonely 1.0, is not in the channel" in error
    assert not (tmp_path / "lonely").exists()
    assert leftovers(tmp_path) == []


def test_a_package_that_is_not_what_the_channel_lists_is_refused(
    mirror: str, tmp_path: Path
) -> None:
    tampered = airlock(
        "bundle", tmp_path / "t", "--conda", "airlock-native", *conda(mirror, channel="tampered")
    )
    assert tampered.returncode == 1
    error = one_line_error(tampered.stderr)
    assert "airlock-c-1.0-0.tar.bz2 downloaded from" in error
    assert "but the channel's repodata.json says" in error

    wrong = airlock(
        "bundle", tmp_path / "w", "--conda", "airlock-native", *conda(mirror, channel="wrong")
    )
    assert wrong.returncode == 1
    assert f"{NATIVE} is a package for osx-arm64" in one_line_error(wrong.stderr)
    assert not (tmp_path / "t").exists()
    assert not (tmp_path / "w").exists()
    assert leftovers(tmp_path) == []


def rewrite_manifests(bundle: Path) -> None:
    write_manifests(
        bundle,
        {
            path.relative_to(bundle).as_posix(): sha256_file(path)
            for path in bundle.rglob("*")
            if path.is_file() and path.name not in ("manifest.json", "SHA256SUMS")
        },
    )


def test_check_bundle_refuses_a_tampered_or_misplaced_package(
    built: Path, mirror: str, tmp_path: Path
) -> None:
    tampered = tmp_path / "tampered"
    shutil.copytree(built, tampered)
    package = tampered / "channel" / "noarch" / "airlock-c-1.0-0.tar.bz2"
    condapackages.build(package.parent, "airlock-c", "1.0", ["airlock-b"])
    result = airlock("check-bundle", tampered)
    assert result.returncode == 1
    error = one_line_error(result.stderr)
    assert "'channel/noarch/airlock-c-1.0-0.tar.bz2' is not the file its manifest lists" in error

    rewrite_manifests(tampered)  # the manifests made to match: bundle.json still knows
    result = airlock("check-bundle", tampered)
    assert result.returncode == 1
    assert "in the bundle's manifest but" in one_line_error(result.stderr)

    misplaced = tmp_path / "misplaced"
    shutil.copytree(built, misplaced)
    mac = make_channel(tmp_path / "mac", GOOD[5:]) / "osx-arm64" / NATIVE
    linux = misplaced / "channel" / "linux-64" / NATIVE
    old = sha256_file(linux)[0]
    shutil.copyfile(mac, linux)
    for name in ("bundle.json", "channel/linux-64/repodata.json"):
        path = misplaced / name
        path.write_text(path.read_text().replace(old, sha256_file(linux)[0]))
    rewrite_manifests(misplaced)
    result = airlock("check-bundle", misplaced)
    assert result.returncode == 1
    assert f"{NATIVE} is a package for osx-arm64 (its info/index.json), not for linux-64" in (
        one_line_error(result.stderr)
    )

    stray = tmp_path / "stray"
    shutil.copytree(built, stray)
    shutil.copyfile(mac, stray / "channel" / "noarch" / "airlock-extra-1.0-0.tar.bz2")
    rewrite_manifests(stray)
    result = airlock("check-bundle", stray)
    assert "channel/noarch/airlock-extra-1.0-0.tar.bz2 is in its channel but not in its " in (
        one_line_error(result.stderr)
    )


def test_the_pypi_part_is_wheels_for_the_environments_python(
    mirror: str, index: str, tmp_path: Path
) -> None:
    out = tmp_path / "mixed"
    result = airlock(
        "bundle", out, "--conda", "airlock-native", "python=3.11", *conda(mirror),
        "--pypi", "airlock-a", "--index-url", index,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    info = described(out)
    assert info.python_version == "3.11"
    assert info.requirements == ["airlock-a"]
    wheels = {"pypi/airlock_a-1.0-py3-none-any.whl", "pypi/airlock_d-1.0-py3-none-any.whl"}
    assert {wheel["file"] for wheel in info.pypi} == wheels
    lock = (out / "requirements.lock").read_text().splitlines()
    assert [line.split(" ")[0] for line in lock] == ["airlock-a==1.0", "airlock-d==1.0"]
    assert "--find-links ./pypi" in (out / "environment.yml").read_text()
    purls = {c["purl"] for c in json.loads((out / "sbom.cdx.json").read_text())["components"]}
    assert "pkg:pypi/airlock-a@1.0" in purls

    (out / "pypi" / "airlock_d-1.0-py3-none-any.whl").unlink()
    lock_path = out / "requirements.lock"
    lock_path.write_text("".join(line for line in lock_path.open() if "airlock-d" not in line))
    rewrite_manifests(out)
    broken = json.loads((out / "bundle.json").read_text())
    broken["pypi"] = [w for w in broken["pypi"] if w["name"] != "airlock-d"]
    (out / "bundle.json").write_text(json.dumps(broken))
    rewrite_manifests(out)
    result = airlock("check-bundle", out)
    assert result.returncode == 1
    assert "lacks airlock-d (needed by airlock-a)" in one_line_error(result.stderr)

    no_python = airlock(
        "bundle", tmp_path / "np", "--conda", "airlock-c", *conda(mirror), "--pypi", "airlock-a"
    )
    assert no_python.returncode == 2
    assert "--pypi needs a Python in the environment" in one_line_error(no_python.stderr)


@pytest.fixture
def prefix(mirror: str, mirror_root: Path, tmp_path: Path) -> Path:
    """A conda environment made by py-rattler from the mirror, as conda leaves one: its
    package cache keeps airlock-c's file beside the extracted package, not the others'."""
    env, cache = tmp_path / "envs" / "analysis", tmp_path / "pkgs"
    glibc = rattler.GenericVirtualPackage(
        rattler.PackageName("__glibc"), rattler.Version("2.28"), rattler.BuildString("0")
    )

    async def create() -> None:
        records = await rattler.solve(
            [Channel(mirror + "good/")],
            ["airlock-native"],
            platforms=["linux-64", "noarch"],
            virtual_packages=[glibc],
        )
        await rattler.install(records, env, cache_dir=cache, show_progress=False)

    asyncio.run(create())
    kept = "airlock-c-1.0-0.tar.bz2"
    shutil.copyfile(mirror_root / "good" / "noarch" / kept, cache / kept)
    return env


def test_pack_conda_bundles_the_installed_builds_from_cache_and_channel(
    prefix: Path, mirror: str, tmp_path: Path
) -> None:
    out = tmp_path / "packed"
    result = airlock("bundle", out, "--pack-conda", prefix, "--channel", mirror + "good")
    assert result.returncode == 0, result.stderr
    assert "airlock-c-1.0-0.tar.bz2: taken from the environment's package cache" in result.stdout
    assert f"{NATIVE}: downloaded from {mirror}good/" in result.stdout
    assert "3 package(s), 1 in its package cache, 2 to download" in result.stdout
    info = described(out)
    installed = {
        (r["name"], r["version"], r["build"])
        for r in map(json.loads, map(Path.read_text, (prefix / "conda-meta").glob("*.json")))
    }
    assert {(p.name, p.version, p.build) for p in info.packages} == installed
    assert info.subdir == "linux-64"
    assert airlock("check-bundle", out).returncode == 0

    offline = airlock("bundle", tmp_path / "offline", "--pack-conda", prefix)
    assert offline.returncode == 2
    error = one_line_error(offline.stderr)
    assert f"airlock-b-2.0-0.tar.bz2, {NATIVE} of {prefix} are not in its package cache" in error
    assert "--channel" in error

    elsewhere = airlock(
        "bundle", tmp_path / "mac", "--pack-conda", prefix, *conda(mirror, "osx-arm64")
    )
    assert elsewhere.returncode == 2
    assert f"holds {NATIVE}, a package for linux-64" in one_line_error(elsewhere.stderr)


def test_pack_conda_as_a_conda_pack_archive(prefix: Path, tmp_path: Path) -> None:
    out = tmp_path / "analysis"
    result = airlock("bundle", out, "--pack-conda", prefix, "--format", "conda-pack")
    assert result.returncode == 0, result.stderr
    archive = out / "analysis.tar.gz"  # the archive of an environment, as kinds.py tells
    assert {p.name for p in out.iterdir()} == {
        archive.name,
        "sbom.cdx.json",
        "manifest.json",
        "SHA256SUMS",
    }
    with tarfile.open(archive) as opened:
        names = set(opened.getnames())
    assert "share/airlock-native/VERSION" in names
    assert "bin/conda-unpack" in names
    manifest = parse((out / "SHA256SUMS").read_text(), "SHA256SUMS")
    assert manifest.files[archive.name].sha256 == sha256_file(archive)[0]

    (prefix / "share" / "airlock-c" / "README.txt").unlink()
    refused = airlock(
        "bundle", tmp_path / "broken", "--pack-conda", prefix, "--format", "conda-pack"
    )
    assert refused.returncode == 1
    error = one_line_error(refused.stderr)
    assert f"conda-pack cannot pack {prefix}:" in error
    assert "share/airlock-c/README.txt" in error
    assert not (tmp_path / "broken").exists()
    assert leftovers(tmp_path) == []

    not_conda = tmp_path / "venv"
    not_conda.mkdir()
    for how in ([], ["--format", "conda-pack"]):
        result = airlock("bundle", tmp_path / "x", "--pack-conda", not_conda, *how)
        assert result.returncode == 2
        assert f"{not_conda} is not a conda environment: it has no conda-meta folder" in (
            one_line_error(result.stderr)
        )


def test_a_signed_conda_bundle_is_uploaded_manifests_last_and_checks_out(
    mirror: str, tmp_path: Path
) -> None:
    scanner, public = make_key(tmp_path, "builder")
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f'builder@dmz namespaces="airlock" {public}\n')
    moto: Service = start_moto()
    try:
        client = s3(moto)
        client.create_bucket(Bucket="dmz-write")
        out = tmp_path / "weekly"
        result = airlock(
            "bundle", out, "--conda", "airlock-native", *conda(mirror), "--sign-key", scanner,
            "--upload", "s3://dmz-write/bundles", "--endpoint-url", moto.url,
            env={**os.environ, **DEMO_AWS_ENV},
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        keys = [
            item["Key"].removeprefix("bundles/weekly/")
            for item in client.list_objects_v2(Bucket="dmz-write")["Contents"]
        ]
        assert f"channel/linux-64/{NATIVE}" in keys
        assert {"pixi.lock", "bundle.json", "SHA256SUMS.sig", "manifest.json.sig"} <= set(keys)
        uploaded = [
            line.rpartition(" ")[2] for line in result.stdout.splitlines() if "] uploaded " in line
        ]
        assert uploaded[-6:] == [
            "pixi.lock", "bundle.json", "SHA256SUMS", "manifest.json", "SHA256SUMS.sig",
            "manifest.json.sig",
        ]  # fmt: skip
    finally:
        moto.stop()
    checked = airlock("check-bundle", out, "--trusted-signers", allowed)
    assert checked.returncode == 0, checked.stderr
    assert "SHA256SUMS: signed by builder@dmz for folder 'bundles/weekly/'" in checked.stdout


@pytest.mark.parametrize(
    ("arguments", "needle"),
    [
        (["--conda", "airlock-c", "--platform", "noarch"], "noarch is not a platform"),
        (["--conda", "airlock-c", "--platform", "linux64"], "Unknown conda platform 'linux64'"),
        (["--conda", "airlock-c"], "Give the target's conda platform with --platform"),
        (["--conda", "conda-forge::numpy", "--platform", "linux-64"], "not a conda package spec"),
        (["--conda", "airlock-c", "--platform", "linux-64", "--channel", "conda-forge"],
         "is not a channel URL"),
        (["--conda", "airlock-c", "--platform", "linux-64", "--virtual-package", "glibc=2"],
         "'glibc=2' is not a virtual package"),
        (["--conda", "airlock-c", "--platform", "linux-64", "--platform", "osx-arm64"],
         "for one platform"),
        (["--conda", "airlock-c", "--platform", "linux-64", "--pypi", "x @ https://e.org/x.whl"],
         "names a URL"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_nothing_is_tried(
    tmp_path: Path, arguments: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if not any(item == "--channel" for item in arguments):
        arguments += ["--channel", "http://127.0.0.1:9/nothing-listens"]
    code = main(["bundle", str(tmp_path / "out"), *arguments])
    printed = capsys.readouterr()
    assert code == 2
    assert needle in one_line_error(printed.err)
    assert "Solving" not in printed.out
    assert not (tmp_path / "out").exists()


def test_an_unreachable_channel_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["bundle", str(tmp_path / "out"), "--conda", "airlock-c", "--platform", "linux-64",
         "--channel", "http://127.0.0.1:9/conda-forge"]
    )  # fmt: skip
    assert code == 1
    error = one_line_error(capsys.readouterr().err)
    assert "The conda channel http://127.0.0.1:9/conda-forge/ cannot be read" in error
    assert not (tmp_path / "out").exists()
