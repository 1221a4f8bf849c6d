"""What each file of the read bucket is, and whether it fits a kernel, from names alone."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.tags import compatible_tags, cpython_tags, mac_platforms

from jupyterlab_airlock.environments.platforms import platform_subdir, supported_tags
from jupyterlab_airlock.kinds import classify, fit

KINDS = {"wheel", "sdist", "conda", "env-archive", "dataset", "manifest", "other"}
MAJOR, MINOR = sys.version_info[:2]
THIS = f"cp{MAJOR}{MINOR}"
GLIBC = os.confstr("CS_GNU_LIBC_VERSION") if sys.platform.startswith("linux") else None


def kernel_tags(python: tuple[int, int], platforms: Iterable[str]) -> list[str]:
    """The tags of a kernel that is not this machine, made as packaging makes them."""
    platforms = list(platforms)
    interpreter = f"cp{python[0]}{python[1]}"
    tags = [
        *cpython_tags(python, [interpreter], platforms),
        *compatible_tags(python, interpreter, platforms),
    ]
    return [str(tag) for tag in tags]


def glibc_platforms(newest: int, arch: str = "x86_64") -> list[str]:
    legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
    platforms = [f"linux_{arch}"]
    for level in range(newest, 4, -1):
        platforms.append(f"manylinux_2_{level}_{arch}")
        if level in legacy:
            platforms.append(f"{legacy[level]}_{arch}")
    return platforms


# A Linux x86_64 kernel with CPython 3.12 and glibc 2.17 (a CentOS 7 era host).
PY312_GLIBC217 = kernel_tags((3, 12), glibc_platforms(17))
PY312_MUSL11 = kernel_tags(
    (3, 12), ["linux_x86_64", "musllinux_1_1_x86_64", "musllinux_1_0_x86_64"]
)
PY311_MACOS12 = kernel_tags((3, 11), mac_platforms((12, 0), "arm64"))


@pytest.fixture(scope="module")
def machine() -> list[str]:
    """This machine's own tags, as the API would ask for the server's own kernel."""
    return asyncio.run(supported_tags(sys.executable))


def subset(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    assert {key: actual.get(key) for key in expected} == expected, actual


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "wheels/requests-2.32.3-py3-none-any.whl",
            {"kind": "wheel", "name": "requests", "version": "2.32.3", "tags": ["py3-none-any"]},
        ),
        (
            "numpy-2.1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            {
                "kind": "wheel",
                "name": "numpy",
                "version": "2.1.0",
                "build": None,
                "tags": [
                    "cp311-cp311-manylinux2014_x86_64",
                    "cp311-cp311-manylinux_2_17_x86_64",
                ],
                "python": ["cp311"],
                "abi": ["cp311"],
                "platform": ["manylinux2014_x86_64", "manylinux_2_17_x86_64"],
            },
        ),
        (
            "polars-1.5.0-cp38-abi3-manylinux_2_28_aarch64.whl",
            {"python": ["cp38"], "abi": ["abi3"], "platform": ["manylinux_2_28_aarch64"]},
        ),
        (
            "six-1.16.0-py2.py3-none-any.whl",
            {"tags": ["py2-none-any", "py3-none-any"], "python": ["py2", "py3"]},
        ),
        (
            "Pillow-10.4.0-cp312-cp312-macosx_11_0_arm64.whl",
            {"name": "pillow", "platform": ["macosx_11_0_arm64"]},
        ),
        ("pywin32-306-cp311-cp311-win_amd64.whl", {"kind": "wheel", "platform": ["win_amd64"]}),
        (
            "orjson-3.10.7-cp312-cp312-musllinux_1_2_x86_64.whl",
            {"platform": ["musllinux_1_2_x86_64"]},
        ),
        ("My_Pkg-1.0-2build-py3-none-any.whl", {"name": "my-pkg", "build": "2build"}),
        ("Shouty-1.0-PY3-none-any.WHL", {"kind": "wheel", "python": ["py3"]}),
        ("pandas-2.2.2.tar.gz", {"kind": "sdist", "name": "pandas", "version": "2.2.2"}),
        (
            "Django_Stubs-5.0.0rc1.zip",
            {"kind": "sdist", "name": "django-stubs", "version": "5.0.0rc1"},
        ),
        (
            "conda/linux-64/numpy-1.26.4-py311h64a7726_0.conda",
            {
                "kind": "conda",
                "name": "numpy",
                "version": "1.26.4",
                "build": "py311h64a7726_0",
                "subdir": "linux-64",
            },
        ),
        (
            "noarch/typing-extensions-4.12.2-pyha770c72_0.tar.bz2",
            {"kind": "conda", "name": "typing-extensions", "subdir": "noarch"},
        ),
        ("libzlib-1.3.1-h4ab18f5_1.conda", {"kind": "conda", "subdir": None}),
        ("envs/ml-env.tar.gz", {"kind": "env-archive", "format": "tar.gz"}),
        ("team_env-2024.tar.gz", {"kind": "sdist"}),  # an sdist name wins unless it ends in env
        ("analytics-1.0_env.tar.gz", {"kind": "env-archive", "format": "tar.gz"}),
        ("project.env.zip", {"kind": "other"}),  # kernel creation unpacks no zip
        ("pytorch.tgz", {"kind": "env-archive", "format": "tgz"}),
        ("torch-2.3-1.tgz", {"kind": "env-archive", "format": "tgz"}),
        ("gpu.tar.zst", {"kind": "other"}),  # nor zstd (Python's tarfile reads it from 3.14)
        ("gpu.tar.xz", {"kind": "env-archive", "format": "tar.xz"}),
        ("conda-env.tar", {"kind": "env-archive", "format": "tar"}),
        ("spark-env.tar.bz2", {"kind": "env-archive", "format": "tar.bz2"}),
        ("myenv.tar.gz", {"kind": "env-archive"}),
        ("data/iris.csv", {"kind": "dataset", "format": "csv", "compression": None}),
        ("sales.TSV", {"kind": "dataset", "format": "tsv"}),
        ("part-0000.snappy.parquet", {"kind": "dataset", "format": "parquet"}),
        ("events.jsonl.gz", {"kind": "dataset", "format": "jsonl", "compression": "gzip"}),
        ("logs.ndjson", {"kind": "dataset", "format": "jsonl"}),
        ("table.feather", {"kind": "dataset", "format": "feather"}),
        ("table.arrow", {"kind": "dataset", "format": "arrow"}),
        ("report.xlsx", {"kind": "dataset", "format": "xlsx"}),
        ("config.json", {"kind": "dataset", "format": "json"}),
        ("big.csv.zst", {"kind": "dataset", "format": "csv", "compression": "zstd"}),
        ("bundle/SHA256SUMS", {"kind": "manifest", "format": "sha256sums"}),
        ("manifest.json", {"kind": "manifest", "format": "json"}),
        ("README.md", {"kind": "other"}),
        ("folder/", {"kind": "other"}),
        ("", {"kind": "other"}),
    ],
)
def test_each_kind_is_told_from_its_name(name: str, expected: dict[str, Any]) -> None:
    subset(classify(name), expected)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("foo-1.0.whl", "the wheel name 'foo-1.0.whl' does not parse: Invalid wheel filename"),
        ("a-b-c-d-e-f-g.whl", "wrong number of parts"),
        ("foo-notaversion-py3-none-any.whl", "Invalid wheel filename (invalid version)"),
        ("-1.0-py3-none-any.whl", "Invalid project name"),
        (".whl", "does not parse"),
        ("numpy.conda", "the conda package name 'numpy.conda' does not parse: expected"),
        ("numpy-1.0.conda", "expected <name>-<version>-<build>.conda"),
        ("a--b.tar.bz2", "expected <name>-<version>-<build>.tar.bz2"),
    ],
)
def test_a_name_that_claims_a_kind_but_does_not_parse_is_other_with_the_problem(
    name: str, problem: str
) -> None:
    info = classify(name)
    assert info["kind"] == "other"
    assert problem in info["problem"]


@pytest.mark.parametrize(
    ("wheel", "fits", "reason"),
    [
        (
            "x-1-cp312-cp312-manylinux_2_17_x86_64.whl",
            True,
            "takes cp312-cp312-manylinux_2_17_x86_64",
        ),
        (
            "x-1-cp312-cp312-manylinux2014_x86_64.whl",
            True,
            "takes cp312-cp312-manylinux2014_x86_64",
        ),
        ("x-1-cp39-abi3-manylinux_2_12_x86_64.manylinux2010_x86_64.whl", True, "takes cp39-abi3-"),
        ("x-1-py2.py3-none-any.whl", True, "the kernel's Python takes py3-none-any"),
        (
            "x-1-cp311-cp311-manylinux_2_17_x86_64.whl",
            False,
            "this wheel is for CPython 3.11, the kernel runs CPython 3.12",
        ),
        (
            "x-1-cp313-abi3-manylinux_2_17_x86_64.whl",
            False,
            "this wheel is for CPython 3.13 and later, the kernel runs CPython 3.12",
        ),
        ("x-1-py2-none-any.whl", False, "this wheel is for Python 2, the kernel runs CPython 3.12"),
        (
            "x-1-pp310-pypy310_pp73-manylinux_2_17_x86_64.whl",
            False,
            "this wheel is for PyPy 3.10, the kernel runs CPython 3.12",
        ),
        (
            "x-1-cp312-cp312t-manylinux_2_17_x86_64.whl",
            False,
            "this wheel needs the ABI cp312t, the kernel's CPython 3.12 has cp312",
        ),
        (
            "x-1-cp312-cp312-manylinux_2_28_x86_64.whl",
            False,
            "needs glibc 2.28 (manylinux_2_28), the kernel has 2.17",
        ),
        (
            "x-1-cp312-cp312-macosx_11_0_arm64.whl",
            False,
            "built for macOS, the kernel runs on Linux x86_64",
        ),
        (
            "x-1-cp312-cp312-win_amd64.whl",
            False,
            "built for Windows, the kernel runs on Linux x86_64",
        ),
        (
            "x-1-cp312-cp312-macosx_10_9_x86_64.win_amd64.whl",
            False,
            "built for macOS and Windows, the kernel runs on Linux x86_64",
        ),
        (
            "x-1-cp312-cp312-manylinux_2_17_aarch64.whl",
            False,
            "built for Linux aarch64, the kernel runs on Linux x86_64",
        ),
        (
            "x-1-cp312-cp312-musllinux_1_2_x86_64.whl",
            False,
            "built for Linux with musl libc (musllinux), the kernel's Linux has glibc (manylinux)",
        ),
    ],
)
def test_wheels_are_judged_against_a_python_312_kernel_on_glibc_217(
    wheel: str, fits: bool, reason: str
) -> None:
    verdict = fit(classify(wheel), PY312_GLIBC217)
    assert verdict["fits"] is fits
    assert reason in verdict["reason"]


@pytest.mark.parametrize(
    ("wheel", "reason"),
    [
        (
            "x-1-cp312-cp312-manylinux_2_17_x86_64.whl",
            "built for Linux with glibc (manylinux), the kernel's Linux has musl libc (musllinux)",
        ),
        (
            "x-1-cp312-cp312-musllinux_1_2_x86_64.whl",
            "needs musl 1.2 (musllinux_1_2), the kernel has 1.1",
        ),
    ],
)
def test_wheels_are_judged_against_a_musl_kernel(wheel: str, reason: str) -> None:
    assert fit(classify(wheel), PY312_MUSL11) == {"fits": False, "reason": reason}


@pytest.mark.parametrize(
    ("wheel", "fits", "reason"),
    [
        ("x-1-cp311-cp311-macosx_11_0_arm64.whl", True, "takes cp311-cp311-macosx_11_0_arm64"),
        ("x-1-cp311-cp311-macosx_10_9_universal2.whl", True, "takes"),
        (
            "x-1-cp311-cp311-macosx_14_0_arm64.whl",
            False,
            "needs macOS 14.0 or later, the kernel's macOS is 12.0",
        ),
        (
            "x-1-cp311-cp311-macosx_10_9_x86_64.whl",
            False,
            "built for macOS x86_64, the kernel runs on macOS arm64",
        ),
        (
            "x-1-cp311-cp311-manylinux_2_17_x86_64.whl",
            False,
            "built for Linux, the kernel runs on macOS arm64",
        ),
    ],
)
def test_wheels_are_judged_against_a_macos_kernel(wheel: str, fits: bool, reason: str) -> None:
    verdict = fit(classify(wheel), PY311_MACOS12)
    assert verdict["fits"] is fits
    assert reason in verdict["reason"]


@pytest.mark.skipif(not GLIBC, reason="this checks a glibc Linux machine's own tags")
def test_wheels_are_judged_against_this_machines_own_python(machine: list[str]) -> None:
    arch = os.uname().machine
    glibc = GLIBC.split()[1] if GLIBC else ""
    newer = f"cp{MAJOR}{MINOR + 1}"

    assert fit(classify("x-1-py3-none-any.whl"), machine) == {
        "fits": True,
        "reason": "the kernel's Python takes py3-none-any",
    }
    native = fit(classify(f"x-1-{THIS}-{THIS}-manylinux2014_{arch}.whl"), machine)
    assert native == {
        "fits": True,
        "reason": f"the kernel's Python takes {THIS}-{THIS}-manylinux2014_{arch}",
    }
    assert fit(classify(f"x-1-{newer}-{newer}-manylinux2014_{arch}.whl"), machine) == {
        "fits": False,
        "reason": f"this wheel is for CPython {MAJOR}.{MINOR + 1}, "
        f"the kernel runs CPython {MAJOR}.{MINOR}",
    }
    assert fit(classify(f"x-1-{THIS}-{THIS}-manylinux_2_99_{arch}.whl"), machine) == {
        "fits": False,
        "reason": f"needs glibc 2.99 (manylinux_2_99), the kernel has {glibc}",
    }
    assert fit(classify(f"x-1-{THIS}-{THIS}-win_amd64.whl"), machine) == {
        "fits": False,
        "reason": f"built for Windows, the kernel runs on Linux {arch}",
    }


def test_conda_packages_are_judged_by_subdir_and_python(machine: list[str]) -> None:
    here = platform_subdir(machine)
    own = classify(f"{here}/numpy-1.26.4-py{MAJOR}{MINOR}h64a7726_0.conda")
    assert fit(own, machine, here) == {
        "fits": True,
        "reason": f"matches the kernel: {here}, Python {MAJOR}.{MINOR}",
    }
    elsewhere = fit(own, PY312_GLIBC217, "linux-64")
    assert elsewhere["fits"] is False
    assert elsewhere["reason"].endswith(
        f"built for Python {MAJOR}.{MINOR}, the kernel runs Python 3.12"
    )
    mac = classify("osx-arm64/scipy-1.14.0-py312h8f34cb0_0.conda")
    assert fit(mac, PY312_GLIBC217, "linux-64") == {
        "fits": False,
        "reason": "built for osx-arm64, the kernel runs on linux-64",
    }
    pure = classify("noarch/attrs-24.2.0-pyh71513ae_0.conda")
    assert fit(pure, PY312_GLIBC217, "linux-64") == {
        "fits": True,
        "reason": "matches the kernel: noarch (any platform)",
    }
    library = classify("linux-64/libzlib-1.3.1-h4ab18f5_1.conda")
    assert fit(library, PY312_GLIBC217, "linux-64")["fits"] is True


def test_a_conda_package_whose_platform_is_not_known_fits_maybe() -> None:
    loose = classify("pandas-2.2.2-py312hf9745ba_1.tar.bz2")
    assert fit(loose, PY312_GLIBC217, "linux-64") == {
        "fits": None,
        "reason": "its platform (conda subdir) is not known from its name",
    }
    placed = classify("linux-64/pandas-2.2.2-py312hf9745ba_1.tar.bz2")
    assert fit(placed, PY312_GLIBC217, None) == {
        "fits": None,
        "reason": "the kernel's conda platform is not known",
    }
    assert fit(classify("pandas-2.2.2-py311hf9745ba_1.conda"), PY312_GLIBC217)["fits"] is False


def test_a_conda_package_does_not_fit_a_kernel_outside_a_conda_environment() -> None:
    noarch = classify("airlock-demo-units-1.0-py_0.tar.bz2")
    assert noarch["kind"] == "conda"
    outside = fit({**noarch, "subdir": "noarch"}, PY312_GLIBC217, "linux-64", conda_env=False)
    assert outside["fits"] is False
    assert "conda environment" in outside["reason"]
    inside = fit({**noarch, "subdir": "noarch"}, PY312_GLIBC217, "linux-64", conda_env=True)
    assert inside["fits"] is True


@pytest.mark.parametrize(
    "name", ["data.csv", "pandas-2.2.2.tar.gz", "ml-env.tar.gz", "SHA256SUMS", "x.txt", "x.whl"]
)
def test_files_that_are_not_packages_have_no_fit(name: str) -> None:
    assert fit(classify(name), PY312_GLIBC217, "linux-64") == {"fits": None, "reason": None}


def test_without_the_kernels_tags_a_package_fits_maybe() -> None:
    verdict = fit(classify("x-1-py3-none-any.whl"), [])
    assert verdict == {"fits": None, "reason": "the tags of the kernel's Python are not known"}


# Pieces of real names, so that the fuzzing reaches past the first check of each kind.
PIECES = st.sampled_from(
    [
        "numpy",
        "-",
        "_",
        ".",
        "1.0",
        "cp311",
        "abi3",
        "py3",
        "none",
        "any",
        "manylinux_2_17",
        "x86_64",
        "env",
        "/",
        "linux-64",
        "noarch",
        "..",
        " ",
        "\x00",
        "é",
        "+",
        "!",
        "tar",
    ]
)
ARCHIVES = [".tar.bz2", ".tar.gz", ".tgz", ".tar.xz", ".tar", ".tar.zst", ".zip"]
SUFFIXES = st.sampled_from([".whl", ".conda", *ARCHIVES, ".csv.gz", ".json", ""])
NAMES = st.one_of(st.text(), st.builds(lambda p, s: "".join(p) + s, st.lists(PIECES), SUFFIXES))


@settings(
    max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=NAMES)
def test_no_name_makes_classify_or_fit_fail(name: str, machine: list[str]) -> None:
    info = classify(name)
    assert info["kind"] in KINDS
    for kernel in (machine, PY312_MUSL11, PY311_MACOS12):
        verdict = fit(info, kernel, platform_subdir(kernel))
        assert verdict["fits"] in (True, False, None)


def test_a_conda_channel_index_is_not_a_dataset() -> None:
    assert classify("conda/noarch/repodata.json") == {"kind": "manifest", "format": "conda-index"}
