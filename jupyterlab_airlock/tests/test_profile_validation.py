"""Validating one profile: the schema, the URL rules, and messages that name key and fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import jupyterlab_airlock
from jupyterlab_airlock.errors import AirlockError
from jupyterlab_airlock.profiles import load_profiles, validate_profile

FULL_PROFILE: dict[str, Any] = {
    "name": "corp",
    "description": "The corporate Nexus",
    "ca_bundle": "/etc/ssl/corp-ca.pem",
    "offline": False,
    "pip": {
        "index-url": "https://nexus.corp.example/repository/pypi/simple/",
        "extra-index-url": ["https://nexus.corp.example/repository/internal/simple/"],
        "trusted-host": ["nexus.corp.example", "10.0.0.5:8081", "[::1]:8080"],
        "timeout": 60,
    },
    "conda": {
        "channels": ["conda-forge", "https://nexus.corp.example/repository/conda/main"],
        "channel_alias": "https://nexus.corp.example/repository/conda",
        "custom_channels": {"internal": "https://conda.corp.example"},
        "default_channels": ["https://nexus.corp.example/repository/conda/main"],
        "ssl_verify": True,
    },
    "proxy": {
        "http": "http://proxy.corp.example:3128",
        "https": "http://proxy.corp.example:3128",
        "no_proxy": [".corp.example", "localhost"],
    },
    "npm": {"registry": "https://nexus.corp.example/repository/npm/"},
    "source": {
        "kind": "s3",
        "endpoint_url": "https://minio.corp.example",
        "bucket": "read",
        "prefix": "approved/",
        "region": "eu-west-1",
        "aws_profile": "airgap",
    },
}


def refusal(raw: Any) -> str:
    with pytest.raises(AirlockError) as caught:
        validate_profile(raw)
    assert caught.value.code == "invalid-profile"
    assert caught.value.status == 400
    return caught.value.message


def test_a_complete_profile_is_valid_and_returned_as_a_copy() -> None:
    profile = validate_profile(FULL_PROFILE)

    assert profile == FULL_PROFILE
    profile["pip"]["trusted-host"].append("changed")
    assert "changed" not in FULL_PROFILE["pip"]["trusted-host"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"name": "x", "pip_index": "https://a/"}, "Profile 'x' has unknown keys: pip_index"),
        (
            {"name": "x", "pip": {"index_url": "https://a/"}},
            "Profile 'x': 'pip' has unknown keys: index_url (allowed: extra-index-url,",
        ),
        (
            {"name": "x", "source": {"kind": "folder", "path": "/x", "secret_key": "k"}},
            "Profile 'x': 'source' has unknown keys: secret_key",
        ),
        ({"name": "x", "pip": {"timeout": "slow"}}, "'pip.timeout' must be a number, not text"),
        ({"name": "x", "pip": {"timeout": 0}}, "'pip.timeout' is 0, which is not valid"),
        ({"name": "x", "offline": "yes"}, "'offline' must be true or false, not text"),
        ({"name": "x", "conda": {"channels": "main"}}, "'conda.channels' must be a list"),
        ({"name": "x", "source": {"kind": "s3"}}, "'source' of kind 's3' needs 'bucket'"),
        ({"name": "x", "source": {"kind": "folder"}}, "'source' of kind 'folder' needs 'path'"),
        ({"name": "x", "source": {"kind": "ftp"}}, "'source.kind' is \"ftp\", which is not"),
        ({"name": "x", "source": {}}, "Profile 'x': 'source' needs 'kind', 'bucket'."),
        (
            {"name": "x", "source": {"kind": "folder", "path": "/x", "bucket": "b"}},
            "Profile 'x': 'source' has unknown keys: bucket (allowed: kind, path).",
        ),
        (
            {"name": "x", "pip": {"trusted-host": ["https://nexus"]}},
            "'pip.trusted-host[0]' is \"https://nexus\", which is not valid: A host name",
        ),
        (
            {"name": "x", "proxy": {"no_proxy": ["a,b"]}},
            "'proxy.no_proxy[0]' is \"a,b\", which is not valid",
        ),
        ({"description": "no name"}, "A profile needs 'name'"),
        ("corp", "A profile must be a mapping of settings, not text"),
        (
            {"name": "x", "ca_bundle": "certs/ca.pem"},
            "'ca_bundle' ('certs/ca.pem') must be an absolute path",
        ),
        (
            {"name": "x", "advisories": "osv/PyPI.zip"},
            "'advisories' ('osv/PyPI.zip') is a key of the artifact source, and the profile has",
        ),
        (
            {"name": "x", "source": {"kind": "folder", "path": "/x"}, "advisories": "/osv.zip"},
            "'advisories' is \"/osv.zip\", which is not valid",
        ),
    ],
)
def test_a_wrong_profile_is_refused_naming_the_key(raw: Any, expected: str) -> None:
    assert expected in refusal(raw)


@pytest.mark.parametrize(
    ("key", "section", "url", "expected"),
    [
        ("index-url", "pip", "ftp://mirror/simple/", "uses ftp://; it must start with http"),
        ("index-url", "pip", "mirror/simple/", "uses no scheme"),
        ("index-url", "pip", "file:///srv/wheels", "file:// URL, which is not supported"),
        ("registry", "npm", "https://nexus:port/npm/", "is not a valid URL"),
        ("http", "proxy", "http:///nohost", "has no host name"),
        ("channel_alias", "conda", "https://conda corp/", "contains spaces"),
    ],
)
def test_a_bad_url_is_refused_naming_the_key(
    key: str, section: str, url: str, expected: str
) -> None:
    message = refusal({"name": "x", section: {key: url}})

    assert message.startswith(f"Profile 'x': '{section}.{key}' ('{url}') ")
    assert expected in message


def test_a_url_with_a_password_is_refused_without_repeating_the_password() -> None:
    message = refusal(
        {
            "name": "x",
            "pip": {"extra-index-url": ["https://bob:hunter2@nexus/simple/"]},
            "conda": {"channels": ["main", "https://token@conda.corp/main"]},
            "source": {"kind": "s3", "bucket": "b", "endpoint_url": "https://key:s3cr3t@minio/"},
        }
    )

    assert "'pip.extra-index-url[0]' ('https://***@nexus/simple/') contains a user name" in message
    assert "'conda.channels[1]' ('https://***@conda.corp/main')" in message
    assert "'source.endpoint_url' ('https://***@minio/')" in message
    assert "no secrets in profiles; use the credential chain or a netrc/keyring" in message
    assert "hunter2" not in message
    assert "token" not in message
    assert "s3cr3t" not in message


def test_file_urls_are_refused_for_conda_channels_too() -> None:
    message = refusal({"name": "x", "conda": {"channels": ["file:///srv/channel"]}})

    assert "'conda.channels[0]' ('file:///srv/channel') is a file:// URL" in message


def test_every_problem_is_named_at_once() -> None:
    message = refusal(
        {"name": "x", "color": "red", "pip": {"index-url": "ftp://a/", "timeout": "slow"}}
    )

    assert "unknown keys: color" in message
    assert "'pip.index-url'" in message
    assert "'pip.timeout'" in message


def test_load_profiles_leaves_an_invalid_profile_out_and_names_it() -> None:
    profiles = load_profiles(
        [{"name": "good"}, {"name": "bad", "proxy": {"https": "https://u:p@proxy:3128"}}], "good"
    )

    assert sorted(profiles.profiles) == ["good"]
    assert len(profiles.problems) == 1
    assert profiles.problems[0].startswith("Profile 'bad': 'proxy.https' ('https://***@proxy")
    assert profiles.problems[0].endswith("It was ignored.")


def schema() -> dict[str, Any]:
    path = Path(jupyterlab_airlock.__file__).parent / "profile.schema.json"
    loaded: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return loaded


def walk(node: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every (path, subschema) of the property tree."""
    found = [(where, node)]
    for key, sub in node.get("properties", {}).items():
        found += walk(sub, f"{where}.{key}")
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            found += walk(node[key], f"{where}[{key}]")
    for index, branch in enumerate(node.get("oneOf", [])):
        if "properties" in branch:
            found += walk(branch, f"{where}[oneOf {index}]")
    return found


def test_the_schema_is_self_contained_and_closed_for_the_settings_editor() -> None:
    text = json.dumps(schema())
    assert "$ref" not in text

    for where, node in walk(schema()):
        assert "description" in node, f"{where} needs a description for the Settings Editor"
        # An object of one of several shapes (the artifact source) is closed by each.
        if node.get("type") == "object" and where != ".conda.custom_channels":
            closed = node.get("additionalProperties") is False or "oneOf" in node
            assert closed, f"{where} must be closed"
