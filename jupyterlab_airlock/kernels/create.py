"""New kernels from what came through the air gap: a bundle folder or an environment archive.

Each becomes an environment at ``envs_dir/<kernel name>`` and a kernelspec at
``kernels_dir/<kernel name>/kernel.json``. Both names are claimed before any work and
removed again when the work fails or is cancelled, so a kernel is whole or absent; the
kernel.json is written last, so the launcher never lists a kernel that cannot start.
Nothing here reaches a network: uv runs ``--offline --no-index`` on the bundle's folder only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
import sys
from collections.abc import AsyncIterator, Collection
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
from ..sizes import size_text
from ..trust.manifests import Manifest
from ..uv import unresolved, uv_errors
from .archive import check_archive, unpack
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
RUN_TIMEOUT = 300
_IS_IPYKERNEL_THERE = (
    "import importlib.util, sys; sys.exit(importlib.util.find_spec('ipykernel_launcher') is None)"
)


async def create_kernel_from_bundle(
    bundle_dir: Path,
    kernel_name: str,
    display_name: str,
    kernels_dir: Path,
    envs_dir: Path,
    context: JobContext,
    *,
    require_ipykernel: bool = True,
    existing_kernels: Collection[str] = (),
    cache_root: Path | None = None,
) -> dict[str, Any]:
    """A virtual environment of the server's Python with the bundle installed offline, and
    its kernelspec. Every file is verified against the bundle's manifests first. With
    ``cache_root`` (the content cache's folder), uv keeps its cache there and installs
    each wheel linked there at a path of its own (uv knows an unpacked wheel by its path:
    another kernel from the same files links from uv's cache); else uv caches nothing.

    ``existing_kernels``: kernel names found elsewhere on the kernelspec path (the server's
    ``python3``...), which a new kernel must not shadow. Errors are AirlockErrors: 409 for a
    name that is taken, 422 for a bundle that is damaged, incomplete or for another target.
    """
    check_new_kernel(kernel_name, display_name, kernels_dir, envs_dir, existing_kernels)
    context.log(f"Verifying the bundle in {bundle_dir}")
    manifest = await asyncio.to_thread(read_manifest, bundle_dir)
    await verify_bundle(bundle_dir, manifest, context)
    info = read_bundle_json((bundle_dir / BUNDLE_JSON).read_text("utf-8"), BUNDLE_JSON)
    lock = read_lock((bundle_dir / LOCK_FILE).read_text("utf-8"), LOCK_FILE)
    _check_target(info.target)
    if require_ipykernel and not any(entry.name == "ipykernel" for entry in lock):
        raise AirlockError(
            "no-ipykernel",
            f"The bundle {info.name} has no ipykernel, which a kernel needs to start: make "
            "the bundle again with ipykernel among its requirements.",
            422,
        )
    async with claimed(kernel_name, kernels_dir, envs_dir, context) as (prefix, spec_dir):
        context.log(f"Creating a virtual environment in {prefix}")
        await _checked_run(
            [sys.executable, "-m", "venv", "--without-pip", str(prefix)],
            "Python could not create the virtual environment",
            VENV_TIMEOUT,
        )
        python = prefix / "bin" / "python"
        context.progress(0.35)
        await install_wheels(python, bundle_dir, manifest, len(lock), context, cache_root)
        await ensure_pip(python, context)
        if require_ipykernel:
            await require_ipykernel_in(python)
        spec = write_kernelspec(spec_dir, python, display_name, {"bundle": info.name})
    packages = [(entry.name, entry.version) for entry in lock]
    return kernel_ready(kernel_name, display_name, python, spec, context, packages)


async def create_kernel_from_archive(
    archive: Path,
    kernel_name: str,
    display_name: str,
    kernels_dir: Path,
    envs_dir: Path,
    context: JobContext,
    *,
    require_ipykernel: bool = True,
    existing_kernels: Collection[str] = (),
    archive_name: str | None = None,
) -> dict[str, Any]:
    """The packed environment in ``archive`` (conda-pack's ``.tar.gz``) unpacked into
    ``envs_dir/<kernel_name>``, relocated by its own ``bin/conda-unpack`` when it has one,
    and registered as a kernel. ``archive_name``: the archive's own name, when the file is
    kept under another (the content cache names files by their sha256).

    The whole archive is checked before anything is written: members that would land
    outside the folder (``..``, absolute paths, links pointing out of it, device files)
    refuse it by name. A disk that fills up leaves nothing behind.
    """
    check_new_kernel(kernel_name, display_name, kernels_dir, envs_dir, existing_kernels)
    name = archive_name or archive.name
    total = await check_archive(archive, name, envs_dir, context)
    async with claimed(kernel_name, kernels_dir, envs_dir, context) as (prefix, spec_dir):
        context.log(f"Unpacking {size_text(total)} into {prefix}")
        await unpack(archive, name, prefix, total, context)
        python = prefix / "bin" / "python"
        if not python.exists():
            raise AirlockError(
                "not-an-environment",
                f"{name} holds no bin/python at its top: it is not a packed "
                "environment (conda-pack writes the environment's own folders at the top).",
                422,
            )
        unpack_script = prefix / "bin" / "conda-unpack"
        if unpack_script.is_file():
            context.log("Running the environment's conda-unpack to fix its paths")
            await _checked_run(
                [str(python), str(unpack_script)], "conda-unpack failed", RUN_TIMEOUT
            )
        await _checked_run(
            [str(python), "-I", "-c", "pass"], "The environment's Python does not run here", 60
        )
        context.progress(0.9)
        await ensure_pip(python, context)
        if require_ipykernel:
            await require_ipykernel_in(python)
        spec = write_kernelspec(spec_dir, python, display_name, {"archive": name})
    return kernel_ready(kernel_name, display_name, python, spec, context)


def kernel_ready(
    kernel_name: str,
    display_name: str,
    python: Path,
    spec: Path,
    context: JobContext,
    packages: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """The job's result for a new kernel (a CreateKernelResult), logged as ready;
    ``packages`` (name, version): what a bundle installed."""
    context.log(f"Kernel {display_name!r} ({kernel_name}) is ready")
    result: dict[str, Any] = {
        "kernel": kernel_name,
        "display_name": display_name,
        "python": str(python),
        "prefix": str(python.parent.parent),
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
async def claimed(
    kernel_name: str, kernels_dir: Path, envs_dir: Path, context: JobContext
) -> AsyncIterator[tuple[Path, Path]]:
    """The environment folder and kernelspec folder, made empty now (so that a second job
    cannot take the same name) and removed if the work inside does not finish."""
    prefix, spec_dir = envs_dir / kernel_name, kernels_dir / kernel_name
    made: list[Path] = []
    try:
        for folder in (prefix, spec_dir):
            folder.parent.mkdir(parents=True, exist_ok=True)
            try:
                folder.mkdir()
            except FileExistsError:
                raise AirlockError(
                    "kernel-exists",
                    f"{folder} appeared meanwhile: another kernel took the name {kernel_name!r}.",
                    409,
                ) from None
            made.append(folder)
        yield prefix, spec_dir
    except BaseException:
        # Shielded: a cancelled job must still not leave half an environment behind.
        await asyncio.shield(asyncio.to_thread(_remove_all, made))
        context.log(f"Removed what was made of {kernel_name!r}")
        raise


def _remove_all(folders: list[Path]) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


async def _checked_run(argv: list[str], failure: str, timeout: float) -> None:
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


async def verify_bundle(bundle_dir: Path, manifest: Manifest, context: JobContext) -> None:
    """Check every file ``manifest`` lists against it (missing, size, sha256), or raise."""
    listed = sorted(manifest.files.items())
    for number, (path, expected) in enumerate(listed, start=1):
        await asyncio.to_thread(verify_file, bundle_dir, path, expected)
        context.progress(0.3 * number / len(listed))
    context.log(f"{len(listed)} file(s) match {manifest.source}")


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


async def require_ipykernel_in(python: Path) -> None:
    completed = await run([str(python), "-I", "-c", _IS_IPYKERNEL_THERE], timeout=60)
    if completed.returncode != 0:
        raise AirlockError(
            "no-ipykernel",
            "The new environment has no ipykernel, which a kernel needs to start: add "
            "ipykernel to what you pack or bundle.",
            422,
        )


def write_kernelspec(
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
