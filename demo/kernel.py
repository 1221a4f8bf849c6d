"""The demo's kernel: a virtual environment of its own, holding only what a kernel needs.

No package index is reached to make it: ipykernel and what it depends on are lent by the
demo's own Python, one distribution at a time (symbolic links to its files, with their
metadata), so the Kernels list and the Environments view show ipykernel's closure and
nothing of the development environment (jupyterlab, moto, mypy...).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib.metadata import Distribution, PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

DEMO_KERNEL = "airlock-demo"
# What the kernel needs to start; everything these depend on comes along.
KERNEL_REQUIREMENTS = ("ipykernel",)


def make_demo_kernel(prefix: Path, home: Path, fresh: bool = False) -> Path:
    """A virtual environment for the demo's installs, with its kernelspec in ``home``.

    Airlock's installs use uv; pip is there for ``%pip install``, from the Python's own
    ensurepip (offline), as in the kernels Airlock makes. ipykernel's closure is lent from
    the demo's Python through a folder of links named by a .pth file placed after the
    environment's own site-packages, so whatever is installed into it comes first.
    Returns its interpreter.
    """
    if fresh:
        shutil.rmtree(prefix, ignore_errors=True)
    python = prefix / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True)
        site = subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        lent = prefix / "lent-by-the-demo"
        lend(closure(KERNEL_REQUIREMENTS), lent)
        Path(site, "zz-airlock-demo-lends-ipykernel.pth").write_text(f"{lent}\n")
    seed_pip(python)
    spec = home / ".local" / "share" / "jupyter" / "kernels" / DEMO_KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    spec.joinpath("kernel.json").write_text(
        json.dumps(
            {
                "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Airlock demo (Python 3)",
                "language": "python",
            },
            indent=2,
        )
    )
    return python


def seed_pip(python: Path) -> None:
    """pip from the Python's own ensurepip, unless the environment has it already."""
    if subprocess.run([python, "-I", "-c", "import pip"], capture_output=True).returncode == 0:
        return
    seeded = subprocess.run(
        [python, "-I", "-m", "ensurepip", "--default-pip"], capture_output=True, text=True
    )
    if seeded.returncode != 0:
        print(f"The demo kernel has no pip (%pip install will not work): {seeded.stderr}")


def closure(requirements: tuple[str, ...]) -> list[Distribution]:
    """The installed distributions ``requirements`` need, theirs included (no extras)."""
    found: dict[str, Distribution] = {}
    pending = [Requirement(text) for text in requirements]
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in found:
            continue
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue
        try:
            found[name] = distribution(requirement.name)
        except PackageNotFoundError:
            continue  # an optional dependency this Python does not have
        pending.extend(Requirement(text) for text in found[name].requires or [])
    return list(found.values())


def lend(distributions: list[Distribution], folder: Path) -> None:
    """Links in ``folder`` to the top-level files and folders of each distribution."""
    folder.mkdir(parents=True, exist_ok=True)
    for dist in distributions:
        base = Path(str(dist.locate_file("")))
        tops = {Path(str(file)).parts[0] for file in dist.files or []}
        for top in sorted(tops):
            source = base / top
            if top in ("..", "__pycache__") or not source.exists():
                continue  # scripts and data outside site-packages
            target = folder / top
            if not target.exists():
                target.symlink_to(source, target_is_directory=source.is_dir())
