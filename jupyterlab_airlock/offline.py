"""Installing files that crossed the air gap: uv with no index, offline, from folders
that hold exactly the files to install, every file pinned by its sha256.

The installer (its installs and roll backs), new kernels from bundles and the bundle's own
check all install this way, through :func:`install_offline`: from a verified bundle's
folder, or from the content cache's files each :func:`linked` into a folder of its own
named by its sha256. uv knows a local wheel it has unpacked by its path: the same file at
the same path is unpacked once, and later installs link from uv's cache at uv's speed.
:func:`uninstall` is the counterpart, for roll backs and cancelled installs.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from .processes import Completed, run
from .trust.manifests import Sha256Verifier
from .uv import uv_command, uv_environment

INSTALL_TIMEOUT = 3600
# The installer gets this long after SIGINT to stop cleanly (uv stops at once; what it had
# already linked is the caller's to undo).
INTERRUPT_GRACE = 30
_CHUNK = 1 << 20
# How far along uv is, by the summary lines it prints as it goes.
_STAGES = {"Resolved ": 0.1, "Prepared ": 0.6, "Uninstalled ": 0.7, "Installed ": 1.0}


async def install_offline(
    python: str | Path,
    folders: Sequence[Path],
    requirements: Path,
    *,
    log: Callable[[str], None],
    cache_dir: Path | None = None,
    progress: Callable[[float], None] | None = None,
    options: Sequence[str] = (),
    timeout: float = INSTALL_TIMEOUT,
    interrupt_grace: float = 0,
) -> Completed:
    """``uv pip install --offline --no-index --require-hashes`` into interpreter ``python``
    of the ``requirements`` file (``name==version --hash=sha256:...`` lines), from
    ``folders`` only, with uv's cache in ``cache_dir`` (none when not given).

    ``log`` gets each line uv prints; ``progress`` the share (0 to 1) done, by uv's
    stages. ``options`` are further uv options (``--no-deps``, ``--dry-run``, a target's
    ``--python-platform`` ...). A timeout raises ``asyncio.TimeoutError``; on cancellation
    uv gets SIGINT and ``interrupt_grace`` seconds, then the process group is killed. What
    uv's exit status means is the caller's to say.
    """
    argv = uv_command(
        "install",
        python,
        "--offline",
        "--no-index",
        *options,
        *(argument for folder in folders for argument in ("--find-links", str(folder))),
        "--require-hashes",
        "--requirement",
        str(requirements),
    )

    def on_line(line: str) -> None:
        log(line)
        stage = next((share for word, share in _STAGES.items() if line.startswith(word)), None)
        if progress is not None and stage is not None:
            progress(stage)

    return await run(
        argv,
        timeout=timeout,
        env=uv_environment(cache_dir),
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
    """``uv pip uninstall`` of the distributions ``names`` from interpreter ``python``,
    each line uv prints given to ``log``; timeout and cancellation as for installs."""
    return await run(
        uv_command("uninstall", python, *names),
        timeout=INSTALL_TIMEOUT,
        env=uv_environment(None),
        on_line=log,
        interrupt_grace=interrupt_grace,
    )


async def linked(path: Path, sha256: str, name: str, links: Path) -> Path:
    """The file ``path`` (of that sha256) as ``links/<sha256>/<name>``, in a folder of its
    own to install from: a hard link, so that the bytes hashed are the bytes installed,
    or a copy on another file system. Made once; the same path every time after."""
    target = links / sha256 / name
    if not await asyncio.to_thread(target.is_file):
        await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
        partial = target.with_name(f".{name}.{os.getpid()}")
        try:
            await asyncio.to_thread(os.link, path, partial)
        except OSError:
            await asyncio.to_thread(shutil.copyfile, path, partial)
        await asyncio.to_thread(os.replace, partial, target)
    return target


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
