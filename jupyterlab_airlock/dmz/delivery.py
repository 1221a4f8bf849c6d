"""Back in the air gap: which DMZ requests a plan's files answer, by the request id that the
bundle.json of their folder carries (``jupyter airlock bundle --from-request`` writes it).

A plan reads one small file per folder its files come from, not per file: a plan of a
whole closure from the scanned folder costs one look.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, Protocol

from ..bundle_format.conda import CHANNEL_DIR, read_any_bundle_json
from ..bundle_format.folder import BUNDLE_JSON
from ..errors import AirlockError
from ..sources import Source
from ..trust.manifests import MANIFEST_LIMIT


class PlannedFile(Protocol):
    """What a plan's step says of its file (``installer.plan.PlanStep``)."""

    key: str | None
    name: str
    version: str


async def deliveries(steps: Iterable[PlannedFile], source: Source) -> list[dict[str, Any]]:
    """``{"request", "bundle", "packages"}`` for each bundle folder of ``source`` that the
    plan's ``steps`` come from and that was made for a DMZ request."""
    folders: dict[str, list[str]] = {}
    for step in steps:
        if step.key is not None:
            folders.setdefault(_bundle_folder(step.key), []).append(f"{step.name} {step.version}")
    answered = await asyncio.gather(*(request_of(source, folder) for folder in folders))
    return [
        {"request": request, "bundle": folder, "packages": packages}
        for (folder, packages), request in zip(folders.items(), answered, strict=True)
        if request is not None
    ]


def _bundle_folder(key: str) -> str:
    """The folder of the bundle that file ``key`` would belong to: its own, or for a
    conda bundle's package (``<bundle>/channel/<subdir>/<file>``) the bundle's."""
    parts = key.split("/")[:-1]
    if len(parts) >= 2 and parts[-2] == CHANNEL_DIR:
        parts = parts[:-2]
    return "".join(f"{part}/" for part in parts)


async def request_of(source: Source, folder: str) -> str | None:
    """The id of the DMZ request that bundle ``folder`` answers; None for any other folder
    (no bundle.json, one that cannot be read, a bundle made otherwise)."""
    try:
        entry = await source.stat(folder + BUNDLE_JSON)
        if entry.size > MANIFEST_LIMIT:
            return None
        text = await source.read_range(entry.key, 0, entry.size, entry.etag)
        info = read_any_bundle_json(text.decode("utf-8", "replace"), entry.key)
    except AirlockError:
        return None
    return info.request
