"""The REST API description stays in step with the routes the server really registers."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import yaml
from jupyter_server.serverapp import ServerApp
from jupyter_server.utils import JupyterServerAuthWarning
from openapi_spec_validator import validate

import jupyterlab_airlock

SPEC_PATH = Path(jupyterlab_airlock.__file__).parent / "openapi.yaml"
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
    validate(load_spec())


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
