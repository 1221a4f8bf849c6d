"""pip, as Airlock runs it where uv cannot serve (the bundle builder's ``pip download``
for another platform, ``pip inspect``): the server's own pip acting on an interpreter (as
``pip --python`` does), with the user's pip config, proxies and caches kept out, and its
answers read into plain words. Also the requirement checks and pins files that the uv
runs share.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from .errors import AirlockError


def _pip_runner() -> str:
    spec = find_spec("pip")
    if spec is None or spec.origin is None:
        raise RuntimeError("pip is not installed beside the Jupyter server: Airlock needs it.")
    return str(Path(spec.origin).parent / "__pip-runner__.py")


_PIP_RUNNER = _pip_runner()
# Variables that would point pip somewhere else than the files Airlock chose.
_DROPPED = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV")
# Proxy variables, whatever their case.
PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy", "no_proxy"})

_NOT_FOUND = re.compile(
    r"Could not find a version that satisfies the requirement (?P<requirement>.+?)"
    r"(?: \(from (?P<by>[^()]*)\))? \(from versions: (?P<versions>[^)]*)\)"
)
# pip's resolver names the requirements it could not reconcile, one indented line each.
_CONFLICT = re.compile(r"The conflict is caused by:\n(?P<causes>(?:[ \t]+\S.*\n?)+)")
_OTHER_PYTHON = re.compile(
    r"Package '(?P<name>[^']+)' requires a different Python: (?P<has>\S+) not in '(?P<wants>[^']+)'"
)


def pip_command(python: str, *arguments: str) -> list[str]:
    """``pip <arguments>`` run by the server's pip inside interpreter ``python``.

    ``pip --python`` starts pip, which starts ``python`` on pip's runner script (so that
    only this copy of pip is importable there, not the server's packages); pip's build
    environments run the same script. Running it directly saves a pip start, a third of a
    second, twice per install.
    """
    return [
        python,
        _PIP_RUNNER,
        "--disable-pip-version-check",
        "--no-input",
        "--no-color",
        *arguments,
    ]


def pip_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The process environment for pip: no user config, no PIP_* or proxy variables."""
    source = os.environ if base is None else base
    env = {
        name: value
        for name, value in source.items()
        if not name.startswith("PIP_")
        and name not in _DROPPED
        and name.lower() not in PROXY_VARIABLES
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PYTHONUTF8"] = "1"
    return env


def parse_requirement(text: str, where: str | None = None) -> Requirement:
    """A requirement someone wrote, such as ``pandas>=2``: a name with versions, extras and
    markers, nothing else. ``where`` (a file and line, say) starts the message.

    Options (``--index-url``, ``--hash``, ``-e`` ...) and URLs are refused, so that what
    is written cannot change where the files come from.
    """
    shown = text.strip()
    said = f"{where}: {shown!r}" if where else repr(shown)
    if re.search(r"(^|\s)--?[A-Za-z]", shown):
        raise AirlockError(
            "invalid-requirement",
            f"{said} holds a pip option; give requirements only, such as pandas>=2.",
        )
    try:
        requirement = Requirement(shown)
    except InvalidRequirement as error:
        raise AirlockError(
            "invalid-requirement",
            f"{said} is not a requirement pip understands: {_where_unreadable(error, shown)}. "
            "Write it like pandas>=2 or numpy==1.26.4.",
        ) from None
    if requirement.url:
        raise AirlockError(
            "invalid-requirement",
            f"{said} names a URL; files come from the index only: give the package name "
            "and version.",
        )
    return requirement


def _where_unreadable(error: InvalidRequirement, text: str) -> str:
    """Where ``text`` stops making sense, in words, from the caret under the text that the
    parser's message draws (its raw message is three lines of parser terms)."""
    lines = str(error).splitlines()
    if len(lines) < 3 or "^" not in lines[-1]:
        return "it cannot be read"
    echoed, marks = lines[-2], lines[-1]
    at = marks.index("^") - (len(echoed) - len(echoed.lstrip()))
    rest = text[at:] if 0 <= at <= len(text) else ""
    if not rest.strip():
        return "it ends too soon (a version or a closing bracket is missing)"
    return f"it cannot be read from {rest!r} on"


@dataclass(frozen=True)
class Missing:
    requirement: str
    needed_by: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "requirement": self.requirement,
            "needed_by": self.needed_by,
            "message": self.message,
        }


def lacking(missing: Sequence[Missing]) -> str:
    """``missing`` in one line: "b>=1 (needed by a); c"."""
    return "; ".join(
        item.requirement + (f" (needed by {item.needed_by})" if item.needed_by else "")
        for item in missing
    )


def explain_failure(output: str) -> tuple[list[Missing], list[str]]:
    """What a failed pip run means: requirements the source lacks, and other problems."""
    missing: list[Missing] = []
    problems: list[str] = []
    for match in _NOT_FOUND.finditer(output):
        requirement, by = match["requirement"], match["by"]
        versions = match["versions"].strip()
        message = f"{requirement}, needed by {by}," if by else requirement
        message += " is not in the artifact source"
        if versions and versions != "none":
            message += f" (it holds only {versions})"
        missing.append(Missing(requirement, by, message + "."))
    for match in _OTHER_PYTHON.finditer(output):
        problems.append(
            f"{match['name']} needs Python {match['wants']}; the kernel runs {match['has']}."
        )
    if conflict := _CONFLICT.search(output):
        causes = [line.strip() for line in conflict["causes"].splitlines() if line.strip()]
        problems.append(f"the requirements conflict: {'; '.join(causes)}.")
    if not missing and not problems:
        problems.append(_pip_errors(output))
    return missing, problems


def _pip_errors(output: str) -> str:
    """pip's own explanation: its ERROR lines and what follows them, trimmed."""
    lines = [line.rstrip() for line in output.splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if line.startswith("ERROR")), None)
    chosen = lines[start:] if start is not None else lines[-5:]
    text = "\n".join(chosen[:20])
    return text or "pip failed without saying why."


def pins(items: Sequence[tuple[str, str, str]]) -> str:
    """A requirements file pinning ``(name, version, sha256)`` for ``--require-hashes``."""
    return "".join(f"{name}=={version} --hash=sha256:{sha256}\n" for name, version, sha256 in items)
