"""The served index (``/airlock/index/``) of a folder with a static index: project pages
give what the index knows (requires-python, the METADATA's hash: PEP 714), and the project
list is the index's list alone, no page read; a list older than the files is not used.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_airlock.bundle.index_cli import index_source
from jupyterlab_airlock.package_index.layout import INDEX_FOLDER

from .test_static_index import CLOSURE, fill, write_sums
from .wheels import make_wheel

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
UNRELATED = 5
PYTHON = ">=3.8"


def with_requires_python(wheel: Path, specifier: str) -> Path:
    """``wheel`` rewritten with a ``Requires-Python`` in its METADATA."""
    with zipfile.ZipFile(wheel) as read:
        members = {name: read.read(name) for name in read.namelist()}
    with zipfile.ZipFile(wheel, "w") as written:
        for name, data in members.items():
            if name.endswith(".dist-info/METADATA"):
                data += f"Requires-Python: {specifier}\n".encode()
            written.writestr(name, data)
    return wheel


@pytest.fixture
def exchange(tmp_path: Path) -> Path:
    folder = fill(tmp_path / "exchange", UNRELATED)
    wheels = folder / "wheels"
    with_requires_python(make_wheel(wheels, "airlock-py", "1.0"), PYTHON)
    write_sums(wheels, sorted(wheels.glob("*.whl")))
    return folder


@pytest.fixture
def airlock_config(exchange: Path) -> dict[str, Any]:
    source = {"kind": "folder", "path": str(exchange)}
    return {"profiles": [{"name": "exchange", "source": source}], "active_profile": "exchange"}


def read_keys(jp_serverapp: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys the server's source reads bytes of from now on."""
    source = jp_serverapp.web_app.settings["airlock"].index._source()
    read: list[str] = []
    original = source.read_range

    async def counting(key: str, *arguments: Any, **options: Any) -> bytes:
        read.append(key)
        data: bytes = await original(key, *arguments, **options)
        return data

    monkeypatch.setattr(source, "read_range", counting)
    return read


async def test_pages_give_requires_python_and_the_metadata_hash(index: Any, exchange: Path) -> None:
    await index_source(str(exchange))
    page = json.loads((await index("simple/airlock-py/", JSON_TYPE)).body)
    [described] = page["files"]
    assert described["requires-python"] == PYTHON
    metadata = await index(described["url"].split("/airlock/index/", 1)[1] + ".metadata")
    assert metadata.code == 200
    served = {"sha256": hashlib.sha256(metadata.body).hexdigest()}
    assert described["core-metadata"] == described["data-dist-info-metadata"] == served
    assert b"Requires-Python: >=3.8" in metadata.body

    html = (await index("simple/airlock-py/")).body.decode()
    assert 'data-requires-python="&gt;=3.8"' in html
    assert f'data-core-metadata="sha256={served["sha256"]}"' in html
    # A file the index does not say requires a Python gets no such field.
    other = json.loads((await index("simple/airlock-a/", JSON_TYPE)).body)["files"][0]
    assert "requires-python" not in other


async def test_without_an_index_pages_still_flag_the_metadata(index: Any) -> None:
    [described] = json.loads((await index("simple/airlock-py/", JSON_TYPE)).body)["files"]
    assert described["core-metadata"] is True
    assert "requires-python" not in described  # a walk does not read the wheels


async def test_the_project_list_reads_the_index_list_and_no_page(
    index: Any, exchange: Path, jp_serverapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await index_source(str(exchange))
    read = read_keys(jp_serverapp, monkeypatch)
    listed = json.loads((await index("simple/", JSON_TYPE)).body)
    expected = sorted([*CLOSURE, "airlock-py", *(f"unrelated-{n}" for n in range(UNRELATED))])
    assert [project["name"] for project in listed["projects"]] == expected
    assert sorted(set(read)) == [
        INDEX_FOLDER + "manifest.json",
        INDEX_FOLDER + "manifests.json",
        INDEX_FOLDER + "simple/index.json",
    ], read
    html = (await index("simple/")).body
    assert b'<a href="airlock-py/">airlock-py</a>' in html


async def test_a_project_list_older_than_the_files_is_not_used(index: Any, exchange: Path) -> None:
    await index_source(str(exchange))
    wheels = exchange / "wheels"
    make_wheel(wheels, "airlock-new", "1.0")
    write_sums(wheels, sorted(wheels.glob("*.whl")))
    listed = json.loads((await index("simple/", JSON_TYPE)).body)
    assert {"name": "airlock-new"} in listed["projects"]
