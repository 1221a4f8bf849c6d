"""Browsing the read bucket through the REST API, against a real S3 server (moto).

The bucket holds the demo wheels with a SHA256SUMS, a dataset, a file whose manifest sum
is wrong (swapped on the way), and enough objects in one folder to need several pages.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from tornado.httpclient import HTTPClientError

from demo.content import DEMO_AWS_ENV, build_wheels
from demo.services import start_moto
from jupyterlab_airlock import transfers

from . import condapackages

BUCKET = "read-bucket"
CSV = b"station,temperature_c\nnorth,4.5\nsouth,7.25\n"
LARGE = os.urandom(3 * transfers.CHUNK + 5)  # random: a piece out of place would show


@pytest.fixture(scope="module")
def s3_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    service = start_moto()
    s3 = boto3.client("s3", endpoint_url=service.url, region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip
    s3.create_bucket(Bucket=BUCKET)
    sums = []
    for wheel in build_wheels(tmp_path_factory.mktemp("wheels")):
        body = wheel.read_bytes()
        s3.put_object(Bucket=BUCKET, Key=f"approved/wheels/{wheel.name}", Body=body)
        sums.append(f"{hashlib.sha256(body).hexdigest()}  {wheel.name}")
    for name, body in (("large.bin", LARGE), ("large-swapped.bin", LARGE[::-1])):
        s3.put_object(Bucket=BUCKET, Key=f"approved/wheels/{name}", Body=body)
        sums.append(f"{hashlib.sha256(LARGE).hexdigest()}  {name}")
    swapped = b"not what was scanned"
    s3.put_object(Bucket=BUCKET, Key="approved/wheels/swapped-1.0-py3-none-any.whl", Body=swapped)
    sums.append(f"{hashlib.sha256(b'what was scanned').hexdigest()}  swapped-1.0-py3-none-any.whl")
    s3.put_object(Bucket=BUCKET, Key="approved/wheels/SHA256SUMS", Body="\n".join(sums) + "\n")
    s3.put_object(Bucket=BUCKET, Key="approved/data/readings.csv", Body=CSV)
    s3.put_object(Bucket=BUCKET, Key="approved/data/large.csv", Body=b"x" * (48 << 20))
    for number in range(25):
        s3.put_object(Bucket=BUCKET, Key=f"approved/many/file-{number:02}.json", Body=b"{}")
    s3.put_object(Bucket=BUCKET, Key="private/secret.csv", Body=b"not for this profile")
    conda = condapackages.build(tmp_path_factory.mktemp("conda"), "airlock-units", "1.0")
    s3.put_object(Bucket=BUCKET, Key=f"approved/conda/noarch/{conda.name}", Body=conda.read_bytes())
    try:
        yield service.url
    finally:
        service.stop()


@pytest.fixture
def airlock_config(s3_url: str) -> dict[str, Any]:
    source = {"kind": "s3", "endpoint_url": s3_url, "bucket": BUCKET, "prefix": "approved/"}
    return {"profiles": [{"name": "bucket", "source": source}], "active_profile": "bucket"}


@pytest.fixture(autouse=True)
def credentials(jp_environ: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    for name, value in DEMO_AWS_ENV.items():
        monkeypatch.setenv(name, value)


async def get(jp_fetch: Any, *path: str, **params: str) -> Any:
    response = await jp_fetch("airlock", *path, params=params)
    return json.loads(response.body)


async def post_copy(jp_fetch: Any, key: str, destination: str) -> Any:
    body = json.dumps({"key": key, "destination": destination})
    return await jp_fetch("airlock", "artifacts", "copy", method="POST", body=body)


async def copy_and_wait(jp_fetch: Any, key: str, destination: str) -> Any:
    response = await post_copy(jp_fetch, key, destination)
    assert response.code == 202
    job = json.loads(response.body)
    state = job
    while not state["finished"]:  # each request is a real round trip; bounded by the timeout
        state = await get(jp_fetch, "jobs", job["id"])
    return state


async def test_listing_pages_through_a_folder_without_losing_or_repeating(jp_fetch: Any) -> None:
    seen: list[str] = []
    page = await get(jp_fetch, "artifacts", prefix="many/", limit="10")
    pages = 1
    seen += [entry["key"] for entry in page["entries"]]
    while page["next_token"]:
        page = await get(
            jp_fetch, "artifacts", prefix="many/", limit="10", cursor=page["next_token"]
        )
        pages += 1
        seen += [entry["key"] for entry in page["entries"]]

    assert pages == 3
    assert seen == [f"many/file-{number:02}.json" for number in range(25)]


async def test_the_root_lists_folders_of_the_prefix_only(jp_fetch: Any) -> None:
    page = await get(jp_fetch, "artifacts")

    assert page["folders"] == ["conda/", "data/", "many/", "wheels/"]
    assert "private" not in json.dumps(page)
    assert page["source"].startswith(f"s3://{BUCKET}/approved/")


async def test_each_file_says_what_it_is_its_checksum_and_fit(jp_fetch: Any) -> None:
    page = await get(jp_fetch, "artifacts", prefix="wheels/", kernel="python3")

    by_name = {entry["name"]: entry for entry in page["entries"]}
    hello = next(e for n, e in by_name.items() if n.startswith("airlock_demo_hello"))
    assert hello["artifact"]["kind"] == "wheel"
    assert hello["artifact"]["version"] == "1.0.0"
    assert hello["checksum"] == "listed"
    assert len(hello["sha256"]) == 64
    assert hello["fit"]["fits"] is True
    assert by_name["SHA256SUMS"]["artifact"]["kind"] == "manifest"
    assert page["manifests"] == ["wheels/SHA256SUMS"]


async def test_a_conda_package_does_not_fit_a_kernel_in_a_virtual_environment(
    jp_fetch: Any,
) -> None:
    # The test server's python3 kernel runs in this virtual environment, not a conda one.
    page = await get(jp_fetch, "artifacts", prefix="conda/noarch/", kernel="python3")

    [package] = page["entries"]
    assert package["artifact"]["kind"] == "conda"
    assert package["fit"]["fits"] is False
    assert "conda environment" in package["fit"]["reason"]


async def test_the_filter_narrows_by_the_start_of_names(jp_fetch: Any) -> None:
    page = await get(jp_fetch, "artifacts", prefix="wheels/", filter="airlock_demo_s")

    assert [entry["name"].split("-")[0] for entry in page["entries"]] == ["airlock_demo_stats"]


async def test_a_dataset_preview_shows_its_first_rows(jp_fetch: Any) -> None:
    preview = await get(jp_fetch, "artifacts", "preview", key="data/readings.csv")

    assert preview["columns"] == ["station", "temperature_c"]
    assert preview["rows"] == [["north", "4.5"], ["south", "7.25"]]
    assert "Key='approved/data/readings.csv'" in preview["snippet"]
    # It says what the kernel needs: a fresh kernel has neither.
    assert preview["snippet"].startswith("# Needs boto3, pandas in the kernel")


async def test_a_copy_is_verified_and_lands_in_the_workspace(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    wheel_page = await get(jp_fetch, "artifacts", prefix="wheels/")
    wheel = next(e for e in wheel_page["entries"] if e["name"].startswith("airlock_demo_units"))

    job = await copy_and_wait(jp_fetch, wheel["key"], f"incoming/{wheel['name']}")

    assert job["state"] == "succeeded", job
    assert job["result"]["verified"] is True
    copied = jp_root_dir / "incoming" / wheel["name"]
    assert hashlib.sha256(copied.read_bytes()).hexdigest() == wheel["sha256"]
    after = await get(jp_fetch, "artifacts", prefix="wheels/")
    assert next(e for e in after["entries"] if e["key"] == wheel["key"])["checksum"] == "verified"


async def test_a_file_that_does_not_match_its_manifest_is_refused_and_not_kept(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    job = await copy_and_wait(jp_fetch, "wheels/swapped-1.0-py3-none-any.whl", "swapped.whl")

    assert job["state"] == "failed"
    assert job["error"]["code"] == "checksum-mismatch"
    assert "swapped-1.0-py3-none-any.whl" in job["error"]["message"]
    assert os.listdir(jp_root_dir) == []


@pytest.fixture
def slow_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every stream counts as slow after its first piece: concurrent ranged reads take over."""
    monkeypatch.setattr(transfers, "PROBE", transfers.CHUNK)
    monkeypatch.setattr(transfers, "SLOW_STREAM", float("inf"))


@pytest.mark.usefixtures("slow_stream")
async def test_a_copy_by_concurrent_ranged_reads_is_whole_and_verified(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    job = await copy_and_wait(jp_fetch, "wheels/large.bin", "large.bin")

    assert job["state"] == "succeeded", job
    assert job["result"]["verified"] is True
    assert (jp_root_dir / "large.bin").read_bytes() == LARGE


@pytest.mark.usefixtures("slow_stream")
async def test_a_copy_by_ranged_reads_that_does_not_match_is_refused_and_not_kept(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    job = await copy_and_wait(jp_fetch, "wheels/large-swapped.bin", "large.bin")

    assert job["state"] == "failed"
    assert job["error"]["code"] == "checksum-mismatch"
    assert os.listdir(jp_root_dir) == []


async def test_an_existing_destination_is_never_overwritten_silently(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    (jp_root_dir / "readings.csv").write_text("mine")

    with pytest.raises(HTTPClientError) as refused:
        await post_copy(jp_fetch, "data/readings.csv", "readings.csv")

    assert refused.value.code == 409
    assert (jp_root_dir / "readings.csv").read_text() == "mine"


@pytest.mark.parametrize("destination", ["../outside.csv", "/tmp/outside.csv", ""])
async def test_a_destination_outside_the_workspace_is_refused(
    jp_fetch: Any, destination: str
) -> None:
    with pytest.raises(HTTPClientError) as refused:
        await post_copy(jp_fetch, "data/readings.csv", destination)

    assert refused.value.code == 400
    assert json.loads(refused.value.response.body)["code"] == "invalid-destination"


@pytest.mark.parametrize("key", ["../private/secret.csv", "/private/secret.csv"])
async def test_a_key_outside_the_profile_prefix_is_refused(jp_fetch: Any, key: str) -> None:
    with pytest.raises(HTTPClientError) as refused:
        await get(jp_fetch, "artifacts", "preview", key=key)

    assert refused.value.code == 400


async def test_a_cancelled_copy_leaves_nothing_behind(jp_fetch: Any, jp_root_dir: Path) -> None:
    job = json.loads((await post_copy(jp_fetch, "data/large.csv", "large.csv")).body)

    cancelled = await jp_fetch("airlock", "jobs", job["id"], method="DELETE")

    assert json.loads(cancelled.body)["state"] == "cancelled"
    assert os.listdir(jp_root_dir) == []


async def test_a_folder_is_copied_whole(jp_fetch: Any, jp_root_dir: Path) -> None:
    job = await copy_and_wait(jp_fetch, "many/", "many-copy")

    assert job["state"] == "succeeded", job
    assert job["result"]["files"] == 25
    assert sorted(p.name for p in (jp_root_dir / "many-copy").iterdir()) == [
        f"file-{number:02}.json" for number in range(25)
    ]


async def test_a_folder_with_one_swapped_file_is_not_copied_at_all(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    job = await copy_and_wait(jp_fetch, "wheels/", "wheels-copy")

    assert job["state"] == "failed"
    assert job["error"]["code"] == "checksum-mismatch"
    assert os.listdir(jp_root_dir) == []


async def test_overwriting_needs_to_be_asked_for(jp_fetch: Any, jp_root_dir: Path) -> None:
    (jp_root_dir / "readings.csv").write_text("mine")
    body = json.dumps(
        {"key": "data/readings.csv", "destination": "readings.csv", "overwrite": True}
    )

    response = await jp_fetch("airlock", "artifacts", "copy", method="POST", body=body)
    state = json.loads(response.body)
    while not state["finished"]:
        state = await get(jp_fetch, "jobs", state["id"])

    assert state["state"] == "succeeded"
    assert (jp_root_dir / "readings.csv").read_bytes() == CSV
