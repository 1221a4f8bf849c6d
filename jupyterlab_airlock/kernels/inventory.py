"""What is known about the packages of kernels' environments: the offline advisories that
affect them (the Kernels section's audit line), and the SBOM of one environment."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..active_source import AdvisoryState
from ..environments.facts import describe_kernel
from ..errors import AirlockError
from ..trust.sbom import cyclonedx_json


def advisory_summary(
    packages: Iterable[Mapping[str, Any]], state: AdvisoryState | None
) -> dict[str, Any] | None:
    """How many of ``packages`` have known advisories, how many advisories, and the data's
    date; None without advisory data."""
    if state is None:
        return None
    # OSV's PyPI advisories say nothing of conda-only packages.
    affected = [
        state.affecting(str(package["name"]), str(package["version"]))
        for package in packages
        if package.get("ecosystem", "pypi") == "pypi"
    ]
    return {
        "packages": sum(1 for found in affected if found),
        "advisories": len({advisory.id for found in affected for advisory in found}),
        "date": state.data.date if state.data else None,
        "problem": state.problem,
    }


def with_advisories(
    kernels: list[dict[str, Any]], state: AdvisoryState | None
) -> list[dict[str, Any]]:
    """``kernels`` (as ``describe_kernels`` gives them), each with its ``advisories``."""
    return [
        kernel | {"advisories": advisory_summary(kernel["packages"], state)}
        if "packages" in kernel
        else kernel | {"advisories": None}
        for kernel in kernels
    ]


async def environment_sbom(
    spec_manager: Any, name: str, state: AdvisoryState | None
) -> dict[str, Any]:
    """The CycloneDX JSON of kernel ``name``'s environment, with the advisories known."""
    described = await describe_kernel(spec_manager, name)
    if "error" in described:
        raise AirlockError("kernel-python", described["error"]["message"], 409)
    packages = [
        package
        if package["ecosystem"] == "pypi"
        else package | {"purl": f"pkg:conda/{package['name']}@{package['version']}"}
        for package in described["packages"]
    ]
    return cyclonedx_json(
        f"{described['display_name']} ({described['prefix']})",
        packages,
        advisories=state.data if state else None,
    )
