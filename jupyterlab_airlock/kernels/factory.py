"""New kernels from the read bucket, as jobs: a bundle folder (of wheels, or of conda
packages) or an environment archive becomes an environment with its kernelspec
(``kernels.create``, ``kernels.conda_bundle`` and ``kernels.archive`` do the work), once
the policy has judged what vouches for its files and each of its packages, with the
advisories that affect it."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

from ..active_source import ActiveSource, ActiveTrust
from ..bundle_format.conda import CondaBundleInfo, read_any_bundle_json
from ..bundle_format.folder import BUNDLE_JSON, LOCK_FILE, BundleInfo, read_lock
from ..cache import ContentCache
from ..errors import AirlockError
from ..jobs import Job, JobContext, JobManager
from ..kinds import classify
from ..sources import Source, clean_key
from ..trust import manifests
from ..trust.gate import judge, unreadable_advisories
from ..trust.policy import Policy
from .archive import create_kernel_from_archive
from .conda_bundle import create_kernel_from_conda_bundle
from .create import KERNEL_NAME_RULE, NewKernel, create_kernel_from_bundle
from .fetch import fetch_bundle


class KernelFactory:
    """Creates kernels under ``kernels_dir``, their environments under ``envs_dir``."""

    def __init__(
        self,
        spec_manager: Any,
        cache: ContentCache,
        jobs: JobManager,
        policy: Policy,
        source: ActiveSource,
        trust: ActiveTrust,
        kernels_dir: Path,
        envs_dir: Path,
        conda_link_scripts: bool = False,
    ) -> None:
        self._trust = trust
        self._conda_link_scripts = conda_link_scripts
        self._specs = spec_manager
        self._cache = cache
        self._jobs = jobs
        self._source = source
        self._policy = policy
        self._kernels_dir = kernels_dir
        self._envs_dir = envs_dir

    def create(self, key: str, name: str, display_name: str, user: str | None) -> Job:
        """Start making kernel ``name`` from bundle folder or environment archive ``key`` of
        the active source."""
        self._policy.check_intact()
        source = self._source.get()
        key = clean_key(key)
        is_bundle = key.endswith("/")
        if not is_bundle and classify(key)["kind"] != "env-archive":
            raise AirlockError(
                "not-a-bundle",
                f"{key} is neither a bundle folder nor an environment archive.",
                400,
            )
        existing = frozenset(self._specs.find_kernel_specs())
        kernel = NewKernel(name, display_name, self._kernels_dir, self._envs_dir, existing)
        kernel.check()

        async def work(context: JobContext) -> dict[str, Any]:
            make = self._from_bundle if is_bundle else self._from_archive
            result = await make(source, key, kernel, context)
            context.audit(prefix=result["prefix"])
            return result

        return self._jobs.submit(
            "create-kernel",
            f"Create kernel {display_name}",
            f"kernel:{name}",
            work,
            user=user,
            audit={"source": source.describe(), "key": key, "kernel": name},
        )

    def remove(self, name: str, user: str | None) -> Job:
        """Start removing kernel ``name``, which Airlock made: its kernelspec first (the
        launcher stops offering it), then its environment; audited as the job is. A kernel
        Airlock did not make is refused (409): it is not Airlock's to remove."""
        spec_dir = self._kernels_dir / name
        named = re.fullmatch(KERNEL_NAME_RULE["pattern"], name)
        if not named or not _made_by_airlock(spec_dir / "kernel.json"):
            raise AirlockError(
                "not-an-airlock-kernel",
                f"{name!r} is not a kernel Airlock made here, so Airlock does not remove it "
                f"(its owner can, with: jupyter kernelspec remove {name}).",
                409,
            )
        prefix = self._envs_dir / name

        async def work(context: JobContext) -> dict[str, Any]:
            await asyncio.to_thread(shutil.rmtree, spec_dir)
            context.log(f"Removed the kernelspec {spec_dir}")
            await asyncio.to_thread(shutil.rmtree, prefix, True)
            context.log(f"Removed the environment {prefix}")
            return {"kernel": name, "prefix": str(prefix)}

        return self._jobs.submit(
            "remove-kernel",
            f"Remove kernel {name}",
            f"kernel:{name}",
            work,
            user=user,
            audit={"kernel": name, "prefix": str(prefix)},
        )

    async def _manifest(self, source: Source, folder: str) -> manifests.Manifest | None:
        """The manifests of ``folder``, whose word the kernel door judges files by."""
        manifest, problems = await manifests.read_folder(source, folder, self._trust.signers)
        if problems:
            raise AirlockError("invalid-manifest", problems[0], 422)
        return manifest

    async def _from_bundle(
        self, source: Source, key: str, kernel: NewKernel, context: JobContext
    ) -> dict[str, Any]:
        # Judged before anything is fetched: who vouches for each file of the folder.
        manifest = await self._manifest(source, key)
        for listed in sorted(manifest.files) if manifest else []:
            trust = manifests.trust(manifest, listed)
            judge(self._policy, "kernel", file=key + listed, trust=trust).enforce()
        advisories = await self._trust.advisories()
        refusal = unreadable_advisories(self._policy, advisories) if advisories else None
        if refusal:
            raise AirlockError("policy-refused", refusal, 403)
        scratch = self._cache.root / "bundles" / uuid.uuid4().hex
        try:
            local = await fetch_bundle(source, key, self._cache, scratch, context)
            info = read_any_bundle_json(
                (local / BUNDLE_JSON).read_text("utf-8", "replace"), key + BUNDLE_JSON
            )
            # Every package, conda and PyPI, judged before anything is made.
            packages: list[tuple[str, str]] = []
            if isinstance(info, CondaBundleInfo):
                packages += [(package.name, package.version) for package in info.packages]
            if isinstance(info, BundleInfo) or (local / LOCK_FILE).is_file():
                lock = read_lock((local / LOCK_FILE).read_text("utf-8"), key + LOCK_FILE)
                packages += [(entry.name, entry.version) for entry in lock]
            for package, version in packages:
                known = advisories.affecting(package, version) if advisories else []
                judge(
                    self._policy, "kernel", project=package, version=version, known=known
                ).enforce("The bundle holds ")
            if isinstance(info, CondaBundleInfo):
                return await create_kernel_from_conda_bundle(
                    local, kernel, context, cache_root=self._cache.root,
                    link_scripts=self._conda_link_scripts,
                )  # fmt: skip
            return await create_kernel_from_bundle(
                local, kernel, context, cache_root=self._cache.root
            )
        finally:
            await asyncio.to_thread(shutil.rmtree, scratch, True)

    async def _from_archive(
        self, source: Source, key: str, kernel: NewKernel, context: JobContext
    ) -> dict[str, Any]:
        folder, _, file_name = key.rpartition("/")
        manifest = await self._manifest(source, folder + "/" if folder else "")
        expected = manifest.files.get(file_name) if manifest else None
        trust = manifests.trust(manifest, file_name)
        judge(self._policy, "kernel", file=file_name, trust=trust).enforce()
        path, _ = await self._cache.fetch(source, await source.stat(key), expected)
        return await create_kernel_from_archive(path, kernel, context, archive_name=file_name)


def _made_by_airlock(kernel_json: Path) -> bool:
    """Whether the kernelspec says Airlock made it (``create.finish`` writes it)."""
    try:
        spec = json.loads(kernel_json.read_text("utf-8"))
    except (OSError, ValueError):
        return False
    metadata = spec.get("metadata") if isinstance(spec, dict) else None
    return isinstance(metadata, dict) and isinstance(metadata.get("airlock"), dict)
