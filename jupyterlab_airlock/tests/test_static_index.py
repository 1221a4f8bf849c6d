"""The static index: written by ``jupyter airlock index`` (and ``sign``), read a project at a
time, refused when stale, unsigned under require_signed, or hostile; then the source is
walked, as without an index, and the plan says why.

Real parts: wheels and conda packages built here in folders, moto's S3 server spoken to by
boto3 (its requests counted through botocore's events), OpenSSH signatures.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from demo.content import DEMO_AWS_ENV
from demo.services import Service, start_moto
from jupyterlab_airlock.active_source import ActiveSource, ActiveTrust
from jupyterlab_airlock.bundle.cli import main
from jupyterlab_airlock.bundle.index_cli import index_source
from jupyterlab_airlock.cache import ContentCache
from jupyterlab_airlock.installer.conda_channel import CondaChannel
from jupyterlab_airlock.package_index.documents import bin_path
from jupyterlab_airlock.package_index.files import walk_source
from jupyterlab_airlock.package_index.index import IndexSnapshot, PackageIndex
from jupyterlab_airlock.package_index.layout import INDEX_FOLDER, PYPI_JSON
from jupyterlab_airlock.sources import FolderSource, S3Source, Source
from jupyterlab_airlock.trust.policy import Policy

from . import condapackages
from .test_signatures import make_key
from .wheels import make_wheel

BUCKET = "indexed"
CLOSURE = ("airlock-a", "airlock-b", "airlock-c")
UNRELATED = 40


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def fill(folder: Path, unrelated: int = UNRELATED) -> Path:
    """airlock-a needs airlock-b needs airlock-c (two versions of b), listed in
    wheels/SHA256SUMS, beside ``unrelated`` wheels in other/ that no manifest lists."""
    wheels, other = folder / "wheels", folder / "other"
    wheels.mkdir(parents=True)
    other.mkdir()
    listed = [
        make_wheel(wheels, "airlock-a", "1.0", ["airlock-b>=1"]),
        make_wheel(wheels, "airlock-b", "1.0", ["airlock-c"]),
        make_wheel(wheels, "airlock-b", "2.0", ["airlock-c"]),
        make_wheel(wheels, "airlock-c", "1.0"),
    ]
    write_sums(wheels, listed)
    for number in range(unrelated):
        make_wheel(other, f"unrelated-{number}", "1.0")
    return folder


def write_sums(folder: Path, wheels: list[Path]) -> None:
    (folder / "SHA256SUMS").write_text(
        "".join(f"{hashlib.sha256(w.read_bytes()).hexdigest()}  {w.name}\n" for w in wheels)
    )


def package_index(
    source: Source, cache: Path, policy: Policy | None = None, signers: str = ""
) -> PackageIndex:
    active = ActiveSource(lambda: None, policy or Policy())
    trust = ActiveTrust(lambda: {}, active, ContentCache(cache / "trust"), signers)
    return PackageIndex(lambda: source, ContentCache(cache), trust)


def files_of(snapshot: IndexSnapshot, project: str) -> list[tuple[str, str, str | None, str]]:
    return [
        (f.entry.key, f.version, f.expected.sha256 if f.expected else None, f.trust.state)
        for f in snapshot.projects.get(project, [])
    ]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return fill(tmp_path / "exchange")


def test_the_index_gives_the_pages_a_walk_would_and_reads_only_those_asked_for(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["index", str(folder)]) == 0
    said = capsys.readouterr().out
    assert f"Indexed {3 + UNRELATED} project(s) ({4 + UNRELATED} file(s))" in said
    page = json.loads((folder / INDEX_FOLDER / "simple" / "airlock-b" / "index.json").read_bytes())
    assert [f["filename"] for f in page["files"]] == [
        "airlock_b-1.0-py3-none-any.whl",
        "airlock_b-2.0-py3-none-any.whl",
    ]
    wheel = folder / "wheels" / "airlock_b-2.0-py3-none-any.whl"
    described = page["files"][1]
    assert described["url"] == "../../../wheels/airlock_b-2.0-py3-none-any.whl"
    assert described["hashes"] == {"sha256": hashlib.sha256(wheel.read_bytes()).hexdigest()}
    assert described["size"] == wheel.stat().st_size
    assert "sha256" in described["core-metadata"]

    source = FolderSource(str(folder))
    walked = run(walk_source(source, None))
    index = package_index(source, tmp_path / "cache")

    async def read() -> IndexSnapshot:
        return await index.snapshot(projects=CLOSURE)

    snapshot = run(read())
    assert (snapshot.via, snapshot.note) == ("index", None)
    assert set(snapshot.projects) == set(CLOSURE)  # nothing else was read
    for project in CLOSURE:
        assert files_of(snapshot, project) == files_of(walked, project)
    assert files_of(snapshot, "airlock-b")[1][3] == "checksum"
    # An unlisted file is hashed for the page, but nothing vouches for it, as in a walk.
    unrelated = run(index.snapshot(projects=["unrelated-3"]))
    assert files_of(unrelated, "unrelated-3") == files_of(walked, "unrelated-3")
    assert files_of(unrelated, "unrelated-3")[0][2:] == (None, "unverified")


def test_a_second_index_writes_only_the_pages_that_changed(folder: Path) -> None:
    first = run(index_source(str(folder)))
    assert (first.serial, first.pages_written) == (1, 3 + UNRELATED)
    make_wheel(folder / "other", "unrelated-1", "2.0")
    second = run(index_source(str(folder)))
    assert (second.serial, second.pages_written) == (2, 1)


@pytest.fixture
def stale(folder: Path) -> Path:
    """An indexed folder to which airlock-b 3.0 came afterwards, listed in its manifest."""
    run(index_source(str(folder)))
    wheels = folder / "wheels"
    newer = make_wheel(wheels, "airlock-b", "3.0", ["airlock-c"])
    write_sums(wheels, sorted(wheels.glob("*.whl")))
    # A new second on the clock is not needed: the manifest's size changed.
    assert newer.exists()
    return folder


def test_a_page_older_than_its_folders_manifest_falls_back_to_a_walk_and_says_so(
    stale: Path, tmp_path: Path
) -> None:
    index = package_index(FolderSource(str(stale)), tmp_path / "cache")
    snapshot = run(index.snapshot(projects=["airlock-b"]))
    assert snapshot.via == "walk"
    assert "wheels/SHA256SUMS changed" in (snapshot.note or "")
    assert "jupyter airlock index" in (snapshot.note or "")
    assert [f[1] for f in files_of(snapshot, "airlock-b")] == ["1.0", "2.0", "3.0"]


def test_a_new_project_after_the_index_is_found_by_the_walk(stale: Path, tmp_path: Path) -> None:
    wheels = stale / "wheels"
    make_wheel(wheels, "airlock-new", "1.0")
    write_sums(wheels, sorted(wheels.glob("*.whl")))
    index = package_index(FolderSource(str(stale)), tmp_path / "cache")
    snapshot = run(index.snapshot(projects=["airlock-new"]))
    assert snapshot.via == "walk"
    assert [f[1] for f in files_of(snapshot, "airlock-new")] == ["1.0"]


def test_a_missing_project_of_an_unchanged_source_costs_no_walk(
    folder: Path, tmp_path: Path
) -> None:
    run(index_source(str(folder)))
    index = package_index(FolderSource(str(folder)), tmp_path / "cache")
    snapshot = run(index.snapshot(projects=["no-such-project"]))
    assert (snapshot.via, snapshot.projects) == ("index", {})


def test_a_source_without_an_index_is_walked_and_the_note_says_so(
    folder: Path, tmp_path: Path
) -> None:
    snapshot = run(package_index(FolderSource(str(folder)), tmp_path / "c").snapshot())
    assert snapshot.via == "walk"
    assert f"no index ({INDEX_FOLDER})" in (snapshot.note or "")


@pytest.fixture
def signers(tmp_path: Path) -> tuple[Path, Path]:
    keys = tmp_path / "keys"
    keys.mkdir()
    key, public = make_key(keys, "scanner")
    allowed = keys / "allowed_signers"
    allowed.write_text(f'scanner@dmz namespaces="airlock" {public}\n')
    return key, allowed


def test_sign_writes_the_index_and_signs_it_and_require_signed_trusts_it(
    folder: Path, tmp_path: Path, signers: tuple[Path, Path]
) -> None:
    key, allowed = signers
    wheels = str(folder / "wheels")
    assert main(["sign", wheels, "--key", str(key), "--as", "wheels/", "--no-index"]) == 0
    assert main(["sign", str(folder), "--key", str(key)]) == 0
    assert (folder / INDEX_FOLDER / "manifest.json.sig").is_file()
    strict = Policy(require_signed=True)
    index = package_index(FolderSource(str(folder)), tmp_path / "cache", strict, str(allowed))
    snapshot = run(index.snapshot(projects=CLOSURE))
    assert (snapshot.via, snapshot.note) == ("index", None)
    assert {f.trust.principal for p in CLOSURE for f in snapshot.projects[p]} == {"scanner@dmz"}
    assert all(snapshot.refusal(strict, f) is None for p in CLOSURE for f in snapshot.projects[p])


def test_an_unsigned_index_is_not_used_under_require_signed(
    folder: Path, tmp_path: Path, signers: tuple[Path, Path]
) -> None:
    run(index_source(str(folder)))
    _, allowed = signers
    strict = Policy(require_signed=True)
    index = package_index(FolderSource(str(folder)), tmp_path / "cache", strict, str(allowed))
    snapshot = run(index.snapshot(projects=CLOSURE))
    assert snapshot.via == "walk"
    assert "not signed, and the policy requires signatures" in (snapshot.note or "")
    # Without the rule the same index serves, vouching by checksum.
    relaxed = package_index(FolderSource(str(folder)), tmp_path / "c2", Policy(), str(allowed))
    assert run(relaxed.snapshot(projects=CLOSURE)).via == "index"


def test_an_index_signed_by_an_unknown_key_is_not_used(
    folder: Path, tmp_path: Path, signers: tuple[Path, Path]
) -> None:
    stranger, _ = make_key(tmp_path, "stranger")
    assert main(["sign", str(folder), "--key", str(stranger)]) == 0  # the index alone
    assert (folder / INDEX_FOLDER / "manifest.json.sig").is_file()
    index = package_index(FolderSource(str(folder)), tmp_path / "cache", signers=str(signers[1]))
    snapshot = run(index.snapshot(projects=CLOSURE))
    assert snapshot.via == "walk"
    assert "not trusted" in (snapshot.note or "")


def test_loose_conda_packages_get_repodata_in_the_index(tmp_path: Path) -> None:
    folder = tmp_path / "exchange"
    channel = folder / "conda"
    channel.mkdir(parents=True)
    condapackages.build(channel, "airlock-cx", "1.0", ["airlock-cy >=1"])
    condapackages.build(channel, "airlock-cy", "1.0")
    written = run(index_source(str(folder)))
    assert written.conda == 2
    repodata = json.loads((folder / INDEX_FOLDER / "conda/noarch/repodata.json").read_bytes())
    assert sorted(repodata["packages"]) == ["airlock-cx-1.0-0.tar.bz2", "airlock-cy-1.0-0.tar.bz2"]
    index = package_index(FolderSource(str(folder)), tmp_path / "cache")
    served = json.loads(
        run(CondaChannel(index, ContentCache(tmp_path / "c"), Policy()).repodata("noarch"))
    )
    assert sorted(served["packages"]) == sorted(repodata["packages"])
    snapshot = run(index.snapshot(conda=True))
    assert snapshot.via == "index"
    assert sorted(f.entry.key for f in snapshot.conda) == [
        "conda/airlock-cx-1.0-0.tar.bz2",
        "conda/airlock-cy-1.0-0.tar.bz2",
    ]


# S3: the same index in a bucket, and what reading it costs in requests.


@pytest.fixture(scope="module")
def moto() -> Iterator[Service]:
    service = start_moto()
    yield service
    service.stop()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in DEMO_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


def bucket(moto: Service, tmp_path: Path, name: str, unrelated: int) -> Any:
    s3 = boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1")
    s3.create_bucket(Bucket=name)
    folder = fill(tmp_path / name, unrelated)
    for path in folder.rglob("*"):
        if path.is_file():
            s3.put_object(
                Bucket=name, Key=f"approved/{path.relative_to(folder)}", Body=path.read_bytes()
            )
    return s3


def counted(source: S3Source) -> Counter[str]:
    """The S3 requests ``source`` sends from now on, by operation."""
    sent: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        sent[model.name] += 1

    source._s3().meta.events.register("before-call.s3", count)
    return sent


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize("unrelated", [10, 120])
def test_in_a_bucket_a_plan_costs_the_closure_not_the_bucket(
    moto: Service, tmp_path: Path, unrelated: int
) -> None:
    name = f"indexed-{unrelated}"
    s3 = bucket(moto, tmp_path, name, unrelated)
    assert main(["index", f"s3://{name}/approved", "--endpoint-url", moto.url]) == 0
    page = s3.head_object(Bucket=name, Key=f"approved/{INDEX_FOLDER}simple/airlock-a/index.json")
    assert page["ContentType"] == PYPI_JSON
    source = S3Source(name, "approved", endpoint_url=moto.url, region="us-east-1")
    sent = counted(source)
    snapshot = run(package_index(source, tmp_path / "cache").snapshot(projects=CLOSURE))
    assert snapshot.via == "index"
    assert [f[1] for f in files_of(snapshot, "airlock-b")] == ["1.0", "2.0"]
    # The manifest (HEAD, GET); for each project its bin and page; wheels/SHA256SUMS (HEAD).
    bins = {bin_path(project) for project in CLOSURE}
    assert sent == {"HeadObject": 2, "GetObject": 1 + len(bins) + len(CLOSURE)}, sent


@pytest.mark.usefixtures("aws")
def test_signing_an_s3_prefix_signs_its_index(
    moto: Service, tmp_path: Path, signers: tuple[Path, Path]
) -> None:
    key, allowed = signers
    s3 = bucket(moto, tmp_path, "indexed-signed", 3)
    url = "s3://indexed-signed/approved"
    # The profile's source is the prefix: the signatures name folders relative to it.
    signing = ["sign", url, "--key", str(key), "--as", "", "--endpoint-url", moto.url]
    assert main(signing) == 0
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="indexed-signed")["Contents"]}
    assert f"approved/{INDEX_FOLDER}manifest.json.sig" in keys
    source = S3Source("indexed-signed", "approved", endpoint_url=moto.url, region="us-east-1")
    strict = Policy(require_signed=True)
    snapshot = run(
        package_index(source, tmp_path / "c", strict, str(allowed)).snapshot(projects=CLOSURE)
    )
    assert (snapshot.via, snapshot.note) == ("index", None)
    assert {f.trust.principal for p in CLOSURE for f in snapshot.projects[p]} == {"scanner@dmz"}


def test_a_file_whose_project_name_no_page_can_have_is_left_out_and_said(
    folder: Path, tmp_path: Path
) -> None:
    (folder / "other" / "Ünï-1.0-py3-none-any.whl").write_bytes(
        (folder / "other" / "unrelated_1-1.0-py3-none-any.whl").read_bytes()
    )
    written = run(index_source(str(folder)))
    assert any("'ünï' is not one a page can have" in problem for problem in written.problems)
    index = package_index(FolderSource(str(folder)), tmp_path / "cache")
    assert run(index.snapshot(projects=CLOSURE)).via == "index"


def test_requests_loading_the_same_pages_at_once_add_each_file_once(
    folder: Path, tmp_path: Path
) -> None:
    run(index_source(str(folder)))
    index = package_index(FolderSource(str(folder)), tmp_path / "cache")

    async def together() -> list[IndexSnapshot]:
        names = ["unrelated-1", "unrelated-2", *CLOSURE]
        return list(await asyncio.gather(*(index.snapshot(projects=names) for _ in range(4))))

    snapshots = run(together())
    assert all(snapshot is snapshots[0] for snapshot in snapshots)
    assert snapshots[0].problems == []
    assert len(snapshots[0].projects["unrelated-1"]) == 1
