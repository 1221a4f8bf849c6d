"""The signed import chain through the API: who vouches for each file (real OpenSSH
signatures made by ssh-keygen), the offline advisories of an OSV export the test writes, and
the policy's require_signed and deny_advisories at the listing, the plan, the index and
kernel creation.

Real parts: a folder source, wheels built here, a virtual environment per test, pip.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from jupyterlab_airlock.bundle.build import write_bundle
from jupyterlab_airlock.bundle_format.folder import parse_target
from jupyterlab_airlock.trust.signatures import name_folder

from . import condapackages
from .installs import finished, plan, start
from .test_advisories import CRITICAL, export, record
from .test_signatures import SSH_KEYGEN, make_key
from .wheels import make_wheel

PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"
# Each folder of the exchange holds one package, signed (or not) as its name says.
FOLDERS = ("signed", "wrongkey", "expired", "changed", "unsigned")
ADVISORY = record(
    "PYSEC-2026-7",
    "trust-signed",
    [{"introduced": "0"}, {"fixed": "1.1"}],
    aliases=["CVE-2026-7777"],
    summary="Arbitrary code runs when a crafted file is loaded",
    severity=[{"type": "CVSS_V3", "score": CRITICAL}],
)


def sign_folder(folder: Path, key: Path, name: str) -> None:
    """The scanner's step (``jupyter airlock sign`` does the same; test_bundle runs it)."""
    manifest = folder / "SHA256SUMS"
    manifest.write_bytes(name_folder(manifest.read_bytes(), manifest.name, name))
    subprocess.run(
        [SSH_KEYGEN, "-Y", "sign", "-f", str(key), "-n", "airlock", str(manifest)],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def exchange(tmp_path: Path) -> dict[str, Path]:
    keys = tmp_path / "keys"
    keys.mkdir()
    scanner, scanner_public = make_key(keys, "scanner")
    stranger, _ = make_key(keys, "stranger")
    retired, retired_public = make_key(keys, "retired")
    allowed = keys / "allowed_signers"
    allowed.write_text(
        f'scanner@dmz namespaces="airlock" {scanner_public}\n'
        f'retired@dmz namespaces="airlock",valid-before="20200101" {retired_public}\n'
    )
    root = tmp_path / "exchange"
    signers = {"signed": scanner, "wrongkey": stranger, "expired": retired, "changed": scanner}
    for name in FOLDERS:
        folder = root / name
        folder.mkdir(parents=True)
        wheel = make_wheel(folder, f"trust-{name}", "1.0")
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        (folder / "SHA256SUMS").write_text(f"{digest}  {wheel.name}\n")
        if name in signers:
            sign_folder(folder, signers[name], f"{name}/")
    with (root / "changed" / "SHA256SUMS").open("a") as sums:
        sums.write("# one more line after the scan\n")
    # The signed folder's manifest and signature, copied whole beside another copy of its file.
    shutil.copytree(root / "signed", root / "wrong-folder")
    make_wheel(root, "trust-loose", "1.0")
    # A bundle of the affected package, signed by the scanner (its manifest.json is not).
    bundle = root / "bundle"
    bundle.mkdir()
    make_wheel(bundle, "trust-signed", "1.0")
    write_bundle(
        bundle, "trusted", parse_target(["manylinux_2_17_x86_64"], PYTHON), ["trust-signed"]
    )
    sign_folder(bundle, scanner, "bundle/")
    shutil.copytree(bundle, root / "unsigned-bundle", ignore=shutil.ignore_patterns("*.sig"))
    (root / "osv").mkdir()
    export(root / "osv" / "PyPI.zip", {"PYSEC-2026-7.json": ADVISORY})
    return {"root": root, "allowed": allowed}


@pytest.fixture
def policy() -> dict[str, Any]:
    return {}


@pytest.fixture
def advisories() -> str | None:
    return "osv/PyPI.zip"


@pytest.fixture
def airlock_config(
    exchange: dict[str, Path], policy: dict[str, Any], advisories: str | None
) -> dict[str, Any]:
    profile = {
        "name": "exchange",
        "source": {"kind": "folder", "path": str(exchange["root"])},
        **({"advisories": advisories} if advisories else {}),
    }
    return {
        "profiles": [profile],
        "active_profile": "exchange",
        "trusted_signers": str(exchange["allowed"]),
        "policy": policy,
    }


async def listing(jp_fetch: Any, prefix: str) -> dict[str, Any]:
    page: dict[str, Any] = json.loads(
        (await jp_fetch("airlock", "artifacts", params={"prefix": prefix})).body
    )
    return page


async def entry(jp_fetch: Any, prefix: str) -> dict[str, Any]:
    """The one wheel of folder ``prefix``."""
    page = await listing(jp_fetch, prefix)
    wheel: dict[str, Any] = next(e for e in page["entries"] if e["name"].endswith(".whl"))
    return wheel


async def test_the_listing_says_who_vouches_for_each_file(jp_fetch: Any) -> None:
    signed = await entry(jp_fetch, "signed/")
    assert signed["trust"] == {"state": "signed", "principal": "scanner@dmz", "reason": None}
    assert signed["policy"] == {"allowed": True, "reason": None}
    unsigned = await entry(jp_fetch, "unsigned/")
    assert unsigned["trust"] == {"state": "checksum", "principal": None, "reason": None}
    loose = await entry(jp_fetch, "")
    assert loose["trust"]["state"] == "unverified"
    reasons = {
        "wrongkey/": "no trusted signer made this signature",
        "expired/": "no trusted signer made this signature",
        "changed/": "the manifest changed after it was signed",
        "wrong-folder/": "it was signed for folder 'signed/', not for 'wrong-folder/'",
    }
    for prefix, reason in reasons.items():
        trust = (await entry(jp_fetch, prefix))["trust"]
        assert trust["state"] == "bad-signature", prefix
        assert reason in trust["reason"], prefix


@pytest.mark.parametrize("policy", [{"require_signed": True}])
async def test_require_signed_plans_only_signed_files_and_says_why_not(
    jp_fetch: Any, jp_serverapp: Any, kernel: dict[str, Any]
) -> None:
    assert (await entry(jp_fetch, "wrongkey/"))["policy"]["allowed"] is False
    planned = await plan(jp_fetch, kernel["name"], requirements=["trust-signed"])
    assert planned["ok"], planned
    assert planned["steps"][0]["trust"]["principal"] == "scanner@dmz"
    job = await finished(jp_serverapp, jp_fetch, (await start(jp_fetch, planned["id"]))["id"])
    assert job["state"] == "succeeded", job
    reasons = {
        "wrongkey": "no trusted signer made this signature",
        "expired": "no trusted signer made this signature",
        "changed": "the manifest changed after it was signed",
        "unsigned": "is not listed in a manifest signed by a trusted signer",
    }
    for name, reason in reasons.items():
        refused = await plan(jp_fetch, kernel["name"], requirements=[f"trust-{name}"])
        assert not refused["ok"], name
        [message] = [item["message"] for item in refused["refused"]]
        assert "rule 'require_signed'" in message, name
        assert reason in message, name
    copied = "wrong-folder/trust_signed-1.0-py3-none-any.whl"
    refused = await plan(jp_fetch, kernel["name"], keys=[copied])
    assert not refused["ok"]
    assert "signed for folder 'signed/'" in json.dumps(refused["refused"])


@pytest.mark.parametrize("policy", [{"require_signed": True}])
async def test_require_signed_copies_only_signed_files(
    jp_fetch: Any, jp_serverapp: Any, jp_root_dir: Path
) -> None:
    async def copy(key: str, destination: str) -> dict[str, Any]:
        answer = await jp_fetch(
            "airlock",
            "artifacts",
            "copy",
            method="POST",
            body=json.dumps({"key": key, "destination": destination}),
        )
        job: dict[str, Any] = json.loads(answer.body)
        return job

    signed = await copy("signed/trust_signed-1.0-py3-none-any.whl", "signed.whl")
    assert (await finished(jp_serverapp, jp_fetch, signed["id"]))["state"] == "succeeded"
    assert (jp_root_dir / "signed.whl").is_file()

    unsigned = await copy("unsigned/trust_unsigned-1.0-py3-none-any.whl", "unsigned.whl")
    job = await finished(jp_serverapp, jp_fetch, unsigned["id"])
    assert job["state"] == "failed"
    assert job["error"]["code"] == "policy-refused"
    assert "rule 'require_signed'" in job["error"]["message"]
    assert "unsigned/trust_unsigned-1.0-py3-none-any.whl" in job["error"]["message"]
    assert not (jp_root_dir / "unsigned.whl").exists()


@pytest.mark.parametrize("policy", [{"require_signed": True}])
async def test_require_signed_the_conda_channel_serves_only_signed_packages(
    jp_fetch: Any, jp_serverapp: Any, exchange: dict[str, Path]
) -> None:
    # jp_fetch makes the server listen; pip and conda reach the index over HTTP.
    root = exchange["root"]
    for name in ("conda-signed", "conda-unsigned"):
        folder = root / name
        folder.mkdir()
        package = condapackages.build(folder, f"trust-{name}", "1.0")
        digest = hashlib.sha256(package.read_bytes()).hexdigest()
        (folder / "SHA256SUMS").write_text(f"{digest}  {package.name}\n")
    sign_folder(root / "conda-signed", exchange["allowed"].parent / "scanner", "conda-signed/")
    channel = jp_serverapp.web_app.settings["airlock"].index_address.url() + "conda"

    answer = await AsyncHTTPClient().fetch(f"{channel}/noarch/repodata.json")

    names = {record["name"] for record in json.loads(answer.body)["packages"].values()}
    assert names == {"trust-conda-signed"}


@pytest.fixture
def missing_signers(exchange: dict[str, Path]) -> Path:
    exchange["allowed"].unlink()
    return exchange["allowed"]


@pytest.mark.parametrize("policy", [{"require_signed": True}])
async def test_require_signed_fails_closed_when_the_signers_file_cannot_be_read(
    missing_signers: Path, jp_fetch: Any, kernel: dict[str, Any]
) -> None:
    trust = (await entry(jp_fetch, "signed/"))["trust"]
    assert trust["state"] == "bad-signature"
    assert str(missing_signers) in trust["reason"]
    refused = await plan(jp_fetch, kernel["name"], requirements=["trust-signed"])
    assert not refused["ok"]
    assert str(missing_signers) in refused["refused"][0]["message"]


async def test_advisories_show_in_the_listing_and_the_plan_and_go_to_the_audit(
    exchange: dict[str, Path], jp_fetch: Any, jp_serverapp: Any, kernel: dict[str, Any]
) -> None:
    data = (await listing(jp_fetch, "signed/"))["advisory_data"]
    assert data["source"] == "osv/PyPI.zip"
    assert data["records"] == 1
    assert data["date"] == "2026-11-20T08:00:00Z"
    zipped = (exchange["root"] / "osv" / "PyPI.zip").read_bytes()
    assert data["sha256"] == hashlib.sha256(zipped).hexdigest()
    [advisory] = (await entry(jp_fetch, "signed/"))["advisories"]
    assert advisory["id"] == "PYSEC-2026-7"
    assert advisory["aliases"] == ["CVE-2026-7777"]
    assert advisory["fixed"] == ["1.1"]
    assert advisory["score"] == 9.8
    assert (await entry(jp_fetch, "unsigned/"))["advisories"] == []

    planned = await plan(jp_fetch, kernel["name"], requirements=["trust-signed"])
    assert planned["ok"], planned  # shown, not enforced: the policy has no deny_advisories
    assert [a["id"] for a in planned["steps"][0]["advisories"]] == ["PYSEC-2026-7"]
    assert planned["advisory_data"]["sha256"] == data["sha256"]
    job = await finished(jp_serverapp, jp_fetch, (await start(jp_fetch, planned["id"]))["id"])
    assert job["state"] == "succeeded", job
    audit = json.loads((await jp_fetch("airlock", "audit")).body)["records"]
    for action in ("plan", "install"):
        recorded = next(r for r in audit if r["action"] == action)
        assert recorded["advisory_data"]["sha256"] == data["sha256"], action
        assert recorded["advisory_data"]["date"] == data["date"], action


@pytest.mark.parametrize("policy", [{"deny_advisories": 7.0}])
async def test_deny_advisories_refuses_at_the_plan_and_in_the_index(
    jp_fetch: Any, jp_serverapp: Any, kernel: dict[str, Any]
) -> None:
    refused = await plan(jp_fetch, kernel["name"], requirements=["trust-signed"])
    assert not refused["ok"]
    message = refused["refused"][0]["message"]
    assert "PYSEC-2026-7 (CVE-2026-7777)" in message
    assert "rule 'deny_advisories'" in message
    index = jp_serverapp.web_app.settings["airlock"].index_address.url()
    client = AsyncHTTPClient()
    assert (await client.fetch(index + "simple/trust-signed/", raise_error=False)).code == 404
    served = await client.fetch(
        index + "files/signed/trust_signed-1.0-py3-none-any.whl", raise_error=False
    )
    assert served.code == 403
    assert b"PYSEC-2026-7" in served.body
    assert (await client.fetch(index + "simple/trust-unsigned/")).code == 200


def _bomb(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for number in range(1100):
            archive.writestr(f"{number}.json", b" " * (1 << 20))


def _traversal(path: Path) -> None:
    export(path, {"../../escaped.json": ADVISORY, "/etc/airlock.json": ADVISORY})


def _malformed(path: Path) -> None:
    export(path, {"broken.json": b"{not json", "list.json": [1, 2], "ok.json": ADVISORY})


def _huge(path: Path) -> None:
    with path.open("wb") as out:
        out.truncate(200 << 20)  # sparse: 200 MB that take no disk


@pytest.mark.parametrize(
    ("hostile", "problem", "records"),
    [
        (_bomb, "unpacks to more than 1.1 GB (a zip bomb?)", 0),
        (_huge, "it is 209.7 MB; an OSV export is at most 134.2 MB", 0),
        (_traversal, None, 2),
        (_malformed, None, 1),
    ],
)
async def test_hostile_advisory_data_is_named_and_affects_nothing_else(
    hostile: Any,
    problem: str | None,
    records: int,
    exchange: dict[str, Path],
    jp_fetch: Any,
    kernel: dict[str, Any],
) -> None:
    hostile(exchange["root"] / "osv" / "PyPI.zip")
    page = await listing(jp_fetch, "signed/")
    data = page["advisory_data"]
    assert data["records"] == records
    if problem:
        assert problem in data["problem"]
        assert "osv/PyPI.zip" in page["problems"][0]
    else:
        assert data["problem"] is None
        assert data["skipped"] == (2 if hostile is _malformed else 0)
    assert not (exchange["root"].parent / "escaped.json").exists()
    # Everything else works as before.
    assert (await entry(jp_fetch, "signed/"))["trust"]["state"] == "signed"
    planned = await plan(jp_fetch, kernel["name"], requirements=["trust-unsigned"])
    assert planned["ok"], planned


@pytest.mark.parametrize("policy", [{"deny_advisories": "all"}])
async def test_under_deny_advisories_unreadable_data_refuses_every_package(
    exchange: dict[str, Path], jp_fetch: Any, jp_serverapp: Any, kernel: dict[str, Any]
) -> None:
    (exchange["root"] / "osv" / "PyPI.zip").write_bytes(b"not a zip")
    verdict = (await entry(jp_fetch, "unsigned/"))["policy"]
    assert verdict["allowed"] is False
    assert "is not a readable zip" in verdict["reason"]
    index = jp_serverapp.web_app.settings["airlock"].index_address.url()
    hidden = await AsyncHTTPClient().fetch(index + "simple/trust-unsigned/", raise_error=False)
    assert hidden.code == 404
    refused = await plan(
        jp_fetch, kernel["name"], keys=["unsigned/trust_unsigned-1.0-py3-none-any.whl"]
    )
    assert not refused["ok"]
    assert refused["refused"][0]["item"] == "unsigned/trust_unsigned-1.0-py3-none-any.whl"
    assert "is not a readable zip" in refused["refused"][0]["message"]
    assert "rule 'deny_advisories'" in refused["refused"][0]["message"]


@pytest.mark.parametrize("advisories", [None])
async def test_without_advisory_data_nothing_is_said_about_advisories(jp_fetch: Any) -> None:
    page = await listing(jp_fetch, "signed/")
    assert page["advisory_data"] is None
    assert all(e["advisories"] is None for e in page["entries"])
    kernels = json.loads((await jp_fetch("airlock", "kernels")).body)["kernels"]
    assert all(kernel["advisories"] is None for kernel in kernels)


async def create_kernel(jp_fetch: Any, jp_serverapp: Any, key: str) -> Any:
    body = json.dumps({"key": key, "name": "trusted", "display_name": "Trusted"})
    response = await jp_fetch("airlock", "kernels", "create", method="POST", body=body)
    return await jp_serverapp.web_app.settings["airlock"].jobs.wait(json.loads(response.body)["id"])


@pytest.mark.parametrize("policy", [{"require_signed": True}])
async def test_require_signed_judges_a_bundles_files_before_a_kernel_is_made(
    jp_fetch: Any, jp_serverapp: Any
) -> None:
    refused = await create_kernel(jp_fetch, jp_serverapp, "unsigned-bundle/")
    assert refused.state == "failed"
    assert "rule 'require_signed'" in refused.error["message"]
    # The signed bundle passes the policy; it then fails for want of ipykernel in it.
    signed = await create_kernel(jp_fetch, jp_serverapp, "bundle/")
    assert "ipykernel" in signed.error["message"]


@pytest.mark.parametrize("policy", [{"deny_advisories": "all"}])
async def test_deny_advisories_refuses_a_bundle_holding_an_affected_package(
    jp_fetch: Any, jp_serverapp: Any
) -> None:
    refused = await create_kernel(jp_fetch, jp_serverapp, "bundle/")
    assert refused.state == "failed"
    assert "trust-signed 1.0 is affected by PYSEC-2026-7" in refused.error["message"]


async def test_kernels_say_what_advisories_affect_them_and_give_their_sbom(
    jp_fetch: Any, jp_serverapp: Any, kernel: dict[str, Any]
) -> None:
    planned = await plan(jp_fetch, kernel["name"], requirements=["trust-signed", "trust-loose"])
    job = await finished(jp_serverapp, jp_fetch, (await start(jp_fetch, planned["id"]))["id"])
    assert job["state"] == "succeeded", job
    kernels = json.loads((await jp_fetch("airlock", "kernels")).body)["kernels"]
    described = next(k for k in kernels if k["name"] == kernel["name"])
    assert described["advisories"] == {
        "packages": 1,
        "advisories": 1,
        "date": "2026-11-20T08:00:00Z",
        "problem": None,
    }
    response = await jp_fetch("airlock", "kernels", kernel["name"], "sbom")
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.body.decode()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    sbom = json.loads(text)
    names = {component["name"]: component for component in sbom["components"]}
    assert names["trust-signed"]["purl"] == "pkg:pypi/trust-signed@1.0"
    [vulnerability] = sbom["vulnerabilities"]
    assert vulnerability["id"] == "PYSEC-2026-7"
    assert vulnerability["affects"] == [{"ref": "pkg:pypi/trust-signed@1.0"}]


async def test_the_sbom_of_an_unknown_kernel_is_not_found(jp_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as missing:
        await jp_fetch("airlock", "kernels", "nothing-here", "sbom")
    assert missing.value.code == 404
