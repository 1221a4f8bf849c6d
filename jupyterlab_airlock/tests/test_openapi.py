"""The REST API description stays in step with the routes the server really registers,
the codes and kinds it really sends, and the validator the API tests use catches what
differs."""

from __future__ import annotations

import ast
import io
import json
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from jupyter_server.serverapp import ServerApp
from jupyter_server.utils import JupyterServerAuthWarning
from openapi_spec_validator import validate
from tornado.httpclient import HTTPRequest, HTTPResponse
from tornado.httputil import HTTPHeaders

from jupyterlab_airlock.errors import AirlockError
from jupyterlab_airlock.jobs import FINISHED
from jupyterlab_airlock.kernels.create import check_new_kernel

from .contract import SPEC_PATH, check_response

PACKAGE = SPEC_PATH.parent
HTTP_VERBS = ("get", "post", "put", "patch", "delete")


def load_spec() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return spec


def registered_airlock_routes(web_app: Any, base_url: str) -> dict[str, set[str]]:
    """Every route under ``<base_url>/airlock/`` with the verbs its handler implements."""
    prefix = f"{base_url.rstrip('/')}/airlock"
    routes: dict[str, set[str]] = {}
    for host_rule in web_app.default_router.rules:
        for rule in getattr(host_rule.target, "rules", []):
            pattern = rule.matcher.regex.pattern.rstrip("$")
            if not pattern.startswith(prefix):
                continue
            path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern[len(prefix) :])
            handler = rule.target
            routes[path] = {
                verb
                for verb in HTTP_VERBS
                if getattr(handler, verb) is not getattr(handler.__mro__[-2], verb, None)
            }
    return routes


def test_the_spec_is_valid_openapi() -> None:
    # Its Profile is profile.schema.json, beside it.
    validate(load_spec(), base_uri=SPEC_PATH.as_uri())


def test_every_registered_route_and_verb_is_described(jp_serverapp: Any, jp_base_url: str) -> None:
    routes = registered_airlock_routes(jp_serverapp.web_app, jp_base_url)
    described = load_spec()["paths"]

    assert "/status" in routes, "the status route is not registered"
    for path, verbs in routes.items():
        assert path in described, f"{path} is registered but missing from {SPEC_PATH.name}"
        missing = verbs - set(described[path])
        assert not missing, f"{path}: verbs {sorted(missing)} are not in {SPEC_PATH.name}"


def test_every_route_requires_authentication() -> None:
    """jupyter_server warns about any handler verb without an auth decorator."""
    app = ServerApp(
        allow_unauthenticated_access=False,
        jpserver_extensions={"jupyterlab_airlock": True},
        reraise_server_extension_failures=True,
    )
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        app.initialize(argv=[], find_extensions=False, new_httpserver=False)

    unprotected = [
        str(record.message)
        for record in records
        if issubclass(record.category, JupyterServerAuthWarning)
    ]
    assert unprotected == []


def _constants(module: Path, wanted: Callable[[ast.Call | ast.Dict], str | None]) -> set[str]:
    """The string constants that ``wanted`` finds in the calls and dict literals of the
    package's modules (tests aside)."""
    found: set[str] = set()
    for path in module.rglob("*.py") if module.is_dir() else [module]:
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, (ast.Call, ast.Dict)) and (value := wanted(node)) is not None:
                found.add(value)
    return found


def _first_text(node: ast.Call | ast.Dict, function: str) -> str | None:
    """The first argument of a call to ``function`` when it is written as a string."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
    first = node.args[0]
    if name == function and isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    return None


def _kind(node: ast.Call | ast.Dict) -> str | None:
    """The value of a ``{"kind": "<text>", ...}`` literal."""
    if not isinstance(node, ast.Dict):
        return None
    for key, value in zip(node.keys, node.values, strict=True):
        if isinstance(key, ast.Constant) and key.value == "kind":
            return value.value if isinstance(value, ast.Constant) else None
    return None


def _enum(name: str) -> set[str]:
    schema = load_spec()["components"]["schemas"][name]
    enum = schema["anyOf"][0]["enum"] if "anyOf" in schema else schema["enum"]
    return set(enum)


def test_the_error_codes_are_every_code_the_server_raises() -> None:
    raised = _constants(PACKAGE, lambda node: _first_text(node, "AirlockError"))
    assert _enum("ErrorCode") == raised | {"internal"}


def test_the_job_kinds_are_every_kind_the_server_submits() -> None:
    assert _enum("JobKind") == _constants(PACKAGE, lambda node: _first_text(node, "submit"))


def test_the_artifact_kinds_are_every_kind_classify_tells() -> None:
    assert _enum("ArtifactKind") == _constants(PACKAGE / "kinds.py", _kind)


def test_the_job_states_are_the_job_managers() -> None:
    assert _enum("JobState") == FINISHED | {"queued", "running"}


def off_spec(method: str, path: str, code: int, body: Any) -> HTTPResponse:
    """An answer as tornado's client hands it over, for the validator to judge."""
    request = HTTPRequest(f"http://127.0.0.1:1/base/airlock/{path}", method=method)
    headers = HTTPHeaders({"Content-Type": "application/json; charset=UTF-8"})
    return HTTPResponse(request, code, headers, io.BytesIO(json.dumps(body).encode()))


COPIED = {"path": "x", "files": 1, "size": 1, "sha256": None, "verified": False}
JOB = {
    "id": "0" * 32, "kind": "copy", "title": "Copy x", "queue": "file:x", "state": "succeeded",
    "progress": 1.0, "log": [], "created": "2026-01-01T00:00:00.000+00:00",
    "finished": "2026-01-01T00:00:01.000+00:00", "result": COPIED, "error": None,
}  # fmt: skip
PROFILES = {
    "managed": [], "default": None, "locked": False, "active": None, "can_revert": False,
    "problems": [], "leaks": {},
}  # fmt: skip
NO_TIMEOUT = {**PROFILES, "managed": [{"name": "m", "pip": {"timeout": 0}}]}
NO_BUCKET = {**PROFILES, "active": {"name": "m", "source": {"kind": "s3"}}}


@pytest.mark.parametrize(
    ("method", "path", "code", "body", "complaint"),
    [
        ("GET", "jobs", 200, {"jobs": [{**JOB, "state": "done"}]}, "at jobs/0/state"),
        ("GET", f"jobs/{'0' * 32}", 200, {**JOB, "result": None, "extra": 1}, "extra"),
        ("GET", f"jobs/{'0' * 32}", 200, {**JOB, "result": {"path": "x"}}, "at result"),
        ("DELETE", f"jobs/{'0' * 32}", 404, {"code": "no-such-code", "message": "x"}, "at code"),
        ("GET", "kernels", 200, {"kernels": [{"name": "k"}]}, "display_name"),
        # A profile is checked against profile.schema.json's rules, not only its keys.
        ("GET", "profiles", 200, NO_TIMEOUT, "at managed/0/pip/timeout"),
        ("GET", "profiles", 200, NO_BUCKET, "at active"),
        ("POST", "status", 405, {"message": "no code"}, "'code' is a required property"),
        ("PUT", "status", 418, {"code": "http-418", "message": "x"}, "answered 418"),
        ("GET", "index/simple/", 200, {"projects": []}, "200 application/json, which"),
        ("GET", "index/elsewhere", 200, {}, "no path of openapi.yaml matches"),
    ],
)
def test_the_validator_catches_an_off_spec_answer(
    method: str, path: str, code: int, body: Any, complaint: str
) -> None:
    with pytest.raises(AssertionError, match=re.escape(complaint)):
        check_response(off_spec(method, path, code, body), "/base/")


def test_the_validator_passes_an_answer_as_described() -> None:
    check_response(off_spec("GET", "jobs", 200, {"jobs": [JOB]}), "/base/")
    check_response(
        off_spec("GET", f"jobs/{'0' * 32}", 404, {"code": "unknown-job", "message": "x"}), "/base/"
    )
    check_response(off_spec("GET", "elsewhere", 200, ["not checked"]), "/base/other/")
    source = {"kind": "s3", "bucket": "read", "endpoint_url": "http://127.0.0.1:9000"}
    profile = {"name": "m", "pip": {"index-url": "https://m/simple/"}, "source": source}
    check_response(off_spec("GET", "profiles", 200, {**PROFILES, "managed": [profile]}), "/base/")


async def test_status_publishes_the_kernel_name_rule_kernel_creation_applies(
    jp_fetch: Any,
) -> None:
    rule = json.loads((await jp_fetch("airlock", "status")).body)["rules"]["kernel_name"]
    pattern = re.compile(rule["pattern"])
    for name in ("analysis-2025", "a", "x" * 64, "Analysis", "-x", "x" * 65, "a b", "python3\n"):
        refused = None
        try:
            check_new_kernel(name, "Shown", Path("/nonexistent/k"), Path("/nonexistent/e"))
        except AirlockError as error:
            refused = error.message
        assert (pattern.fullmatch(name) is None) == (refused is not None), name
        assert refused is None or rule["message"] in refused
