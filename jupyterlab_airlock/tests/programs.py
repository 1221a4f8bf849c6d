"""Stand-in programs for the tests of code that runs other programs (processes.run)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import pytest


def fake_python(path: Path, body: str) -> str:
    """An executable shell script at ``path`` that plays a kernel's interpreter."""
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return str(path)


async def cancel_once_started(work: Awaitable[Any], pid_file: Path) -> int:
    """Run ``work`` until the program it starts has written its pid to ``pid_file``, cancel
    it, and return that pid (for the caller to check it is gone)."""
    task = asyncio.ensure_future(work)
    for _ in range(500):  # the program writes its pid at once; bounded at 5 s
        if _written_pid(pid_file):
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return int(_written_pid(pid_file))


def _written_pid(pid_file: Path) -> str:
    return pid_file.read_text().strip() if pid_file.exists() else ""
