"""Plans and installs through the REST API against a bucket with a static index: the plan
reads the pages of its closure only (the server's S3 requests counted against moto), the
install fetches what the plan named, and a stale index gives the walk's answer with a note.

Real parts: moto's S3 server, wheels built here, a virtual environment per test, uv.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from demo.content import DEMO_AWS_ENV
from demo.services import Service, start_moto
from jupyterlab_airlock.bundle.index_cli import index_source

from .installs import finished, imports, plan, start
from .test_static_index import CLOSURE, fill, write_sums
from .wheels import make_wheel

UNRELATED = 60


@pytest.fixture(scope="module")
def moto() -> Iterator[Service]:
    service = start_moto()
    yield service
    service.stop()


@pytest.fixture(autouse=True)
def credentials(jp_environ: None, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in DEMO_AWS_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def bucket(moto: Service, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    """A bucket of its own for each test, indexed, holding the closure and unrelated wheels
    under approved/ (the profile's prefix)."""
    name = request.node.name.replace("_", "-")[:50].rstrip("-").lower()
    s3 = boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1")
    s3.create_bucket(Bucket=name)
    folder = fill(tmp_path / "bucket", UNRELATED)
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            s3.put_object(
                Bucket=name, Key=f"approved/{path.relative_to(folder)}", Body=path.read_bytes()
            )
    return {"name": name, "s3": s3, "url": moto.url, "folder": folder}


@pytest.fixture
def airlock_config(bucket: dict[str, Any]) -> dict[str, Any]:
    source = {
        "kind": "s3",
        "endpoint_url": bucket["url"],
        "bucket": bucket["name"],
        "prefix": "approved/",
    }
    return {"profiles": [{"name": "bucket", "source": source}], "active_profile": "bucket"}


async def index(bucket: dict[str, Any]) -> None:
    await index_source(f"s3://{bucket['name']}/approved", endpoint_url=bucket["url"])


def counted(jp_serverapp: Any) -> Counter[str]:
    """The S3 requests of the server's source from now on, by operation."""
    sent: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        sent[model.name] += 1

    source = jp_serverapp.web_app.settings["airlock"].index._source()
    source._s3().meta.events.register("before-call.s3", count)
    return sent


async def test_a_plan_reads_its_closure_from_the_index_and_installs_it(
    jp_fetch: Any, jp_serverapp: Any, kernel: dict[str, Any], bucket: dict[str, Any]
) -> None:
    await index(bucket)
    sent = counted(jp_serverapp)
    planned = await plan(jp_fetch, kernel["name"], requirements=["airlock-a"])
    assert planned["ok"], planned
    assert {(s["name"], s["version"]) for s in planned["steps"]} == {
        ("airlock-a", "1.0"),
        ("airlock-b", "2.0"),
        ("airlock-c", "1.0"),
    }
    assert all(step["verified"] for step in planned["steps"])
    assert "whole source" not in planned["summary"]
    # No listing: the manifest, a bin and a page per project, the folder's manifest, and
    # the ranged reads of the three wheels' METADATA that uv asked for.
    assert sent["ListObjectsV2"] == 0, sent
    assert sent["GetObject"] <= 1 + 2 * len(CLOSURE) + 3 * len(CLOSURE), sent

    job = await finished(jp_serverapp, jp_fetch, (await start(jp_fetch, planned["id"]))["id"])
    assert job["state"] == "succeeded", job["log"]
    assert imports(kernel["python"], "airlock_a", "airlock_b", "airlock_c")


async def test_a_stale_index_gives_the_walks_answer_and_the_plan_says_so(
    jp_fetch: Any, kernel: dict[str, Any], bucket: dict[str, Any]
) -> None:
    await index(bucket)
    wheels = bucket["folder"] / "wheels"
    newer = make_wheel(wheels, "airlock-b", "3.0", ["airlock-c"])
    write_sums(wheels, sorted(wheels.glob("*.whl")))
    for path in (newer, wheels / "SHA256SUMS"):
        key = f"approved/wheels/{path.name}"
        bucket["s3"].put_object(Bucket=bucket["name"], Key=key, Body=path.read_bytes())
    planned = await plan(jp_fetch, kernel["name"], requirements=["airlock-a"])
    assert planned["ok"], planned
    assert ("airlock-b", "3.0") in {(s["name"], s["version"]) for s in planned["steps"]}
    assert "older than its files: wheels/SHA256SUMS changed since" in planned["summary"]
    assert "'jupyter airlock index'" in planned["summary"]


async def test_without_an_index_the_plan_says_it_listed_the_whole_source(
    jp_fetch: Any, kernel: dict[str, Any]
) -> None:
    planned = await plan(jp_fetch, kernel["name"], requirements=["airlock-a"])
    assert planned["ok"], planned
    assert "The source has no index (.airlock-index/)" in planned["summary"]
