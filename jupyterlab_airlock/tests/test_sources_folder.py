"""FolderSource on real temporary folders, and clean_key, which guards every source."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import os
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_airlock.errors import AirlockError
from jupyterlab_airlock.sources import FolderSource, Page, Source, clean_key, source_from_config

CSV = b"name,size\nalpha,1\nbeta,22\n"
MIB = 1 << 20
MANY = 25


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def failure(coro: Any) -> AirlockError:
    with pytest.raises(AirlockError) as caught:
        run(coro)
    return caught.value


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_bytes(b"not for the air gap")
    return folder


@pytest.fixture
def root(tmp_path: Path, outside: Path) -> Path:
    root = tmp_path / "exchange"
    (root / "data" / "sub").mkdir(parents=True)
    (root / "data" / "a.csv").write_bytes(CSV)
    (root / "many").mkdir()
    for i in range(MANY):
        (root / "many" / f"f{i:02d}.txt").write_text(str(i))
    for name in ("d1", "d2", "d3"):
        (root / "many" / name).mkdir()
    (root / "link-in.csv").symlink_to(root / "data" / "a.csv")
    (root / "link-out.txt").symlink_to(outside / "secret.txt")
    (root / "dir-out").symlink_to(outside)
    (root / "broken").symlink_to(root / "nowhere")
    os.mkfifo(root / "fifo")  # reading it would block: never offered
    return root


def source(root: Path) -> Source:
    return source_from_config({"kind": "folder", "path": str(root), "ca_bundle": "/ignored"})


def test_config_makes_a_folder_source(root: Path) -> None:
    src = source(root)
    assert isinstance(src, FolderSource)
    assert src.kind == "folder"
    assert src.describe() == str(root)
    with pytest.raises(AirlockError) as caught:
        source_from_config({"kind": "folder"})
    assert (caught.value.code, caught.value.status) == ("invalid-source", 400)
    assert "'path'" in caught.value.message


def test_listing_shows_folders_first_then_files_with_sizes_and_dates(root: Path) -> None:
    top = run(source(root).list())
    assert top.prefix == ""
    # Links out of the root, broken links and the FIFO are left out.
    assert top.folders == ["data/", "many/"]
    assert [entry.key for entry in top.entries] == ["link-in.csv"]
    data = run(source(root).list("data"))
    assert data.prefix == "data/"
    assert data.folders == ["data/sub/"]
    [csv] = data.entries
    assert (csv.key, csv.name, csv.size, csv.etag) == ("data/a.csv", "a.csv", len(CSV), None)
    assert csv.modified is not None
    modified = datetime.datetime.fromisoformat(csv.modified.replace("Z", "+00:00"))
    stamp = int((root / "data" / "a.csv").stat().st_mtime)
    assert modified == datetime.datetime.fromtimestamp(stamp, tz=datetime.timezone.utc)
    assert csv.modified.endswith("Z")
    assert json.loads(json.dumps(data.to_json()))["entries"] == [
        {
            "key": "data/a.csv",
            "name": "a.csv",
            "size": len(CSV),
            "modified": csv.modified,
            "etag": None,
        }
    ]


def test_listing_pages_through_a_folder_losing_nothing(root: Path) -> None:
    src = source(root)
    pages: list[Page] = []
    token = None
    while True:
        page = run(src.list("many/", token=token, limit=10))
        pages.append(page)
        token = page.next_token
        if token is None:
            break
    assert [len(page.folders) + len(page.entries) for page in pages] == [10, 10, 8]
    assert pages[0].folders == ["many/d1/", "many/d2/", "many/d3/"]  # folders first
    assert [folder for page in pages[1:] for folder in page.folders] == []
    keys = [entry.key for page in pages for entry in page.entries]
    assert keys == [f"many/f{i:02d}.txt" for i in range(MANY)]  # in order, none twice


def test_a_page_token_survives_files_appearing_and_a_bad_token_is_refused(root: Path) -> None:
    src = source(root)
    first = run(src.list("many", limit=5))
    (root / "many" / "a-new.txt").write_text("sorts before the token: not shown again")
    second = run(src.list("many", token=first.next_token, limit=5))
    assert [entry.key for entry in second.entries] == [f"many/f{i:02d}.txt" for i in range(2, 7)]
    error = failure(src.list("many", token="%%not-a-token"))
    assert (error.code, error.status) == ("invalid-token", 400)


def test_a_large_folder_is_served_page_by_page(tmp_path: Path) -> None:
    for i in range(5000):
        (tmp_path / f"{i:05d}.csv").touch()
    src = source(tmp_path)
    sizes = []
    keys: list[str] = []
    token = None
    while True:
        page = run(src.list(token=token, limit=2000))
        sizes.append(len(page.entries))
        keys += [entry.key for entry in page.entries]
        token = page.next_token
        if token is None:
            break
    assert sizes == [2000, 2000, 1000]
    # More than a page may hold is served as the largest page.
    assert len(run(src.list(limit=10_000)).entries) == 5000
    assert keys == [f"{i:05d}.csv" for i in range(5000)]


def test_links_out_of_the_root_are_refused(root: Path) -> None:
    src = source(root)
    for coro in (
        src.stat("link-out.txt"),
        src.read_range("link-out.txt", 0, 5),
        anext(src.stream("link-out.txt")),
        src.list("dir-out"),
        src.stat("dir-out/secret.txt"),
    ):
        error = failure(coro)
        assert (error.code, error.status) == ("outside-source", 403)
        assert str(root) in error.message
    # A link that stays inside is followed.
    assert run(src.read_range("link-in.csv", 0, 4)) == CSV[:4]


def test_keys_leaving_the_root_are_refused(root: Path) -> None:
    src = source(root)
    for key in ("../outside/secret.txt", "data/../../outside/secret.txt", "/etc/passwd"):
        for coro in (src.stat(key), src.read_range(key, 0, 5), src.list(key)):
            error = failure(coro)
            assert (error.code, error.status) == ("invalid-key", 400)


def test_stat_and_reads(root: Path) -> None:
    src = source(root)
    entry = run(src.stat("data//a.csv"))
    assert (entry.key, entry.size) == ("data/a.csv", len(CSV))
    assert run(src.read_range("data/a.csv", 5, 10)) == CSV[5:15]
    assert run(src.read_range("data/a.csv", len(CSV) - 3, 10)) == CSV[-3:]
    assert run(src.read_range("data/a.csv", len(CSV) + 3, 10)) == b""
    for key, code in (("data", "not-a-file"), ("fifo", "not-a-file"), ("data/", "invalid-key")):
        error = failure(src.stat(key))
        assert (error.code, error.status) == (code, 400)
    error = failure(src.stat("data/nope.csv"))
    assert (error.code, error.status) == ("not-found", 404)
    assert "data/nope.csv" in error.message
    error = failure(src.list("nope/"))
    assert (error.code, error.status) == ("not-found", 404)


def test_stream_reassembles_a_file_and_closes_it_early(root: Path) -> None:
    big = os.urandom(5 * MIB + 7)
    (root / "big.bin").write_bytes(big)
    src = source(root)

    async def collect() -> list[bytes]:
        return [chunk async for chunk in src.stream("big.bin", chunk_size=MIB)]

    chunks = run(collect())
    assert [len(chunk) for chunk in chunks] == [MIB] * 5 + [7]
    assert b"".join(chunks) == big

    def open_copies() -> int:
        return sum(
            os.path.realpath(f"/proc/self/fd/{fd}") == str(root / "big.bin")
            for fd in os.listdir("/proc/self/fd")
        )

    async def stop_early() -> tuple[int, int, int]:
        stream = src.stream("big.bin", chunk_size=MIB)
        await anext(stream)
        during = open_copies()
        await stream.aclose()
        closed = open_copies()

        async def consume() -> None:
            # aclosing: a cancelled ``async for`` alone leaves a generator suspended.
            async with contextlib.aclosing(src.stream("big.bin", chunk_size=1024)) as chunks:
                async for _ in chunks:
                    await asyncio.sleep(0.01)

        task = asyncio.create_task(consume())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return during, closed, open_copies()

    assert run(stop_early()) == (1, 0, 0)


def test_missing_root_is_404_naming_it(tmp_path: Path) -> None:
    error = failure(source(tmp_path / "not-mounted").list())
    assert (error.code, error.status) == ("source-not-found", 404)
    assert str(tmp_path / "not-mounted") in error.message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_unreadable_folder_is_403(root: Path) -> None:
    (root / "data").chmod(0)
    try:
        error = failure(source(root).list("data"))
    finally:
        (root / "data").chmod(0o755)
    assert (error.code, error.status) == ("access-denied", 403)


@pytest.mark.parametrize(
    ("key", "cleaned"),
    [("a//b", "a/b"), ("./a/./b/", "a/b/"), ("a/", "a/"), ("", ""), ("über/ü.csv", "über/ü.csv")],
)
def test_clean_key_normalises(key: str, cleaned: str) -> None:
    assert clean_key(key) == cleaned


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("..", "'..'"),
        ("a/../b", "'..'"),
        ("/etc/passwd", "absolute"),
        ("a\\..\\b", "backslash"),
        ("a\0b", "NUL"),
        ("x" * 1025, "1024 bytes"),
        ("é" * 513, "1024 bytes"),
    ],
)
def test_clean_key_refuses(key: str, why: str) -> None:
    with pytest.raises(AirlockError) as caught:
        clean_key(key)
    assert (caught.value.code, caught.value.status) == ("invalid-key", 400)
    assert why in caught.value.message
