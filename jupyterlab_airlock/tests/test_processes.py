"""Programs Airlock runs: one out of time is killed and becomes the caller's error, said
once (``timeout_raises``), while a program that cannot start stays an OSError."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psutil
import pytest

from jupyterlab_airlock.errors import AirlockError
from jupyterlab_airlock.processes import run, timeout_raises

OUT_OF_TIME = AirlockError("plan-timeout", "uv did not finish the plan in 0.5 s.", 504)


def test_a_program_out_of_time_is_killed_and_raises_the_callers_error(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"

    async def slow() -> None:
        with timeout_raises(OUT_OF_TIME):
            await run(["sh", "-c", f"echo $$ > {pid_file}; exec sleep 60"], timeout=0.5)

    with pytest.raises(AirlockError) as caught:
        asyncio.run(slow())
    assert caught.value is OUT_OF_TIME
    assert caught.value.__suppress_context__  # no timeout traceback in the log
    assert not psutil.pid_exists(int(pid_file.read_text()))


def test_a_program_that_cannot_start_is_still_an_os_error(tmp_path: Path) -> None:
    async def missing() -> None:
        with timeout_raises(OUT_OF_TIME):
            await run([str(tmp_path / "no-such-program")], timeout=5)

    with pytest.raises(FileNotFoundError):
        asyncio.run(missing())
