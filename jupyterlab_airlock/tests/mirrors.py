"""Real parts for the tool tests: pypiserver over HTTPS behind a CA made by trustme, and
proxy.py on 127.0.0.1 that alone resolves the mirror's name (as a site's egress proxy
does), refusing tunnels to one blocked name.

Run as ``python -m jupyterlab_airlock.tests.mirrors CERT KEY PORT FOLDER`` it serves the
wheels in FOLDER over HTTPS; the proxy loads ``LoopbackNames`` as a plugin.
"""

from __future__ import annotations

import os
import socket
import ssl
import sys
import time
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from demo.services import HOST, Service, free_port, spawn

# Names only the proxy resolves (to 127.0.0.1): without the proxy they do not resolve.
MIRROR_HOST = "mirror.airlock.test"
BLOCKED_HOST = "blocked.airlock.test"
ROOT = Path(__file__).resolve().parents[2]


def _wait_for_port(service: Service, port: int, timeout: float = 30.0) -> Service:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            break
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return service
        except OSError:
            time.sleep(0.1)  # bounded readiness polling
    service.stop()
    raise RuntimeError(f"{service.name} did not start on port {port}")


def _start(name: str, argv: list[str], url: str, port: int, log: Path) -> Service:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return _wait_for_port(Service(name, url, spawn(argv, env=env, log=log), log), port)


def start_tls_pypiserver(folder: Path, cert: Path, key: Path, log: Path) -> Service:
    """pypiserver over HTTPS with ``cert``; its URL names ``MIRROR_HOST``."""
    port = free_port()
    argv = [sys.executable, "-m", "jupyterlab_airlock.tests.mirrors"]
    argv += [str(cert), str(key), str(port), str(folder)]
    return _start("HTTPS pypiserver", argv, f"https://{MIRROR_HOST}:{port}/simple/", port, log)


def start_proxy(log: Path) -> Service:
    """proxy.py resolving ``*.airlock.test`` to 127.0.0.1, refusing ``BLOCKED_HOST``."""
    port = free_port()
    argv = [sys.executable, "-m", "proxy", "--hostname", HOST, "--port", str(port)]
    argv += ["--num-acceptors", "1", "--num-workers", "1", "--log-level", "INFO"]
    argv += ["--plugins", "jupyterlab_airlock.tests.mirrors.LoopbackNames"]
    argv += ["--plugins", "proxy.plugin.FilterByUpstreamHostPlugin"]
    argv += ["--filtered-upstream-hosts", BLOCKED_HOST]
    return _start("proxy.py", argv, f"http://{HOST}:{port}", port, log)


try:
    from proxy.http.proxy import HttpProxyBasePlugin
except ImportError:  # pragma: no cover - only the proxy's process needs the plugin
    HttpProxyBasePlugin = object


class LoopbackNames(HttpProxyBasePlugin):  # type: ignore[misc,valid-type]
    """The site's DNS, as only the proxy sees it."""

    def resolve_dns(self, host: str, port: int) -> tuple[str | None, Any]:
        return ("127.0.0.1" if host.endswith(".airlock.test") else None), None


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def main(cert: str, key: str, port: str, folder: str) -> None:
    import pypiserver

    app = pypiserver.app(
        roots=[Path(folder)], authenticate=[], password_file=".", disable_fallback=True
    )
    server = make_server(
        HOST, int(port), app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:])
