"""Checking a bundle folder offline, as its receiver will use it: its files against its
manifests, then, for a wheel bundle, uv's install of its lock for the target; for a conda
bundle, ``bundle_format.conda_check`` (its packages, channel, lock and a re-solve) and the
wheels of its PyPI part."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

from ..bundle_format.conda import PYPI_DIR, CondaBundleInfo, read_any_bundle_json
from ..bundle_format.conda_check import check_conda_packages
from ..bundle_format.folder import (
    BUNDLE_JSON,
    LOCK_FILE,
    BundleInfo,
    Target,
    read_lock,
    read_manifest,
    satisfied,
    verify_file,
)
from ..errors import AirlockError
from ..offline import install_offline
from ..pip import lacking
from ..processes import timeout_raises
from ..uv import platform_options, unresolved, uv_errors

Log = Callable[[str], None]

CHECK_TIMEOUT = 600


def quiet(_line: str) -> None:
    """The default ``log``: say nothing."""


async def check_bundle(folder: Path, log: Log = quiet) -> BundleInfo | CondaBundleInfo:
    """Check a bundle folder as its receiver will use it, or raise saying what is wrong.

    Every file its manifests list must be there and match. A wheel bundle's requested
    requirements must be pinned by its lock, and uv, with no index but the folder, must
    resolve the lock for the bundle's target (so no dependency is missing and every hash
    is right). A conda bundle is checked by :func:`check_conda_packages`, and its wheels,
    if any, as a wheel bundle's.
    """
    manifest = await asyncio.to_thread(read_manifest, folder)
    for path, expected in sorted(manifest.files.items()):
        await asyncio.to_thread(verify_file, folder, path, expected)
    log(f"{len(manifest.files)} file(s) match {manifest.source}")
    described = folder / BUNDLE_JSON
    info = read_any_bundle_json(
        await asyncio.to_thread(described.read_text, "utf-8"), str(described)
    )
    if isinstance(info, CondaBundleInfo):
        wheels = await check_conda_packages(folder, info, manifest, log)
        if wheels is not None:
            await check_wheels(folder, info.requirements, wheels, log, PYPI_DIR)
        return info
    await check_wheels(folder, info.requirements, info.target, log)
    return info


async def check_wheels(
    folder: Path, requirements: list[str], target: Target, log: Log, wheels: str = ""
) -> None:
    """``folder``'s ``requirements.lock`` pins every one of ``requirements`` and installs
    offline for ``target`` from the wheels in ``folder / wheels`` alone, or an AirlockError
    says what is lacking."""
    lock_path = folder / LOCK_FILE
    lock = read_lock(await asyncio.to_thread(lock_path.read_text, "utf-8"), str(lock_path))
    python = target.python_version
    unmet = [text for text in requirements if not satisfied(text, lock, python)]
    if unmet:
        raise AirlockError(
            "bundle-incomplete",
            f"The bundle's lock does not satisfy {', '.join(unmet)}, which it was made for: "
            "make the bundle again.",
            422,
        )
    checking = f"uv did not finish checking the bundle in {CHECK_TIMEOUT} s."
    with timeout_raises(AirlockError("bundle-timeout", checking, 504)):
        # uv resolves for the target (its platform and Python), not for this machine; what
        # is installed here does not count (--reinstall).
        completed = await install_offline(
            sys.executable,
            [folder / wheels],
            lock_path,
            log=log,
            options=[
                "--dry-run",
                "--reinstall",
                "--only-binary",
                ":all:",
                *platform_options(target.platforms, target.python_version),
            ],
            timeout=CHECK_TIMEOUT,
        )
    if completed.returncode != 0:
        output = completed.stdout + completed.stderr
        missing = unresolved(output)
        if missing:
            raise AirlockError(
                "bundle-incomplete",
                f"The bundle lacks {lacking(missing)} for {target.describe()}: it would "
                "not install offline.",
                422,
            )
        raise AirlockError(
            "bundle-check-failed",
            f"uv cannot install the bundle offline for {target.describe()}: {uv_errors(output)}",
            422,
        )
