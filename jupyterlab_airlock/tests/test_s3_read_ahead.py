"""A bucket folder's pages read ahead once it is opened, against moto's S3 server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest

from demo.content import DEMO_AWS_ENV
from demo.services import Service, start_moto
from jupyterlab_airlock.errors import AirlockError
from jupyterlab_airlock.sources import Page, S3Source
from jupyterlab_airlock.sources.s3_pages import RawPage, ReadAheads

BUCKET = "airlock-ahead"
FILES = 60
FOLDERS = 4
PAGE = 7  # the read-ahead's pages, smaller than S3's so that a few objects make many
WINDOW = 2


@pytest.fixture(scope="module")
def moto() -> Iterator[Service]:
    service = start_moto()
    s3 = boto3.client(
        "s3",
        endpoint_url=service.url,
        region_name=DEMO_AWS_ENV["AWS_DEFAULT_REGION"],
        aws_access_key_id=DEMO_AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DEMO_AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    )
    s3.create_bucket(Bucket=BUCKET)
    keys = [f"drop/f{i:03d}.csv" for i in range(FILES)]
    # Sub-folders sort among the files: S3 counts them in the same pages.
    keys += [f"drop/f{i * 13:03d}x/inner.csv" for i in range(FOLDERS)]
    keys += [f"other/o{i}.csv" for i in range(PAGE * 3)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda key: s3.put_object(Bucket=BUCKET, Key=key, Body=b"1"), keys))
    yield service
    service.stop()


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in DEMO_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


class Counted:
    """The source's own ListObjectsV2 requests, counted by prefix."""

    def __init__(self, src: S3Source) -> None:
        self.src = src
        self.fetched: dict[str, int] = {}
        self.arrived = asyncio.Event()

    async def __call__(self, prefix: str, token: str | None, count: int) -> RawPage:
        self.fetched[prefix] = self.fetched.get(prefix, 0) + 1
        page = await self.src.fetch(prefix, token, count)
        self.arrived.set()
        return page

    async def until(self, prefix: str, fetched: int) -> None:
        """Wait (without a clock) until ``fetched`` pages of ``prefix`` have arrived."""
        while self.fetched.get(prefix, 0) < fetched:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), 30)


def reading(moto: Service, **options: Any) -> tuple[S3Source, Counted]:
    src = S3Source(BUCKET, endpoint_url=moto.url, region="us-east-1")
    counted = Counted(src)
    src.read_aheads = ReadAheads(counted, page=PAGE, window=WINDOW, **options)
    return src, counted


def listed(pages: list[Page]) -> list[str]:
    """Every key listed, in S3's order (which mixes a page's folders and files)."""
    return [
        key for page in pages for key in sorted([*page.folders, *(e.key for e in page.entries)])
    ]


async def walk(src: S3Source, read_ahead: bool, limit: int = 5) -> list[Page]:
    pages = []
    token = None
    while True:
        page = await src.list("drop/", token, limit, read_ahead=read_ahead)
        pages.append(page)
        token = page.next_token
        if token is None:
            return pages


def test_read_ahead_serves_what_a_direct_listing_does_with_cursors_valid_for_both(
    moto: Service,
) -> None:
    async def both() -> None:
        src, counted = reading(moto)
        direct = await walk(src, read_ahead=False)
        ahead = await walk(src, read_ahead=True)
        assert listed(ahead) == listed(direct)
        assert len(listed(direct)) == FILES + FOLDERS
        assert [e.size for page in ahead for e in page.entries] == [1] * FILES
        assert all(e.modified and e.etag for page in ahead for e in page.entries)
        # The first page was the one asked for; every other came from the read-ahead.
        assert counted.fetched == {"drop/": 1 + -(-(FILES + FOLDERS - 5) // PAGE)}
        # A cursor from either walk continues the same way in the other.
        for page in ahead[:-1]:
            token = page.next_token
            one = await src.list("drop/", token, 5, read_ahead=False)
            other = await src.list("drop/", token, 5, read_ahead=True)
            assert listed([one])[:1] == listed([other])[:1]
            start = listed(ahead).index(listed([one])[0])
            assert listed([one]) == listed(ahead)[start : start + len(listed([one]))]

    asyncio.run(both())


def test_read_ahead_stays_within_its_window_until_the_reader_comes(moto: Service) -> None:
    async def scroll() -> None:
        src, counted = reading(moto)
        token = (await src.list("drop/", None, PAGE, read_ahead=True)).next_token
        # The page asked for, then WINDOW more: the reader's page and WINDOW are held.
        await counted.until("drop/", 1 + WINDOW)
        ahead = src.read_aheads.of("drop/")
        assert ahead is not None
        await asyncio.wait_for(ahead.waiting.wait(), 30)
        assert (counted.fetched["drop/"], ahead.held) == (1 + WINDOW, 1 + WINDOW)
        for read in range(2, 5):  # each page read lets one more be fetched
            token = (await src.list("drop/", token, PAGE, read_ahead=True)).next_token
            await counted.until("drop/", read + WINDOW)
            await asyncio.wait_for(ahead.waiting.wait(), 30)
            assert (counted.fetched["drop/"], ahead.held) == (read + WINDOW, 1 + WINDOW)

    asyncio.run(scroll())


def test_opening_another_folder_stops_the_read_ahead_of_the_first(moto: Service) -> None:
    async def leave() -> None:
        src, counted = reading(moto)
        await src.list("drop/", None, 5, read_ahead=True)
        first = src.read_aheads.of("drop/")
        await src.list("other/", None, 5, read_ahead=True)
        assert first is not None
        assert first.stopped
        await asyncio.wait_for(first.finished, 30)
        fetched = counted.fetched["drop/"]
        assert fetched <= 2  # the page asked for, and at most the one already on its way
        assert src.read_aheads.of("drop/") is None
        # Its cursors stay valid: going back continues where the reader was.
        page = await src.list("other/", None, 5, read_ahead=True)
        rest = await walk_from(src, "other/", page.next_token)
        assert listed([page, *rest]) == sorted(f"other/o{i}.csv" for i in range(PAGE * 3))

    asyncio.run(leave())


async def walk_from(src: S3Source, prefix: str, token: str | None) -> list[Page]:
    pages = []
    while token is not None:
        page = await src.list(prefix, token, 5, read_ahead=True)
        pages.append(page)
        token = page.next_token
    return pages


def test_a_read_ahead_left_idle_stops_and_frees_its_pages(moto: Service) -> None:
    async def idle() -> None:
        src, _ = reading(moto, idle=0.2)
        page = await src.list("drop/", None, 5, read_ahead=True)
        ahead = src.read_aheads.of("drop/")
        assert ahead is not None
        await asyncio.wait_for(ahead.finished, 30)  # the window filled, nobody came
        assert ahead.stopped
        assert ahead.held == 0
        # The reader coming back later is served all the same, afresh.
        rest = await walk_from(src, "drop/", page.next_token)
        assert len(listed([page, *rest])) == FILES + FOLDERS

    asyncio.run(idle())


def test_a_failed_page_reaches_the_reader_and_is_asked_again(moto: Service) -> None:
    async def fail() -> None:
        src = S3Source("no-such-bucket", endpoint_url=moto.url, region="us-east-1")
        for _ in range(2):
            with pytest.raises(AirlockError) as caught:
                await src.list("drop/", read_ahead=True)
            assert (caught.value.code, caught.value.status) == ("bucket-not-found", 404)

    asyncio.run(fail())


def test_a_bad_cursor_is_refused() -> None:
    src = S3Source(BUCKET, endpoint_url="http://127.0.0.1:9", region="us-east-1")
    for token in ("%%", "bm90IGpzb24=", "WzEsIDJd"):  # not base64, not JSON, [1, 2]
        with pytest.raises(AirlockError) as caught:
            asyncio.run(src.list("drop/", token))
        assert (caught.value.code, caught.value.status) == ("invalid-token", 400)
