"""Small real wheels, written by the tests: a package, its metadata, its RECORD."""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path


def make_wheel(
    folder: Path,
    name: str,
    version: str = "1.0",
    requires: Sequence[str] = (),
    tag: str = "py3-none-any",
    modules: int = 1,
) -> Path:
    """``<name>-<version>-<tag>.whl`` in ``folder``, the name escaped as wheels spell it
    (``Airlock.Tool`` gives ``airlock_tool``), importable under that escaped name.

    ``modules`` adds that many submodules: pip byte-compiles each, so a wheel with
    thousands of them takes pip seconds to install (tests that cancel need that).
    """
    package = re.sub(r"[-_.]+", "_", name).lower()
    dist_info = f"{package}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {requirement}\n" for requirement in requires)
    files = {
        f"{package}/__init__.py": f"VERSION = {version!r}\n",
        **{f"{package}/part_{n}.py": f"VALUE = {n}\n" for n in range(1, modules)},
        f"{dist_info}/METADATA": metadata,
        f"{dist_info}/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: airlock-tests\nRoot-Is-Purelib: true\nTag: {tag}\n"
        ),
    }
    record = ""
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record += f"{path},sha256={digest.decode()},{len(text.encode())}\n"
    files[f"{dist_info}/RECORD"] = record + f"{dist_info}/RECORD,,\n"
    wheel = folder / f"{package}-{version}-{tag}.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel
