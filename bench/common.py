"""What every benchmark shares: its own servers, a Jupyter client, rounds that alternate the
two sides of a comparison, and the one line printed per benchmark."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import statistics
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import boto3
import jupyterlab
from botocore.config import Config

from demo.content import DEMO_AWS_ENV, DEMO_REGION
from demo.services import HOST, Service, free_port, start_moto, start_service

BUCKET = "airlock-bench"
S3_PROFILE = "bench"  # the active profile at the start: it reads BUCKET
FOLDER_PROFILE = "bench-folder"  # a mounted folder instead: Servers.mounted
MOUNTED = "mounted"  # that folder, under the Jupyter server's root
JUPYTER_READY_TIMEOUT = 120.0  # a cold start imports JupyterLab's server extension too
LOG_LINES = 30
REQUEST_TIMEOUT = 600.0  # a page of a 100,000-object folder is slow on moto, never this slow


class BenchError(RuntimeError):
    """A benchmark could not be set up or run: the message says what went wrong."""


@dataclass(frozen=True)
class Scale:
    """How big and how long: ``quick`` shrinks the data; ``rounds`` is per comparison."""

    quick: bool
    rounds: int


class Outcome(Protocol):
    """One printed line; ``holds`` is None when the line has no target."""

    @property
    def holds(self) -> bool | None: ...

    def line(self) -> str: ...


@dataclass(frozen=True)
class Ratio:
    """Medians of our side and of the baseline; the target bounds ours / baseline."""

    name: str
    ours_label: str
    ours: list[float]
    baseline_label: str
    baseline: list[float]
    limit: float

    @property
    def ratio(self) -> float:
        return statistics.median(self.ours) / statistics.median(self.baseline)

    @property
    def holds(self) -> bool:
        return self.ratio <= self.limit

    def line(self) -> str:
        return (
            f"{self.name}: {self.ours_label} {seconds(statistics.median(self.ours))}"
            f" | {self.baseline_label} {seconds(statistics.median(self.baseline))}"
            f" | ratio {self.ratio:.2f} | target <= {self.limit:.2f}"
            f" | {_verdict(self.holds)} (medians of {len(self.ours)} rounds)"
        )


@dataclass(frozen=True)
class Bound:
    """A measured value that must stay below a limit, printed with ``decimals`` digits."""

    name: str
    value: float
    unit: str
    limit: float
    decimals: int = 1

    @property
    def holds(self) -> bool:
        return self.value < self.limit

    def line(self) -> str:
        return (
            f"{self.name}: {self.value:,.{self.decimals}f} {self.unit}"
            f" | target < {self.limit:g} {self.unit}"
            f" | {_verdict(self.holds)}"
        )


@dataclass(frozen=True)
class Note:
    """A figure printed without a target."""

    name: str
    text: str

    @property
    def holds(self) -> None:
        return None

    def line(self) -> str:
        return f"{self.name}: {self.text}"


def _verdict(holds: bool) -> str:
    return "holds" if holds else "MISSED"


def seconds(value: float) -> str:
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def progress(message: str) -> None:
    """What is being prepared, on stderr: the result lines alone go to stdout."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def machine() -> str:
    """The CPU, its cores and the load: on a shared machine, the load explains the spread."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return f"{model}, {os.cpu_count()} cores, load average {load}"


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def alternate(rounds: int, *sides: Callable[[], float], warm_up: bool = True) -> list[list[float]]:
    """Time each side ``rounds`` times; every call returns the seconds it measured.

    The order reverses every round, so that drift during the run (the page cache filling, a
    neighbour's load) falls on all sides alike. The warm-up round (first connections,
    imports, caches) is not counted.
    """
    if warm_up:
        for run in sides:
            run()
    times: list[list[float]] = [[] for _ in sides]
    order = list(zip(times, sides, strict=True))
    for number in range(rounds):
        for measured, run in reversed(order) if number % 2 else order:
            measured.append(run())
    return times


class Jupyter:
    """A Jupyter server's REST API over one kept-alive connection, authenticated by token.

    A token header needs no XSRF cookie, also for POSTs.
    """

    def __init__(self, url: str, token: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.url = url
        self.token = token  # the browser of a UI benchmark needs it too
        self._headers = {"Authorization": f"token {token}"}
        self._connection = http.client.HTTPConnection(
            parts.hostname or HOST, parts.port, timeout=REQUEST_TIMEOUT
        )

    def get(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        return self._call("GET", f"{path}?{query}" if query else path, None)

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        return self._call("POST", path, json.dumps(body).encode())

    def _call(self, method: str, path: str, body: bytes | None) -> Any:
        headers = dict(self._headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        self._connection.request(method, path, body=body, headers=headers)
        response = self._connection.getresponse()
        data = response.read()
        if response.status >= 400:
            try:
                message = json.loads(data).get("message")
            except ValueError:
                message = data[:200].decode("utf-8", "replace")
            raise BenchError(f"{method} {path} answered HTTP {response.status}: {message}")
        return json.loads(data)

    def close(self) -> None:
        self._connection.close()


@dataclass(frozen=True)
class Servers:
    """The S3 server (moto) with the bench bucket, and a Jupyter server with Airlock whose
    active profile reads that bucket; its other profile reads the folder ``mounted``."""

    s3_url: str
    jupyter: Jupyter
    jupyter_pid: int
    root_dir: Path

    @property
    def mounted(self) -> Path:
        """The folder profile's source, inside the Jupyter root so that JupyterLab's file
        browser shows it too."""
        return self.root_dir / MOUNTED

    def s3(self, **config: Any) -> Any:
        """A boto3 S3 client of that server; ``config`` goes to botocore's Config."""
        return _s3_client(self.s3_url, **config)


def _s3_client(url: str, **config: Any) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name=DEMO_REGION,
        aws_access_key_id=DEMO_AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DEMO_AWS_ENV["AWS_SECRET_ACCESS_KEY"],
        config=Config(**config),
    )


@contextlib.contextmanager
def servers(work: Path) -> Iterator[Servers]:
    """Start moto and Jupyter (logs, home, workspace under ``work``); stop both on exit."""
    logs = work / "logs"
    with contextlib.ExitStack() as stack:
        moto = start_moto(log=logs / "moto.log")
        stack.callback(moto.stop)
        _s3_client(moto.url).create_bucket(Bucket=BUCKET)
        root = work / "workspace"
        (root / MOUNTED).mkdir(parents=True)
        lab, token = start_jupyter(work, moto.url, root)
        stack.callback(lab.stop)
        jupyter = Jupyter(lab.url.removesuffix("/api"), token)
        stack.callback(jupyter.close)
        try:
            yield Servers(moto.url, jupyter, lab.process.pid, root)
        except BenchError as error:
            # The logs go with the temporary folder: what the server said goes with the error.
            log = (logs / "jupyter.log").read_text(errors="replace").splitlines()
            raise BenchError(f"{error}\nlast lines of the Jupyter server's log:\n" +
                             "\n".join(log[-LOG_LINES:])) from None  # fmt: skip


def start_jupyter(work: Path, s3_url: str, root: Path) -> tuple[Service, str]:
    """A Jupyter server with Airlock whose active profile reads the bench bucket, and whose
    other profile reads the folder MOUNTED of its root.

    Galata's in-page helpers are loaded too (they change nothing on the server), so that a
    UI benchmark can drive this server's JupyterLab; unlike Galata's own test settings, the
    server keeps its token.
    """
    source = {"kind": "s3", "endpoint_url": s3_url, "bucket": BUCKET, "region": DEMO_REGION}
    folder = {"kind": "folder", "path": str(root / MOUNTED)}
    config_dir = work / "config"
    config_dir.mkdir(parents=True)
    config = {
        "Airlock": {
            "profiles": [
                {"name": S3_PROFILE, "source": source},
                {"name": FOLDER_PROFILE, "source": folder},
            ],
            "active_profile": S3_PROFILE,
        },
        "LabServerApp": {
            "extra_labextensions_path": [str(Path(jupyterlab.__file__).parent / "galata")]
        },
        "LabApp": {"expose_app_in_browser": True},
    }
    (config_dir / "jupyter_server_config.json").write_text(json.dumps(config, indent=2))
    home = work / "home"
    home.mkdir()
    token = secrets.token_hex(24)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("XDG_")},
        **DEMO_AWS_ENV,  # moto takes any credentials; the server finds these in its chain
        "HOME": str(home),  # applying the profile writes pip's config there
        "JUPYTER_CONFIG_DIR": str(config_dir),
        "JUPYTER_TOKEN": token,  # not on the command line, where ps would show it
    }
    cmd = [
        sys.executable, "-m", "jupyter_server", "--no-browser",
        f"--ServerApp.ip={HOST}", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
    ]  # fmt: skip
    if os.geteuid() == 0:
        cmd.append("--allow-root")  # containers run as root; Jupyter refuses otherwise
    service = start_service(
        "Jupyter server",
        cmd,
        f"http://{HOST}:{port}/api",
        log=work / "logs" / "jupyter.log",
        env=env,
        timeout=JUPYTER_READY_TIMEOUT,
    )
    return service, token
