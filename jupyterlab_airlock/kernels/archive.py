"""Environment archives (conda-pack's tar files) unpacked safely into a new kernel's
environment.

The whole archive is read before anything is written: a member that would land outside the
folder (``..``, an absolute path, a link pointing out of it, a device file) refuses it by
name, and so does a disk without room for it. Unpacking then goes through tarfile's "data"
filter, which refuses again whatever the scan let through, and can be cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import posixpath
import re
import shutil
import tarfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import AirlockError
from ..jobs import JobContext
from ..kinds import ENV_ARCHIVE_ENDINGS
from ..sizes import size_text
from .create import NewKernel, checked_run, claimed, finish

# Unpacking needs the archive's size and a little more for the file system's own blocks.
_SPACE_MARGIN = 1.05
# conda-unpack rewrites every file that names the old prefix.
RUN_TIMEOUT = 300


async def create_kernel_from_archive(
    archive: Path, kernel: NewKernel, context: JobContext, *, archive_name: str | None = None
) -> dict[str, Any]:
    """The packed environment in ``archive`` (conda-pack's ``.tar.gz``) unpacked into the
    kernel's environment, relocated by its own ``bin/conda-unpack`` when it has one, and
    registered as a kernel. ``archive_name``: the archive's own name, when the file is
    kept under another (the content cache names files by their sha256).

    The whole archive is checked before anything is written: members that would land
    outside the folder (``..``, absolute paths, links pointing out of it, device files)
    refuse it by name. A disk that fills up leaves nothing behind.
    """
    kernel.check()
    name = archive_name or archive.name
    total = await check_archive(archive, name, kernel.envs_dir, context)
    async with claimed(kernel, context):
        context.log(f"Unpacking {size_text(total)} into {kernel.prefix}")
        await unpack(archive, name, kernel.prefix, total, context)
        python = kernel.python
        if not python.exists():
            raise AirlockError(
                "not-an-environment",
                f"{name} holds no bin/python at its top: it is not a packed "
                "environment (conda-pack writes the environment's own folders at the top).",
                422,
            )
        unpack_script = kernel.prefix / "bin" / "conda-unpack"
        if unpack_script.is_file():
            context.log("Running the environment's conda-unpack to fix its paths")
            await checked_run([str(python), str(unpack_script)], "conda-unpack failed", RUN_TIMEOUT)
        await checked_run(
            [str(python), "-I", "-c", "pass"], "The environment's Python does not run here", 60
        )
        context.progress(0.9)
        return await finish(kernel, context, {"archive": name})


async def check_archive(archive: Path, name: str, envs_dir: Path, context: JobContext) -> int:
    """The bytes ``archive`` (named ``name``) unpacks to, once it is known to be a tar
    archive whose every member stays inside, and to fit in ``envs_dir``."""
    if not name.lower().endswith(ENV_ARCHIVE_ENDINGS):
        raise AirlockError(
            "unsupported-archive",
            f"{name} is not a tar archive ({', '.join(ENV_ARCHIVE_ENDINGS)}): pack "
            "the environment with conda-pack's default format.",
            422,
        )
    context.log(f"Checking every member of {name}")
    total = await asyncio.to_thread(_scan_archive, archive, name)
    await asyncio.to_thread(envs_dir.mkdir, parents=True, exist_ok=True)
    free = shutil.disk_usage(envs_dir).free
    if total * _SPACE_MARGIN > free:
        raise _disk_full(envs_dir, f"it needs {size_text(total)}, {size_text(free)} are free")
    return total


def _scan_archive(archive: Path, name: str) -> int:
    """The bytes the archive unpacks to, once every member is known to stay inside."""
    total = 0
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                _check_member(name, member)
                total += member.size if member.isfile() else 0
    except (tarfile.TarError, EOFError, OSError) as error:
        raise AirlockError(
            "unreadable-archive",
            f"{name} cannot be read as a tar archive ({error}): it was damaged on "
            "the way, or it is of another kind.",
            422,
        ) from None
    return total


def _check_member(archive: str, member: tarfile.TarInfo) -> None:
    name = member.name
    problem = None
    if name.startswith("/") or re.match(r"[A-Za-z]:", name):
        problem = "is an absolute path"
    elif ".." in name.split("/"):
        problem = "leaves the environment's folder (..)"
    elif member.isdev():
        problem = "is a device file"
    elif member.issym() or member.islnk():
        link = member.linkname
        # A symbolic link is relative to its own folder, a hard link to the archive's root.
        base = posixpath.dirname(name) if member.issym() else ""
        resolved = posixpath.normpath(posixpath.join(base, link))
        if link.startswith("/"):
            problem = f"links to the absolute path {link!r}"
        elif resolved == ".." or resolved.startswith("../"):
            problem = f"links to {link!r}, outside the environment's folder"
    if problem is not None:
        raise AirlockError(
            "unsafe-archive",
            f"{archive} was refused: its member {name!r} {problem}. Nothing was unpacked.",
            422,
        )


async def unpack(archive: Path, name: str, prefix: Path, total: int, context: JobContext) -> None:
    stop = threading.Event()
    work = asyncio.ensure_future(
        asyncio.to_thread(_extract, archive, name, prefix, total, stop, context.progress)
    )
    try:
        await asyncio.shield(work)
    except asyncio.CancelledError:
        # The thread cannot be interrupted: ask it to stop and wait before anything is removed.
        stop.set()
        with contextlib.suppress(Exception):
            await work
        raise


def _extract(
    archive: Path,
    name: str,
    prefix: Path,
    total: int,
    stop: threading.Event,
    progress: Callable[[float], None],
) -> None:
    done = 0

    def members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
        nonlocal done
        for member in tar:
            if stop.is_set():
                return
            yield member
            done += member.size if member.isfile() else 0
            # Only a number is set here; the job's record is written from the event loop.
            progress(0.1 + 0.7 * done / total if total else 0.8)

    try:
        with tarfile.open(archive, "r:*") as tar:
            # The "data" filter refuses again whatever the scan let through.
            tar.extractall(prefix, members=members(tar), filter="data")
    except tarfile.FilterError as error:
        raise AirlockError(
            "unsafe-archive", f"{name} was refused while unpacking: {error}.", 422
        ) from None
    except OSError as error:
        if error.errno == errno.ENOSPC:
            raise _disk_full(prefix.parent, "the disk filled up") from None
        raise AirlockError(
            "unpack-failed", f"{name} could not be unpacked: {error}.", 500
        ) from None


def _disk_full(where: Path, why: str) -> AirlockError:
    return AirlockError(
        "disk-full",
        f"There is not enough space in {where} to unpack the environment ({why}); nothing "
        "was kept. Free some space, or ask your admin for more.",
        507,
    )
