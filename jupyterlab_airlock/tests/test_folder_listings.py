"""A folder source keeps a directory's sorted listing until the directory changes."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_airlock.sources import FolderSource, Page
from jupyterlab_airlock.sources.listings import SETTLE_NS, Listing, Listings

HOUR = 3600


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The directories scanned from now on, in order."""
    seen: list[str] = []
    real = os.scandir

    def counted(path: Any) -> Any:
        seen.append(os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", counted)
    return seen


def settle(folder: Path) -> None:
    """Date the folder's last change an hour back, as for files that arrived a while ago:
    a listing of a folder changed just now is not kept (see SETTLE_NS)."""
    moment = time.time() - HOUR
    os.utime(folder, (moment, moment))


def names(page: Page) -> list[str]:
    return [folder.rstrip("/").rsplit("/", 1)[-1] for folder in page.folders] + [
        entry.name for entry in page.entries
    ]


def walk(src: FolderSource, prefix: str, limit: int) -> Iterator[Page]:
    token = None
    while True:
        page = run(src.list(prefix, token, limit))
        yield page
        token = page.next_token
        if token is None:
            return


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "drop"
    (folder / "sub").mkdir(parents=True)
    for i in range(10):
        (folder / f"f{i}.csv").write_bytes(b"x" * i)
    settle(folder)
    return folder


def test_pages_after_the_first_are_served_without_scanning_again(
    folder: Path, scans: list[str]
) -> None:
    src = FolderSource(str(folder.parent))
    pages = list(walk(src, "drop/", 3))
    assert [names(page) for page in pages] == [
        ["sub", "f0.csv", "f1.csv"],
        ["f2.csv", "f3.csv", "f4.csv"],
        ["f5.csv", "f6.csv", "f7.csv"],
        ["f8.csv", "f9.csv"],
    ]
    assert scans == [str(folder)]
    # The name filter is served from the same listing.
    assert names(run(src.list("drop/", starting="f"))) == [f"f{i}.csv" for i in range(10)]
    assert names(run(src.list("drop/", starting="f1"))) == ["f1.csv"]
    assert scans == [str(folder)]


@pytest.mark.parametrize("change", ["add", "remove", "rename"])
def test_adding_removing_or_renaming_a_file_is_seen_on_the_next_page(
    folder: Path, scans: list[str], change: str
) -> None:
    src = FolderSource(str(folder))
    first = run(src.list(limit=4))
    assert names(first) == ["sub", "f0.csv", "f1.csv", "f2.csv"]
    if change == "add":
        (folder / "f5b.csv").write_bytes(b"new")
        expected = ["f3.csv", "f4.csv", "f5.csv", "f5b.csv", "f6.csv", "f7.csv", "f8.csv"]
    elif change == "remove":
        (folder / "f4.csv").unlink()
        expected = ["f3.csv", "f5.csv", "f6.csv", "f7.csv", "f8.csv", "f9.csv"]
    else:
        (folder / "f4.csv").rename(folder / "g4.csv")
        expected = ["f3.csv", "f5.csv", "f6.csv", "f7.csv", "f8.csv", "f9.csv", "g4.csv"]
    rest = run(src.list(token=first.next_token, limit=7))
    assert names(rest) == expected
    assert len(scans) == 2  # the change made the kept listing stale


def test_sizes_and_dates_follow_a_file_rewritten_in_place(folder: Path, scans: list[str]) -> None:
    src = FolderSource(str(folder))
    before = {entry.name: entry for entry in run(src.list()).entries}
    (folder / "f3.csv").write_bytes(b"rewritten, longer")  # the folder's mtime stays
    moment = time.time() + HOUR
    os.utime(folder / "f3.csv", (moment, moment))
    after = {entry.name: entry for entry in run(src.list()).entries}
    assert len(scans) == 1  # the same listing...
    assert (before["f3.csv"].size, after["f3.csv"].size) == (3, 17)  # ...fresh sizes
    assert after["f3.csv"].modified != before["f3.csv"].modified
    (folder / "f3.csv").unlink()
    (folder / "f3.csv").mkdir()  # a file replaced by a folder is never offered as a file
    settle(folder)
    assert "f3.csv" not in [entry.name for entry in run(src.list()).entries]


def test_a_folder_changed_just_now_is_scanned_for_every_page(
    folder: Path, scans: list[str]
) -> None:
    # Another file may arrive within the same tick of the file system's clock, which would
    # leave the folder's mtime as it is: such a listing is used once.
    (folder / "late.csv").write_bytes(b"")
    src = FolderSource(str(folder))
    run(src.list())
    run(src.list())
    assert len(scans) == 2


def test_a_link_pointed_out_of_the_root_after_the_scan_is_not_listed(
    tmp_path: Path, folder: Path
) -> None:
    (tmp_path / "outside.csv").write_bytes(b"secret")
    link = folder / "link.csv"
    link.symlink_to(folder / "f1.csv")
    settle(folder)
    src = FolderSource(str(folder))
    assert "link.csv" in names(run(src.list()))
    # Re-pointing a link changes only the link: the folder's mtime stays.
    os.unlink(link)
    link.symlink_to(tmp_path / "outside.csv")
    settle(folder)
    assert "link.csv" not in names(run(src.list()))


def test_kept_listings_are_bounded_least_recently_used_first() -> None:
    old = time.time_ns() - 2 * SETTLE_NS
    listings = Listings(max_names=5)

    def listing(*files: str) -> Listing:
        return Listing.of((1, 2, old), (((1, name), False) for name in files))

    listings.keep("/a", listing("1", "2"), time.time_ns())
    listings.keep("/b", listing("3", "4"), time.time_ns())
    assert listings.get("/a", (1, 2, old)) is not None  # /b is now the least recent
    listings.keep("/c", listing("5", "6"), time.time_ns())
    assert listings.get("/b", (1, 2, old)) is None
    assert listings.get("/a", (1, 2, old)) is not None
    assert listings.get("/c", (1, 2, old)) is not None
    assert listings.get("/a", (1, 2, old + 1)) is None  # another mtime: stale
    listings.keep("/huge", listing(*"abcdef"), time.time_ns())  # larger than the bound
    assert listings.get("/huge", (1, 2, old)) is None
