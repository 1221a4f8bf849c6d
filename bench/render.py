"""Rendering: one large folder opened in a real JupyterLab (Galata, Debian's Chromium) and
scrolled to its end, in Airlock's panel on the bucket; and side by side, the same files in a
mounted folder, in Airlock's panel and in JupyterLab's own file browser (which renders every
entry). For each: the time from the click to the first rows visible, the time to scroll to
the last file, and the most row elements in the DOM at any time.

The browser side is ui-tests/bench/render.bench.ts (run by Playwright with
ui-tests/bench/playwright.config.js): it measures in the page and writes a JSON file, read
here. It needs the UI tests' packages (``make bench`` installs them) and /usr/bin/chromium.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import listing
from bench.common import (
    BUCKET,
    FOLDER_PROFILE,
    MOUNTED,
    S3_PROFILE,
    BenchError,
    Bound,
    Note,
    Outcome,
    Scale,
    Servers,
    alternate,
    progress,
    seconds,
)
from demo.services import Service

UI_TESTS = Path(__file__).resolve().parent.parent / "ui-tests"
CONFIG = "bench/playwright.config.js"
FIRST_ROWS_LIMIT_MS = 1000.0
PANEL_PAGE = 200  # keys the panel asks for in its first page (FIRST_PAGE_SIZE in src/catalog.ts)
DOM_ROWS_LIMIT = 200
# Each Airlock view opens the folder this many times (the median is printed), then scrolls
# once; JupyterLab's file browser opens it once (minutes with 100,000 files).
MAX_OPENS = 3
# Playwright's own limit is 30 minutes a view (the config): this one is for a hung run.
RUN_TIMEOUT = 100 * 60.0
# Scrolling to the end of a mounted folder's files (the listing is kept between pages); in
# the bucket it is bounded by the bucket's own listing time (the listing benchmark's walk).
SCROLL_LIMIT_S = 3.0
# The views in the order the spec runs them: its key, what is printed, whether the targets
# apply (JupyterLab's file browser is the comparison: its figures are printed as notes), and
# the scroll's limit in seconds, if it has one.
VIEWS = (
    ("airlock-s3", "in the bucket, Airlock panel", True, None),
    ("airlock-folder", "in a mounted folder, Airlock panel", True, SCROLL_LIMIT_S),
    ("filebrowser", "in a mounted folder, JupyterLab file browser", False, None),
)


def run(servers: Servers, scale: Scale) -> Iterator[Outcome]:
    count = listing.QUICK_OBJECTS if scale.quick else listing.FULL_OBJECTS
    listing.fill(servers, count)
    fill_folder(servers.mounted / listing.FOLDER, count)
    opens = min(scale.rounds, MAX_OPENS)
    progress(
        f"render: opening {count:,} files and scrolling to the end, in three views "
        "(Playwright's output follows)"
    )
    moto = _raw_first_page(servers, scale.rounds)
    figures, failure = _playwright(servers, count, opens)
    for view, where, targets, scroll_limit in VIEWS:
        if view in figures:
            name = f"render {count:,} {where}"
            yield from _outcomes(name, figures[view], count, targets, scroll_limit)
        if view == "airlock-s3":
            yield Note(
                f"render {count:,} in the bucket: the S3 server's own answer to that first page",
                f"{seconds(statistics.median(moto))} (boto3, {PANEL_PAGE} keys,"
                f" median of {len(moto)})",
            )
    if failure:
        raise BenchError(failure)


def fill_folder(folder: Path, count: int) -> None:
    """The bucket's listing objects as files of ``folder``, same names and contents;
    skipped when the last one is there (a fresh run makes them all or fails)."""
    if (folder / listing.name(count - 1)).exists():
        return
    progress(f"render: writing {count:,} files into {folder}")
    start = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        (folder / listing.name(number)).write_bytes(listing.body(number))
    progress(f"render: written in {time.perf_counter() - start:.0f} s")


def _raw_first_page(servers: Servers, rounds: int) -> list[float]:
    """Seconds moto takes to answer the request behind the panel's first page, asked
    directly: how much of the time to the first rows is the S3 server's."""
    s3 = servers.s3()

    def first_page() -> float:
        start = time.perf_counter()
        s3.list_objects_v2(Bucket=BUCKET, Prefix=listing.FOLDER, Delimiter="/", MaxKeys=PANEL_PAGE)
        return time.perf_counter() - start

    return alternate(rounds, first_page)[0]


def _playwright(servers: Servers, count: int, opens: int) -> tuple[dict[str, Any], str | None]:
    """Run the spec; return the figures it wrote and what went wrong, if anything did."""
    jlpm = Path(sys.executable).parent / "jlpm"
    command = str(jlpm) if jlpm.exists() else shutil.which("jlpm")
    if command is None or not (UI_TESTS / "node_modules" / "@jupyterlab" / "galata").is_dir():
        raise BenchError(
            "render needs jlpm and the UI tests' packages: run `make bench` (or "
            "`cd ui-tests && jlpm install`)"
        )
    with tempfile.TemporaryDirectory(prefix="airlock-render-") as work:
        output = Path(work) / "render.json"
        parameters = {
            "count": count,
            "rounds": opens,
            "folder": listing.FOLDER.rstrip("/"),
            "mounted": MOUNTED,
            "first": listing.name(0),
            "last": listing.name(count - 1),
            "profiles": {"s3": S3_PROFILE, "folder": FOLDER_PROFILE},
            "output": str(output),
        }
        env = {
            **os.environ,
            "AIRLOCK_BENCH": json.dumps(parameters),
            "AIRLOCK_BENCH_URL": servers.jupyter.url,
            "AIRLOCK_BENCH_TOKEN": servers.jupyter.token,  # not on a command line
            "AIRLOCK_BENCH_OUTPUT_DIR": str(Path(work) / "test-results"),
            "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
        }
        process = subprocess.Popen(
            [command, "playwright", "test", "--config", CONFIG],
            cwd=UI_TESTS,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sys.stderr,  # Playwright's report is progress: stdout has the results
            start_new_session=True,  # stopped as a group: Node and Chromium with it
        )
        runner = Service("Playwright", "", process)
        try:
            code = process.wait(RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            runner.stop()  # a no-op once it has exited; the whole group otherwise
        figures = json.loads(output.read_text()) if output.exists() else {}
    if code == 0:
        return figures, None
    what = f"did not end within {RUN_TIMEOUT / 60:.0f} minutes" if code is None else "failed"
    return figures, f"the rendering benchmark's Playwright run {what}: its report is above"


def _outcomes(
    name: str, figures: dict[str, Any], count: int, targets: bool, scroll_limit: float | None
) -> Iterator[Outcome]:
    """A view's lines. The spec saves its figures after each step: a view that ran out of
    time has some missing, which the lines say."""
    opens: list[float] = figures["opens"]
    scroll: float | None = figures["scroll"]
    if scroll is not None and figures["listed"] != count:
        raise BenchError(f"{name}: the view listed {figures['listed']:,} files, not {count:,}")
    if not opens:
        yield Note(f"{name}: first rows visible", "not within the test's time")
    else:
        first = statistics.median(opens)
        first_name = f"{name}: first rows visible"
        if len(opens) > 1:
            each = ", ".join(f"{value:.0f}" for value in opens)
            first_name += f" (median of {len(opens)} opens: {each} ms)"
        if targets:
            yield Bound(first_name, first, "ms", FIRST_ROWS_LIMIT_MS)
        else:
            yield Note(first_name, seconds(first / 1000))
    if scroll is not None and scroll_limit is not None:
        yield Bound(f"{name}: scroll to the end", scroll / 1000, "s", scroll_limit, decimals=2)
    else:
        yield Note(
            f"{name}: scroll to the end",
            "not within the test's time" if scroll is None else seconds(scroll / 1000),
        )
    watched = f"watched over {figures['changes']:,} DOM changes"
    if scroll is None:
        watched += ", until the test ran out of time"
    rows_name = f"{name}: most rows in the DOM ({watched})"
    if targets:
        yield Bound(rows_name, figures["maxRows"], "rows", DOM_ROWS_LIMIT, decimals=0)
    else:
        yield Note(rows_name, f"{figures['maxRows']:,} rows")
