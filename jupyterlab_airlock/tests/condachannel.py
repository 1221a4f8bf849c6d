"""Conda channels for the tests, served over HTTP on 127.0.0.1 as a mirror serves one.

A conda channel is static files (``<subdir>/repodata.json`` beside the packages), so a
threaded ``http.server`` is a faithful mirror. It is bounded: each connection times out,
its threads are daemons, and stopping it waits a bounded time for them.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from . import condapackages

# A request that has not finished in this many seconds is dropped.
REQUEST_TIMEOUT = 10
STOP_TIMEOUT = 10


class _QuietHandler(SimpleHTTPRequestHandler):
    timeout = REQUEST_TIMEOUT

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are not logged: the tests read what the command line says."""


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` read-only on 127.0.0.1; yields its URL (ending in "/")."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="conda-channel", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(STOP_TIMEOUT)


Package = tuple[str, str, str, Sequence[str], str]  # subdir, name, version, depends, build


def make_channel(folder: Path, packages: Sequence[Package]) -> Path:
    """A channel of the tiny packages of ``condapackages`` in ``folder``: each package in
    its subdir's folder, every subdir (and noarch, always) with its ``repodata.json``."""
    subdirs = {"noarch"}
    for subdir, name, version, depends, build in packages:
        condapackages.build(
            folder / subdir, name, version, depends, build_string=build, subdir=subdir
        )
        subdirs.add(subdir)
    for subdir in sorted(subdirs):
        (folder / subdir).mkdir(parents=True, exist_ok=True)
        condapackages.write_repodata(folder / subdir)
    return folder
