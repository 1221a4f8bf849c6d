"""The job mechanism: logs, progress, cancel, one job per queue, records that survive."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_airlock.audit import AuditLog
from jupyterlab_airlock.errors import AirlockError
from jupyterlab_airlock.jobs import Job, JobContext, JobManager


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_a_job_logs_reports_progress_and_keeps_its_result(tmp_path: Path) -> None:
    async def scenario() -> None:
        jobs = JobManager(tmp_path)

        async def work(context: JobContext) -> dict[str, Any]:
            context.log("copying")
            context.progress(0.5)
            return {"path": "data.csv"}

        job = jobs.submit("copy", "Copy data.csv", "workspace", work)
        done = await jobs.wait(job.id)

        assert done.state == "succeeded"
        assert done.progress == 1.0
        assert done.log == ["copying"]
        assert done.result == {"path": "data.csv"}

    run(scenario())


def test_a_failure_is_recorded_with_its_message(tmp_path: Path) -> None:
    async def scenario() -> None:
        jobs = JobManager(tmp_path)

        async def work(context: JobContext) -> dict[str, Any]:
            raise AirlockError("checksum-mismatch", "data.csv does not match its sum", 422)

        done = await jobs.wait(jobs.submit("copy", "Copy", "q", work).id)

        assert done.state == "failed"
        assert done.error == {
            "code": "checksum-mismatch",
            "message": "data.csv does not match its sum",
        }

    run(scenario())


def test_jobs_of_one_queue_run_one_at_a_time_and_others_in_parallel(tmp_path: Path) -> None:
    async def scenario() -> None:
        jobs = JobManager(tmp_path)
        running: list[str] = []
        overlaps: list[tuple[str, ...]] = []
        release = asyncio.Event()
        two_running = asyncio.Event()

        def work(name: str) -> Any:
            async def body(context: JobContext) -> dict[str, Any]:
                running.append(name)
                overlaps.append(tuple(running))
                if len(running) == 2:
                    two_running.set()
                await release.wait()
                running.remove(name)
                return {}

            return body

        first = jobs.submit("install", "A", "env-1", work("A"))
        second = jobs.submit("install", "B", "env-1", work("B"))
        other = jobs.submit("install", "C", "env-2", work("C"))
        await two_running.wait()
        assert jobs.get(second.id).state == "queued"
        assert sorted(running) == ["A", "C"]
        release.set()
        for job in (first, second, other):
            assert (await jobs.wait(job.id)).state == "succeeded"
        assert all(not {"A", "B"} <= set(overlap) for overlap in overlaps)

    run(scenario())


def test_cancel_stops_the_work_and_lets_it_clean_up(tmp_path: Path) -> None:
    async def scenario() -> None:
        jobs = JobManager(tmp_path)
        started = asyncio.Event()
        cleaned = []

        async def work(context: JobContext) -> dict[str, Any]:
            started.set()
            try:
                await asyncio.Event().wait()
            finally:
                cleaned.append(True)
            return {}

        job = jobs.submit("copy", "Copy big.parquet", "q", work)
        await started.wait()
        cancelled = await jobs.cancel(job.id)

        assert cancelled.state == "cancelled"
        assert cleaned == [True]
        with pytest.raises(AirlockError) as refused:
            await jobs.cancel(job.id)
        assert refused.value.code == "job-finished"

    run(scenario())


def test_a_job_cut_short_by_a_restart_is_shown_as_interrupted(tmp_path: Path) -> None:
    async def before_restart() -> str:
        jobs = JobManager(tmp_path)
        started = asyncio.Event()

        async def work(context: JobContext) -> dict[str, Any]:
            context.log("installing numpy")
            started.set()
            await asyncio.Event().wait()
            return {}

        job = jobs.submit("install", "Install numpy", "env", work)
        await started.wait()
        return job.id  # the loop ends here, as the server process would

    # The server process dies without unwinding its tasks: run the loop, then drop it.
    loop = asyncio.new_event_loop()
    job_id = loop.run_until_complete(before_restart())

    after = JobManager(tmp_path).get(job_id)
    assert after.state == "interrupted"
    assert after.log[0] == "installing numpy"
    assert "stopped" in after.log[-1]


def test_a_long_log_is_written_whole_but_not_once_per_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[int] = []
    real_replace = os.replace

    def counting_replace(source: Any, target: Any) -> None:
        written.append(1)
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", counting_replace)

    async def scenario() -> None:
        jobs = JobManager(tmp_path)

        async def work(context: JobContext) -> dict[str, Any]:
            for number in range(2000):
                context.log(f"Processing file {number}")
            return {}

        await jobs.wait(jobs.submit("install", "Install", "env", work).id)

    run(scenario())
    # Submitted, running, the first line, finished (and one a second while it logs): not
    # one write per line.
    assert len(written) < 10
    [record] = JobManager(tmp_path).list()
    assert len(record.log) == 2000


def test_each_job_end_is_audited_once_with_what_the_work_added(tmp_path: Path) -> None:
    """Succeeded, failed and cancelled jobs each leave one audit line, written by the
    mechanism: no job writes its own."""

    async def scenario() -> list[dict[str, Any]]:
        audit = AuditLog(tmp_path / "audit.jsonl")
        jobs = JobManager(tmp_path / "jobs", audit=audit)
        started = asyncio.Event()

        async def copies(context: JobContext) -> dict[str, Any]:
            context.audit(sha256={"a.csv": "ab" * 32})
            return {}

        async def breaks(context: JobContext) -> dict[str, Any]:
            context.audit(files=["a.whl"])
            raise AirlockError("install-failed", "pip failed", 500)

        async def hangs(context: JobContext) -> dict[str, Any]:
            started.set()
            await asyncio.Event().wait()
            return {}

        await jobs.wait(jobs.submit("copy", "Copy", "q1", copies, user="ada", audit={"k": 1}).id)
        await jobs.wait(jobs.submit("install", "Install", "q2", breaks, audit={"k": 2}).id)
        hanging = jobs.submit("install", "Install", "q3", hangs, user="bo", audit={"k": 3})
        await started.wait()
        await jobs.cancel(hanging.id)
        # A job without audit fields (a test's, a preview's) writes nothing.
        await jobs.wait(jobs.submit("copy", "Quiet", "q4", copies).id)
        return audit.read()

    records = run(scenario())
    assert [(r["action"], r["k"], r["result"]) for r in records] == [
        ("copy", 1, "succeeded"),
        ("install", 2, "failed"),
        ("install", 3, "cancelled"),
    ]
    assert records[0]["user"] == "ada"
    assert records[0]["sha256"] == {"a.csv": "ab" * 32}
    assert records[1]["files"] == ["a.whl"]
    assert records[2]["user"] == "bo"


def test_a_failed_job_s_audit_line_says_why_as_the_user_saw_it_without_secret_or_traceback(
    tmp_path: Path,
) -> None:
    async def scenario() -> tuple[list[dict[str, Any]], list[Job]]:
        audit = AuditLog(tmp_path / "audit.jsonl")
        jobs = JobManager(tmp_path / "jobs", audit=audit)

        async def refused(context: JobContext) -> dict[str, Any]:
            raise AirlockError(
                "index-unreachable", "https://ada:s3cret@mirror.example/simple/ refused", 502
            )

        async def breaks(context: JobContext) -> dict[str, Any]:
            raise RuntimeError("token=s3cret at https://tok@mirror.example/")

        async def works(context: JobContext) -> dict[str, Any]:
            return {}

        ended = [
            await jobs.wait(jobs.submit("install", "Install", "q", work, audit={}).id)
            for work in (refused, breaks, works)
        ]
        return audit.read(), ended

    records, ended = run(scenario())
    assert [(r["result"], r.get("code")) for r in records] == [
        ("failed", "index-unreachable"),
        ("failed", "internal"),
        ("succeeded", None),
    ]
    assert records[0]["reasons"] == ["https://***@mirror.example/simple/ refused"]
    # What broke unexpectedly is in the server's log only: the line has what the user saw.
    assert ended[1].error is not None
    assert records[1]["reasons"] == [ended[1].error["message"]]
    assert "reasons" not in records[2]
    trail = (tmp_path / "audit.jsonl").read_text()
    assert "s3cret" not in trail
    assert "Traceback" not in trail
    assert "RuntimeError" not in trail


def ended_record(folder: Path, job_id: str, state: str, days_ago: float) -> None:
    """A job record as an earlier server left it, ended ``days_ago``."""
    when = (datetime.now(timezone.utc) - timedelta(days=days_ago)).isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    job = Job(id=job_id, kind="copy", title=job_id, queue="q", state=state)
    job.created = job.finished = when
    (folder / f"{job_id}.json").write_text(json.dumps(job.to_json()))


def test_at_start_records_of_jobs_ended_too_long_ago_or_past_the_count_are_deleted(
    tmp_path: Path,
) -> None:
    ended_record(tmp_path, "ancient", "succeeded", days_ago=40)
    for number in range(4):
        ended_record(tmp_path, f"recent{number}", "failed", days_ago=4 - number)
    # A job a restart cut short ends now: the newest, whatever its age.
    ended_record(tmp_path, "cut-short", "running", days_ago=50)

    async def scenario() -> list[str]:
        jobs = JobManager(tmp_path, max_age_days=30, max_count=3)
        return [job.id for job in jobs.list()]

    kept = run(scenario())
    assert sorted(kept) == ["cut-short", "recent2", "recent3"]
    assert sorted(path.stem for path in tmp_path.glob("*.json")) == sorted(kept)


def test_after_each_job_ends_the_oldest_ended_records_go_never_a_queued_or_running_job(
    tmp_path: Path,
) -> None:
    async def scenario() -> set[str]:
        jobs = JobManager(tmp_path, max_count=2)
        started = asyncio.Event()

        async def hangs(context: JobContext) -> dict[str, Any]:
            started.set()
            await asyncio.Event().wait()
            return {}

        async def quick(context: JobContext) -> dict[str, Any]:
            return {}

        running = jobs.submit("install", "Running", "busy", hangs)
        await started.wait()
        queued = jobs.submit("install", "Queued", "busy", quick)
        ended = [await jobs.wait(jobs.submit("copy", f"Copy {n}", "q", quick).id) for n in range(3)]

        # The first copy is gone; the running and the queued job, older, stay.
        assert {job.id for job in jobs.list()} == {ended[2].id, ended[1].id, queued.id, running.id}
        assert not (tmp_path / f"{ended[0].id}.json").exists()
        await jobs.cancel(running.id)
        await jobs.wait(queued.id)
        # The two that just ended are the newest: the other copies go.
        assert {job.id for job in jobs.list()} == {running.id, queued.id}
        return {running.id, queued.id}

    kept = run(scenario())
    assert {path.stem for path in tmp_path.glob("*.json")} == kept
