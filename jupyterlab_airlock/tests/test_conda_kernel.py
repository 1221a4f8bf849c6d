"""Kernels from conda bundles and from conda-pack archives, on the air-gap side, with real
parts: conda packages built by the tests and linked by py-rattler, the bundle's PyPI part
installed by uv, conda-pack 0.9 packing a prefix py-rattler made, its own conda-unpack.

No conda channel with a real ``python`` package can be reached from here: the bundles'
``python`` is the package of ``condapython.build_python``, made around this machine's
interpreter (its prefix has a ``pyvenv.cfg``, so the environment is its own sys.prefix).
ipykernel comes from the bundle's PyPI part: wheels packed back from the distributions
this test environment has installed (``condabundles.installed_wheels``).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import conda_pack
import pytest
from jupyter_client.kernelspec import KernelSpecManager

from jupyterlab_airlock.conda.records import installed_records
from jupyterlab_airlock.errors import AirlockError
from jupyterlab_airlock.kernels.conda_bundle import create_kernel_from_conda_bundle
from jupyterlab_airlock.kernels.create import NewKernel

from . import condapackages
from .condabundles import (
    exchange_config,
    installed_wheels,
    make_conda_bundle,
    rewrite_manifests,
)
from .condapython import (
    PREFIX_FILE,
    PYTHON_FULL_VERSION,
    PYTHON_VERSION,
    build_package,
    build_python,
)
from .test_kernel_create import job, nothing_made

SUBDIR = "linux-64"
# airlock-a needs airlock-b >=2, which needs airlock-c; airlock-native is for linux-64.
CHAIN = [
    ("airlock-a", "1.0", ["airlock-b >=2"]),
    ("airlock-b", "2.0", ["airlock-c >=1"]),
    ("airlock-c", "1.0", []),
]


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The conda packages of the bundles, by name: python, the chain, airlock-native."""
    folder = tmp_path_factory.mktemp("conda-packages")
    built = {
        name: condapackages.build(folder, name, version, deps) for name, version, deps in CHAIN
    }
    built["python"] = build_python(folder / SUBDIR)
    native = [f"python {PYTHON_VERSION}.*"]
    built["airlock-native"] = condapackages.build(
        folder, "airlock-native", "1.0", native, subdir=SUBDIR
    )
    return built


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return installed_wheels(tmp_path_factory.mktemp("wheels"))


@pytest.fixture
def places(tmp_path: Path) -> dict[str, Path]:
    return {"kernels_dir": tmp_path / "kernels", "envs_dir": tmp_path / "envs"}


def bundle_of(folder: Path, packages: dict[str, Path], *names: str) -> Path:
    """A conda bundle (no PyPI part) of the named packages."""
    return make_conda_bundle(folder, [packages[name] for name in names])


def create(
    bundle: Path,
    places: dict[str, Path],
    cache: Path,
    require_ipykernel: bool = False,
    link_scripts: bool = False,
) -> dict[str, Any]:
    context, _ = job()
    kernel = NewKernel("condaenv", "Conda env", **places, require_ipykernel=require_ipykernel)
    return asyncio.run(
        create_kernel_from_conda_bundle(
            bundle, kernel, context, cache_root=cache, link_scripts=link_scripts
        )
    )


def replace(path: Path, data: bytes) -> None:
    """A new file at ``path``: the channel's files are hard links to the shared packages."""
    path.unlink()
    path.write_bytes(data)


def refusal(bundle: Path, places: dict[str, Path], cache: Path) -> AirlockError:
    with pytest.raises(AirlockError) as refused:
        create(bundle, places, cache)
    assert nothing_made(places)
    return refused.value


def test_a_conda_bundle_becomes_a_prefix_with_every_package_linked_and_a_kernelspec(
    packages: dict[str, Path], places: dict[str, Path], tmp_path: Path
) -> None:
    names = ("python", "airlock-a", "airlock-b", "airlock-c", "airlock-native")
    bundle = bundle_of(tmp_path / "analysis", packages, *names)

    result = create(bundle, places, tmp_path / "cache")

    prefix = places["envs_dir"] / "condaenv"
    assert [name for name, _, _ in installed_records(prefix)] == sorted(names)
    assert (prefix / "share/airlock-b/VERSION").read_text() == "2.0\n"
    assert (prefix / PREFIX_FILE).read_text() == f"{prefix}\n"  # the placeholder rewritten
    python = prefix / "bin" / "python"
    said = subprocess.run([python, "-c", "import sys; print(sys.prefix)"], capture_output=True)
    assert said.stdout.decode().strip() == str(prefix)
    spec = KernelSpecManager(kernel_dirs=[str(places["kernels_dir"])]).get_kernel_spec("condaenv")
    assert spec.argv[0] == str(python)
    assert spec.metadata["airlock"]["conda"] == SUBDIR
    assert result["prefix"] == str(prefix)
    assert {"name": "python", "version": PYTHON_FULL_VERSION} in result["packages"]


def test_a_tampered_package_is_refused_by_name_and_nothing_is_made(
    packages: dict[str, Path], places: dict[str, Path], tmp_path: Path
) -> None:
    bundle = bundle_of(tmp_path / "tampered", packages, "python", "airlock-c")
    package = bundle / "channel/noarch/airlock-c-1.0-0.tar.bz2"
    replace(package, package.read_bytes() + b"\0")

    refused = refusal(bundle, places, tmp_path / "cache")

    assert refused.code == "checksum-mismatch"
    assert "channel/noarch/airlock-c-1.0-0.tar.bz2" in refused.message


def test_a_package_swapped_with_new_manifests_is_refused_by_bundle_json(
    packages: dict[str, Path], places: dict[str, Path], tmp_path: Path
) -> None:
    """Whoever swaps a package and writes the manifests again still does not match the
    sha256 that bundle.json gives."""
    bundle = bundle_of(tmp_path / "swapped", packages, "python", "airlock-c")
    other = condapackages.build(tmp_path / "other", "airlock-c", "1.0", ["airlock-evil"])
    replace(bundle / "channel/noarch/airlock-c-1.0-0.tar.bz2", other.read_bytes())
    rewrite_manifests(bundle)

    refused = refusal(bundle, places, tmp_path / "cache")

    assert refused.code == "checksum-mismatch"
    assert "channel/noarch/airlock-c-1.0-0.tar.bz2 has sha256" in refused.message
    assert "in its bundle.json: the bundle was changed after it was made" in refused.message


def test_a_missing_dependency_is_named_with_who_needs_it_and_nothing_is_made(
    packages: dict[str, Path], places: dict[str, Path], tmp_path: Path
) -> None:
    bundle = bundle_of(tmp_path / "incomplete", packages, "python", "airlock-a", "airlock-b")

    refused = refusal(bundle, places, tmp_path / "cache")

    assert refused.code == "bundle-incomplete"
    assert "airlock-c >=1, needed by airlock-b 2.0, is not in the channel" in refused.message


def test_a_package_for_another_platform_is_refused_by_name_and_nothing_is_made(
    packages: dict[str, Path], places: dict[str, Path], tmp_path: Path
) -> None:
    arm = condapackages.build(tmp_path / "arm", "airlock-arm", "1.0", subdir="linux-aarch64")
    bundle = make_conda_bundle(tmp_path / "arm-bundle", [packages["python"], arm])

    refused = refusal(bundle, places, tmp_path / "cache")

    assert refused.code == "invalid-bundle"
    assert "airlock-arm is for linux-aarch64, not linux-64" in refused.message


def test_a_package_whose_own_index_names_another_platform_is_refused(
    packages: dict[str, Path], places: dict[str, Path], tmp_path: Path
) -> None:
    """bundle.json lists the package as linux-64; its info/index.json says linux-aarch64."""
    arm = condapackages.build(tmp_path / "arm", "airlock-arm", "1.0", subdir="linux-aarch64")
    bundle = make_conda_bundle(tmp_path / "lying", [packages["python"], arm])
    (bundle / "channel/linux-aarch64/airlock-arm-1.0-0.tar.bz2").rename(
        bundle / "channel/linux-64/airlock-arm-1.0-0.tar.bz2"
    )
    described = json.loads((bundle / "bundle.json").read_text())
    [entry] = [p for p in described["packages"] if p["name"] == "airlock-arm"]
    entry.update(subdir="linux-64", file="channel/linux-64/airlock-arm-1.0-0.tar.bz2")
    (bundle / "bundle.json").write_text(json.dumps(described))
    rewrite_manifests(bundle)

    refused = refusal(bundle, places, tmp_path / "cache")

    assert refused.code == "wrong-conda-platform"
    assert "airlock-arm-1.0-0.tar.bz2 is a package for linux-aarch64" in refused.message


def test_a_bundle_for_another_platform_is_refused(
    packages: dict[str, Path], places: dict[str, Path], tmp_path: Path
) -> None:
    bundle = make_conda_bundle(tmp_path / "mac", [packages["airlock-c"]], subdir="osx-arm64")

    refused = refusal(bundle, places, tmp_path / "cache")

    assert refused.code == "bundle-platform"
    assert "is for osx-arm64" in refused.message
    assert "--platform linux-64" in refused.message


@pytest.mark.parametrize("allowed", [False, True])
def test_link_scripts_run_only_when_the_admin_allows_them(
    packages: dict[str, Path], places: dict[str, Path], tmp_path: Path, allowed: bool
) -> None:
    script = 'echo ran > "$PREFIX/post-link-ran"\n'
    scripted = build_package(
        tmp_path / "scripted", "airlock-scripted", "1.0", SUBDIR,
        files={"bin/.airlock-scripted-post-link.sh": script.encode()},
        executables=["bin/.airlock-scripted-post-link.sh"],
    )  # fmt: skip
    bundle = make_conda_bundle(tmp_path / "scripted-bundle", [packages["python"], scripted])

    create(bundle, places, tmp_path / "cache", link_scripts=allowed)

    ran = places["envs_dir"] / "condaenv" / "post-link-ran"
    assert ran.exists() is allowed


# Through the REST API: the bundle and the archive in a mounted exchange folder.


@pytest.fixture
def exchange(tmp_path: Path) -> Path:
    return tmp_path / "exchange"


@pytest.fixture
def policy() -> dict[str, Any]:
    return {}


@pytest.fixture
def airlock_config(exchange: Path, policy: dict[str, Any]) -> dict[str, Any]:
    return exchange_config(exchange, policy)


async def create_through_api(jp_fetch: Any, jp_serverapp: Any, key: str) -> dict[str, Any]:
    body = json.dumps({"key": key, "name": "condaenv", "display_name": "Conda env"})
    response = await jp_fetch("airlock", "kernels", "create", method="POST", body=body)
    job_id = json.loads(response.body)["id"]
    await jp_serverapp.web_app.settings["airlock"].jobs.wait(job_id)
    done: dict[str, Any] = json.loads((await jp_fetch("airlock", "jobs", job_id)).body)
    return done


async def run_cell(jp_serverapp: Any, kernel: str, code: str) -> str:
    """What ``code`` prints in a new kernel ``kernel`` the Jupyter server starts."""
    kernels = jp_serverapp.kernel_manager
    kernel_id = await kernels.start_kernel(kernel_name=kernel)
    client = kernels.get_kernel(kernel_id).client()
    client.start_channels()
    printed: list[str] = []
    try:
        await client.wait_for_ready(timeout=60)
        reply = await client.execute_interactive(
            code,
            timeout=60,
            output_hook=lambda message: printed.append(message["content"].get("text", "")),
        )
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        client.stop_channels()
        await kernels.shutdown_kernel(kernel_id, now=True)
    return "".join(printed).strip()


def env_of(job: dict[str, Any]) -> Path:
    return Path(job["result"]["prefix"])


async def test_a_conda_bundle_in_the_listing_becomes_a_kernel_that_runs_a_cell(
    jp_fetch: Any, jp_serverapp: Any, exchange: Path, packages: dict[str, Path],
    wheels: list[Path],
) -> None:  # fmt: skip
    folder = exchange / "bundles" / "conda-analysis"
    conda = [packages[name] for name in ("python", "airlock-a", "airlock-b", "airlock-c")]
    await asyncio.to_thread(make_conda_bundle, folder, conda, wheels, specs=["python", "airlock-a"])

    page = json.loads(
        (await jp_fetch("airlock", "artifacts", params={"prefix": "bundles/conda-analysis/"})).body
    )
    assert page["bundle"] == {
        "key": "bundles/conda-analysis/",
        "kind": "conda",
        "name": "conda-analysis",
        "python_version": PYTHON_VERSION,
        "platform": SUBDIR,
        "requirements": ["python", "airlock-a"],
        "files": 4 + len(wheels),
    }

    done = await create_through_api(jp_fetch, jp_serverapp, "bundles/conda-analysis/")

    assert done["state"] == "succeeded", done["log"]
    prefix = env_of(done)
    names = {package["name"] for package in done["result"]["packages"]}
    assert {"python", "airlock-a", "airlock-b", "airlock-c", "ipykernel"} <= names
    assert any(line == "linked airlock-a 1.0 (0)" for line in done["log"])
    cell = (
        "import sys, ipykernel\n"
        "print(sys.prefix, open(sys.prefix + '/share/airlock-b/VERSION').read())"
    )
    assert await run_cell(jp_serverapp, "condaenv", cell) == f"{prefix} 2.0"
    # The Kernels section lists the conda packages Python does not know, installed by conda.
    kernels = json.loads((await jp_fetch("airlock", "kernels")).body)["kernels"]
    [listed] = [kernel for kernel in kernels if kernel["name"] == "condaenv"]
    origin = {p["name"]: (p["installer"], p["ecosystem"]) for p in listed["packages"]}
    assert listed["kind"] == "conda"
    assert origin["airlock-c"] == origin["python"] == ("conda", "conda")
    assert origin["ipykernel"] == ("uv", "pypi")
    audit = jp_serverapp.web_app.settings["airlock"].audit.read()
    assert audit[-1]["action"] == "create-kernel"
    assert (audit[-1]["result"], audit[-1]["prefix"]) == ("succeeded", str(prefix))


@pytest.mark.parametrize(
    ("policy", "denied"),
    [
        ({"deny": ["airlock-c"]}, "airlock-c is denied by the policy rule 'airlock-c'"),
        ({"deny": ["traitlets"]}, "traitlets is denied by the policy rule 'traitlets'"),
    ],
)
async def test_a_denied_package_conda_or_pypi_refuses_the_whole_kernel(
    jp_fetch: Any, jp_serverapp: Any, jp_data_dir: Path, exchange: Path,
    packages: dict[str, Path], wheels: list[Path], denied: str,
) -> None:  # fmt: skip
    folder = exchange / "bundles" / "denied"
    conda = [packages[name] for name in ("python", "airlock-a", "airlock-b", "airlock-c")]
    await asyncio.to_thread(make_conda_bundle, folder, conda, wheels)

    done = await create_through_api(jp_fetch, jp_serverapp, "bundles/denied/")

    assert done["state"] == "failed"
    assert done["error"]["code"] == "policy-refused"
    assert denied.split(" is ")[0] in done["error"]["message"]
    assert "denied by the policy rule" in done["error"]["message"]
    assert not (jp_data_dir / "kernels" / "condaenv").exists()
    envs = jp_serverapp.web_app.settings["airlock"].kernel_factory._envs_dir
    assert not (envs / "condaenv").exists()
    audit = jp_serverapp.web_app.settings["airlock"].audit.read()
    assert (audit[-1]["action"], audit[-1]["result"]) == ("create-kernel", "failed")


async def test_a_conda_pack_archive_is_unpacked_and_its_conda_unpack_rewrites_the_prefix(
    jp_fetch: Any, jp_serverapp: Any, exchange: Path, packages: dict[str, Path],
    wheels: list[Path], tmp_path: Path,
) -> None:  # fmt: skip
    """A prefix py-rattler made (from a conda bundle, ipykernel from its PyPI part), packed
    by conda-pack, becomes a kernel elsewhere: conda-unpack rewrites the old prefix to the
    new one in the package file that held it, and no script names the old prefix."""
    made = tmp_path / "made"
    bundle = await asyncio.to_thread(
        make_conda_bundle, tmp_path / "bundle", [packages["python"], packages["airlock-c"]], wheels
    )
    context, _ = job()
    await create_kernel_from_conda_bundle(
        bundle,
        NewKernel("packed", "Packed", made / "kernels", made / "envs"),
        context,
        cache_root=tmp_path / "cache",
    )
    old = made / "envs" / "packed"
    (exchange / "envs").mkdir(parents=True)
    archive = exchange / "envs" / "analysis-env.tar.gz"
    await asyncio.to_thread(conda_pack.pack, prefix=str(old), output=str(archive), verbose=False)
    shutil.rmtree(made)  # the prefix is gone: nothing can lean on the old one

    done = await create_through_api(jp_fetch, jp_serverapp, "envs/analysis-env.tar.gz")

    assert done["state"] == "succeeded", done["log"]
    prefix = env_of(done)
    assert any("conda-unpack" in line for line in done["log"])
    assert (prefix / PREFIX_FILE).read_text() == f"{prefix}\n"
    # uv wrote the old prefix into its scripts' shebangs; conda-pack made them relocatable.
    assert str(old) not in (prefix / "bin" / "ipython").read_text()
    assert [name for name, _, _ in installed_records(prefix)] == ["airlock-c", "python"]
    assert await run_cell(jp_serverapp, "condaenv", "import sys; print(sys.prefix)") == str(prefix)
