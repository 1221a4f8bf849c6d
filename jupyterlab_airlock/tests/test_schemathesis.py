"""A bounded generated run over every operation of openapi.yaml (schemathesis): against a
real Jupyter server on loopback, with its token (and the index's secret on the index's
routes), no answer is a 5xx and every answer is one the spec describes: its status, its
content type and its body.

The examples per operation are few and fixed (``EXAMPLES``, derandomized), so the run
takes seconds and fails the same way twice.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .contract import SPEC_PATH
from .servers import Server
from .test_openapi import load_spec
from .wheels import make_wheel

EXAMPLES = 3
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class Running:
    """The server under test and the credentials of its two kinds of routes."""

    def __init__(self, server: Server) -> None:
        self.url = f"http://127.0.0.1:{server.port}/airlock"
        self._token = {"Authorization": f"token {server.token}"}
        secret = base64.b64encode(f"airlock:{server.index_secret()}".encode()).decode()
        self._secret = {"Authorization": f"Basic {secret}"}

    def credentials(self, path: str) -> dict[str, str]:
        return self._secret if path.startswith("/index/") else self._token


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    root = tmp_path_factory.mktemp("schemathesis")
    exchange = root / "exchange"
    exchange.mkdir()
    (exchange / "readings.csv").write_text("station,t\nnorth,4.5\n")
    make_wheel(exchange, "airlock-tool", "1.0")
    server = Server(root, root / "data", {"kind": "folder", "path": str(exchange)})
    service = server.start()
    try:
        yield Running(server)
    finally:
        service.stop()


# Loaded at collection, its server's address given to each call: schemathesis's lazy
# loader (``schemathesis.pytest.from_fixture``) fails under pytest 9.2 (it sets the node's
# ``_nodeid``, which pytest 9.2 no longer has).
schema = schemathesis.openapi.from_path(SPEC_PATH)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_the_spec_says(case: Any, api: Running) -> None:
    case.call_and_validate(
        base_url=api.url, headers=api.credentials(case.path), checks=CHECKS, timeout=60
    )


def test_the_run_covers_every_operation_of_the_spec() -> None:
    """schemathesis understands each operation (one it cannot load would be skipped)."""
    operations = {
        (result.ok().method.upper(), result.ok().path) for result in schema.get_all_operations()
    }
    described = {
        (method.upper(), path)
        for path, item in load_spec()["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert operations == described
