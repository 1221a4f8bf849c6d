"""Dataset previews: the first rows of a CSV, TSV, JSON, Parquet, Arrow / Feather or Excel
file of the active source, with column types and totals where the format knows them, and a
snippet that reads the whole file in a notebook."""

from __future__ import annotations

import csv
import io
import json
import os
from typing import Any

from .active_source import ActiveSource
from .errors import AirlockError
from .kinds import classify
from .previews_columnar import PREVIEW_ROWS, Table, arrow_table, excel_table, parquet_table
from .sources import Source, clean_key

PREVIEW_BYTES = 64 * 1024
PREVIEW_CELL = 200
_TEXT_FORMATS = ("csv", "tsv", "jsonl", "json")
_BINARY_READERS = {
    "parquet": parquet_table,
    "arrow": arrow_table,
    "feather": arrow_table,
    "xlsx": excel_table,
}

# What pandas needs beside itself to read a format.
_READER_NEEDS = {
    "parquet": ["pyarrow"],
    "arrow": ["pyarrow"],
    "feather": ["pyarrow"],
    "xlsx": ["openpyxl"],
}
_PANDAS_READERS = {
    "csv": "pd.read_csv({source})",
    "tsv": "pd.read_csv({source}, sep='\\t')",
    "jsonl": "pd.read_json({source}, lines=True)",
    "json": "pd.read_json({source})",
    "parquet": "pd.read_parquet({source})",
    # pandas reads Arrow IPC files (Feather v2) as Feather.
    "arrow": "pd.read_feather({source})",
    "feather": "pd.read_feather({source})",
    "xlsx": "pd.read_excel({source})",
}


class DatasetPreviews:
    """Previews of the active profile's artifact source, for one Jupyter server."""

    def __init__(self, active_source: ActiveSource) -> None:
        self._active_source = active_source

    async def preview(self, key: str) -> dict[str, Any]:
        source = self._active_source.get()
        key = clean_key(key)
        info = classify(key)
        if info["kind"] != "dataset":
            raise AirlockError(
                "not-previewable",
                f"{key} is not a dataset ({info['kind']}); only datasets have a preview.",
                415,
            )
        data_format = str(info.get("format", ""))
        snippet = self._snippet(source, key, data_format)
        return _preview(key, data_format, await read_table(source, key, info), snippet)

    def _snippet(self, source: Source, key: str, data_format: str) -> str:
        reader = _PANDAS_READERS.get(data_format, "open({source}, 'rb').read()")
        config = self._active_source.config() or {}
        if config.get("kind") == "folder":
            path = os.path.join(str(config.get("path", "")), key)
            return (
                _needs(["pandas", *_READER_NEEDS.get(data_format, [])])
                + "import pandas as pd\n\ndf = "
                + reader.format(source=repr(path))
                + "\ndf.head()\n"
            )
        prefix = str(config.get("prefix") or "").strip("/")
        full_key = f"{prefix}/{key}" if prefix else key
        client = "boto3.client('s3'"
        if config.get("endpoint_url"):
            client += f", endpoint_url={config['endpoint_url']!r}"
        client += ")"
        # Parquet, Feather and Excel readers seek: the body is read into memory first.
        return (
            _needs(["boto3", "pandas", *_READER_NEEDS.get(data_format, [])])
            + "import io\n\nimport boto3\nimport pandas as pd\n\n"
            f"s3 = {client}  # credentials: the AWS credential chain\n"
            f"answer = s3.get_object(Bucket={config.get('bucket')!r}, Key={full_key!r})\n"
            "body = io.BytesIO(answer['Body'].read())\n"
            "df = " + reader.format(source="body") + "\ndf.head()\n"
        )


def _needs(packages: list[str]) -> str:
    """The snippet's first line: what the kernel must have (a fresh kernel has none of it)."""
    return (
        f"# Needs {', '.join(packages)} in the kernel: install them from the mirror "
        "(Airlock's Install, or %pip install).\n"
    )


async def read_table(source: Source, key: str, info: dict[str, Any]) -> Table:
    """The first rows of dataset ``key`` of ``source`` (``info``: its ``classify``)."""
    data_format = str(info.get("format", ""))
    read_binary = _BINARY_READERS.get(data_format)
    if data_format in _TEXT_FORMATS:
        return await _text_table(source, key, data_format)
    if read_binary is not None and not info.get("compression"):
        return await read_binary(source, key)
    what = f"compressed {data_format}" if info.get("compression") else data_format
    return Table(
        columns=[],
        rows=[],
        truncated=False,
        note=f"No preview for {what} files yet: copy it and open it in a notebook "
        "(the snippet below reads it directly).",
    )


async def _text_table(source: Source, key: str, data_format: str) -> Table:
    head = await source.read_range(key, 0, PREVIEW_BYTES + 1)
    truncated = len(head) > PREVIEW_BYTES
    head = head[:PREVIEW_BYTES]
    if b"\x00" in head:
        raise AirlockError("not-previewable", f"{key} looks binary, not {data_format} text.", 415)
    text = head.decode("utf-8", "replace")
    if truncated and "\n" in text:
        text = text[: text.rindex("\n")]  # drop the line the read cut in two
    if data_format not in ("csv", "tsv"):
        columns, body = _json_rows(text, data_format, truncated)
        return Table(columns, body[:PREVIEW_ROWS], truncated or len(body) > PREVIEW_ROWS)
    rows = list(csv.reader(io.StringIO(text), delimiter="\t" if data_format == "tsv" else ","))
    columns, body = (rows[0], rows[1:]) if rows else ([], [])
    return Table(
        columns=columns,
        rows=body[:PREVIEW_ROWS],
        truncated=truncated or len(body) > PREVIEW_ROWS,
        # A header names every column; and when the read took the whole file, every row.
        rows_total=None if truncated else len(body),
        columns_total=len(columns),
    )


def _json_rows(text: str, data_format: str, truncated: bool) -> tuple[list[str], list[list[str]]]:
    if data_format == "jsonl":
        records = []
        for line in text.splitlines():
            if line.strip():
                try:
                    records.append(json.loads(line))
                except ValueError:
                    break
    else:
        try:
            document = json.loads(text)
        except ValueError:
            return ["text"], [[text[: PREVIEW_CELL * 10]]] if truncated else [["(not valid JSON)"]]
        records = document if isinstance(document, list) else [document]
    columns: list[str] = []
    for record in records:
        if isinstance(record, dict):
            columns += [str(name) for name in record if str(name) not in columns]
    if not columns:
        return ["value"], [[json.dumps(record)] for record in records]
    return columns, [
        [json.dumps(record.get(column)) if isinstance(record, dict) else "" for column in columns]
        for record in records
    ]


def _preview(key: str, data_format: str, table: Table, snippet: str) -> dict[str, Any]:
    def cell(value: str) -> str:
        return value if len(value) <= PREVIEW_CELL else value[:PREVIEW_CELL] + "…"

    return {
        "key": key,
        "format": data_format,
        "columns": [cell(column) for column in table.columns],
        "column_types": None
        if table.column_types is None
        else [cell(column_type) for column_type in table.column_types],
        "rows": [[cell(value) for value in row] for row in table.rows],
        "truncated": table.truncated,
        "rows_total": table.rows_total,
        "columns_total": table.columns_total,
        "note": table.note,
        "snippet": snippet,
    }
