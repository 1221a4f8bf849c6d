"""Thin tornado handlers: parse the request, authorize it, call the core, answer JSON.

Every route lives under ``<base_url>/airlock/`` and is listed in ``ROUTES`` and in
``openapi.yaml`` (a test keeps the two in step).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from ._version import __version__
from .config import Airlock
from .errors import AirlockError
from .profiles.manager import ProfileManager

NAMESPACE = "airlock"

# tornado's own HTTP errors often carry no message; these say what to do instead.
_MESSAGES_BY_STATUS = {
    401: "The Jupyter server refused the request: you are not logged in or your session has "
    "expired. Reload the page and log in again.",
    403: "The Jupyter server refused the request: you are not logged in or your session has "
    "expired. Reload the page and log in again.",
    405: "This Airlock route does not accept that HTTP method.",
}


@dataclass
class AirlockState:
    """What the handlers share: the admin's options and the cores built from them."""

    config: Airlock
    profiles: ProfileManager


class AirlockHandler(APIHandler):
    """Base of every Airlock handler: authorization resource and JSON errors."""

    auth_resource = NAMESPACE

    @property
    def airlock(self) -> AirlockState:
        state: AirlockState = self.settings["airlock"]
        return state

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Answer ``{"code", "message"}``; never a traceback (that goes to the server log)."""
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, AirlockError):
            self.set_status(error.status)
            body = error.to_json()
        elif isinstance(error, tornado.web.HTTPError):
            body = {
                "code": f"http-{status_code}",
                "message": error.log_message
                or _MESSAGES_BY_STATUS.get(status_code)
                or error.reason
                or self._reason,
            }
        else:
            body = {
                "code": "internal",
                "message": "Airlock hit an unexpected error. The Jupyter server log has the "
                "details; please report it to your administrator.",
            }
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def json_object(self) -> dict[str, Any]:
        """The request body, which must be a JSON object."""
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError as error:
            raise AirlockError(
                "invalid-json", f"The request body is not valid JSON: {error}"
            ) from None
        if not isinstance(body, dict):
            raise AirlockError("invalid-json", "The request body must be a JSON object.")
        return body

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, AirlockError):
            self.log.warning("Airlock %s: %s", value.code, value.message)
        else:
            super().log_exception(typ, value, tb)


class StatusHandler(AirlockHandler):
    """``GET /airlock/status``: the server part's version and the active profile."""

    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        profiles = self.airlock.profiles
        self.finish(
            {
                "version": __version__,
                "active_profile": profiles.applier.active(),
                "profiles": sorted(profiles.managed.profiles),
                "problems": profiles.managed.problems,
            }
        )


class ProfilesHandler(AirlockHandler):
    """``GET /airlock/profiles``: managed profiles, the lock, the active profile."""

    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        self.finish(self.airlock.profiles.describe())


class ApplyProfileHandler(AirlockHandler):
    """``POST /airlock/profiles/apply``: write pip's, conda's and npm's config for a profile."""

    @tornado.web.authenticated
    @authorized
    def post(self) -> None:
        self.finish(self.airlock.profiles.apply(self.json_object()))


class RevertProfileHandler(AirlockHandler):
    """``POST /airlock/profiles/revert``: put back the files as they were before the switch."""

    @tornado.web.authenticated
    @authorized
    def post(self) -> None:
        self.finish(self.airlock.profiles.revert())


class EffectiveConfigHandler(AirlockHandler):
    """``GET /airlock/profiles/effective``: what pip, conda and npm now see, and leaks."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        self.finish(await self.airlock.profiles.effective())


class CheckProfileHandler(AirlockHandler):
    """``POST /airlock/profiles/check``: probe every endpoint of a profile."""

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        self.finish(await self.airlock.profiles.check(self.json_object()))


ROUTES: list[tuple[str, type[AirlockHandler]]] = [
    ("status", StatusHandler),
    ("profiles", ProfilesHandler),
    ("profiles/apply", ApplyProfileHandler),
    ("profiles/revert", RevertProfileHandler),
    ("profiles/effective", EffectiveConfigHandler),
    ("profiles/check", CheckProfileHandler),
]


def setup_handlers(web_app: Any, config: Airlock) -> None:
    profiles = ProfileManager(config)
    for problem in [*profiles.managed.problems, *profiles.start()]:
        config.log.warning("Airlock configuration: %s", problem)
    web_app.settings["airlock"] = AirlockState(config=config, profiles=profiles)
    base_url = web_app.settings["base_url"]
    web_app.add_handlers(
        ".*$",
        [(url_path_join(base_url, NAMESPACE, path), handler) for path, handler in ROUTES],
    )
