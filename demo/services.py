"""Start and stop the demo's local servers as child processes, on 127.0.0.1 only."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
READY_TIMEOUT = 30.0
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

# Readiness checks talk to loopback only; a proxy from the environment must not get them.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port(preferred: int | None = None) -> int:
    """Return ``preferred`` if it can be bound on 127.0.0.1, else a port the OS picks."""
    if preferred is not None:
        with socket.socket() as sock:
            # Servers set SO_REUSEADDR, so a port left in TIME_WAIT by the previous run is
            # still usable; on Linux this bind still fails if anyone is listening on it.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((HOST, preferred))
            except OSError:
                pass
            else:
                return preferred
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child get SIGTERM when the launcher dies.

    A new session shields children from the terminal's Ctrl-C, but then nothing stops them
    if the launcher is SIGKILLed (Playwright ends its webServer that way): the kernel's
    parent-death signal does.
    """
    if not sys.platform.startswith("linux"):
        return None
    parent = os.getpid()
    # Loaded here, in the parent: between fork and exec (where preexec runs, possibly in a
    # threaded process such as a test session) only plain system calls are safe.
    libc = ctypes.CDLL(None, use_errno=True)

    def preexec() -> None:
        if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        # The launcher may have died before prctl took effect: nobody would signal us then.
        if os.getppid() != parent:
            os._exit(1)

    return preexec


def spawn(
    cmd: Sequence[str],
    *,
    log: Path | None = None,
    env: Mapping[str, str] | None = None,
    inherit_output: bool = False,
) -> subprocess.Popen[bytes]:
    """Start ``cmd`` in its own session, dying with the launcher.

    Output goes to ``log`` (truncated) if given, else to the launcher's own stdout/stderr
    when ``inherit_output``, else nowhere.
    """
    out: int | None = None if inherit_output else subprocess.DEVNULL
    with contextlib.ExitStack() as stack:
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
            out = stack.enter_context(log.open("wb")).fileno()
        return subprocess.Popen(
            list(cmd),
            stdin=subprocess.DEVNULL,  # without a controlling terminal, reading it would fail
            stdout=out,
            stderr=subprocess.STDOUT if log is not None else out,
            env=None if env is None else dict(env),
            start_new_session=True,
            preexec_fn=_die_with_parent(),
        )


@dataclass
class Service:
    """A server running as a child process (leader of its own process group)."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path | None = None

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM the child's process group, wait, then SIGKILL it. Safe to call again."""
        # Once the leader is reaped its pid (the group id) may be reused: only signal before.
        # This is also what makes a second call a no-op.
        if self.process.poll() is not None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                continue
            return


def _log_tail(log: Path | None, lines: int = 20) -> str:
    if log is None:
        return "(no log file)"
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return f"(log {log} unreadable)"
    return f"last lines of {log}:\n" + "\n".join(text.splitlines()[-lines:])


def wait_ready(service: Service, timeout: float = READY_TIMEOUT) -> None:
    """Poll ``service.url`` until it answers any HTTP status.

    If the process exits or ``timeout`` passes first, stop it and raise RuntimeError.
    """
    deadline = time.monotonic() + timeout
    while True:
        code = service.process.poll()
        if code is not None:
            problem = f"exited with code {code}"
            break
        try:
            with _opener.open(service.url, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # any status means the server is up
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() >= deadline:
            problem = f"did not answer within {timeout:g} s"
            break
        time.sleep(0.1)  # bounded readiness polling
    service.stop()
    raise RuntimeError(f"{service.name} on {service.url} {problem}; {_log_tail(service.log)}")


def start_service(
    name: str,
    cmd: Sequence[str],
    url: str,
    *,
    log: Path | None = None,
    env: Mapping[str, str] | None = None,
    inherit_output: bool = False,
    timeout: float = READY_TIMEOUT,
) -> Service:
    """Spawn ``cmd`` and return once ``url`` answers; the child is stopped on any failure."""
    service = Service(name, url, spawn(cmd, log=log, env=env, inherit_output=inherit_output), log)
    try:
        wait_ready(service, timeout)
    except BaseException:  # also Ctrl-C while waiting: never leave the child behind
        service.stop()
        raise
    return service


def start_moto(port: int | None = None, log: Path | None = None) -> Service:
    """Start moto's standalone S3 (and other AWS) server."""
    port = free_port(port)
    cmd = [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)]
    return start_service("moto S3 server", cmd, f"http://{HOST}:{port}", log=log)


def start_pypiserver(folder: Path, port: int | None = None, log: Path | None = None) -> Service:
    """Start pypiserver serving the wheels in ``folder``, without authentication."""
    port = free_port(port)
    cmd = [
        sys.executable, "-m", "pypiserver", "run",
        "-i", HOST, "-p", str(port),
        "-a", ".", "-P", ".",  # no authentication for any action
        "--disable-fallback",  # air gap: never redirect unknown packages to pypi.org
        str(folder),
    ]  # fmt: skip
    return start_service("pypiserver", cmd, f"http://{HOST}:{port}/simple/", log=log)


@contextlib.contextmanager
def running(*services: Service) -> Iterator[tuple[Service, ...]]:
    """Yield ``services`` and stop them all (last started first) on exit."""
    try:
        yield services
    finally:
        for service in reversed(services):
            service.stop()
