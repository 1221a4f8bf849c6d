"""Rolling back a finished install: what it added is removed and what it replaced is
put back, offline, from the files earlier installs brought into the content cache.

A roll back needs those files up front: it is refused, naming them, when any is missing.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from ..cache import ContentCache
from ..errors import AirlockError
from ..jobs import Job, JobContext, JobManager
from ..offline import INTERRUPT_GRACE, install_offline, linked, uninstall
from ..pip import pins
from ..processes import Completed
from ..uv import uv_errors


class Rollbacks:
    """Roll backs of the installs of one Jupyter server, each as a job."""

    def __init__(self, cache: ContentCache, jobs: JobManager, hide: Callable[[str], str]) -> None:
        self._cache = cache
        self._jobs = jobs
        self._hide = hide

    async def start(self, job_id: str, user: str | None = None) -> Job:
        """Undo succeeded install ``job_id``: remove what it added, put back what it
        replaced, offline. Refused (409) up front, naming the files, if any is missing."""
        job = self._jobs.get(job_id)
        # An install a restart interrupted can be rolled back once it is reconciled.
        ended = job.state in ("succeeded", "interrupted")
        if job.kind != "install" or not ended or not job.result:
            raise AirlockError(
                "cannot-roll-back",
                f"'{job.title}' is not a finished install; nothing to undo.",
                409,
            )
        result = job.result
        if not result.get("can_roll_back"):
            raise AirlockError(
                "cannot-roll-back", f"'{job.title}' has been rolled back already.", 409
            )
        python, prefix = str(result["python"]), str(result["prefix"])
        remove = [c["name"] for c in result["changes"] if c["previous"] is None]
        restore = [c for c in result["changes"] if c["previous"] is not None]
        staged: list[tuple[str, str, str, str]] = []  # name, version, sha256, file name
        lacking = []
        for change in restore:
            found = self._earlier_file(change["name"], change["previous"])
            if found is None:
                lacking.append(f"{change['name']} {change['previous']}")
            else:
                staged.append((change["name"], change["previous"], *found))
        if lacking:
            raise AirlockError(
                "rollback-needs-files",
                "Roll back needs the files of "
                + ", ".join(lacking)
                + ", which no earlier install brought into the cache. Put them in the read "
                "bucket and install those versions instead.",
                409,
            )

        async def work(context: JobContext) -> dict[str, Any]:
            def log(line: str) -> None:
                context.log(self._hide(line))

            if remove:
                context.log(f"Removing {', '.join(remove)}")
                self._check(
                    await uninstall(python, remove, log=log, interrupt_grace=INTERRUPT_GRACE)
                )
            if staged:
                with tempfile.TemporaryDirectory(
                    prefix=".rollback-", dir=self._cache.root
                ) as scratch:
                    links = self._cache.root / "links"
                    folders = [
                        (await linked(self._cache.path(sha256), sha256, name, links)).parent
                        for _, _, sha256, name in staged
                    ]
                    requirements = Path(scratch) / "restore.txt"
                    requirements.write_text(pins([(n, v, sha) for n, v, sha, _ in staged]))
                    context.log("Restoring " + ", ".join(f"{n} {v}" for n, v, _, _ in staged))
                    completed = await install_offline(
                        python,
                        folders,
                        requirements,
                        log=log,
                        cache_dir=self._cache.root / "uv",
                        options=["--no-deps"],
                        interrupt_grace=INTERRUPT_GRACE,
                    )
                    self._check(completed)
            # The install's own state stays 'succeeded' (it did): this says it was undone.
            self._jobs.annotate(job_id, can_roll_back=False, rolled_back=True)
            return {"kernel": result["kernel"], "prefix": prefix, "kernels": result["kernels"]}

        return self._jobs.submit(
            "rollback",
            f"Roll back: {job.title}",
            f"env:{prefix}",
            work,
            user=user,
            audit={"job": job_id, "prefix": prefix},
        )

    def _earlier_file(self, name: str, version: str) -> tuple[str, str] | None:
        """The sha256 and file name of ``name`` ``version`` cached by an earlier install."""
        for earlier in self._jobs.list():
            for file in (earlier.result or {}).get("files", []):
                same = canonicalize_name(file["name"]) == canonicalize_name(name)
                if same and file["version"] == version and self._cache.has(file["sha256"]):
                    return file["sha256"], file["file"]
        return None

    def _check(self, completed: Completed) -> None:
        if completed.returncode != 0:
            raise AirlockError(
                "rollback-failed", f"uv failed: {self._hide(uv_errors(completed.stderr))}", 500
            )
