"""The local conda channel a conda plan is solved against, made from the artifact source.

A bucket that holds a channel (``<subdir>/repodata.json`` beside the packages) gives its
repodata only: the plan then fetches just the packages the solution needs. So does a
source's static index, whose ``conda/<subdir>/repodata.json`` lists its loose packages.
Otherwise loose conda packages (no repodata.json, or files picked in the workspace) must be
read to be indexed, so they are fetched, verified against their folder's manifest, and
indexed with py-rattler.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

from ..cache import ContentCache
from ..conda.local_channel import index_packages
from ..conda.records import read_repodata
from ..errors import AirlockError
from ..package_index.index import IndexedFile, IndexSnapshot, PackageIndex
from ..trust.gate import judge
from ..trust.policy import Policy

_SUBDIRS = ("noarch", "linux-64", "linux-aarch64", "osx-64", "osx-arm64", "win-64")


async def build_channel(
    snapshot: IndexSnapshot, cache: ContentCache, channel_dir: Path, local_files: list[Path]
) -> dict[str, str]:
    """Write the channel into ``channel_dir``; answers file name -> source key for the
    packages still to be fetched (loose packages are in the channel already)."""
    if snapshot.channels and not local_files:
        return await _from_repodata(snapshot, cache, channel_dir)
    if snapshot.repodata and not local_files:
        return await _from_index(snapshot, cache, channel_dir)
    loose = list(local_files)
    for indexed in snapshot.conda:
        path, _ = await cache.fetch(snapshot.source, indexed.entry, indexed.expected)
        named = cache.root / "named" / indexed.entry.name
        await asyncio.to_thread(_link, path, named)
        loose.append(named)
    if not loose:
        raise AirlockError("no-conda-packages", "The artifact source holds no conda packages.", 404)
    await index_packages(loose, channel_dir)
    return {}


async def _from_repodata(
    snapshot: IndexSnapshot, cache: ContentCache, channel_dir: Path
) -> dict[str, str]:
    """The channels of the source, one repodata a subdir: a bundle that arrived beside the
    scanned channel (a DMZ delivery) adds its packages; one file name with two contents
    is refused."""
    keys: dict[str, str] = {}
    merged: dict[str, dict[str, Any]] = {}
    for folder, entry in sorted(snapshot.channels.items()):
        path, _ = await cache.fetch(snapshot.source, entry)
        text = await asyncio.to_thread(path.read_text, "utf-8")
        subdir = _subdir(folder, text)
        read_repodata(text, entry.key, subdir)  # every entry checked before it is used
        document = json.loads(text)
        into = merged.setdefault(subdir, document)
        for group in ("packages", "packages.conda"):
            listed = into.setdefault(group, {})
            for name, record in (document.get(group) or {}).items():
                known = listed.get(name)
                if known is not None and known.get("sha256") != record.get("sha256"):
                    raise AirlockError(
                        "conda-channels",
                        f"{name} is in two channels of the artifact source with different "
                        f"contents ({keys[name]} and {folder + name}): keep one.",
                        409,
                    )
                listed.setdefault(name, record)
                keys.setdefault(name, folder + name)
    for subdir, document in merged.items():
        target = channel_dir / subdir / "repodata.json"
        await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(target.write_text, json.dumps(document), "utf-8")
    return keys


async def _from_index(
    snapshot: IndexSnapshot, cache: ContentCache, channel_dir: Path
) -> dict[str, str]:
    """The static index's repodata of the loose packages, each checked against the index."""
    for subdir, (entry, expected) in sorted(snapshot.repodata.items()):
        path, _ = await cache.fetch(snapshot.source, entry, expected)
        target = channel_dir / subdir / "repodata.json"
        await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(shutil.copyfile, path, target)
    await asyncio.to_thread((channel_dir / "noarch").mkdir, parents=True, exist_ok=True)
    return {indexed.entry.name: indexed.entry.key for indexed in snapshot.conda}


def _subdir(folder: str, text: str) -> str:
    named = folder.rstrip("/").rpartition("/")[2]
    if named in _SUBDIRS:
        return named
    try:
        info = json.loads(text).get("info") or {}
    except (ValueError, AttributeError):
        info = {}
    subdir = info.get("subdir") if isinstance(info, dict) else None
    return subdir if isinstance(subdir, str) and subdir in _SUBDIRS else "noarch"


def _link(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    target.hardlink_to(source)


class CondaChannel:
    """The source's conda packages served as a channel (``index_handlers``): rebuilt when
    the package index takes a new walk of the source; packages fetched when asked for."""

    def __init__(self, index: PackageIndex, cache: ContentCache, policy: Policy) -> None:
        self._policy = policy
        self._index = index
        self._cache = cache
        self._built: tuple[IndexSnapshot, Path, dict[str, str]] | None = None
        self._lock = asyncio.Lock()

    async def _channel(self) -> tuple[IndexSnapshot, Path, dict[str, str]]:
        snapshot = await self._index.snapshot(conda=True)
        async with self._lock:
            if self._built is None or self._built[0] is not snapshot:
                folder = self._cache.root / "conda-channel"
                await asyncio.to_thread(shutil.rmtree, folder, True)
                keys: dict[str, str] = {}
                if snapshot.conda:
                    keys = await build_channel(snapshot, self._cache, folder, [])
                self._built = (snapshot, folder, keys)
            return self._built

    async def repodata(self, subdir: str) -> bytes:
        snapshot, folder, keys = await self._channel()
        path = folder / subdir / "repodata.json"
        if path.is_file():
            repodata = json.loads(await asyncio.to_thread(path.read_bytes))
            # The source's file behind each package name: loose packages by their name,
            # those a channel's repodata lists by the key the channel was built with.
            known = {indexed.entry.name: indexed for indexed in snapshot.conda}
            known.update(
                (name, snapshot.by_key[key]) for name, key in keys.items() if key in snapshot.by_key
            )
            for group in ("packages", "packages.conda"):
                packages = repodata.get(group) or {}
                repodata[group] = {
                    name: record
                    for name, record in packages.items()
                    if not self._refusal(name, record, snapshot, known.get(name))
                }
            return json.dumps(repodata).encode()
        # conda asks for its platform's subdir and noarch: an empty one is a valid answer.
        empty = {"info": {"subdir": subdir}, "packages": {}, "packages.conda": {}}
        return json.dumps(empty).encode()

    def _refusal(
        self,
        file: str,
        record: dict[str, object],
        snapshot: IndexSnapshot,
        indexed: IndexedFile | None,
    ) -> str | None:
        """The index's own verdict for a package of the source (its signature and
        advisories considered); for one only a channel's repodata lists, its record's."""
        if indexed is not None:
            return snapshot.refusal(self._policy, indexed, "channel")
        return judge(
            self._policy,
            "channel",
            project=str(record.get("name")),
            version=str(record.get("version")),
            file=file,
            verified=bool(record.get("sha256")),
        ).reason

    async def file(self, subdir: str, name: str) -> Path:
        snapshot, folder, keys = await self._channel()
        repodata = json.loads(await self.repodata(subdir))
        listed = {**repodata.get("packages", {}), **repodata.get("packages.conda", {})}
        if name not in listed:
            raise AirlockError(
                "not-in-index",
                f"{subdir}/{name} is not in the channel (or the policy keeps it out).",
                404,
            )
        path = folder / subdir / name
        if "/" not in name and path.is_file():
            return path
        key = keys.get(name)
        indexed = snapshot.by_key.get(key) if key else None
        if indexed is None:
            raise AirlockError("not-in-index", f"{subdir}/{name} is not in the channel.", 404)
        cached, _ = await self._cache.fetch(snapshot.source, indexed.entry, indexed.expected)
        return cached
