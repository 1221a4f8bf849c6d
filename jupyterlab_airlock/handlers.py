"""Thin tornado handlers: parse the request, authorize it, call the core, answer JSON.

Every route lives under ``<base_url>/airlock/`` and is listed in ``ROUTES`` and in
``openapi.yaml`` (a test keeps the two in step).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler

from ._version import __version__
from .environments.facts import describe_kernels
from .errors import AirlockError
from .jobs import LOG_TAIL
from .kernels.create import KERNEL_NAME_RULE
from .kernels.inventory import environment_sbom, with_advisories
from .request_bodies import MAX_DEPTH, BodySchemas, nests_deeper
from .sizes import size_text
from .state import NAMESPACE, AirlockState

# Every Airlock request is a small JSON object; anything larger is refused unread.
MAX_BODY = 256 << 10

# tornado's own HTTP errors often carry no message; these say what to do instead.
_MESSAGES_BY_STATUS = {
    401: "The Jupyter server refused the request: you are not logged in or your session has "
    "expired. Reload the page and log in again.",
    403: "The Jupyter server refused the request: you are not logged in or your session has "
    "expired. Reload the page and log in again.",
    405: "This Airlock route does not accept that HTTP method.",
}


class AirlockHandler(APIHandler):
    """Base of every Airlock handler: authorization resource, JSON errors, and request
    bodies as openapi.yaml describes them."""

    auth_resource = NAMESPACE

    def initialize(self, bodies: BodySchemas) -> None:
        self._bodies = bodies

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
        """The request body: a JSON object of reasonable size, as openapi.yaml describes
        this route's body."""
        if len(self.request.body or b"") > MAX_BODY:
            raise AirlockError(
                "body-too-large",
                f"The request body is larger than {size_text(MAX_BODY)}; Airlock's requests "
                "are small JSON objects.",
                413,
            )
        raw = self.request.body or b"{}"
        if nests_deeper(raw, MAX_DEPTH):
            raise AirlockError(
                "invalid-request",
                f"The request body nests JSON more than {MAX_DEPTH} levels deep; Airlock's "
                "requests are small JSON objects.",
            )
        try:
            body = json.loads(raw)
        except ValueError as error:
            raise AirlockError(
                "invalid-json", f"The request body is not valid JSON: {error}"
            ) from None
        if not isinstance(body, dict):
            raise AirlockError("invalid-json", "The request body must be a JSON object.")
        self._bodies.check(self.request.method or "", body)
        return body

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, AirlockError):
            self.log.warning("Airlock %s: %s", value.code, value.message)
        else:
            super().log_exception(typ, value, tb)

    @property
    def user_name(self) -> str | None:
        """The user's id, which the audit trail records; the trail also learns the
        identity provider's name for it, to show who that is."""
        user = self.current_user
        if not user:
            return None
        username: str | None = getattr(user, "username", None)
        name = getattr(user, "display_name", "") or getattr(user, "name", "")
        if username and isinstance(name, str):
            self.airlock.audit.name_user(username, name)
        return username


class StatusHandler(AirlockHandler):
    """``GET /airlock/status``: the server part's version, the active profile, the policy and
    what crossed the network since the server started."""

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
                "policy": self.airlock.policy.to_json(),
                "transfers": asdict(self.airlock.cache.fetched),
                "rules": {"kernel_name": KERNEL_NAME_RULE},
            }
        )


class ProfilesHandler(AirlockHandler):
    """``GET /airlock/profiles``: managed profiles, the lock, the active profile."""

    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        self.finish(self.airlock.profiles.describe())


class ApplyProfileHandler(AirlockHandler):
    """``POST /airlock/profiles/apply``: write the tools' config (pip, uv, conda, npm, Jupyter)."""

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        self.finish(await self.airlock.profiles.apply(self.json_object(), self.user_name))


class RevertProfileHandler(AirlockHandler):
    """``POST /airlock/profiles/revert``: put back the files as they were before the switch."""

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        self.finish(await self.airlock.profiles.revert(self.user_name))


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


class DoctorHandler(AirlockHandler):
    """``POST /airlock/profiles/doctor``: each package tool tries to reach the mirror."""

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        self.finish(await self.airlock.profiles.doctor(self.json_object(), self.user_name))


class ArtifactsHandler(AirlockHandler):
    """``GET /airlock/artifacts``: one page of one folder of the active source."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        try:
            limit = int(self.get_query_argument("limit", "500"))
        except ValueError:
            raise AirlockError("invalid-request", "limit must be a whole number.") from None
        self.finish(
            await self.airlock.catalog.list_page(
                prefix=self.get_query_argument("prefix", ""),
                token=self.get_query_argument("cursor", None),
                starting=self.get_query_argument("filter", ""),
                kernel=self.get_query_argument("kernel", None),
                limit=limit,
            )
        )


class PreviewHandler(AirlockHandler):
    """``GET /airlock/artifacts/preview?key=``: the first rows of a dataset."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        self.finish(await self.airlock.previews.preview(self.get_query_argument("key")))


class CopyHandler(AirlockHandler):
    """``POST /airlock/artifacts/copy``: copy an object into the workspace, as a job."""

    @tornado.web.authenticated
    @authorized
    def post(self) -> None:
        body = self.json_object()
        job = self.airlock.copier.copy(
            body["key"], body["destination"], body.get("overwrite", False), self.user_name
        )
        self.set_status(202)
        self.finish(job.to_json(LOG_TAIL))


class JobsHandler(AirlockHandler):
    """``GET /airlock/jobs``: every job, newest first, with the tail of its log."""

    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        self.finish({"jobs": [job.to_json(LOG_TAIL) for job in self.airlock.jobs.list()]})


class JobHandler(AirlockHandler):
    """``GET /airlock/jobs/<id>``: one job with its whole log; ``DELETE`` cancels it."""

    @tornado.web.authenticated
    @authorized
    def get(self, job_id: str) -> None:
        self.finish(self.airlock.jobs.get(job_id).to_json())

    @tornado.web.authenticated
    @authorized
    async def delete(self, job_id: str) -> None:
        job = await self.airlock.jobs.cancel(job_id)
        self.finish(job.to_json(LOG_TAIL))


class KernelsHandler(AirlockHandler):
    """``GET /airlock/kernels``: every kernelspec with the environment behind it and the
    advisories known for its packages."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        kernels = await describe_kernels(self.settings["kernel_spec_manager"])
        state = await self.airlock.trust.advisories()
        self.finish({"kernels": with_advisories(kernels, state)})


class SbomHandler(AirlockHandler):
    """``GET /airlock/kernels/<name>/sbom``: the CycloneDX JSON of a kernel's environment."""

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        state = await self.airlock.trust.advisories()
        sbom = await environment_sbom(self.settings["kernel_spec_manager"], name, state)
        self.set_header("Content-Disposition", f'attachment; filename="{name}.cdx.json"')
        self.finish(json.dumps(sbom))


class PlanHandler(AirlockHandler):
    """``POST /airlock/install/plan``: what installing into a kernel would do; changes nothing."""

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_object()
        plan = await self.airlock.installer.plan(
            body["kernel"],
            requirements=body.get("requirements", []),
            keys=body.get("keys", []),
            paths=body.get("paths", []),
            user=self.user_name,
        )
        self.finish(plan.to_json())


class InstallHandler(AirlockHandler):
    """``POST /airlock/install``: carry out a plan, as a job."""

    @tornado.web.authenticated
    @authorized
    def post(self) -> None:
        job = self.airlock.installer.install(self.json_object()["plan"], self.user_name)
        self.set_status(202)
        self.finish(job.to_json(LOG_TAIL))


class RollbackHandler(AirlockHandler):
    """``POST /airlock/install/rollback``: undo a finished install, as a job."""

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        job = await self.airlock.installer.rollback(self.json_object()["job"], self.user_name)
        self.set_status(202)
        self.finish(job.to_json(LOG_TAIL))


class CreateKernelHandler(AirlockHandler):
    """``POST /airlock/kernels/create``: a new kernel from a bundle or an environment
    archive of the active source, as a job."""

    @tornado.web.authenticated
    @authorized
    def post(self) -> None:
        body = self.json_object()
        job = self.airlock.kernel_factory.create(
            body["key"], body["name"], body["display_name"], self.user_name
        )
        self.set_status(202)
        self.finish(job.to_json(LOG_TAIL))


class KernelHandler(AirlockHandler):
    """``DELETE /airlock/kernels/<name>``: remove a kernel Airlock made, as a job."""

    @tornado.web.authenticated
    @authorized
    def delete(self, name: str) -> None:
        job = self.airlock.kernel_factory.remove(name, self.user_name)
        self.set_status(202)
        self.finish(job.to_json(LOG_TAIL))


class AuditHandler(AirlockHandler):
    """``GET /airlock/audit?action=&user=&limit=``: the newest end of the audit trail,
    newest first."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        action = self.get_query_argument("action", "")
        user = self.get_query_argument("user", "")
        try:
            limit = max(1, min(int(self.get_query_argument("limit", "200")), 5000))
        except ValueError:
            raise AirlockError("invalid-request", "limit must be a whole number.") from None
        self.finish(await asyncio.to_thread(self.airlock.audit.window, action, user, limit))


ROUTES: list[tuple[str, type[AirlockHandler]]] = [
    ("status", StatusHandler),
    ("profiles", ProfilesHandler),
    ("profiles/apply", ApplyProfileHandler),
    ("profiles/revert", RevertProfileHandler),
    ("profiles/effective", EffectiveConfigHandler),
    ("profiles/check", CheckProfileHandler),
    ("profiles/doctor", DoctorHandler),
    ("artifacts", ArtifactsHandler),
    ("artifacts/preview", PreviewHandler),
    ("artifacts/copy", CopyHandler),
    ("kernels", KernelsHandler),
    ("kernels/create", CreateKernelHandler),
    (r"kernels/(?P<name>[^/]+)", KernelHandler),
    # Path parameters are taken whole, so a malformed one gets the JSON 404 of the
    # handler ("no kernel named...") rather than Jupyter's HTML page.
    (r"kernels/(?P<name>.+)/sbom", SbomHandler),
    ("jobs", JobsHandler),
    (r"jobs/(?P<job_id>[^/]+)", JobHandler),
    ("install/plan", PlanHandler),
    ("install", InstallHandler),
    ("install/rollback", RollbackHandler),
    ("audit", AuditHandler),
]
