"""The audit trail: events through a real jupyter_events EventLogger, rotation by size
with every line whole in one file, and the bounded window the Activity section reads.

Real parts: files in the test's folder, jupyter_events' EventLogger and its JSON handler,
and in the last test the Jupyter server with Airlock loaded.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import ValidationError
from jupyter_events import EventLogger

from jupyterlab_airlock.audit import EVENT_SCHEMA, EVENT_SCHEMA_ID, AuditLog, audit_events

# One record of each action, with the fields its writer adds (installer/service.py,
# catalog.py, kernels/factory.py, the profile handlers, jobs.py).
RECORDS: list[dict[str, Any]] = [
    {
        "action": "plan",
        "kernel": "python3",
        "prefix": "/opt/env",
        "requirements": ["numpy>=1.26"],
        "keys": ["wheels/"],
        "paths": [],
        "result": "refused",
        "steps": ["numpy==2.0.0"],
    },
    {
        "action": "install",
        "kernel": "python3",
        "prefix": "/opt/env",
        "files": [{"name": "numpy", "version": "2.0.0", "sha256": "ab" * 32}],
        "result": "succeeded",
    },
    {
        "action": "rollback",
        "job": "0" * 32,
        "prefix": "/opt/env",
        "result": "failed",
        "code": "rollback-failed",
        "reasons": ["pip could not remove numpy: the environment is read-only."],
    },
    {
        "action": "copy",
        "source": "s3://bucket/",
        "key": "data/a.csv",
        "destination": "a.csv",
        "sha256": {"a.csv": "cd" * 32},
        "result": "cancelled",
    },
    {
        "action": "create-kernel",
        "source": "s3://bucket/",
        "key": "envs/geo.tar.gz",
        "kernel": "geo",
        "prefix": "/data/envs/geo",
        "result": "interrupted",
    },
    {
        "action": "dmz-request",
        "dmz_request": "3f" * 16,
        "kernel": "python3",
        "prefix": "/opt/env",
        "requested": ["requests"],
        "missing": ["idna>=2.5,<4"],
        "stored": None,
        "result": "ok",
    },
    {"action": "plan", "kernel": "python3", "dmz_requests": ["3f" * 16], "result": "ok"},
    {"action": "profile-apply", "request": {"profile": 3}, "result": "refused: invalid-profile"},
    {"action": "profile-apply", "profile": "corp", "result": "succeeded"},
    {"action": "profile-revert", "profile": None, "result": "succeeded"},
]


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def events_to(stream: io.StringIO) -> EventLogger:
    """An EventLogger writing every event as a JSON line to ``stream``, as an admin's
    ``c.EventLogger.handlers`` would."""
    logger = EventLogger()
    logger.register_handler(logging.StreamHandler(stream))
    return logger


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def test_every_record_airlock_writes_is_emitted_as_a_valid_event(tmp_path: Path) -> None:
    stream = io.StringIO()
    audit = AuditLog(tmp_path / "audit.jsonl", emit=audit_events(events_to(stream)))

    async def scenario() -> None:
        for record in RECORDS:
            await audit.append(user="ada", **record)

    run(scenario())
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [event["__schema__"] for event in events] == [EVENT_SCHEMA_ID] * len(RECORDS)
    assert all(event["__schema_version__"] == "1" for event in events)
    # The event is the line in the file, field for field.
    assert [
        {key: value for key, value in event.items() if not key.startswith("__")} for event in events
    ] == lines(tmp_path / "audit.jsonl")
    assert events[0]["steps"] == ["numpy==2.0.0"]


def test_the_schema_requires_what_every_record_has(tmp_path: Path) -> None:
    logger = EventLogger()
    logger.register_event_schema(EVENT_SCHEMA)
    for required in ("time", "user", "action", "result"):
        event = {"time": "2026-01-01T00:00:00+00:00", "user": "ada", "action": "copy"}
        event["result"] = "succeeded"
        del event[required]
        with pytest.raises(ValidationError, match=required):
            logger.schemas.validate_event(EVENT_SCHEMA_ID, event)


def test_an_event_that_cannot_be_emitted_leaves_the_line_and_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    stream = io.StringIO()
    audit = AuditLog(tmp_path / "audit.jsonl", emit=audit_events(events_to(stream)))

    # No result: the schema refuses the event, the action it records still happened.
    run(audit.append("copy", "ada", key="a.csv"))

    assert lines(tmp_path / "audit.jsonl")[0]["key"] == "a.csv"
    assert stream.getvalue() == ""
    assert "could not emit the audit event of 'copy'" in caplog.text


def fixed_size_records(
    audit: AuditLog, count: int, start: int = 0, action: str = "copy", user: str = "ada"
) -> int:
    """Append ``count`` records numbered from ``start``, all of one size (with the same
    lengths of action and user); return that size."""

    async def scenario() -> None:
        for number in range(start, start + count):
            await audit.append(action, user, n=f"{number:05}", result="succeeded")

    run(scenario())
    return len(audit.path.read_bytes().splitlines()[-1]) + 1


def numbers(records: list[dict[str, Any]]) -> list[int]:
    return [int(record["n"]) for record in records]


def test_the_file_rotates_by_size_keeping_the_backups_asked_for(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl", max_bytes=1000, backups=2)
    size = fixed_size_records(audit, 50)
    per_file = 1000 // size
    current = (50 - 1) % per_file + 1  # a file is rotated when the next line would not fit

    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "audit.jsonl",
        "audit.jsonl.1",
        "audit.jsonl.2",
    ]
    assert numbers(lines(audit.path)) == list(range(50 - current, 50))
    assert numbers(lines(tmp_path / "audit.jsonl.1")) == list(
        range(50 - current - per_file, 50 - current)
    )
    # The oldest records went with the backup that fell off.
    assert numbers(audit.read()) == list(range(50 - current - 2 * per_file, 50))


def test_without_backups_a_rotation_starts_afresh_and_zero_bytes_never_rotates(
    tmp_path: Path,
) -> None:
    fresh = AuditLog(tmp_path / "fresh" / "audit.jsonl", max_bytes=1000, backups=0)
    size = fixed_size_records(fresh, 50)
    current = (50 - 1) % (1000 // size) + 1
    assert [path.name for path in fresh.path.parent.iterdir()] == ["audit.jsonl"]
    assert numbers(fresh.read()) == list(range(50 - current, 50))

    never = AuditLog(tmp_path / "never" / "audit.jsonl", max_bytes=0)
    fixed_size_records(never, 50)
    assert [path.name for path in never.path.parent.iterdir()] == ["audit.jsonl"]
    assert numbers(never.read()) == list(range(50))


def test_concurrent_appends_rotate_without_losing_or_splitting_a_line(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl", max_bytes=2000, backups=100)

    async def scenario() -> None:
        await asyncio.gather(
            *(audit.append("copy", "ada", n=number, result="ok") for number in range(300))
        )

    run(scenario())
    rotated = list(tmp_path.glob("audit.jsonl.*"))
    assert len(rotated) > 10
    for path in [audit.path, *rotated]:
        assert path.stat().st_size <= 2000
        assert path.read_bytes().endswith(b"\n")
        lines(path)  # every line whole JSON
    assert sorted(record["n"] for record in audit.read()) == list(range(300))


def test_the_window_is_the_newest_whole_lines_within_its_bound(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl", max_bytes=0)
    size = fixed_size_records(audit, 120)

    # A bound on a line's start keeps that line; one inside a line leaves it out.
    for bound, whole in [(20 * size, 20), (20 * size + size // 2, 20), (size - 1, 0)]:
        audit.window_bytes = bound
        window = audit.window(limit=5)
        assert numbers(window["records"]) == list(range(119, 114, -1))[:whole]
        assert window["total"] == whole
        assert window["complete"] is False

    audit.window_bytes = 120 * size
    window = audit.window(limit=1000)
    assert numbers(window["records"]) == list(range(119, -1, -1))
    assert window["complete"] is True
    assert window["since"] == window["records"][-1]["time"]


def test_rotated_files_are_read_as_far_as_the_window_reaches(tmp_path: Path) -> None:
    size = fixed_size_records(AuditLog(tmp_path / "probe.jsonl"), 1)
    # Five lines a file: audit.jsonl.2 has the "old" user's plans, the others ada's copies.
    audit = AuditLog(tmp_path / "audit.jsonl", max_bytes=5 * size, backups=3)
    fixed_size_records(audit, 5, action="plan", user="old")
    fixed_size_records(audit, 10, start=5)
    assert numbers(lines(tmp_path / "audit.jsonl.2")) == list(range(5))

    audit.window_bytes = 10 * size
    window = audit.window(limit=3)
    assert numbers(window["records"]) == [14, 13, 12]
    assert (window["total"], window["actions"], window["users"]) == (10, ["copy"], ["ada"])
    assert window["complete"] is False

    audit.window_bytes = 15 * size
    window = audit.window(user="old")
    assert numbers(window["records"]) == [4, 3, 2, 1, 0]
    assert (window["actions"], window["users"]) == (["copy", "plan"], ["ada", "old"])
    assert window["complete"] is True
    assert numbers(audit.window(action="copy", limit=1)["records"]) == [14]
    assert audit.window(action="copy")["total"] == 10


def test_damaged_lines_are_skipped_and_an_empty_trail_is_an_empty_window(
    tmp_path: Path,
) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    assert audit.window() == {
        "records": [],
        "total": 0,
        "actions": [],
        "users": [],
        "complete": True,
        "since": None,
    }
    Path(f"{audit.path}.1").write_bytes(b'{"action": "copy", "user": "ada"}\n{"action": "cut')
    audit.path.write_bytes(b'7\nnot json\n\xff\xfe\n{"action": "plan", "user": "bo"}\n')
    window = audit.window()
    assert [record["action"] for record in window["records"]] == ["plan", "copy"]


async def test_the_server_emits_audit_events_and_describes_its_window(
    jp_fetch: Any, jp_serverapp: Any
) -> None:
    stream = io.StringIO()
    jp_serverapp.event_logger.register_handler(logging.StreamHandler(stream))
    own = {"name": "mine", "source": {"kind": "folder", "path": "/tmp"}}
    await jp_fetch("airlock", "profiles", "apply", method="POST", body=json.dumps({"profile": own}))

    [event] = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert event["__schema__"] == EVENT_SCHEMA_ID
    assert (event["action"], event["profile"], event["result"]) == (
        "profile-apply",
        "mine",
        "succeeded",
    )
    activity = json.loads((await jp_fetch("airlock", "audit")).body)
    assert [record["action"] for record in activity["records"]] == ["profile-apply"]
    # Who, by id and by the identity provider's name: the id of the anonymous user a
    # token request is given is an opaque hex, its name jupyter_server's "Anonymous ...".
    [record] = activity["records"]
    assert re.fullmatch("[0-9a-f]{32}", record["user"])
    assert record["user_name"].startswith("Anonymous ")
    assert (event["user"], event["user_name"]) == (record["user"], record["user_name"])
    assert activity["complete"] is True
    assert activity["since"] == event["time"]
