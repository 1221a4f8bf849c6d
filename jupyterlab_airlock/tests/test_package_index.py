"""The artifact source as pip sees it: PEP 503 pages, PEP 691 JSON, PEP 658 metadata.

The source is a folder (the mounted exchange medium) holding wheels in two sub-folders,
one with a SHA256SUMS; the same file name twice with different contents; a name that does
not parse.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_airlock.pip import pip_environment
from jupyterlab_airlock.processes import run

from .wheels import make_wheel

JSON_TYPE = "application/vnd.pypi.simple.v1+json"


@pytest.fixture
def exchange(tmp_path: Path) -> Path:
    folder = tmp_path / "exchange"
    (folder / "approved").mkdir(parents=True)
    (folder / "later").mkdir()
    first = make_wheel(folder / "approved", "Airlock.Tool", "1.0", ["airlock-dep>=2"])
    make_wheel(folder / "approved", "airlock-tool", "1.1")
    sums = "".join(
        f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n"
        for path in (folder / "approved").iterdir()
    )
    (folder / "approved" / "SHA256SUMS").write_text(sums)
    # The same file name again, with other contents: ambiguous for pip.
    make_wheel(folder / "later", "Airlock.Tool", "1.0", ["something-else"])
    (folder / "later" / "broken-name.whl").write_bytes(b"not a wheel")
    assert first.name == "airlock_tool-1.0-py3-none-any.whl"
    return folder


@pytest.fixture
def airlock_config(exchange: Path) -> dict[str, Any]:
    source = {"kind": "folder", "path": str(exchange)}
    return {"profiles": [{"name": "exchange", "source": source}], "active_profile": "exchange"}


async def test_projects_are_listed_by_normalized_name(index: Any) -> None:
    page = await index("simple/")
    assert b'<a href="airlock-tool/">airlock-tool</a>' in page.body
    listed = json.loads((await index("simple/", JSON_TYPE)).body)
    assert listed["projects"] == [{"name": "airlock-tool"}]


async def test_a_project_page_has_hashes_and_metadata_flags(index: Any, exchange: Path) -> None:
    wheel = exchange / "approved" / "airlock_tool-1.0-py3-none-any.whl"
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    page = json.loads((await index("simple/airlock-tool/", JSON_TYPE)).body)
    files = {item["filename"]: item for item in page["files"]}
    assert set(files) == {"airlock_tool-1.0-py3-none-any.whl", "airlock_tool-1.1-py3-none-any.whl"}
    chosen = files["airlock_tool-1.0-py3-none-any.whl"]
    assert chosen["url"].endswith("/files/approved/airlock_tool-1.0-py3-none-any.whl")
    assert chosen["hashes"] == {"sha256": digest}
    assert chosen["core-metadata"] is True
    assert page["versions"] == ["1.0", "1.1"]
    html = (await index("simple/airlock-tool/")).body.decode()
    assert f"#sha256={digest}" in html
    assert 'data-core-metadata="true"' in html


async def test_a_name_that_is_not_normalized_is_redirected(index: Any) -> None:
    answer = await index("simple/Airlock.Tool/")
    assert answer.code in (301, 302)
    assert answer.headers["Location"].endswith("/simple/airlock-tool/")


async def test_metadata_is_read_without_fetching_the_wheel(
    index: Any, exchange: Path, jp_serverapp: Any
) -> None:
    wheel = exchange / "approved" / "airlock_tool-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        expected = archive.read("airlock_tool-1.0.dist-info/METADATA")
    answer = await index("files/approved/airlock_tool-1.0-py3-none-any.whl.metadata")
    assert answer.body == expected
    assert b"Requires-Dist: airlock-dep>=2" in answer.body
    fetched = jp_serverapp.web_app.settings["airlock"].cache.fetched
    assert fetched.files == 0
    # A small wheel is read in one request: its last bytes hold the whole zip directory.
    assert (fetched.ranged_reads, fetched.ranged_bytes) == (1, wheel.stat().st_size)


async def test_the_metadata_of_a_large_wheel_takes_few_small_reads(
    index: Any, exchange: Path, jp_serverapp: Any
) -> None:
    wheel = make_wheel(exchange / "approved", "airlock-big", modules=3)
    with zipfile.ZipFile(wheel) as small, zipfile.ZipFile(wheel.with_suffix(".tmp"), "w") as big:
        # 8 MiB that do not compress go first, as a large package's modules do.
        big.writestr("airlock_big/data.bin", os.urandom(8 << 20))
        for info in small.infolist():
            big.writestr(info, small.read(info))
    wheel.with_suffix(".tmp").replace(wheel)
    answer = await index("files/approved/airlock_big-1.0-py3-none-any.whl.metadata")
    assert b"Name: airlock-big" in answer.body
    fetched = jp_serverapp.web_app.settings["airlock"].cache.fetched
    assert fetched.ranged_reads <= 2
    assert fetched.ranged_bytes <= 128 << 10


async def test_the_metadata_written_first_in_a_large_wheel_takes_few_small_reads(
    index: Any, exchange: Path, jp_serverapp: Any
) -> None:
    wheel = make_wheel(exchange / "approved", "airlock-first", modules=3)
    with zipfile.ZipFile(wheel) as small, zipfile.ZipFile(wheel.with_suffix(".tmp"), "w") as big:
        # The .dist-info first, then 8 MiB that do not compress, as meson-python writes.
        for info in sorted(small.infolist(), key=lambda info: ".dist-info/" not in info.filename):
            big.writestr(info, small.read(info))
        big.writestr("airlock_first/data.bin", os.urandom(8 << 20))
    wheel.with_suffix(".tmp").replace(wheel)
    answer = await index("files/approved/airlock_first-1.0-py3-none-any.whl.metadata")
    assert b"Name: airlock-first" in answer.body
    fetched = jp_serverapp.web_app.settings["airlock"].cache.fetched
    assert fetched.ranged_reads <= 3
    assert fetched.ranged_bytes <= 256 << 10


async def test_files_are_served_verified_and_cached(
    index: Any, exchange: Path, jp_serverapp: Any
) -> None:
    wheel = exchange / "approved" / "airlock_tool-1.1-py3-none-any.whl"
    answer = await index("files/approved/airlock_tool-1.1-py3-none-any.whl")
    assert answer.body == wheel.read_bytes()
    # Once cached, the verified bytes are served, even if the bucket's copy is replaced.
    wheel.write_bytes(b"replaced on the way")
    index_state = jp_serverapp.web_app.settings["airlock"].index
    index_state._snapshot = None  # a fresh walk sees the new size
    again = await index("files/approved/airlock_tool-1.1-py3-none-any.whl")
    assert again.body != b"replaced on the way"
    assert hashlib.sha256(again.body).hexdigest() in (wheel.parent / "SHA256SUMS").read_text()
    # A file replaced before it was ever fetched is refused, not served.
    other = exchange / "approved" / "airlock_tool-1.0-py3-none-any.whl"
    other.write_bytes(b"replaced on the way")
    index_state._snapshot = None
    tampered = await index("files/approved/airlock_tool-1.0-py3-none-any.whl")
    assert tampered.code == 422
    assert b"is not the file its manifest lists" in tampered.body


async def test_two_files_of_one_name_are_named_and_only_one_is_offered(
    index: Any, jp_serverapp: Any
) -> None:
    page = json.loads((await index("simple/airlock-tool/", JSON_TYPE)).body)
    urls = [item["url"] for item in page["files"]]
    assert not any("/later/" in url for url in urls)
    snapshot = await jp_serverapp.web_app.settings["airlock"].index.snapshot()
    assert any(
        "airlock_tool-1.0-py3-none-any.whl is both" in problem for problem in snapshot.problems
    )
    assert any("broken-name.whl" in problem for problem in snapshot.problems)
    # The twin stays reachable by its own key (picked in the Artifacts section).
    assert "later/airlock_tool-1.0-py3-none-any.whl" in snapshot.by_key


async def test_unknown_projects_and_files_are_not_found(index: Any) -> None:
    assert (await index("simple/not-there/")).code == 404
    assert (await index("files/later/broken-name.whl")).code == 404
    assert (await index("files/../outside.whl")).code == 404


async def test_pip_prints_and_the_server_logs_no_secret(
    jp_fetch: Any, jp_serverapp: Any, tmp_path: Path, caplog: Any
) -> None:
    """Real pip through the index, a hit and a 404 (airlock-tool 1.0 needs airlock-dep,
    which is not there): its whole verbose output and the server's log hold no secret."""
    caplog.set_level(logging.DEBUG)
    address = jp_serverapp.web_app.settings["airlock"].index_address
    output = ""
    for wanted, succeeds in (("airlock-tool", True), ("airlock-tool==1.0", False)):
        argv = [
            sys.executable, "-m", "pip", "install", "-v", "--no-cache-dir",
            "--target", str(tmp_path / "target"), "--index-url", address.url() + "simple/",
            wanted,
        ]  # fmt: skip
        completed = await run(argv, timeout=120, env=pip_environment())
        assert (completed.returncode == 0) is succeeds, completed.stdout + completed.stderr
        output += completed.stdout + completed.stderr
    assert "Looking in indexes: http://airlock:****@127.0.0.1" in output
    assert "No matching distribution found for airlock-dep" in output
    assert "/airlock/index/simple/airlock-dep/" in caplog.text  # the 404, logged
    assert address.secret not in output
    assert address.secret not in caplog.text
