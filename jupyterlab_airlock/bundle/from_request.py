"""``jupyter airlock bundle OUT --from-request REQUEST.json``: the bundle a DMZ request asks
for, made in the DMZ.

The request (``..dmz.document``) says everything the command line would: the kernel's
target (its Python and every platform tag it accepts), what to bundle (what was requested
and what the plan found missing), and what the kernel already has, as constraints, so that
the closure pip downloads fits beside it. The bundle is then made, checked offline, signed
and uploaded as any other, and its bundle.json carries the request's id, by which the air
gap links it to the request.
"""

from __future__ import annotations

import argparse
import asyncio
import re
from collections.abc import Sequence
from pathlib import Path

from packaging.utils import canonicalize_name

from ..bundle_format.conda import CondaBundleInfo
from ..bundle_format.folder import BundleInfo, BundleInputError
from ..dmz.document import DmzRequest, read_request
from ..errors import AirlockError
from ..trust.advisories import AdvisoryData
from .build import build_bundle
from .check import Log, quiet
from .conda_build import build_conda_bundle

_CONDA_CONSTRAINT = re.compile(
    r"the constraint (?P<name>\S+) ==(?P<version>\S+) \S+ cannot be fulfilled"
)
_CONSTRAINT = re.compile(
    r"The user requested \(constraint\) (?P<name>[^=\s]+)==(?P<version>[^\s;]+)"
)


async def bundle_from_request(
    out_dir: Path,
    request_file: Path,
    *,
    index_url: str | None = None,
    use_pip_config: bool = False,
    log: Log = quiet,
    pip_log: Log | None = None,
    advisories: AdvisoryData | None = None,
    channels: Sequence[str] = (),
) -> BundleInfo | CondaBundleInfo:
    """Make in ``out_dir`` the bundle that ``request_file`` asks for, or say why it cannot
    be: a request that is not whole and well-formed changes nothing (``BundleInputError``);
    one that cannot be met names the requirement and why (``AirlockError``). A conda
    kernel's request makes a conda bundle from ``channels``, else from the channels the
    request names (those its kernel was made from)."""
    request = await asyncio.to_thread(read_request, request_file)
    if request.conda is not None:
        return await _conda_bundle(out_dir, request, channels, log, pip_log, advisories)
    if channels:
        raise BundleInputError(
            f"The {request.describe()} is for wheels: --channel is for a conda kernel's request."
        )
    refuse_conflicts(request)
    log(
        f"The {request.describe()} asks for "
        f"{', '.join(str(r) for r in request.requirements)}, beside "
        f"{len(request.constraints)} package(s) the kernel has"
    )
    try:
        return await build_bundle(
            out_dir,
            list(request.requirements),
            request.target,
            index_url=index_url,
            use_pip_config=use_pip_config,
            log=log,
            pip_log=pip_log,
            advisories=advisories,
            constraints=request.constraints,
            request=request.id,
        )
    except AirlockError as error:
        if error.code != "bundle-unsatisfiable":
            raise
        words = _in_plan_words(request, error)
        raise AirlockError(
            error.code, f"The {request.describe()} cannot be met: {words}", 422
        ) from None


async def _conda_bundle(
    out_dir: Path,
    request: DmzRequest,
    channels: Sequence[str],
    log: Log,
    pip_log: Log | None,
    advisories: AdvisoryData | None,
) -> CondaBundleInfo:
    assert request.conda is not None
    if not channels and request.conda_channels:
        channels = request.conda_channels
        log(f"From the channels the request names: {', '.join(channels)}")
    if not channels:
        raise BundleInputError(
            f"The {request.describe()} is for a conda kernel and names no channel (its kernel "
            "was not made from an Airlock conda bundle): give the mirror's conda channel "
            "with --channel URL, as many as needed, highest priority first."
        )
    log(
        f"The {request.describe()} asks for {', '.join(request.conda_specs)}, beside "
        f"{len(request.conda_constraints)} package(s) the kernel has"
    )
    try:
        return await build_conda_bundle(
            out_dir,
            list(request.conda_specs),
            channels,
            request.conda,
            log=log,
            pip_log=pip_log,
            advisories=advisories,
            constraints=request.conda_constraints,
            request=request.id,
        )
    except AirlockError as error:
        if error.code != "bundle-unsatisfiable":
            raise
        # py-rattler's words for a record the kernel has: "the constraint x ==1 0 ...".
        words = _CONDA_CONSTRAINT.sub(r"the kernel has \g<name> \g<version>", error.message)
        raise AirlockError(
            error.code, f"The {request.describe()} cannot be met: {words}", 422
        ) from None


def refuse_conflicts(request: DmzRequest) -> None:
    """A requirement that excludes the version the kernel has of the same package cannot
    fit beside it: said before anything is downloaded."""
    pinned = {canonicalize_name(c.name): c for c in request.constraints}
    clashes = []
    for requirement in request.requirements:
        constraint = pinned.get(canonicalize_name(requirement.name))
        if constraint is None:
            continue
        version = next(iter(constraint.specifier)).version
        if not requirement.specifier.contains(version, prereleases=True):
            needed = request.needed_by(str(requirement))
            by = f", needed by {needed}," if needed else ""
            clashes.append(
                f"{requirement}{by} excludes {constraint.name} {version}, which the kernel has"
            )
    if clashes:
        raise AirlockError(
            "bundle-unsatisfiable",
            f"The {request.describe()} cannot be met: {'; '.join(clashes)}. Nothing was "
            "downloaded; plan again in the air gap, or upgrade that package there first.",
            422,
        )


def _in_plan_words(request: DmzRequest, error: AirlockError) -> str:
    """pip's verdict, with who needs each missing requirement in the air gap as the plan
    said it ("idna>=2.5,<4, needed by requests, has no wheel for ...") and the kernel's
    versions as what the kernel has."""
    # pip's words for a version the kernel has: "The user requested (constraint) x==1".
    message = _CONSTRAINT.sub(r"the kernel has \g<name> \g<version>", error.message)
    for item in request.document["missing"]:
        requirement, by = item["requirement"], item["needed_by"]
        if by:
            said = f"{requirement} has no wheel"
            message = message.replace(said, f"{requirement}, needed by {by}, has no wheel")
    return message


def request_clashes(arguments: argparse.Namespace) -> list[str]:
    """The command line's options that the request already says (what, for which target);
    --channel is the DMZ's own knowledge, which replaces the channels a conda request
    names."""
    given = {
        "REQUIREMENT": arguments.names,
        "--requirement": arguments.requirement,
        "--platform": arguments.platform,
        "--python-version": arguments.python_version,
        "--pack-venv": arguments.pack_venv,
        "--conda": arguments.conda,
        "--pack-conda": arguments.pack_conda,
        "--pypi": arguments.pypi,
        "--virtual-package": arguments.virtual_package,
    }
    return [option for option, value in given.items() if value]
