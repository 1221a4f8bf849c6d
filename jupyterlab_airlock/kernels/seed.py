"""pip in every kernel Airlock makes, so that ``%pip install`` works there as usual, through
the active profile's index (pip reads the configuration a profile switch wrote).

Airlock's own installs keep using uv; this pip is for the user. It comes from the
interpreter's own ``ensurepip``, which carries pip's wheel inside the Python distribution
(CPython's and conda's): nothing is fetched, which is what an air gap needs. uv's
``venv --seed`` would download pip from an index, and the bundle builder leaves pip out.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from ..jobs import JobContext
from ..pip import pip_environment
from ..processes import last_line, run

SEED_TIMEOUT = 300


async def ensure_pip(python: Path, context: JobContext) -> bool:
    """Give ``python``'s environment pip unless it has one; whether it has pip now.

    A Python without ensurepip (Debian's and Ubuntu's without python3-venv) leaves the kernel
    usable without pip: the job's log says so and why, rather than failing the kernel.
    """
    has = await run([str(python), "-I", "-c", "import pip"], timeout=60)
    if has.returncode == 0:
        return True
    context.log("Adding pip from the Python's own ensurepip (offline), for %pip install")
    try:
        completed = await run(
            [str(python), "-I", "-m", "ensurepip", "--default-pip"],
            timeout=SEED_TIMEOUT,
            env=pip_environment(),
        )
    except asyncio.TimeoutError:
        context.log(f"No pip in this kernel: ensurepip did not finish in {SEED_TIMEOUT} s.")
        return False
    if completed.returncode != 0:
        why = last_line(completed.stderr or completed.stdout)
        context.log(
            f"No pip in this kernel: its Python's ensurepip failed ({why}). %pip install will "
            "not work there; Airlock's Install still does. On Debian and Ubuntu the "
            "python3-venv package brings ensurepip."
        )
        return False
    return True
