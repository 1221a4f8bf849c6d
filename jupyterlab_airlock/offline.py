"""Installing files that crossed the air gap: pip with no index, from one folder, every
file pinned by its sha256.

The installer (its installs and roll backs), new kernels from bundles and the bundle's own
check all install this way, through :func:`install_offline`; the folder holds exactly the
files to install (a staging folder filled with :func:`place`, or a verified bundle).
:func:`uninstall` is its counterpart, for roll backs and cancelled installs.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from .manifests import Sha256Verifier
from .pip import pip_command, pip_environment
from .processes import Completed, run

INSTALL_TIMEOUT = 3600
# pip gets this long after SIGINT to put back the package it was replacing.
INTERRUPT_GRACE = 30
_CHUNK = 1 << 20


async def install_offline(
    python: str | Path,
    folder: Path,
    requirements: Path,
    *,
    log: Callable[[str], None],
    progress: Callable[[float], None] | None = None,
    count: int = 0,
    options: Sequence[str] = (),
    timeout: float = INSTALL_TIMEOUT,
    interrupt_grace: float = 0,
) -> Completed:
    """``pip install --no-index --require-hashes`` into interpreter ``python`` of the
    ``requirements`` file (``name==version --hash=sha256:...`` lines), from ``folder`` only.

    ``log`` gets each line pip prints; ``progress`` the share (0 to 1) of the ``count``
    files (the requirements' lines) pip has processed so far. ``options`` are further pip
    options (``--no-deps``, ``--dry-run`` and a target's ``--platform`` ...). A timeout
    raises ``asyncio.TimeoutError``; on cancellation pip gets SIGINT and
    ``interrupt_grace`` seconds to put back a package it was replacing, then the process
    group is killed. What pip's exit status means is the caller's to say.
    """
    argv = pip_command(
        str(python),
        "install",
        "--no-index",
        "--no-cache-dir",
        "--progress-bar",
        "off",
        *options,
        "--find-links",
        str(folder),
        "--require-hashes",
        "--requirement",
        str(requirements),
    )
    seen = 0

    def on_line(line: str) -> None:
        nonlocal seen
        log(line)
        if progress is not None and line.startswith("Processing "):
            seen += 1
            progress(min(seen, count) / max(count, 1))

    return await run(
        argv,
        timeout=timeout,
        env=pip_environment(),
        on_line=on_line,
        interrupt_grace=interrupt_grace,
    )


async def uninstall(
    python: str | Path,
    names: Sequence[str],
    *,
    log: Callable[[str], None],
    interrupt_grace: float = 0,
) -> Completed:
    """``pip uninstall --yes`` of the distributions ``names`` from interpreter ``python``,
    each line pip prints given to ``log``; timeout and cancellation as for installs."""
    return await run(
        pip_command(str(python), "uninstall", "--yes", *names),
        timeout=INSTALL_TIMEOUT,
        env=pip_environment(),
        on_line=log,
        interrupt_grace=interrupt_grace,
    )


async def place(path: Path, target: Path) -> None:
    """Put the file ``path`` at ``target`` in a folder to install from: a hard link, so
    that the bytes hashed are the bytes installed, or a copy on another file system."""
    try:
        await asyncio.to_thread(os.link, path, target)
    except OSError:
        await asyncio.to_thread(shutil.copyfile, path, target)


def sha256_file(path: Path) -> tuple[str, int]:
    """Hex sha256 and size of a file, read in chunks."""
    verifier = hashed(path, path.name)
    return verifier.hexdigest(), verifier.size


def hashed(file: Path, name: str) -> Sha256Verifier:
    """The file's bytes fed to a verifier that names it ``name`` in its messages."""
    verifier = Sha256Verifier(name)
    with file.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            verifier.update(chunk)
    return verifier
