"""A new kernel from a conda bundle (``bundle/conda_format.py``): a conda environment linked
offline by py-rattler from the bundle's own channel, its PyPI part installed by uv, and its
kernelspec.

Everything is checked before the first package is linked: every file against the bundle's
manifests, every conda package against ``bundle.json`` (its sha256, and the name, version
and platform its own ``info/index.json`` gives), the bundle's platform against this
machine's, and the whole closure solved against the bundle's channel (a dependency it
lacks is named, with who needs it). The environment and the kernelspec are claimed as for
a wheel bundle (``create.claimed``): a failure or a cancel leaves neither behind.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

from packaging.tags import sys_tags

from ..bundle.conda_format import CHANNEL_DIR, CondaBundleInfo, read_conda_bundle_json
from ..bundle.format import BUNDLE_JSON, LOCK_FILE, LockEntry, read_lock
from ..errors import AirlockError
from ..installer import conda_link
from ..installer.conda_index import read_index
from ..installer.conda_solve import solve
from ..jobs import JobContext
from ..manifests import MANIFEST_JSON, SHA256SUMS, Manifest, merge
from ..manifests import parse as parse_manifest
from ..platforms import platform_subdir
from .create import (
    check_new_kernel,
    claimed,
    install_wheels,
    require_ipykernel_in,
    verify_bundle,
    write_kernelspec,
)


async def create_kernel_from_conda_bundle(
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
    link_scripts: bool = False,
) -> dict[str, Any]:
    """A conda environment at ``envs_dir/<kernel_name>`` with every package of the conda
    bundle in ``bundle_dir`` linked, its wheels installed, and its kernelspec.

    ``cache_root`` (the content cache's folder) keeps py-rattler's extracted packages and
    uv's cache there (else py-rattler uses its user cache and uv none). ``link_scripts``:
    whether packages' post-link scripts run (the admin's ``conda_link_scripts``). Errors
    are AirlockErrors: 409 for a taken name, 422 for a bundle that is damaged, incomplete
    or for another platform, naming the file or package at fault.
    """
    check_new_kernel(kernel_name, display_name, kernels_dir, envs_dir, existing_kernels)
    context.log(f"Verifying the conda bundle in {bundle_dir}")
    manifest = await asyncio.to_thread(_read_manifest, bundle_dir)
    await verify_bundle(bundle_dir, manifest, context)
    text = await asyncio.to_thread((bundle_dir / BUNDLE_JSON).read_text, "utf-8")
    info = read_conda_bundle_json(json.loads(text), BUNDLE_JSON)
    _check_platform(info)
    await asyncio.to_thread(_check_packages, bundle_dir, info, manifest)
    lock: list[LockEntry] = []
    if (bundle_dir / LOCK_FILE).is_file():
        lock = read_lock((bundle_dir / LOCK_FILE).read_text("utf-8"), LOCK_FILE)
    names = {package.name for package in info.packages} | {entry.name for entry in lock}
    if require_ipykernel and "ipykernel" not in names:
        raise AirlockError(
            "no-ipykernel",
            f"The bundle {info.name} has no ipykernel, which a kernel needs to start: make "
            "the bundle again with ipykernel among its conda specs or its --pypi part.",
            422,
        )
    channel = bundle_dir / CHANNEL_DIR
    async with claimed(kernel_name, kernels_dir, envs_dir, context) as (prefix, spec_dir):
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
        python = prefix / "bin" / "python"
        if not python.exists():
            raise AirlockError(
                "no-python",
                f"The bundle {info.name} has no python package: a kernel needs one. Make it "
                "again with python among its conda specs.",
                422,
            )
        if lock:
            await install_wheels(python, bundle_dir, manifest, len(lock), context, cache_root)
        if require_ipykernel:
            await require_ipykernel_in(python)
        origin = {"bundle": info.name, "conda": info.subdir}
        spec = write_kernelspec(spec_dir, python, display_name, origin)
    context.log(f"Kernel {display_name!r} ({kernel_name}) is ready")
    packages = [(package.name, package.version) for package in info.packages]
    packages += [(entry.name, entry.version) for entry in lock]
    return {
        "kernel": kernel_name,
        "display_name": display_name,
        "python": str(python),
        "prefix": str(prefix),
        "kernelspec": str(spec),
        "packages": [{"name": name, "version": version} for name, version in packages],
    }


def _read_manifest(folder: Path) -> Manifest:
    """The bundle's manifests, merged; they must list bundle.json. (A conda bundle has a
    requirements.lock only with a PyPI part, which ``format.read_manifest`` requires.)"""
    found = [
        parse_manifest((folder / name).read_text("utf-8", "replace"), str(folder / name))
        for name in (SHA256SUMS, MANIFEST_JSON)
        if (folder / name).is_file()
    ]
    if not found or BUNDLE_JSON not in (manifest := merge(found)).files:
        raise AirlockError(
            "no-manifest",
            f"{folder} has no manifest listing {BUNDLE_JSON}: its files cannot be verified. "
            "Make conda bundles with 'jupyter airlock bundle --conda'.",
            422,
        )
    return manifest


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


def _check_packages(bundle_dir: Path, info: CondaBundleInfo, manifest: Manifest) -> None:
    """Each conda package is the file bundle.json names (the manifest's sha256 is the one
    bundle.json gives, the file was verified against the manifest) and says of itself that
    it is that package, for that platform."""
    for package in info.packages:
        listed = manifest.files.get(package.file)
        if listed is None or listed.sha256 != package.sha256:
            why = "the manifest does not list it" if listed is None else "another sha256"
            raise AirlockError(
                "checksum-mismatch",
                f"{package.file} is not the file bundle.json names for {package.name} "
                f"{package.version} ({why}): the bundle was changed after it was made. "
                "Transfer it again.",
                422,
            )
        index, subdir = read_index(bundle_dir / package.file)
        said = (index.name.normalized, str(index.version), str(index.build), subdir)
        expected = (package.name, package.version, package.build, package.subdir)
        if said != expected:
            raise AirlockError(
                "invalid-conda-package",
                f"{package.file} is {said[0]} {said[1]} ({said[2]}) for {said[3]}, but "
                f"bundle.json lists it as {package.name} {package.version} ({package.build}) "
                f"for {package.subdir}: it cannot go into a {info.subdir} environment.",
                422,
            )
