"""The DMZ request: what a kernel in the air gap lacks, as one small JSON document that the
Jupyter server writes and ``jupyter airlock bundle OUT --from-request REQUEST.json`` reads
in the DMZ (``request.schema.json`` describes it)::

    {"airlock_request": 1, "id": "3f2a...", "created": "2025-01-31T12:00:00Z",
     "user": "alice", "kernel": {"name": "python3", "display_name": "Python 3",
                                 "environment": "venv"},
     "target": {"python_version": "3.11", "python_full_version": "3.11.7",
                "implementation": "cp", "abi": "cp311",
                "platforms": ["manylinux_2_36_x86_64", ..., "linux_x86_64"],
                "glibc": "2.36", "conda_subdir": "linux-64"},
     "requested": ["requests"],
     "missing": [{"requirement": "idna>=2.5,<4", "needed_by": "requests"}],
     "constraints": ["certifi==2024.8.30", ...]}

Both sides check it with the same code: the schema (no unknown field, bounded sizes),
then each requirement as ``parse_requirement`` reads one (no pip options, no URLs), each
platform tag as a bundle's. The DMZ refuses a document by its size before reading it.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..bundle_format.conda_target import CondaTarget, conda_specs, conda_target
from ..bundle_format.folder import BundleInputError, Target, bundle_requirement, parse_target
from ..sizes import size_text

FORMAT = 1
# A request lists what one kernel lacks and what it has: a few kB, tens for a large
# environment. Anything past this is not a request Airlock wrote.
MAX_REQUEST_BYTES = 1 << 20

_WHAT = {
    "id": "32 hexadecimal digits, as Airlock writes it",
    "created": "a UTC time such as 2025-01-31T12:00:00Z",
    "constraints": "name==version",
    "platforms": "a wheel platform tag such as manylinux_2_17_x86_64",
    "name": "a kernel name (letters, digits, '.', '_' and '-')",
    "channels": "a channel URL without user, password or query (https://mirror/conda-forge)",
}


@functools.cache
def request_schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("request.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@dataclass(frozen=True)
class DmzRequest:
    """A request document that passed every check, and what it asks for in parsed form."""

    document: dict[str, Any]
    target: Target
    requirements: tuple[Requirement, ...]  # what is requested, then what is missing
    constraints: tuple[Requirement, ...]
    # A conda request: its platform and virtual packages, its specs (requested, then
    # missing), the kernel's records as name=version=build and the DMZ's channels the
    # kernel was made from (none when it does not know them); None for wheels.
    conda: CondaTarget | None = None
    conda_specs: tuple[str, ...] = ()
    conda_constraints: tuple[str, ...] = ()
    conda_channels: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return str(self.document["id"])

    def describe(self) -> str:
        """The request in messages: "request 3f2a6c1e (Python 3)"."""
        return f"request {self.id[:8]} ({self.document['kernel']['display_name']})"

    def needed_by(self, requirement: str) -> str | None:
        """Who needs ``requirement`` in the air gap, as the plan said."""
        for item in self.document["missing"]:
            if item["requirement"] == requirement:
                return item["needed_by"]  # type: ignore[no-any-return]
        return None


def file_name(request_id: str) -> str:
    """The request's file name, where it is stored and where the user downloads it."""
    return f"dmz-request-{request_id[:8]}.json"


def bundle_command(request_id: str) -> str:
    """The one command to run in the DMZ with the request's file beside it, as it is: the
    request says the rest (a conda request, the DMZ's channels its kernel was made from;
    the DMZ's ``--channel`` replaces them, ``--index-url`` picks a wheel request's index)."""
    out = f"dmz-bundle-{request_id[:8]}"
    return f"jupyter airlock bundle {out} --from-request {file_name(request_id)}"


def read_request(path: Path) -> DmzRequest:
    """The request in file ``path``, checked; ``BundleInputError`` says what is wrong, and
    a file larger than ``MAX_REQUEST_BYTES`` is refused before a byte of it is read."""
    try:
        size = os.stat(path).st_size
        if size <= MAX_REQUEST_BYTES:
            with open(path, "rb") as file:
                data = file.read(MAX_REQUEST_BYTES + 1)  # a file that grew meanwhile
            size = len(data)
    except OSError as error:
        raise BundleInputError(
            f"Cannot read the request {path}: {error.strerror or error}."
        ) from None
    if size > MAX_REQUEST_BYTES:
        raise BundleInputError(
            f"{path} is {size_text(size)}, larger than any Airlock request "
            f"({size_text(MAX_REQUEST_BYTES)} at most): it was not read. Use the file the "
            "air gap wrote."
        )
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise BundleInputError(
            f"{path} is not an Airlock request: it is not JSON ({error})."
        ) from None
    return check_request(parsed, str(path))


def check_request(data: Any, source: str) -> DmzRequest:
    """``data`` as a request, checked against the schema and then as pip (or, for a
    conda request, py-rattler) would read it."""
    error = best_match(Draft202012Validator(request_schema()).iter_errors(data))
    if error is not None:
        raise BundleInputError(f"{source} is not an Airlock request: {_describe(error)}.")
    target = data["target"]
    if "conda" in data:
        return _conda_request(data, source)
    where = f"{source}, "
    requested = [bundle_requirement(text, f"{where}requested") for text in data["requested"]]
    missing = [
        bundle_requirement(item["requirement"], f"{where}missing") for item in data["missing"]
    ]
    if target["implementation"] != "cp":
        raise BundleInputError(
            f"{source} is for a {target['implementation']} interpreter: Airlock's bundles "
            "are for CPython kernels."
        )
    nodot = target["python_version"].replace(".", "")
    if target["abi"] not in (f"cp{nodot}", "abi3", "none"):
        raise BundleInputError(
            f"{source} is for CPython's {target['abi']} build (free-threaded or debug); "
            f"Airlock's bundles are for the default build, cp{nodot}."
        )
    return DmzRequest(
        document=data,
        target=parse_target(target["platforms"], target["python_version"]),
        requirements=tuple(dict.fromkeys([*requested, *missing])),
        constraints=tuple(_constraints(data["constraints"], source)),
    )


def _conda_request(data: dict[str, Any], source: str) -> DmzRequest:
    """A conda kernel's request: conda specs, its machine, its records as constraints."""
    conda = data["conda"]
    specs = [*data["requested"], *(item["requirement"] for item in data["missing"])]
    try:  # plain package specs only: no channel, URL or path
        conda_specs([*specs, *conda["constraints"]])
    except BundleInputError as error:
        raise BundleInputError(f"{source}: {error.message}") from None
    python = data["target"]["python_version"]
    return DmzRequest(
        document=data,
        target=parse_target(data["target"]["platforms"], python),
        requirements=(),
        constraints=(),
        conda=conda_target(conda["subdir"], conda["virtual_packages"]),
        conda_specs=tuple(dict.fromkeys(specs)),
        conda_constraints=tuple(conda["constraints"]),
        conda_channels=tuple(conda.get("channels", ())),
    )


def _constraints(texts: list[str], source: str) -> list[Requirement]:
    """``name==version`` each, with one version a name."""
    found: dict[str, Requirement] = {}
    for text in texts:
        try:
            constraint = Requirement(text)
            Version(next(iter(constraint.specifier)).version)
        except (InvalidRequirement, InvalidVersion):
            raise BundleInputError(
                f"{source}: the constraint {text!r} is not name==version."
            ) from None
        name = canonicalize_name(constraint.name)
        if name in found and found[name] != constraint:
            raise BundleInputError(
                f"{source} pins {constraint.name} twice ({found[name]}, {constraint}): a "
                "kernel has one version of each package."
            )
        found[name] = constraint
    return list(found.values())


def _describe(error: ValidationError) -> str:
    """One schema error in words: where, and what is wrong there."""
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    where = where.lstrip(".") or "the document"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        unknown = sorted(set(error.instance) - set(known))
        return f"{where} has unknown field(s) {', '.join(map(repr, unknown))}"
    if error.validator == "pattern" and isinstance(error.instance, str):
        parts = [p for p in error.absolute_path if isinstance(p, str)]
        if parts and parts[-1] in ("requirement", "requested"):
            try:  # parse_requirement's words for what is wrong (an option, a URL, a path)
                bundle_requirement(error.instance, where)
            except BundleInputError as refused:
                raise BundleInputError(" ".join(refused.message.split())) from None
        what = _WHAT.get(parts[-1] if parts else "", "what this field allows")
        return f"{where} is {error.instance[:80]!r}, which is not {what}"
    if error.validator == "required":
        return f"{where} lacks {error.message.split(' is a required')[0]}"
    return f"{where}: {error.message[:200]}"
