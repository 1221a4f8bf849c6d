"""The DMZ's conda channels, as a conda kernel remembers them: the channels the bundle it
was made from was solved from (``bundle.json``'s ``channels``), kept in its prefix so that
a request from that kernel names them and the DMZ's command needs no channel typed in.

The note is ``conda-meta/airlock``, beside the records as pixi keeps ``conda-meta/pixi``:
not a ``*.json`` file, so conda and py-rattler never read it as a package's record. Only
what a request may carry is kept: a channel URL without user, password, query or
fragment (``bundle.json`` never has them; a note edited by hand is read the same way).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

NOTE = Path("conda-meta") / "airlock"
MAX_CHANNELS = 20
# The request schema's rule for a channel: a URL of the DMZ's mirror (or of its own folder,
# file://), with nothing secret in it.
CHANNEL_PATTERN = r"^(https?|file)://[^\s@?#]{1,500}$"
_CHANNEL = re.compile(CHANNEL_PATTERN)


def remember_channels(prefix: Path, channels: Sequence[str]) -> None:
    """Keep the ``channels`` a kernel's conda bundle came from in its ``prefix``."""
    note = {"channels": shareable(channels)}
    (prefix / NOTE).write_text(json.dumps(note, indent=1) + "\n", "utf-8")


def remembered_channels(prefix: Path) -> list[str]:
    """The channels the kernel at ``prefix`` remembers; none when it has no note (a kernel
    not made from an Airlock conda bundle) or an unreadable one."""
    try:
        note = json.loads((prefix / NOTE).read_text("utf-8"))
    except (OSError, ValueError):
        return []
    channels = note.get("channels") if isinstance(note, dict) else None
    if not isinstance(channels, list):
        return []
    return shareable([channel for channel in channels if isinstance(channel, str)])


def shareable(channels: Sequence[str]) -> list[str]:
    """``channels`` that a request may name (see ``CHANNEL_PATTERN``), once each, in order."""
    kept = [channel.rstrip("/") for channel in channels if _CHANNEL.fullmatch(channel)]
    return list(dict.fromkeys(kept))[:MAX_CHANNELS]
