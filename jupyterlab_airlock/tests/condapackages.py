"""Tiny conda packages for the tests, built from nothing but the standard library.

A package is a ``.tar.bz2`` holding ``info/index.json``, ``info/paths.json``,
``info/files`` and the files it installs (``share/<name>/...``): noarch generic by default,
so it links into any prefix on any platform without a Python in it; or for one platform
(``subdir="linux-64"``, ``"osx-arm64"``...), as a compiled package is, with the same files.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# conda's "arch" of a subdir's second half, as conda-build writes it in info/index.json.
_ARCHES = {"64": "x86_64", "arm64": "arm64", "aarch64": "aarch64"}


def package_files(name: str, version: str) -> dict[str, bytes]:
    """The files (path in the prefix -> contents) a package of :func:`build` installs."""
    return {
        f"share/{name}/VERSION": f"{version}\n".encode(),
        f"share/{name}/README.txt": f"{name} {version}, built by the tests\n".encode(),
    }


def build(
    folder: Path,
    name: str,
    version: str,
    depends: Sequence[str] = (),
    *,
    build_string: str = "0",
    index: bool = True,
    subdir: str = "noarch",
) -> Path:
    """Write ``<name>-<version>-<build_string>.tar.bz2`` into ``folder`` and return it.

    ``index=False`` leaves ``info/index.json`` out: a broken package. ``subdir`` is the
    platform its ``info/index.json`` says it is for."""
    index_json: dict[str, Any] = {
        "name": name,
        "version": version,
        "build": build_string,
        "build_number": 0,
        "depends": list(depends),
        "subdir": subdir,
        "timestamp": 1_700_000_000_000,
    }
    if subdir == "noarch":
        index_json["noarch"] = "generic"
    else:
        platform, _, arch = subdir.partition("-")
        index_json |= {"platform": platform, "arch": _ARCHES.get(arch, arch)}
    payload = package_files(name, version)
    paths = [
        {
            "_path": path,
            "path_type": "hardlink",
            "sha256": hashlib.sha256(data).hexdigest(),
            "size_in_bytes": len(data),
        }
        for path, data in sorted(payload.items())
    ]
    members = dict(payload)
    members["info/paths.json"] = _json({"paths": paths, "paths_version": 1})
    members["info/files"] = "".join(f"{path}\n" for path in sorted(payload)).encode()
    if index:
        members["info/index.json"] = _json(index_json)
    folder.mkdir(parents=True, exist_ok=True)
    package = folder / f"{name}-{version}-{build_string}.tar.bz2"
    _write_tar_bz2(package, members)
    return package


def write_repodata(subdir_folder: Path) -> Path:
    """Write the ``repodata.json`` of the packages of :func:`build` in ``subdir_folder``
    (a channel's ``noarch/``, ``linux-64/``...), as a channel indexer would, and return it."""
    packages: dict[str, Any] = {}
    for package in sorted(subdir_folder.glob("*.tar.bz2")):
        with tarfile.open(package, "r:bz2") as archive:
            stream = archive.extractfile("info/index.json")
            assert stream is not None
            record = json.loads(stream.read())
        data = package.read_bytes()
        record["sha256"] = hashlib.sha256(data).hexdigest()
        record["md5"] = hashlib.md5(data, usedforsecurity=False).hexdigest()
        record["size"] = len(data)
        packages[package.name] = record
    repodata = {
        "info": {"subdir": subdir_folder.name},
        "packages": packages,
        "packages.conda": {},
        "repodata_version": 1,
    }
    path = subdir_folder / "repodata.json"
    path.write_bytes(_json(repodata))
    return path


def _json(value: Mapping[str, Any]) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode()


def _write_tar_bz2(path: Path, members: Mapping[str, bytes]) -> None:
    with tarfile.open(path, "w:bz2") as archive:
        for name in sorted(members):
            member = tarfile.TarInfo(name)
            member.size = len(members[name])
            archive.addfile(member, io.BytesIO(members[name]))
