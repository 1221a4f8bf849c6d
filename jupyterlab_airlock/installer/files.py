"""Which of the source's files stands for a package in a plan, and why the others cannot.

uv says which packages and versions it would install; the plan names files. For a version
it is the wheel whose tags the kernel ranks highest (uv's own choice), else the sdist. When
uv finds nothing usable, each file of the package in the source is named with the reason
it cannot serve: another version, Python, ABI or platform, a glibc too new, the policy.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from packaging.requirements import Requirement
from packaging.utils import parse_wheel_filename
from packaging.version import Version

from ..environments.platforms import platform_subdir
from ..kinds import classify, fit
from ..package_index.index import IndexedFile
from ..trust.gate import judge
from ..trust.policy import Policy

# The plan's message names this many files; its ``unusable`` list has them all.
_NAMED = 3


def file_name(indexed: IndexedFile) -> str:
    return PurePosixPath(indexed.entry.key).name


def best_file(files: list[IndexedFile], version: str, tags: list[str]) -> IndexedFile | None:
    """The file uv installs for ``version``: the wheel the kernel prefers, else the sdist."""
    wanted = Version(version)
    ranked = []
    for indexed in files:
        if indexed.kind not in ("wheel", "sdist") or Version(indexed.version) != wanted:
            continue
        rank = _rank(file_name(indexed), tags) if indexed.kind == "wheel" else len(tags)
        if rank is not None:
            ranked.append((rank, indexed))
    return min(ranked, key=lambda pair: pair[0])[1] if ranked else None


def unusable(
    requirement: Requirement, files: list[IndexedFile], tags: list[str], policy: Policy
) -> list[dict[str, str]]:
    """Each of ``files`` (the source's files of the requirement's project) with the reason
    it cannot meet ``requirement`` in a kernel of ``tags``."""
    found = []
    for indexed in files:
        name = file_name(indexed)
        reason = judge(
            policy,
            "plan",
            project=indexed.project,
            version=indexed.version,
            file=indexed.entry.name,
            verified=indexed.verified,
        ).reason
        if not reason and not requirement.specifier.contains(indexed.version, prereleases=True):
            reason = f"version {indexed.version} does not meet {requirement}"
        if not reason and indexed.kind == "wheel" and _rank(name, tags) is None:
            reason = fit(classify(name), tags, platform_subdir(tags)).get("reason")
        found.append({"file": name, "reason": reason or "uv could not use it"})
    return found


def described(head: str, files: list[dict[str, str]]) -> str:
    """The plan's message for a requirement whose files in the source cannot serve."""
    said = "; ".join(f"{f['file']}: {f['reason']}" for f in files[:_NAMED])
    if len(files) > _NAMED:
        said += f"; and {len(files) - _NAMED} more"
    return f"{head}: the artifact source holds no file the kernel can use ({said})."


def _rank(file: str, tags: list[str]) -> int | None:
    """How much the kernel prefers wheel ``file`` (0: most), None when it cannot use it."""
    order = {tag: number for number, tag in enumerate(tags)}
    ranks = [order[str(tag)] for tag in parse_wheel_filename(file)[3] if str(tag) in order]
    return min(ranks) if ranks else None
