"""Copies from the active source into the workspace, as jobs, verified on the way.

A copy streams to a hidden partial file (or folder) beside the destination while hashing,
checks each file against its folder's manifest, and only takes the final name once every
file is whole and verified.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

from .active_source import ActiveSource
from .errors import AirlockError
from .jobs import Job, JobContext, JobManager
from .kinds import classify
from .sources import Entry, Source, clean_key
from .transfers import receive
from .trust import manifests
from .trust.gate import judge
from .trust.policy import Policy
from .trust.signatures import TrustedSigners

# Files that install as packages: the policy's package rules apply to their copies too.
_PACKAGE_KINDS = ("wheel", "sdist", "conda")


class WorkspaceCopier:
    """Copies into the workspace of one Jupyter server; remembers the sha256 it computed."""

    def __init__(
        self,
        active_source: ActiveSource,
        jobs: JobManager,
        root_dir: Path,
        policy: Policy,
        signers: TrustedSigners | None = None,
    ) -> None:
        self._policy = policy
        self._signers = signers
        self._active_source = active_source
        self._jobs = jobs
        self._root = root_dir.resolve()
        # sha256 of objects hashed by a copy, by (source, key, etag): they show as verified.
        self._hashed: dict[tuple[str, str, str | None], str] = {}

    def hashed(self, source: Source, entry: Entry) -> str | None:
        """The sha256 a copy computed for this version of ``entry``, or None."""
        return self._hashed.get((source.describe(), entry.key, entry.etag))

    def copy(
        self, key: str, destination: str, overwrite: bool = False, user: str | None = None
    ) -> Job:
        """Start copying ``key`` (a file, or a folder ending in '/') to ``destination``
        (relative to the Jupyter root)."""
        self._policy.check_intact()
        source = self._active_source.get()
        key = clean_key(key)
        target = self._destination(destination)
        if target.exists() and not overwrite:
            raise AirlockError(
                "destination-exists",
                f"{destination} already exists in the workspace: choose another name, or "
                "confirm that it may be replaced.",
                409,
            )
        relative = target.relative_to(self._root).as_posix()

        async def work(context: JobContext) -> dict[str, Any]:
            result = await self._copy(source, key, target, relative, overwrite, context)
            context.audit(sha256=result.pop("digests"))
            return result

        return self._jobs.submit(
            "copy",
            f"Copy {key} to {relative}",
            f"file:{target}",
            work,
            user=user,
            audit={"source": source.describe(), "key": key, "destination": relative},
        )

    def _destination(self, destination: str) -> Path:
        """A path in the workspace; never outside it, also not through a symbolic link."""
        relative = PurePosixPath(destination.strip())
        if (
            not destination.strip()
            or relative.is_absolute()
            or ".." in relative.parts
            or "\x00" in destination
        ):
            raise AirlockError(
                "invalid-destination",
                f"{destination!r} is not a path inside the workspace: give a relative path "
                "such as data/readings.csv.",
                400,
            )
        target = self._root / relative
        parent = target.parent.resolve()
        if not parent.is_relative_to(self._root) or target.is_symlink():
            raise AirlockError(
                "invalid-destination",
                f"{destination} leads outside the workspace (through a symbolic link).",
                400,
            )
        return parent / target.name

    async def _files(self, source: Source, key: str) -> list[tuple[Entry, str]]:
        """The files to copy, each with its path under the destination."""
        if not key.endswith("/"):
            return [(await source.stat(key), "")]
        files: list[tuple[Entry, str]] = []
        folders = [key]
        while folders:
            folder = folders.pop()
            cursor: str | None = None
            while True:
                page = await source.list(folder, cursor)
                folders += page.folders
                files += [(entry, entry.key[len(key) :]) for entry in page.entries]
                cursor = page.next_token
                if cursor is None:
                    break
        return files

    async def _vouched(
        self, source: Source, files: list[tuple[Entry, str]]
    ) -> dict[str, manifests.Manifest | None]:
        """The manifests of the files' folders, once each, with their signatures checked;
        refused before a byte moves when the policy requires signed files and one is not."""
        folders: dict[str, manifests.Manifest | None] = {}
        for entry, _ in files:
            folder = _folder(entry.key)
            if folder not in folders:
                manifest, problems = await manifests.read_folder(source, folder, self._signers)
                if problems:
                    raise AirlockError("invalid-manifest", problems[0], 422)
                folders[folder] = manifest
            manifest = folders[folder]
            listed = manifest is not None and entry.name in manifest.files
            signed = manifest is not None and manifest.signed_by(entry.name) is not None
            # A package the policy keeps out stays out of the workspace too (from there it
            # would install all the same); other files answer to the signature rule only.
            info = classify(entry.key)
            package = info["kind"] in _PACKAGE_KINDS
            if package or self._policy.require_signed:
                judge(
                    self._policy,
                    "copy",
                    project=str(info["name"]) if package else None,
                    version=str(info["version"]) if package and info.get("version") else None,
                    file=entry.key,
                    verified=listed,
                    signed=signed,
                ).enforce(f"{entry.key} is not copied: ")
        return folders

    async def _copy(
        self,
        source: Source,
        key: str,
        target: Path,
        relative: str,
        overwrite: bool,
        context: JobContext,
    ) -> dict[str, Any]:
        """Stream every file into a hidden staging path beside the target, verifying each
        against its folder's manifest; the target name appears only when all are whole."""
        files = await self._files(source, key)
        total = sum(entry.size for entry, _ in files)
        # What may come in at all first, then how much of it.
        folder_manifests = await self._vouched(source, files)
        self._policy.copy(key, total)
        context.log(f"Copying {key} ({len(files)} file(s), {total} bytes) from {source.describe()}")
        staging = target.with_name(f".{target.name}.airlock-partial")
        copied = 0
        verified = 0
        digests: dict[str, str] = {}
        try:
            for entry, inside in files:
                manifest = folder_manifests[_folder(entry.key)]
                out_path = staging / inside if inside else staging
                await asyncio.to_thread(out_path.parent.mkdir, parents=True, exist_ok=True)
                verifier = manifests.Sha256Verifier(entry.key)
                with out_path.open("wb") as out:

                    def progress(received: int, done: int = copied) -> None:
                        context.progress((done + received) / total if total else 1.0)

                    await receive(source, entry, out, verifier, progress)
                if verifier.size != entry.size:
                    raise AirlockError(
                        "transfer-broken",
                        f"The transfer of {entry.key} stopped after {verifier.size} of "
                        f"{entry.size} bytes; nothing was kept. Copy it again.",
                        502,
                    )
                expected = manifest.files.get(entry.name) if manifest else None
                if manifest is not None and expected is not None:
                    verifier.check(expected)
                    verified += 1
                    context.log(f"{entry.key}: sha256 matches {manifest.source}")
                else:
                    context.log(f"{entry.key}: sha256 {verifier.hexdigest()} (not in a manifest)")
                copied += entry.size
                digests[entry.key] = verifier.hexdigest()
                self._hashed[(source.describe(), entry.key, entry.etag)] = verifier.hexdigest()
            await asyncio.to_thread(_put_in_place, staging, target, relative, overwrite)
        finally:
            await asyncio.to_thread(_remove, staging)
        context.log(f"Saved as {relative}")
        single = not key.endswith("/")
        return {
            "path": relative,
            "files": len(files),
            "size": copied,
            "sha256": digests.get(key) if single else None,
            "verified": verified == len(files) and bool(files),
            "digests": digests,
        }


def _folder(key: str) -> str:
    return key.rsplit("/", 1)[0] + "/" if "/" in key else ""


def _put_in_place(staging: Path, target: Path, relative: str, overwrite: bool) -> None:
    if target.exists() or target.is_symlink():
        if not overwrite:
            raise AirlockError(
                "destination-exists",
                f"{relative} appeared in the workspace during the copy; it was not replaced.",
                409,
            )
        _remove(target)
    if not staging.exists():  # an empty folder: nothing was staged
        staging.mkdir()
    os.replace(staging, target)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
