"""Long work as jobs: copies out of the bucket now, installs and kernel creation later.

One mechanism for all of them: a log, progress, cancel, one job at a time per queue (an
environment, a destination), a record on disk so the job list survives a page reload
and a server restart (a job that a restart cut short is shown as interrupted, not lost),
and the audit line of how each job ended, written here so that no job and no handler
writes its own. Records of ended jobs are deleted past an age and a count, at start and
whenever a job ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .atomic import write_atomic
from .audit import AuditLog
from .errors import AirlockError

FINISHED = frozenset({"succeeded", "failed", "cancelled", "interrupted"})
# The last line of a job the server's stop cut short, whether it stopped the job itself or
# died: found so after the restart.
STOPPED = "The Jupyter server stopped while this job was running."
# A job's log is kept whole on disk; the list route sends only its tail.
LOG_TAIL = 200
# Log lines reach the disk at most this late (a state change is written at once): writing
# the whole record for every line of a long pip log would cost more than the install.
SAVE_DELAY = 1.0


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass
class Job:
    """What the user sees of one job."""

    id: str
    kind: str
    title: str
    queue: str
    state: str = "queued"
    progress: float | None = None
    log: list[str] = field(default_factory=list)
    created: str = field(default_factory=_now)
    finished: str | None = None
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    # What a running job keeps on disk to make sense of itself if the server stops (an
    # install's planned pins): the server's, not shown.
    resume: dict[str, Any] | None = None

    def to_json(self, log_tail: int | None = None) -> dict[str, Any]:
        data = asdict(self)
        del data["resume"]
        if log_tail is not None:
            data["log"] = self.log[-log_tail:]
        return data


def _ended(job: Job) -> datetime:
    try:
        ended = datetime.fromisoformat(job.finished or job.created)
    except ValueError:  # a damaged timestamp: old enough to go
        return datetime.min.replace(tzinfo=timezone.utc)
    # A hand-edited record may lack the offset: comparing it with UTC times would raise.
    return ended if ended.tzinfo else ended.replace(tzinfo=timezone.utc)


class JobContext:
    """Handed to a job's work: report progress and log lines."""

    def __init__(
        self,
        job: Job,
        logged: Callable[[Job], None],
        saved: Callable[[Job], None] | None = None,
    ) -> None:
        self._job = job
        self._logged = logged
        # Writes the record now (``logged`` may wait a moment before it does).
        self._saved = saved or logged
        self.audited: dict[str, Any] = {}

    def keep(self, **fields: Any) -> None:
        """Write ``fields`` into the job's record at once, for whoever finds the job
        interrupted after a restart (``JobManager.interrupted``); dropped when it ends."""
        self._job.resume = {**(self._job.resume or {}), **fields}
        self._saved(self._job)

    def audit(self, **fields: Any) -> None:
        """Add to the audit line this job's end writes (what it fetched, where it went),
        also when it fails or is cancelled afterwards."""
        self.audited.update(fields)

    def log(self, line: str) -> None:
        self._job.log.append(line)
        self._logged(self._job)

    def progress(self, fraction: float) -> None:
        # Progress is saved with the next log line or state change; writing the record for
        # every chunk of a large copy would cost more than the copy.
        self._job.progress = max(0.0, min(1.0, fraction))


Work = Callable[[JobContext], Awaitable[dict[str, Any]]]


class JobManager:
    """Runs jobs in the server's event loop and keeps their records in ``state_dir``."""

    def __init__(
        self,
        state_dir: Path,
        log: logging.Logger | None = None,
        audit: AuditLog | None = None,
        *,
        max_age_days: float = 30,
        max_count: int = 500,
    ) -> None:
        self._dir = state_dir
        self._max_age = timedelta(days=max_age_days)
        self._max_count = max_count
        self._log = log or logging.getLogger(__name__)
        self._audit = audit
        self._jobs: dict[str, Job] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._end_order: dict[str, int] = {}  # job id -> when it ended, 1 first
        self._ends = itertools.count(1)
        self._queues: dict[str, asyncio.Lock] = {}
        # Jobs with log lines not yet on disk, and the timer that will write them.
        self._unsaved: dict[str, asyncio.TimerHandle] = {}
        self._log_saved: dict[str, float] = {}  # when each running job's log was written
        # Set (and replaced) at every change of any job: ``until`` waits on it.
        self._changed = asyncio.Event()
        self._stopping = False  # the server stops: a job cut short now is interrupted
        self._load()
        self._prune()

    def _load(self) -> None:
        if not self._dir.is_dir():
            return
        for record in sorted(self._dir.glob("*.json")):
            try:
                job = Job(**json.loads(record.read_text("utf-8")))
            except (OSError, ValueError, TypeError):
                continue  # a damaged record is not worth failing the server for
            if job.state not in FINISHED:
                job.state = "interrupted"
                job.finished = _now()
                job.log.append(STOPPED)
                self._save(job)
            self._jobs[job.id] = job

    def _prune(self) -> None:
        """Delete the records of ended jobs older than the age limit or past the newest
        ``max_count``; a job whose task still runs (writing its audit line) stays."""
        # Of jobs ended in the same millisecond, the one that ended later in this process is
        # kept (records loaded from disk tie at 0: the newest submitted first).
        ended = sorted(
            (
                job
                for job in reversed(self._jobs.values())
                if job.state in FINISHED and job.id not in self._tasks
            ),
            key=lambda job: (_ended(job), self._end_order.get(job.id, 0)),
            reverse=True,
        )
        oldest = datetime.now(timezone.utc) - self._max_age
        for rank, job in enumerate(ended):
            if rank >= self._max_count or _ended(job) < oldest:
                del self._jobs[job.id]
                self._end_order.pop(job.id, None)
                (self._dir / f"{job.id}.json").unlink(missing_ok=True)

    def _save(self, job: Job) -> None:
        timer = self._unsaved.pop(job.id, None)
        if timer is not None:
            timer.cancel()
        record = json.dumps({**job.to_json(), "resume": job.resume}).encode("utf-8")
        write_atomic(self._dir / f"{job.id}.json", record)
        self._notify()

    def _logged(self, job: Job) -> None:
        """A log line: seen at once by the routes and ``until``; on disk at once if the
        job's log was not written in the last SAVE_DELAY, else when that has passed."""
        self._notify()
        if job.id in self._unsaved:
            return
        loop = asyncio.get_running_loop()
        due = self._log_saved.get(job.id, -SAVE_DELAY) + SAVE_DELAY
        if loop.time() >= due:
            self._save_log(job)
        else:
            self._unsaved[job.id] = loop.call_at(due, self._save_log, job)

    def _save_log(self, job: Job) -> None:
        self._log_saved[job.id] = asyncio.get_running_loop().time()
        self._save(job)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def submit(
        self,
        kind: str,
        title: str,
        queue: str,
        work: Work,
        *,
        user: str | None = None,
        audit: Mapping[str, Any] | None = None,
    ) -> Job:
        """Start ``work`` as a job; it waits while another job of the same queue runs.

        With ``audit``, the job's end appends one audit line: action ``kind``, ``user``,
        these fields, what the work added with ``context.audit`` and the job's final state;
        a failed job's line also has its error's ``code`` and, in ``reasons``, its message.
        """
        job = Job(id=uuid.uuid4().hex, kind=kind, title=title, queue=queue)
        self._jobs[job.id] = job
        self._save(job)
        self._tasks[job.id] = asyncio.create_task(self._run(job, work, user, audit))
        return job

    async def _run(
        self, job: Job, work: Work, user: str | None, audit: Mapping[str, Any] | None
    ) -> None:
        lock = self._queues.setdefault(job.queue, asyncio.Lock())
        context = JobContext(job, self._logged, self._save)
        try:
            async with lock:
                job.state = "running"
                self._save(job)
                job.result = await work(context)
                job.state = "succeeded"
                job.progress = 1.0
        except asyncio.CancelledError:
            job.state = "interrupted" if self._stopping else "cancelled"
            job.log.append(STOPPED if self._stopping else "Cancelled.")
        except AirlockError as error:
            job.state = "failed"
            job.error = error.to_json()
            job.log.append(error.message)
        except Exception:  # a job must end with a record, whatever broke
            self._log.exception("Airlock job '%s' failed unexpectedly", job.title)
            job.state = "failed"
            job.error = {
                "code": "internal",
                "message": "The job failed unexpectedly; the Jupyter server log has details.",
            }
            job.log.append(job.error["message"])
        finally:
            job.finished = _now()
            if job.state != "interrupted":  # the restart settles it with what it kept
                job.resume = None
            self._save(job)
            self._log_saved.pop(job.id, None)
            if audit is not None and self._audit is not None:
                # A failure's reason as the user saw it (never the traceback, which only
                # the server's log has), in the fields Activity shows beside a refusal.
                failure = (
                    {"code": job.error["code"], "reasons": [job.error["message"]]}
                    if job.state == "failed" and job.error
                    else {}
                )
                fields = {**audit, **context.audited, **failure}
                await asyncio.shield(self._audit.append(job.kind, user, **fields, result=job.state))
            self._tasks.pop(job.id, None)
            self._end_order[job.id] = next(self._ends)
            self._prune()

    def get(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise AirlockError("unknown-job", f"There is no job {job_id}.", 404)
        return job

    def annotate(self, job_id: str, **result: Any) -> None:
        """Add to a finished job's result what happened to it since (a roll back)."""
        job = self.get(job_id)
        job.result = {**(job.result or {}), **result}
        self._save(job)

    def interrupted(self, kind: str) -> list[Job]:
        """Jobs of ``kind`` that a server stop cut short and that kept what they were doing
        (``JobContext.keep``): to be looked at and settled with ``settle``."""
        return [
            job
            for job in self._jobs.values()
            if job.kind == kind and job.state == "interrupted" and job.resume
        ]

    def settle(self, job_id: str, result: dict[str, Any], note: str) -> None:
        """Give an interrupted job the result found after the restart, saying so."""
        job = self.get(job_id)
        job.result = result
        job.resume = None
        job.log.append(note)
        self._save(job)

    def list(self) -> list[Job]:
        return sorted(self._jobs.values(), key=lambda job: job.created, reverse=True)

    async def cancel(self, job_id: str) -> Job:
        """Cancel a queued or running job and wait until its work has cleaned up."""
        job = self.get(job_id)
        task = self._tasks.get(job_id)
        if task is None:
            raise AirlockError("job-finished", f"The job '{job.title}' has already ended.", 409)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return job

    async def stop(self) -> None:
        """The server stops: cancel every queued and running job and wait until its work
        has cleaned up (its programs are killed). Each is recorded as interrupted, keeping
        what it kept (``JobContext.keep``) for the restart to settle, as if the server had
        died."""
        self._stopping = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait until ``condition()`` holds, checking it after every change of any job."""
        while not condition():
            await self._changed.wait()

    async def wait(self, job_id: str) -> Job:
        """Wait until a job ends (for callers that need its result, and for tests)."""
        task = self._tasks.get(job_id)
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)
        return self.get(job_id)
