"""Responses of the Airlock API checked against openapi.yaml, the one description of it.

The tests' ``jp_fetch`` (conftest.py) runs every answer under ``<base_url>airlock/``
through ``check_response``, error answers included, so an API test fails as soon as a
handler and the spec disagree.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml
from jsonschema.exceptions import ValidationError
from openapi_core import OpenAPI
from openapi_core.exceptions import OpenAPIError
from openapi_core.templating.paths.exceptions import OperationNotFound
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator
from tornado.httpclient import HTTPResponse

import jupyterlab_airlock

SPEC_PATH = Path(jupyterlab_airlock.__file__).parent / "openapi.yaml"


@functools.cache
def spec() -> OpenAPI:
    return OpenAPI.from_file_path(str(SPEC_PATH))


@functools.cache
def _document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return document


@functools.cache
def _error_validator() -> OAS30Validator:
    components = _document()["components"]
    return OAS30Validator({"$ref": "#/components/schemas/Error", "components": components})


def check_response(response: HTTPResponse, base_url: str) -> None:
    """Raise AssertionError, saying what differs, when ``response`` is not one that
    openapi.yaml describes for its path, method and status. Other routes pass."""
    url = urlsplit(response.effective_url)
    prefix = base_url.rstrip("/") + "/airlock/"
    if not url.path.startswith(prefix):
        return
    path = "/airlock/" + url.path[len(prefix) :]
    method = response.request.method
    content_type = response.headers.get("Content-Type", "")
    if path.startswith("/airlock/index/"):
        _check_index(response, method, path[len("/airlock") :], content_type)
        return
    request = MockRequest("http://localhost", method, path, args=dict(parse_qsl(url.query)))
    answer = MockResponse(response.body or b"", response.code, content_type=content_type)
    try:
        spec().validate_response(request, answer)
    except OperationNotFound as error:
        # tornado answers a method a route lacks with 405, through Airlock's error body.
        if response.code != 405:
            raise AssertionError(_explain(error, method, path, response)) from None
        _check_error(response, method, path)
    except OpenAPIError as error:
        raise AssertionError(_explain(error, method, path, response)) from None


def _check_error(response: HTTPResponse, method: str, path: str) -> None:
    body: Any = json.loads(response.body or b"null")
    try:
        _error_validator().validate(body)
    except ValidationError as error:
        raise AssertionError(_explain(error, method, path, response)) from None


def _check_index(response: HTTPResponse, method: str, path: str, content_type: str) -> None:
    """The package index answers pip and conda in their own formats (HTML, PEP 691 JSON,
    files): only its status and content type are checked."""
    for template, item in _document()["paths"].items():
        # An object key may hold '/'; the other parameters may not.
        pattern = re.sub(r"\{(\w+)\}", lambda m: ".+" if m[1] == "key" else "[^/]+", template)
        if not template.startswith("/index/") or not re.fullmatch(pattern, path):
            continue
        responses = item[method.lower()]["responses"]
        declared = responses.get(str(response.code)) or responses.get("default")
        if declared is not None and "$ref" in declared:
            declared = _document()["components"]["responses"][declared["$ref"].rpartition("/")[2]]
        media = content_type.partition(";")[0].strip()
        if declared is not None and media in declared.get("content", {media: None}):
            return
        raise AssertionError(
            f"{method} {path} answered {response.code} {media}, which {SPEC_PATH.name} does not "
            f"describe for {template}"
        )
    raise AssertionError(f"{method} {path}: no path of {SPEC_PATH.name} matches it")


def _explain(error: Exception, method: str, path: str, response: HTTPResponse) -> str:
    """The spec's complaint with each schema error at its place in the body."""
    complaint = str(error) if not isinstance(error, ValidationError) else error.message
    if len(complaint) > 300:
        complaint = type(error).__name__
    lines = [f"{method} {path} answered {response.code}, off {SPEC_PATH.name}: {complaint}"]
    cause: BaseException | None = error
    while cause is not None:
        for schema_error in getattr(cause, "schema_errors", ()):
            where = "/".join(str(part) for part in schema_error.absolute_path) or "(body)"
            lines.append(f"  at {where}: {schema_error.message}")
        cause = cause.__cause__
    lines.append(f"  body: {(response.body or b'')[:2000]!r}")
    return "\n".join(lines)
