"""What the demo serves: tiny wheels on a PyPI mirror, and a seeded S3 read bucket.

The bucket (and the mounted exchange folder) hold one example of each kind of artifact that
can be made here: wheels, sdists, a noarch conda package in a channel folder, and datasets.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import mimetypes
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError
from packaging.metadata import parse_email
from packaging.tags import platform_tags
from packaging.utils import canonicalize_name, parse_sdist_filename

from demo.manifests import DemoSigner, folder_manifests, make_demo_signer
from demo.services import Service, start_moto, start_pypiserver
from jupyterlab_airlock.bundle.build import write_bundle
from jupyterlab_airlock.bundle_format.folder import BUNDLE_JSON, parse_target
from jupyterlab_airlock.offline import sha256_file

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

# The demo package that is also offered as a conda package, in the bucket's conda/ channel.
CONDA_PROJECT = "airlock-demo-units"

_NOT_SOURCES = {"__pycache__", "build", "dist"}
# The date of every member of the conda package, and its index.json timestamp: fixed, so that
# the same sources give the same bytes and the sha256 in the manifests and repodata.json holds
# from one build to the next. It is the date hatchling gives sdist members too.
_EPOCH = 1580601600  # 2020-02-02T00:00:00Z


def _source_hash(src: Path) -> str:
    """One hash over a package's source files: their relative paths and contents."""
    digest = hashlib.sha256()
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if not path.is_file() or _NOT_SOURCES.intersection(rel.parts) or path.suffix == ".pyc":
            continue
        digest.update(rel.as_posix().encode() + b"\0")
        digest.update(sha256_file(path)[0].encode())
    return digest.hexdigest()


def _package_dirs() -> list[Path]:
    return [src for src in sorted(PACKAGES_DIR.iterdir()) if (src / "pyproject.toml").is_file()]


def _wheel_prefix(project: str) -> str:
    # Wheel file names spell the project name with underscores (PEP 427 / PEP 503).
    return project.lower().replace("-", "_").replace(".", "_") + "-"


def _cached(out_dir: Path, name: str, digest: str) -> tuple[Path | None, str | None]:
    """``(file, recorded)``: the file ``out_dir`` holds for ``name`` if it was built from
    ``digest`` (else None), and the file name last recorded for ``name`` (None if none).

    ``.<name>.srchash`` in ``out_dir`` records "<hash of what it was built from>  <file>".
    """
    record = out_dir / f".{name}.srchash"
    if not record.is_file():
        return None, None
    recorded, _, file_name = record.read_text().strip().partition("  ")
    if recorded == digest and (out_dir / file_name).is_file():
        return out_dir / file_name, file_name
    return None, file_name or None


def _keep(out_dir: Path, name: str, digest: str, built: Path, recorded: str | None) -> Path:
    """Move ``built`` into ``out_dir`` and record it as built from ``digest``."""
    if recorded and recorded != built.name:  # a version bump: drop the old file
        (out_dir / recorded).unlink(missing_ok=True)
    target = out_dir / built.name
    os.replace(built, target)
    (out_dir / f".{name}.srchash").write_text(f"{digest}  {built.name}\n")
    return target


def build_wheels(out_dir: Path) -> list[Path]:
    """Build the wheels of demo/packages into ``out_dir``, skipping those already up to date.

    Next to the wheels, ``.<package>.srchash`` records the hash of the sources a wheel was
    built from, so only changed packages are rebuilt. Offline: no index, no build isolation.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    wheels: list[Path] = []
    stale: dict[str, tuple[Path, str, str | None]] = {}  # name -> (source, hash, old wheel)
    for src in _package_dirs():
        digest = _source_hash(src)
        wheel, recorded = _cached(out_dir, src.name, digest)
        if wheel is not None:
            wheels.append(wheel)
        else:
            stale[src.name] = (src, digest, recorded)
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
            built.append(_keep(out_dir, name, digest, wheel, old_wheel))
    return built


def build_sdists(out_dir: Path) -> dict[str, Path]:
    """Build the sdists of demo/packages into ``out_dir``, skipping those already up to date
    (recorded as build_wheels does); return package name -> sdist.

    Offline: hatchling, the packages' build backend, is installed, so it builds them itself
    without a build environment (pip cannot build sdists). Its sdists are reproducible: their
    members are dated 2020-02-02, so a rebuild of the same sources gives the same bytes.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    sdists: dict[str, Path] = {}
    for src in _package_dirs():
        digest = _source_hash(src)
        sdist, recorded = _cached(out_dir, src.name, digest)
        if sdist is None:
            # Built beside out_dir, then moved: no reader ever sees a half-written sdist.
            with tempfile.TemporaryDirectory(dir=out_dir.parent, prefix=".sdists-build-") as tmp:
                cmd = [sys.executable, "-m", "hatchling", "build", "--target", "sdist",
                       "--directory", tmp]  # fmt: skip
                # hatchling builds the project of its working directory.
                result = subprocess.run(cmd, cwd=src, capture_output=True, text=True, check=False)
                if result.returncode != 0:
                    raise RuntimeError(f"building the sdist of {src.name} failed:\n{result.stderr}")
                (built,) = Path(tmp).glob("*.tar.gz")
                sdist = _keep(out_dir, src.name, digest, built, recorded)
        sdists[src.name] = sdist
    return sdists


def build_conda_package(sdist: Path, out_dir: Path) -> list[Path]:
    """Make a noarch python conda package of the project in ``sdist`` (as a conda recipe
    would, from the sdist) in ``out_dir``, a channel's ``noarch/`` folder, and write that
    folder's ``repodata.json``; return both. Skipped when already made from this very sdist.

    The classic ``.tar.bz2`` format: ``info/`` metadata, then the files to install, under
    ``site-packages/`` as noarch python packages lay them out (conda moves them into the
    environment's own site-packages, for whichever Python it has, when it links them).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    repodata = out_dir / "repodata.json"
    project, _ = parse_sdist_filename(sdist.name)
    digest, _ = sha256_file(sdist)
    package, recorded = _cached(out_dir, project, digest)
    if package is not None and repodata.is_file():
        return [package, repodata]
    with tempfile.TemporaryDirectory(dir=out_dir.parent, prefix=".conda-build-") as tmp:
        index, files = _conda_contents(sdist)
        built = Path(tmp) / f"{index['name']}-{index['version']}-{index['build']}.tar.bz2"
        _write_tar_bz2(built, files)
        record = {
            **index,
            "md5": hashlib.md5(built.read_bytes(), usedforsecurity=False).hexdigest(),
            "sha256": sha256_file(built)[0],
            "size": built.stat().st_size,
        }
        # The layout conda-index writes; .tar.bz2 packages go under "packages", .conda ones
        # under "packages.conda".
        channel = {
            "info": {"subdir": "noarch"},
            "packages": {built.name: record},
            "packages.conda": {},
            "removed": [],
            "repodata_version": 1,
        }
        # Written first: should the build stop before the package is recorded below, the
        # next one starts again rather than trust this repodata.json.
        (Path(tmp) / repodata.name).write_bytes(_json_bytes(channel))
        os.replace(Path(tmp) / repodata.name, repodata)
        return [_keep(out_dir, project, digest, built, recorded), repodata]


def _conda_contents(sdist: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The ``info/index.json`` of the conda package of ``sdist``, and all its files (path in
    the package -> contents). Name, version, license and Python come from its PKG-INFO."""
    with tarfile.open(sdist, "r:gz") as archive:
        contents: dict[str, bytes] = {}
        for member in archive.getmembers():
            stream = archive.extractfile(member) if member.isfile() else None
            if stream is not None:
                contents[member.name] = stream.read()
    root = next(iter(contents)).partition("/")[0]  # sdists hold one <name>-<version>/ folder
    metadata, _ = parse_email(contents[f"{root}/PKG-INFO"])
    name = canonicalize_name(metadata["name"])
    # The importable package: the project name spelled as a module name, at the sdist's top.
    module = f"{root}/{name.replace('-', '_')}/"
    files = {
        f"site-packages/{path.removeprefix(root + '/')}": data
        for path, data in contents.items()
        if path.startswith(module)
    }
    build_number = 0
    index: dict[str, Any] = {
        "arch": None,
        "build": f"py_{build_number}",  # conda-build's build string for noarch python
        "build_number": build_number,
        "depends": [f"python {metadata['requires_python']}"],
        "license": metadata["license_expression"],
        "name": name,
        "noarch": "python",
        "platform": None,
        "subdir": "noarch",
        "timestamp": _EPOCH * 1000,  # milliseconds, as conda writes it
        "version": metadata["version"],
    }
    paths = [
        {
            "_path": path,
            "path_type": "hardlink",
            "sha256": hashlib.sha256(data).hexdigest(),
            "size_in_bytes": len(data),
        }
        for path, data in sorted(files.items())
    ]
    info = {
        "info/index.json": index,
        # conda (and conda-pack) read the noarch type from here; 1 is the version it accepts.
        "info/link.json": {"noarch": {"type": "python"}, "package_metadata_version": 1},
        "info/paths.json": {"paths": paths, "paths_version": 1},
    }
    files.update({path: _json_bytes(value) for path, value in info.items()})
    files["info/files"] = "".join(f"{entry['_path']}\n" for entry in paths).encode()
    return index, files


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode()


def _write_tar_bz2(path: Path, files: Mapping[str, bytes]) -> None:
    """Write ``files`` (member name -> contents) as a .tar.bz2 whose bytes depend on them
    alone: members sorted, with TarInfo's fixed owner (root) and mode (0o644), all dated
    _EPOCH. bzip2 itself stores no name or date."""
    with tarfile.open(path, "w:bz2") as archive:
        for name in sorted(files):
            member = tarfile.TarInfo(name)
            member.size = len(files[name])
            member.mtime = _EPOCH
            archive.addfile(member, io.BytesIO(files[name]))


def _upload_folder(
    s3: Any, bucket: str, prefix: str, files: Mapping[str, Path], signer: DemoSigner | None
) -> None:
    """Upload ``files`` (relative name -> local path) under ``prefix/``, with their sums."""
    for rel, path in sorted(files.items()):
        content_type, _ = mimetypes.guess_type(path.name)
        extra = {"ContentType": content_type} if content_type else None
        s3.upload_file(str(path), bucket, f"{prefix}/{rel}", ExtraArgs=extra)
    for name, data in folder_manifests(prefix, files, signer).items():
        s3.put_object(Bucket=bucket, Key=f"{prefix}/{name}", Body=data)


BULK_FILES = 2000


def demo_folders(
    wheels: Iterable[Path], sdists: Iterable[Path], conda_noarch: Iterable[Path], data_dir: Path
) -> dict[str, dict[str, Path]]:
    """What the bucket and the exchange folder hold: folder -> (relative name -> local path).

    ``conda/noarch`` is a conda channel's subdir (the package and its repodata.json), so
    that the folder a conda package sits in says its subdir, as in any channel.
    """
    return {
        "wheels": {path.name: path for path in wheels},
        "sdists": {path.name: path for path in sdists},
        "conda/noarch": {path.name: path for path in conda_noarch},
        "datasets": {
            p.relative_to(data_dir).as_posix(): p for p in data_dir.rglob("*") if p.is_file()
        },
    }


def write_demo_parquet(out_dir: Path) -> Path:
    """The demo's sensor readings as Parquet, in row groups of 24, so the panel previews a
    Parquet file (schema, types, row count) as well as the CSV and JSON. Written at each
    start with pyarrow (the ``datasets`` extra, which the demo installs)."""
    from pyarrow import csv, parquet  # type: ignore[import-untyped]

    readings = csv.read_csv(DATASETS_DIR / "sensor-readings.csv")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "sensor-readings.parquet"
    parquet.write_table(readings, path, row_group_size=24)
    return path


def fill_exchange_folder(
    folder: Path, folders: Mapping[str, Mapping[str, Path]], signer: DemoSigner | None = None
) -> None:
    """The mounted-folder exchange medium: the bucket's ``folders`` (see demo_folders), plus a
    bulk/ folder of BULK_FILES small readings to show that large listings page and stay
    virtualized."""
    for name, files in folders.items():
        target = folder / name
        target.mkdir(parents=True, exist_ok=True)
        for rel, path in files.items():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / rel)
        for manifest, data in folder_manifests(name, files, signer).items():
            (target / manifest).write_bytes(data)
    bulk = folder / "bulk"
    bulk.mkdir(exist_ok=True)
    for number in range(BULK_FILES):
        reading = bulk / f"reading-{number:05}.csv"
        if not reading.exists():
            reading.write_text(f"station,value\nnorth-ridge,{number % 97}\n")


def seed_bucket(
    endpoint_url: str,
    bucket: str,
    folders: Mapping[str, Mapping[str, Path]],
    *,
    aws_access_key_id: str | None = None,
    aws_secret_access_key: str | None = None,
    signer: DemoSigner | None = None,
) -> None:
    """Create ``bucket`` if missing; put each of ``folders`` (see demo_folders) under its
    prefix, with a SHA256SUMS and a manifest.json.

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
    for prefix, files in folders.items():
        _upload_folder(s3, bucket, prefix, files, signer)


def demo_profiles(s3_url: str, pypi_url: str, exchange: Path) -> list[dict[str, Any]]:
    """The demo's mirror profiles: "demo" (the local pypiserver and the moto read bucket),
    "demo-offline" (a site with no index at all, only the read bucket), "demo-bucket-index"
    (the read bucket served by this server as the index pip and conda use) and
    "demo-folder" (the mirror, with files arriving in a mounted folder instead of a
    bucket)."""
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
            "name": "demo-bucket-index",
            "description": (
                "The read bucket as the package index: %pip install and conda install as "
                "usual, served by this Jupyter server from the bucket, nothing else reached"
            ),
            "index_from_source": True,
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
    signer: DemoSigner
    # What the bucket holds, by folder (see demo_folders): seeded again after a restart.
    folders: dict[str, dict[str, Path]]


@contextlib.contextmanager
def demo_environment(
    state_dir: Path, s3_port: int | None = 9000, pypi_port: int | None = 8081
) -> Iterator[DemoEnvironment]:
    """Build the packages, start moto and pypiserver, seed the bucket; stop all on exit.

    The ports are used when free, else the OS picks others (see ``DemoEnvironment``).
    Server logs go to ``state_dir/logs``.
    """
    state_dir = state_dir.resolve()
    wheels = build_wheels(state_dir / "wheels")
    sdists = build_sdists(state_dir / "sdists")
    conda_noarch = build_conda_package(sdists[CONDA_PROJECT], state_dir / "conda" / "noarch")
    folders = demo_folders(wheels, sdists.values(), conda_noarch, DATASETS_DIR)
    parquet = write_demo_parquet(state_dir / "datasets")
    folders["datasets"][parquet.name] = parquet
    bundle = build_demo_bundle(state_dir / "bundles" / DEMO_BUNDLE, state_dir / "wheels")
    if bundle is not None:
        folders[f"bundles/{DEMO_BUNDLE}"] = {
            path.name: path
            for path in bundle.iterdir()
            if path.name not in ("SHA256SUMS", "manifest.json")  # seed_bucket writes them
        }
    logs = state_dir / "logs"
    signer = make_demo_signer(state_dir / "signing")
    with contextlib.ExitStack() as stack:
        moto = start_moto(s3_port, logs / "moto.log")
        stack.callback(moto.stop)
        pypi = start_pypiserver(state_dir / "wheels", pypi_port, logs / "pypiserver.log")
        stack.callback(pypi.stop)
        seed_bucket(
            moto.url,
            DEMO_BUCKET,
            folders,
            aws_access_key_id=DEMO_AWS_ENV["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DEMO_AWS_ENV["AWS_SECRET_ACCESS_KEY"],
            signer=signer,
        )
        exchange = state_dir / "exchange"
        fill_exchange_folder(exchange, folders, signer)
        yield DemoEnvironment(
            state_dir=state_dir,
            s3_url=moto.url,
            pypi_url=pypi.url,
            bucket=DEMO_BUCKET,
            wheels=wheels,
            profiles=demo_profiles(moto.url, pypi.url, exchange),
            services=(moto, pypi),
            signer=signer,
            folders=folders,
        )


# The demo's policy: one demo package is denied, so the panel shows what a refused package
# looks like (and the Policy section has a rule to show).
DEMO_POLICY = {"deny": ["airlock-demo-legacy"]}


def write_server_config(config_dir: Path, env: DemoEnvironment, root_dir: Path) -> Path:
    """Write a jupyter_server_config.json that offers the demo profiles, "demo" active,
    with the demo's policy and its scanner as the one trusted signer."""
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / "jupyter_server_config.json"
    config = {
        "ServerApp": {"root_dir": str(root_dir)},
        "Airlock": {
            "profiles": env.profiles,
            "active_profile": "demo",
            "policy": DEMO_POLICY,
            "trusted_signers": str(env.signer.allowed_signers),
        },
    }
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path


DEMO_BUNDLE = "demo-analysis"
# What the demo bundle asks for: a demo package and ipykernel, so its kernel can start.
DEMO_BUNDLE_REQUIREMENTS = ("airlock-demo-stats", "ipykernel")


def build_demo_bundle(out_dir: Path, demo_wheels: Path) -> Path | None:
    """A transfer bundle as ``jupyter airlock bundle`` makes it in a DMZ: the demo package
    and ipykernel with their closures, for this machine's platform and Python.

    ipykernel's wheels come from PyPI (the demo is built on the connected side), the demo's
    from its own folder; the bundle is kept in ``out_dir`` for later starts. Without a
    network the demo goes on without a bundle (None), saying why.
    """
    if (out_dir / BUNDLE_JSON).is_file():
        return out_dir
    staging = out_dir.with_name(f".{out_dir.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    download = [
        sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
        "--find-links", str(demo_wheels), "--dest", str(staging), *DEMO_BUNDLE_REQUIREMENTS,
    ]  # fmt: skip
    done = subprocess.run(download, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        print(f"demo: no demo bundle (pip download failed: {done.stderr.strip()[-300:]})")
        shutil.rmtree(staging, ignore_errors=True)
        return None
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    target = parse_target([next(iter(platform_tags()))], python)
    write_bundle(staging, out_dir.name, target, list(DEMO_BUNDLE_REQUIREMENTS))
    shutil.rmtree(out_dir, ignore_errors=True)
    staging.rename(out_dir)
    return out_dir
