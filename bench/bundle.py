"""Bundle size: the labextension's JavaScript, and the source modules that weigh most in it.

Two builds: the production one a wheel ships, built from ``src/`` in a scratch folder (tsc,
then jupyter-builder as ``jlpm build:prod`` runs them, a few seconds), and the one
``make install`` left in ``jupyterlab_airlock/labextension/static/`` (a development build).
Bytes are put down to source modules through the builds' source maps.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from itertools import zip_longest
from pathlib import Path
from typing import Any

from bench.common import BenchError, Note, Outcome, Scale, progress
from jupyterlab_airlock import processes

ROOT = Path(__file__).resolve().parent.parent
INSTALLED = ROOT / "jupyterlab_airlock" / "labextension"
# What the production build reads, relative to the project (package.json names the rest).
BUILD_INPUTS = ("package.json", "tsconfig.json", "src", "style", "schema")
BUILD_TIMEOUT = 300.0
TOP_MODULES = 5
KiB = 1024
_BASE64 = {c: i for i, c in enumerate(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)}  # fmt: skip


def run(scale: Scale) -> Iterator[Outcome]:
    """The production bundle, then the installed one; ``scale`` changes nothing here."""
    progress("bundle: building the production labextension in a scratch folder")
    with tempfile.TemporaryDirectory(prefix="airlock-bundle-") as scratch:
        static = asyncio.run(_production_build(Path(scratch)))
        yield Note("bundle (production, as a wheel ships it)", describe(static))
    build_log = INSTALLED / "build_log.json"
    if not build_log.is_file():
        raise BenchError(f"{INSTALLED} holds no build: run make install first")
    mode = json.loads(build_log.read_text())[0].get("mode", "unknown")
    yield Note(f"bundle (installed by make install, {mode} mode)", describe(INSTALLED / "static"))


async def _production_build(scratch: Path) -> Path:
    """Build the labextension from the sources into ``scratch``; return its static folder."""
    for name in BUILD_INPUTS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, scratch / name, ignore=shutil.ignore_patterns("__tests__"))
        else:
            shutil.copy2(source, scratch / name)
    (scratch / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    tsc = ROOT / "node_modules" / "typescript" / "bin" / "tsc"
    builder = Path(sys.executable).with_name("jupyter-builder")
    for argv in (
        ["node", str(tsc), "-p", str(scratch)],
        # Source maps only add a comment line to each file; they name the modules.
        [str(builder), "build", "--source-map=True", str(scratch)],
    ):
        done = await processes.run(argv, timeout=BUILD_TIMEOUT)
        if done.returncode != 0:
            raise BenchError(
                f"{' '.join(argv[:2])} failed: {processes.last_line(done.stdout + done.stderr)}"
            )
    output = json.loads((scratch / "package.json").read_text())["jupyterlab"]["outputDir"]
    return scratch / str(output) / "static"


def describe(static: Path) -> str:
    """Total and gzipped size of the JavaScript in ``static``, and its heaviest modules."""
    scripts = sorted(static.glob("*.js"))
    if not scripts:
        raise BenchError(f"{static} holds no JavaScript")
    data = [script.read_bytes() for script in scripts]
    total = sum(len(content) for content in data)
    zipped = sum(len(gzip.compress(content)) for content in data)
    weights: Counter[str] = Counter()
    for script, content in zip(scripts, data, strict=True):
        source_map = script.with_name(script.name + ".map")
        if source_map.is_file():
            weights.update(
                _module_bytes(content.decode("utf-8"), json.loads(source_map.read_text()))
            )
        else:
            weights[f"(no source map: {script.name})"] += len(content)
    largest = ", ".join(
        f"{module} {size / KiB:.1f}" for module, size in weights.most_common(TOP_MODULES)
    )
    return (
        f"{total / KiB:.1f} KiB of JavaScript in {len(scripts)} files, {zipped / KiB:.1f} KiB "
        f"gzipped | largest modules (KiB): {largest}"
    )


def _module_bytes(code: str, source_map: dict[str, Any]) -> Counter[str]:
    """The bytes of ``code`` each source module produced, by its source map's mappings.

    A segment's bytes run from its column to the next segment's; what no segment covers
    (newlines, glue the bundler wrote) counts as "(unmapped)".
    """
    sources = [_module(str(name)) for name in source_map.get("sources", [])]
    weights: Counter[str] = Counter()
    source = 0  # source indices are relative to the previous segment's, across lines
    lines = zip_longest(code.split("\n"), str(source_map.get("mappings", "")).split(";"))
    for text, mapping in lines:
        text = text or ""
        marks: list[tuple[int, int | None]] = []
        column = 0
        for segment in filter(None, (mapping or "").split(",")):
            fields = _vlq(segment)
            column += fields[0]
            if len(fields) >= 4:
                source += fields[1]
            marks.append((column, source if len(fields) >= 4 else None))
        if not marks:
            continue
        ends = [start for start, _ in marks[1:]] + [len(text)]
        for (start, index), end in zip(marks, ends, strict=True):
            if index is not None:
                weights[sources[index]] += len(text[start:end].encode("utf-8"))
    weights["(unmapped)"] = len(code.encode("utf-8")) - sum(weights.values())
    return weights


def _module(source: str) -> str:
    """A package for sources under node_modules, else the project file; webpack's own
    runtime as one."""
    path = source.split("://", 1)[-1].split("?", 1)[0]  # "base.css?39bc": a loader's part
    if "node_modules/" in path:
        parts = path.rsplit("node_modules/", 1)[1].split("/")
        return "/".join(parts[:2]) if parts[0].startswith("@") else parts[0]
    if "/webpack/runtime/" in path or path.startswith("webpack/"):
        return "webpack runtime"
    return path.split("/./", 1)[-1]


def _vlq(segment: str) -> list[int]:
    """The signed numbers of one base64 VLQ segment of a source map."""
    values: list[int] = []
    value = shift = 0
    for char in segment:
        digit = _BASE64[char]
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
        else:
            values.append(-(value >> 1) if value & 1 else value >> 1)
            value = shift = 0
    return values
