"""A Jupyter server that stops ends Airlock's background work: a running install's uv is
killed (no orphan is left), its job is recorded as interrupted, and the next start says
what landed.

The server is a real one in a process of its own, stopped as an admin or a spawner stops
it (SIGTERM). The install is real too; it stays at work because uv waits for the lock on
the environment that the test holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import signal
import threading
from pathlib import Path
from typing import Any

import psutil
import pytest

from demo.services import Service
from jupyterlab_airlock.installer.reconcile import reconcile
from jupyterlab_airlock.jobs import STOPPED, JobContext, JobManager
from jupyterlab_airlock.processes import run
from jupyterlab_airlock.sources.s3_pages import RawPage, ReadAheads

from .installs import bucket_source
from .servers import DEADLINE, Server, until

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def server(tmp_path: Path, jp_data_dir: Path, bucket: dict[str, Any]) -> Server:
    return Server(tmp_path, jp_data_dir, bucket_source(bucket))


def uv_of(service: Service) -> psutil.Process | None:
    children = psutil.Process(service.process.pid).children(recursive=True)
    return next((child for child in children if child.name() == "uv"), None)


def test_a_stopped_server_leaves_no_uv_behind_and_a_truthful_job_record(
    server: Server, kernel: dict[str, Any]
) -> None:
    service = server.start()
    descendants: list[psutil.Process] = []
    try:
        with server.client() as client:
            body = {"kernel": kernel["name"], "requirements": ["airlock-c"]}
            plan = client.post("install/plan", json=body).raise_for_status().json()
        with (kernel["prefix"] / ".lock").open("a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # uv waits for it: the install stays at work
            with server.client() as client:
                job = client.post("install", json={"plan": plan["id"]}).raise_for_status().json()
            uv = until("uv installing", lambda: uv_of(service))
            descendants = psutil.Process(service.process.pid).children(recursive=True)

            os.kill(service.process.pid, signal.SIGTERM)
            assert service.process.wait(DEADLINE) == 0, server.log.read_text()
            # The server ended uv before it exited: none of its programs runs on.
            _, alive = psutil.wait_procs(descendants, timeout=5)
            assert alive == [], [process.cmdline() for process in alive]
            assert not uv.is_running()
    finally:
        service.stop()
        for left in descendants:  # what a failed stop left behind goes with the test
            with contextlib.suppress(psutil.NoSuchProcess):
                left.kill()

    record = json.loads((server.jobs / f"{job['id']}.json").read_text())
    assert record["state"] == "interrupted"
    assert record["log"][-1] == STOPPED
    assert [file["name"] for file in record["resume"]["files"]] == ["airlock-c"]
    audit = (server.jobs.parent / "audit.jsonl").read_text()
    assert json.loads(audit.splitlines()[-1])["result"] == "interrupted"

    # The next start looks at the environment and says what landed: nothing.
    service = server.start()
    try:
        with server.client() as client:

            def settled() -> dict[str, Any] | None:
                found: dict[str, Any] = client.get(f"jobs/{job['id']}").json()
                return found if found["log"][-1].startswith("After the restart") else None

            found = until("the interrupted install settled", settled)
    finally:
        service.stop()
    assert found["state"] == "interrupted"
    assert found["log"][-2:] == [
        STOPPED,
        "After the restart: 0 of 1 planned package(s) are in Test env; not installed: "
        "airlock-c 1.0.",
    ]
    assert found["result"]["can_roll_back"] is False


def test_stopping_the_jobs_interrupts_each_keeping_what_it_kept(tmp_path: Path) -> None:
    """Queued and running jobs alike end interrupted, their programs killed; a running
    install's pins stay in its record for the next start."""
    pid_file = tmp_path / "pid"

    async def scenario() -> None:
        jobs = JobManager(tmp_path / "jobs")

        async def long(context: JobContext) -> dict[str, Any]:
            context.keep(files=["x"])
            # The program's pid reaches the job's log, a change that ``until`` sees.
            command = f"echo $$ > {pid_file}; echo started; exec sleep 600"
            await run(["sh", "-c", command], timeout=900, on_line=context.log)
            return {}

        running = jobs.submit("install", "Install x", "env:a", long)
        queued = jobs.submit("install", "Install y", "env:a", long)  # waits its turn
        await jobs.until(lambda: "started" in running.log)
        program = psutil.Process(int(pid_file.read_text()))
        await jobs.stop()

        assert not program.is_running()
        for job, kept in ((running, {"files": ["x"]}), (queued, None)):
            record = json.loads((tmp_path / "jobs" / f"{job.id}.json").read_text())
            assert (record["state"], record["log"][-1]) == ("interrupted", STOPPED)
            assert record["resume"] == kept
        # The next start hands the running one to the installs' settling.
        assert [job.id for job in JobManager(tmp_path / "jobs").interrupted("install")] == [
            running.id
        ]

    asyncio.run(scenario())


def test_stopping_the_read_aheads_drops_the_page_on_its_way() -> None:
    async def scenario() -> None:
        asked = asyncio.Event()

        async def fetch(prefix: str, token: str | None, count: int) -> RawPage:
            if token is None:
                return RawPage([], "next")
            asked.set()
            await asyncio.Event().wait()  # a listing that never answers
            raise AssertionError("unreachable")

        aheads = ReadAheads(fetch, page=1, window=5)
        await aheads.page("drop/", (None, 0), 1)
        await asked.wait()
        ahead = aheads.of("drop/")
        assert ahead is not None
        assert not ahead.finished.done()
        await aheads.close()
        assert ahead.finished.done()
        assert ahead.stopped
        assert aheads.of("drop/") is None

    asyncio.run(scenario())


def test_stopping_the_settling_leaves_the_install_for_the_next_start(tmp_path: Path) -> None:
    """Settling waits while an orphaned uv holds the environment's lock; a server stop
    ends that wait at once, and the job stays to be settled."""
    prefix = tmp_path / "env"
    prefix.mkdir()
    record = {
        "id": "0" * 32, "kind": "install", "title": "Install x", "queue": "env:x",
        "state": "running", "resume": {"prefix": str(prefix), "staging": str(tmp_path / "s")},
    }  # fmt: skip
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / f"{record['id']}.json").write_text(json.dumps(record))

    async def scenario() -> None:
        jobs = JobManager(tmp_path / "jobs")
        with (prefix / ".lock").open("a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            settling = asyncio.ensure_future(reconcile(jobs, lambda prefix: []))
            await asyncio.sleep(0)  # a turn of the loop: it starts and finds the lock taken
            settling.cancel()
            await asyncio.gather(settling, return_exceptions=True)
            assert settling.cancelled()
            # No thread is left blocked on the lock (the server's exit would wait for it).
            assert not [t for t in threading.enumerate() if t.name.startswith("asyncio_")]
        assert [job.id for job in jobs.interrupted("install")] == [record["id"]]

    asyncio.run(scenario())
