"""What a conda request says beyond a wheel request: the conda specs the plan asked for
and lacked, the kernel's conda platform and virtual packages (its machine is the server's:
py-rattler detects them here), the records installed in its prefix as constraints, and the
DMZ's channels the kernel was made from, when it remembers them (``dmz.channels``).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from rattler import VirtualPackage
from rattler.exceptions import DetectVirtualPackageError

from ..conda.records import prefix_records
from ..dmz.channels import remembered_channels
from ..errors import AirlockError
from .plan import Plan

# How a conda plan names what its channel lacks (``conda_solve``'s words).
_LACKING = re.compile(r"(?P<spec>.+?)(?:, needed by (?P<by>.+?),)? is not in the channel\b")


def conda_missing(plan: Plan) -> list[dict[str, Any]]:
    """The specs a conda plan lacks, with who needs each; a plan whose problem is a
    conflict among what the channel has is not a request the DMZ can fill."""
    missing = []
    for item in plan.missing:
        found = _LACKING.match(item["message"])
        if found is None:
            raise AirlockError(
                "conda-package-conflict",
                f"This plan lacks no package the DMZ could bring: {item['message']}",
                409,
            )
        missing.append({"requirement": found["spec"], "needed_by": found["by"]})
    return missing


async def conda_facts(plan: Plan, asked: set[str]) -> dict[str, Any]:
    """The request's ``conda`` part for conda plan ``plan``: platform, virtual packages,
    the prefix's records (but those ``asked`` for) as ``name=version=build``, and the
    channels the DMZ made the kernel from, when the kernel remembers them."""
    prefix = Path(plan.environment["prefix"])
    records = await asyncio.to_thread(prefix_records, prefix)
    channels = await asyncio.to_thread(remembered_channels, prefix)
    return {
        "subdir": plan.conda.platform,
        "virtual_packages": await asyncio.to_thread(_virtual_packages),
        "constraints": sorted(
            f"{r.name.normalized}={r.version}={r.build}"
            for r in records
            if r.name.normalized not in asked
        ),
        **({"channels": channels} if channels else {}),
    }


def _virtual_packages() -> list[str]:
    try:
        detected = VirtualPackage.detect()
    except DetectVirtualPackageError:
        return []  # the DMZ then assumes its defaults for the platform
    packages = (package.into_generic() for package in detected)
    return [f"{p.name.normalized}={p.version}={p.build_string}" for p in packages]
