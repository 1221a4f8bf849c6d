"""Writing a DMZ request from a plan that lacks packages: the kernel's facts (its Python,
the platform tags it accepts, what it has installed) asked of its own interpreter, the
document checked as the DMZ will check it, then stored where the admin said
(``c.Airlock.request_location``: a folder, written atomically, or an ``s3://`` prefix) and
audited. The user gets the document either way, to download.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from pathlib import Path
from typing import Any

import botocore.exceptions as boto_errors
from boto3.exceptions import Boto3Error
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..atomic import write_atomic
from ..audit import AuditLog, actor
from ..bundle_format.folder import BundleInputError, now
from ..dmz.document import FORMAT, bundle_command, check_request, file_name
from ..environments.facts import describe_environment
from ..environments.platforms import parse_platform, platform_subdir, supported_tags
from ..errors import AirlockError
from ..s3_write import parse_s3_url, s3_client, s3_problem
from ..trust.gate import judge
from ..trust.policy import Policy
from .dmz_conda import conda_facts, conda_missing
from .plan import Plan

_INTERPRETER = re.compile(r"(?P<implementation>[a-z]+)\d*")


async def write_request(
    plan: Plan,
    *,
    user: str | None,
    audit: AuditLog,
    policy: Policy,
    location: str = "",
    endpoint_url: str = "",
) -> dict[str, Any]:
    """The DMZ request for what ``plan`` lacks, stored at ``location`` if there is one, and
    audited: ``{"id", "document", "file_name", "command", "stored", "problem"}``, where
    ``stored`` says where it went and ``problem`` why it could not go there. The DMZ is
    never asked for a package the admin's policy keeps out."""
    if not plan.missing:
        raise AirlockError(
            "nothing-missing",
            f"This plan for {plan.display_name} lacks nothing: there is nothing to ask the "
            "DMZ for.",
            409,
        )
    described, tags = await asyncio.gather(
        describe_environment(plan.python), supported_tags(plan.python)
    )
    document = request_document(plan, described, tags, actor(user))
    if plan.conda is not None:  # conda packages, planned with py-rattler
        document["missing"] = conda_missing(plan)
        document["requested"] = list(plan.conda.specs)
        document["constraints"] = []
        asked = [*document["requested"], *(m["requirement"] for m in document["missing"])]
        document["conda"] = await conda_facts(plan, {_name(text) for text in asked})
    for text in [*document["requested"], *(m["requirement"] for m in document["missing"])]:
        reason = judge(policy, "request", project=_name(text)).reason
        if reason:
            raise AirlockError(
                "policy-refused", f"{text}: {reason}. The DMZ is not asked for it.", 403
            )
    try:
        check_request(document, "The request")
    except BundleInputError as error:  # what the DMZ would refuse is not sent there
        raise AirlockError("invalid-dmz-request", error.message, 422) from None
    name = file_name(document["id"])
    stored, problem = None, None
    if location:
        data = (json.dumps(document, indent=1) + "\n").encode("utf-8")
        try:
            stored = await _store(location, endpoint_url, name, data)
        except AirlockError as error:
            problem = error.message
    await audit.append(
        "dmz-request",
        user,
        dmz_request=document["id"],
        kernel=plan.kernel,
        prefix=plan.environment["prefix"],
        requested=document["requested"],
        missing=[item["requirement"] for item in document["missing"]],
        stored=stored,
        result="not stored" if problem else "ok",
        **({"problem": problem} if problem else {}),
    )
    return {
        "id": document["id"],
        "document": document,
        "file_name": name,
        "command": bundle_command(document["id"]),
        "stored": stored,
        "problem": problem,
    }


def request_document(
    plan: Plan, described: dict[str, Any], tags: list[str], user: str
) -> dict[str, Any]:
    """The request, from the plan (what is missing, who needs it) and the kernel's facts."""
    missing = [
        {"requirement": item["requirement"], "needed_by": item["needed_by"]}
        for item in plan.missing
    ]
    asked = {canonicalize_name(_name(text)) for text in plan.requested}
    asked |= {canonicalize_name(_name(item["requirement"])) for item in missing}
    return {
        "airlock_request": FORMAT,
        "id": uuid.uuid4().hex,
        "created": now(),
        "user": user[:200],
        "kernel": {
            "name": plan.kernel,
            "display_name": plan.display_name[:200],
            "environment": described["kind"],
        },
        "target": target_facts(described["version"], tags),
        "requested": list(plan.requested),
        "missing": missing,
        # What the kernel has and the request does not replace: what comes back fits it.
        "constraints": sorted(
            pin
            for package in described["packages"]
            if package["ecosystem"] == "pypi" and canonicalize_name(package["name"]) not in asked
            for pin in [_pin(package)]
            if pin is not None
        ),
    }


def target_facts(full_version: str, tags: list[str]) -> dict[str, Any]:
    """The kernel's target as its wheel tags (best first) tell it."""
    interpreter, abi, _ = tags[0].split("-")
    match = _INTERPRETER.fullmatch(interpreter)
    platforms = list(dict.fromkeys(tag.rsplit("-", 1)[1] for tag in tags))
    platforms = [platform for platform in platforms if platform != "any"] or ["any"]
    # Portable tags first (an interpreter without packaging lists linux_x86_64 first):
    # the first one names the target in the DMZ's messages.
    platforms.sort(key=lambda platform: platform.startswith("linux_"))
    glibc = [
        parsed.version
        for parsed in map(parse_platform, platforms)
        if parsed.libc == "glibc" and parsed.version
    ]
    major, minor = full_version.split(".")[:2]
    return {
        "python_version": f"{major}.{minor}",
        "python_full_version": full_version,
        "implementation": match["implementation"] if match else interpreter,
        "abi": abi,
        "platforms": platforms,
        "glibc": "{}.{}".format(*max(glibc)) if glibc else None,
        "conda_subdir": platform_subdir(tags),
    }


async def _store(location: str, endpoint_url: str, name: str, data: bytes) -> str:
    """Write the request into the folder or under the s3:// prefix ``location``."""
    if location.startswith("s3://"):
        try:
            bucket, prefix = parse_s3_url(location)
        except BundleInputError:
            raise _misconfigured(location) from None
        key = f"{prefix}/{name}" if prefix else name
        try:
            client = await asyncio.to_thread(s3_client, endpoint_url or None, None)
            await asyncio.to_thread(
                client.put_object,
                Bucket=bucket,
                Key=key,
                Body=data,
                ContentType="application/json",
            )
        except (boto_errors.BotoCoreError, boto_errors.ClientError, Boto3Error) as error:
            where = f"s3://{bucket}/{key}"
            problem = s3_problem(error, bucket, endpoint_url or None)
            raise AirlockError("request-not-stored", f"{where}: {problem}", 502) from None
        return f"s3://{bucket}/{key}"
    folder = Path(location)
    if not folder.is_absolute():
        raise _misconfigured(location)
    if not await asyncio.to_thread(folder.is_dir):
        raise AirlockError(
            "request-not-stored",
            f"The request folder {folder} does not exist (or is not mounted): tell your admin.",
            502,
        )
    try:
        # Readable by the DMZ's user, who is not this one.
        await asyncio.to_thread(write_atomic, folder / name, data, 0o644)
    except OSError as error:
        raise AirlockError(
            "request-not-stored", f"{folder / name}: {error.strerror or error}.", 502
        ) from None
    return str(folder / name)


def _misconfigured(location: str) -> AirlockError:
    return AirlockError(
        "request-not-stored",
        f"c.Airlock.request_location is {location!r}, which is neither an absolute folder "
        "nor s3://BUCKET/PREFIX: tell your admin.",
        500,
    )


def _name(requirement: str) -> str:
    """The package a requirement (``idna>=2.5``) or a conda spec (``numpy=1.26=0``) names."""
    return re.split(r"[\s<>=!~;\[(@]", requirement.strip(), maxsplit=1)[0]


def _pin(package: dict[str, Any]) -> str | None:
    """``name==version`` of an installed package; None for a version PEP 440 cannot read."""
    try:
        return f"{canonicalize_name(package['name'])}=={Version(package['version'])}"
    except InvalidVersion:
        return None
