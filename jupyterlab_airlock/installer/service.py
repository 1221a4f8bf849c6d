"""Plans, installs and roll-backs for kernels' environments, as the routes call them.

A plan is kept on the server for an hour under its id (``planning``); the install job
carries out exactly that plan (``install``): the planned files are fetched into the
content-addressed cache and verified, then ``uv pip install --offline --no-index
--require-hashes`` installs them from a folder holding only those files, so uv cannot reach
any index, nor install anything the plan did not name. A finished install can be rolled
back (``rollback``); one a server stop cut short is looked at after the restart
(``reconcile``). One job at a time per environment (the job queue is the environment's
prefix).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..audit import AuditLog
from ..cache import ContentCache
from ..index_address import IndexAddress
from ..jobs import Job, JobManager
from ..package_index.index import PackageIndex
from ..trust.policy import Policy
from .install import Installs
from .plan import Plan
from .planning import Planner
from .reconcile import reconcile
from .rollback import Rollbacks


class Installer:
    """Offline installs for the kernels of one Jupyter server."""

    def __init__(
        self,
        spec_manager: Any,
        index: PackageIndex,
        index_address: IndexAddress,
        cache: ContentCache,
        jobs: JobManager,
        audit: AuditLog,
        root_dir: Path,
        policy: Policy,
    ) -> None:
        # Output goes to the browser and the logs with the index's secret blanked.
        hide = index_address.hide
        self._jobs = jobs
        self._planner = Planner(
            spec_manager, index, index_address.url, cache, audit, root_dir, policy, hide
        )
        self._installs = Installs(spec_manager, index, cache, jobs, hide)
        self._rollbacks = Rollbacks(cache, jobs, hide)
        self._reconciling: asyncio.Task[None] | None = None

    def start_reconciling(self) -> None:
        """Once the server runs: settle the installs its last stop interrupted, in the
        background (an orphaned uv may still be finishing one)."""
        self._reconciling = asyncio.create_task(self.reconcile())

    async def stop_reconciling(self) -> None:
        """The server stops: stop settling (an install not settled yet is settled at the
        next start)."""
        if self._reconciling is not None:
            self._reconciling.cancel()
            await asyncio.gather(self._reconciling, return_exceptions=True)

    async def reconcile(self) -> None:
        """Settle the installs a server stop interrupted: what landed, and roll back."""
        await reconcile(self._jobs, self._installs.kernels_of)

    async def plan(
        self,
        kernel: str,
        requirements: Sequence[str] = (),
        keys: Sequence[str] = (),
        paths: Sequence[str] = (),
        user: str | None = None,
    ) -> Plan:
        """Resolve the request for ``kernel`` offline; nothing in the environment changes."""
        return await self._planner.plan(kernel, requirements, keys, paths, user)

    def kept_plan(self, plan_id: str) -> Plan:
        """Plan ``plan_id``, to read (a DMZ request is written from it); it stays kept."""
        return self._planner.kept(plan_id)

    def install(self, plan_id: str, user: str | None = None) -> Job:
        """Start carrying out plan ``plan_id`` as a job in its environment's queue."""
        return self._installs.start(self._planner.take(plan_id), user)

    async def rollback(self, job_id: str, user: str | None = None) -> Job:
        """Undo succeeded install ``job_id``: remove what it added, put back what it
        replaced, offline. Refused (409) up front, naming the files, if any is missing."""
        return await self._rollbacks.start(job_id, user)
