"""Writing the static index again: files unchanged since the previous index are described
from it without being read; a file that changed, or whose manifest now gives another
sha256, is read again. Two writers at once: the later manifest is refused, not written over
the other's (S3: a conditional PUT against moto; a folder: the serial checked)."""

from __future__ import annotations

import calendar
import hashlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.services import Service, start_moto
from jupyterlab_airlock.bundle.index_cli import index_source
from jupyterlab_airlock.bundle.index_stores import FolderStore, S3Store
from jupyterlab_airlock.bundle.index_writer import Written, write_index
from jupyterlab_airlock.errors import AirlockError
from jupyterlab_airlock.package_index.layout import INDEX_FOLDER
from jupyterlab_airlock.sources import FolderSource, S3Source

from .test_static_index import (
    CLOSURE,
    UNRELATED,
    aws,  # noqa: F401 (a fixture)
    bucket,
    fill,
    package_index,
    run,
    write_sums,
)
from .wheels import make_wheel

HOUR = 3600


class ReadCounting(FolderSource):
    """A folder source that notes the keys whose bytes are read."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.read: list[str] = []

    async def read_range(self, key: str, start: int, length: int, etag: str | None = None) -> bytes:
        self.read.append(key)
        return await super().read_range(key, start, length, etag)


def index(folder: Path, pages: list[str] | None = None) -> tuple[Written, set[str]]:
    """Index ``folder``; what was written, and which package files were read (and into
    ``pages``, the previous index's pages read)."""
    source = ReadCounting(str(folder))
    written = run(write_index(source, FolderStore(folder)))
    if pages is not None:
        pages += [key for key in source.read if key.startswith(INDEX_FOLDER + "simple/")]
    return written, {key for key in source.read if key.endswith(".whl")}


def page(folder: Path, project: str) -> dict[str, dict[str, object]]:
    data = (folder / INDEX_FOLDER / "simple" / project / "index.json").read_bytes()
    return {item["filename"]: item for item in json.loads(data)["files"]}


def age(folder: Path) -> None:
    """Every file dated an hour ago, as files copied in before the index was written are."""
    then = time.time() - HOUR
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, (then, then))


def test_a_second_index_reads_only_the_files_that_changed(tmp_path: Path) -> None:
    folder = fill(tmp_path / "exchange")
    age(folder)
    first, read = index(folder)
    assert first.files_reused == 0
    assert len(read) == 4 + UNRELATED
    pages = {project: page(folder, project) for project in CLOSURE}

    pages_read: list[str] = []
    again, read = index(folder, pages_read)
    assert (again.files_reused, read, again.pages_written) == (4 + UNRELATED, set(), 0)
    assert pages_read == []  # every page was made from what is there now: kept unread
    assert {project: page(folder, project) for project in CLOSURE} == pages

    # airlock-c is rebuilt with other contents and listed anew; airlock-b 1.0 keeps its
    # bytes and date, but its manifest now gives another sha256: both are read again.
    wheels = folder / "wheels"
    rebuilt = make_wheel(wheels, "airlock-c", "1.0", ["airlock-d"])
    listed = sorted(wheels.glob("*.whl"))
    write_sums(wheels, listed)
    sums = (
        (wheels / "SHA256SUMS")
        .read_text()
        .replace(
            hashlib.sha256((wheels / "airlock_b-1.0-py3-none-any.whl").read_bytes()).hexdigest(),
            "0" * 64,
        )
    )
    (wheels / "SHA256SUMS").write_text(sums)
    third, read = index(folder, pages_read)
    # Only the pages of the folder whose manifest changed are made again.
    wheels_pages = {f"{INDEX_FOLDER}simple/{p}/index.json" for p in CLOSURE}
    assert set(pages_read) == wheels_pages
    assert read == {"wheels/" + rebuilt.name, "wheels/airlock_b-1.0-py3-none-any.whl"}
    assert third.files_reused == 4 + UNRELATED - 2
    assert any("airlock_b-1.0-py3-none-any.whl is not the file" in p for p in third.problems)
    described = page(folder, "airlock-c")[rebuilt.name]
    assert described["hashes"] == {"sha256": hashlib.sha256(rebuilt.read_bytes()).hexdigest()}
    assert described["core-metadata"] != pages["airlock-c"][rebuilt.name]["core-metadata"]


def test_a_file_dated_when_the_index_was_written_is_read_again(tmp_path: Path) -> None:
    # Dates have whole seconds: a file rewritten in the second the index was written, with
    # the same size, would look unchanged; such files are not taken from the index.
    folder = fill(tmp_path / "exchange")
    index(folder)
    manifest = json.loads((folder / INDEX_FOLDER / "manifest.json").read_text())
    written = manifest["airlock-index"]["written"]
    moment = calendar.timegm(time.strptime(written, "%Y-%m-%dT%H:%M:%SZ"))
    for path in folder.rglob("*.whl"):
        os.utime(path, (moment, moment))
    again, read = index(folder)
    assert again.files_reused == 0
    assert len(read) == 4 + UNRELATED


# Two writers at once: the one whose manifest would replace the other's is refused.


@pytest.fixture(scope="module")
def moto() -> Iterator[Service]:
    service = start_moto()
    yield service
    service.stop()


class Racing(S3Store):
    """An S3 store that lets another whole index run finish just before its manifest is
    written: a second writer that started later and finished first."""

    def __init__(self, url: str, bucket: str) -> None:
        super().__init__(bucket, "approved", url, None)
        self.url = url

    async def put_manifest(self, data: bytes, replacing: str | None) -> None:
        await index_source(f"s3://{self.bucket}/approved", endpoint_url=self.url)
        await super().put_manifest(data, replacing)


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize("indexed_before", [False, True])
def test_a_writer_whose_manifest_another_replaced_meanwhile_is_refused(
    moto: Service, tmp_path: Path, indexed_before: bool
) -> None:
    name = f"racing-{int(indexed_before)}"
    s3 = bucket(moto, tmp_path, name, 3)
    if indexed_before:
        run(index_source(f"s3://{name}/approved", endpoint_url=moto.url))
    source = S3Source(name, "approved", endpoint_url=moto.url, region="us-east-1")
    with pytest.raises(AirlockError) as refused:
        run(write_index(source, Racing(moto.url, name)))
    assert refused.value.code == "index-conflict"
    assert "Run it again" in refused.value.message
    # The other writer's index stands, whole: its serial, and every page it lists.
    key = f"approved/{INDEX_FOLDER}manifest.json"
    manifest = json.loads(s3.get_object(Bucket=name, Key=key)["Body"].read())
    assert manifest["airlock-index"]["serial"] == 1 + indexed_before
    index = package_index(source, tmp_path / "cache")
    snapshot = run(index.snapshot(projects=CLOSURE))
    assert (snapshot.via, snapshot.note) == ("index", None)
    assert all(snapshot.projects[project] for project in CLOSURE)


class Overtaken(FolderStore):
    """A folder store whose run is overtaken by another whole run before its manifest."""

    async def settle(self) -> None:
        await index_source(str(self.root.parent))
        await super().settle()


def test_in_a_folder_a_writer_overtaken_by_another_is_refused(tmp_path: Path) -> None:
    folder = fill(tmp_path / "exchange")
    index(folder)
    with pytest.raises(AirlockError) as refused:
        run(write_index(FolderSource(str(folder)), Overtaken(folder)))
    assert refused.value.code == "index-conflict"
    manifest = json.loads((folder / INDEX_FOLDER / "manifest.json").read_text())
    assert manifest["airlock-index"]["serial"] == 2
