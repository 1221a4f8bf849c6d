"""The package reads downward: imports between Airlock's packages form no cycle, the bottom
layers import nothing above them, and the DMZ's bundle command runs without Jupyter."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.services import start_pypiserver

from .wheels import make_wheel

PACKAGE = Path(__file__).resolve().parent.parent
NAME = PACKAGE.name

# What the bottom of the house is for: conda and environment facts, the bundle format both
# sides read, the trust checks and the sources. None of them may reach up into the server's
# doors (installer, kernels, catalog, copies, index, handlers) or into the DMZ's builder.
BOTTOM = {"conda", "environments", "bundle_format", "trust", "sources", "errors", "processes"}
ABOVE_THE_BOTTOM = {
    "installer",
    "kernels",
    "bundle",
    "catalog",
    "copies",
    "package_index",
    "previews",
    "active_source",
    "state",
    "handlers",
    "index_handlers",
    "extension",
}


def _unit(module: str) -> str:
    """The package or module directly under jupyterlab_airlock that ``module`` belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports() -> Iterator[tuple[str, str, str]]:
    """(importing unit, imported unit, file) for every import between two units."""
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent)
        if {"tests", "labextension"} & set(relative.parts):
            continue
        parts = relative.with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            elif node.module and node.module.startswith(NAME):
                target = node.module
            else:
                continue
            names = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
            for name in names:
                here, there = _unit(module), _unit(name)
                if here != there and there not in {"__init__", "_version"}:
                    yield here, there, str(relative)


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for here, there, _ in _imports():
        graph.setdefault(here, set()).add(there)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path, or None."""
    state: dict[str, int] = {}
    trail: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        trail.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*trail[trail.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        trail.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_walk_sees_the_packages() -> None:
    graph = _graph()
    # Guards the walk itself: a walk that read nothing would pass everything below.
    assert {"installer", "conda", "trust"} <= graph.keys()
    assert "conda" in graph["installer"]


def test_no_import_cycle_between_packages() -> None:
    assert _cycle(_graph()) is None


def test_the_bottom_imports_nothing_above_it() -> None:
    upward = [
        f"{source}: {here} -> {there}"
        for here, there, source in _imports()
        if here in BOTTOM and there in ABOVE_THE_BOTTOM
    ]
    assert upward == []


def test_no_module_over_400_lines() -> None:
    long = [
        f"{path.relative_to(PACKAGE)}: {lines}"
        for path in PACKAGE.rglob("*.py")
        if not {"tests", "labextension"} & set(path.relative_to(PACKAGE).parts)
        and (lines := len(path.read_text().splitlines())) > 400
    ]
    assert long == []


# The modules a machine without Jupyter may not import. The DMZ's sandbox has Python, pip and
# the mirror, and no reason to carry a notebook server.
_WITHOUT_JUPYTER = """
import sys
class NoJupyter:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"jupyter_server", "tornado", "traitlets", "jupyter_client",
                                  "jupyterlab", "jupyter_core", "ipykernel"}:
            raise ImportError(f"{name} is not installed on this machine")
sys.meta_path.insert(0, NoJupyter())
from jupyterlab_airlock.bundle.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("index")
    make_wheel(folder, "airlock-a", "1.0", ["airlock-b"])
    make_wheel(folder, "airlock-b", "1.0")
    service = start_pypiserver(folder)
    try:
        yield service.url
    finally:
        service.stop()


def test_the_bundle_command_builds_and_checks_a_bundle_without_jupyter(
    index: str, tmp_path: Path
) -> None:
    out = tmp_path / "bundle"
    arguments = ["bundle", str(out), "airlock-a", "--python-version", "3.11"]
    arguments += ["--platform", "manylinux_2_17_x86_64", "--index-url", index]
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_JUPYTER, *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "checked offline" in done.stdout
    assert {p.name for p in out.glob("*.whl")} == {
        "airlock_a-1.0-py3-none-any.whl",
        "airlock_b-1.0-py3-none-any.whl",
    }
