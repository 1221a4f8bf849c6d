"""Making a transfer bundle of wheels on the DMZ side (``check`` checks it offline,
``upload`` sends it; ``conda_build`` makes conda bundles).

pip chooses the files (``pip download`` with the target's platform tags and Python version,
wheels only: uv has no command that downloads files for another platform), so a bundle
holds exactly what the target will want; the check then replays the install for the
target with uv (``--python-platform``, ``--python-version``), with no index but the
bundle's own folder. pip evaluates environment markers (``; sys_platform == "win32"``)
against the machine it runs on, except the Python version: a bundle for another operating
system may miss or carry a dependency that only a marker asks for. Local wheels and sdists
(``local_files``) join the resolution as direct references.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from ..bundle_format.folder import (
    BUNDLE_JSON,
    LOCK_FILE,
    SBOM_FILE,
    BundleInfo,
    BundleInputError,
    Target,
    now,
    write_manifests,
    write_sbom,
)
from ..errors import AirlockError
from ..offline import sha256_file
from ..pip import PROXY_VARIABLES, explain_failure, pins, pip_command, pip_environment
from ..processes import Completed, last_line, run, timeout_raises
from ..secrets import redact
from ..trust.advisories import AdvisoryData
from .check import Log, check_bundle, quiet
from .local_files import LocalFile, check_copied, local_wheels

DOWNLOAD_TIMEOUT = 3600
FREEZE_TIMEOUT = 120
_IGNORED_PYTHON = re.compile(
    r"Ignored the following versions that require a different python version: (?P<what>.+)"
)
_UNREACHABLE = re.compile(
    r"Failed to establish a new connection: (?P<why>[^'\"]+)|Max retries exceeded"
)


async def build_bundle(
    out_dir: Path,
    requirements: Sequence[Requirement | LocalFile],
    target: Target,
    *,
    index_url: str | None = None,
    use_pip_config: bool = False,
    log: Log = quiet,
    pip_log: Log | None = None,
    advisories: AdvisoryData | None = None,
    constraints: Sequence[Requirement] = (),
    request: str | None = None,
) -> BundleInfo:
    """Download the closure of ``requirements`` for ``target`` into the new folder ``out_dir``.

    The folder appears only once the bundle is whole and has passed :func:`check_bundle`;
    a failure leaves nothing behind. By default pip's own configuration (pip.conf, PIP_*
    variables) is not read, so that the files come from ``index_url`` (or pypi.org) alone;
    ``use_pip_config`` reads it. Proxy variables are always passed on. Local files join
    the resolution as they are (an sdist built into a wheel first): ``bundle.json`` records
    them as ``name==version``. ``constraints`` (``name==version``) bound what pip may choose;
    ``request`` is the id of the DMZ request the bundle answers, which its bundle.json carries.
    """
    if not requirements:
        raise BundleInputError(
            "Nothing to bundle: name requirements or local wheels, give a requirements file "
            "with -r, or a virtual environment with --pack-venv."
        )
    named = [item for item in requirements if isinstance(item, Requirement)]
    files = [item for item in requirements if isinstance(item, LocalFile)]
    async with new_folder(out_dir) as staging:
        with tempfile.TemporaryDirectory(prefix="airlock-local-wheels-") as scratch:
            wheels = await local_wheels(
                files,
                Path(scratch),
                target,
                index_url=index_url,
                env=_download_environment(use_pip_config),
                log=log,
                pip_log=pip_log,
            )
            await download_wheels(
                staging,
                [*named, *(file.direct_reference(wheel) for file, wheel in wheels.items())],
                target,
                index_url=index_url,
                use_pip_config=use_pip_config,
                log=log,
                pip_log=pip_log,
                constraints=constraints,
            )
            await asyncio.to_thread(check_copied, staging, wheels, log)
        asked = [
            item.pinned() if isinstance(item, LocalFile) else str(item) for item in requirements
        ]
        info = await asyncio.to_thread(
            write_bundle, staging, out_dir.name, target, asked, advisories, request
        )
        log(f"Downloaded {len(info.packages)} wheel(s); checking the bundle offline")
        await check_bundle(staging, log=pip_log or quiet)
    log(
        f"Bundle {out_dir}: {len(info.packages)} wheel(s) for {target.describe()}; checked "
        "offline: every requirement is satisfied by the bundle's own files."
    )
    return info


async def download_wheels(
    dest: Path,
    requirements: Sequence[Requirement],
    target: Target,
    *,
    index_url: str | None = None,
    use_pip_config: bool = False,
    log: Log = quiet,
    pip_log: Log | None = None,
    constraints: Sequence[Requirement] = (),
) -> None:
    """``pip download`` the wheels of the closure of ``requirements`` for ``target`` into
    ``dest``, within ``constraints``; what pip could not find is an AirlockError naming it
    and who needs it."""
    source = redact(index_url) if index_url else "pypi.org"
    log(f"Resolving {len(requirements)} requirement(s) for {target.describe()} on {source}")
    # The constraints file lives beside the download, never in the bundle.
    with tempfile.TemporaryDirectory(prefix=".airlock-constraints-") as scratch:
        constraints_file = Path(scratch) / "constraints.txt"
        constraints_file.write_text("".join(f"{c}\n" for c in constraints), "utf-8")
        argv = pip_command(
            sys.executable,
            "download",
            "--no-cache-dir",
            "--progress-bar",
            "off",
            *target.pip_options(),
            "--dest",
            str(dest),
            *(["--index-url", index_url] if index_url else []),
            *(["--constraint", str(constraints_file)] if constraints else []),
            *(str(requirement) for requirement in requirements),
        )
        completed = await _pip_download(argv, use_pip_config, pip_log)
    if completed.returncode != 0:
        raise _resolution_error(completed.stdout + completed.stderr, target, source)


async def _pip_download(argv: list[str], use_pip_config: bool, pip_log: Log | None) -> Completed:
    downloading = f"pip did not finish downloading in {DOWNLOAD_TIMEOUT} s."
    with timeout_raises(AirlockError("bundle-timeout", downloading, 504)):
        return await run(
            argv,
            timeout=DOWNLOAD_TIMEOUT,
            env=_download_environment(use_pip_config),
            on_line=pip_log,
        )


@asynccontextmanager
async def new_folder(out_dir: Path) -> AsyncIterator[Path]:
    """A hidden folder beside ``out_dir`` (which must be new or empty) to make it in: it
    becomes ``out_dir`` once the block ends without error, and is removed otherwise."""
    staging = await asyncio.to_thread(_staging, out_dir)
    try:
        yield staging
        await asyncio.to_thread(_put_in_place, staging, out_dir)
    finally:
        await asyncio.shield(asyncio.to_thread(shutil.rmtree, staging, True))


def _staging(out_dir: Path) -> Path:
    """A new hidden folder beside ``out_dir``, which must be new or empty."""
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise BundleInputError(
            f"{out_dir} already exists and is not an empty folder: choose a new folder for "
            "the bundle (nothing was changed)."
        )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    # Made with mkdir, not mkdtemp, so that the bundle folder gets the usual permissions.
    staging = out_dir.parent / f".{out_dir.name}.partial-{uuid.uuid4().hex[:12]}"
    staging.mkdir()
    return staging


def _put_in_place(staging: Path, out_dir: Path) -> None:
    if out_dir.exists():
        out_dir.rmdir()  # empty, as _staging checked; rmdir refuses anything else
    os.replace(staging, out_dir)


def write_bundle(
    folder: Path,
    name: str,
    target: Target,
    requirements: list[str],
    advisories: AdvisoryData | None = None,
    request: str | None = None,
) -> BundleInfo:
    """``requirements.lock``, ``bundle.json`` (naming the ``request`` it answers, if any),
    ``sbom.cdx.json`` (with the ``advisories`` known) and the manifests for the wheels in
    ``folder``."""
    files, packages = lock_wheels(folder, folder)
    info = BundleInfo(
        name=name,
        created=now(),
        target=target,
        requirements=requirements,
        packages=packages,
        request=request,
    )
    (folder / BUNDLE_JSON).write_text(json.dumps(info.to_json(), indent=1) + "\n", "utf-8")
    write_sbom(folder, info, files, advisories)
    for extra in (LOCK_FILE, BUNDLE_JSON, SBOM_FILE):
        files[extra] = sha256_file(folder / extra)
    write_manifests(folder, files)
    return info


def lock_wheels(
    wheels: Path, folder: Path
) -> tuple[dict[str, tuple[str, int]], list[dict[str, str]]]:
    """Write ``folder/requirements.lock`` pinning the wheels in ``wheels`` with their
    sha256; answer their (sha256, size) by path relative to ``folder``, and their
    ``{"name", "version", "file"}`` sorted by name."""
    files: dict[str, tuple[str, int]] = {}
    packages: list[dict[str, str]] = []
    locked: list[tuple[str, str, str]] = []
    for wheel in sorted(wheels.iterdir()):
        try:
            project, version, _, _ = parse_wheel_filename(wheel.name)
        except InvalidWheelFilename:
            raise AirlockError(
                "bundle-not-wheel", f"pip downloaded {wheel.name}, which is not a wheel.", 500
            ) from None
        digest, size = sha256_file(wheel)
        path = wheel.relative_to(folder).as_posix()
        files[path] = (digest, size)
        packages.append({"name": str(project), "version": str(version), "file": path})
        locked.append((str(project), str(version), digest))
    (folder / LOCK_FILE).write_text(pins(sorted(locked)), "utf-8")
    return files, sorted(packages, key=lambda package: package["name"])


async def freeze_environment(environment: Path, exclude: Collection[str] = ()) -> list[Requirement]:
    """``name==version`` of every distribution installed in a virtual environment.

    pip itself is left out (the receiving side's own pip installs). Distributions that no
    index can give (editable installs, installs from a local file or a VCS URL) are refused
    by name unless ``exclude`` names them. The bundle then carries wheels downloaded for
    these versions, so links and other files of the environment never travel.
    """
    python = environment / "bin" / "python"
    if not python.exists():
        raise BundleInputError(
            f"{environment} is not a virtual environment: it has no bin/python. Give the "
            "folder that holds pyvenv.cfg."
        )
    argv = pip_command(str(python), "inspect", "--local")
    listing = f"pip did not list {environment} within {FREEZE_TIMEOUT} s."
    with timeout_raises(AirlockError("freeze-failed", listing, 504)):
        completed = await run(argv, timeout=FREEZE_TIMEOUT, env=pip_environment())
    if completed.returncode != 0:
        raise AirlockError(
            "freeze-failed",
            f"pip cannot list what is installed in {environment}: {last_line(completed.stderr)}",
            422,
        )
    try:
        installed = json.loads(completed.stdout)["installed"]
    except (KeyError, TypeError, ValueError):
        raise AirlockError(
            "freeze-failed", f"pip's list of {environment} cannot be read.", 500
        ) from None
    skip = {canonicalize_name(name) for name in exclude} | {"pip"}
    pinned: dict[str, Requirement] = {}
    elsewhere: list[str] = []
    for item in installed:
        metadata = item.get("metadata") or {}
        name, version = str(metadata.get("name", "")), str(metadata.get("version", ""))
        if not name or canonicalize_name(name) in skip:
            continue
        direct = item.get("direct_url")
        if direct:
            editable = (direct.get("dir_info") or {}).get("editable")
            elsewhere.append(f"{name} ({'editable' if editable else redact(direct.get('url'))})")
            continue
        pinned[canonicalize_name(name)] = Requirement(f"{name}=={version}")
    if elsewhere:
        raise BundleInputError(
            f"{environment} holds packages that no index has, so they cannot be downloaded "
            f"for the bundle: {', '.join(sorted(elsewhere))}. Leave them out with --exclude."
        )
    return [pinned[name] for name in sorted(pinned)]


def _download_environment(use_pip_config: bool) -> dict[str, str]:
    if use_pip_config:
        return dict(os.environ)
    env = pip_environment()
    # Proxies only route pip's requests; they do not change what it chooses, and a DMZ
    # machine often reaches the internet through nothing else.
    env.update({k: v for k, v in os.environ.items() if k.lower() in PROXY_VARIABLES})
    return env


def _resolution_error(output: str, target: Target, source: str) -> AirlockError:
    """What pip's failed download means, in one paragraph naming the requirements."""
    if unreachable := _UNREACHABLE.search(output):
        why = f" ({unreachable['why'].strip()})" if unreachable["why"] else ""
        return AirlockError(
            "index-unreachable",
            f"pip could not reach {source}{why}: check the URL, the proxy variables, or "
            "give --use-pip-config if pip needs its configuration to get out.",
            502,
        )
    missing, problems = explain_failure(output)
    if not missing:
        return AirlockError(
            "bundle-unsatisfiable",
            f"pip could not resolve the requirements for {target.describe()}: {' '.join(problems)}",
            422,
        )
    lines = []
    for item in missing:
        needed = f", needed by {item.needed_by}," if item.needed_by else ""
        lines.append(f"{item.requirement}{needed} has no wheel for {target.describe()} on {source}")
    other_python = _IGNORED_PYTHON.search(output)
    hint = f" (versions for another Python: {other_python['what']})" if other_python else ""
    return AirlockError("bundle-unsatisfiable", "; ".join(lines) + hint + ".", 422)
