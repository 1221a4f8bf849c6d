"""``python -m bench`` (``make bench``): every benchmark against its baseline, one line each.

Usage: python -m bench [--quick] [--rounds N] [bundle] [kernel] [copy] [install] [plans]
[users] [listing] [render]

The benchmarks that need servers share one moto S3 server and one Jupyter server with
Airlock, started here and stopped at the end; render drives that server's JupyterLab in
Chromium (Playwright, ui-tests/bench). Exit status: 0 when every target holds, 1 when
one is missed, 2 when a benchmark could not run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from bench import bundle, copy, install, kernel, listing, plans, render, users
from bench.common import BenchError, Outcome, Scale, Servers, machine, servers

# In the order they run: the quick ones first.
STANDALONE: dict[str, Callable[[Scale], Iterable[Outcome]]] = {
    "bundle": bundle.run,
    "kernel": kernel.run,
}
WITH_SERVERS: dict[str, Callable[[Servers, Scale], Iterable[Outcome]]] = {
    "copy": copy.run,
    # Before listing: its plans walk the whole bucket, as a user's do, and the 100,000
    # listing objects would be most of that walk.
    "install": install.run,
    # Before listing too: the walks of its cases would list that folder as well.
    "plans": plans.run,
    "users": users.run,
    "listing": listing.run,
    "render": render.run,  # after listing: the bucket is filled once
}
ROUNDS = 7
QUICK_ROUNDS = 3


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small data and fewer rounds (five minutes, not forty)",
    )
    parser.add_argument(
        "--rounds", type=int, help=f"rounds per comparison ({ROUNDS}, quick {QUICK_ROUNDS})"
    )
    names = [*STANDALONE, *WITH_SERVERS]
    parser.add_argument(
        "only", nargs="*", metavar="NAME", help=f"run only these: {', '.join(names)}"
    )
    options = parser.parse_args(argv)
    unknown = set(options.only) - set(names)
    if unknown:
        parser.error(
            f"no benchmark named {', '.join(sorted(unknown))}; there are {', '.join(names)}"
        )
    chosen = set(options.only or names)
    scale = Scale(options.quick, options.rounds or (QUICK_ROUNDS if options.quick else ROUNDS))
    print(f"machine: {machine()}", flush=True)
    missed = 0
    try:
        for name, run in STANDALONE.items():
            if name in chosen:
                missed += _report(run(scale))
        if chosen & set(WITH_SERVERS):
            with (
                tempfile.TemporaryDirectory(prefix="airlock-bench-") as work,
                servers(Path(work)) as running,
            ):
                for name, run_with in WITH_SERVERS.items():
                    if name in chosen:
                        missed += _report(run_with(running, scale))
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    print(f"machine at the end: {machine()}")
    print(f"bench: {'every target holds' if not missed else f'{missed} target(s) missed'}")
    return 1 if missed else 0


def _report(outcomes: Iterable[Outcome]) -> int:
    """Print each line as soon as it is measured; return how many targets were missed."""
    missed = 0
    for outcome in outcomes:
        print(outcome.line(), flush=True)
        missed += outcome.holds is False
    return missed


if __name__ == "__main__":
    sys.exit(main())
