"""Dataset previews of Parquet, Arrow / Feather and Excel files, from a real S3 server (moto)
and from a folder, through the REST API and through the core with every byte counted.

A user notices a 2 GB download behind a preview: the Parquet here has ten row groups, and
the preview must read only its footer and the first rows' pages.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path
from typing import Any

import boto3
import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
from tornado.httpclient import HTTPClientError

from demo.content import DEMO_AWS_ENV
from demo.services import start_moto
from jupyterlab_airlock.kinds import classify
from jupyterlab_airlock.previews import read_table
from jupyterlab_airlock.previews_columnar import EXCEL_LIMIT, PREVIEW_ROWS, READ_LIMIT
from jupyterlab_airlock.sources import Entry, FolderSource, Page, S3Source, Source

BUCKET = "previews"
ROWS = 1_000_000
ROW_GROUP = 100_000
INSTALL_PYARROW = (
    "Install pyarrow (pip install 'jupyterlab-airlock[datasets]') on the server to preview "
    "Parquet files."
)


def readings(rows: int) -> pa.Table:
    """Rows that do not compress away (a preview of them has real pages to read)."""
    ids = pa.array(range(rows), pa.int64())
    noise = pc.bit_wise_and(pc.multiply(ids, 2654435761), 0xFFFFFFFF)
    return pa.table(
        {
            "id": ids,
            "station": pc.binary_join_element_wise(
                "station-", pc.cast(pc.bit_wise_and(noise, 1023), pa.string()), ""
            ),
            "reading": pc.divide(pc.cast(noise, pa.float64()), 1000.0),
            "taken": pc.cast(pc.add(ids, 1_700_000_000_000), pa.timestamp("ms")),
        }
    )


def parquet_bytes(table: pa.Table, **options: Any) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out, **options)
    return out.getvalue()


def arrow_file(table: pa.Table, batch_rows: int) -> bytes:
    out = io.BytesIO()
    with ipc.new_file(out, table.schema) as writer:
        for batch in table.to_batches(max_chunksize=batch_rows):
            writer.write_batch(batch)
    return out.getvalue()


def arrow_stream(table: pa.Table) -> bytes:
    out = io.BytesIO()
    with ipc.new_stream(out, table.schema) as writer:
        writer.write_table(table)
    return out.getvalue()


def feather_bytes(table: pa.Table, version: int) -> bytes:
    out = io.BytesIO()
    feather.write_feather(table, out, version=version)
    return out.getvalue()


def workbook() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Readings"
    sheet.append(["station", "temperature_c", None])
    for number in range(30):
        sheet.append([f"station-{number}", number / 4, "checked" if number % 2 else None])
    book.create_sheet("Notes").append(["taken by hand"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    small = readings(250)
    wide = pa.table({f"c{number:03}": [number, number + 1] for number in range(80)})
    parquet = parquet_bytes(readings(ROWS), row_group_size=ROW_GROUP)
    return {
        "data/readings.parquet": parquet,
        "data/wide.parquet": parquet_bytes(wide),
        # One value bigger than a preview may read: its page cannot be read in part.
        "data/blob.parquet": parquet_bytes(pa.table({"blob": [os.urandom(READ_LIMIT + 1)]})),
        "data/broken.parquet": parquet[: len(parquet) // 2],
        "data/readings.arrow": arrow_file(small, batch_rows=100),
        "data/readings.feather": feather_bytes(small, version=2),
        "data/old.feather": feather_bytes(small, version=1),
        "data/events.arrow": arrow_stream(small),
        "data/sheet.xlsx": workbook(),
        "data/big.xlsx": workbook() + bytes(EXCEL_LIMIT),
        "data/broken.xlsx": b"PK\x03\x04 not really a workbook",
    }


@pytest.fixture(scope="module")
def folder(files: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("exchange")
    for key, body in files.items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(body)
    return root


@pytest.fixture(scope="module")
def s3_url(files: dict[str, bytes]) -> Iterator[str]:
    service = start_moto()
    s3 = boto3.client("s3", endpoint_url=service.url, region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip
    s3.create_bucket(Bucket=BUCKET)
    for key, body in files.items():
        s3.put_object(Bucket=BUCKET, Key=f"approved/{key}", Body=body)
    try:
        yield service.url
    finally:
        service.stop()


@pytest.fixture(params=["s3", "folder"])
def source_config(request: pytest.FixtureRequest, s3_url: str, folder: Path) -> dict[str, Any]:
    if request.param == "folder":
        return {"kind": "folder", "path": str(folder)}
    return {"kind": "s3", "endpoint_url": s3_url, "bucket": BUCKET, "prefix": "approved/"}


@pytest.fixture
def airlock_config(source_config: dict[str, Any]) -> dict[str, Any]:
    return {"profiles": [{"name": "data", "source": source_config}], "active_profile": "data"}


@pytest.fixture(autouse=True)
def credentials(jp_environ: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    for name, value in DEMO_AWS_ENV.items():
        monkeypatch.setenv(name, value)


class CountingSource(Source):
    """A real source whose ranged reads are counted: what a preview took from the bucket."""

    kind = "counting"

    def __init__(self, inner: Source) -> None:
        self.inner = inner
        self.bytes_read = 0

    def describe(self) -> str:
        return self.inner.describe()

    async def list(
        self,
        prefix: str = "",
        token: str | None = None,
        limit: int = 1000,
        starting: str = "",
        read_ahead: bool = False,
    ) -> Page:
        return await self.inner.list(prefix, token, limit, starting, read_ahead)

    async def stat(self, key: str) -> Entry:
        return await self.inner.stat(key)

    async def read_range(self, key: str, start: int, length: int, etag: str | None = None) -> bytes:
        data = await self.inner.read_range(key, start, length, etag)
        self.bytes_read += len(data)
        return data

    async def stream(self, key: str, chunk_size: int = 1 << 20) -> AsyncGenerator[bytes, None]:
        raise AssertionError(f"a preview streamed all of {key}")
        yield b""  # pragma: no cover - makes this a generator, as Source.stream is


@pytest.fixture
def counting(source_config: dict[str, Any]) -> CountingSource:
    inner = (
        FolderSource.from_config(source_config)
        if source_config["kind"] == "folder"
        else S3Source.from_config(source_config)
    )
    return CountingSource(inner)


def absent(monkeypatch: pytest.MonkeyPatch, package: str) -> None:
    """Make ``import package`` (and its modules) raise ImportError, as when it is not
    installed: None in sys.modules is what the import system reads as "not there"."""
    for name in [name for name in sys.modules if name.split(".")[0] == package]:
        monkeypatch.setitem(sys.modules, name, None)


async def preview(jp_fetch: Any, key: str) -> Any:
    response = await jp_fetch("airlock", "artifacts", "preview", params={"key": key})
    return json.loads(response.body)


async def refused(jp_fetch: Any, key: str) -> tuple[int, dict[str, str]]:
    with pytest.raises(HTTPClientError) as error:
        await preview(jp_fetch, key)
    assert error.value.response is not None
    return error.value.code, json.loads(error.value.response.body)


async def test_a_parquet_preview_shows_types_counts_and_the_first_rows(jp_fetch: Any) -> None:
    shown = await preview(jp_fetch, "data/readings.parquet")

    assert shown["format"] == "parquet"
    assert shown["columns"] == ["id", "station", "reading", "taken"]
    assert shown["column_types"] == ["int64", "string", "double", "timestamp[ms]"]
    assert shown["rows_total"] == ROWS
    assert shown["columns_total"] == 4
    assert len(shown["rows"]) == PREVIEW_ROWS
    assert shown["rows"][1] == ["1", "station-433", "2654435.761", "2023-11-14 22:13:20.001000"]
    assert shown["truncated"] is True
    assert shown["note"] is None
    assert "pd.read_parquet(" in shown["snippet"]


async def test_a_parquet_preview_reads_the_footer_and_first_pages_only(
    counting: CountingSource, files: dict[str, bytes]
) -> None:
    key = "data/readings.parquet"

    table = await read_table(counting, key, classify(key))

    assert len(table.rows) == PREVIEW_ROWS
    # Ten row groups of about 2 MB each: the footer and the first page of each column.
    assert 0 < counting.bytes_read < len(files[key]) / 8, (counting.bytes_read, len(files[key]))


async def test_a_wide_parquet_shows_its_first_fifty_columns_of_all(jp_fetch: Any) -> None:
    shown = await preview(jp_fetch, "data/wide.parquet")

    assert shown["columns"] == [f"c{number:03}" for number in range(50)]
    assert shown["columns_total"] == 80
    assert shown["rows"] == [[str(n) for n in range(50)], [str(n + 1) for n in range(50)]]
    assert shown["rows_total"] == 2
    assert shown["truncated"] is False


async def test_first_rows_beyond_the_read_limit_show_the_schema_only(
    jp_fetch: Any, counting: CountingSource
) -> None:
    shown = await preview(jp_fetch, "data/blob.parquet")
    key = "data/blob.parquet"
    await read_table(counting, key, classify(key))

    assert shown["columns"] == ["blob"]
    assert shown["column_types"] == ["binary"]
    assert shown["rows"] == []
    assert shown["rows_total"] == 1
    assert "schema only" in shown["note"]
    assert "16.0 MB" in shown["note"]
    assert counting.bytes_read <= READ_LIMIT


async def test_a_damaged_parquet_is_named_with_what_to_do(jp_fetch: Any) -> None:
    status, error = await refused(jp_fetch, "data/broken.parquet")

    assert status == 422
    assert error["code"] == "not-previewable"
    assert error["message"].startswith("data/broken.parquet could not be read as Parquet: ")
    assert "ask for it again" in error["message"]
    assert "Traceback" not in error["message"]


async def test_without_pyarrow_the_preview_says_what_to_install(
    jp_fetch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    absent(monkeypatch, "pyarrow")

    shown = await preview(jp_fetch, "data/readings.parquet")
    arrow = await preview(jp_fetch, "data/readings.arrow")

    assert shown["note"] == INSTALL_PYARROW
    assert shown["rows"] == []
    assert shown["columns"] == []
    assert shown["rows_total"] is None
    assert "pd.read_parquet(" in shown["snippet"]
    assert arrow["note"] == INSTALL_PYARROW.replace("Parquet files", "Arrow and Feather files")


async def test_an_arrow_file_shows_its_first_record_batch(jp_fetch: Any) -> None:
    shown = await preview(jp_fetch, "data/readings.arrow")

    assert shown["column_types"] == ["int64", "string", "double", "timestamp[ms]"]
    assert [row[0] for row in shown["rows"]] == [str(n) for n in range(PREVIEW_ROWS)]
    # The footer says where the three batches are, not how many rows they hold.
    assert shown["rows_total"] is None
    assert shown["columns_total"] == 4
    assert shown["note"] == "The first of 3 record batches."
    assert shown["truncated"] is True


async def test_a_feather_v2_file_in_one_batch_has_its_row_count(jp_fetch: Any) -> None:
    shown = await preview(jp_fetch, "data/readings.feather")

    assert shown["format"] == "feather"
    assert shown["rows_total"] == 250
    assert shown["rows"][0][:2] == ["0", "station-0"]
    assert shown["note"] is None
    assert "pd.read_feather(" in shown["snippet"]


async def test_an_arrow_stream_says_what_is_shown(jp_fetch: Any) -> None:
    shown = await preview(jp_fetch, "data/events.arrow")

    assert shown["columns"] == ["id", "station", "reading", "taken"]
    assert len(shown["rows"]) == PREVIEW_ROWS
    assert shown["rows_total"] is None
    assert shown["note"].startswith("An Arrow stream, which has no footer: its first record batch")


async def test_a_feather_v1_file_says_plainly_it_has_no_preview(jp_fetch: Any) -> None:
    shown = await preview(jp_fetch, "data/old.feather")

    assert shown["rows"] == []
    assert shown["note"].startswith("old.feather is a Feather v1 file")
    assert "Feather v2" in shown["note"]


async def test_a_small_workbook_shows_its_first_sheet(jp_fetch: Any) -> None:
    shown = await preview(jp_fetch, "data/sheet.xlsx")

    assert shown["format"] == "xlsx"
    # The empty header cell is named by its column letter.
    assert shown["columns"] == ["station", "temperature_c", "C"]
    assert shown["column_types"] is None
    assert shown["rows"][:2] == [["station-0", "0", ""], ["station-1", "0.25", "checked"]]
    assert len(shown["rows"]) == PREVIEW_ROWS
    assert shown["rows_total"] == 30
    assert shown["columns_total"] == 3
    assert shown["truncated"] is True
    assert shown["note"] == "The first of 2 sheets, 'Readings'."
    assert "pd.read_excel(" in shown["snippet"]


async def test_a_workbook_over_the_size_limit_says_why(
    jp_fetch: Any, counting: CountingSource
) -> None:
    shown = await preview(jp_fetch, "data/big.xlsx")
    key = "data/big.xlsx"
    await read_table(counting, key, classify(key))

    assert shown["rows"] == []
    assert shown["note"].startswith("big.xlsx is 5.0 MB: Excel files are previewed up to 5.0 MB")
    assert "the whole file has to be read" in shown["note"]
    assert counting.bytes_read == 0


async def test_a_damaged_workbook_is_named(jp_fetch: Any) -> None:
    status, error = await refused(jp_fetch, "data/broken.xlsx")

    assert status == 422
    assert error["message"].startswith("data/broken.xlsx could not be read as Excel (.xlsx): ")


async def test_without_openpyxl_the_preview_says_what_to_install(
    jp_fetch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    absent(monkeypatch, "openpyxl")

    shown = await preview(jp_fetch, "data/sheet.xlsx")

    assert shown["note"] == (
        "Install openpyxl (pip install 'jupyterlab-airlock[datasets]') on the server to "
        "preview Excel files."
    )
