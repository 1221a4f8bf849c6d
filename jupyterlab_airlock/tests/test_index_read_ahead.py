"""The served index reads a wheel's requirements' METADATA ahead, so that uv's next
requests find it in memory: counted in the source's ranged reads.

The source is a folder holding a chain (airlock-a needs airlock-b, which needs airlock-c,
of which two versions), a wheel with a Requires-Dist line that does not parse, and a
requirement the policy denies.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import AsyncHTTPClient

from jupyterlab_airlock.package_index.index import PackageIndex

from .contract import check_response
from .wheels import make_wheel


@pytest.fixture
def exchange(tmp_path: Path) -> Path:
    folder = tmp_path / "exchange"
    folder.mkdir()
    make_wheel(folder, "airlock-a", "1.0", ["airlock-b>=1", "airlock-unused; extra == 'x'"])
    make_wheel(folder, "airlock-b", "1.0", ["airlock-c<2"])
    make_wheel(folder, "airlock-c", "1.0")
    make_wheel(folder, "airlock-c", "2.0")
    make_wheel(folder, "airlock-bad", "1.0", ["!! not a requirement", "airlock-c"])
    make_wheel(folder, "airlock-d", "1.0", ["airlock-denied"])
    make_wheel(folder, "airlock-denied", "1.0")
    return folder


@pytest.fixture
def airlock_config(exchange: Path) -> dict[str, Any]:
    source = {"kind": "folder", "path": str(exchange)}
    return {
        "profiles": [{"name": "exchange", "source": source}],
        "active_profile": "exchange",
        "policy": {"deny": ["airlock-denied"]},
    }


@pytest.fixture
def airlock(jp_serverapp: Any) -> Any:
    return jp_serverapp.web_app.settings["airlock"]


@pytest.fixture
def metadata(jp_fetch: Any, jp_serverapp: Any, jp_base_url: str) -> Any:
    """GET a wheel's METADATA from this server's index, as uv does."""
    base = jp_serverapp.web_app.settings["airlock"].index_address.url()

    async def get(wheel: str) -> Any:
        response = await AsyncHTTPClient().fetch(base + f"files/{wheel}.metadata")
        check_response(response, jp_base_url)
        return response.body

    return get


def _stored(exchange: Path, wheel: str) -> bytes:
    name = wheel.split("-")[0] + "-" + wheel.split("-")[1]
    with zipfile.ZipFile(exchange / wheel) as archive:
        return archive.read(f"{name}.dist-info/METADATA")


A = "airlock_a-1.0-py3-none-any.whl"
B = "airlock_b-1.0-py3-none-any.whl"
C1 = "airlock_c-1.0-py3-none-any.whl"


async def test_the_chain_is_read_before_uv_asks(
    metadata: Any, airlock: Any, exchange: Path
) -> None:
    index: PackageIndex = airlock.index
    assert await metadata(A) == _stored(exchange, A)
    await index.read_ahead.settled()
    # a's own read, then b's, then c 1.0's (b needs c<2): nothing else.
    assert airlock.cache.fetched.ranged_reads == 3

    assert await metadata(B) == _stored(exchange, B)
    assert await metadata(C1) == _stored(exchange, C1)
    await index.read_ahead.settled()
    assert airlock.cache.fetched.ranged_reads == 3
    assert airlock.cache.fetched.files == 0


async def test_a_line_that_does_not_parse_is_skipped(
    metadata: Any, airlock: Any, exchange: Path
) -> None:
    wheel = "airlock_bad-1.0-py3-none-any.whl"
    assert b"Requires-Dist: !! not a requirement" in await metadata(wheel)
    await airlock.index.read_ahead.settled()
    # The line after it still is read ahead: the newest airlock-c.
    assert airlock.cache.fetched.ranged_reads == 2
    assert await metadata("airlock_c-2.0-py3-none-any.whl")
    assert airlock.cache.fetched.ranged_reads == 2


async def test_what_the_policy_refuses_is_neither_read_ahead_nor_served(
    metadata: Any, airlock: Any, jp_serverapp: Any
) -> None:
    await metadata("airlock_d-1.0-py3-none-any.whl")
    await airlock.index.read_ahead.settled()
    assert airlock.cache.fetched.ranged_reads == 1
    base = airlock.index_address.url()
    refused = await AsyncHTTPClient().fetch(
        base + "files/airlock_denied-1.0-py3-none-any.whl.metadata", raise_error=False
    )
    assert refused.code == 403
    assert airlock.cache.fetched.ranged_reads == 1


async def test_the_server_stop_ends_the_read_aheads(
    metadata: Any, airlock: Any, exchange: Path
) -> None:
    index: PackageIndex = airlock.index
    index.read_ahead.start(_stored(exchange, A), lambda snapshot, wheel: True)
    await index.close()
    await index.read_ahead.settled()
    # Closed: nothing more is read ahead, and uv's own requests are still answered.
    index.read_ahead.start(_stored(exchange, A), lambda snapshot, wheel: True)
    await index.read_ahead.settled()
    assert airlock.cache.fetched.ranged_reads == 0
    assert await metadata(B) == _stored(exchange, B)
