"""uv's resolutions remembered: a plan for the same inputs is the same plan.

What decides uv's answer is the request, the interpreter (its real file, version and tags:
every venv of one Python has the same markers), the packages already in the environment,
the policy (the index hides what it keeps out) and what the source holds: a walk by its
files (their keys, sizes, etags, manifests' word and the advisory data), an index read a
project at a time by that look at the source (a new one every TTL). A successful answer is
kept under all of those; a change of any one asks uv again, so a wheel that arrived in a
new walk, an install by hand, or a policy edit is seen by the next plan. A failed
resolution is never kept: the plan that missed something walks the source again.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Sequence

from ..package_index.index import IndexSnapshot
from ..trust.policy import Policy
from .plan import Plan

# Resolutions kept, the least recently used dropped first: each is uv's output (a few kB).
KEPT = 256

Key = tuple[object, ...]


class Resolutions:
    """uv's successful outputs, by everything that decided them."""

    def __init__(self) -> None:
        self._kept: OrderedDict[Key, tuple[IndexSnapshot | None, str]] = OrderedDict()
        self._digest: tuple[IndexSnapshot, str] | None = None  # of the last walk asked about

    def key(
        self,
        plan: Plan,
        wanted: Sequence[str],
        tags: Sequence[str],
        interpreter: object,
        policy: Policy,
        snapshot: IndexSnapshot,
        index_url: str,
    ) -> Key:
        return (
            tuple(wanted),
            interpreter,
            plan.environment["python_version"],
            plan.environment["kind"],
            tuple(tags),
            tuple(sorted(plan.packages_before.items())),
            json.dumps(policy.to_json(), sort_keys=True, default=str),
            self._source(snapshot),
            index_url,
        )

    def get(self, key: Key) -> str | None:
        kept = self._kept.get(key)
        if kept is None:
            return None
        self._kept.move_to_end(key)
        return kept[1]

    def keep(self, key: Key, snapshot: IndexSnapshot, output: str) -> None:
        # A snapshot named by its identity stays referenced while its answer is kept, so
        # that identity is never another snapshot's.
        self._kept[key] = (snapshot if snapshot.loader is not None else None, output)
        self._kept.move_to_end(key)
        while len(self._kept) > KEPT:
            self._kept.popitem(last=False)

    def _source(self, snapshot: IndexSnapshot) -> str:
        """What the source held for uv: a walk by its content (walks repeat every TTL,
        mostly unchanged), a project-at-a-time look by its identity."""
        if snapshot.loader is not None:
            return f"look {id(snapshot)}"
        if self._digest is None or self._digest[0] is not snapshot:
            digest = hashlib.sha256()
            for key in sorted(snapshot.by_key):
                digest.update(repr(snapshot.by_key[key]).encode())
            for folder in sorted(snapshot.manifests):
                digest.update(repr(snapshot.manifests[folder]).encode())
            for problem in snapshot.problems:
                digest.update(problem.encode())
            if snapshot.advisories is not None:
                advisories = snapshot.advisories.describe()
                digest.update(json.dumps(advisories, sort_keys=True, default=str).encode())
            self._digest = (snapshot, f"walk {digest.hexdigest()}")
        return self._digest[1]
