"""Listing: walk one large folder page by page through Airlock's REST API, against boto3's
own ``list_objects_v2`` paginator on the same S3 server (one folder level, as the API does)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from bench.common import BUCKET, BenchError, Outcome, Ratio, Scale, Servers, alternate, progress

FOLDER = "listing/"
PAGE = 1000  # S3's largest page, and the API's
FULL_OBJECTS = 100_000
QUICK_OBJECTS = 5_000
FILL_THREADS = 16
# The first page is one request: more rounds than a full walk, for the same time. A full walk
# of 100,000 objects takes moto minutes: three rounds at most.
FIRST_PAGE_ROUNDS_FACTOR = 3
WALK_ROUNDS = 3
WALK_LIMIT = 1.2
FIRST_PAGE_LIMIT = 1.2


def run(servers: Servers, scale: Scale) -> Iterator[Outcome]:
    count = QUICK_OBJECTS if scale.quick else FULL_OBJECTS
    fill(servers, count)
    s3 = servers.s3()
    paginator = s3.get_paginator("list_objects_v2")

    def api_first_page() -> float:
        start = time.perf_counter()
        page = servers.jupyter.get("/airlock/artifacts", prefix=FOLDER, limit=str(PAGE))
        elapsed = time.perf_counter() - start
        _expect(len(page["entries"]), min(count, PAGE), "the API's first page")
        return elapsed

    def raw_first_page() -> float:
        start = time.perf_counter()
        answer = s3.list_objects_v2(Bucket=BUCKET, Prefix=FOLDER, Delimiter="/", MaxKeys=PAGE)
        elapsed = time.perf_counter() - start
        _expect(len(answer.get("Contents", [])), min(count, PAGE), "a raw page")
        return elapsed

    def api_walk() -> float:
        start = time.perf_counter()
        seen = 0
        cursor: str | None = None
        while True:
            params = {"prefix": FOLDER, "limit": str(PAGE)}
            if cursor:
                params["cursor"] = cursor
            page = servers.jupyter.get("/airlock/artifacts", **params)
            seen += len(page["entries"])
            cursor = page["next_token"]
            if not cursor:
                break
        elapsed = time.perf_counter() - start
        _expect(seen, count, "the API's walk")
        return elapsed

    def boto3_walk() -> float:
        start = time.perf_counter()
        seen = 0
        for page in paginator.paginate(
            Bucket=BUCKET, Prefix=FOLDER, Delimiter="/", PaginationConfig={"PageSize": PAGE}
        ):
            seen += len(page.get("Contents", []))
        elapsed = time.perf_counter() - start
        _expect(seen, count, "the paginator's walk")
        return elapsed

    progress(f"listing: timing first pages ({count:,} objects)")
    rounds = scale.rounds * FIRST_PAGE_ROUNDS_FACTOR
    api, raw = alternate(rounds, api_first_page, raw_first_page)
    yield Ratio(f"listing {count:,}: first page", "API", api, "raw page request", raw,
                FIRST_PAGE_LIMIT)  # fmt: skip
    progress(f"listing: timing full walks of {count // PAGE} pages")
    # The first pages above were the warm-up: connections open, manifests looked up.
    walks = min(scale.rounds, WALK_ROUNDS)
    api, boto3_times = alternate(walks, api_walk, boto3_walk, warm_up=False)
    yield Ratio(f"listing {count:,}: full walk", "API", api, "boto3 paginator", boto3_times,
                WALK_LIMIT)  # fmt: skip


def fill(servers: Servers, count: int) -> None:
    """Put ``count`` small objects in FOLDER, from a pool of threads: moto takes a few
    hundred writes a second at best, whoever sends them.

    Nothing is put when the last of them is there already: ``python -m bench listing
    render`` fills the bucket once. Every run has a fresh moto, and a failed put ends the
    run, so a bucket holding the last object holds them all.
    """
    s3: Any = servers.s3(max_pool_connections=FILL_THREADS)
    if _exists(s3, key(count - 1)):
        return
    progress(f"listing: putting {count:,} objects into the bucket (moto takes 150-250 a second)")
    start = time.perf_counter()

    def put(number: int) -> None:
        s3.put_object(Bucket=BUCKET, Key=key(number), Body=body(number))

    with ThreadPoolExecutor(FILL_THREADS) as pool:
        for _ in pool.map(put, range(count)):
            pass  # map re-raises a failed put here
    progress(f"listing: filled in {time.perf_counter() - start:.0f} s")


def key(number: int) -> str:
    """The key of the object ``number`` (from 0): names sort as numbers do."""
    return f"{FOLDER}{name(number)}"


def name(number: int) -> str:
    return f"reading-{number:06}.csv"


def body(number: int) -> bytes:
    return f"station,value\nnorth-ridge,{number % 97}\n".encode()


def _exists(s3: Any, wanted: str) -> bool:
    try:
        s3.head_object(Bucket=BUCKET, Key=wanted)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def _expect(seen: int, wanted: int, what: str) -> None:
    if seen != wanted:
        raise BenchError(f"{what} saw {seen:,} objects, not {wanted:,}: the listing is wrong")
