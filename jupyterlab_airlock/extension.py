"""The server extension's wiring: build Airlock's cores for this Jupyter server, in the
order they depend on each other, register the routes under ``<base_url>airlock/``, and
stop their background work when the server stops."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_data_dir
from jupyter_server.extension.application import ExtensionApp
from jupyter_server.utils import url_path_join

from ._version import __version__
from .active_source import ActiveSource, ActiveTrust
from .audit import AuditLog, audit_events
from .cache import ContentCache
from .catalog import ArtifactCatalog
from .config import Airlock
from .copies import WorkspaceCopier
from .environments.interpreter import kernel_python
from .handlers import ROUTES
from .index_address import IndexAddress, load_index_secret
from .index_handlers import INDEX_ROUTES
from .installer.conda_channel import CondaChannel
from .installer.service import Installer
from .jobs import JobManager
from .kernels.factory import KernelFactory
from .package_index.index import PackageIndex
from .previews import DatasetPreviews
from .profiles.manager import ProfileManager
from .profiles.paths import ConfigPaths
from .request_bodies import RequestBodies
from .request_handlers import REQUEST_ROUTES
from .state import NAMESPACE, AirlockState
from .trust.policy import load_policy


class AirlockApp(ExtensionApp):
    """Airlock in a Jupyter server's life: its cores and routes at load, the installs a
    previous stop interrupted settled once the server runs, and at the server's stop its
    jobs (recorded as interrupted), read-aheads and that settling stopped."""

    name = "jupyterlab_airlock"
    load_other_extensions = True

    def initialize_settings(self) -> None:
        server_app = self.serverapp
        assert server_app is not None  # linked to its server before this is called
        self._stop = load(server_app, Airlock(parent=server_app))
        server_app.log.info(
            "Airlock %s: routes registered under %sairlock/", __version__, server_app.base_url
        )

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        serverapp.web_app.settings["airlock"].installer.start_reconciling()

    async def stop_extension(self) -> None:
        await self._stop()


async def stop(state: AirlockState, source: ActiveSource) -> None:
    """Stop what runs in the background: settling interrupted installs first (it writes
    job records), then the jobs (their programs killed, their records saying the server
    stopped), then the package index's and the source's read-aheads."""
    await state.installer.stop_reconciling()
    await state.jobs.stop()
    await state.index.close()
    await source.close()


def load(server_app: Any, config: Airlock) -> Callable[[], Awaitable[None]]:
    """Build the cores into ``settings["airlock"]`` and register every route; return
    what stops their background work."""
    web_app = server_app.web_app
    base_url = web_app.settings["base_url"]
    paths = ConfigPaths.for_user()
    state_dir = paths.state_dir
    index_address = IndexAddress(
        load_index_secret(state_dir / "index-secret"),
        url_path_join(base_url, NAMESPACE) + "/",
        lambda: _server_origin(server_app),
    )
    audit = AuditLog(
        Path(config.audit_log) if config.audit_log else state_dir / "audit.jsonl",
        config.audit_max_bytes,
        config.audit_backups,
        emit=audit_events(server_app.event_logger),
        log=config.log,
    )
    jobs = JobManager(
        state_dir / "jobs",
        config.log,
        audit,
        max_age_days=config.job_max_age_days,
        max_count=config.job_max_count,
    )
    profiles = ProfileManager(config, paths, index_address, audit)
    for problem in [*profiles.managed.problems, *profiles.start()]:
        config.log.warning("Airlock configuration: %s", problem)
    policy = load_policy(config.policy, config.policy_file)
    if policy.broken:
        config.log.error("Airlock policy: %s Installs and copies are refused.", policy.broken)
    source = ActiveSource(profiles.applier.active, policy)
    spec_manager = web_app.settings["kernel_spec_manager"]
    root_dir = Path(web_app.settings["server_root_dir"])
    cache = ContentCache(state_dir / "cache")
    trust = ActiveTrust(profiles.applier.active, source, cache, config.trusted_signers)
    copier = WorkspaceCopier(source, jobs, root_dir, policy, trust.signers)
    index = PackageIndex(source.get, cache, trust)
    state = web_app.settings["airlock"] = AirlockState(
        config=config,
        profiles=profiles,
        jobs=jobs,
        catalog=ArtifactCatalog(
            source, copier, lambda name: kernel_python(spec_manager, name), policy, trust
        ),
        previews=DatasetPreviews(source),
        copier=copier,
        index=index,
        index_address=index_address,
        conda_channel=CondaChannel(index, cache, policy),
        policy=policy,
        audit=audit,
        kernel_factory=KernelFactory(
            spec_manager,
            cache,
            jobs,
            policy,
            source,
            trust,
            Path(jupyter_data_dir()) / "kernels",
            state_dir / "envs",
            conda_link_scripts=config.conda_link_scripts,
        ),
        installer=Installer(
            spec_manager,
            index,
            index_address,
            cache,
            jobs,
            audit,
            root_dir,
            policy,
        ),
        cache=cache,
        trust=trust,
    )
    # Request bodies are checked against openapi.yaml, read once here.
    bodies = RequestBodies.load()
    routes: list[tuple[str, Any, dict[str, Any]]] = [
        *((path, handler, {"bodies": bodies.of(path)}) for path, handler in ROUTES),
        *((path, handler, {}) for path, handler in INDEX_ROUTES),
        *((path, handler, {"bodies": bodies.of(path)}) for path, handler in REQUEST_ROUTES),
    ]
    web_app.add_handlers(
        ".*$",
        [(url_path_join(base_url, NAMESPACE, path), *rest) for path, *rest in routes],
    )
    return functools.partial(stop, state, source)


def _server_origin(server_app: Any) -> str:
    """This server as its own programs (pip) reach it: over loopback when it listens on
    every address."""
    host = server_app.ip
    if host in ("", "0.0.0.0", "*", "::", "localhost"):  # noqa: S104 - a client address
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    scheme = "https" if server_app.certfile else "http"
    return f"{scheme}://{host}:{server_app.port}"
