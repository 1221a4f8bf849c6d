"""Running other programs (pip, conda, a kernel's interpreter): never a shell, never left
behind. Every subprocess Airlock starts goes through ``run``."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import AirlockError

_LINE_LIMIT = 64 << 20


@dataclass(frozen=True)
class Completed:
    """How a program ended and what it printed (decoded leniently: it is another program)."""

    returncode: int
    stdout: str
    stderr: str


async def run(
    argv: Sequence[str],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    on_line: Callable[[str], None] | None = None,
    interrupt_grace: float = 0,
    stdin: Path | None = None,
) -> Completed:
    """Run ``argv`` (an argument list, no shell) and wait for it.

    The program gets its own process group, so that a wrapper script's children end with
    it: on timeout (``asyncio.TimeoutError``) or cancellation the whole group is killed
    before this returns. With ``interrupt_grace``, the group first gets SIGINT and that
    many seconds to clean up (pip rolls back the package it was replacing), then SIGKILL.
    ``on_line`` receives each line of output (stdout and stderr) as it is printed. A
    program that cannot be started raises ``OSError`` (``timeout_raises`` turns the
    timeout into the caller's error first: it is an ``OSError`` too). ``stdin`` is a file
    the program reads as its input.
    """
    given = os.open(stdin, os.O_RDONLY) if stdin is not None else None
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=given if given is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(env) if env is not None else None,
            start_new_session=True,
            # Lines are read one by one; a program may print a whole JSON document as one.
            limit=_LINE_LIMIT,
        )
    finally:
        if given is not None:
            os.close(given)  # the program holds its own copy
    stdout, stderr = process.stdout, process.stderr
    assert stdout is not None
    assert stderr is not None
    outputs: tuple[list[str], list[str]] = ([], [])

    async def read(stream: asyncio.StreamReader, into: list[str]) -> None:
        async for raw in stream:
            line = raw.decode("utf-8", "replace")
            into.append(line)
            if on_line is not None:
                on_line(line.rstrip("\r\n"))

    async def communicate() -> None:
        await asyncio.gather(read(stdout, outputs[0]), read(stderr, outputs[1]))
        await process.wait()

    try:
        await asyncio.wait_for(communicate(), timeout)
    finally:
        if process.returncode is None:
            await asyncio.shield(_stop(process, interrupt_grace))
    return Completed(
        returncode=process.returncode if process.returncode is not None else -1,
        stdout="".join(outputs[0]),
        stderr="".join(outputs[1]),
    )


@contextlib.contextmanager
def timeout_raises(error: AirlockError) -> Iterator[None]:
    """Raise ``error`` for a program that did not finish in time (``run``'s
    ``asyncio.TimeoutError``, the program killed by then), without the timeout's traceback.
    Put it inside any ``except OSError``: a TimeoutError is an OSError too."""
    try:
        yield
    except asyncio.TimeoutError:
        raise error from None


def last_line(text: str, default: str = "no message") -> str:
    """The last non-empty line a program printed: usually the one that says why it failed."""
    lines = text.strip().splitlines()
    return lines[-1] if lines else default


async def _stop(process: asyncio.subprocess.Process, grace: float) -> None:
    if grace > 0:
        _signal_group(process, signal.SIGINT)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(process.wait(), grace)
    if process.returncode is None:
        _signal_group(process, signal.SIGKILL)
        await process.wait()


def _signal_group(process: asyncio.subprocess.Process, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        if sys.platform == "win32":
            process.kill()
        else:
            os.killpg(process.pid, signum)
