"""Hostile input gets a 4xx with a clear message and changes nothing on disk; planted
secrets never come back in a response, the server log, a job log or the audit trail.

The source is a mounted folder with one dataset; the workspace holds a symbolic link that
points outside it. The corpus is run through every route that takes input.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tornado.httpclient import HTTPClientError

from jupyterlab_airlock.errors import AirlockError
from jupyterlab_airlock.package_index.index import _wheel_metadata
from jupyterlab_airlock.pip import parse_requirement
from jupyterlab_airlock.sources import clean_key
from jupyterlab_airlock.trust.policy import load_policy

PLANTED = "planted-Secret-7f3a9"


@pytest.fixture
def exchange(tmp_path: Path) -> Path:
    folder = tmp_path / "exchange"
    folder.mkdir()
    (folder / "readings.csv").write_text("station,t\nnorth,4.5\n")
    return folder


@pytest.fixture
def airlock_config(exchange: Path) -> dict[str, Any]:
    source = {"kind": "folder", "path": str(exchange)}
    return {"profiles": [{"name": "exchange", "source": source}], "active_profile": "exchange"}


@pytest.fixture(autouse=True)
def planted(jp_environ: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIA" + PLANTED)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", PLANTED)


def tree_state(*roots: Path) -> dict[str, str]:
    """Every file under ``roots`` with its sha256 (links by target): what "nothing
    changed" is checked against."""
    state = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_symlink():
                state[str(path)] = "-> " + os.readlink(path)
            elif path.is_file():
                state[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def refusal(call: Callable[[], object]) -> AirlockError | None:
    """The AirlockError ``call`` refuses with, or None; anything else escapes the test."""
    try:
        call()
    except AirlockError as error:
        return error
    return None


def user_profile(**extra: Any) -> dict[str, Any]:
    return {"profile": {"name": "mine", **extra}}


LONG = "x" * 5000
CORPUS: list[tuple[str, tuple[str, ...], Any]] = [
    # (method, route, body or query)
    ("POST", ("artifacts", "copy"), {"key": "../etc/passwd", "destination": "p"}),
    ("POST", ("artifacts", "copy"), {"key": "/etc/passwd", "destination": "p"}),
    ("POST", ("artifacts", "copy"), {"key": "a\x00b", "destination": "p"}),
    ("POST", ("artifacts", "copy"), {"key": LONG, "destination": "p"}),
    ("POST", ("artifacts", "copy"), {"key": "readings.csv", "destination": "../outside.csv"}),
    ("POST", ("artifacts", "copy"), {"key": "readings.csv", "destination": "/tmp/abs.csv"}),
    ("POST", ("artifacts", "copy"), {"key": "readings.csv", "destination": "a\x00.csv"}),
    ("POST", ("artifacts", "copy"), {"key": "readings.csv", "destination": "out/x.csv"}),
    ("POST", ("artifacts", "copy"), {"key": "readings.csv"}),
    ("POST", ("artifacts", "copy"), {"key": 7, "destination": []}),
    ("GET", ("artifacts", "preview"), {"key": "../../etc/passwd"}),
    ("GET", ("artifacts",), {"prefix": "../"}),
    ("GET", ("artifacts",), {"prefix": "\\\\server\\share"}),
    ("GET", ("artifacts",), {"limit": "lots"}),
    ("POST", ("install", "plan"), {"kernel": "python3", "requirements": ["--index-url=http://e/"]}),
    ("POST", ("install", "plan"), {"kernel": "python3", "requirements": ["-r/etc/passwd"]}),
    ("POST", ("install", "plan"), {"kernel": "python3", "requirements": ["x @ file:///etc/passwd"]}),
    ("POST", ("install", "plan"), {"kernel": "python3", "requirements": ["x; os.system('id')"]}),
    ("POST", ("install", "plan"), {"kernel": "python3", "paths": ["../../etc/passwd"]}),
    ("POST", ("install", "plan"), {"kernel": "python3", "paths": ["/etc/passwd"]}),
    ("POST", ("install", "plan"), {"kernel": "../../bin/sh", "requirements": ["x"]}),
    ("POST", ("install", "plan"), {"kernel": "python3", "requirements": "pandas"}),
    ("POST", ("install",), {"plan": "0" * 32}),
    ("POST", ("install", "rollback"), {"job": "../../etc"}),
    ("POST", ("profiles", "apply"), user_profile(pip={"index-url": "file:///etc/"})),
    ("POST", ("profiles", "apply"), user_profile(pip={"index-url": "ftp://mirror/simple/"})),
    ("POST", ("profiles", "apply"),
     user_profile(pip={"index-url": f"https://alice:{PLANTED}@mirror.corp/simple/"})),
    ("POST", ("profiles", "apply"), user_profile(source={"kind": "nfs", "path": "/"})),
    ("POST", ("profiles", "apply"), {"name": "../../etc"}),
    ("POST", ("profiles", "check"), user_profile(proxy={"https": f"http://u:{PLANTED}@proxy:3128"})),
]  # fmt: skip
RAW_BODIES = [b"{", b"[]", b"null", b'"text"', b"\xff\xfe", b"{" + b" " * (300 << 10) + b"}"]


async def test_the_corpus_is_refused_with_messages_and_changes_nothing(
    jp_fetch: Any, jp_root_dir: Path, jp_home_dir: Path, tmp_path: Path, caplog: Any
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (jp_root_dir / "out").symlink_to(outside)
    before = tree_state(jp_root_dir, jp_home_dir, outside)

    answers: list[bytes] = []
    for method, route, data in CORPUS:
        query = data if method == "GET" else None
        body = json.dumps(data) if method == "POST" else None
        with pytest.raises(HTTPClientError) as refused:
            await jp_fetch("airlock", *route, method=method, body=body, params=query)
        case = f"{method} {'/'.join(route)} {str(data)[:80]}"
        assert 400 <= refused.value.code < 500, case
        assert refused.value.response is not None
        answer = json.loads(refused.value.response.body)
        assert answer["message"], case
        assert "Traceback" not in answer["message"], case
        answers.append(refused.value.response.body)
    for raw in RAW_BODIES:
        for route in (("install", "plan"), ("artifacts", "copy"), ("profiles", "apply")):
            with pytest.raises(HTTPClientError) as refused:
                await jp_fetch("airlock", *route, method="POST", body=raw)
            assert refused.value.code in (400, 413), (route, raw[:20])
            assert refused.value.response is not None
            answers.append(refused.value.response.body)

    assert tree_state(jp_root_dir, jp_home_dir, outside) == before
    for answer in answers:
        assert PLANTED.encode() not in answer
    assert PLANTED not in caplog.text


async def test_no_response_log_or_record_carries_a_planted_secret(
    jp_fetch: Any, jp_serverapp: Any, caplog: Any
) -> None:
    answers = [
        (await jp_fetch("airlock", *route)).body
        for route in [("status",), ("profiles",), ("profiles", "effective"), ("kernels",),
                      ("artifacts",), ("jobs",), ("audit",)]
    ]  # fmt: skip
    body = json.dumps({"key": "readings.csv", "destination": "readings.csv"})
    copy = json.loads(
        (await jp_fetch("airlock", "artifacts", "copy", method="POST", body=body)).body
    )
    job = await jp_serverapp.web_app.settings["airlock"].jobs.wait(copy["id"])
    assert job.state == "succeeded"
    answers.append((await jp_fetch("airlock", "jobs", copy["id"])).body)
    audit = jp_serverapp.web_app.settings["airlock"].audit
    for answer in answers:
        assert PLANTED.encode() not in answer
    assert PLANTED not in caplog.text
    assert PLANTED not in audit.path.read_text()


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_requirement_and_key_parsers_only_ever_refuse_with_a_message(text: str) -> None:
    for parse in (parse_requirement, clean_key):
        error = refusal(lambda: parse(text))  # noqa: B023 - called at once
        assert error is None or (error.message and 400 <= error.status < 500)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4096))
def test_the_wheel_metadata_reader_refuses_any_broken_archive_by_name(data: bytes) -> None:
    error = refusal(lambda: _wheel_metadata(lambda: io.BytesIO(data), "fuzzed.whl"))
    assert error is None or "fuzzed.whl" in error.message


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_the_policy_loader_never_raises_and_fails_closed(text: str) -> None:
    path = Path(tempfile.mkdtemp()) / "policy.yaml"
    path.write_text(text)
    policy = load_policy({}, str(path))
    if policy.broken:
        assert str(path) in policy.broken
        assert policy.package("anything", "1.0") is not None


def test_an_unreadable_requirement_says_where_in_plain_words() -> None:
    for text, words in [
        ("pan das", "it cannot be read from 'das' on"),
        ("pandas[", "it ends too soon"),
        ("pandas==2..0", "it cannot be read from '..0' on"),
    ]:
        error = refusal(lambda: parse_requirement(text))  # noqa: B023 - called at once
        assert error is not None
        assert words in error.message
        # Not the parser's three lines of terms and carets.
        assert "\n" not in error.message
        assert "Expected" not in error.message
