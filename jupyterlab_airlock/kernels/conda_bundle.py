"""A new kernel from a conda bundle (``bundle_format/conda.py``): a conda environment linked
offline by py-rattler from the bundle's own channel, its PyPI part installed by uv, and its
kernelspec.

Everything is checked before the first package is linked: every file against the bundle's
manifests, the bundle's platform against this machine's, the bundle as the DMZ checked it
(``bundle_format.conda_check``: every conda package against ``bundle.json``, its sha256 and the
name, version and platform its own ``info/index.json`` gives; the channel and the lock;
the specs solved from the bundle's channel alone, a missing dependency named with who
needs it), and the closure solved again into the new prefix with this machine's virtual
packages. The environment and the kernelspec are claimed as for
a wheel bundle (``create.claimed``): a failure or a cancel leaves neither behind.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from packaging.tags import sys_tags

from ..bundle_format.conda import CHANNEL_DIR, CondaBundleInfo, read_conda_bundle_json
from ..bundle_format.conda_check import check_conda_packages
from ..bundle_format.folder import BUNDLE_JSON, LOCK_FILE, LockEntry, read_lock
from ..conda import link as conda_link
from ..conda.solve import solve
from ..dmz.channels import remember_channels
from ..environments.platforms import platform_subdir
from ..errors import AirlockError
from ..jobs import JobContext
from .create import NewKernel, claimed, finish, install_wheels, verified_manifest


async def create_kernel_from_conda_bundle(
    bundle_dir: Path,
    kernel: NewKernel,
    context: JobContext,
    *,
    cache_root: Path | None = None,
    link_scripts: bool = False,
) -> dict[str, Any]:
    """A conda environment as the kernel's environment with every package of the conda
    bundle in ``bundle_dir`` linked, its wheels installed, and its kernelspec.

    ``cache_root`` (the content cache's folder) keeps py-rattler's extracted packages and
    uv's cache there (else py-rattler uses its user cache and uv none). ``link_scripts``:
    whether packages' post-link scripts run (the admin's ``conda_link_scripts``). Errors
    are AirlockErrors: 409 for a taken name, 422 for a bundle that is damaged, incomplete
    or for another platform, naming the file or package at fault.
    """
    kernel.check()
    manifest = await verified_manifest(bundle_dir, context)
    text = await asyncio.to_thread((bundle_dir / BUNDLE_JSON).read_text, "utf-8")
    info = read_conda_bundle_json(json.loads(text), BUNDLE_JSON)
    _check_platform(info)
    # The DMZ's own check, again on this side: each package is what bundle.json says (its
    # sha256, its info/index.json), the channel and pixi.lock list exactly them, and the
    # specs solve to them from the bundle's channel alone.
    await check_conda_packages(bundle_dir, info, manifest, context.log)
    lock: list[LockEntry] = []
    if (bundle_dir / LOCK_FILE).is_file():
        lock = read_lock((bundle_dir / LOCK_FILE).read_text("utf-8"), LOCK_FILE)
    names = {package.name for package in info.packages} | {entry.name for entry in lock}
    if kernel.require_ipykernel and "ipykernel" not in names:
        raise AirlockError(
            "no-ipykernel",
            f"The bundle {info.name} has no ipykernel, which a kernel needs to start: make "
            "the bundle again with ipykernel among its conda specs or its --pypi part.",
            422,
        )
    channel = bundle_dir / CHANNEL_DIR
    prefix = kernel.prefix
    async with claimed(kernel, context):
        await asyncio.to_thread((prefix / "conda-meta").mkdir)
        exact = [f"{package.name}={package.version}={package.build}" for package in info.packages]
        solution = await solve(channel, exact, prefix, info.subdir)
        if solution.problems:
            raise AirlockError(
                "bundle-incomplete",
                f"The bundle {info.name} cannot make an environment here: "
                f"{' '.join(solution.problems)}. Make it again with 'jupyter airlock bundle "
                "--conda', which solves the whole closure.",
                422,
            )
        files = {package.file for package in info.packages}
        for step in solution.steps:
            if f"{CHANNEL_DIR}/{step.record.path}" not in files:
                raise AirlockError(
                    "bundle-incomplete",
                    f"{CHANNEL_DIR}/{step.record.path} is needed but bundle.json does not list "
                    "it: the bundle is not whole. Make it again.",
                    422,
                )
        context.log(f"Linking {len(solution.steps)} conda package(s) into {prefix}")
        await conda_link.install(
            solution,
            channel,
            prefix,
            context.log,
            cache_dir=cache_root / "conda-pkgs" if cache_root is not None else None,
            link_scripts=link_scripts,
        )
        context.progress(0.6)
        # Where the DMZ solved it from: a request from this kernel names those channels.
        await asyncio.to_thread(remember_channels, prefix, info.channels)
        if not kernel.python.exists():
            raise AirlockError(
                "no-python",
                f"The bundle {info.name} has no python package: a kernel needs one. Make it "
                "again with python among its conda specs.",
                422,
            )
        if lock:
            await install_wheels(
                kernel.python, bundle_dir, manifest, len(lock), context, cache_root
            )
        packages = [(package.name, package.version) for package in info.packages]
        packages += [(entry.name, entry.version) for entry in lock]
        origin = {"bundle": info.name, "conda": info.subdir}
        return await finish(kernel, context, origin, packages)


def _check_platform(info: CondaBundleInfo) -> None:
    """The environment runs on this machine: the bundle must be for its conda platform."""
    here = platform_subdir([str(tag) for tag in sys_tags()])
    if info.subdir != here:
        raise AirlockError(
            "bundle-platform",
            f"The bundle {info.name} is for {info.subdir}, but this server runs on "
            f"{here or 'a platform conda has no name for'}: make the bundle again with "
            f"--platform {here}.",
            422,
        )
