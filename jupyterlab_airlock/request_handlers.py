"""The route of DMZ requests: ``POST /airlock/requests`` writes what a plan lacks as a
request for the DMZ (``dmz.writer``). Thin, as every Airlock handler."""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from .handlers import AirlockHandler
from .installer.dmz_request import write_request


class DmzRequestHandler(AirlockHandler):
    """``POST /airlock/requests``: the DMZ request for what a plan lacks, stored where the
    admin said and audited; the answer holds the document and the command for the DMZ."""

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        # openapi.yaml requires the plan's id (checked by json_object).
        plan_id: str = self.json_object()["plan"]
        config = self.airlock.config
        self.finish(
            await write_request(
                self.airlock.installer.kept_plan(plan_id),
                user=self.user_name,
                audit=self.airlock.audit,
                policy=self.airlock.policy,
                location=config.request_location,
                endpoint_url=config.request_endpoint_url,
            )
        )


REQUEST_ROUTES: list[tuple[str, type[AirlockHandler]]] = [("requests", DmzRequestHandler)]
