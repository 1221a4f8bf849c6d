"""Where this server's package index answers, and the secret that is its credential.

pip and conda cannot send Jupyter's token or cookies, so the index takes a secret of this
server as the password of HTTP Basic auth instead: the URL they are given carries it in its
userinfo (``http://airlock:<secret>@host/.../airlock/index/``), which pip, uv and conda
redact when they print a URL, and which no server log holds (a secret in the path was
printed by pip's "Looking in indexes" and logged with every 404). Everything about that
address is here: the secret (kept across restarts), the path this server's pages link to,
the URL tools are given, the check of a request's credentials and the blanking of the
secret in what the browser sees.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# The user name of the index's Basic auth; only the password is checked.
USER = "airlock"


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
        """The index's root, ending in "/", as this server's own pages link to it (pip
        sends the credentials of the index's URL to every link on the same host)."""
        return f"{self.routes_path}index/"

    def url(self) -> str:
        """The index's root, ending in "/", as pip and conda are pointed at it: with the
        secret as the password of its userinfo."""
        scheme, _, host = self.origin().partition("://")
        return f"{scheme}://{USER}:{self.secret}@{host}{self.path}"

    def admits(self, authorization: str | None) -> bool:
        """Whether a request's ``Authorization`` header gives this server's secret as the
        Basic auth password (compared in constant time)."""
        kind, _, encoded = (authorization or "").partition(" ")
        if kind.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        password = decoded.partition(":")[2]
        return hmac.compare_digest(password.encode(), self.secret.encode())

    def hide(self, text: str) -> str:
        """``text`` with the secret blanked, for whatever goes to the browser."""
        return text.replace(self.secret, "***")


def without_credentials(url: str) -> str:
    """``url`` without its userinfo: as pip and uv report the URLs they used."""
    scheme, separator, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    return scheme + separator + host.rpartition("@")[2] + slash + path


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
