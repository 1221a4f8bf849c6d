"""What fuzzing the spec found, each answered with a clear 4xx in the spec's shape: a body
nested too deep for the JSON parser, a control character in a project name, path
parameters the routes once refused with Jupyter's HTML page.

Every answer goes through ``check_response`` (openapi.yaml) and nothing reaches the
server log as a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from .contract import check_response
from .wheels import make_wheel

# Every route that reads a JSON body.
BODY_ROUTES = [
    ("profiles", "apply"),
    ("profiles", "check"),
    ("profiles", "doctor"),
    ("artifacts", "copy"),
    ("kernels", "create"),
    ("install", "plan"),
    ("install",),
    ("install", "rollback"),
]


@pytest.fixture
def exchange(tmp_path: Path) -> Path:
    folder = tmp_path / "exchange"
    folder.mkdir()
    make_wheel(folder, "airlock-tool", "1.0")
    return folder


@pytest.fixture
def airlock_config(exchange: Path) -> dict[str, Any]:
    source = {"kind": "folder", "path": str(exchange)}
    return {"profiles": [{"name": "exchange", "source": source}], "active_profile": "exchange"}


async def refused(jp_fetch: Any, *route: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(HTTPClientError) as error:
        await jp_fetch("airlock", *route, **kwargs)
    assert error.value.response is not None
    return error.value.code, json.loads(error.value.response.body)


@pytest.mark.parametrize("opening", ["[", '{"a":'])
async def test_a_body_nested_a_thousand_deep_is_refused_by_every_route(
    jp_fetch: Any, opening: str, caplog: Any
) -> None:
    closing = "]" if opening == "[" else "}"
    body = opening * 1000 + "1" + closing * 1000
    for route in BODY_ROUTES:
        code, answer = await refused(jp_fetch, *route, method="POST", body=body)
        assert (code, answer["code"]) == (400, "invalid-request"), route
        assert "nests JSON more than 32 levels deep" in answer["message"]
    assert "Traceback" not in caplog.text


async def test_brackets_inside_strings_do_not_count_as_nesting(jp_fetch: Any) -> None:
    # A profile name made of brackets is no deep body: the request gets as far as the
    # profile check, which refuses the unknown profile by name.
    name = "[{" * 100 + '\\"' + "}]" * 100
    code, answer = await refused(
        jp_fetch, "profiles", "apply", method="POST", body=f'{{"name": "{name}"}}'
    )
    assert (code, answer["code"]) == (404, "unknown-profile")


async def test_a_control_character_in_a_project_name_is_a_plain_404(
    index: Any, caplog: Any
) -> None:
    moved = await index("simple/A%0A/")
    assert moved.code == 302
    assert moved.headers["Location"].endswith("/simple/a%0A/")
    followed = await index("simple/A%0A/", follow=True)
    assert followed.code == 404
    assert followed.body == b"No files of a\n in the artifact source.\n"
    # The project itself is still served under its normalized name.
    assert (await index("simple/Airlock_Tool/", follow=True)).code == 200
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("subdir", ["linux%2064", "..", "%C2%84", "noarch.x"])
async def test_a_conda_subdir_of_other_characters_is_a_plain_404(index: Any, subdir: str) -> None:
    for name in ("repodata.json", "x-1.0-0.conda"):
        answer = await index(f"conda/{subdir}/{name}")
        assert answer.code == 404, (subdir, name)
        assert answer.headers["Content-Type"].startswith("text/plain")
        assert b"The channel has no subdir" in answer.body
    # A well-formed subdir the source lacks is an empty one, as conda expects.
    repodata = json.loads((await index("conda/linux-64/repodata.json")).body)
    assert repodata["packages"] == {}


@pytest.fixture
def raw(jp_fetch: Any, jp_serverapp: Any, jp_base_url: str, jp_auth_header: dict[str, str]) -> Any:
    """A request to an Airlock path written as it goes on the wire (jp_fetch would quote
    its '%'), checked against the spec; jp_fetch starts the HTTP listener."""

    async def fetch(
        path: str, method: str = "GET", described: bool = True
    ) -> tuple[int, dict[str, Any]]:
        url = f"http://127.0.0.1:{jp_serverapp.port}{jp_base_url}airlock/{path}"
        response = await AsyncHTTPClient().fetch(
            url, method=method, headers=jp_auth_header, raise_error=False
        )
        if described:
            check_response(response, jp_base_url)
        return response.code, json.loads(response.body)

    return fetch


@pytest.mark.parametrize("job_id", ["%C2%84", "0" * 31, "0" * 33, "G" * 32, "..%2F..", "%0A"])
async def test_a_malformed_job_id_is_the_json_unknown_job(raw: Any, job_id: str) -> None:
    for method in ("GET", "DELETE"):
        assert await raw(f"jobs/{job_id}", method) == (
            404,
            {"code": "unknown-job", "message": f"There is no job {unquote(job_id)}."},
        )


@pytest.mark.parametrize("name", ["a/b", "a%2Fb", "..%2F..%2Fetc", "%0A", "x/y/z"])
async def test_a_kernel_name_with_a_slash_is_the_json_unknown_kernel(raw: Any, name: str) -> None:
    # A '/' as such makes a path openapi.yaml has no template for (its parameters hold
    # no '/'): the answer is still its JSON error.
    code, answer = await raw(f"kernels/{name}/sbom", described="/" not in name)
    assert (code, answer["code"]) == (404, "unknown-kernel")
    assert f"named '{unquote(name)}'" in answer["message"]
