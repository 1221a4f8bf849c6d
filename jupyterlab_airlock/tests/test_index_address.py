"""The index's address: the secret travels as the Basic auth password, never in the path."""

from __future__ import annotations

import base64

import pytest

from jupyterlab_airlock.index_address import IndexAddress, without_credentials

SECRET = "ab" * 32
ADDRESS = IndexAddress(SECRET, "/user/alice/airlock/", lambda: "http://127.0.0.1:8888")


def basic(credentials: bytes) -> str:
    return "Basic " + base64.b64encode(credentials).decode()


def test_the_url_carries_the_secret_as_its_password_and_the_path_none() -> None:
    assert ADDRESS.url() == f"http://airlock:{SECRET}@127.0.0.1:8888/user/alice/airlock/index/"
    assert SECRET not in ADDRESS.path
    assert without_credentials(ADDRESS.url()) == "http://127.0.0.1:8888/user/alice/airlock/index/"
    assert (
        ADDRESS.hide(ADDRESS.url()) == "http://airlock:***@127.0.0.1:8888/user/alice/airlock/index/"
    )


@pytest.mark.parametrize(
    ("header", "admitted"),
    [
        (basic(f"airlock:{SECRET}".encode()), True),
        (basic(f"anyone:{SECRET}".encode()), True),
        (basic(f"{SECRET}:".encode()), False),  # the secret as the user name is not enough
        (basic(f"airlock:{SECRET}0".encode()), False),
        (basic(b"airlock:\xff"), False),
        ("Basic not-base64!", False),
        (f"token {SECRET}", False),
        (f"Bearer {SECRET}", False),
        ("", False),
        (None, False),
    ],
)
def test_only_the_secret_as_basic_password_is_admitted(header: str | None, admitted: bool) -> None:
    assert ADDRESS.admits(header) is admitted
