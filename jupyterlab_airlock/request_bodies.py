"""Request bodies checked against openapi.yaml, the one description of the API.

The schemas of the operations' JSON bodies are read once, when the server starts, and every
body a route reads is validated against its own before a handler looks at it: a body the
API does not describe is refused with ``invalid-request`` naming where it differs
(``$.requirements[2]``). A body nested too deep for the JSON parser is refused before it
is parsed (``nests_deeper``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft4Validator
from jsonschema.exceptions import best_match

from .errors import AirlockError
from .secrets import redact

SPEC_PATH = Path(__file__).with_name("openapi.yaml")
# Airlock's requests nest a few levels (a profile's source in a profile); a body nested
# deeper is refused before it is parsed, so parsing never runs out of stack.
MAX_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
# What of a refused value the message repeats: enough to recognize it.
_SHOWN = 240
_PARAMETER = re.compile(r"\(\?P<(\w+)>[^)]*\)")


class BodySchemas:
    """The body schemas of one route, by HTTP method."""

    def __init__(self, validators: Mapping[str, Draft4Validator]) -> None:
        self._validators = validators

    def check(self, method: str, body: Any) -> None:
        """Refuse ``body`` when it is not what the route's ``method`` takes."""
        validator = self._validators.get(method.upper())
        error = best_match(validator.iter_errors(body)) if validator is not None else None
        if error is None:
            return
        message = redact(error.message)
        if len(message) > _SHOWN:
            message = message[:_SHOWN] + "…"
        message = f"The request does not fit the Airlock API at {error.json_path}: {message}."
        # "not valid under any of the given schemas" says nothing of what would be.
        expected = error.schema.get("description") if isinstance(error.schema, dict) else None
        if error.validator in ("oneOf", "anyOf") and expected:
            message += f" Expected: {expected.strip()}"
        raise AirlockError("invalid-request", message)


class RequestBodies:
    """The body schemas of every operation of the spec."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        # OpenAPI 3.0's schema objects are JSON Schema draft 4's; the request bodies use
        # none of its additions (``nullable``). References resolve in the components.
        components = spec.get("components", {})
        self._routes: dict[str, dict[str, Draft4Validator]] = {}
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                schema = _json_body(operation)
                if schema is not None:
                    validator = Draft4Validator({**schema, "components": components})
                    self._routes.setdefault(path, {})[method.upper()] = validator

    @classmethod
    def load(cls, path: Path = SPEC_PATH) -> RequestBodies:
        spec: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
        return cls(spec)

    def of(self, route: str) -> BodySchemas:
        """The body schemas of a route of the ``ROUTES`` table (a path under the
        namespace, parameters as named groups)."""
        return BodySchemas(self._routes.get("/" + _PARAMETER.sub(r"{\1}", route), {}))


def nests_deeper(raw: bytes, limit: int) -> bool:
    """Whether the arrays and objects of a JSON text nest deeper than ``limit`` (brackets
    inside its strings aside), found without parsing it."""
    depth = 0
    for bracket in _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS):
        depth += 1 if bracket in b"[{" else -1
        if depth > limit:
            return True
    return False


def _json_body(operation: Any) -> dict[str, Any] | None:
    if not isinstance(operation, dict):
        return None  # the path item's shared ``parameters``
    content = operation.get("requestBody", {}).get("content", {})
    schema: dict[str, Any] | None = content.get("application/json", {}).get("schema")
    return schema
