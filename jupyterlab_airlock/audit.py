"""The audit trail: one JSON line per action that changes something or brings files in.

Lines are only ever appended (``O_APPEND``: concurrent writers never interleave a line),
so the file can live on a shared location an admin collects from. Nothing secret goes in:
inputs are package names, keys, paths and sha256 sums, never URLs with credentials.

The file rotates by size (``audit.jsonl`` becomes ``audit.jsonl.1``, and so on), each line
whole in one file; the Activity section reads a bounded window from the newest end. Each
record is also emitted as a jupyter_events event, which admins route with the standard
handlers.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import logging
import os
import threading
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Protocol

from .secrets import redact

EVENT_SCHEMA_ID = "https://events.jupyter.org/jupyterlab_airlock/audit/v1"
EVENT_SCHEMA = Path(__file__).parent / "event_schemas" / "audit" / "v1.yaml"
# How much of the trail, from its newest end, the Activity section's counts and filter
# values describe: enough for weeks of one user's work, small enough to parse per request.
WINDOW_BYTES = 4 << 20

Emit = Callable[[dict[str, Any]], None]


class EventLogger(Protocol):
    """What Airlock uses of ``jupyter_events.EventLogger`` (the server's ``event_logger``)."""

    def register_event_schema(self, schema: Path) -> None: ...

    def emit(self, *, schema_id: str, data: dict[str, Any]) -> Any: ...


def audit_events(event_logger: EventLogger) -> Emit:
    """Register the audit event's schema with ``event_logger``; emit records as events."""
    event_logger.register_event_schema(EVENT_SCHEMA)

    def emit(record: dict[str, Any]) -> None:
        event_logger.emit(schema_id=EVENT_SCHEMA_ID, data=record)

    return emit


def actor(user: str | None) -> str:
    """Who acts, as the trail records it: the Jupyter user's id, else the hub's user,
    else the system user."""
    # Under JupyterHub every server may run as one system user (jovyan): the hub's name
    # for the user is the one that says who.
    return user or os.environ.get("JUPYTERHUB_USER") or getpass.getuser()


class AuditLog:
    """Appends records to ``path``; a failure to write is reported, never silent.

    ``path`` is rotated when a line would take it past ``max_bytes`` (0: never), keeping
    ``backups`` older files. A line is written whole into one file. Rotation is serialized
    within this process; servers sharing one file may at worst rotate twice in a row,
    dropping the oldest backup early.
    """

    def __init__(
        self,
        path: Path,
        max_bytes: int = 10 << 20,
        backups: int = 5,
        *,
        emit: Emit | None = None,
        log: logging.Logger | None = None,
        window_bytes: int = WINDOW_BYTES,
    ) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self.window_bytes = window_bytes
        self._emit = emit
        self._log = log or logging.getLogger(__name__)
        # Writes run in worker threads: a rotation must not happen between another
        # write's size check and its write, nor while a window opens the files.
        self._lock = threading.Lock()
        # User id to the identity provider's name for it, learnt from requests.
        self._names: dict[str, str] = {}

    def name_user(self, user: str, name: str) -> None:
        """Record ``name`` (the identity provider's) with ``user``'s records from now on:
        ids are opaque (a random hex under token authentication), names say who."""
        if name and name != user:
            self._names[user] = name

    async def append(self, action: str, user: str | None, **record: Any) -> None:
        line = {
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "user": actor(user),
            **({"user_name": self._names[user]} if user in self._names else {}),
            "action": action,
            **record,
        }
        text = redact(json.dumps(line, default=str))
        await asyncio.to_thread(self._write, (text + "\n").encode("utf-8"))
        if self._emit is not None:
            try:
                # The event is the line as written: redacted, with JSON's types.
                self._emit(json.loads(text))
            except Exception:  # the line is on disk: the action it records stands
                self._log.exception("Airlock could not emit the audit event of '%s'", action)

    def _write(self, data: bytes) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            size = self.path.stat().st_size if self.path.exists() else 0
            if self.max_bytes and size and size + len(data) > self.max_bytes:
                self._rotate()
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(descriptor, data)
            finally:
                os.close(descriptor)

    def _files(self) -> list[Path]:
        """The trail's files, newest first: the current one, then the backups."""
        return [self.path, *(Path(f"{self.path}.{n}") for n in range(1, self.backups + 1))]

    def _rotate(self) -> None:
        files = self._files()
        # Oldest first, so each rename overwrites a file already moved on (or dropped).
        for older in range(len(files) - 1, 0, -1):
            try:
                os.replace(files[older - 1], files[older])
            except FileNotFoundError:  # fewer backups yet, or another server rotated
                continue
        if not self.backups:
            self.path.unlink(missing_ok=True)

    def window(self, action: str = "", user: str = "", limit: int = 200) -> dict[str, Any]:
        """The newest ``limit`` records of the last ``window_bytes`` of the trail that match
        ``action`` and ``user`` (empty: any), newest first.

        ``total``, ``actions`` and ``users`` count the window; ``complete`` says whether it
        is the whole trail kept, and ``since`` is the time of its oldest record.
        """
        records, complete = self._tail(self.window_bytes)
        chosen = [
            record
            for record in reversed(records)
            if (not action or record.get("action") == action)
            and (not user or record.get("user") == user)
        ]
        return {
            "records": chosen[:limit],
            "total": len(chosen),
            "actions": sorted({str(record.get("action")) for record in records}),
            "users": sorted({str(record.get("user")) for record in records}),
            "complete": complete,
            "since": records[0].get("time") if records else None,
        }

    def read(self) -> list[dict[str, Any]]:
        """Every record kept, the backups' too, oldest first; a damaged line is skipped."""
        return self._tail(None)[0]

    def _tail(self, budget: int | None) -> tuple[list[dict[str, Any]], bool]:
        """The records of the trail's last ``budget`` bytes (None: all), oldest first, and
        whether that is all of it. Only whole lines: one cut by the budget is left out."""
        with ExitStack() as stack:
            # Opened together under the lock: a rotation afterwards renames what is read,
            # it cannot make a record appear twice or not at all.
            with self._lock:
                opened: list[IO[bytes]] = []
                for path in self._files():
                    try:
                        opened.append(stack.enter_context(path.open("rb")))
                    except FileNotFoundError:
                        break
                sizes = [os.fstat(file.fileno()).st_size for file in opened]
            chunks: list[bytes] = []
            complete = True
            for file, size in zip(opened, sizes, strict=True):
                if budget is not None and size > budget:
                    # From the byte before the cut: a line starting at the cut is whole.
                    file.seek(size - budget - 1)
                    chunk = file.read(budget + 1)
                    cut = chunk.find(b"\n")
                    chunks.append(chunk[cut + 1 :] if cut >= 0 else b"")
                    complete = False
                    break
                chunks.append(file.read(size))
                if budget is not None:
                    budget -= size
        records = []
        # Joined by a newline: a file's damaged last line must not swallow the next file's
        # first.
        for line in b"\n".join(reversed(chunks)).splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                records.append(record)
        return records, complete
