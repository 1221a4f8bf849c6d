"""Conda packages for one platform, and a ``python`` conda package made around this
machine's interpreter, for tests that need a conda environment with a working Python.

No conda channel with a real ``python`` package can be reached from here. The ``python``
package of :func:`build_python` holds a copy of this machine's base interpreter as
``bin/python3.X`` (a 17 kB launcher whose libpython is found by its absolute RUNPATH), the
``python``/``python3`` links to it, and a ``pyvenv.cfg`` naming the base interpreter's
folder as ``home``: the environment it is linked into is then its own ``sys.prefix`` (as a
``venv --copies`` is), with its own ``lib/python3.X/site-packages``, while the standard
library is the base interpreter's. It also holds ``etc/airlock-python/prefix``, a text file
with conda's prefix placeholder, which the linker rewrites to the prefix (and conda-pack's
``conda-unpack`` rewrites again after a move).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# conda-build's placeholder for the build prefix (255 characters in real packages; any
# path the linker finds in the file will do).
PLACEHOLDER = "/opt/airlock/placeholder_" + "_placehold" * 10
PYTHON_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
PYTHON_FULL_VERSION = ".".join(str(part) for part in sys.version_info[:3])
PREFIX_FILE = "etc/airlock-python/prefix"


def build_package(
    folder: Path,
    name: str,
    version: str,
    subdir: str,
    depends: Sequence[str] = (),
    *,
    files: Mapping[str, bytes],
    links: Mapping[str, str] | None = None,
    executables: Sequence[str] = (),
    with_prefix: Sequence[str] = (),
    build_string: str = "0",
) -> Path:
    """``<name>-<version>-<build_string>.tar.bz2`` for ``subdir`` (not noarch) in ``folder``,
    with more than ``condapackages.build`` puts in one: ``files`` (path -> contents),
    ``links`` (path -> relative target: symbolic links), ``executables`` (files with mode
    755) and ``with_prefix`` (text files holding :data:`PLACEHOLDER`, for the linker to
    rewrite)."""
    payload = dict(files)
    links = dict(links or {})
    paths: list[dict[str, Any]] = []
    for path, data in sorted(payload.items()):
        entry: dict[str, Any] = {
            "_path": path,
            "path_type": "hardlink",
            "sha256": hashlib.sha256(data).hexdigest(),
            "size_in_bytes": len(data),
        }
        if path in with_prefix:
            entry.update(file_mode="text", prefix_placeholder=PLACEHOLDER)
        paths.append(entry)
    paths += [{"_path": path, "path_type": "softlink"} for path in sorted(links)]
    platform, _, arch = subdir.partition("-")
    index = {
        "name": name,
        "version": version,
        "build": build_string,
        "build_number": 0,
        "depends": list(depends),
        "subdir": subdir,
        "platform": platform,
        "arch": {"64": "x86_64", "aarch64": "aarch64", "arm64": "arm64"}.get(arch, arch),
        "timestamp": 1_700_000_000_000,
    }
    members = {
        "info/index.json": _json(index),
        "info/paths.json": _json(
            {"paths": sorted(paths, key=lambda p: p["_path"]), "paths_version": 1}
        ),
        "info/files": "".join(f"{path}\n" for path in sorted([*payload, *links])).encode(),
    }
    if with_prefix:
        members["info/has_prefix"] = "".join(
            f"{PLACEHOLDER} text {path}\n" for path in with_prefix
        ).encode()
    folder.mkdir(parents=True, exist_ok=True)
    package = folder / f"{name}-{version}-{build_string}.tar.bz2"
    with tarfile.open(package, "w:bz2") as archive:
        for member_name, data in sorted({**members, **payload}.items()):
            member = tarfile.TarInfo(member_name)
            member.size = len(data)
            member.mode = 0o755 if member_name in executables else 0o644
            archive.addfile(member, io.BytesIO(data))
        for path, target in sorted(links.items()):
            member = tarfile.TarInfo(path)
            member.type, member.linkname = tarfile.SYMTYPE, target
            archive.addfile(member)
    return package


def build_python(folder: Path, subdir: str = "linux-64") -> Path:
    """The ``python`` conda package of this machine's interpreter (see the module's
    docstring), version :data:`PYTHON_FULL_VERSION`, for ``subdir``."""
    base = Path(os.path.realpath(sys._base_executable))
    interpreter = f"bin/python{PYTHON_VERSION}"
    config = (
        f"home = {base.parent}\ninclude-system-site-packages = false\n"
        f"version = {PYTHON_FULL_VERSION}\n"
    )
    files = {
        interpreter: base.read_bytes(),
        "pyvenv.cfg": config.encode(),
        PREFIX_FILE: f"{PLACEHOLDER}\n".encode(),
    }
    links = {"bin/python": f"python{PYTHON_VERSION}", "bin/python3": f"python{PYTHON_VERSION}"}
    return build_package(
        folder, "python", PYTHON_FULL_VERSION, subdir, files=files, links=links,
        executables=[interpreter], with_prefix=[PREFIX_FILE], build_string="airlock_0",
    )  # fmt: skip


def _json(value: Mapping[str, Any]) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode()
