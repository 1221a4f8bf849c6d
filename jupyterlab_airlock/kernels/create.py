"""New kernels from what came through the air gap, and what every way of making one shares.

A kernel asked for (``NewKernel``) becomes an environment at ``envs_dir/<kernel name>`` and a
kernelspec at ``kernels_dir/<kernel name>/kernel.json``, from a wheel bundle here
(``create_kernel_from_bundle``), a conda bundle (``conda_bundle``) or an environment archive
(``archive``). Each checks the name first, then what it was given; both folders are claimed
before any work and removed again when the work fails or is cancelled, so a kernel is whole
or absent; ``finish`` writes the kernel.json last, so the launcher never lists a kernel that
cannot start. Nothing here reaches a network: uv runs ``--offline --no-index`` on the
bundle's folder only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
import sys
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from packaging.tags import platform_tags

from ..atomic import write_atomic
from ..bundle_format.folder import (
    BUNDLE_JSON,
    LOCK_FILE,
    Target,
    read_bundle_json,
    read_lock,
    read_manifest,
    verify_file,
)
from ..errors import AirlockError
from ..jobs import JobContext
from ..offline import INSTALL_TIMEOUT, install_offline, linked
from ..pip import lacking, pip_environment
from ..processes import last_line, run, timeout_raises
from ..trust.manifests import Manifest
from ..uv import unresolved, uv_errors
from .seed import ensure_pip

# jupyter_client lists kernelspec folders by lower-cased name and accepts these characters.
# GET /airlock/status publishes the rule, so the frontend checks names with this very one.
KERNEL_NAME_RULE = {
    "pattern": "^[a-z0-9][a-z0-9._-]{0,63}$",
    "message": "A kernel name has up to 64 lower-case letters, digits, '.', '_' and '-', and "
    "starts with a letter or a digit (e.g. analysis-2025).",
}
_KERNEL_NAME = re.compile(KERNEL_NAME_RULE["pattern"])
VENV_TIMEOUT = 300
_IS_IPYKERNEL_THERE = (
    "import importlib.util, sys; sys.exit(importlib.util.find_spec('ipykernel_launcher') is None)"
)


@dataclass(frozen=True)
class NewKernel:
    """A kernel someone asked for: its name and the launcher's name for it, where its
    kernelspec and its environment go, the kernel names found elsewhere on the kernelspec
    path (the server's ``python3``...), which it must not shadow, and whether it must have
    ipykernel (which a kernel needs to start)."""

    name: str
    display_name: str
    kernels_dir: Path
    envs_dir: Path
    existing: Collection[str] = ()
    require_ipykernel: bool = True

    @property
    def prefix(self) -> Path:
        return self.envs_dir / self.name

    @property
    def python(self) -> Path:
        return self.prefix / "bin" / "python"

    def check(self) -> None:
        """Refuse a name that is malformed (400) or taken (409), before any work."""
        check_new_kernel(
            self.name, self.display_name, self.kernels_dir, self.envs_dir, self.existing
        )


async def create_kernel_from_bundle(
    bundle_dir: Path, kernel: NewKernel, context: JobContext, *, cache_root: Path | None = None
) -> dict[str, Any]:
    """A virtual environment of the server's Python with the bundle installed offline, and
    its kernelspec. Every file is verified against the bundle's manifests first. With
    ``cache_root`` (the content cache's folder), uv keeps its cache there and installs
    each wheel linked there at a path of its own (uv knows an unpacked wheel by its path:
    another kernel from the same files links from uv's cache); else uv caches nothing.

    Errors are AirlockErrors: 409 for a name that is taken, 422 for a bundle that is
    damaged, incomplete or for another target.
    """
    kernel.check()
    manifest = await verified_manifest(bundle_dir, context)
    info = read_bundle_json((bundle_dir / BUNDLE_JSON).read_text("utf-8"), BUNDLE_JSON)
    lock = read_lock((bundle_dir / LOCK_FILE).read_text("utf-8"), LOCK_FILE)
    _check_target(info.target)
    if kernel.require_ipykernel and not any(entry.name == "ipykernel" for entry in lock):
        raise AirlockError(
            "no-ipykernel",
            f"The bundle {info.name} has no ipykernel, which a kernel needs to start: make "
            "the bundle again with ipykernel among its requirements.",
            422,
        )
    async with claimed(kernel, context):
        context.log(f"Creating a virtual environment in {kernel.prefix}")
        await checked_run(
            [sys.executable, "-m", "venv", "--without-pip", str(kernel.prefix)],
            "Python could not create the virtual environment",
            VENV_TIMEOUT,
        )
        context.progress(0.35)
        await install_wheels(kernel.python, bundle_dir, manifest, len(lock), context, cache_root)
        packages = [(entry.name, entry.version) for entry in lock]
        return await finish(kernel, context, {"bundle": info.name}, packages)


async def finish(
    kernel: NewKernel,
    context: JobContext,
    origin: dict[str, str],
    packages: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """The last steps of every new kernel, inside ``claimed``: pip for ``%pip install``,
    ipykernel checked when required, the kernelspec (with ``origin`` in its metadata)
    written last; then the job's result (a CreateKernelResult), logged as ready.
    ``packages`` (name, version): what a bundle installed."""
    python = kernel.python
    await ensure_pip(python, context)
    if kernel.require_ipykernel:
        await _require_ipykernel_in(python)
    spec = _write_kernelspec(kernel.kernels_dir / kernel.name, python, kernel.display_name, origin)
    context.log(f"Kernel {kernel.display_name!r} ({kernel.name}) is ready")
    result: dict[str, Any] = {
        "kernel": kernel.name,
        "display_name": kernel.display_name,
        "python": str(python),
        "prefix": str(kernel.prefix),
        "kernelspec": str(spec),
    }
    if packages is not None:
        result["packages"] = [{"name": name, "version": version} for name, version in packages]
    return result


def check_new_kernel(
    kernel_name: str,
    display_name: str,
    kernels_dir: Path,
    envs_dir: Path,
    existing_kernels: Collection[str] = (),
) -> None:
    """Refuse a kernel name that is malformed (400) or taken (409); the creating functions
    call it first, a route may call it to answer before it starts a job."""
    if not _KERNEL_NAME.fullmatch(kernel_name):
        raise AirlockError(
            "invalid-kernel-name",
            f"{kernel_name!r} cannot name a kernel. {KERNEL_NAME_RULE['message']}",
            400,
        )
    if not display_name.strip():
        raise AirlockError(
            "invalid-kernel-name", "Give the kernel a display name for the launcher.", 400
        )
    taken = [
        str(path)
        for path in (kernels_dir / kernel_name, envs_dir / kernel_name)
        if path.exists() or path.is_symlink()
    ]
    if kernel_name in existing_kernels or taken:
        where = f" ({', '.join(taken)} exists)" if taken else ""
        raise AirlockError(
            "kernel-exists",
            f"There is already a kernel named {kernel_name!r}{where}: choose another name.",
            409,
        )


def _check_target(target: Target) -> None:
    """The new environment runs the server's Python: the bundle must be for it."""
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if target.python_version != running:
        raise AirlockError(
            "bundle-python",
            f"The bundle is for CPython {target.python_version}, but new kernels here run the "
            f"server's Python {running}: make the bundle again with --python-version {running}.",
            422,
        )
    here = [*platform_tags(), "any"]
    if not set(target.platforms) & set(here):
        raise AirlockError(
            "bundle-platform",
            f"The bundle is for {', '.join(target.platforms)}, which this server's system "
            f"({here[0]}) cannot run: make the bundle again with --platform {here[0]}.",
            422,
        )


@contextlib.asynccontextmanager
async def claimed(kernel: NewKernel, context: JobContext) -> AsyncIterator[None]:
    """The kernel's environment folder and kernelspec folder, made empty now (so that a
    second job cannot take the same name) and removed if the work inside does not finish."""
    made: list[Path] = []
    try:
        for folder in (kernel.prefix, kernel.kernels_dir / kernel.name):
            folder.parent.mkdir(parents=True, exist_ok=True)
            try:
                folder.mkdir()
            except FileExistsError:
                raise AirlockError(
                    "kernel-exists",
                    f"{folder} appeared meanwhile: another kernel took the name {kernel.name!r}.",
                    409,
                ) from None
            made.append(folder)
        yield
    except BaseException:
        # Shielded: a cancelled job must still not leave half an environment behind.
        await asyncio.shield(asyncio.to_thread(_remove_all, made))
        context.log(f"Removed what was made of {kernel.name!r}")
        raise


def _remove_all(folders: list[Path]) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


async def checked_run(argv: list[str], failure: str, timeout: float) -> None:
    try:
        with timeout_raises(
            AirlockError("kernel-create-failed", f"{failure}: no end in {timeout:g} s.", 504)
        ):
            completed = await run(argv, timeout=timeout, env=pip_environment())
    except OSError as error:
        raise AirlockError("kernel-create-failed", f"{failure}: {error.strerror}.", 500) from None
    if completed.returncode != 0:
        output = completed.stderr or completed.stdout
        raise AirlockError("kernel-create-failed", f"{failure}: {last_line(output)}", 500)


async def verified_manifest(bundle_dir: Path, context: JobContext) -> Manifest:
    """The bundle's manifest, once every file it lists matches it (missing, size, sha256),
    or raise."""
    context.log(f"Verifying the bundle in {bundle_dir}")
    manifest = await asyncio.to_thread(read_manifest, bundle_dir)
    listed = sorted(manifest.files.items())
    for number, (path, expected) in enumerate(listed, start=1):
        await asyncio.to_thread(verify_file, bundle_dir, path, expected)
        context.progress(0.3 * number / len(listed))
    context.log(f"{len(listed)} file(s) match {manifest.source}")
    return manifest


async def install_wheels(
    python: Path,
    bundle_dir: Path,
    manifest: Manifest,
    count: int,
    context: JobContext,
    cache_root: Path | None,
) -> None:
    """The ``count`` wheels the bundle's ``requirements.lock`` pins, installed by uv into
    ``python``'s environment, offline, from the bundle's verified wheels only."""
    wheels = [(path, entry) for path, entry in manifest.files.items() if path.endswith(".whl")]
    folders = sorted({(bundle_dir / path).parent for path, _ in wheels})
    if cache_root is not None:
        folders = [
            (await linked(bundle_dir / path, expected.sha256, Path(path).name,
                          cache_root / "links")).parent
            for path, expected in sorted(wheels)
        ]  # fmt: skip
    uv_cache = cache_root / "uv" if cache_root is not None else None
    context.log(f"Installing {count} package(s) offline from the bundle")
    installing = f"uv did not finish in {INSTALL_TIMEOUT} s."
    with timeout_raises(AirlockError("install-failed", installing, 504)):
        completed = await install_offline(
            python,
            folders,
            bundle_dir / LOCK_FILE,
            log=context.log,
            cache_dir=uv_cache,
            progress=lambda share: context.progress(0.4 + 0.5 * share),
            options=["--only-binary", ":all:"],
        )
    if completed.returncode == 0:
        return
    output = completed.stdout + completed.stderr
    missing = unresolved(output)
    if missing:
        lacks = lacking(missing)
        raise AirlockError(
            "bundle-incomplete",
            f"The bundle lacks {lacks}: it cannot be installed offline. Make it again with "
            "'jupyter airlock bundle', which checks for this.",
            422,
        )
    raise AirlockError(
        "install-failed", f"uv could not install the bundle: {uv_errors(output)}", 500
    )


async def _require_ipykernel_in(python: Path) -> None:
    completed = await run([str(python), "-I", "-c", _IS_IPYKERNEL_THERE], timeout=60)
    if completed.returncode != 0:
        raise AirlockError(
            "no-ipykernel",
            "The new environment has no ipykernel, which a kernel needs to start: add "
            "ipykernel to what you pack or bundle.",
            422,
        )


def _write_kernelspec(
    spec_dir: Path, python: Path, display_name: str, origin: dict[str, str]
) -> Path:
    """kernel.json, written whole or not at all (the launcher may read it at any moment)."""
    created = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    spec = {
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": display_name,
        "language": "python",
        "metadata": {"airlock": {**origin, "created": created}},
    }
    path = spec_dir / "kernel.json"
    write_atomic(path, (json.dumps(spec, indent=1) + "\n").encode("utf-8"), 0o644)
    return path
