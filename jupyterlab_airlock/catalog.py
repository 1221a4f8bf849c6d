"""The artifact browser's core: what the active source holds, previews, verified copies.

Listing adds to each file what it is (kinds.classify), what its folder's manifest says
of it, and whether it fits a chosen kernel. Copies run as jobs, stream to a hidden partial
file beside the destination while hashing, and only take the final name once verified.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import os
import shutil
from collections.abc import AsyncGenerator, Callable
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from . import manifests
from .bundle.format import BUNDLE_JSON, read_bundle_json
from .errors import AirlockError
from .jobs import Job, JobContext, JobManager
from .kinds import classify, fit
from .platforms import platform_subdir, supported_tags
from .policy import Policy
from .sources import Entry, Source, clean_key
from .sources.active import ActiveSource

PREVIEW_BYTES = 64 * 1024
PREVIEW_ROWS = 20
PREVIEW_CELL = 200
# Copies read and write 4 MiB at a time: 1 MiB pieces cost a third more CPU in thread hand-offs
# and allocations (bench/copy.py measures it), and larger ones gain nothing more.
COPY_CHUNK = 4 * 1024 * 1024

_PANDAS_READERS = {
    "csv": "pd.read_csv({source})",
    "tsv": "pd.read_csv({source}, sep='\\t')",
    "jsonl": "pd.read_json({source}, lines=True)",
    "json": "pd.read_json({source})",
    "parquet": "pd.read_parquet({source})",
}


class ArtifactCatalog:
    """Browsing the active profile's artifact source, for one Jupyter server."""

    def __init__(
        self,
        active_source: ActiveSource,
        jobs: JobManager,
        root_dir: Path,
        kernel_python: Callable[[str], str],
        policy: Policy,
    ) -> None:
        self._policy = policy
        self._active_source = active_source
        self._jobs = jobs
        self._root = root_dir.resolve()
        self._kernel_python = kernel_python
        # sha256 of objects hashed by a copy, by (source, key, etag): they show as verified.
        self._hashed: dict[tuple[str, str, str | None], str] = {}
        # A folder's manifests, read when its first page is listed and reused for the pages
        # that follow, by (source, folder). Copies read them afresh: they verify against them.
        self._listed_manifests: dict[
            tuple[str, str], tuple[manifests.Manifest | None, list[str]]
        ] = {}

    async def list_page(
        self,
        prefix: str = "",
        token: str | None = None,
        starting: str = "",
        kernel: str | None = None,
        limit: int = 500,
    ) -> dict[str, Any]:
        source = self._active_source.get()
        page = await source.list(prefix, token, limit, starting)
        folder = (source.describe(), page.prefix)
        if token is None or folder not in self._listed_manifests:
            self._listed_manifests[folder] = await manifests.read_folder(source, page.prefix)
        manifest, problems = self._listed_manifests[folder]
        tags: list[str] = []
        subdir: str | None = None
        if kernel:
            tags = await supported_tags(self._kernel_python(kernel))
            subdir = platform_subdir(tags)
        entries = []
        for entry in page.entries:
            info = classify(entry.key)
            listed = manifest.files.get(entry.name) if manifest else None
            hashed = self._hashed.get((source.describe(), entry.key, entry.etag))
            entries.append(
                {
                    **entry.to_json(),
                    "artifact": info,
                    "checksum": manifests.status(manifest, entry.name, entry.size, hashed),
                    "sha256": listed.sha256 if listed else hashed,
                    "fit": fit(info, tags, subdir) if kernel else None,
                    "policy": self._verdict(
                        info, entry.name, manifest is not None and listed is not None
                    ),
                }
            )
        return {
            "source": source.describe(),
            "prefix": page.prefix,
            "folders": page.folders,
            "entries": entries,
            "next_token": page.next_token,
            "manifests": [manifest.source] if manifest else [],
            "bundle": await self._bundle(source, page.prefix, page.entries),
            "problems": problems,
        }

    async def _bundle(
        self, source: Source, prefix: str, entries: list[Entry]
    ) -> dict[str, Any] | None:
        """What a transfer bundle folder holds, from its bundle.json (None for others)."""
        described = next((entry for entry in entries if entry.name == BUNDLE_JSON), None)
        if described is None or described.size > manifests.MANIFEST_LIMIT:
            return None
        text = (await source.read_range(described.key, 0, described.size)).decode(
            "utf-8", "replace"
        )
        try:
            info = read_bundle_json(text, described.key)
        except AirlockError as error:
            return {"key": prefix, "problem": error.message}
        return {
            "key": prefix,
            "name": info.name,
            "python_version": info.target.python_version,
            "platform": ", ".join(info.target.platforms),
            "requirements": info.requirements,
            "files": len(info.packages),
        }

    def _verdict(self, info: dict[str, Any], file: str, verified: bool) -> dict[str, Any] | None:
        """Whether the policy lets a package in, and why not."""
        if info["kind"] not in ("wheel", "sdist", "conda"):
            return None
        reason = self._policy.verdict(str(info["name"]), str(info["version"]), file, verified)
        return {"allowed": reason is None, "reason": reason}

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
        if data_format not in ("csv", "tsv", "jsonl", "json"):
            return _preview(key, data_format, [], [], False, snippet,
                            f"No preview for {data_format} files yet: copy it and open it "
                            "in a notebook (the snippet below reads it directly).")  # fmt: skip
        head = await source.read_range(key, 0, PREVIEW_BYTES + 1)
        truncated = len(head) > PREVIEW_BYTES
        head = head[:PREVIEW_BYTES]
        if b"\x00" in head:
            raise AirlockError(
                "not-previewable", f"{key} looks binary, not {data_format} text.", 415
            )
        text = head.decode("utf-8", "replace")
        if truncated and "\n" in text:
            text = text[: text.rindex("\n")]  # drop the line the read cut in two
        if data_format in ("csv", "tsv"):
            rows = list(
                csv.reader(io.StringIO(text), delimiter="\t" if data_format == "tsv" else ",")
            )
            columns, body = (rows[0], rows[1:]) if rows else ([], [])
        else:
            columns, body = _json_rows(text, data_format, truncated)
        more = truncated or len(body) > PREVIEW_ROWS
        return _preview(key, data_format, columns, body[:PREVIEW_ROWS], more, snippet, None)

    def _snippet(self, source: Source, key: str, data_format: str) -> str:
        reader = _PANDAS_READERS.get(data_format, "open({source}, 'rb').read()")
        config = self._active_source.config() or {}
        if config.get("kind") == "folder":
            path = os.path.join(str(config.get("path", "")), key)
            return (
                "import pandas as pd\n\ndf = " + reader.format(source=repr(path)) + "\ndf.head()\n"
            )
        prefix = str(config.get("prefix") or "").strip("/")
        full_key = f"{prefix}/{key}" if prefix else key
        client = "boto3.client('s3'"
        if config.get("endpoint_url"):
            client += f", endpoint_url={config['endpoint_url']!r}"
        client += ")"
        return (
            "import boto3\nimport pandas as pd\n\n"
            f"s3 = {client}  # credentials: the AWS credential chain\n"
            f"body = s3.get_object(Bucket={config.get('bucket')!r}, Key={full_key!r})['Body']\n"
            "df = " + reader.format(source="body") + "\ndf.head()\n"
        )

    def copy(
        self, key: str, destination: str, overwrite: bool = False, user: str | None = None
    ) -> Job:
        """Start copying ``key`` (a file, or a folder ending in '/') to ``destination``
        (relative to the Jupyter root)."""
        self._policy.check_intact()
        source = self._active_source.get()
        key = clean_key(key)
        target = self._destination(destination)
        if target.exists() and not overwrite:
            raise AirlockError(
                "destination-exists",
                f"{destination} already exists in the workspace: choose another name, or "
                "confirm that it may be replaced.",
                409,
            )
        relative = target.relative_to(self._root).as_posix()

        async def work(context: JobContext) -> dict[str, Any]:
            result = await self._copy(source, key, target, relative, overwrite, context)
            context.audit(sha256=result.pop("digests"))
            return result

        return self._jobs.submit(
            "copy",
            f"Copy {key} to {relative}",
            f"file:{target}",
            work,
            user=user,
            audit={"source": source.describe(), "key": key, "destination": relative},
        )

    def _destination(self, destination: str) -> Path:
        """A path in the workspace; never outside it, also not through a symbolic link."""
        relative = PurePosixPath(destination.strip())
        if (
            not destination.strip()
            or relative.is_absolute()
            or ".." in relative.parts
            or "\x00" in destination
        ):
            raise AirlockError(
                "invalid-destination",
                f"{destination!r} is not a path inside the workspace: give a relative path "
                "such as data/readings.csv.",
                400,
            )
        target = self._root / relative
        parent = target.parent.resolve()
        if not parent.is_relative_to(self._root) or target.is_symlink():
            raise AirlockError(
                "invalid-destination",
                f"{destination} leads outside the workspace (through a symbolic link).",
                400,
            )
        return parent / target.name

    async def _files(self, source: Source, key: str) -> list[tuple[Entry, str]]:
        """The files to copy, each with its path under the destination."""
        if not key.endswith("/"):
            return [(await source.stat(key), "")]
        files: list[tuple[Entry, str]] = []
        folders = [key]
        while folders:
            folder = folders.pop()
            cursor: str | None = None
            while True:
                page = await source.list(folder, cursor)
                folders += page.folders
                files += [(entry, entry.key[len(key) :]) for entry in page.entries]
                cursor = page.next_token
                if cursor is None:
                    break
        return files

    async def _copy(
        self,
        source: Source,
        key: str,
        target: Path,
        relative: str,
        overwrite: bool,
        context: JobContext,
    ) -> dict[str, Any]:
        """Stream every file into a hidden staging path beside the target, verifying each
        against its folder's manifest; the target name appears only when all are whole."""
        files = await self._files(source, key)
        total = sum(entry.size for entry, _ in files)
        self._policy.copy(key, total)
        context.log(f"Copying {key} ({len(files)} file(s), {total} bytes) from {source.describe()}")
        staging = target.with_name(f".{target.name}.airlock-partial")
        folder_manifests: dict[str, manifests.Manifest | None] = {}
        copied = 0
        verified = 0
        digests: dict[str, str] = {}
        try:
            for entry, inside in files:
                folder = entry.key.rsplit("/", 1)[0] + "/" if "/" in entry.key else ""
                if folder not in folder_manifests:
                    manifest, problems = await manifests.read_folder(source, folder)
                    if problems:
                        raise AirlockError("invalid-manifest", problems[0], 422)
                    folder_manifests[folder] = manifest
                manifest = folder_manifests[folder]
                out_path = staging / inside if inside else staging
                await asyncio.to_thread(out_path.parent.mkdir, parents=True, exist_ok=True)
                verifier = manifests.Sha256Verifier(entry.key)
                with out_path.open("wb") as out:
                    chunks = source.stream(entry.key, COPY_CHUNK)
                    await _receive(chunks, out, verifier, context, copied, total)
                if verifier.size != entry.size:
                    raise AirlockError(
                        "transfer-broken",
                        f"The transfer of {entry.key} stopped after {verifier.size} of "
                        f"{entry.size} bytes; nothing was kept. Copy it again.",
                        502,
                    )
                expected = manifest.files.get(entry.name) if manifest else None
                if manifest is not None and expected is not None:
                    verifier.check(expected)
                    verified += 1
                    context.log(f"{entry.key}: sha256 matches {manifest.source}")
                else:
                    context.log(f"{entry.key}: sha256 {verifier.hexdigest()} (not in a manifest)")
                copied += entry.size
                digests[entry.key] = verifier.hexdigest()
                self._hashed[(source.describe(), entry.key, entry.etag)] = verifier.hexdigest()
            await asyncio.to_thread(_put_in_place, staging, target, relative, overwrite)
        finally:
            await asyncio.to_thread(_remove, staging)
        context.log(f"Saved as {relative}")
        single = not key.endswith("/")
        return {
            "path": relative,
            "files": len(files),
            "size": copied,
            "sha256": digests.get(key) if single else None,
            "verified": verified == len(files) and bool(files),
            "digests": digests,
        }


async def _receive(
    chunks: AsyncGenerator[bytes, None],
    out: BinaryIO,
    verifier: manifests.Sha256Verifier,
    context: JobContext,
    done: int,
    total: int,
) -> None:
    """Write and hash each chunk in a worker thread while the source fetches the next one.

    The copy then takes as long as the slower of the two rather than their sum, with two
    chunks in memory; and the event loop neither writes nor hashes: the server keeps answering.
    """

    def keep(chunk: bytes) -> None:
        out.write(chunk)
        verifier.update(chunk)

    saving: asyncio.Future[None] | None = None
    try:
        async with contextlib.aclosing(chunks) as stream:
            async for chunk in stream:
                if saving is not None:
                    await asyncio.shield(saving)  # a cancelled copy still lets it end
                saving = asyncio.ensure_future(asyncio.to_thread(keep, chunk))
                context.progress((done + verifier.size) / total if total else 1.0)
        if saving is not None:
            await asyncio.shield(saving)
    finally:
        if saving is not None:
            # The file is closed next: a write still running must end first. Should it fail
            # too, the error already on its way is the one that counts.
            await asyncio.wait([saving])
            saving.exception()


def _put_in_place(staging: Path, target: Path, relative: str, overwrite: bool) -> None:
    if target.exists() or target.is_symlink():
        if not overwrite:
            raise AirlockError(
                "destination-exists",
                f"{relative} appeared in the workspace during the copy; it was not replaced.",
                409,
            )
        _remove(target)
    if not staging.exists():  # an empty folder: nothing was staged
        staging.mkdir()
    os.replace(staging, target)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


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


def _preview(
    key: str,
    data_format: str,
    columns: list[str],
    rows: list[list[str]],
    truncated: bool,
    snippet: str,
    note: str | None,
) -> dict[str, Any]:
    def cell(value: str) -> str:
        return value if len(value) <= PREVIEW_CELL else value[:PREVIEW_CELL] + "…"

    return {
        "key": key,
        "format": data_format,
        "columns": [cell(column) for column in columns],
        "rows": [[cell(value) for value in row] for row in rows],
        "truncated": truncated,
        "note": note,
        "snippet": snippet,
    }
