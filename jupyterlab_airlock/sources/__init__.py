"""Artifact sources: where transferred files arrive, an S3-compatible bucket or a folder.

Both kinds share the :class:`Source` interface; :func:`source_from_config` is the one place
that maps a profile's ``source`` to one of them, so a new kind is a module plus one line in
``_KINDS``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..errors import AirlockError
from .base import Entry, Page, Source, clean_key
from .folder import FolderSource
from .s3 import S3Source

__all__ = [
    "Entry",
    "FolderSource",
    "Page",
    "S3Source",
    "Source",
    "clean_key",
    "source_from_config",
]

_KINDS: dict[str, Callable[[Mapping[str, Any]], Source]] = {
    S3Source.kind: S3Source.from_config,
    FolderSource.kind: FolderSource.from_config,
}


def source_from_config(config: Mapping[str, Any]) -> Source:
    """The source a profile's ``source`` describes.

    ``{"kind": "s3", "endpoint_url", "bucket", "prefix", "region", "aws_profile"}`` or
    ``{"kind": "folder", "path"}``, plus an optional ``ca_bundle`` (the profile's, which the
    caller adds) used to verify an https endpoint. Credentials never come from here: boto3's
    credential chain (or the named aws_profile) provides them.
    """
    kind = config.get("kind")
    factory = _KINDS.get(kind) if isinstance(kind, str) else None
    if factory is None:
        known = ", ".join(sorted(_KINDS))
        raise AirlockError(
            "invalid-source",
            f"the artifact source kind {kind!r} is not known: set the profile's source kind "
            f"to one of {known}",
            400,
        )
    return factory(config)
