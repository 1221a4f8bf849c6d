"""Airlock: mirror profiles, read-bucket browsing and offline installs for JupyterLab."""

from __future__ import annotations

from typing import Any

try:
    from ._version import __version__
except ImportError:  # pragma: no cover - only outside a proper (editable) install
    import warnings

    warnings.warn("Importing 'jupyterlab_airlock' outside a proper installation.", stacklevel=1)
    __version__ = "dev"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyterlab-airlock"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "jupyterlab_airlock"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    """Register Airlock's routes under ``<base_url>/airlock/``."""
    from . import extension
    from .config import Airlock

    config = Airlock(parent=server_app)
    extension.load(server_app, config)
    server_app.log.info(
        "Airlock %s: routes registered under %sairlock/", __version__, server_app.base_url
    )


async def _start_jupyter_server_extension(server_app: Any) -> None:
    """Once the server runs: settle the installs its last stop interrupted."""
    server_app.web_app.settings["airlock"].installer.start_reconciling()
