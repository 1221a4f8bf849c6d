"""S3Source against moto's standalone S3 server on 127.0.0.1, spoken to over HTTP by boto3."""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import json
import os
import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import psutil
import pytest

from demo.content import DEMO_AWS_ENV
from demo.services import Service, free_port, start_moto
from jupyterlab_airlock.errors import REFUSED_ADVICE, AirlockError
from jupyterlab_airlock.sources import Page, S3Source, Source, source_from_config

BUCKET = "airlock-read"
PREFIX = "exchange"
CSV = b"name,size\nalpha,1\nbeta,22\ngamma,333\n"
BIG = os.urandom(5 * 1024 * 1024 + 123)  # 5 MiB and a bit: a short last chunk
MANY = 25
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
MIB = 1 << 20


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def admin(url: str, **credentials: str) -> Any:
    """A boto3 client for setting up the server (the tests' own, not the source's)."""
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name=DEMO_AWS_ENV["AWS_DEFAULT_REGION"],
        aws_access_key_id=credentials.get("key", DEMO_AWS_ENV["AWS_ACCESS_KEY_ID"]),
        aws_secret_access_key=credentials.get("secret", DEMO_AWS_ENV["AWS_SECRET_ACCESS_KEY"]),
    )


@pytest.fixture(scope="module")
def moto() -> Iterator[Service]:
    service = start_moto()
    s3 = admin(service.url)
    s3.create_bucket(Bucket=BUCKET)
    objects = {
        "outside.txt": b"not for the air gap",
        f"{PREFIX}-private/secret.csv": b"a sibling prefix, not under exchange/",
        f"{PREFIX}/data/": b"",  # a folder marker, as consoles write them
        f"{PREFIX}/data/a.csv": CSV,
        f"{PREFIX}/data/sub/b.json": b"{}",
        f"{PREFIX}/big.bin": BIG,
        f"{PREFIX}/back\\slash.txt": b"no clean key names it: not listed",
        **{f"{PREFIX}/many/f{i:02d}.txt": str(i).encode() for i in range(MANY)},
    }
    for key, body in objects.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    yield service
    service.stop()


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The demo credentials in the environment; nothing from the machine running the tests."""
    for name, value in DEMO_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("https_proxy", raising=False)


def source(moto: Service, prefix: str = PREFIX, **extra: str) -> Source:
    config = {"kind": "s3", "endpoint_url": moto.url, "bucket": BUCKET, "prefix": prefix}
    return source_from_config({**config, "region": "us-east-1", **extra})


def failure(coro: Any) -> AirlockError:
    with pytest.raises(AirlockError) as caught:
        run(coro)
    return caught.value


def test_config_makes_a_scoped_s3_source(moto: Service) -> None:
    src = source(moto, prefix="/exchange//")  # cleaned like any key
    assert isinstance(src, S3Source)
    assert src.kind == "s3"
    assert src.describe() == f"s3://{BUCKET}/{PREFIX}/ at {moto.url}"
    hidden = source_from_config(
        {"kind": "s3", "bucket": "b", "endpoint_url": "https://me:secret@minio.corp:9000/"}
    )
    assert hidden.describe() == "s3://b/ at https://***@minio.corp:9000"
    assert "secret" not in hidden.describe()


@pytest.mark.parametrize(
    ("config", "needle"),
    [({"kind": "s3", "prefix": "x"}, "'bucket'"), ({"kind": "ftp"}, "'ftp'"), ({}, "None")],
)
def test_bad_config_is_refused(config: dict[str, Any], needle: str) -> None:
    with pytest.raises(AirlockError) as caught:
        source_from_config(config)
    assert (caught.value.code, caught.value.status) == ("invalid-source", 400)
    assert needle in caught.value.message


def test_listing_pages_through_a_folder_losing_nothing(moto: Service) -> None:
    src = source(moto)
    pages: list[Page] = []
    token = None
    while True:
        page = run(src.list("many", token=token, limit=10))
        pages.append(page)
        token = page.next_token
        if token is None:
            break
    assert [len(page.entries) for page in pages] == [10, 10, 5]
    keys = [entry.key for page in pages for entry in page.entries]
    assert keys == [f"many/f{i:02d}.txt" for i in range(MANY)]  # in order, none twice
    assert all(page.prefix == "many/" and page.folders == [] for page in pages)


def test_listing_shows_one_level_with_folders_sizes_and_dates(moto: Service) -> None:
    src = source(moto)
    top = run(src.list())
    assert top.prefix == ""
    assert top.folders == ["data/", "many/"]
    assert [(e.key, e.name, e.size) for e in top.entries] == [("big.bin", "big.bin", len(BIG))]
    data = run(src.list("data/"))
    assert data.folders == ["data/sub/"]  # the "data/" marker object is no entry
    [csv] = data.entries
    assert (csv.key, csv.name, csv.size) == ("data/a.csv", "a.csv", len(CSV))
    assert csv.etag == hashlib.md5(CSV).hexdigest()  # noqa: S324 (S3's ETag of a simple put)
    assert csv.modified is not None
    assert ISO_UTC.match(csv.modified)
    modified = datetime.datetime.fromisoformat(csv.modified.replace("Z", "+00:00"))
    age = datetime.datetime.now(datetime.timezone.utc) - modified
    assert datetime.timedelta(0) <= age < datetime.timedelta(minutes=10)
    shape = json.loads(json.dumps(data.to_json()))
    assert shape == {
        "prefix": "data/",
        "folders": ["data/sub/"],
        "entries": [
            {
                "key": "data/a.csv",
                "name": "a.csv",
                "size": len(CSV),
                "modified": csv.modified,
                "etag": csv.etag,
            }
        ],
        "next_token": None,
    }


def test_nothing_outside_the_prefix_is_listed_or_read(moto: Service) -> None:
    src = source(moto)
    top = run(src.list())
    names = top.folders + [entry.key for entry in top.entries]
    assert not any("outside" in name or "private" in name for name in names)
    # The same key names exchange/outside.txt here, which does not exist.
    assert failure(src.stat("outside.txt")).code == "not-found"
    for key in ("../outside.txt", "data/../../outside.txt", "/outside.txt"):
        assert failure(src.read_range(key, 0, 10)).code == "invalid-key"
        assert failure(src.list(key)).code == "invalid-key"
    # A prefix string match is not enough: exchange-private/ is not under exchange/.
    assert run(src.list("-private")).entries == []
    # The whole bucket, for contrast, does hold them.
    whole = run(source(moto, prefix="").list())
    assert "outside.txt" in [entry.key for entry in whole.entries]
    assert f"{PREFIX}-private/" in whole.folders


def test_stat_reads_the_objects_metadata(moto: Service) -> None:
    entry = run(source(moto).stat("data//a.csv"))
    assert (entry.key, entry.name, entry.size) == ("data/a.csv", "a.csv", len(CSV))
    assert entry.modified is not None
    assert ISO_UTC.match(entry.modified)
    assert entry.etag == hashlib.md5(CSV).hexdigest()  # noqa: S324
    assert failure(source(moto).stat("data/")).code == "invalid-key"  # a folder, not a file


def test_read_range_returns_exactly_the_bytes(moto: Service) -> None:
    src = source(moto)
    assert run(src.read_range("data/a.csv", 5, 10)) == CSV[5:15]
    assert run(src.read_range("data/a.csv", 0, 1000)) == CSV  # shorter at the end
    assert run(src.read_range("data/a.csv", len(CSV) - 3, 10)) == CSV[-3:]
    assert run(src.read_range("data/a.csv", len(CSV) + 5, 10)) == b""  # past the end
    assert run(src.read_range("big.bin", 3 * MIB + 7, 4096)) == BIG[3 * MIB + 7 : 3 * MIB + 4103]
    assert run(src.read_range("data/a.csv", 3, 0)) == b""
    assert failure(src.read_range("data/a.csv", -1, 5)).code == "invalid-range"


def test_stream_reassembles_a_large_object_chunk_by_chunk(moto: Service) -> None:
    async def collect() -> list[bytes]:
        return [chunk async for chunk in source(moto).stream("big.bin", chunk_size=MIB)]

    chunks = run(collect())
    assert [len(chunk) for chunk in chunks] == [MIB] * 5 + [123]
    assert hashlib.sha256(b"".join(chunks)).digest() == hashlib.sha256(BIG).digest()


def test_closing_a_stream_early_drops_its_connection(moto: Service) -> None:
    src = source(moto)
    port = int(moto.url.rsplit(":", 1)[1])

    def sockets_to_moto() -> list[Any]:
        # A socket this process still holds shows up, even once moto has hung up on it.
        return [c for c in psutil.Process().net_connections() if c.raddr and c.raddr[1] == port]

    async def first_chunk_then_close() -> tuple[int, int, bytes]:
        stream = src.stream("big.bin", chunk_size=MIB)
        first = await anext(stream)
        during = len(sockets_to_moto())
        await stream.aclose()
        return during, len(sockets_to_moto()), first

    during, after, first = run(first_chunk_then_close())
    assert first == BIG[:MIB]
    assert (during, after) == (1, 0)  # the half-read connection was closed, not kept
    assert run(src.read_range("data/a.csv", 0, 4)) == CSV[:4]  # the source still works


def test_missing_key_is_404_naming_it(moto: Service) -> None:
    src = source(moto)
    for coro in (
        src.stat("data/nope.csv"),
        src.read_range("data/nope.csv", 0, 10),
        anext(src.stream("data/nope.csv")),
    ):
        error = failure(coro)
        assert (error.code, error.status) == ("not-found", 404)
        assert f"s3://{BUCKET}/{PREFIX}/data/nope.csv" in error.message


def test_missing_bucket_is_404_naming_bucket_and_endpoint(moto: Service) -> None:
    src = source_from_config({"kind": "s3", "endpoint_url": moto.url, "bucket": "no-such"})
    error = failure(src.list())
    assert (error.code, error.status) == ("bucket-not-found", 404)
    assert "no-such" in error.message
    assert moto.url in error.message


def test_refused_endpoint_is_502_at_once() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    src = source_from_config({"kind": "s3", "endpoint_url": url, "bucket": BUCKET})
    started = time.monotonic()
    error = failure(src.list())
    assert time.monotonic() - started < 4
    # 502, not 504: the Jupyter server logs an outage in one line, without request headers.
    assert (error.code, error.status) == ("source-unreachable", 502)
    assert url in error.message
    assert f"refused the connection: {REFUSED_ADVICE}" in error.message


def test_no_credentials_is_403_saying_where_to_put_them(
    moto: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    error = failure(source(moto).list())
    assert (error.code, error.status) == ("no-credentials", 403)
    assert "AWS_ACCESS_KEY_ID" in error.message
    assert "aws_profile" in error.message


def test_unknown_aws_profile_is_403_naming_it(moto: Service) -> None:
    error = failure(source(moto, aws_profile="nobody").list())
    assert (error.code, error.status) == ("no-credentials", 403)
    assert "'nobody'" in error.message


# --- least privilege: moto with IAM enforcement -------------------------------------------

READER_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        # The README's policy, as AWS and MinIO check it, carries Condition {"StringLike":
        # {"s3:prefix": ["scoped/*"]}}; moto does not evaluate s3:prefix conditions (it would
        # deny), so the resource alone scopes it. moto 5.2 (with botocore 1.44) also checks
        # each request as the IAM action named after its API operation (s3:ListObjectsV2,
        # s3:HeadObject), where AWS and MinIO check s3:ListBucket and s3:GetObject: the test
        # server is granted both names, the README keeps AWS's.
        {
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:ListObjectsV2"],
            "Resource": f"arn:aws:s3:::{BUCKET}",
        },
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:HeadObject"],
            "Resource": f"arn:aws:s3:::{BUCKET}/scoped/*",
        },
    ],
}


@pytest.fixture(scope="module")
def iam_moto() -> Iterator[tuple[Service, dict[str, str]]]:
    """A second moto server holding a reader that may only list and read ``scoped/``."""
    service = start_moto()
    s3 = admin(service.url)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="scoped/a.csv", Body=CSV)
    s3.put_object(Bucket=BUCKET, Key="other/b.csv", Body=b"secret")
    iam = boto3.client(
        "iam",
        endpoint_url=service.url,
        region_name="us-east-1",
        aws_access_key_id=DEMO_AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DEMO_AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    )
    iam.create_user(UserName="reader")
    iam.put_user_policy(
        UserName="reader", PolicyName="read-scoped", PolicyDocument=json.dumps(READER_POLICY)
    )
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    # From here on, every request must be signed by a known key and allowed by its policy.
    # text/plain: as a form, the body would be parsed away before moto reads it.
    request = urllib.request.Request(
        f"{service.url}/moto-api/reset-auth",
        b"0",
        headers={"Content-Type": "text/plain"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5):
        pass
    yield service, {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
    service.stop()


@pytest.fixture
def reader_profile(
    iam_moto: tuple[Service, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """The reader's keys in a shared credentials file, as profile "reader"; none in the env."""
    _, keys = iam_moto
    credentials = tmp_path / "credentials"
    credentials.write_text(
        f"[reader]\naws_access_key_id = {keys['key']}\n"
        f"aws_secret_access_key = {keys['secret']}\n"
        "[wrong]\naws_access_key_id = AKIAWRONGWRONGWRONG0\naws_secret_access_key = nope\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    return "reader"


def test_list_and_read_need_nothing_but_list_and_read_on_the_prefix(
    iam_moto: tuple[Service, dict[str, str]], reader_profile: str
) -> None:
    service, keys = iam_moto
    src = source(service, prefix="scoped", aws_profile=reader_profile)

    async def browse() -> tuple[Page, bytes, bytes]:
        page = await src.list()
        await src.stat("a.csv")
        head = await src.read_range("a.csv", 0, 4)
        whole = b"".join([chunk async for chunk in src.stream("a.csv")])
        return page, head, whole

    page, head, whole = run(browse())
    assert [entry.key for entry in page.entries] == ["a.csv"]
    assert (head, whole) == (CSV[:4], CSV)
    # The same keys may not list buckets nor head the bucket: the source never needed to.
    reader = admin(service.url, **keys)
    for forbidden in (reader.list_buckets, lambda: reader.head_bucket(Bucket=BUCKET)):
        with pytest.raises(reader.exceptions.ClientError) as caught:
            forbidden()
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_reading_outside_the_granted_prefix_is_403_saying_what_to_ask_for(
    iam_moto: tuple[Service, dict[str, str]], reader_profile: str
) -> None:
    service, _ = iam_moto
    src = source(service, prefix="other", aws_profile=reader_profile)
    for coro in (src.stat("b.csv"), src.read_range("b.csv", 0, 3)):
        error = failure(coro)
        assert (error.code, error.status) == ("access-denied", 403)
        assert f"s3://{BUCKET}/other/b.csv" in error.message
        assert "ask for list/read" in error.message


def test_rejected_credentials_are_403_pointing_at_the_credential_chain(
    iam_moto: tuple[Service, dict[str, str]], reader_profile: str
) -> None:
    service, _ = iam_moto
    error = failure(source(service, prefix="scoped", aws_profile="wrong").list())
    assert (error.code, error.status) == ("bad-credentials", 403)
    assert "aws_profile" in error.message
    assert "nope" not in error.message
    assert "AKIAWRONG" not in error.message
