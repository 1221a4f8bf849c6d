"""Transfers from a bucket (moto's S3 server): one stream, or concurrent ranged reads when the
stream is slow, written and hashed in order either way."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from demo.content import DEMO_AWS_ENV
from demo.services import Service, start_moto
from jupyterlab_airlock import transfers
from jupyterlab_airlock.errors import AirlockError
from jupyterlab_airlock.sources import S3Source
from jupyterlab_airlock.trust.manifests import Sha256Verifier

BUCKET = "airlock-transfers"
MIB = 1 << 20
BODY = os.urandom(5 * transfers.CHUNK + 123)  # random: a piece out of order would show


def admin(url: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name=DEMO_AWS_ENV["AWS_DEFAULT_REGION"],
        aws_access_key_id=DEMO_AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DEMO_AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    )


@pytest.fixture(scope="module")
def moto() -> Iterator[Service]:
    service = start_moto()
    admin(service.url).create_bucket(Bucket=BUCKET)
    yield service
    service.stop()


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in DEMO_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


@pytest.fixture
def slow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every stream counts as slow once its first piece is judged: ranged reads take over."""
    monkeypatch.setattr(transfers, "PROBE", transfers.CHUNK)
    monkeypatch.setattr(transfers, "SLOW_STREAM", float("inf"))


class Ranged:
    """The source's ranged reads, counted; ``gate`` (when set up) holds them back."""

    def __init__(self, src: S3Source, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self.gate: asyncio.Event | None = None
        self.started = asyncio.Event()
        read_range = src.read_range

        async def counted(key: str, start: int, length: int, etag: str | None = None) -> bytes:
            self.calls += 1
            self.started.set()
            if self.gate is not None:
                await self.gate.wait()
            return await read_range(key, start, length, etag=etag)

        monkeypatch.setattr(src, "read_range", counted)


def put(moto: Service, key: str, body: bytes) -> S3Source:
    admin(moto.url).put_object(Bucket=BUCKET, Key=key, Body=body)
    return S3Source(BUCKET, endpoint_url=moto.url, region="us-east-1")


async def transfer(
    src: S3Source, key: str, out: Path, progress: Callable[[int], None] = lambda _: None
) -> Sha256Verifier:
    entry = await src.stat(key)
    verifier = Sha256Verifier(key)
    with out.open("wb") as stream:
        await transfers.receive(src, entry, stream, verifier, progress)
    return verifier


@pytest.mark.usefixtures("slow")
def test_a_slow_stream_is_finished_by_ranged_reads_byte_for_byte(
    moto: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = put(moto, "big.bin", BODY)
    ranged = Ranged(src, monkeypatch)
    out = tmp_path / "big.bin"
    verifier = asyncio.run(transfer(src, "big.bin", out))
    assert ranged.calls == 4  # the first piece streamed, the other five pieces in four reads
    assert out.read_bytes() == BODY
    assert (verifier.size, verifier.hexdigest()) == (len(BODY), hashlib.sha256(BODY).hexdigest())


def test_a_fast_stream_stays_one_stream(
    moto: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transfers, "SLOW_STREAM", 0)
    src = put(moto, "big.bin", BODY)
    ranged = Ranged(src, monkeypatch)
    verifier = asyncio.run(transfer(src, "big.bin", tmp_path / "big.bin"))
    assert ranged.calls == 0
    assert verifier.hexdigest() == hashlib.sha256(BODY).hexdigest()


@pytest.mark.usefixtures("slow")
def test_an_object_replaced_during_the_transfer_is_refused(moto: Service, tmp_path: Path) -> None:
    src = put(moto, "replaced.bin", BODY)
    replaced = []

    def replace(received: int) -> None:
        # Once the stream has given its piece, and before ranged reads take over.
        if not replaced:
            admin(moto.url).put_object(Bucket=BUCKET, Key="replaced.bin", Body=BODY[::-1])
            replaced.append(received)

    with pytest.raises(AirlockError) as caught:
        asyncio.run(transfer(src, "replaced.bin", tmp_path / "out", progress=replace))
    assert (caught.value.code, caught.value.status) == ("transfer-broken", 502)
    assert "replaced.bin was replaced" in caught.value.message


@pytest.mark.usefixtures("slow")
def test_a_cancelled_transfer_leaves_no_read_running(
    moto: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = put(moto, "big.bin", BODY)
    ranged = Ranged(src, monkeypatch)

    async def cancel() -> None:
        ranged.gate = asyncio.Event()  # ranged reads start and wait: the copy is mid-way
        task = asyncio.ensure_future(transfer(src, "big.bin", tmp_path / "out"))
        await asyncio.wait_for(ranged.started.wait(), 30)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert asyncio.all_tasks() == {asyncio.current_task()}

    asyncio.run(cancel())
    assert ranged.calls == transfers.READERS
