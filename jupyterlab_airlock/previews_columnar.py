"""Previews of the binary datasets people transfer: Parquet, Arrow IPC / Feather and Excel.

Parquet and Arrow files carry their schema in a footer at their end: both are read through
a :class:`RangedFile`, so a preview costs the footer and the first rows' pages (Parquet) or
the first record batch (Arrow), never the whole object, and never more than READ_LIMIT
bytes of it. Excel has no such index: only files up to EXCEL_LIMIT are previewed.

pyarrow and openpyxl are optional (the ``datasets`` extra) and imported on first use; when
one is missing the preview says what to install instead of failing.
"""

from __future__ import annotations

import asyncio
import importlib
import io
import json
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from .cache import FetchCounter
from .errors import AirlockError
from .ranged_file import RangedFile, ReadLimitExceeded
from .sizes import size_text
from .sources import Source

PREVIEW_ROWS = 20
PREVIEW_COLUMNS = 50
READ_LIMIT = 16_000_000  # bytes of a Parquet or Arrow object one preview may read
EXCEL_LIMIT = 5_000_000  # an .xlsx is a zip of XML: previewing it reads all of it
_BLOCK = 64 << 10  # a Parquet page is read this much at a time, so a preview stops early
_EXTRA = "pip install 'jupyterlab-airlock[datasets]'"
_OVER_LIMIT_FOOTER = f"its footer claims more than {size_text(READ_LIMIT)}"


@dataclass
class Table:
    """What a preview found: the first rows, and what the format says about the rest."""

    columns: list[str]
    rows: list[list[str]]
    truncated: bool  # the object has rows beyond those shown
    column_types: list[str] | None = None  # None when the format has no types
    rows_total: int | None = None
    columns_total: int | None = None
    note: str | None = None


async def parquet_table(source: Source, key: str) -> Table:
    parquet = _optional("pyarrow.parquet", "pyarrow", "Parquet files")
    if isinstance(parquet, Table):
        return parquet
    file = await _ranged(source, key)
    return await asyncio.to_thread(_read_parquet, parquet, file, key)


async def arrow_table(source: Source, key: str) -> Table:
    ipc = _optional("pyarrow.ipc", "pyarrow", "Arrow and Feather files")
    if isinstance(ipc, Table):
        return ipc
    magic = await source.read_range(key, 0, 6)
    if magic.startswith(b"FEA1"):
        return _note(
            f"{_name(key)} is a Feather v1 file, a deprecated format that cannot be read a few "
            "rows at a time: no preview. Saved again as Feather v2 "
            "(pyarrow.feather.write_feather) or Parquet, it would show its schema and first rows."
        )
    file = await _ranged(source, key)
    read = _read_arrow_file if magic == b"ARROW1" else _read_arrow_stream
    return await asyncio.to_thread(read, ipc, file, key)


async def excel_table(source: Source, key: str) -> Table:
    openpyxl = _optional("openpyxl", "openpyxl", "Excel files")
    if isinstance(openpyxl, Table):
        return openpyxl
    entry = await source.stat(key)
    if entry.size > EXCEL_LIMIT:
        return _note(
            f"{entry.name} is {size_text(entry.size)}: Excel files are previewed up "
            f"to {size_text(EXCEL_LIMIT)}, because the whole file has to be read. Copy it into "
            "the workspace, or read it with the snippet below."
        )
    data = await source.read_range(key, 0, entry.size)
    return await asyncio.to_thread(_read_excel, openpyxl, data, key)


def _optional(module: str, package: str, what: str) -> ModuleType | Table:
    """``module``, or the note that says how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return _note(f"Install {package} ({_EXTRA}) on the server to preview {what}.")


async def _ranged(source: Source, key: str) -> io.BufferedReader:
    entry = await source.stat(key)
    loop = asyncio.get_running_loop()
    return io.BufferedReader(
        RangedFile(source, entry, loop, FetchCounter(), limit=READ_LIMIT), _BLOCK
    )


def _read_parquet(parquet: ModuleType, file: io.BufferedReader, key: str) -> Table:
    failed = _arrow_errors()
    try:
        # Unbuffered column reads (buffer_size 0) or pre-buffering would take whole column
        # chunks; pages read _BLOCK at a time stop with the first rows.
        parquet_file = parquet.ParquetFile(file, buffer_size=_BLOCK, pre_buffer=False)
    except ReadLimitExceeded:
        raise _unreadable(key, "Parquet", _OVER_LIMIT_FOOTER) from None
    except failed as error:
        raise _unreadable(key, "Parquet", str(error)) from None
    schema = parquet_file.schema_arrow
    wanted = schema.names[:PREVIEW_COLUMNS] if len(schema.names) > PREVIEW_COLUMNS else None
    batches = parquet_file.iter_batches(batch_size=PREVIEW_ROWS, columns=wanted, use_threads=False)
    try:
        first = next(batches, None)
    except ReadLimitExceeded:
        return _schema_only(schema, parquet_file.metadata.num_rows, key)
    except failed as error:
        raise _unreadable(key, "Parquet", str(error)) from None
    return _arrow_table(schema, first, parquet_file.metadata.num_rows)


def _read_arrow_file(ipc: ModuleType, file: io.BufferedReader, key: str) -> Table:
    failed = _arrow_errors()
    try:
        reader = ipc.open_file(file)
    except ReadLimitExceeded:
        raise _unreadable(key, "Arrow", _OVER_LIMIT_FOOTER) from None
    except failed as error:
        raise _unreadable(key, "Arrow", str(error)) from None
    count = reader.num_record_batches
    if count == 0:
        return _arrow_table(reader.schema, None, 0)
    try:
        first = reader.get_batch(0)
    except ReadLimitExceeded:
        return _schema_only(reader.schema, None, key)
    except failed as error:
        raise _unreadable(key, "Arrow", str(error)) from None
    # The footer lists where batches are, not how many rows each holds.
    table = _arrow_table(reader.schema, first, first.num_rows if count == 1 else None)
    if count > 1:
        table.note = f"The first of {count} record batches."
    return table


def _read_arrow_stream(ipc: ModuleType, file: io.BufferedReader, key: str) -> Table:
    failed = _arrow_errors()
    try:
        reader = ipc.open_stream(file)
        first = next(iter(reader), None)
    except ReadLimitExceeded:
        raise _unreadable(
            key, "Arrow", f"its first record batch is over {size_text(READ_LIMIT)}"
        ) from None
    except failed as error:
        raise _unreadable(key, "Arrow IPC file or stream", str(error)) from None
    table = _arrow_table(reader.schema, first, 0 if first is None else None)
    table.note = (
        "An Arrow stream, which has no footer: its first record batch is shown, and how "
        "many rows it holds is known only by reading all of it."
    )
    return table


def _arrow_errors() -> tuple[type[Exception], ...]:
    """What pyarrow raises on a damaged file (its ArrowInvalid is also a ValueError, its
    IO errors are OSErrors); pyarrow is there once one of its modules was imported."""
    return (importlib.import_module("pyarrow").ArrowException, OSError)


def _arrow_table(schema: Any, first: Any, rows_total: int | None) -> Table:
    """``first`` (a record batch, or None) under the columns and types of ``schema``."""
    shown = min(len(schema.names), PREVIEW_COLUMNS)
    columns = first.columns[:shown] if first is not None else []
    cells = [[_arrow_cell(value) for value in column.to_pylist()[:PREVIEW_ROWS]]
             for column in columns]  # fmt: skip
    rows = [list(row) for row in zip(*cells, strict=True)]
    return Table(
        columns=schema.names[:shown],
        rows=rows,
        truncated=len(rows) < rows_total if rows_total is not None else first is not None,
        column_types=[str(schema.field(index).type) for index in range(shown)],
        rows_total=rows_total,
        columns_total=len(schema.names),
    )


def _schema_only(schema: Any, rows_total: int | None, key: str) -> Table:
    table = _arrow_table(schema, None, rows_total)
    table.truncated = True
    table.note = (
        f"The schema only: the first rows of {_name(key)} would take more than "
        f"{size_text(READ_LIMIT)} of it to read."
    )
    return table


def _read_excel(openpyxl: ModuleType, data: bytes, key: str) -> Table:
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    # A damaged file fails in the zip, in the XML or in openpyxl's own checks.
    except Exception as error:
        raise _unreadable(key, "Excel (.xlsx)", str(error) or type(error).__name__) from None
    try:
        if not book.worksheets:
            return _note(f"{_name(key)} has no worksheet.")
        sheet = book.worksheets[0]
        rows_in_sheet, columns_in_sheet = sheet.max_row, sheet.max_column
        # Rows come padded to max_col: a sheet that does not record its size is cut below.
        shown = min(columns_in_sheet or PREVIEW_COLUMNS, PREVIEW_COLUMNS)
        values = list(sheet.iter_rows(max_row=PREVIEW_ROWS + 2, max_col=shown, values_only=True))
        sheet_note = (
            f"The first of {len(book.worksheets)} sheets, {sheet.title!r}."
            if len(book.worksheets) > 1
            else None
        )
    finally:
        book.close()
    header = list(values[0]) if values else []
    body = [list(row) for row in values[1 : PREVIEW_ROWS + 1]]
    width = max(
        (index + 1 for row in values for index, value in enumerate(row) if value is not None),
        default=0,
    )
    columns = [
        _cell(header[index])
        if index < len(header) and header[index] is not None
        # An empty header cell is named by its column letter, as Excel shows it.
        else openpyxl.utils.get_column_letter(index + 1)
        for index in range(width)
    ]
    rows_total = rows_in_sheet - 1 if rows_in_sheet else None
    return Table(
        columns=columns,
        rows=[[_cell(value) for value in row[:width]] + [""] * (width - len(row)) for row in body],
        truncated=len(values) > PREVIEW_ROWS + 1,
        rows_total=rows_total,
        columns_total=columns_in_sheet or None,
        note=sheet_note,
    )


def _arrow_cell(value: Any) -> str:
    return "null" if value is None else _cell(value)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return repr(bytes(value[:64]))
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, default=str)
    return str(value)  # numbers, dates and times, decimals as they are written


def _note(note: str) -> Table:
    return Table(columns=[], rows=[], truncated=False, note=note)


def _name(key: str) -> str:
    return key.rsplit("/", 1)[-1]


def _unreadable(key: str, format_name: str, why: str) -> AirlockError:
    return AirlockError(
        "not-previewable",
        f"{key} could not be read as {format_name}: {why}. The file may be damaged or "
        "incomplete: compare its size and checksum with the sender's, or ask for it again.",
        422,
    )
