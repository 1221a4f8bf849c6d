"""A hostile or stale static index changes nothing: a page leading out of the source or
into the index, of another project, with a bad hash, one whose sha256 is not its bin's,
100 MB documents, an older index served again: each is refused and the source is walked,
the plan saying why.

Real parts: wheels built here in a folder; the index written by ``jupyter airlock index``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_airlock.bundle.index_cli import index_source
from jupyterlab_airlock.package_index.index import IndexSnapshot
from jupyterlab_airlock.package_index.layout import INDEX_FOLDER
from jupyterlab_airlock.sources import FolderSource

from .test_static_index import CLOSURE, files_of, fill, package_index, run


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return fill(tmp_path / "exchange")


def hostile_page(folder: Path, change: Any, claimed: int | None = None) -> None:
    """Rewrite airlock-b's page with ``change`` and make its bin and the manifest agree
    (its bin claiming ``claimed`` bytes when given), as someone with write access to the
    bucket could."""
    root = folder / INDEX_FOLDER
    page_file = root / "simple" / "airlock-b" / "index.json"
    page = json.loads(page_file.read_bytes())
    change(page)
    data = json.dumps(page).encode()
    page_file.write_bytes(data)
    [bin_file] = [p for p in (root / "bins").iterdir() if b'"airlock-b"' in p.read_bytes()]
    bins = json.loads(bin_file.read_bytes())
    digest = hashlib.sha256(data).hexdigest()
    bins["projects"]["airlock-b"] = {"sha256": digest, "size": claimed or len(data)}
    bin_data = json.dumps(bins).encode()
    bin_file.write_bytes(bin_data)
    manifest_file = root / "manifest.json"
    manifest = json.loads(manifest_file.read_bytes())
    for entry in manifest["files"]:
        if entry["path"] == f"bins/{bin_file.name}":
            entry.update(sha256=hashlib.sha256(bin_data).hexdigest(), size=len(bin_data))
    manifest_file.write_text(json.dumps(manifest))


def traversal(page: dict[str, Any]) -> None:
    page["files"][0]["url"] = "../../../../outside/airlock_b-1.0-py3-none-any.whl"


def inside_the_index(page: dict[str, Any]) -> None:
    page["files"][0]["url"] = f"../../../{INDEX_FOLDER}airlock_b-1.0-py3-none-any.whl"


def another_project(page: dict[str, Any]) -> None:
    page["files"][0]["url"] = "../../../wheels/airlock_c-1.0-py3-none-any.whl"
    page["files"][0]["filename"] = "airlock_c-1.0-py3-none-any.whl"


def bad_hash(page: dict[str, Any]) -> None:
    page["files"][0]["hashes"] = {"sha256": "../etc"}


@pytest.mark.parametrize("change", [traversal, inside_the_index, another_project, bad_hash])
def test_a_hostile_page_is_refused_and_the_walk_serves_instead(
    folder: Path, tmp_path: Path, change: Any
) -> None:
    run(index_source(str(folder)))
    hostile_page(folder, change)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    index = package_index(FolderSource(str(folder)), tmp_path / "cache")
    snapshot = run(index.snapshot(projects=CLOSURE))
    assert snapshot.via == "walk"
    assert f"{INDEX_FOLDER}simple/airlock-b/index.json files[0] is invalid" in (snapshot.note or "")
    assert [f[0] for f in files_of(snapshot, "airlock-b")] == [
        "wheels/airlock_b-1.0-py3-none-any.whl",
        "wheels/airlock_b-2.0-py3-none-any.whl",
    ]
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert [p for p in after if p not in before and "cache" not in p.parts] == []


def test_a_page_whose_sha256_differs_from_its_bin_is_refused(folder: Path, tmp_path: Path) -> None:
    run(index_source(str(folder)))
    page = folder / INDEX_FOLDER / "simple" / "airlock-b" / "index.json"
    page.write_bytes(page.read_bytes().replace(b'"2.0"', b'"9.0"'))
    snapshot = run(
        package_index(FolderSource(str(folder)), tmp_path / "c").snapshot(projects=["airlock-b"])
    )
    assert snapshot.via == "walk"
    assert "not the document the index lists" in (snapshot.note or "")


def test_a_100_mb_document_is_refused_before_it_is_read(folder: Path, tmp_path: Path) -> None:
    run(index_source(str(folder)))
    page = folder / INDEX_FOLDER / "simple" / "airlock-b" / "index.json"
    manifest = folder / INDEX_FOLDER / "manifest.json"

    def snapshot(cache: str, **load: Any) -> IndexSnapshot:
        index = package_index(FolderSource(str(folder)), tmp_path / cache)
        taken: IndexSnapshot = run(index.snapshot(**load))
        return taken

    def grow(path: Path) -> None:
        with path.open("r+b") as opened:
            opened.truncate(100 << 20)  # sparse: only its size is large

    small = page.read_bytes()
    grow(page)  # the bin still gives the small size: one byte more than that is read
    taken = snapshot("a", projects=["airlock-b"])
    assert taken.via == "walk"
    assert "not the document the index lists" in (taken.note or "")
    page.write_bytes(small)
    hostile_page(folder, lambda _: None, claimed=100 << 20)
    grow(page)  # now the bin vouches for 100 MB: refused from the number alone
    taken = snapshot("b", projects=["airlock-b"])
    assert taken.via == "walk"
    assert "the index gives it 104.9 MB; a document is at most 16.8 MB" in (taken.note or "")
    grow(manifest)
    taken = snapshot("c")
    assert taken.via == "walk"
    assert "it is 104.9 MB, more than an index needs" in (taken.note or "")


def test_an_older_index_served_again_is_refused(folder: Path, tmp_path: Path) -> None:
    run(index_source(str(folder)))
    old = (folder / INDEX_FOLDER / "manifest.json").read_bytes()
    run(index_source(str(folder)))
    index = package_index(FolderSource(str(folder)), tmp_path / "cache")
    assert run(index.snapshot(projects=CLOSURE)).via == "index"
    (folder / INDEX_FOLDER / "manifest.json").write_bytes(old)
    snapshot = run(index.snapshot(fresh=True, projects=CLOSURE))
    assert snapshot.via == "walk"
    assert "older (serial 1) than one read before (serial 2)" in (snapshot.note or "")
