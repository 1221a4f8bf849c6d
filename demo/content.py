"""What the demo serves: tiny wheels on a PyPI mirror, and a seeded S3 read bucket."""

from __future__ import annotations

import contextlib
import hashlib
import json
import mimetypes
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from demo.services import Service, start_moto, start_pypiserver

HERE = Path(__file__).resolve().parent
PACKAGES_DIR = HERE / "packages"
# Its files go to the bucket's datasets/ folder, keeping their relative paths.
DATASETS_DIR = HERE / "data" / "datasets"

DEMO_BUCKET = "airlock-demo"
DEMO_REGION = "us-east-1"
# moto accepts any credentials. These go into child processes' environment only (the AWS
# credential chain finds them there), never into settings or profiles.
DEMO_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "airlock-demo",
    "AWS_SECRET_ACCESS_KEY": "airlock-demo",
    "AWS_DEFAULT_REGION": DEMO_REGION,
}

_CHUNK = 1024 * 1024
_NOT_SOURCES = {"__pycache__", "build", "dist"}


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks so large files never sit in memory."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _source_hash(src: Path) -> str:
    """One hash over a package's source files: their relative paths and contents."""
    digest = hashlib.sha256()
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if not path.is_file() or _NOT_SOURCES.intersection(rel.parts) or path.suffix == ".pyc":
            continue
        digest.update(rel.as_posix().encode() + b"\0")
        digest.update(sha256_file(path).encode())
    return digest.hexdigest()


def _wheel_prefix(project: str) -> str:
    # Wheel file names spell the project name with underscores (PEP 427 / PEP 503).
    return project.lower().replace("-", "_").replace(".", "_") + "-"


def build_wheels(out_dir: Path) -> list[Path]:
    """Build the wheels of demo/packages into ``out_dir``, skipping those already up to date.

    Next to the wheels, ``.<package>.srchash`` records the hash of the sources a wheel was
    built from, so only changed packages are rebuilt. Offline: no index, no build isolation.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    wheels: list[Path] = []
    stale: dict[str, tuple[Path, str, str | None]] = {}  # name -> (source, hash, old wheel)
    for src in sorted(PACKAGES_DIR.iterdir()):
        if not (src / "pyproject.toml").is_file():
            continue
        digest = _source_hash(src)
        record = out_dir / f".{src.name}.srchash"
        recorded, _, wheel_name = (
            record.read_text().strip().partition("  ") if record.is_file() else ("", "", "")
        )
        if recorded == digest and (out_dir / wheel_name).is_file():
            wheels.append(out_dir / wheel_name)
        else:
            stale[src.name] = (src, digest, wheel_name or None)
    if stale:
        wheels += _build(out_dir, stale)
    return sorted(wheels)


def _build(out_dir: Path, stale: Mapping[str, tuple[Path, str, str | None]]) -> list[Path]:
    # Airlock itself rewrites the user's pip.conf: keep it out of the build.
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    # Build beside out_dir, then move: pypiserver never sees a half-written wheel.
    with tempfile.TemporaryDirectory(dir=out_dir.parent, prefix=".wheels-build-") as tmp:
        cmd = [
            sys.executable, "-m", "pip", "wheel", "--quiet",
            "--no-deps", "--no-build-isolation", "--no-index", "-w", tmp,
            *(str(src) for src, _, _ in stale.values()),
        ]  # fmt: skip
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"building the demo wheels failed:\n{result.stderr}")
        built: list[Path] = []
        for name, (_, digest, old_wheel) in stale.items():
            (wheel,) = Path(tmp).glob(_wheel_prefix(name) + "*.whl")
            if old_wheel and old_wheel != wheel.name:  # a version bump: drop the old wheel
                (out_dir / old_wheel).unlink(missing_ok=True)
            target = out_dir / wheel.name
            os.replace(wheel, target)
            (out_dir / f".{name}.srchash").write_text(f"{digest}  {wheel.name}\n")
            built.append(target)
    return built


def _manifests(files: Mapping[str, Path]) -> tuple[bytes, bytes]:
    """The SHA256SUMS and manifest.json of ``files`` (relative name -> local path)."""
    entries = [
        {"path": rel, "sha256": sha256_file(files[rel]), "size": files[rel].stat().st_size}
        for rel in sorted(files)
    ]
    sums = "".join(f"{entry['sha256']}  {entry['path']}\n" for entry in entries)
    manifest = json.dumps({"version": 1, "files": entries}, indent=2) + "\n"
    return sums.encode(), manifest.encode()


def _upload_folder(s3: Any, bucket: str, prefix: str, files: Mapping[str, Path]) -> None:
    """Upload ``files`` (relative name -> local path) under ``prefix/``, with their sums."""
    for rel, path in sorted(files.items()):
        content_type, _ = mimetypes.guess_type(path.name)
        extra = {"ContentType": content_type} if content_type else None
        s3.upload_file(str(path), bucket, f"{prefix}/{rel}", ExtraArgs=extra)
    sums, manifest = _manifests(files)
    s3.put_object(Bucket=bucket, Key=f"{prefix}/SHA256SUMS", Body=sums)
    s3.put_object(
        Bucket=bucket, Key=f"{prefix}/manifest.json", Body=manifest, ContentType="application/json"
    )


BULK_FILES = 2000


def fill_exchange_folder(folder: Path, wheels: list[Path], data_dir: Path) -> None:
    """The mounted-folder exchange medium: the bucket's content, plus a bulk/ folder of
    BULK_FILES small readings to show that large listings page and stay virtualized."""
    for name, files in (
        ("wheels", {wheel.name: wheel for wheel in wheels}),
        (
            "datasets",
            {p.relative_to(data_dir).as_posix(): p for p in data_dir.rglob("*") if p.is_file()},
        ),
    ):
        target = folder / name
        target.mkdir(parents=True, exist_ok=True)
        for rel, path in files.items():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / rel)
        sums, manifest = _manifests(files)
        (target / "SHA256SUMS").write_bytes(sums)
        (target / "manifest.json").write_bytes(manifest)
    bulk = folder / "bulk"
    bulk.mkdir(exist_ok=True)
    for number in range(BULK_FILES):
        reading = bulk / f"reading-{number:05}.csv"
        if not reading.exists():
            reading.write_text(f"station,value\nnorth-ridge,{number % 97}\n")


def seed_bucket(
    endpoint_url: str,
    bucket: str,
    wheels: list[Path],
    data_dir: Path,
    *,
    aws_access_key_id: str | None = None,
    aws_secret_access_key: str | None = None,
) -> None:
    """Create ``bucket`` if missing; put ``wheels`` under wheels/, ``data_dir``'s files under
    datasets/, and a SHA256SUMS and manifest.json in each of the two folders.

    Credentials not given here come from the AWS credential chain (e.g. the environment).
    """
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=DEMO_REGION,
        aws_access_key_id=aws_access_key_id,
        aws_secret_access_key=aws_secret_access_key,
    )
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError:
        s3.create_bucket(Bucket=bucket)
    _upload_folder(s3, bucket, "wheels", {wheel.name: wheel for wheel in wheels})
    datasets = {p.relative_to(data_dir).as_posix(): p for p in data_dir.rglob("*") if p.is_file()}
    _upload_folder(s3, bucket, "datasets", datasets)


def demo_profiles(s3_url: str, pypi_url: str, exchange: Path) -> list[dict[str, Any]]:
    """The demo's mirror profiles: "demo" (the local pypiserver and the moto read bucket),
    "demo-offline" (a site with no index at all, only the read bucket) and "demo-folder"
    (the mirror, with files arriving in a mounted folder instead of a bucket)."""
    source = {
        "kind": "s3",
        "endpoint_url": s3_url,
        "bucket": DEMO_BUCKET,
        "prefix": "",
        "region": DEMO_REGION,
    }
    return [
        {
            "name": "demo",
            "description": (
                "Local demo: a pypiserver mirror and a moto S3 read bucket, started by make demo"
            ),
            "pip": {"index-url": pypi_url, "trusted-host": ["127.0.0.1"]},
            "source": source,
        },
        {
            "name": "demo-offline",
            "description": "Fully offline: no package index, only the read bucket",
            "offline": True,
            "pip": {},
            "source": source,
        },
        {
            "name": "demo-folder",
            "description": "The mirror, with files arriving in a mounted exchange folder",
            "pip": {"index-url": pypi_url, "trusted-host": ["127.0.0.1"]},
            "source": {"kind": "folder", "path": str(exchange)},
        },
    ]


@dataclass(frozen=True)
class DemoEnvironment:
    """A running demo: where its servers listen and the profiles that point at them."""

    state_dir: Path
    s3_url: str
    pypi_url: str
    bucket: str
    wheels: list[Path]
    profiles: list[dict[str, Any]]
    services: tuple[Service, ...]


@contextlib.contextmanager
def demo_environment(
    state_dir: Path, s3_port: int | None = 9000, pypi_port: int | None = 8081
) -> Iterator[DemoEnvironment]:
    """Build the wheels, start moto and pypiserver, seed the bucket; stop all on exit.

    The ports are used when free, else the OS picks others (see ``DemoEnvironment``).
    Server logs go to ``state_dir/logs``.
    """
    state_dir = state_dir.resolve()
    wheels = build_wheels(state_dir / "wheels")
    logs = state_dir / "logs"
    with contextlib.ExitStack() as stack:
        moto = start_moto(s3_port, logs / "moto.log")
        stack.callback(moto.stop)
        pypi = start_pypiserver(state_dir / "wheels", pypi_port, logs / "pypiserver.log")
        stack.callback(pypi.stop)
        seed_bucket(
            moto.url,
            DEMO_BUCKET,
            wheels,
            DATASETS_DIR,
            aws_access_key_id=DEMO_AWS_ENV["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DEMO_AWS_ENV["AWS_SECRET_ACCESS_KEY"],
        )
        exchange = state_dir / "exchange"
        fill_exchange_folder(exchange, wheels, DATASETS_DIR)
        yield DemoEnvironment(
            state_dir=state_dir,
            s3_url=moto.url,
            pypi_url=pypi.url,
            bucket=DEMO_BUCKET,
            wheels=wheels,
            profiles=demo_profiles(moto.url, pypi.url, exchange),
            services=(moto, pypi),
        )


def write_server_config(config_dir: Path, env: DemoEnvironment, root_dir: Path) -> Path:
    """Write a jupyter_server_config.json that offers the demo profiles, "demo" active."""
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / "jupyter_server_config.json"
    config = {
        "ServerApp": {"root_dir": str(root_dir)},
        "Airlock": {"profiles": env.profiles, "active_profile": "demo"},
    }
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path
