"""A profile is described once, in ``profile.schema.json``: the server validates profiles
with it, openapi.yaml refers to it, and JupyterLab's settings schema embeds a copy that
``jlpm build:schema`` writes (settings schemas cannot refer to another file)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

import jupyterlab_airlock

PACKAGE = Path(jupyterlab_airlock.__file__).parent
PROFILE_SCHEMA = PACKAGE / "profile.schema.json"
SETTINGS_SCHEMA = PACKAGE.parent / "schema" / "plugin.json"
SPEC = PACKAGE / "openapi.yaml"


def profile_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(PROFILE_SCHEMA.read_text())
    return schema


def test_the_settings_embed_the_profile_schema_as_written() -> None:
    profile = profile_schema()
    profile.pop("$schema")
    settings = json.loads(SETTINGS_SCHEMA.read_text())

    assert settings["definitions"]["profile"] == profile, (
        "schema/plugin.json's definitions.profile is written from "
        "jupyterlab_airlock/profile.schema.json: edit that file, then run `jlpm build:schema`"
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


def test_the_api_refers_to_the_profile_schema_and_spells_out_no_profile() -> None:
    spec = yaml.safe_load(SPEC.read_text())
    profile_keys = set(profile_schema()["properties"])

    assert spec["components"]["schemas"]["Profile"] == {"$ref": PROFILE_SCHEMA.name}
    copies = [
        where
        for where, properties in _property_maps(spec, "")
        if len(profile_keys & set(properties)) > 3
    ]
    assert copies == [], f"{SPEC.name} describes a profile's keys itself at {copies}"


def _property_maps(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            yield where, node["properties"]
        for key, value in node.items():
            yield from _property_maps(value, f"{where}/{key}")
    elif isinstance(node, list):
        for position, value in enumerate(node):
            yield from _property_maps(value, f"{where}/{position}")


def test_the_profile_schema_is_written_in_what_draft_7_and_openapi_3_0_share() -> None:
    """JupyterLab and the server read it as JSON Schema draft 7, the OpenAPI tools (types,
    response checks, schemathesis) as an OpenAPI 3.0 schema object: it must mean the same
    to both."""
    jsonschema.Draft7Validator.check_schema(profile_schema())
    validate(yaml.safe_load(SPEC.read_text()), base_uri=SPEC.as_uri())


def test_a_draft_7_only_keyword_in_the_profile_schema_is_caught(tmp_path: Path) -> None:
    # Draft 7's numeric exclusiveMinimum is a boolean in OpenAPI 3.0 (and draft 4).
    shutil.copy(SPEC, tmp_path / SPEC.name)
    profile = profile_schema()
    profile["properties"]["pip"]["properties"]["timeout"]["exclusiveMinimum"] = 0
    (tmp_path / PROFILE_SCHEMA.name).write_text(json.dumps(profile))
    spec = tmp_path / SPEC.name

    with pytest.raises(OpenAPIValidationError, match="exclusiveMinimum"):
        validate(yaml.safe_load(spec.read_text()), base_uri=spec.as_uri())
