"""What each file of the read bucket is, told from its name, and whether it fits a kernel.

Names are all there is for a listing of thousands of objects: no file is opened here.
Nothing here raises on a strange name; a name that claims a kind but does not parse as one
is "other", with the problem in words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from packaging.tags import Tag, parse_tag
from packaging.utils import parse_sdist_filename, parse_wheel_filename

from .environments.platforms import Platform, parse_platform
from .trust.manifests import MANIFEST_JSON, SHA256SUMS

# Environment archives are what kernel creation unpacks: tarfile's formats, so no .zip
# and no .tar.zst (the standard library reads zstd only from Python 3.14).
ENV_ARCHIVE_ENDINGS = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar")
_ENV_STEM = re.compile(r"[-._]env$", re.IGNORECASE)
_DATASETS = {
    "csv": "csv",
    "tsv": "tsv",
    "parquet": "parquet",
    "pq": "parquet",
    "json": "json",
    "jsonl": "jsonl",
    "ndjson": "jsonl",
    "feather": "feather",
    "arrow": "arrow",
    "xlsx": "xlsx",
    "xls": "xls",
    "orc": "orc",
    "avro": "avro",
    "h5": "hdf5",
    "hdf5": "hdf5",
    "nc": "netcdf",
    "npy": "npy",
    "npz": "npz",
}
# Compression that pandas and pyarrow undo by themselves, so "x.csv.gz" is still a CSV.
_COMPRESSIONS = {"gz": "gzip", "bz2": "bz2", "xz": "xz", "zst": "zstd", "zip": "zip"}
# conda's <name>-<version>-<build>: none of the three may hold a dash.
_CONDA = re.compile(r"(?P<name>[\w.+]+(?:-[\w.+]+)*)-(?P<version>[\w.!+]+)-(?P<build>[\w.+]+)")
_SUBDIR = re.compile(r"noarch|(?:linux|osx|win|freebsd|emscripten|wasi|zos)-\w+")
_CONDA_PYTHON = re.compile(r"(?<![a-z])py(\d)(\d+)")
_INTERPRETER = re.compile(r"([a-z]+?)(\d)(\d*)")
_IMPLEMENTATIONS = {"cp": "CPython", "pp": "PyPy", "py": "Python", "gp": "GraalPy"}
_OS_WORDS = {"linux": "Linux", "macos": "macOS", "windows": "Windows"}


_CONDA_INDEXES = frozenset({"repodata.json", "current_repodata.json", "channeldata.json"})


def classify(name: str) -> dict[str, Any]:
    """``{"kind": ..., <details>}`` for an object key or relative path; never raises.

    Only the last path component is read, except for conda packages, whose ``subdir`` is
    taken from the folder they are in when it is named like one (``.../linux-64/x.conda``,
    as in a channel) and is None otherwise. Kinds and details:

    - ``wheel``: name (normalized), version, build (build tag or None), tags (each
      compressed set expanded, e.g. ``py2.py3-none-any`` gives two), python, abi, platform;
    - ``sdist``: name, version;  ``conda``: name, version, build, subdir;
    - ``env-archive``: format (an ENV_ARCHIVE_ENDINGS ending without its dot);
    - ``dataset``: format ("csv", "parquet", ...), compression ("gzip", ... or None);
    - ``manifest``: format ("sha256sums", "json", or "conda-index" for repodata.json);
    - ``other``: problem (when it has one).

    Environment archives: conda-pack and venv-pack write ``<env>.tar.gz`` (or .tgz, ...),
    which is what an sdist looks like too. The rule: an archive whose name before the
    extension ends in ``-env``, ``.env`` or ``_env`` is an environment archive (a ``.tar.bz2``
    too, else it is a conda package); otherwise a ``.tar.gz`` or ``.zip`` named as an sdist
    (``<name>-<version>``, a valid version) is an sdist, and any other tar archive is an
    environment archive. Any other ``.zip`` is "other": kernel creation cannot unpack it.
    """
    folders, _, base = name.rpartition("/")
    lower = base.lower()
    if base == SHA256SUMS:
        return {"kind": "manifest", "format": "sha256sums"}
    if base == MANIFEST_JSON:
        return {"kind": "manifest", "format": "json"}
    if base == "bundle.json":
        # A transfer bundle's own description (``jupyter airlock bundle``): not a dataset.
        return {"kind": "manifest", "format": "bundle"}
    if base in _CONDA_INDEXES:
        # A conda channel's own index lists its packages with their sums: not a dataset.
        return {"kind": "manifest", "format": "conda-index"}
    if lower.endswith(".whl"):
        return _wheel(base[:-4] + ".whl")
    if lower.endswith(".conda"):
        return _conda(base[: -len(".conda")], ".conda", folders)
    dataset = _dataset(lower)
    if dataset is not None:
        return dataset
    extension = next((ext for ext in (*ENV_ARCHIVE_ENDINGS, ".zip") if lower.endswith(ext)), None)
    if extension is None:
        return {"kind": "other"}
    stem = base[: -len(extension)]
    if _ENV_STEM.search(stem) and extension != ".zip":
        return {"kind": "env-archive", "format": extension[1:]}
    if extension == ".tar.bz2":
        return _conda(stem, extension, folders)
    if extension in (".tar.gz", ".zip"):
        try:
            project, version = parse_sdist_filename(stem + extension)
        except ValueError:  # not <name>-<version>: the archive of an environment
            pass
        else:
            return {"kind": "sdist", "name": project, "version": str(version)}
    if extension == ".zip" and _ENV_STEM.search(stem):
        problem = "a .zip cannot become a kernel: pack the environment as .tar.gz instead"
        return {"kind": "other", "problem": problem}
    if extension == ".zip":
        return {"kind": "other"}
    return {"kind": "env-archive", "format": extension[1:]}


def _wheel(base: str) -> dict[str, Any]:
    try:
        project, version, build, tag_set = parse_wheel_filename(base)
    except ValueError as error:
        return {"kind": "other", "problem": f"the wheel name {base!r} does not parse: {error}"}
    tags = sorted(tag_set, key=str)
    return {
        "kind": "wheel",
        "name": project,
        "version": str(version),
        "build": f"{build[0]}{build[1]}" if build else None,
        "tags": [str(tag) for tag in tags],
        "python": sorted({tag.interpreter for tag in tags}),
        "abi": sorted({tag.abi for tag in tags}),
        "platform": sorted({tag.platform for tag in tags}),
    }


def _conda(stem: str, extension: str, folders: str) -> dict[str, Any]:
    match = _CONDA.fullmatch(stem)
    if match is None:
        return {
            "kind": "other",
            "problem": f"the conda package name {stem + extension!r} does not parse: "
            f"expected <name>-<version>-<build>{extension}",
        }
    folder = folders.rpartition("/")[2]
    return {
        "kind": "conda",
        "name": match["name"],
        "version": match["version"],
        "build": match["build"],
        "subdir": folder if _SUBDIR.fullmatch(folder) else None,
    }


def _dataset(lower: str) -> dict[str, Any] | None:
    parts = lower.split(".")
    if len(parts) >= 2 and parts[-1] in _DATASETS:
        return {"kind": "dataset", "format": _DATASETS[parts[-1]], "compression": None}
    if len(parts) >= 3 and parts[-1] in _COMPRESSIONS and parts[-2] in _DATASETS:
        compression = _COMPRESSIONS[parts[-1]]
        return {"kind": "dataset", "format": _DATASETS[parts[-2]], "compression": compression}
    return None


def fit(
    info: dict[str, Any],
    supported: Sequence[str],
    platform_subdir: str | None = None,
    conda_env: bool | None = None,
) -> dict[str, Any]:
    """``{"fits": True | False | None, "reason": words | None}`` for ``info`` from classify().

    ``supported`` is the kernel interpreter's tags, best first (``supported_tags()``);
    ``platform_subdir`` its conda subdir. Wheels fit when one of their tags is supported;
    conda packages when their subdir (noarch, or the kernel's) and the ``pyXY`` of their
    build string agree with the kernel, and the kernel runs in a conda environment
    (``conda_env``: False for a virtual environment or a system Python, None if not known).
    None: not known, or not a package.
    """
    kind = info.get("kind")
    if kind not in ("wheel", "conda"):
        return {"fits": None, "reason": None}
    if not supported:
        return {"fits": None, "reason": "the tags of the kernel's Python are not known"}
    if kind == "conda":
        if conda_env is False:
            return {
                "fits": False,
                "reason": "a conda package goes into a conda environment; this kernel's "
                "is not one (install the package's wheel instead)",
            }
        return _fit_conda(info, supported, platform_subdir)
    wheel = [tag for text in info["tags"] for tag in sorted(parse_tag(text), key=str)]
    rank = {text: index for index, text in enumerate(supported)}
    matches = [str(tag) for tag in wheel if str(tag) in rank]
    if matches:
        best = min(matches, key=rank.__getitem__)
        return {"fits": True, "reason": f"the kernel's Python takes {best}"}
    return {"fits": False, "reason": _why_not(wheel, [parse_tag(t) for t in supported])}


def _why_not(wheel: list[Tag], kernel_sets: list[frozenset[Tag]]) -> str:
    """Why no tag of the wheel is the kernel's: its Python, then its ABI, then its platform."""
    kernel = [tag for tags in kernel_sets for tag in sorted(tags, key=str)]
    own = kernel[0]
    runs = _python_words(own.interpreter)
    pairs = {(tag.interpreter, tag.abi) for tag in kernel}
    usable = [tag for tag in wheel if (tag.interpreter, tag.abi) in pairs]
    if not usable:
        abis = _unique(tag.abi for tag in wheel if tag.interpreter == own.interpreter)
        if abis:
            return (
                f"this wheel needs the ABI {' or '.join(abis)}, the kernel's {runs} has {own.abi}"
            )
        wants = " or ".join(_unique(_python_words(tag.interpreter, tag.abi) for tag in wheel))
        return f"this wheel is for {wants}, the kernel runs {runs}"
    platforms = _unique(tag.platform for tag in usable)
    kernel_platforms = _unique(tag.platform for tag in kernel)
    if not set(platforms) & set(kernel_platforms):
        return _platform_reason(
            [parse_platform(p) for p in platforms],
            [parse_platform(p) for p in kernel_platforms if p != "any"],
        )
    shown = ", ".join(str(tag) for tag in wheel)
    return f"none of this wheel's tags ({shown}) is one the kernel's Python takes"


def _platform_reason(wheel: list[Platform], kernel: list[Platform]) -> str:
    """The nearest miss first: a C library or macOS too old, then another C library, CPU, OS."""
    if not kernel:
        return (
            "this wheel is built for one platform, the kernel's Python takes only pure-Python ones"
        )
    own = kernel[0]
    for platform in sorted(wheel, key=lambda p: p.version or (0, 0)):
        same = [k.version for k in kernel if _kind(k) == _kind(platform) and k.version]
        if platform.version and same and platform.version > max(same):
            return _too_old(platform, max(same))
    for platform in wheel:
        other_libc = platform.libc and not any(_kind(k) == _kind(platform) for k in kernel)
        if other_libc and platform.os == own.os == "linux" and platform.arch == own.arch:
            has = next((_libc_words(k) for k in kernel if k.libc), "neither")
            return f"built for Linux with {_libc_words(platform)}, the kernel's Linux has {has}"
    for platform in wheel:
        if platform.os == own.os:
            return (
                f"built for {_platform_words(platform)}, the kernel runs on {_platform_words(own)}"
            )
    systems = " and ".join(_unique(_OS_WORDS.get(p.os, p.tag) for p in wheel))
    return f"built for {systems}, the kernel runs on {_platform_words(own)}"


def _kind(platform: Platform) -> tuple[str, str | None, str | None]:
    return platform.os, platform.libc, platform.arch


def _too_old(platform: Platform, has: tuple[int, int]) -> str:
    needs, version = _dotted(platform.version), _dotted(has)
    if platform.os == "macos":
        return f"needs macOS {needs} or later, the kernel's macOS is {version}"
    prefix = platform.tag.removesuffix(f"_{platform.arch}")
    libc = "glibc" if platform.libc == "glibc" else "musl"
    return f"needs {libc} {needs} ({prefix}), the kernel has {version}"


def _libc_words(platform: Platform) -> str:
    return "glibc (manylinux)" if platform.libc == "glibc" else "musl libc (musllinux)"


def _platform_words(platform: Platform) -> str:
    system = _OS_WORDS.get(platform.os)
    return f"{system} {platform.arch}" if system and platform.arch else platform.tag


def _python_words(interpreter: str, abi: str | None = None) -> str:
    """``cp312`` -> "CPython 3.12"; with the stable ABI, "CPython 3.12 and later"."""
    match = _INTERPRETER.fullmatch(interpreter)
    if match is None:
        return interpreter
    implementation = _IMPLEMENTATIONS.get(match[1], match[1])
    version = f"{match[2]}.{match[3]}" if match[3] else match[2]
    later = " and later" if abi == "abi3" else ""
    return f"{implementation} {version}{later}"


def _fit_conda(
    info: dict[str, Any], supported: Sequence[str], platform_subdir: str | None
) -> dict[str, Any]:
    problems: list[str] = []
    unknown: list[str] = []
    agreed: list[str] = []
    subdir = info.get("subdir")
    if subdir == "noarch":
        agreed.append("noarch (any platform)")
    elif subdir is None:
        unknown.append("its platform (conda subdir) is not known from its name")
    elif platform_subdir is None:
        unknown.append("the kernel's conda platform is not known")
    elif subdir != platform_subdir:
        problems.append(f"built for {subdir}, the kernel runs on {platform_subdir}")
    else:
        agreed.append(subdir)
    if wants := _CONDA_PYTHON.search(str(info.get("build", ""))):
        needs = f"{wants[1]}.{wants[2]}"
        has = _kernel_python(supported)
        if has is None:
            unknown.append("the kernel's Python version is not known")
        elif needs != has:
            problems.append(f"built for Python {needs}, the kernel runs Python {has}")
        else:
            agreed.append(f"Python {has}")
    if problems:
        return {"fits": False, "reason": "; ".join(problems)}
    if unknown:
        return {"fits": None, "reason": "; ".join(unknown)}
    return {"fits": True, "reason": f"matches the kernel: {', '.join(agreed)}"}


def _kernel_python(supported: Sequence[str]) -> str | None:
    """The kernel's "3.11", from its best tag that names a Python version."""
    for tag in supported:
        match = _INTERPRETER.fullmatch(tag.split("-", 1)[0])
        if match and match[3]:
            return f"{match[2]}.{match[3]}"
    return None


def _dotted(version: tuple[int, int] | None) -> str:
    return ".".join(map(str, version or ()))


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
