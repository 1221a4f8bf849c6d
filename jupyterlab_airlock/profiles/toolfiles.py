"""uv's ``uv.toml`` and the Jupyter server's ``jupyter_server_config.json``: read them as
their tools do, change only Airlock's keys (``owned.OWNED``), keep the rest.

uv.toml is edited with tomlkit, which keeps the user's comments and layout; the result is
read back with the standard TOML parser (what uv's own parser accepts) and, in the rare
case it does not mean what it must, the file is written in full instead. Jupyter's JSON
has no comments to keep: it is written with two-space indentation, keys in their order.
Servers started afterwards read it (``c.PyPIExtensionManager.base_url``, the index the
Extension Manager lists and reads extensions from; ``c.LabApp.extension_manager``).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import tomlkit
import tomlkit.exceptions

from .files import ConfigFormatError, Merged
from .owned import OWNED

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the same parser, from PyPI, before Python 3.11
    import tomli as tomllib  # type: ignore[import-not-found]


# --- uv.toml --------------------------------------------------------------------------------


def parse_uv(text: str) -> dict[str, Any]:
    try:
        settings: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigFormatError(str(error)) from error
    return settings


def merge_uv(text: str, values: dict[str, Any]) -> Merged:
    original = parse_uv(text)
    owned = OWNED["uv"]
    expected = {key: value for key, value in original.items() if key not in owned} | values
    try:
        document = tomlkit.parse(text)
        for key in owned:
            document.pop(key, None)
        # Top-level keys must come before the first [table]; tomlkit places them there.
        for key in owned:
            if key in values:
                document[key] = values[key]
        new_text = tomlkit.dumps(document)
        if parse_uv(new_text) == expected:
            return Merged(new_text, layout_kept=True)
    except (tomlkit.exceptions.TOMLKitError, ConfigFormatError):
        pass
    return Merged(tomlkit.dumps(expected), layout_kept=False)


# --- jupyter_server_config.json -------------------------------------------------------------


def parse_jupyter(text: str) -> dict[str, Any]:
    """Settings as ``{"Section.trait": value}`` (``Section`` a configurable class)."""
    document = _jupyter_document(text)
    return {
        f"{section}.{trait}": value
        for section, traits in document.items()
        if isinstance(traits, dict)
        for trait, value in traits.items()
    }


def merge_jupyter(text: str, values: dict[str, Any]) -> Merged:
    document = _jupyter_document(text)
    changed = False
    for key in OWNED["jupyter"]:
        section, trait = key.split(".", 1)
        traits = document.get(section)
        if isinstance(traits, dict) and trait in traits:
            changed = True
            del traits[trait]
            if not traits:
                del document[section]
        if key in values:
            changed = True
            document.setdefault(section, {})[trait] = values[key]
    if not changed:
        return Merged(text, layout_kept=True)
    # JSON holds no comments, so nothing of the user's is lost by writing it in full.
    return Merged(_dump_json(document) if document else "", layout_kept=True)


def _jupyter_document(text: str) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        document = json.loads(text)
    except ValueError as error:
        raise ConfigFormatError(f"it is not valid JSON ({error})") from error
    if not isinstance(document, dict):
        raise ConfigFormatError("its top level is not a JSON object of configurable classes")
    return document


def _dump_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2) + "\n"
