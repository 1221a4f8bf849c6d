"""The audit trail: one JSON line per action that changes something or brings files in.

Lines are only ever appended (``O_APPEND``: concurrent writers never interleave a line),
so the file can live on a shared location an admin collects from. Nothing secret goes in:
inputs are package names, keys, paths and sha256 sums, never URLs with credentials.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .secrets import redact


class AuditLog:
    """Appends records to ``path``; a failure to write is reported, never silent."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def append(self, action: str, user: str | None, **record: Any) -> None:
        line = {
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            # Under JupyterHub every server may run as one system user (jovyan): the hub's
            # name for the user is the one that says who.
            "user": user or os.environ.get("JUPYTERHUB_USER") or getpass.getuser(),
            "action": action,
            **record,
        }
        text = redact(json.dumps(line, default=str)) + "\n"
        await asyncio.to_thread(self._write, text.encode("utf-8"))

    def _write(self, data: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, data)
        finally:
            os.close(descriptor)

    def read(self) -> list[dict[str, Any]]:
        """Every record, oldest first; a damaged line is skipped."""
        try:
            lines = self.path.read_text("utf-8").splitlines()
        except FileNotFoundError:
            return []
        records = []
        for line in lines:
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
        return records
