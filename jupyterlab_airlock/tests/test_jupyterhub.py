"""Many users through a real JupyterHub on 127.0.0.1: the hub (from PyPI) behind
configurable-http-proxy (from npm), the dummy authenticator, and local single-user servers
that run as this OS user but each with a home of its own. The hub loads the admin's example
configuration, docs/jupyterhub_config.py, as an admin would copy it; only what a test
machine needs (ports, users, the local S3 server) is set around it.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import boto3
import httpx
import psutil
import pytest
from traitlets.config.loader import PyFileConfigLoader

from demo.content import DEMO_AWS_ENV
from demo.services import HOST, Service, free_port, spawn, start_moto

from .test_install_api import imports
from .wheels import make_wheel

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "jupyterhub_config.py"
PROXY = ROOT / "node_modules" / ".bin" / "configurable-http-proxy"
VENV_BIN = Path(sys.executable).parent
USERS = ("alice", "bob")
PASSWORD = "correct horse battery staple"
KERNEL = "work"
# Packages of the test bucket that the example's allowlist gets in the test; one is left out.
ALLOWED = ("airlock-a", "airlock-b", "airlock-c")
OUTSIDE = "airlock-outside"
LOOSENING = "c.Airlock.lock_profiles = False\nc.Airlock.policy = {}\n"
DEADLINE = 120.0  # seconds for the hub, a server or an install to get ready

pytestmark = pytest.mark.timeout(240)

T = TypeVar("T")


def until(what: str, check: Callable[[], T | None], timeout: float = DEADLINE) -> T:
    """Poll ``check`` until it returns something, or fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    while (result := check()) is None:
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout:g} s")
        time.sleep(0.1)  # bounded polling of a process that offers no event to wait on
    return result


@pytest.fixture(scope="module")
def example() -> dict[str, Any]:
    """The ``c.Airlock`` options of the example configuration, as the hub reads them."""
    config = PyFileConfigLoader(EXAMPLE.name, str(EXAMPLE.parent)).load_config()
    return copy.deepcopy(dict(config.Airlock))


def active_source(example: dict[str, Any]) -> dict[str, Any]:
    [profile] = [p for p in example["profiles"] if p["name"] == example["active_profile"]]
    source: dict[str, Any] = profile["source"]
    return source


@pytest.fixture(scope="module")
def bucket(tmp_path_factory: pytest.TempPathFactory, example: dict[str, Any]) -> Iterator[str]:
    """The example's read bucket, in a local S3 server: a closure of three wheels and one
    wheel the policy does not allow, with their sums. Yields the server's URL."""
    folder = tmp_path_factory.mktemp("wheels")
    wheels = [
        make_wheel(folder, "airlock-a", "1.0", ["airlock-b>=1"]),
        make_wheel(folder, "airlock-b", "1.0", ["airlock-c"]),
        make_wheel(folder, "airlock-c", "1.0"),
        make_wheel(folder, OUTSIDE, "1.0"),
    ]
    source = active_source(example)
    service = start_moto()
    try:
        s3 = boto3.client("s3", endpoint_url=service.url, region_name=source["region"],
                          aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip
        s3.create_bucket(
            Bucket=source["bucket"],
            CreateBucketConfiguration={"LocationConstraint": source["region"]},
        )
        sums = ""
        for wheel in wheels:
            body = wheel.read_bytes()
            key = f"{source['prefix']}wheels/{wheel.name}"
            s3.put_object(Bucket=source["bucket"], Key=key, Body=body)
            sums += f"{hashlib.sha256(body).hexdigest()}  {wheel.name}\n"
        s3.put_object(
            Bucket=source["bucket"], Key=f"{source['prefix']}wheels/SHA256SUMS", Body=sums
        )
        yield service.url
    finally:
        service.stop()


def options_for_the_test(example: dict[str, Any], endpoint: str, audit: Path) -> dict[str, Any]:
    """The example's options, reaching the local S3 server instead of AWS, with the test's
    packages allowed and the audit logs in the test's folder."""
    options = copy.deepcopy(example)
    for profile in options["profiles"]:
        if profile.get("source", {}).get("kind") == "s3":
            profile["source"]["endpoint_url"] = endpoint
    policy = options["policy"]
    for source in policy["allowed_sources"]:
        source["endpoint_url"] = endpoint
    policy["allow"] = [*policy["allow"], *ALLOWED]
    options["audit_log"] = str(audit / "{username}.jsonl")
    return options


def make_kernel(home: Path, prefix: Path) -> None:
    """A virtual environment (no pip in it: the server's pip installs) and its kernelspec
    in the user's own Jupyter data folder."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True)
    spec = home / ".local" / "share" / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [str(prefix / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Work", "language": "python"})
    )


class Hub:
    """A running hub: its public URL, its admin's token and the users' folders."""

    def __init__(self, root: Path, service: Service, admin_token: str) -> None:
        self.root = root
        self.service = service
        self.admin_token = admin_token
        self.tokens: dict[str, str] = {}

    def log_tail(self, lines: int = 60) -> str:
        log = (self.root / "jupyterhub.log").read_text(errors="replace").splitlines()
        return "last lines of the hub's log:\n" + "\n".join(log[-lines:])

    def home(self, user: str) -> Path:
        return self.root / "home" / user

    def python(self, user: str) -> Path:
        return self.root / "envs" / user / "bin" / "python"

    def audit(self, user: str) -> list[dict[str, Any]]:
        path = self.root / "audit" / f"{user}.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"token {token}"} if token else {}
        # trust_env=False: a proxy from the environment must not get loopback requests.
        return httpx.Client(base_url=self.service.url, headers=headers, trust_env=False, timeout=30)

    def as_user(self, user: str) -> httpx.Client:
        return self.client(self.tokens[user])


def hub_config(root: Path, ports: dict[str, int], admin_token: str, options: dict[str, Any]) -> str:
    """The hub's configuration: the admin's copy of the example, then the test machine's."""
    admin_copy = root / "etc" / "jupyterhub" / "jupyterhub_config.py"
    admin_copy.parent.mkdir(parents=True)
    shutil.copy(EXAMPLE, admin_copy)
    args = ["--ServerApp.allow_root=True"] if os.geteuid() == 0 else []
    lines = [
        "c = get_config()  # noqa: F821",
        f"load_subconfig({str(admin_copy)!r})  # noqa: F821",
        f"c.JupyterHub.bind_url = 'http://{HOST}:{ports['public']}/'",
        f"c.JupyterHub.hub_bind_url = 'http://{HOST}:{ports['hub']}/'",
        f"c.ConfigurableHTTPProxy.api_url = 'http://{HOST}:{ports['proxy_api']}/'",
        f"c.ConfigurableHTTPProxy.command = [{str(PROXY)!r}]",
        f"c.ConfigurableHTTPProxy.pid_file = {str(root / 'proxy.pid')!r}",
        f"c.JupyterHub.db_url = {'sqlite:///' + str(root / 'jupyterhub.sqlite')!r}",
        f"c.JupyterHub.cookie_secret_file = {str(root / 'cookie_secret')!r}",
        "c.JupyterHub.authenticator_class = 'dummy'",
        f"c.DummyAuthenticator.password = {PASSWORD!r}",
        f"c.Authenticator.allowed_users = {set(USERS)!r}",
        "c.JupyterHub.spawner_class = 'simple'",
        # Answer a server start at once, so that both servers start side by side.
        "c.JupyterHub.tornado_settings = {'slow_spawn_timeout': 0}",
        # A loaded two-core machine takes a while to import a single-user server twice.
        f"c.Spawner.start_timeout = {int(DEADLINE)}",
        f"c.Spawner.http_timeout = {int(DEADLINE)}",
        f"c.SimpleLocalProcessSpawner.home_dir_template = {str(root / 'home' / '{username}')!r}",
        f"c.Spawner.cmd = [{str(VENV_BIN / 'jupyterhub-singleuser')!r}]",
        f"c.Spawner.args = {args!r}",
        # The AWS credential chain of the servers: the environment, here.
        f"c.Spawner.environment.update({DEMO_AWS_ENV!r})",
        "c.JupyterHub.services = [",
        f"    {{'name': 'hub-admin', 'api_token': {admin_token!r}}},",
        "]",
        "c.JupyterHub.load_roles = [",
        "    {'name': 'hub-admin', 'services': ['hub-admin'],",
        "     'scopes': ['admin:users', 'admin:servers', 'list:users']},",
        "]",
        *(f"c.Airlock.{name} = {value!r}" for name, value in options.items()),
    ]
    path = root / "hub_config.py"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def hub_api_answers(hub: Hub) -> bool | None:
    if hub.service.process.poll() is not None:
        pytest.fail(f"JupyterHub exited with code {hub.service.process.returncode}")
    with contextlib.suppress(httpx.TransportError), hub.client(hub.admin_token) as client:
        if client.get("/hub/api/users").status_code == 200:
            return True
    return None


def stop_all(service: Service) -> None:
    """Stop the hub (it stops the proxy and the servers), then kill the process groups of
    any left: the servers and the proxy run in sessions of their own."""
    descendants: list[psutil.Process] = []
    with contextlib.suppress(psutil.NoSuchProcess):
        descendants = psutil.Process(service.process.pid).children(recursive=True)
    service.stop()
    groups = set()
    for child in descendants:
        with contextlib.suppress(ProcessLookupError):
            groups.add(os.getpgid(child.pid))
    groups.discard(os.getpgrp())
    for group in groups:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
    psutil.wait_procs(descendants, timeout=10)


@pytest.fixture(scope="module")
def hub(
    tmp_path_factory: pytest.TempPathFactory, example: dict[str, Any], bucket: str
) -> Iterator[Hub]:
    """The hub, with alice and bob logged in and their servers started."""
    root = tmp_path_factory.mktemp("hub")
    for user in USERS:
        make_kernel(root / "home" / user, root / "envs" / user)
    # bob tries to loosen the admin's settings with a config file of his own: the folder
    # the hub names in JUPYTER_CONFIG_PATH has the higher priority.
    own_config = root / "home" / "bob" / ".jupyter" / "jupyter_server_config.py"
    own_config.parent.mkdir(parents=True)
    own_config.write_text(LOOSENING)
    (root / "audit").mkdir()
    ports = {name: free_port() for name in ("public", "hub", "proxy_api")}
    admin_token = secrets.token_hex(32)
    options = options_for_the_test(example, bucket, root / "audit")
    config = hub_config(root, ports, admin_token, options)
    env = {
        "PATH": os.pathsep.join([str(VENV_BIN), os.environ["PATH"]]),
        "HOME": str(root),
        "LANG": "C.UTF-8",
    }
    process = spawn(
        [str(VENV_BIN / "jupyterhub"), "-f", config], log=root / "jupyterhub.log", env=env
    )
    url = f"http://{HOST}:{ports['public']}"
    hub = Hub(root, Service("JupyterHub", url, process, root / "jupyterhub.log"), admin_token)
    try:
        until("JupyterHub did not answer", lambda: hub_api_answers(hub))
        for user in USERS:
            hub.tokens[user] = log_in(hub, user)
        for user in USERS:
            with hub.as_user(user) as client:
                started = client.post(f"/hub/api/users/{user}/server")
                assert started.status_code in (201, 202), started.text
        for user in USERS:
            wait_for_server(hub, user)
    except BaseException:
        print(hub.log_tail())  # shown by pytest with the error
        stop_all(hub.service)
        raise
    try:
        yield hub
    finally:
        stop_all(hub.service)


def log_in(hub: Hub, user: str) -> str:
    """Log in through the hub's REST API with the user's password; return a token."""
    with hub.client() as client:
        body = {"auth": {"username": user, "password": PASSWORD}, "note": "airlock test"}
        answer = client.post(f"/hub/api/users/{user}/tokens", json=body)
    assert answer.status_code == 201, answer.text
    token: str = answer.json()["token"]
    return token


def wait_for_server(hub: Hub, user: str) -> None:
    """Follow the hub's progress events for the user's server until it is ready."""
    with (
        hub.as_user(user) as client,
        client.stream("GET", f"/hub/api/users/{user}/server/progress", timeout=DEADLINE) as events,
    ):
        assert events.status_code == 200
        for line in events.iter_lines():
            if not line.startswith("data:"):
                continue
            event = json.loads(line.removeprefix("data:"))
            if event.get("failed"):
                pytest.fail(f"{user}'s server failed to start: {event.get('message')}")
            if event.get("ready"):
                return
    pytest.fail(f"The hub stopped reporting before {user}'s server was ready")


def airlock(hub: Hub, user: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """A request to Airlock on ``user``'s own server, with ``user``'s token."""
    with hub.as_user(user) as client:
        return client.request(method, f"/user/{user}/airlock/{path}", **kwargs)


def test_every_user_gets_the_admins_managed_profiles_locked(
    hub: Hub, example: dict[str, Any]
) -> None:
    names = [profile["name"] for profile in example["profiles"]]
    for user in USERS:
        answer = airlock(hub, user, "GET", "profiles")
        assert answer.status_code == 200, answer.text
        profiles = answer.json()
        assert [profile["name"] for profile in profiles["managed"]] == names
        assert profiles["locked"] is True
        assert profiles["active"]["name"] == example["active_profile"]
        # The active profile was applied to the user's own pip, pointing at the user's own
        # server: the bucket served as a package index under /user/<name>/.
        pip_conf = (hub.home(user) / ".config" / "pip" / "pip.conf").read_text()
        assert f"/user/{user}/airlock/index/" in pip_conf
        refused = airlock(hub, user, "POST", "profiles/apply", json={"profile": {"name": "mine"}})
        assert 400 <= refused.status_code < 500, refused.text


def test_every_user_gets_the_admins_policy(hub: Hub, example: dict[str, Any]) -> None:
    policy = example["policy"]
    for user in USERS:
        status = airlock(hub, user, "GET", "status").json()
        assert status["policy"]["broken"] is None
        assert status["policy"]["allow"] == [*policy["allow"], *ALLOWED]
        assert status["policy"]["deny"] == policy["deny"]
        assert status["policy"]["require_verified"] is True
        assert status["policy"]["max_copy_bytes"] == policy["max_copy_bytes"]
        assert status["policy"]["allow_system_installs"] is False

        body = {"kernel": KERNEL, "requirements": [OUTSIDE]}
        planned = airlock(hub, user, "POST", "install/plan", json=body).json()
        assert not planned["ok"]
        message = f"{OUTSIDE} is not on the policy's list of approved packages"
        assert planned["refused"] == [{"item": OUTSIDE, "message": message}]


def test_an_install_lands_in_the_users_environment_only_and_the_audit_names_them(
    hub: Hub,
) -> None:
    # Each user's server sees the user's own kernel environment.
    for user in USERS:
        kernels = airlock(hub, user, "GET", "kernels").json()["kernels"]
        [work] = [kernel for kernel in kernels if kernel["name"] == KERNEL]
        assert str(hub.root / "envs" / user) in json.dumps(work)

    body = {"kernel": KERNEL, "requirements": ["airlock-a"]}
    plan = airlock(hub, "alice", "POST", "install/plan", json=body).json()
    assert plan["ok"], plan
    started = airlock(hub, "alice", "POST", "install", json={"plan": plan["id"]})
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]

    def finished() -> dict[str, Any] | None:
        job: dict[str, Any] = airlock(hub, "alice", "GET", f"jobs/{job_id}").json()
        return job if job["state"] in ("succeeded", "failed", "cancelled") else None

    job = until("alice's install did not finish", finished)
    assert job["state"] == "succeeded", job["log"]

    assert imports(hub.python("alice"), "airlock_a", "airlock_b", "airlock_c")
    assert not imports(hub.python("bob"), "airlock_a")
    assert not imports(hub.python("bob"), "airlock_c")
    # bob's server knows nothing of alice's job.
    assert airlock(hub, "bob", "GET", f"jobs/{job_id}").status_code == 404

    # Each user's audit log, in the admin's shared folder, names that user for every action.
    installs = [record for record in hub.audit("alice") if record["action"] == "install"]
    assert [(record["user"], record["result"]) for record in installs] == [("alice", "succeeded")]
    assert not [record for record in hub.audit("bob") if record["action"] == "install"]
    for user in USERS:
        assert {record["user"] for record in hub.audit(user)} <= {user}
    # And each user's Activity view lists their own actions only.
    activity = airlock(hub, "alice", "GET", "audit", params={"action": "install"}).json()
    assert [record["user"] for record in activity["records"]] == ["alice"]
    assert airlock(hub, "bob", "GET", "audit", params={"action": "install"}).json()["records"] == []


def test_a_user_cannot_reach_another_users_airlock(hub: Hub) -> None:
    with hub.as_user("bob") as client:
        answer = client.get("/user/alice/airlock/kernels", follow_redirects=False)
    assert answer.status_code == 403
    body = {"kernel": KERNEL, "requirements": ["airlock-c"]}
    with hub.as_user("bob") as client:
        answer = client.post("/user/alice/airlock/install/plan", json=body)
    assert answer.status_code == 403
