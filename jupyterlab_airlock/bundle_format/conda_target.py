"""The machine a conda bundle is for: a conda platform (subdir) and the virtual packages
(``__glibc``, ``__osx``...) that machine has.

They cannot be detected for another platform than this one, so they are given: pixi's
defaults (glibc 2.28 and Linux 4.18, macOS 13.0), each replaceable with
``--virtual-package __glibc=2.17``. They are kept in the bundle's lock, so that its
offline check solves for the same machine, and they decide the wheel platform tags of
the bundle's PyPI part.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rattler import (
    BuildString,
    GenericVirtualPackage,
    LockPlatform,
    MatchSpec,
    PackageName,
    Subdir,
    Version,
)

from ..conda.solve import plain_spec
from ..errors import AirlockError
from .conda import check_subdir
from .folder import BundleInputError, Target, check_platform

_DEFAULTS = {
    "linux": ("__unix=0=0", "__linux=4.18=0", "__glibc=2.28=0"),
    "osx": ("__unix=0=0", "__osx=13.0=0"),
    "win": ("__win=0=0",),
}
# The CPU of a subdir, as conda's __archspec and as wheel tags name it.
_ARCHES = {
    "64": ("x86_64", "x86_64"),
    "aarch64": ("aarch64", "aarch64"),
    "arm64": ("arm64", "arm64"),
    "ppc64le": ("ppc64le", "ppc64le"),
    "s390x": ("s390x", "s390x"),
}
_VIRTUAL = re.compile(r"(?P<name>__[a-z0-9_]+)=(?P<version>[0-9][0-9A-Za-z._+]*)(=(?P<build>\S+))?")
# The oldest glibc a manylinux wheel names (manylinux2014).
_OLDEST_MANYLINUX = 17


@dataclass(frozen=True)
class CondaTarget:
    """A conda platform and its virtual packages, each ``name=version=build``."""

    subdir: str
    virtual_packages: tuple[str, ...]

    def generic(self) -> list[GenericVirtualPackage]:
        """The virtual packages as the solver takes them."""
        packages = []
        for text in self.virtual_packages:
            name, version, build = text.split("=", 2)
            packages.append(
                GenericVirtualPackage(PackageName(name), Version(version), BuildString(build))
            )
        return packages

    def lock_platform(self) -> LockPlatform:
        return LockPlatform(self.subdir, Subdir(self.subdir), list(self.virtual_packages))

    def version_of(self, name: str) -> str | None:
        for text in self.virtual_packages:
            if text.split("=", 1)[0] == name:
                return text.split("=", 2)[1]
        return None

    def describe(self) -> str:
        given = ", ".join(" ".join(text.split("=")[:2]) for text in self.virtual_packages)
        return f"{self.subdir} ({given})" if given else self.subdir

    def wheel_target(self, python_version: str) -> Target:
        """Where the PyPI part's wheels must install: this platform's wheel tags (every
        manylinux up to its glibc; macOS from its version on, as pip counts them) and the
        environment's CPython ``python_version`` (``3.11``)."""
        system, _, cpu = self.subdir.partition("-")
        arch = _ARCHES.get(cpu, (cpu, cpu))[1]
        if system == "linux":
            glibc = _major_minor(self.version_of("__glibc") or "2.17")
            newest = glibc[1] if glibc[0] == 2 else _OLDEST_MANYLINUX
            platforms = [
                f"manylinux_2_{minor}_{arch}"
                for minor in range(max(newest, _OLDEST_MANYLINUX), _OLDEST_MANYLINUX - 1, -1)
            ]
        elif system == "osx":
            major = _major_minor(self.version_of("__osx") or "11.0")[0]
            platforms = [f"macosx_{major}_0_{arch}" if major >= 11 else f"macosx_10_15_{arch}"]
        elif system == "win":
            platforms = ["win_amd64" if cpu == "64" else f"win_{arch}"]
        else:
            raise BundleInputError(
                f"Wheels are not made for conda's {self.subdir}: leave --pypi out."
            )
        for platform in platforms:
            check_platform(platform)
        return Target(tuple(platforms), python_version)


def conda_target(subdir: str, given: Sequence[str]) -> CondaTarget:
    """``subdir`` with its default virtual packages, those named in ``given``
    (``__glibc=2.17``, ``__cuda=12.4=0``) replacing or adding to them."""
    check_subdir(subdir)
    if subdir == "noarch":
        raise BundleInputError(
            "noarch is not a platform an environment runs on: give the target's conda "
            "platform with --platform, e.g. linux-64 or osx-arm64."
        )
    system, _, cpu = subdir.partition("-")
    chosen: dict[str, str] = {}
    for text in _DEFAULTS.get(system, ()):
        chosen[text.split("=", 1)[0]] = text
    if cpu in _ARCHES:
        chosen["__archspec"] = f"__archspec=1={_ARCHES[cpu][0]}"
    for text in given:
        match = _VIRTUAL.fullmatch(text.strip())
        if match is None:
            raise BundleInputError(
                f"{text!r} is not a virtual package: give NAME=VERSION[=BUILD] with a name "
                "starting with __, e.g. __glibc=2.17 or __osx=11.0."
            )
        chosen[match["name"]] = f"{match['name']}={match['version']}={match['build'] or '0'}"
    return CondaTarget(subdir, tuple(chosen[name] for name in sorted(chosen)))


def conda_specs(texts: Sequence[str]) -> list[MatchSpec]:
    """``texts`` as MatchSpecs: a package name, versions and builds, as the installer
    accepts them (no channel, URL or path: packages come from --channel only)."""
    specs = []
    for text in texts:
        try:
            specs.append(plain_spec(text))
        except AirlockError as error:
            raise BundleInputError(error.message) from None
    return specs


def target_of_lock(platform: LockPlatform) -> CondaTarget:
    """The target a bundle's lock was solved for."""
    return CondaTarget(platform.name, tuple(platform.virtual_packages))


def _major_minor(version: str) -> tuple[int, int]:
    major, minor, *_ = [int(part) for part in re.findall(r"\d+", version)] + [0, 0]
    return major, minor
