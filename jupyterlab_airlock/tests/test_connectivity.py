"""check_profile against real servers on 127.0.0.1: pypiserver, moto's S3, small HTTP(S) servers."""

from __future__ import annotations

import asyncio
import datetime
import http.server
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from demo.services import Service, free_port, start_moto, start_pypiserver
from jupyterlab_airlock.connectivity import check_profile
from jupyterlab_airlock.errors import REFUSED_ADVICE

HOST = "127.0.0.1"
BUCKET = "airlock-read"


def check(profile: dict[str, Any], timeout: float = 5.0) -> list[dict[str, Any]]:
    return asyncio.run(check_profile({"name": "test", **profile}, timeout))


def only(profile: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
    [result] = check(profile, timeout)
    return result


class _Server(http.server.ThreadingHTTPServer):
    """Answers GETs from a table of paths to statuses (404 otherwise) and records them."""

    daemon_threads = True

    def __init__(self, routes: dict[str, int], auth: str | None) -> None:
        super().__init__((HOST, 0), _Handler)
        self.routes = routes
        self.auth = auth  # the Authorization header required, if any
        self.seen: list[str] = []


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        # Through a proxy the path is the absolute URL: recording it shows who was asked.
        self.server.seen.append(self.path)
        status = self.server.routes.get(self.path, 404)
        if self.server.auth and self.headers.get("Authorization") != self.server.auth:
            status = 401
        body = b"{}"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # keep the test output clean
        pass


ServeFn = Callable[..., tuple[str, _Server]]


@pytest.fixture
def serve() -> Iterator[ServeFn]:
    """Start HTTP(S) servers in threads; returns (base URL, server); all stop at teardown."""
    started: list[tuple[_Server, threading.Thread]] = []

    def start(
        routes: dict[str, int], tls: ssl.SSLContext | None = None, auth: str | None = None
    ) -> tuple[str, _Server]:
        server = _Server(routes, auth)
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        started.append((server, thread))
        scheme = "https" if tls else "http"
        return f"{scheme}://{HOST}:{server.server_address[1]}", server

    yield start
    for server, thread in started:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for the IP 127.0.0.1 only (so "localhost" mismatches)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Airlock test mirror")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(serve: ServeFn, certificate: tuple[Path, Path]) -> str:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    url, _ = serve({"/simple/": 200}, tls=context)
    return url


@pytest.fixture(scope="module")
def pypi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    service = start_pypiserver(tmp_path_factory.mktemp("wheels"))
    yield service
    service.stop()


@pytest.fixture(scope="module")
def moto() -> Iterator[Service]:
    service = start_moto()
    yield service
    service.stop()


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials, config files or proxies of the machine running the tests."""
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CA_BUNDLE", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) but never answers."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        sock.listen()
        yield sock.getsockname()[1]


# --- pip indexes ----------------------------------------------------------------------------


def test_pypiserver_answers(pypi: Service) -> None:
    result = only({"pip": {"index-url": pypi.url}})
    assert result["endpoint"] == "pip index"
    assert result["url"] == pypi.url
    assert (result["ok"], result["status"], result["cause"]) == (True, 200, None)
    assert isinstance(result["latency_ms"], float)
    assert result["latency_ms"] > 0


def test_refused_port() -> None:
    port = free_port()
    result = only({"pip": {"index-url": f"http://{HOST}:{port}/simple/"}})
    assert not result["ok"]
    assert result["status"] is None
    assert result["latency_ms"] is None
    assert result["cause"] == f"{HOST}:{port} refused the connection: {REFUSED_ADVICE}"


def test_name_that_does_not_resolve() -> None:
    result = only({"pip": {"index-url": "http://airlock-nonexistent.invalid/simple/"}})
    assert not result["ok"]
    assert result["cause"].startswith("the name airlock-nonexistent.invalid does not resolve")


def test_timeout_when_the_server_never_answers(silent_port: int) -> None:
    started = time.perf_counter()
    result = only({"pip": {"index-url": f"http://{HOST}:{silent_port}/simple/"}}, timeout=0.5)
    assert time.perf_counter() - started < 2
    assert not result["ok"]
    assert result["latency_ms"] is None
    assert result["cause"].startswith("no answer within 0.5 s")


def test_all_endpoints_in_profile_order_and_concurrently(
    pypi: Service, serve: ServeFn, silent_port: int
) -> None:
    base, _ = serve({"/npm/": 200})
    refused = free_port()
    profile = {
        "pip": {
            "index-url": pypi.url,
            "extra-index-url": [
                f"http://{HOST}:{silent_port}/simple/",
                f"http://{HOST}:{refused}/simple/",
            ],
        },
        "npm": {"registry": f"{base}/npm/"},
    }
    started = time.perf_counter()
    results = check(profile, timeout=1)
    # One hanging endpoint costs one timeout, not one per endpoint.
    assert time.perf_counter() - started < 2
    assert [(r["endpoint"], r["ok"]) for r in results] == [
        ("pip index", True),
        ("pip extra index", False),
        ("pip extra index", False),
        ("npm registry", True),
    ]
    assert results[1]["cause"].startswith("no answer within 1 s")
    assert "refused" in results[2]["cause"]


def test_http_statuses_get_causes(serve: ServeFn) -> None:
    base, _ = serve({"/broken/": 502})
    results = check(
        {"pip": {"index-url": f"{base}/missing/", "extra-index-url": [f"{base}/broken/"]}}
    )
    assert [r["status"] for r in results] == [404, 502]
    assert not any(r["ok"] for r in results)
    assert "was not found (HTTP 404)" in results[0]["cause"]
    assert "/simple/" in results[0]["cause"]
    assert "HTTP 502 (a server error)" in results[1]["cause"]
    assert all(isinstance(r["latency_ms"], float) for r in results)


def test_credentials_come_from_netrc(
    serve: ServeFn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "alice:wonderland" in base64, as HTTP basic authentication sends it.
    base, _ = serve({"/simple/": 200}, auth="Basic YWxpY2U6d29uZGVybGFuZA==")
    profile = {"pip": {"index-url": f"{base}/simple/"}}
    result = only(profile)
    assert result["status"] == 401
    assert result["cause"] == (
        f"the mirror refused access (HTTP 401): check the credentials for {HOST} "
        "in ~/.netrc or your keyring"
    )
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine {HOST} login alice password wonderland\n")
    monkeypatch.setenv("NETRC", str(netrc))
    assert only(profile)["status"] == 200


def test_credentials_never_shown() -> None:
    port = free_port()
    result = only({"pip": {"index-url": f"http://alice:s3cret@{HOST}:{port}/simple/"}})
    assert result["url"] == f"http://***@{HOST}:{port}/simple/"
    assert "s3cret" not in str(result)
    assert "alice" not in str(result)


# --- TLS ------------------------------------------------------------------------------------


def test_self_signed_certificate_is_not_trusted(tls_server: str) -> None:
    result = only({"pip": {"index-url": f"{tls_server}/simple/"}})
    assert not result["ok"]
    assert result["cause"].startswith(f"the TLS certificate of {HOST} is not trusted")
    assert result["cause"].endswith("set the profile's CA bundle to your corporate CA")


def test_ca_bundle_makes_it_trusted(tls_server: str, certificate: tuple[Path, Path]) -> None:
    result = only({"ca_bundle": str(certificate[0]), "pip": {"index-url": f"{tls_server}/simple/"}})
    assert (result["ok"], result["status"]) == (True, 200)


def test_certificate_for_another_name(tls_server: str, certificate: tuple[Path, Path]) -> None:
    url = tls_server.replace(HOST, "localhost") + "/simple/"
    result = only({"ca_bundle": str(certificate[0]), "pip": {"index-url": url}})
    assert not result["ok"]
    assert result["cause"].startswith(
        "the TLS certificate of localhost was issued for another name"
    )


def test_unusable_ca_bundle(tls_server: str, pypi: Service, tmp_path: Path) -> None:
    profile = {
        "ca_bundle": str(tmp_path / "missing.pem"),
        "pip": {"index-url": f"{tls_server}/simple/", "extra-index-url": [pypi.url]},
    }
    https, plain = check(profile)
    assert not https["ok"]
    assert https["cause"].startswith(
        f"the profile's CA bundle {tmp_path / 'missing.pem'} cannot be used"
    )
    assert plain["ok"]  # a plain-http endpoint does not need the bundle


# --- proxies --------------------------------------------------------------------------------


def test_profile_proxy_is_used(serve: ServeFn) -> None:
    proxy, server = serve({"http://airlock-nonexistent.invalid/simple/": 200})
    profile = {
        "pip": {"index-url": "http://airlock-nonexistent.invalid/simple/"},
        "proxy": {"http": proxy},
    }
    assert only(profile)["status"] == 200
    assert server.seen == ["http://airlock-nonexistent.invalid/simple/"]


def test_refused_proxy_and_no_proxy(pypi: Service) -> None:
    proxy = f"http://bob:hunter2@{HOST}:{free_port()}"
    profile = {"pip": {"index-url": pypi.url}, "proxy": {"http": proxy}}
    result = only(profile)
    assert result["cause"].startswith("the proxy 127.0.0.1:")
    assert "refused the connection" in result["cause"]
    assert "hunter2" not in result["cause"]
    # A network in no_proxy sends loopback hosts straight to the mirror.
    profile["proxy"] = {"http": proxy, "no_proxy": ["corp.example", "127.0.0.0/8"]}
    assert only(profile)["ok"]


def test_server_environment_proxy_is_ignored(
    pypi: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, f"http://{HOST}:{free_port()}")
    assert only({"pip": {"index-url": pypi.url}})["ok"]


# --- conda channels -------------------------------------------------------------------------


def test_conda_channels_resolve_like_conda(serve: ServeFn) -> None:
    base, server = serve(
        {
            "/alias/conda-forge/noarch/repodata.json": 200,
            "/custom/internal/label/dev/noarch/repodata.json": 200,
            "/pkgs/main/noarch/repodata.json": 200,
        }
    )
    conda = {
        "channels": ["conda-forge", "internal/label/dev", f"{base}/plain/", "defaults"],
        "channel_alias": f"{base}/alias/",
        "custom_channels": {"internal": f"{base}/custom"},
        "default_channels": [f"{base}/pkgs/main", f"{base}/pkgs/r"],
    }
    results = check({"conda": conda})
    assert [(r["endpoint"], r["url"], r["ok"]) for r in results] == [
        ("conda channel conda-forge", f"{base}/alias/conda-forge", True),
        ("conda channel internal/label/dev", f"{base}/custom/internal/label/dev", True),
        (f"conda channel {base}/plain/", f"{base}/plain", False),
        ("conda channel defaults", f"{base}/pkgs/main", True),
        ("conda channel defaults", f"{base}/pkgs/r", False),
    ]
    assert results[2]["status"] == 404
    assert "not a conda channel" in results[2]["cause"]
    assert f"{base}/plain/noarch/repodata.json" in results[2]["cause"]
    assert "/plain/noarch/repodata.json" in server.seen


def test_bare_channel_name_uses_condas_default_alias() -> None:
    # The https proxy refuses, so the probe never leaves the machine.
    profile = {
        "conda": {"channels": ["conda-forge"]},
        "proxy": {"https": f"http://{HOST}:{free_port()}"},
    }
    result = only(profile)
    assert result["url"] == "https://conda.anaconda.org/conda-forge"
    assert result["cause"].startswith("the proxy 127.0.0.1:")


def test_local_file_channel(tmp_path: Path) -> None:
    (tmp_path / "channel" / "noarch").mkdir(parents=True)
    (tmp_path / "channel" / "noarch" / "repodata.json").write_text("{}")
    channel, empty = (tmp_path / "channel").as_uri(), tmp_path.as_uri()
    good, bad = check({"conda": {"channels": [channel, empty]}})
    assert (good["ok"], good["url"]) == (True, channel)
    assert not bad["ok"]
    assert "does not exist" in bad["cause"]
    assert "not a conda channel" in bad["cause"]


# --- artifact sources -----------------------------------------------------------------------


def s3_source(moto: Service, bucket: str = BUCKET, **extra: str) -> dict[str, Any]:
    return {
        "source": {
            "kind": "s3",
            "endpoint_url": moto.url,
            "bucket": bucket,
            "prefix": "incoming/",
            "region": "us-east-1",
            **extra,
        }
    }


@pytest.fixture
def bucket(moto: Service) -> Iterator[str]:
    client = boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    yield BUCKET
    client.delete_bucket(Bucket=BUCKET)


def test_s3_bucket_answers(moto: Service, bucket: str) -> None:
    result = only(s3_source(moto))
    assert result["endpoint"] == "artifact source"
    assert result["url"] == f"{moto.url}/{BUCKET}/incoming/"
    assert (result["ok"], result["status"], result["cause"]) == (True, 200, None)
    assert isinstance(result["latency_ms"], float)


def test_s3_missing_bucket(moto: Service) -> None:
    result = only(s3_source(moto, bucket="no-such-bucket"))
    assert not result["ok"]
    assert result["status"] == 404
    assert result["cause"].startswith("the bucket 'no-such-bucket' does not exist")


def test_s3_named_aws_profile(
    moto: Service, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = only(s3_source(moto, aws_profile="airlock"))
    assert not result["ok"]
    assert result["cause"].startswith("the AWS profile 'airlock' is not defined")
    credentials = tmp_path / "credentials"
    credentials.write_text("[airlock]\naws_access_key_id = a\naws_secret_access_key = b\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    assert only(s3_source(moto, aws_profile="airlock"))["ok"]


def test_s3_endpoint_refused() -> None:
    port = free_port()
    source = {"kind": "s3", "endpoint_url": f"http://{HOST}:{port}", "bucket": BUCKET}
    result = only({"source": source})
    assert not result["ok"]
    assert result["cause"] == f"{HOST}:{port} refused the connection: {REFUSED_ADVICE}"


def test_s3_endpoint_that_never_answers(silent_port: int) -> None:
    source = {"kind": "s3", "endpoint_url": f"http://{HOST}:{silent_port}", "bucket": BUCKET}
    result = only({"source": source}, timeout=0.5)
    assert result["cause"].startswith("no answer within 0.5 s")


def test_unforeseen_failure_stays_in_its_result(pypi: Service) -> None:
    # boto3 rejects an endpoint without a scheme; the pip index is still checked.
    source = {"kind": "s3", "endpoint_url": f"{HOST}:9", "bucket": BUCKET}
    index, s3 = check({"pip": {"index-url": pypi.url}, "source": source})
    assert index["ok"]
    assert not s3["ok"]
    assert s3["cause"] == f"the check failed: Invalid endpoint: {HOST}:9"


def test_folder_sources(tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_text("not a folder")
    for path, expected in [
        (tmp_path, None),
        (tmp_path / "absent", f"the folder {tmp_path / 'absent'} does not exist"),
        (tmp_path / "file.txt", f"{tmp_path / 'file.txt'} is not a folder"),
    ]:
        result = only({"source": {"kind": "folder", "path": str(path)}})
        assert result["url"] == path.as_uri()
        assert result["ok"] is (expected is None)
        assert result["status"] is None
        assert (result["cause"] or "").startswith(expected or "")
