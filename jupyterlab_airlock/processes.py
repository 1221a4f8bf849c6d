"""Running other programs (pip, conda, a kernel's interpreter): never a shell, never left
behind. Every subprocess Airlock starts goes through ``run``."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Completed:
    """How a program ended and what it printed (decoded leniently: it is another program)."""

    returncode: int
    stdout: str
    stderr: str


async def run(
    argv: Sequence[str], *, timeout: float, env: Mapping[str, str] | None = None
) -> Completed:
    """Run ``argv`` (an argument list, no shell) and wait for it.

    The program gets its own process group, so that a wrapper script's children end with
    it: on timeout (``asyncio.TimeoutError``) or cancellation the whole group is killed
    before this returns. A program that cannot be started raises ``OSError`` (catch
    ``asyncio.TimeoutError`` first: it is an ``OSError`` too).
    """
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=dict(env) if env is not None else None,
        start_new_session=True,
    )
    try:
        output, errors = await asyncio.wait_for(process.communicate(), timeout)
    finally:
        if process.returncode is None:
            _kill_group(process)
            await process.wait()
    return Completed(
        returncode=process.returncode if process.returncode is not None else -1,
        stdout=output.decode("utf-8", "replace"),
        stderr=errors.decode("utf-8", "replace"),
    )


def last_line(text: str, default: str = "no message") -> str:
    """The last non-empty line a program printed: usually the one that says why it failed."""
    lines = text.strip().splitlines()
    return lines[-1] if lines else default


def _kill_group(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        if sys.platform == "win32":
            process.kill()
        else:
            os.killpg(process.pid, signal.SIGKILL)
