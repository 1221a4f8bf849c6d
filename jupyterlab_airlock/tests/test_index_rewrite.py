"""Writing the static index again: files unchanged since the previous index are described
from it without being read; a file that changed, or whose manifest now gives another
sha256, is read again."""

from __future__ import annotations

import calendar
import hashlib
import json
import os
import time
from pathlib import Path

from jupyterlab_airlock.bundle.index_stores import FolderStore
from jupyterlab_airlock.bundle.index_writer import Written, write_index
from jupyterlab_airlock.package_index.layout import INDEX_FOLDER
from jupyterlab_airlock.sources import FolderSource

from .test_static_index import CLOSURE, UNRELATED, fill, run, write_sums
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


def index(folder: Path) -> tuple[Written, set[str]]:
    """Index ``folder``; what was written, and which package files were read."""
    source = ReadCounting(str(folder))
    written = run(write_index(source, FolderStore(folder)))
    return written, {key for key in source.read if key.endswith(".whl")}


def page(folder: Path, project: str) -> dict[str, dict[str, object]]:
    data = (folder / INDEX_FOLDER / "simple" / project / "index.json").read_bytes()
    return {item["filename"]: item for item in json.loads(data)["files"]}


def age(folder: Path) -> None:
    """Every file dated an hour ago, as files copied in before the index was written are."""
    then = time.time() - HOUR
    for path in folder.rglob("*.whl"):
        os.utime(path, (then, then))


def test_a_second_index_reads_only_the_files_that_changed(tmp_path: Path) -> None:
    folder = fill(tmp_path / "exchange")
    age(folder)
    first, read = index(folder)
    assert first.files_reused == 0
    assert len(read) == 4 + UNRELATED
    pages = {project: page(folder, project) for project in CLOSURE}

    again, read = index(folder)
    assert (again.files_reused, read, again.pages_written) == (4 + UNRELATED, set(), 0)
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
    third, read = index(folder)
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
