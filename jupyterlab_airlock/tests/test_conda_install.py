"""Offline conda installs with py-rattler: tiny packages built by the tests, a local channel,
real conda prefixes. airlock-a needs airlock-b >=2, which needs airlock-c; airlock-d is
unrelated; airlock-b comes in 1.0 and 2.0. Then the same through the REST API, into a
conda kernel, from a channel in the exchange folder."""

from __future__ import annotations

import asyncio
import fcntl
import json
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from jupyterlab_airlock.conda.link import install
from jupyterlab_airlock.conda.local_channel import index_packages
from jupyterlab_airlock.conda.records import installed_records, is_conda_prefix, read_repodata
from jupyterlab_airlock.conda.solve import CondaSolution, solve
from jupyterlab_airlock.errors import AirlockError
from jupyterlab_airlock.kernels.conda_bundle import create_kernel_from_conda_bundle
from jupyterlab_airlock.kernels.create import NewKernel

from . import condapackages
from .condabundles import exchange_config, make_conda_bundle
from .condapython import build_python
from .installs import finished, plan, start
from .test_kernel_create import job

PLATFORM = "linux-64"
PACKAGES = [
    ("airlock-a", "1.0", ["airlock-b >=2"]),
    ("airlock-b", "1.0", ["airlock-c >=1"]),
    ("airlock-b", "2.0", ["airlock-c >=1"]),
    ("airlock-c", "1.0", []),
    ("airlock-d", "1.0", []),
]


def build_all(folder: Path) -> list[Path]:
    return [condapackages.build(folder, name, version, deps) for name, version, deps in PACKAGES]


@pytest.fixture
def channel(tmp_path: Path) -> Path:
    """A local channel with a repodata.json, as a read bucket's conda channel has."""
    root = tmp_path / "channel"
    build_all(root / "noarch")
    condapackages.write_repodata(root / "noarch")
    return root


@pytest.fixture
def prefix(tmp_path: Path) -> Path:
    """An empty conda environment."""
    root = tmp_path / "env"
    (root / "conda-meta").mkdir(parents=True)
    return root


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """py-rattler's extracted packages, kept out of the user's own cache."""
    return tmp_path / "pkgs"


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def assert_whole(prefix: Path) -> None:
    """Every file in the prefix belongs to a package record, and every record's files are
    there: no package is half linked."""
    recorded = set()
    for meta in (prefix / "conda-meta").glob("*.json"):
        recorded.update(json.loads(meta.read_text())["files"])
    present = {
        str(p.relative_to(prefix))
        for p in prefix.rglob("*")
        if p.is_file() and p.relative_to(prefix).parts[0] != "conda-meta"
    }
    assert present == recorded


async def appears(path: Path) -> None:
    for _ in range(500):  # bounded at 5 s
        if await asyncio.to_thread(path.exists):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{path} never appeared")


def plan_of(solution: CondaSolution) -> list[tuple[str, str, str, str | None]]:
    return [(s.name, s.version, s.action, s.installed) for s in solution.steps]


async def install_specs(channel: Path, prefix: Path, cache: Path, specs: list[str]) -> list[str]:
    lines: list[str] = []
    solution = await solve(channel, specs, prefix, PLATFORM)
    assert solution.problems == ()
    await install(solution, channel, prefix, lines.append, cache_dir=cache)
    return lines


async def test_the_plan_for_a_is_a_and_its_dependencies_first(channel: Path, prefix: Path) -> None:
    solution = await solve(channel, ["airlock-a"], prefix, PLATFORM)

    assert solution.problems == ()
    assert plan_of(solution) == [
        ("airlock-c", "1.0", "install", None),
        ("airlock-b", "2.0", "install", None),
        ("airlock-a", "1.0", "install", None),
    ]
    assert [r.path for r in solution.to_fetch] == [
        "noarch/airlock-c-1.0-0.tar.bz2",
        "noarch/airlock-b-2.0-0.tar.bz2",
        "noarch/airlock-a-1.0-0.tar.bz2",
    ]
    assert installed_records(prefix) == []  # planning changes nothing


async def test_installing_links_a_b_and_c_from_the_local_channel(
    channel: Path, prefix: Path, cache: Path
) -> None:
    lines = await install_specs(channel, prefix, cache, ["airlock-a"])

    assert installed_records(prefix) == [
        ("airlock-a", "1.0", "0"),
        ("airlock-b", "2.0", "0"),
        ("airlock-c", "1.0", "0"),
    ]
    assert (prefix / "share/airlock-b/VERSION").read_text() == "2.0\n"
    assert not (prefix / "share/airlock-d").exists()
    assert lines == [
        "linked airlock-c 1.0 (0)",
        "linked airlock-b 2.0 (0)",
        "linked airlock-a 1.0 (0)",
    ]
    urls = {json.loads(p.read_text())["url"] for p in (prefix / "conda-meta").glob("*.json")}
    assert all(url.startswith(channel.as_uri() + "/noarch/") for url in urls)
    assert not (prefix / "CACHEDIR.TAG").exists()  # py-rattler's backup exclusion, undone
    assert_whole(prefix)


async def test_a_missing_dependency_is_named_with_who_needs_it_and_nothing_is_installed(
    channel: Path, prefix: Path, cache: Path
) -> None:
    (channel / "noarch/airlock-c-1.0-0.tar.bz2").unlink()
    condapackages.write_repodata(channel / "noarch")

    solution = await solve(channel, ["airlock-a"], prefix, PLATFORM)

    assert solution.steps == ()
    assert solution.problems == ("airlock-c >=1, needed by airlock-b 2.0, is not in the channel",)
    before = snapshot(prefix)
    with pytest.raises(AirlockError) as refused:
        await install(solution, channel, prefix, print, cache_dir=cache)
    assert refused.value.code == "conda-plan-unsolvable"
    assert snapshot(prefix) == before


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("airlock-z", "airlock-z is not in the channel"),
        ("airlock-a >=2", "airlock-a >=2 is not in the channel (available: airlock-a 1.0)"),
    ],
)
async def test_a_missing_request_is_named(
    channel: Path, prefix: Path, spec: str, problem: str
) -> None:
    solution = await solve(channel, ["airlock-d", spec], prefix, PLATFORM)

    assert solution.problems == (problem,)


@pytest.mark.parametrize("checked", ["sha256", "size"])
async def test_a_package_that_does_not_match_its_record_is_refused_and_nothing_changes(
    channel: Path, prefix: Path, cache: Path, checked: str
) -> None:
    if checked == "size":  # an older channel index, without sha256
        repodata = channel / "noarch/repodata.json"
        document = json.loads(repodata.read_text())
        for entry in document["packages"].values():
            del entry["sha256"]
        repodata.write_text(json.dumps(document))
    solution = await solve(channel, ["airlock-a"], prefix, PLATFORM)
    # The last package to link: its dependencies are fine and still must not go in.
    package = channel / "noarch/airlock-a-1.0-0.tar.bz2"
    package.write_bytes(package.read_bytes() + b"tampered")
    before = snapshot(prefix)

    with pytest.raises(AirlockError) as refused:
        await install(solution, channel, prefix, print, cache_dir=cache)

    assert refused.value.code == "checksum-mismatch"
    assert "noarch/airlock-a-1.0-0.tar.bz2" in refused.value.message
    assert checked in refused.value.message
    assert snapshot(prefix) == before


async def test_an_older_b_already_installed_is_upgraded_and_the_rest_kept(
    channel: Path, prefix: Path, cache: Path
) -> None:
    await install_specs(channel, prefix, cache, ["airlock-b <2", "airlock-d"])
    assert installed_records(prefix) == [
        ("airlock-b", "1.0", "0"),
        ("airlock-c", "1.0", "0"),
        ("airlock-d", "1.0", "0"),
    ]

    solution = await solve(channel, ["airlock-a"], prefix, PLATFORM)
    assert plan_of(solution) == [
        ("airlock-b", "2.0", "upgrade", "1.0"),
        ("airlock-a", "1.0", "install", None),
    ]
    lines: list[str] = []
    await install(solution, channel, prefix, lines.append, cache_dir=cache)

    assert lines == ["upgraded airlock-b 1.0 -> 2.0 (0)", "linked airlock-a 1.0 (0)"]
    assert installed_records(prefix) == [
        ("airlock-a", "1.0", "0"),
        ("airlock-b", "2.0", "0"),
        ("airlock-c", "1.0", "0"),
        ("airlock-d", "1.0", "0"),
    ]
    assert (prefix / "share/airlock-b/VERSION").read_text() == "2.0\n"
    assert_whole(prefix)


async def test_asking_for_an_older_b_plans_a_downgrade(
    channel: Path, prefix: Path, cache: Path
) -> None:
    await install_specs(channel, prefix, cache, ["airlock-b"])

    solution = await solve(channel, ["airlock-b <2"], prefix, PLATFORM)

    assert plan_of(solution) == [("airlock-b", "1.0", "downgrade", "2.0")]


async def test_another_build_of_the_installed_version_is_a_reinstall(
    channel: Path, prefix: Path, cache: Path
) -> None:
    await install_specs(channel, prefix, cache, ["airlock-c"])
    condapackages.build(channel / "noarch", "airlock-c", "1.0", build_string="1")
    condapackages.write_repodata(channel / "noarch")

    solution = await solve(channel, ["airlock-c=1.0=1"], prefix, PLATFORM)
    lines: list[str] = []
    await install(solution, channel, prefix, lines.append, cache_dir=cache)

    assert plan_of(solution) == [("airlock-c", "1.0", "reinstall", "1.0")]
    assert lines == ["reinstalled airlock-c 1.0 (1)"]
    assert installed_records(prefix) == [("airlock-c", "1.0", "1")]
    assert_whole(prefix)


async def test_what_is_installed_is_not_given_up_for_a_request(
    channel: Path, prefix: Path, cache: Path
) -> None:
    """airlock-a is there and needs airlock-b >=2: asking for an older airlock-b fails
    rather than break it."""
    await install_specs(channel, prefix, cache, ["airlock-a"])

    solution = await solve(channel, ["airlock-b <2"], prefix, PLATFORM)

    assert solution.steps == ()
    [problem] = solution.problems
    assert problem.startswith("The packages cannot be installed together with the packages")
    assert "airlock-b" in problem


async def test_a_plan_made_before_the_environment_changed_is_refused(
    channel: Path, prefix: Path, cache: Path
) -> None:
    solution = await solve(channel, ["airlock-a"], prefix, PLATFORM)
    await install_specs(channel, prefix, cache, ["airlock-b <2"])
    before = snapshot(prefix)

    with pytest.raises(AirlockError) as refused:
        await install(solution, channel, prefix, print, cache_dir=cache)

    assert refused.value.code == "conda-plan-stale"
    assert snapshot(prefix) == before


async def test_cancelling_finishes_the_package_under_way_and_starts_no_other(
    channel: Path, prefix: Path, tmp_path: Path
) -> None:
    await install_specs(channel, prefix, tmp_path / "earlier", ["airlock-c"])
    solution = await solve(channel, ["airlock-a"], prefix, PLATFORM)
    assert [step.name for step in solution.steps] == ["airlock-b", "airlock-a"]
    cache = tmp_path / "pkgs"
    cache.mkdir()
    lines: list[str] = []
    # py-rattler holds this lock on its cache while it links: holding it here stops the
    # transaction of airlock-b after it has begun (it creates CACHEDIR.TAG first).
    with (cache / ".cache.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            work = asyncio.ensure_future(
                install(solution, channel, prefix, lines.append, cache_dir=cache)
            )
            await appears(prefix / "CACHEDIR.TAG")
            work.cancel()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    with pytest.raises(asyncio.CancelledError):
        await work

    assert lines == ["linked airlock-b 2.0 (0)"]
    assert installed_records(prefix) == [("airlock-b", "2.0", "0"), ("airlock-c", "1.0", "0")]
    assert_whole(prefix)
    assert not (prefix / "CACHEDIR.TAG").exists()


async def test_loose_packages_are_indexed_into_a_channel_solve_can_use(
    tmp_path: Path, prefix: Path, cache: Path
) -> None:
    files = build_all(tmp_path / "bucket")  # no repodata.json
    channel = tmp_path / "indexed"

    records = await index_packages(files, channel)

    assert [(r.name, r.version, r.subdir, r.depends) for r in records] == [
        (name, version, "noarch", tuple(deps)) for name, version, deps in PACKAGES
    ]
    assert (channel / "noarch/repodata.json").is_file()
    await install_specs(channel, prefix, cache, ["airlock-a"])
    assert [name for name, _, _ in installed_records(prefix)] == [
        "airlock-a",
        "airlock-b",
        "airlock-c",
    ]


def write_not_a_package(folder: Path, kind: str) -> Path:
    if kind == "no-index-json":
        return condapackages.build(folder, "airlock-e", "1.0", index=False)
    names = {"not-an-archive": "notes-1.0-0.tar.bz2", "a-wheel": "airlock_e-1.0-py3-none-any.whl"}
    path = folder / names[kind]
    path.write_bytes(b"PK\x03\x04 not a conda package")
    return path


@pytest.mark.parametrize("kind", ["no-index-json", "not-an-archive", "a-wheel"])
async def test_a_file_that_is_not_a_conda_package_is_refused_by_name(
    tmp_path: Path, kind: str
) -> None:
    folder = tmp_path / "bucket"
    good = condapackages.build(folder, "airlock-d", "1.0")
    bad = write_not_a_package(folder, kind)
    channel = tmp_path / "indexed"

    with pytest.raises(AirlockError) as refused:
        await index_packages([good, bad], channel)

    assert refused.value.code == "invalid-conda-package"
    assert bad.name in refused.value.message
    assert not channel.exists()  # refused before anything was placed


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"packages": {', "is not valid JSON"),
        ("[]", "is not a JSON object"),
        ('{"packages": []}', '"packages" is not an object of file names'),
        (
            '{"packages": {"x-1-0.tar.bz2": {"name": "x", "build": "0"}}}',
            '"packages" entry "x-1-0.tar.bz2" has no "version"',
        ),
        (
            '{"packages.conda": {"../../x-1-0.conda": {"name": "x"}}}',
            '"packages.conda" entry "../../x-1-0.conda" is not a conda package file name',
        ),
    ],
)
def test_a_malformed_repodata_is_refused_naming_its_source(text: str, problem: str) -> None:
    with pytest.raises(AirlockError) as refused:
        read_repodata(text, "bucket/noarch/repodata.json", "noarch")

    assert refused.value.code == "invalid-repodata"
    assert refused.value.message.startswith("bucket/noarch/repodata.json ")
    assert problem in refused.value.message


def test_repodata_lists_both_package_formats(channel: Path) -> None:
    document = json.loads((channel / "noarch/repodata.json").read_text())
    entry = document["packages"].pop("airlock-d-1.0-0.tar.bz2")
    document["packages.conda"] = {"airlock-d-1.0-0.conda": entry}

    records = read_repodata(json.dumps(document), "repodata.json", "noarch")

    assert sorted(r.file_name for r in records) == [
        "airlock-a-1.0-0.tar.bz2",
        "airlock-b-1.0-0.tar.bz2",
        "airlock-b-2.0-0.tar.bz2",
        "airlock-c-1.0-0.tar.bz2",
        "airlock-d-1.0-0.conda",
    ]
    [d] = [r for r in records if r.name == "airlock-d"]
    assert (d.sha256, d.size) == (entry["sha256"], entry["size"])


@pytest.mark.parametrize(
    "spec",
    [
        "--index-url=https://example.org/simple",
        "-r requirements.txt",
        "https://example.org/noarch/airlock-a-1.0-0.tar.bz2",
        "./airlock-a-1.0-0.tar.bz2",
        "conda-forge::airlock-a",
        "airlock-a[url=https://example.org/a.conda]",
        "airlock-*",
        "",
    ],
)
async def test_a_spec_that_is_not_a_plain_package_spec_is_refused(
    channel: Path, prefix: Path, spec: str
) -> None:
    with pytest.raises(AirlockError) as refused:
        await solve(channel, [spec], prefix, PLATFORM)

    assert refused.value.code == "invalid-conda-spec"
    assert f"'{spec}'" in refused.value.message


async def test_only_a_conda_environment_is_planned_for(channel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    venv.mkdir()
    assert not is_conda_prefix(venv)

    with pytest.raises(AirlockError) as refused:
        await solve(channel, ["airlock-a"], venv, PLATFORM)

    assert refused.value.code == "not-a-conda-environment"


# Through the REST API: a conda kernel (a prefix py-rattler made from a conda bundle, with
# a python package made around this machine's interpreter: see condapython), and a mounted
# exchange folder that holds a channel: airlock-a (noarch) needs airlock-b >=2, which is
# for linux-64 (and, in 3.0, for linux-aarch64 only) and needs airlock-c (noarch).


@pytest.fixture
def exchange(tmp_path: Path) -> Path:
    packages = tmp_path / "built"
    files = [
        condapackages.build(packages, "airlock-a", "1.0", ["airlock-b >=2"]),
        condapackages.build(packages, "airlock-b", "2.0", ["airlock-c >=1"], subdir="linux-64"),
        condapackages.build(
            packages, "airlock-b", "3.0", ["airlock-c >=1"], subdir="linux-aarch64"
        ),
        condapackages.build(packages, "airlock-c", "1.0"),
    ]
    asyncio.run(index_packages(files, tmp_path / "exchange" / "conda"))
    return tmp_path / "exchange"


@pytest.fixture
def policy() -> dict[str, Any]:
    return {}


@pytest.fixture
def airlock_config(exchange: Path, policy: dict[str, Any]) -> dict[str, Any]:
    return exchange_config(exchange, policy)


@pytest.fixture
def conda_kernel(tmp_path: Path, jp_data_dir: Path) -> Path:
    """The prefix of kernel 'condakernel': python only, linked by py-rattler."""
    bundle = make_conda_bundle(tmp_path / "python-only", [build_python(tmp_path / "python")])
    return conda_kernel_from(bundle, tmp_path, jp_data_dir)


def conda_kernel_from(bundle: Path, tmp_path: Path, jp_data_dir: Path) -> Path:
    """Make kernel 'condakernel' (no ipykernel needed) from a conda bundle; its prefix."""
    asyncio.run(
        create_kernel_from_conda_bundle(
            bundle,
            NewKernel(
                "condakernel",
                "Conda kernel",
                jp_data_dir / "kernels",
                tmp_path / "envs",
                require_ipykernel=False,
            ),
            job()[0],
            cache_root=tmp_path / "cache",
        )
    )
    return tmp_path / "envs" / "condakernel"


A_KEY = "conda/noarch/airlock-a-1.0-0.tar.bz2"


async def test_a_plan_for_a_conda_kernel_lists_the_closure_for_its_platform_as_pip_plans_do(
    jp_fetch: Any, jp_serverapp: Any, conda_kernel: Path
) -> None:
    planned = await plan(jp_fetch, "condakernel", keys=[A_KEY])

    assert planned["ok"], planned
    assert planned["environment"]["kind"] == "conda"
    steps = [
        (s["name"], s["version"], s["action"], s["kind"], s["requested"], s["needed_by"])
        for s in planned["steps"]
    ]
    assert steps == [
        ("airlock-c", "1.0", "install", "conda", False, ["airlock-b 2.0"]),
        ("airlock-b", "2.0", "install", "conda", False, ["airlock-a 1.0"]),
        ("airlock-a", "1.0", "install", "conda", True, []),
    ]
    assert all(step["verified"] and step["sha256"] for step in planned["steps"])
    assert planned["summary"].startswith("3 packages for Conda kernel: 3 to install")

    job = await finished(jp_serverapp, jp_fetch, (await start(jp_fetch, planned["id"]))["id"])

    assert job["state"] == "succeeded", job["log"]
    assert [name for name, _, _ in installed_records(conda_kernel)] == [
        "airlock-a",
        "airlock-b",
        "airlock-c",
        "python",
    ]
    assert (conda_kernel / "share/airlock-b/VERSION").read_text() == "2.0\n"


@pytest.mark.parametrize("policy", [{"deny": ["airlock-c"]}])
async def test_the_policy_judges_every_package_of_a_conda_plan(
    jp_fetch: Any, conda_kernel: Path
) -> None:
    planned = await plan(jp_fetch, "condakernel", keys=[A_KEY])

    assert not planned["ok"]
    assert [step["name"] for step in planned["steps"]] == ["airlock-c", "airlock-b", "airlock-a"]
    assert planned["refused"] == [
        {
            "item": "airlock-c 1.0",
            "message": "airlock-c 1.0 is denied by the policy rule 'airlock-c'",
        }
    ]
    with pytest.raises(HTTPClientError) as refused:
        await start(jp_fetch, planned["id"])
    assert refused.value.code == 409
    assert not (conda_kernel / "share" / "airlock-a").exists()
