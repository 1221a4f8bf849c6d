"""`jupyter airlock bundle`, run as a user runs it (a subprocess), with real parts: wheels the
tests build (airlock-a needs airlock-b needs airlock-c; a compiled-looking wheel for Linux and
one for macOS) served by pypiserver on 127.0.0.1, the server's pip, venvs, moto's S3.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from demo.content import DEMO_AWS_ENV
from demo.services import Service, start_moto, start_pypiserver
from jupyterlab_airlock.bundle import freeze_environment, upload_bundle
from jupyterlab_airlock.bundle.cli import main
from jupyterlab_airlock.bundle_format.folder import BundleInputError, write_manifests
from jupyterlab_airlock.errors import AirlockError
from jupyterlab_airlock.offline import sha256_file
from jupyterlab_airlock.sources import source_from_config
from jupyterlab_airlock.trust.manifests import parse, read_folder
from jupyterlab_airlock.trust.signatures import TrustedSigners

from .test_advisories import export, record
from .test_signatures import make_key
from .wheels import make_wheel

LINUX = "manylinux_2_17_x86_64"
NATIVE_LINUX = f"airlock_native-1.0-cp311-cp311-{LINUX}.whl"
CLOSURE = {
    "airlock_a-1.0-py3-none-any.whl",
    "airlock_b-2.0-py3-none-any.whl",
    "airlock_c-1.0-py3-none-any.whl",
}
BUNDLE_FILES = {"bundle.json", "requirements.lock", "sbom.cdx.json", "manifest.json", "SHA256SUMS"}
BUCKET = "dmz-write"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("index")
    make_wheel(folder, "airlock-a", "1.0", ["airlock-b>=1"])
    make_wheel(folder, "airlock-b", "1.0", ["airlock-c"])
    make_wheel(folder, "airlock-b", "2.0", ["airlock-c"])
    make_wheel(folder, "airlock-c", "1.0")
    make_wheel(folder, "airlock-lonely", "1.0", ["airlock-absent>=1.26"])
    make_wheel(folder, "airlock-native", "1.0", tag=f"cp311-cp311-{LINUX}")
    make_wheel(folder, "airlock-native", "1.0", tag="cp311-cp311-macosx_11_0_arm64")
    service = start_pypiserver(folder)
    try:
        yield service.url
    finally:
        service.stop()


def airlock(*arguments: str | Path, env: dict[str, str] | None = None) -> Any:
    """``python -m jupyterlab_airlock ...`` as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "jupyterlab_airlock", *map(str, arguments)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def target(index: str, platform: str = LINUX) -> list[str]:
    return ["--platform", platform, "--python-version", "3.11", "--index-url", index]


def one_line_error(stderr: str) -> str:
    """The error a failed command printed: one line, no traceback."""
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("jupyter airlock ")
    return str(lines[0])


def leftovers(parent: Path) -> list[str]:
    return [path.name for path in parent.iterdir() if ".partial-" in path.name]


@pytest.fixture(scope="module")
def built(index: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bundle for Linux: airlock-a by name, airlock-native from a requirements file."""
    work = tmp_path_factory.mktemp("built")
    requirements = work / "requirements.txt"
    requirements.write_text("# what the analysis needs\n\nairlock-native  # compiled\n")
    result = airlock("bundle", work / "analysis", "airlock-a", "-r", requirements, *target(index))
    assert result.returncode == 0, result.stderr
    assert "checked offline" in result.stdout
    return work / "analysis"


def test_a_bundle_holds_the_closure_for_the_target_with_manifests_and_lock(built: Path) -> None:
    assert {path.name for path in built.iterdir()} == CLOSURE | {NATIVE_LINUX} | BUNDLE_FILES
    assert leftovers(built.parent) == []
    wheels_and_lock = CLOSURE | {NATIVE_LINUX, "bundle.json", "requirements.lock", "sbom.cdx.json"}
    for name in ("manifest.json", "SHA256SUMS"):
        manifest = parse((built / name).read_text(), name)
        assert set(manifest.files) == wheels_and_lock
        for path, entry in manifest.files.items():
            data = (built / path).read_bytes()
            assert entry.sha256 == hashlib.sha256(data).hexdigest()
            assert entry.size in (None, len(data))
    lock = (built / "requirements.lock").read_text().splitlines()
    expected = {
        f"{name}=={version} --hash=sha256:{hashlib.sha256((built / file).read_bytes()).hexdigest()}"
        for name, version, file in [
            ("airlock-a", "1.0", "airlock_a-1.0-py3-none-any.whl"),
            ("airlock-b", "2.0", "airlock_b-2.0-py3-none-any.whl"),
            ("airlock-c", "1.0", "airlock_c-1.0-py3-none-any.whl"),
            ("airlock-native", "1.0", NATIVE_LINUX),
        ]
    }
    assert set(lock) == expected
    described = json.loads((built / "bundle.json").read_text())
    assert described["airlock_bundle"] == 1
    assert described["name"] == "analysis"
    assert described["target"] == {
        "platforms": [LINUX],
        "python_version": "3.11",
        "implementation": "cp",
    }
    assert described["requirements"] == ["airlock-a", "airlock-native"]
    assert {package["file"] for package in described["packages"]} == CLOSURE | {NATIVE_LINUX}


def test_the_lock_installs_offline_with_require_hashes(built: Path, tmp_path: Path) -> None:
    environment = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", environment], check=True)
    python = environment / "bin" / "python"
    quiet = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "--no-index"]
    lock = built / "requirements.lock"
    subprocess.run(
        [*pip, "--find-links", built, "--require-hashes", "-r", lock],
        check=True,
        capture_output=True,
        env=quiet | {"PIP_CONFIG_FILE": os.devnull},
    )
    code = "import airlock_a, airlock_native, airlock_b; print(airlock_b.VERSION)"
    answer = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    assert answer.stdout.strip() == "2.0"


def test_a_bundle_for_macos_takes_the_macos_wheel(index: str, tmp_path: Path) -> None:
    result = airlock(
        "bundle", tmp_path / "mac", "airlock-native", *target(index, "macosx_11_0_arm64")
    )
    assert result.returncode == 0, result.stderr
    wheels = {path.name for path in (tmp_path / "mac").glob("*.whl")}
    assert wheels == {"airlock_native-1.0-cp311-cp311-macosx_11_0_arm64.whl"}


def test_a_missing_dependency_is_refused_naming_it(index: str, tmp_path: Path) -> None:
    result = airlock("bundle", tmp_path / "lonely", "airlock-lonely", *target(index))
    assert result.returncode == 1
    error = one_line_error(result.stderr)
    assert "airlock-absent>=1.26, needed by airlock-lonely," in error
    assert LINUX in error
    assert not (tmp_path / "lonely").exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("arguments", "needle"),
    [
        (["airlock-a", "--platform", "manylinux_2_17_x86-64"], "Unknown platform"),
        (["airlock-a", "--platform", "linux-64"], "how conda names platforms"),
        (["airlock-a", "--platform", "manylinux_3_17_x86_64"], "glibc versions"),
        (["airlock-a", "--platform", "macosx_11_3_arm64"], "macosx_11_0_arm64"),
        (["airlock-a", "--platform", LINUX, "--python-version", "3.x"], "'3.x'"),
        (["x @ https://example.org/x.whl", "--platform", LINUX], "names a URL"),
        (["-r", "SMUGGLED", "--platform", LINUX], "line 2: 'airlock-c --index-url"),
        (["--platform", LINUX], "Nothing to bundle"),
        (["airlock-a", "--platform", LINUX, "--upload", "http://x/"], "s3://<bucket>"),
    ],
)
def test_bad_input_is_one_line_and_nothing_is_tried(
    index: str,
    tmp_path: Path,
    arguments: list[str],
    needle: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    smuggled = tmp_path / "requirements.txt"
    smuggled.write_text("airlock-a\nairlock-c --index-url http://evil.example/simple/\n")
    arguments = [str(smuggled) if item == "SMUGGLED" else item for item in arguments]
    if "--python-version" not in arguments:
        arguments += ["--python-version", "3.11"]
    # In this process: the command line's own code, without a process start per case.
    code = main(["bundle", str(tmp_path / "out"), *arguments, "--index-url", index])
    printed = capsys.readouterr()
    assert code == 2
    assert needle in one_line_error(printed.err)
    assert "Resolving" not in printed.out
    assert not (tmp_path / "out").exists()


def test_an_existing_folder_is_not_overwritten(index: str, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    result = airlock("bundle", tmp_path / "out", "airlock-a", *target(index))
    assert result.returncode == 2
    assert "already exists" in one_line_error(result.stderr)
    assert [path.name for path in (tmp_path / "out").iterdir()] == ["notes.txt"]


def test_check_bundle_names_what_a_bundle_lacks(built: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(built, broken)
    (broken / "airlock_c-1.0-py3-none-any.whl").unlink()
    lock = broken / "requirements.lock"
    lock.write_text("".join(line for line in lock.open() if "airlock-c==" not in line))
    write_manifests(
        broken,
        {
            path.name: sha256_file(path)
            for path in broken.iterdir()
            if path.name not in ("manifest.json", "SHA256SUMS")
        },
    )
    result = airlock("check-bundle", broken)
    assert result.returncode == 1
    assert "lacks airlock-c (needed by airlock-b)" in one_line_error(result.stderr)


def test_check_bundle_names_a_tampered_file(built: Path, tmp_path: Path) -> None:
    tampered = tmp_path / "tampered"
    shutil.copytree(built, tampered)
    wheel = tampered / "airlock_b-2.0-py3-none-any.whl"
    wheel.write_bytes(wheel.read_bytes().replace(b"2.0", b"6.6"))
    result = airlock("check-bundle", tampered)
    assert result.returncode == 1
    assert "'airlock_b-2.0-py3-none-any.whl' is not the file its manifest lists" in (
        one_line_error(result.stderr)
    )


@pytest.fixture(scope="module")
def moto() -> Iterator[Service]:
    service = start_moto()
    try:
        yield service
    finally:
        service.stop()


def s3(moto: Service) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=moto.url,
        region_name=DEMO_AWS_ENV["AWS_DEFAULT_REGION"],
        aws_access_key_id=DEMO_AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DEMO_AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    )


def test_upload_puts_every_file_under_prefix_and_bundle_name(
    index: str, moto: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = s3(moto)
    client.create_bucket(Bucket=BUCKET)
    env = {**os.environ, **DEMO_AWS_ENV}
    out = tmp_path / "weekly"
    upload = ["--upload", f"s3://{BUCKET}/bundles", "--endpoint-url", moto.url]
    result = airlock("bundle", out, "airlock-a", *target(index), *upload, env=env)
    assert result.returncode == 0, result.stderr
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix="bundles/")["Contents"]
    files = CLOSURE | BUNDLE_FILES
    assert {item["Key"] for item in listed} == {f"bundles/weekly/{name}" for name in files}
    body = client.get_object(Bucket=BUCKET, Key="bundles/weekly/requirements.lock")["Body"]
    assert body.read() == (out / "requirements.lock").read_bytes()

    for name, value in DEMO_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(AirlockError, match="already holds files") as again:
        asyncio.run(upload_bundle(out, f"s3://{BUCKET}/bundles", endpoint_url=moto.url))
    assert again.value.code == "bundle-exists"
    with pytest.raises(AirlockError, match="there is no bucket 'nowhere'"):
        asyncio.run(upload_bundle(out, "s3://nowhere/bundles", endpoint_url=moto.url))


def test_pack_venv_bundles_the_installed_versions(index: str, tmp_path: Path) -> None:
    environment = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", environment], check=True)
    local = make_wheel(tmp_path, "airlock-local", "0.1")
    quiet = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", environment / "bin" / "python", "install",
         "--index-url", index, "airlock-a", "airlock-b==1.0", local],
        check=True, capture_output=True, env=quiet | {"PIP_CONFIG_FILE": os.devnull},
    )  # fmt: skip

    with pytest.raises(BundleInputError) as refused:
        asyncio.run(freeze_environment(environment))
    assert "airlock-local (file://" in refused.value.message
    assert "--exclude" in refused.value.message

    packed = airlock(
        "bundle", tmp_path / "packed", "--pack-venv", environment, "--exclude", "airlock-local",
        *target(index),
    )  # fmt: skip
    assert packed.returncode == 0, packed.stderr
    lock = (tmp_path / "packed" / "requirements.lock").read_text()
    assert [line.split(" ")[0] for line in lock.splitlines()] == [
        "airlock-a==1.0",
        "airlock-b==1.0",  # the installed version, not the newest
        "airlock-c==1.0",
    ]


def test_jupyter_airlock_runs_the_same_command_line() -> None:
    jupyter = Path(sys.executable).parent / "jupyter"
    result = subprocess.run(
        [jupyter, "airlock", "bundle", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "OUT_DIR" in result.stdout
    assert "--pack-venv" in result.stdout


def test_a_signed_bundle_with_advisories_is_checked_against_trusted_signers(
    index: str, moto: Service, tmp_path: Path
) -> None:
    scanner, public = make_key(tmp_path, "builder")
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f'builder@dmz namespaces="airlock" {public}\n')
    osv = export(
        tmp_path / "PyPI.zip", {"A.json": record("PYSEC-1", "airlock-b", [{"introduced": "0"}])}
    )
    client = s3(moto)
    client.create_bucket(Bucket="signed-bundles")
    env = {**os.environ, **DEMO_AWS_ENV}
    out = tmp_path / "weekly"
    result = airlock(
        "bundle", out, "airlock-a", *target(index), "--advisories", osv, "--sign-key", scanner,
        "--upload", "s3://signed-bundles/bundles", "--endpoint-url", moto.url, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "for folder 'bundles/weekly/'" in result.stdout
    listed = client.list_objects_v2(Bucket="signed-bundles", Prefix="bundles/weekly/")["Contents"]
    keys = {item["Key"].rpartition("/")[2] for item in listed}
    assert {"SHA256SUMS.sig", "manifest.json.sig", "sbom.cdx.json"} <= keys

    sbom = (out / "sbom.cdx.json").read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(sbom) is None
    document = json.loads(sbom)
    wheel = out / "airlock_b-2.0-py3-none-any.whl"
    hashes = {c["name"]: c["hashes"][0]["content"] for c in document["components"]}
    assert hashes["airlock-b"] == hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert [v["id"] for v in document["vulnerabilities"]] == ["PYSEC-1"]

    checked = airlock("check-bundle", out, "--trusted-signers", allowed)
    assert checked.returncode == 0, checked.stderr
    assert "SHA256SUMS: signed by builder@dmz for folder 'bundles/weekly/'" in checked.stdout
    elsewhere = airlock("check-bundle", out, "--trusted-signers", allowed, "--as", "other/")
    assert elsewhere.returncode == 1
    assert "signed for folder 'bundles/weekly/', not for 'other/'" in (
        one_line_error(elsewhere.stderr)
    )
    stranger = tmp_path / "stranger_signers"
    stranger.write_text(f'someone@else namespaces="airlock" {make_key(tmp_path, "other")[1]}\n')
    refused = airlock("check-bundle", out, "--trusted-signers", stranger)
    assert "no trusted signer made this signature" in one_line_error(refused.stderr)


def test_sign_signs_a_local_folder_and_an_s3_prefix_for_the_folder_airlock_sees(
    moto: Service, tmp_path: Path
) -> None:
    scanner, public = make_key(tmp_path, "scanner")
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f'scanner@dmz namespaces="airlock" {public}\n')
    sums = f"{'ab' * 32}  airlock_a-1.0-py3-none-any.whl\n"
    local = tmp_path / "exchange" / "wheels"
    local.mkdir(parents=True)
    (local / "SHA256SUMS").write_text(sums)
    signed = airlock("sign", local, "--key", scanner, "--as", "wheels")
    assert signed.returncode == 0, signed.stderr
    source = source_from_config({"kind": "folder", "path": str(tmp_path / "exchange")})
    manifest, _ = asyncio.run(read_folder(source, "wheels/", TrustedSigners(str(allowed))))
    assert manifest is not None
    assert manifest.signed_by("airlock_a-1.0-py3-none-any.whl") == "scanner@dmz"

    client = s3(moto)
    client.create_bucket(Bucket="read-bucket")
    client.put_object(Bucket="read-bucket", Key="approved/wheels/SHA256SUMS", Body=sums)
    env = {**os.environ, **DEMO_AWS_ENV}
    url = "s3://read-bucket/approved/wheels/"
    signed = airlock(
        "sign", url, "--key", scanner, "--as", "wheels/", "--endpoint-url", moto.url, env=env
    )
    assert signed.returncode == 0, signed.stderr
    bucket = source_from_config(
        {"kind": "s3", "endpoint_url": moto.url, "bucket": "read-bucket", "prefix": "approved/"}
    )
    with pytest.MonkeyPatch.context() as patch:
        for name, value in DEMO_AWS_ENV.items():
            patch.setenv(name, value)
        manifest, _ = asyncio.run(read_folder(bucket, "wheels/", TrustedSigners(str(allowed))))
    assert manifest is not None
    assert manifest.signed_by("airlock_a-1.0-py3-none-any.whl") == "scanner@dmz"
    missing = airlock("sign", tmp_path, "--key", scanner)
    assert "there is nothing to sign" in one_line_error(missing.stderr)
