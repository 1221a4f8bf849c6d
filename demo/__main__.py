"""``python -m demo``: JupyterLab with the demo mirror and bucket (what ``make demo`` runs).

Usage: python -m demo [--port 8888] [--no-browser] [--fresh-home] [--state-dir .demo]
                      [-- jupyter lab args]

SIGUSR1 stops the demo's S3 server and SIGUSR2 starts it again (demo/outage.py): the UI
tests' outage.

The demo's server config goes after any directory already in JUPYTER_CONFIG_PATH, so a
caller's own config (the UI tests' Galata settings) takes precedence over it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from demo.content import DEMO_AWS_ENV, demo_environment, write_server_config
from demo.kernel import make_demo_kernel
from demo.outage import outage_on_signals
from demo.services import HOST, Service, free_port, running, spawn, wait_ready

LAB_READY_TIMEOUT = 120.0  # a first start (building the workspace, many extensions) is slow


class _Stop(Exception):
    """Raised in the main thread by SIGINT/SIGTERM, to leave any blocking wait."""


def _on_signal(signum: int, frame: FrameType | None) -> None:
    # From here on, further signals are ignored so that a second Ctrl-C cannot cut the
    # shutdown short and leave servers behind (each stop is bounded by a timeout anyway).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise _Stop(signum)


def _parse(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    args = list(argv)
    extra: list[str] = []
    if "--" in args:
        cut = args.index("--")
        args, extra = args[:cut], args[cut + 1 :]
    parser = argparse.ArgumentParser(
        prog="python -m demo",
        description="Run JupyterLab next to a local PyPI mirror and S3 read bucket.",
        epilog="Arguments after -- are passed to jupyter lab.",
    )
    parser.add_argument("--port", type=int, default=8888, help="JupyterLab port if free")
    parser.add_argument("--s3-port", type=int, default=9000, help="S3 (moto) port if free")
    parser.add_argument("--pypi-port", type=int, default=8081, help="PyPI mirror port if free")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    parser.add_argument(
        "--fresh-home",
        action="store_true",
        help="start from an empty home (no pip/conda config, no profile history)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(".demo"),
        help="wheels, logs, config, workspace (default .demo)",
    )
    return parser.parse_args(args), extra


def _lab_command(port: int, no_browser: bool, extra: list[str]) -> list[str]:
    cmd = [sys.executable, "-m", "jupyterlab", "--ip", HOST, "--port", str(port)]
    if no_browser:
        cmd.append("--no-browser")
    if os.geteuid() == 0:
        cmd.append("--allow-root")  # containers and CI run as root; Jupyter refuses otherwise
    return cmd + extra


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo until Ctrl-C / SIGTERM (exit 0) or until JupyterLab exits (its code)."""
    options, extra = _parse(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        with (
            demo_environment(options.state_dir, options.s3_port, options.pypi_port) as env,
            outage_on_signals(env),
        ):
            config_dir = env.state_dir / "config"
            workspace = env.state_dir / "workspace"
            workspace.mkdir(parents=True, exist_ok=True)
            write_server_config(config_dir, env, workspace.resolve())
            port = free_port(options.port)
            config_path = os.pathsep.join(
                p for p in (os.environ.get("JUPYTER_CONFIG_PATH", ""), str(config_dir)) if p
            )
            # A home of its own: switching profiles in the demo rewrites pip's and conda's
            # user config there, never in the real home of whoever runs the demo.
            home = env.state_dir / "home"
            if options.fresh_home:
                shutil.rmtree(home, ignore_errors=True)
            home.mkdir(parents=True, exist_ok=True)
            make_demo_kernel(env.state_dir / "kernel-env", home, fresh=options.fresh_home)
            lab_env = {
                **{k: v for k, v in os.environ.items() if not k.startswith("XDG_CONFIG_")},
                **DEMO_AWS_ENV,
                "HOME": str(home.resolve()),
                "JUPYTER_CONFIG_PATH": config_path,
            }
            cmd = _lab_command(port, options.no_browser, extra)
            url = f"http://{HOST}:{port}"
            lab = Service("JupyterLab", f"{url}/api", spawn(cmd, env=lab_env, inherit_output=True))
            with running(lab):
                try:
                    wait_ready(lab, LAB_READY_TIMEOUT)
                except RuntimeError as error:
                    print(f"demo: {error}", file=sys.stderr)
                    code = lab.process.returncode
                    return code if code is not None and code > 0 else 1
                _print_banner(env.s3_url, env.bucket, env.pypi_url, url)
                return _exit_code(lab)
    except _Stop:
        print("\ndemo: stopped, servers shut down.", file=sys.stderr)
        return 0


def _exit_code(lab: Service) -> int:
    code = lab.process.wait()
    return code if code >= 0 else 128 - code  # killed by a signal: the shell's convention


def _print_banner(s3_url: str, bucket: str, pypi_url: str, lab_url: str) -> None:
    lines = [
        "Airlock demo is running",
        f"  S3 endpoint   {s3_url}   bucket: {bucket}",
        f"  PyPI mirror   {pypi_url}",
        f"  JupyterLab    {lab_url}/lab   (its token link is in JupyterLab's log above)",
        "Press Ctrl-C to stop.",
    ]
    rule = "=" * max(len(line) for line in lines)
    print("\n".join([rule, *lines, rule]), flush=True)


if __name__ == "__main__":
    sys.exit(main())
