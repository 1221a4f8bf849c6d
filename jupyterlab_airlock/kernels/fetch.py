"""A bundle folder of the artifact source, brought to this machine whole and verified."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from pathlib import Path

from ..cache import ContentCache
from ..errors import AirlockError
from ..jobs import JobContext
from ..sources import Entry, Source
from ..trust import manifests


async def fetch_bundle(
    source: Source, folder: str, cache: ContentCache, dest: Path, context: JobContext
) -> Path:
    """Copy the bundle folder ``folder`` (a key ending in '/') of an artifact source into the
    new folder ``dest``: every file its manifests list, each verified as it arrives (through
    the content cache, so a file fetched before is not fetched again), and the manifests.
    On any failure ``dest`` is removed again."""
    manifest, problems = await manifests.read_folder(source, folder)
    if problems:
        raise AirlockError("invalid-manifest", problems[0], 422)
    if manifest is None:
        raise AirlockError(
            "no-manifest",
            f"{folder} has no {manifests.MANIFEST_JSON} or {manifests.SHA256SUMS}: it is not a "
            "bundle, and its files cannot be verified.",
            422,
        )
    files: list[tuple[Entry, manifests.ManifestEntry | None]] = []
    for name, listed in sorted(manifest.files.items()):
        files.append((await source.stat(folder + name), listed))
    for name in (manifests.SHA256SUMS, manifests.MANIFEST_JSON):
        with contextlib.suppress(AirlockError):  # the folder may have only one of them
            files.append((await source.stat(folder + name), None))
    await asyncio.to_thread(dest.mkdir, parents=True)
    try:
        for number, (entry, expected) in enumerate(files, start=1):
            cached, _ = await cache.fetch(source, entry, expected)
            target = dest / entry.key[len(folder) :]
            await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
            await asyncio.to_thread(shutil.copyfile, cached, target)
            context.progress(number / len(files))
    except BaseException:
        await asyncio.shield(asyncio.to_thread(shutil.rmtree, dest, True))
        raise
    context.log(f"Fetched {len(files)} file(s) of {folder} from {source.describe()}, verified")
    return dest
