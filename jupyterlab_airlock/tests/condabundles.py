"""Conda bundle folders for the tests of the air-gap side, in the layout of
``bundle_format/conda.py``: ``channel/<subdir>/`` and ``channel/noarch/`` with their
repodata (indexed by py-rattler), ``pixi.lock`` (py-rattler's LockFile, for the subdir's
default virtual packages), ``pypi/`` wheels with ``requirements.lock``, ``bundle.json``
and the manifests.

A kernel needs ipykernel. The bundle's PyPI part takes it as wheels: no index can be
reached from here, so :func:`installed_wheels` packs the distributions this test
environment has installed (ipykernel and what it depends on) back into wheels, under
their own names and tags (read from each one's ``WHEEL`` file), which uv then installs
from the bundle like any other.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from rattler import LockFile

from demo.kernel import closure
from jupyterlab_airlock.bundle_format.conda import (
    CHANNEL_DIR,
    CONDA_LOCK,
    PYPI_DIR,
    CondaBundleInfo,
    CondaPackage,
)
from jupyterlab_airlock.bundle_format.conda_target import conda_target
from jupyterlab_airlock.bundle_format.folder import BUNDLE_JSON, LOCK_FILE, write_manifests
from jupyterlab_airlock.conda.link import channel_records
from jupyterlab_airlock.conda.local_channel import index_packages
from jupyterlab_airlock.offline import sha256_file
from jupyterlab_airlock.pip import pins

# What an installed distribution has that its wheel did not.
_INSTALL_ONLY = ("INSTALLER", "REQUESTED", "direct_url.json", "RECORD")


def installed_wheels(folder: Path, requirements: Sequence[str] = ("ipykernel",)) -> list[Path]:
    """Wheels in ``folder`` of the installed distributions ``requirements`` need, theirs
    included: each one's files in site-packages (scripts are made again by the installer
    from ``entry_points.txt``; byte code is left out), and a new RECORD."""
    folder.mkdir(parents=True, exist_ok=True)
    wheels = []
    for dist in closure(tuple(requirements)):
        base = Path(str(dist.locate_file("")))
        names = [
            str(file)
            for file in dist.files or []
            if ".." not in file.parts and "__pycache__" not in file.parts
            and not (file.parent.name.endswith(".dist-info") and file.name in _INSTALL_ONLY)
        ]  # fmt: skip
        info = next(
            name.split("/")[0] for name in names if name.split("/")[0].endswith(".dist-info")
        )
        tags = [
            line.split(":", 1)[1].strip()
            for line in (base / info / "WHEEL").read_text().splitlines()
            if line.startswith("Tag:")
        ]
        parts = [list(dict.fromkeys(tag.split("-")[i] for tag in tags)) for i in range(3)]
        tag = "-".join(".".join(part) for part in parts)
        name = f"{canonicalize_name(dist.metadata['Name']).replace('-', '_')}-{dist.version}"
        wheel = folder / f"{name}-{tag}.whl"
        record = ""
        with zipfile.ZipFile(wheel, "w", zipfile.ZIP_STORED) as archive:
            for file in names:
                data = (base / file).read_bytes()
                digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
                record += f"{file},sha256={digest.decode()},{len(data)}\n"
                archive.writestr(file, data)
            archive.writestr(f"{info}/RECORD", record + f"{info}/RECORD,,\n")
        wheels.append(wheel)
    return wheels


def make_conda_bundle(
    folder: Path,
    packages: Sequence[Path],
    wheels: Sequence[Path] = (),
    *,
    subdir: str = "linux-64",
    specs: Sequence[str] = (),
    requirements: Sequence[str] = (),
    channels: Sequence[str] = ("https://mirror.example/conda-forge",),
) -> Path:
    """A conda bundle folder ``folder`` of the conda packages ``packages`` (placed in the
    channel by the subdir their own index.json names) and the ``wheels`` of its PyPI part,
    as ``jupyter airlock bundle --conda`` writes it, solved from ``channels``."""
    channel = folder / CHANNEL_DIR
    records = asyncio.run(index_packages(list(packages), channel))
    if not (channel / subdir / "repodata.json").is_file():  # a channel of noarch only
        (channel / subdir).mkdir(parents=True)
        empty = {"info": {"subdir": subdir}, "packages": {}, "packages.conda": {}}
        (channel / subdir / "repodata.json").write_text(json.dumps(empty))
    lock = LockFile([conda_target(subdir, []).lock_platform()])
    for record in channel_records(channel, records).values():
        lock.add_conda_package("default", lock.platforms()[0], record)
    lock.to_path(folder / CONDA_LOCK)
    conda_packages = [
        CondaPackage(
            name=record.name,
            version=record.version,
            build=record.build,
            subdir=record.subdir,
            file=f"{CHANNEL_DIR}/{record.path}",
            sha256=str(record.sha256),
        )
        for record in records
    ]
    pypi, locked = [], []
    (folder / PYPI_DIR).mkdir(parents=True, exist_ok=True)
    for wheel in wheels:
        project, version = wheel.name.split("-")[:2]
        (folder / PYPI_DIR / wheel.name).write_bytes(wheel.read_bytes())
        pypi.append({"name": project, "version": version, "file": f"{PYPI_DIR}/{wheel.name}"})
        locked.append((project, version, sha256_file(wheel)[0]))
    if locked:
        (folder / LOCK_FILE).write_text(pins(sorted(locked)), "utf-8")
    python = next((p.version for p in conda_packages if p.name == "python"), None)
    info = CondaBundleInfo(
        name=folder.name,
        created="2025-01-31T12:00:00Z",
        subdir=subdir,
        python_version=".".join(python.split(".")[:2]) if python else None,
        specs=list(specs) or [p.name for p in conda_packages],
        channels=list(channels),
        packages=conda_packages,
        requirements=list(requirements),
        pypi=pypi,
    )
    (folder / BUNDLE_JSON).write_text(json.dumps(info.to_json(), indent=1) + "\n", "utf-8")
    rewrite_manifests(folder)
    return folder


def rewrite_manifests(folder: Path) -> None:
    """Manifests of every file in the bundle folder, for a bundle a test changed on purpose."""
    files = {
        str(path.relative_to(folder)): sha256_file(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name not in ("manifest.json", "SHA256SUMS")
    }
    write_manifests(folder, files)


def edit_bundle_json(folder: Path, change: dict[str, object]) -> None:
    """Change top-level keys of ``bundle.json`` and make the manifests match again."""
    path = folder / BUNDLE_JSON
    described = json.loads(path.read_text())
    described.update(change)
    path.write_text(json.dumps(described, indent=1) + "\n")
    rewrite_manifests(folder)


def exchange_config(exchange: Path, policy: dict[str, Any]) -> dict[str, Any]:
    """``c.Airlock`` of a test server whose source is the mounted folder ``exchange``."""
    source = {"kind": "folder", "path": str(exchange)}
    return {
        "profiles": [{"name": "exchange", "source": source}],
        "active_profile": "exchange",
        "policy": policy,
    }
