"""Every Airlock route refuses the unauthenticated, and state changes keep XSRF protection.

Routes are taken from the server itself (the ones registered under /airlock/), so a new
route is covered the day it is added.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from .test_openapi import registered_airlock_routes

STATE_CHANGING = ("post", "put", "patch", "delete")


def concrete(path: str) -> str:
    """A real URL path for a route pattern: path parameters get a well-formed value."""
    return re.sub(r"\{\w+\}", "0" * 32, path)


def routes(jp_serverapp: Any, jp_base_url: str) -> list[tuple[str, str]]:
    found = registered_airlock_routes(jp_serverapp.web_app, jp_base_url)
    return sorted((concrete(path), verb) for path, verbs in found.items() for verb in verbs)


async def test_every_route_refuses_a_request_without_a_token(
    jp_fetch: Any, jp_serverapp: Any, jp_base_url: str
) -> None:
    checked = routes(jp_serverapp, jp_base_url)
    assert len(checked) >= 10

    for path, verb in checked:
        if path.startswith("/index/"):
            continue  # pip's routes: their credential is the secret (the test below)
        body = "{}" if verb in ("post", "put", "patch") else None
        with pytest.raises(HTTPClientError) as refused:
            await jp_fetch(
                "airlock", *path.strip("/").split("/"),
                method=verb.upper(), body=body, headers={"Authorization": ""},
            )  # fmt: skip
        assert refused.value.code == 403, f"{verb.upper()} {path}"


async def test_the_index_answers_only_with_this_servers_secret(
    jp_fetch: Any, jp_serverapp: Any, jp_base_url: str
) -> None:
    """(jp_fetch is asked for because it starts the server's HTTP listener.)"""
    secret = jp_serverapp.web_app.settings["airlock"].index_address.secret
    client = AsyncHTTPClient()
    index = f"http://127.0.0.1:{jp_serverapp.port}{jp_base_url}airlock/index/simple/"
    for wrong in ("0" * 64, secret[:-1] + "x", secret + "0", ""):
        refused = await client.fetch(
            index, auth_username="airlock", auth_password=wrong, raise_error=False
        )
        assert (refused.code, refused.body) == (401, b"Unauthorized\n")
        assert refused.headers["WWW-Authenticate"].startswith("Basic ")
    assert (await client.fetch(index, raise_error=False)).code == 401
    # Jupyter's own token is no credential here, and the right secret needs none (pip has
    # none): the answer comes from the source, here a folder that is not mounted.
    token = await client.fetch(
        index, headers={"Authorization": f"token {jp_serverapp.identity_provider.token}"},
        raise_error=False,
    )  # fmt: skip
    assert token.code == 401
    page = await client.fetch(
        index, auth_username="anyone", auth_password=secret, raise_error=False
    )
    assert b"the folder /mnt/exchange does not exist" in page.body


async def test_state_changes_with_a_login_cookie_but_no_xsrf_token_are_refused(
    jp_fetch: Any, jp_serverapp: Any, jp_base_url: str, jp_auth_header: dict[str, str]
) -> None:
    token = jp_auth_header["Authorization"].split(" ", 1)[1]
    login = await jp_fetch("login", params={"token": token}, follow_redirects=False,
                           raise_error=False, headers={"Authorization": ""})  # fmt: skip
    cookies = [
        value.split(";", 1)[0]
        for name, value in login.headers.get_all()
        if name.lower() == "set-cookie" and value.startswith("username-")
    ]
    assert cookies, "logging in with the token must set a login cookie"
    cookie_only = {"Authorization": "", "Cookie": "; ".join(cookies)}

    # The cookie alone is enough to read...
    status = await jp_fetch("airlock", "status", headers=cookie_only)
    assert json.loads(status.body)["version"]

    # ...but not to change anything.
    for path, verb in routes(jp_serverapp, jp_base_url):
        if verb not in STATE_CHANGING:
            continue
        body = "{}" if verb != "delete" else None
        with pytest.raises(HTTPClientError) as refused:
            await jp_fetch(
                "airlock", *path.strip("/").split("/"),
                method=verb.upper(), body=body, headers=cookie_only,
            )  # fmt: skip
        assert refused.value.code == 403, f"{verb.upper()} {path}"
        assert b"xsrf" in refused.value.response.body.lower(), f"{verb.upper()} {path}"
