"""An outage of the demo's S3 server on demand, for the UI tests of what the panel does when
the read bucket goes away and comes back.

While the demo runs, SIGUSR1 stops its S3 server (connections to its port are refused) and
SIGUSR2 starts it again on the same port with the same bucket; the demo's process id is in
``<state dir>/demo.pid``. Nothing else changes: the other servers and JupyterLab go on.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from urllib.parse import urlsplit

from demo.content import DEMO_AWS_ENV, DemoEnvironment, seed_bucket
from demo.services import Service, start_moto

PID_FILE = "demo.pid"


class S3Switch:
    """Stops and restarts the demo's S3 server; one change at a time."""

    def __init__(self, env: DemoEnvironment) -> None:
        self._env = env
        self._moto: Service = env.services[0]
        self._lock = threading.Lock()

    def stop(self) -> None:
        with self._lock:
            self._moto.stop()

    def start(self) -> None:
        """Start it again, unless it runs, and put the demo's files back in its bucket (the
        server keeps them in memory only)."""
        with self._lock:
            if self._moto.process.poll() is None:
                return
            port = urlsplit(self._env.s3_url).port
            self._moto = start_moto(port, self._env.state_dir / "logs" / "moto.log")
            seed_bucket(
                self._moto.url,
                self._env.bucket,
                self._env.folders,
                aws_access_key_id=DEMO_AWS_ENV["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=DEMO_AWS_ENV["AWS_SECRET_ACCESS_KEY"],
                signer=self._env.signer,
            )

    def close(self) -> None:
        """Stop the server this switch started, if any (the demo stops the first one)."""
        with self._lock:
            if self._moto is not self._env.services[0]:
                self._moto.stop()


@contextlib.contextmanager
def outage_on_signals(env: DemoEnvironment) -> Iterator[S3Switch]:
    """SIGUSR1 stops the S3 server, SIGUSR2 starts it again, while inside.

    The work, seconds long, is done by one thread that lives as long as the demo: a signal
    handler only hands it over. (A server started by a short-lived thread would die with
    it: the demo's children get SIGTERM when the thread that started them ends.)
    """
    switch = S3Switch(env)
    work: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()

    def worker() -> None:
        while (action := work.get()) is not None:
            action()

    thread = threading.Thread(target=worker, name="demo-outage")
    thread.start()

    def hand_over(action: Callable[[], None]) -> Callable[[int, FrameType | None], None]:
        return lambda signum, frame: work.put(action)

    pid_file = env.state_dir / PID_FILE
    pid_file.write_text(f"{os.getpid()}\n")
    previous = {
        signum: signal.signal(signum, hand_over(action))
        for signum, action in ((signal.SIGUSR1, switch.stop), (signal.SIGUSR2, switch.start))
    }
    try:
        yield switch
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        work.put(None)
        thread.join()
        switch.close()
        pid_file.unlink(missing_ok=True)
