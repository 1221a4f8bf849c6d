"""JupyterLab's settings and the server agree on what a profile is."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

import jupyterlab_airlock

PACKAGE = Path(jupyterlab_airlock.__file__).parent
SETTINGS_SCHEMA = PACKAGE.parent / "schema" / "plugin.json"


def test_the_settings_embed_the_servers_profile_schema() -> None:
    server = json.loads((PACKAGE / "profile.schema.json").read_text())
    server.pop("$schema")
    settings = json.loads(SETTINGS_SCHEMA.read_text())

    assert settings["definitions"]["profile"] == server, (
        "schema/plugin.json must embed jupyterlab_airlock/profile.schema.json verbatim "
        "(JupyterLab's settings schemas cannot reference another file)"
    )


def test_the_settings_schema_accepts_profiles_and_refuses_unknown_keys() -> None:
    settings = json.loads(SETTINGS_SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(settings)
    good = {
        "profiles": [{"name": "corp", "pip": {"index-url": "https://nexus.corp/simple/"}}],
        "activeProfile": "corp",
    }

    assert list(validator.iter_errors(good)) == []
    bad = {"profiles": [{"name": "corp", "pip": {"index_url": "https://x/"}}]}
    assert list(validator.iter_errors(bad)) != []
