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


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    # Imported only by a Jupyter server: the bundle command runs without one.
    from .extension import AirlockApp

    return [{"module": "jupyterlab_airlock", "app": AirlockApp}]
