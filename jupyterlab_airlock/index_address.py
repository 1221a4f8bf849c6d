"""Where this server's package index answers, and the secret that is its credential.

pip and conda cannot send Jupyter's token or cookies, so the index's routes carry a secret
of this server in their path. Everything about that address is here: the secret (kept
across restarts), the path this server's pages link to, the URL pip and conda are given,
the check of a request's secret and the blanking of the secret in what the browser sees.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class IndexAddress:
    """The package index of one Jupyter server."""

    secret: str
    # Airlock's routes on this server, "<base_url>airlock/".
    routes_path: str
    # "scheme://host:port" as the server's own programs reach it; asked for each time, as
    # the port is only certain once the server listens.
    origin: Callable[[], str]

    @property
    def path(self) -> str:
        """The index's root, ending in "/", as this server's own pages link to it."""
        return f"{self.routes_path}index/{self.secret}/"

    def url(self) -> str:
        """The index's root, ending in "/", as pip and conda are pointed at it."""
        return self.origin() + self.path

    def admits(self, given: str) -> bool:
        """Whether a request's secret is this server's (compared in constant time)."""
        return hmac.compare_digest(given.encode(), self.secret.encode())

    def hide(self, text: str) -> str:
        """``text`` with the secret blanked, for whatever goes to the browser."""
        return text.replace(self.secret, "***")


def load_index_secret(path: Path) -> str:
    """This server's index secret, kept owner-only across restarts: the config files that
    point pip and conda at the index hold it."""
    try:
        secret = path.read_text("ascii").strip()
        if len(secret) == 64:
            return secret
    except (OSError, UnicodeDecodeError):
        pass
    secret = secrets.token_hex(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secret)
    return secret
