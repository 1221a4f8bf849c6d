"""The active profile's artifact source: the one place every door (the catalog, the index,
the conda channel, kernel creation) gets its source from."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import AirlockError
from ..policy import Policy
from . import source_from_config
from .base import Source


class ActiveSource:
    """Follows the active profile; a source is built once per distinct configuration, so its
    client and connections are reused across requests."""

    def __init__(
        self, active_profile: Callable[[], Mapping[str, Any] | None], policy: Policy
    ) -> None:
        self._active_profile = active_profile
        self._policy = policy
        self._built: dict[str, Source] = {}

    def config(self) -> dict[str, Any] | None:
        """The active profile's ``source``, with the profile's CA bundle, or None."""
        active = self._active_profile()
        if not active or not active.get("source"):
            return None
        # The profile's one CA bundle also serves the S3 client.
        ca_bundle = active.get("ca_bundle")
        return {**active["source"], **({"ca_bundle": ca_bundle} if ca_bundle else {})}

    def get(self) -> Source:
        """The source to read from now; refused when there is none or the policy forbids it."""
        config = self.config()
        if not config:
            raise AirlockError(
                "no-source",
                "The active mirror profile names no artifact source: switch to a profile "
                "with one in the Mirror section.",
                409,
            )
        self._policy.source(config)
        key = json.dumps(config, sort_keys=True)
        if key not in self._built:
            self._built[key] = source_from_config(config)
        return self._built[key]
