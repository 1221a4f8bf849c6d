"""Loose conda packages laid out as a local channel and indexed with py-rattler."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from rattler import IndexJson
from rattler.index import index_fs

from ..errors import AirlockError
from ..offline import sha256_file
from .records import (
    PACKAGE_SUFFIXES,
    CondaRecord,
    conda_subdir,
    first_line,
    read_repodata,
)


async def index_packages(files: list[Path], channel_dir: Path) -> list[CondaRecord]:
    """Make ``channel_dir`` a local channel of the conda packages ``files``: each is placed
    (hard-linked, else copied) at ``<channel_dir>/<subdir>/<file name>``, the subdir read
    from its ``info/index.json``, and every subdir gets its ``repodata.json``. Returns the
    records of ``files``, in their order.

    A file that is not a conda package, or has no ``info/index.json``, raises AirlockError
    naming it, before anything is placed."""
    subdirs = [await asyncio.to_thread(_package_subdir, file) for file in files]
    for file, subdir in zip(files, subdirs, strict=True):
        await asyncio.to_thread(_place, file, channel_dir / subdir / file.name)
    # The indexer expects a noarch folder in every channel, even an empty one.
    (channel_dir / "noarch").mkdir(parents=True, exist_ok=True)
    try:
        await index_fs(channel_dir, write_zst=False, write_shards=False, force=True)
    except Exception as error:  # py-rattler's errors share no base class
        raise AirlockError(
            "conda-index-failed", f"Indexing the conda packages failed: {first_line(error)}", 500
        ) from None
    by_path: dict[str, CondaRecord] = {}
    for subdir in sorted(set(subdirs)):
        repodata = channel_dir / subdir / "repodata.json"
        text = await asyncio.to_thread(repodata.read_text, encoding="utf-8")
        by_path.update((r.path, r) for r in read_repodata(text, str(repodata), subdir))
    return [by_path[f"{subdir}/{file.name}"] for file, subdir in zip(files, subdirs, strict=True)]


def _package_subdir(file: Path) -> str:
    """The channel subdir ``file`` belongs in, from its ``info/index.json``."""
    if not file.name.endswith(PACKAGE_SUFFIXES):
        raise AirlockError(
            "invalid-conda-package",
            f"{file.name} is not a conda package: their names end in .conda or .tar.bz2.",
            422,
        )
    try:
        index = IndexJson.from_package_archive(file)
    except Exception as error:  # py-rattler's errors share no base class
        raise AirlockError(
            "invalid-conda-package",
            f"{file.name} has no readable info/index.json: it is not a conda package, or a "
            f"damaged one ({first_line(error)}).",
            422,
        ) from None
    subdir = index.subdir or ("noarch" if not index.noarch.none else None)
    if subdir is None:
        raise AirlockError(
            "invalid-conda-package",
            f"{file.name} does not say which platform it is for (no subdir in its "
            "info/index.json).",
            422,
        )
    return str(conda_subdir(subdir))


def _place(file: Path, destination: Path) -> None:
    """Put ``file`` at ``destination`` (a hard link where the file system allows one),
    unless the very same file is there already."""
    if destination.exists():
        if destination.samefile(file) or _same_bytes(destination, file):
            return
        raise AirlockError(
            "conda-package-conflict",
            f"{destination.parent.name}/{file.name} is in the channel already, with other "
            "contents: two different packages cannot have one file name.",
            409,
        )
    destination.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.link(file, destination)
        return
    # Copied under a temporary name first, so that a stopped copy is never taken for a package.
    handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=".airlock-")
    os.close(handle)
    try:
        shutil.copyfile(file, temporary)
        os.replace(temporary, destination)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _same_bytes(left: Path, right: Path) -> bool:
    if left.stat().st_size != right.stat().st_size:
        return False
    return sha256_file(left)[0] == sha256_file(right)[0]
