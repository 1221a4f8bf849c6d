"""Applying a profile: write pip's, conda's, npm's and uv's own files and the Jupyter
server's configuration, set the proxy and CA environment.

The tools read their usual user files, so every kernel and terminal follows the mirror
without Airlock in the loop. Every apply is one transaction: all files are read and merged
first, a backup of what is replaced is written, then the files are replaced atomically; if
anything fails, what was already written is put back. Backups form a stack in
``state_dir`` that ``revert`` pops, so a switch can always be undone, also after a restart.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Mapping, MutableMapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..atomic import write_atomic
from ..errors import AirlockError
from ..secrets import redact
from .configfiles import ConfigFormatError, merge
from .files import (
    PRIVATE,
    Snapshot,
    decode,
    json_bytes,
    not_writable,
    put,
    read_snapshot,
    unreadable,
)
from .owned import owned_settings
from .paths import MANAGED_ENVIRONMENT, TOOLS, ConfigPaths, environment_settings
from .validation import Profile, validate_profile


class ProfileApplier:
    """Applies profiles to one user's configuration files and to the server's environment."""

    def __init__(self, paths: ConfigPaths, environ: MutableMapping[str, str] | None = None) -> None:
        self.paths = paths
        self.environ: MutableMapping[str, str] = os.environ if environ is None else environ

    # --- public API -------------------------------------------------------------------------

    def apply(
        self,
        profile: Profile,
        expand: Callable[[Profile], Profile] | None = None,
        *,
        default: bool = False,
    ) -> dict[str, Any]:
        """Make ``profile`` the one pip, conda and npm use; return what was changed.

        ``expand`` turns a profile into the settings written, when they hold more than the
        profile says (the package index this server serves, with its secret): the files
        then get owner-only permissions, and the profile as written by its author is what
        is recorded as active. Nothing is changed when the profile is invalid, an existing
        file cannot be parsed (``unreadable-config``) or cannot be written
        (``config-not-writable``).

        ``default`` marks the admin's default profile applied for a user who had none: it is
        where this user's history starts, so ``revert`` stops there.
        """
        profile = validate_profile(profile)
        name = profile["name"]
        ca_bundle = profile.get("ca_bundle")
        if ca_bundle and not Path(ca_bundle).is_file():
            raise AirlockError(
                "invalid-profile",
                f"Profile '{name}': the CA bundle {ca_bundle} does not exist or is not a file. "
                "Ask your administrator for the site's CA bundle path.",
                status=400,
            )
        state = self._load_state()
        previous: Profile | None = state["active"]
        written = expand(profile) if expand else profile
        private = written is not profile
        settings = owned_settings(written)
        # Keys the previous profile wrote are Airlock's too: switching must clear them even
        # when the new profile does not reach that tool at all.
        previous_written = expand(previous) if expand and previous else previous
        reached = set(settings) | set(owned_settings(previous_written) if previous_written else {})

        changes: dict[Path, Snapshot] = {}
        originals: dict[Path, Snapshot] = {}
        notes: list[str] = []
        for tool in TOOLS:
            path = self.paths.of(tool)
            if tool not in reached or path is None:
                continue
            snapshot = read_snapshot(path)
            values = settings.get(tool, {})
            if snapshot.data is None and not values:
                continue
            text = decode(path, snapshot.data)
            try:
                merged = merge(tool, text, values)
            except ConfigFormatError as error:
                raise unreadable(path, str(error)) from error
            data = merged.text.encode("utf-8")
            if data == snapshot.data:
                continue
            changes[path] = Snapshot(data, PRIVATE if private else snapshot.mode)
            originals[path] = snapshot
            if not merged.layout_kept:
                notes.append(
                    f"{path} was written in full because its layout could not be edited in "
                    "place; its settings are kept, its comments are not (Revert restores it)."
                )
        proxy = profile.get("proxy", {})
        if proxy.get("no_proxy") and (proxy.get("http") or proxy.get("https")):
            notes.append(
                "pip takes the proxy from HTTP(S)_PROXY rather than pip.conf, because pip "
                "ignores NO_PROXY once pip.conf names a proxy."
            )
        if self.paths.uv is not None and self.environ.get("UV_CONFIG_FILE") and "uv" in settings:
            notes.append(
                f"UV_CONFIG_FILE names {self.environ['UV_CONFIG_FILE']}, so uv reads that file "
                f"instead of {self.paths.uv}: set the mirror there too, or unset it."
            )
        if self.paths.jupyter in changes:
            notes.append(
                "JupyterLab's Extension Manager follows the profile in servers started from "
                "now on: restart the server to list and install extensions from the mirror."
            )

        wanted_environment = environment_settings(written)
        baseline: dict[str, str | None] = dict(state["environment_before_airlock"])
        environment: dict[str, str | None] = {}
        for variable in MANAGED_ENVIRONMENT:
            if variable in wanted_environment:
                baseline.setdefault(variable, self.environ.get(variable))
                environment[variable] = wanted_environment[variable]
            elif variable in baseline:
                environment[variable] = baseline.pop(variable)

        time = _now()
        record = {
            "profile": name,
            "time": time,
            "files": [
                {"path": str(path), "existed": snapshot.data is not None, "mode": snapshot.mode}
                for path, snapshot in originals.items()
            ],
            "environment": {
                variable: self.environ.get(variable) for variable in sorted(environment)
            },
            "previous_active": previous,
            "previous_environment_before_airlock": state["environment_before_airlock"],
            "default": default,
        }
        backup = self._write_backup(record, originals)
        new_state = {
            "active": profile,
            "backups": [*state["backups"], backup.name],
            "environment_before_airlock": baseline,
        }
        self._commit(changes, originals, new_state, backup)
        self._set_environment(environment)
        return {
            "profile": name,
            "time": time,
            "files": [{"path": str(p), "existed": originals[p].data is not None} for p in changes],
            "environment": redact(
                {variable: environment[variable] for variable in sorted(environment)}
            ),
            "notes": notes,
        }

    def revert(self) -> dict[str, Any]:
        """Undo the latest apply: its files byte for byte, its environment, the active profile.

        The admin's default profile, applied when the user had none, is not undone: the
        server would apply it again at its next start, and until then nothing would name a
        mirror or an artifact source (``nothing-to-revert``).
        """
        state = self._load_state()
        if not state["backups"]:
            raise AirlockError(
                "nothing-to-revert",
                "There is no profile switch to revert: the configuration files are as they "
                "were before Airlock changed them.",
                status=409,
            )
        backup = self._backups_dir / state["backups"][-1]
        record = self._read_record(backup)
        if record.get("default"):
            raise AirlockError(
                "nothing-to-revert",
                f"There is no switch of yours to revert: '{record['profile']}' is your "
                "administrator's default profile, applied when Airlock first started for you. "
                "To use another mirror, choose another profile.",
                status=409,
            )
        try:
            restored = {
                Path(entry["path"]): Snapshot(
                    (backup / f"{number}.bak").read_bytes() if entry["existed"] else None,
                    entry["mode"],
                )
                for number, entry in enumerate(record["files"])
            }
        except (OSError, ValueError, KeyError) as error:
            raise self._backup_missing(backup, error) from error
        current = {path: read_snapshot(path) for path in restored}
        new_state = {
            "active": record["previous_active"],
            "backups": state["backups"][:-1],
            "environment_before_airlock": record["previous_environment_before_airlock"],
        }
        self._commit(restored, current, new_state, None)
        self._set_environment(record["environment"])
        shutil.rmtree(backup, ignore_errors=True)
        previous = record["previous_active"]
        return {
            "profile": record["profile"],
            "time": _now(),
            "files": [
                {
                    "path": str(path),
                    "restored": "removed" if snapshot.data is None else "previous content",
                }
                for path, snapshot in restored.items()
            ],
            "environment": redact(record["environment"]),
            "active": previous["name"] if previous else None,
        }

    def can_revert(self) -> bool:
        """Whether there is a switch to undo (not the admin's default, applied at first)."""
        backups = self._load_state()["backups"]
        if not backups:
            return False
        try:
            return not self._read_record(self._backups_dir / backups[-1]).get("default")
        except AirlockError:
            return True  # revert says why it cannot

    def _read_record(self, backup: Path) -> dict[str, Any]:
        try:
            record: dict[str, Any] = json.loads((backup / "record.json").read_text("utf-8"))
        except (OSError, ValueError) as error:
            raise self._backup_missing(backup, error) from error
        return record

    def _backup_missing(self, backup: Path, error: Exception) -> AirlockError:
        return AirlockError(
            "backup-missing",
            f"Airlock's backup in {backup} cannot be read ({error}), so this switch cannot "
            f"be undone. Your files stay as they are; delete {self.paths.state_dir} to "
            "start Airlock's history afresh.",
            status=409,
        )

    def active(self) -> Profile | None:
        """The profile applied last (and not reverted), as it was applied."""
        active: Profile | None = self._load_state()["active"]
        return active

    def restore_environment(self) -> None:
        """At server start: set the active profile's proxy and CA variables again.

        Files persist across restarts; the process environment does not.
        """
        active = self.active()
        if active:
            self._set_environment(environment_settings(active))

    # --- state ------------------------------------------------------------------------------

    @property
    def _state_file(self) -> Path:
        return self.paths.state_dir / "state.json"

    @property
    def _backups_dir(self) -> Path:
        return self.paths.state_dir / "backups"

    def _load_state(self) -> dict[str, Any]:
        try:
            state: dict[str, Any] = json.loads(self._state_file.read_text("utf-8"))
        except (FileNotFoundError, NotADirectoryError):
            return {"active": None, "backups": [], "environment_before_airlock": {}}
        except (OSError, ValueError) as error:
            raise unreadable(self._state_file, str(error)) from error
        return state

    def _write_backup(self, record: dict[str, Any], originals: dict[Path, Snapshot]) -> Path:
        """A new numbered folder with the replaced files' bytes and the record of the apply."""
        try:
            self._backups_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            taken = [int(p.name) for p in self._backups_dir.iterdir() if p.name.isdigit()]
            backup = self._backups_dir / str(max(taken, default=0) + 1)
            backup.mkdir(mode=0o700)
        except OSError as error:
            raise not_writable(self._backups_dir, error) from error
        try:
            for number, snapshot in enumerate(originals.values()):
                if snapshot.data is not None:
                    write_atomic(backup / f"{number}.bak", snapshot.data, PRIVATE)
            write_atomic(backup / "record.json", json_bytes(record), PRIVATE)
        except OSError as error:
            shutil.rmtree(backup, ignore_errors=True)
            raise not_writable(backup, error) from error
        return backup

    def _commit(
        self,
        changes: dict[Path, Snapshot],
        before: dict[Path, Snapshot],
        state: dict[str, Any],
        backup: Path | None,
    ) -> None:
        """Replace the files, then the state; on failure put back what was replaced."""
        done: list[Path] = []
        target = self._state_file
        try:
            for path, change in changes.items():
                target = path
                put(path, change)
                done.append(path)
            target = self._state_file
            write_atomic(target, json_bytes(state), PRIVATE)
        except OSError as error:
            failed = []
            for path in reversed(done):
                try:
                    put(path, before[path])
                except OSError as undo_error:
                    failed.append(f"{path} ({undo_error.strerror or undo_error})")
            if backup is not None and not failed:
                shutil.rmtree(backup, ignore_errors=True)
            message = not_writable(target, error).message
            if failed:
                message += (
                    f" Putting back the files already written failed too: {', '.join(failed)}."
                )
            raise AirlockError("config-not-writable", message, status=409) from error

    def _set_environment(self, values: Mapping[str, str | None]) -> None:
        for variable, value in values.items():
            if value is None:
                self.environ.pop(variable, None)
            else:
                self.environ[variable] = value


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
