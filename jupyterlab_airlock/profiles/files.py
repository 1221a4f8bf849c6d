"""The user's files as one apply or revert handles them: read whole (bytes and permission
bits), replaced atomically, and every failure told as what to fix."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..atomic import write_atomic
from ..errors import AirlockError
from ..secrets import redact

# New configuration files and Airlock's own state: the user's alone (they may name hosts and
# paths of the site, and the user's own files may hold index passwords).
PRIVATE = 0o600


class ConfigFormatError(ValueError):
    """A configuration file its tool could not parse either; ``str()`` is the parser's reason."""


@dataclass(frozen=True)
class Merged:
    text: str
    layout_kept: bool  # False: written in full from the parsed settings, comments not kept


@dataclass
class Snapshot:
    """A file's bytes and permission bits before a change; ``data`` None: it did not exist."""

    data: bytes | None
    mode: int


def read_snapshot(path: Path) -> Snapshot:
    try:
        return Snapshot(path.read_bytes(), path.stat().st_mode & 0o7777)
    except (FileNotFoundError, NotADirectoryError):
        return Snapshot(None, PRIVATE)
    except OSError as error:
        raise unreadable(path, error.strerror or str(error)) from error


def decode(path: Path, data: bytes | None) -> str:
    try:
        return "" if data is None else data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise unreadable(path, f"it is not UTF-8 text ({error.reason})") from error


def put(path: Path, content: Snapshot) -> None:
    """Give ``path`` the content and mode of ``content``; no data: remove the file."""
    if content.data is None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    else:
        write_atomic(path, content.data, content.mode)


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, indent=2).encode("utf-8")


def unreadable(path: Path, reason: str) -> AirlockError:
    reason = redact(reason)  # parsers quote lines, which may hold a password of the user's
    return AirlockError(
        "unreadable-config",
        f"{path} cannot be read: {reason}. Nothing was changed; fix or move it, then switch again.",
        status=409,
    )


def not_writable(path: Path, error: OSError) -> AirlockError:
    reason = error.strerror or str(error)
    # The errno of a file standing where a folder must be ("File exists", "Not a directory")
    # does not say which file; name it.
    blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        reason = f"{blocker} is a file where a folder must be"
    return AirlockError(
        "config-not-writable",
        f"Airlock cannot write {path}: {reason}. Nothing was changed; make {path.parent} a "
        "writable folder (or free some space), then switch again.",
        status=409,
    )
