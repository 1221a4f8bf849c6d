"""Where a profile lands: each tool's user configuration file (``ConfigPaths``) and the
environment variables a profile sets in the server process, which kernels inherit."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from jupyter_core.paths import jupyter_config_dir, jupyter_data_dir

from .validation import Profile

# The variables that name a CA bundle, each read by other tools: OpenSSL's default (Python's
# ssl, uv, curl), requests (conda, scripts), Node.js (npm) and the AWS SDKs (S3).
CA_VARIABLES = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "AWS_CA_BUNDLE")

# Environment variables Airlock sets in the server process (kernels inherit them). Both cases:
# curl and many libraries read only the lower-case proxy variables, others only upper case.
MANAGED_ENVIRONMENT = (
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "NO_PROXY",
    "no_proxy",
    *CA_VARIABLES,
)

TOOLS = ("pip", "conda", "npm", "uv", "jupyter")


@dataclass
class ConfigPaths:
    """Where each tool's user configuration lives, and where Airlock keeps its state.

    ``uv`` and ``jupyter`` None: those files are left alone.
    """

    pip: Path
    conda: Path
    npm: Path
    state_dir: Path
    uv: Path | None = None
    jupyter: Path | None = None

    @classmethod
    def for_user(cls) -> ConfigPaths:
        """The files the tools read for the user running the server (Linux layout).

        uv's is its user file, which a UV_CONFIG_FILE of the user's replaces (see
        ``uv_overridden``); the Jupyter server's is read by servers started afterwards.
        """
        home = Path.home()
        config_home = os.environ.get("XDG_CONFIG_HOME") or str(home / ".config")
        return cls(
            pip=Path(config_home) / "pip" / "pip.conf",
            conda=home / ".condarc",
            npm=home / ".npmrc",
            state_dir=Path(jupyter_data_dir()) / "airlock",
            uv=Path(config_home) / "uv" / "uv.toml",
            jupyter=Path(jupyter_config_dir()) / "jupyter_server_config.json",
        )

    def of(self, tool: str) -> Path | None:
        path: Path | None = getattr(self, tool)
        return path


def environment_settings(profile: Profile) -> dict[str, str]:
    """The environment variables a profile sets in the server process."""
    proxy = profile.get("proxy", {})
    settings: dict[str, str] = {}
    for scheme in ("http", "https"):
        if proxy.get(scheme):
            settings[f"{scheme.upper()}_PROXY"] = settings[f"{scheme}_proxy"] = proxy[scheme]
    if proxy.get("no_proxy"):
        settings["NO_PROXY"] = settings["no_proxy"] = ",".join(proxy["no_proxy"])
    if profile.get("ca_bundle"):
        settings |= dict.fromkeys(CA_VARIABLES, str(profile["ca_bundle"]))
    return settings
