"""pip.conf, .condarc, .npmrc, uv.toml and Jupyter's JSON: read them as their tools do,
change only Airlock's keys.

Airlock owns a fixed set of keys in each file (``owned.OWNED``). A merge removes those keys and
writes the profile's values for them; every other line keeps its bytes, comments included.
The merged text is parsed again and compared with what it must mean; in the rare layout the
line editing cannot handle (odd indentation, YAML anchors or flow style at the top level),
the file is written in full from the parsed settings instead, which keeps every setting but
not the comments (the caller says so; the backup has the original).
"""

from __future__ import annotations

import configparser
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from .files import ConfigFormatError, Merged
from .owned import OWNED
from .toolfiles import merge_jupyter, merge_uv, parse_jupyter, parse_uv

__all__ = ["ConfigFormatError", "Merged", "merge", "parse", "pip_key"]

# The section of pip.conf that applies to every pip command.
PIP_SECTION = "global"


def parse(tool: str, text: str) -> dict[str, Any]:
    """The settings in ``text`` as ``tool`` reads them; ConfigFormatError if it cannot."""
    return _FORMATS[tool][0](text)


def merge(tool: str, text: str, values: dict[str, Any]) -> Merged:
    """``text`` with Airlock's keys set to ``values`` (and removed where absent)."""
    return _FORMATS[tool][1](text, values)


# --- pip.conf -------------------------------------------------------------------------------


def pip_key(name: str) -> str:
    """A pip option name as pip compares them (lower case, dashes, no leading ``--``)."""
    return name.lower().replace("_", "-").removeprefix("--")


class _PipParser(configparser.RawConfigParser):
    """pip's own parser: keys normalized as pip does, so the same duplicates are refused."""

    def optionxform(self, optionstr: str) -> str:
        return pip_key(optionstr)


def _parse_pip(text: str) -> dict[str, Any]:
    parser = _PipParser()
    try:
        parser.read_string(text)
    except configparser.Error as error:
        raise ConfigFormatError(_ini_reason(error)) from error
    return {section: dict(parser.items(section)) for section in parser.sections()}


def _ini_reason(error: configparser.Error) -> str:
    """configparser's complaint in one line, in pip's terms."""
    if isinstance(error, configparser.MissingSectionHeaderError):
        return (
            f"line {error.lineno} comes before any [section] header; pip's settings go "
            "under [global]"
        )
    if isinstance(error, configparser.DuplicateOptionError):
        return (
            f"'{error.option}' is set twice in [{error.section}] (line {error.lineno}; pip "
            "treats '_' and '-' alike), which pip refuses"
        )
    if isinstance(error, configparser.DuplicateSectionError):
        return f"[{error.section}] appears twice (line {error.lineno}), which pip refuses"
    if isinstance(error, configparser.ParsingError):
        numbers = ", ".join(str(number) for number, _ in error.errors)
        return f"line {numbers} is neither a [section] header nor 'key = value'"
    return str(error).splitlines()[0]


def _pip_value(value: Any) -> str:
    """A value as configparser returns it: pip lists one item per line (pip's multi-line form)."""
    if isinstance(value, list):
        return "".join(f"\n{item}" for item in value)
    return "true" if value is True else str(value)


_SECTION = re.compile(r"\[(?P<header>.+)\]")  # as configparser matches a stripped line
_OPTION = re.compile(r"(?P<option>.*?)\s*[=:]")


@dataclass
class _Option:
    section: str
    key: str
    start: int
    end: int  # one past its last line


def _ini_options(lines: list[str]) -> list[_Option]:
    """Where each option of an INI text is, following configparser's rules.

    A line indented deeper than its option continues the value; blank and comment lines
    never end a value, but they only belong to it when more of the value follows.
    """
    options: list[_Option] = []
    section = ""
    indent = 0
    current: _Option | None = None
    for number, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        level = len(line) - len(line.lstrip())
        if current is not None and level > indent:
            current.end = number + 1
            continue
        indent = level
        header = _SECTION.match(stripped)
        if header:
            section = header["header"]
            current = None
        else:
            option = _OPTION.match(stripped)
            current = _Option(
                section, pip_key(option["option"] if option else stripped), number, number + 1
            )
            options.append(current)
    return options


def _merge_pip(text: str, values: dict[str, Any]) -> Merged:
    original = _parse_pip(text)
    owned = OWNED["pip"]
    expected = {name: dict(items) for name, items in original.items()}
    section = expected.setdefault(PIP_SECTION, {})
    for key in owned:
        section.pop(key, None)
        if key in values:
            section[key] = _pip_value(values[key])
    if not section and PIP_SECTION not in original:
        del expected[PIP_SECTION]

    lines = _lines(text)
    options = [option for option in _ini_options(lines) if option.section == PIP_SECTION]
    dropped = {n for o in options if o.key in owned for n in range(o.start, o.end)}
    added = [_pip_lines(key, values[key]) for key in owned if key in values]
    header = next((n for n, line in enumerate(lines) if _is_pip_section(line)), None)
    if header is None:
        merged = list(lines)
        if added:
            merged += ["\n"] if merged else []
            merged += [f"[{PIP_SECTION}]\n", *added]
    else:
        insert_at = max([header + 1] + [option.end for option in options])
        merged = [line for n, line in enumerate(lines[:insert_at]) if n not in dropped]
        merged += added
        merged += [line for n, line in enumerate(lines) if n >= insert_at and n not in dropped]
    new_text = "".join(merged)
    if _parses_to("pip", new_text, expected):
        return Merged(new_text, layout_kept=True)
    parser = _PipParser()
    parser.read_dict(expected)
    buffer = io.StringIO()
    parser.write(buffer)
    return Merged(buffer.getvalue(), layout_kept=False)


def _is_pip_section(line: str) -> bool:
    header = _SECTION.match(line.strip())
    return header is not None and header["header"] == PIP_SECTION


def _pip_lines(key: str, value: Any) -> str:
    if isinstance(value, list):
        return f"{key} =\n" + "".join(f"    {item}\n" for item in value)
    return f"{key} = {_pip_value(value)}\n"


# --- .condarc -------------------------------------------------------------------------------


def _parse_conda(text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        context = f"{error.context}: " if error.context else ""
        raise ConfigFormatError(f"{context}{error.problem}{where}") from error
    except yaml.YAMLError as error:
        raise ConfigFormatError(str(error)) from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigFormatError(
            f"its top level is a {type(data).__name__}, not a mapping of settings (key: value)"
        )
    return data


class _CondaDumper(yaml.SafeDumper):
    """Indents lists under their key, as ``conda config`` writes them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _dump_conda(values: dict[str, Any]) -> str:
    return yaml.dump(
        values, Dumper=_CondaDumper, default_flow_style=False, sort_keys=False, allow_unicode=True
    )


_YAML_KEY = re.compile(r"""(?P<key>"[^"]*"|'[^']*'|[^\s#'"][^:#]*?)\s*:(\s|$)""")


def _merge_conda(text: str, values: dict[str, Any]) -> Merged:
    original = _parse_conda(text)
    owned = OWNED["conda"]
    expected = {key: value for key, value in original.items() if key not in owned} | values

    # A top-level key's block runs to the next line starting in column 0 with anything but a
    # comment or a list item (YAML lets a key's list start in column 0 too). Blank and comment
    # lines after an owned block's last line stay: they usually introduce the next key.
    lines = _lines(text)
    dropped: set[int] = set()
    owned_end: int | None = None  # one past the last line of the owned block being read
    for number, line in enumerate(lines):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0] in " \t" or line.startswith(("- ", "-\t", "-\n", "-\r")):
            if owned_end is not None:
                dropped.update(range(owned_end, number + 1))
                owned_end = number + 1
            continue
        match = _YAML_KEY.match(line)
        if match and match["key"].strip("'\"") in owned:
            dropped.add(number)
            owned_end = number + 1
        else:
            owned_end = None
    new_text = "".join(line for n, line in enumerate(lines) if n not in dropped)
    new_text += _dump_conda(values) if values else ""
    if _parses_to("conda", new_text, expected):
        return Merged(new_text, layout_kept=True)
    return Merged(_dump_conda(expected) if expected else "", layout_kept=False)


# --- .npmrc ---------------------------------------------------------------------------------

_NPM_SETTING = re.compile(r"\s*(?P<key>[^=]*?)\s*(=\s*(?P<value>.*?))?\s*$")


def _npm_lines(text: str) -> list[tuple[str | None, str]]:
    """(top-level key or None, line) for each line; npm ignores keys below a [section]."""
    result: list[tuple[str | None, str]] = []
    in_section = False
    for line in _lines(text):
        stripped = line.strip()
        in_section = in_section or (stripped.startswith("[") and stripped.endswith("]"))
        comment = not stripped or stripped.startswith(("#", ";"))
        setting = _NPM_SETTING.match(line)
        key = setting["key"] if setting and not comment and not in_section else None
        result.append((key, line))
    return result


def _parse_npm(text: str) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for key, line in _npm_lines(text):
        if key is not None:
            setting = _NPM_SETTING.match(line)
            # npm reads a bare key as true, as its ini parser does.
            value = setting["value"] if setting and setting["value"] is not None else True
            settings[key] = value
    return settings


def _merge_npm(text: str, values: dict[str, Any]) -> Merged:
    owned = OWNED["npm"]
    lines = _npm_lines(text)
    # Above the first [section], since npm reads only top-level keys.
    first_section = next(
        (n for n, (key, line) in enumerate(lines) if key is None and line.strip().startswith("[")),
        len(lines),
    )
    kept = [(n, line) for n, (key, line) in enumerate(lines) if key not in owned]
    added = [f"{key}={values[key]}\n" for key in owned if key in values]
    before = [line for n, line in kept if n < first_section]
    after = [line for n, line in kept if n >= first_section]
    return Merged("".join(before + added + after), layout_kept=True)


# --- shared ---------------------------------------------------------------------------------

_FORMATS: dict[
    str, tuple[Callable[[str], dict[str, Any]], Callable[[str, dict[str, Any]], Merged]]
] = {
    "pip": (_parse_pip, _merge_pip),
    "conda": (_parse_conda, _merge_conda),
    "npm": (_parse_npm, _merge_npm),
    "uv": (parse_uv, merge_uv),
    "jupyter": (parse_jupyter, merge_jupyter),
}


def _lines(text: str) -> list[str]:
    """The lines of ``text`` with their endings, the last one ended too, so more can follow."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    return lines


def _parses_to(tool: str, text: str, expected: dict[str, Any]) -> bool:
    try:
        return parse(tool, text) == expected
    except ConfigFormatError:
        return False
