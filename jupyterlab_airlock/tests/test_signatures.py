"""Signed manifests, checked against real OpenSSH signatures made by ssh-keygen."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_airlock.sources import source_from_config
from jupyterlab_airlock.trust import manifests
from jupyterlab_airlock.trust.signatures import (
    Signature,
    TrustedSigners,
    name_folder,
    sign,
    signed_folder,
)

# Debian's openssh-client; `make test` installs it when missing.
SSH_KEYGEN = shutil.which("ssh-keygen") or "ssh-keygen"
SUMS = b"%s  airlock_demo-1.0-py3-none-any.whl\n" % (b"ab" * 32)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def make_key(folder: Path, name: str) -> tuple[Path, str]:
    key = folder / name
    subprocess.run(
        [SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)],
        check=True,
    )
    return key, (folder / f"{name}.pub").read_text().strip()


@pytest.fixture
def scanner(tmp_path: Path) -> tuple[Path, Path]:
    """The scanner's private key, and an allowed_signers file that trusts it."""
    key, public = make_key(tmp_path, "scanner")
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f'scanner@dmz namespaces="airlock" {public}\n')
    return key, allowed


def signed_manifest(tmp_path: Path, key: Path, folder: str, name: str = "SHA256SUMS") -> Path:
    manifest = tmp_path / "bucket" / name
    manifest.parent.mkdir(exist_ok=True)
    manifest.write_bytes(SUMS)
    run(sign(manifest, key, folder))
    return manifest


def check(allowed: Path | str, manifest: Path, folder: str) -> Signature:
    signature = manifest.with_name(manifest.name + ".sig")
    return run(
        TrustedSigners(str(allowed)).check(
            manifest.read_bytes(),
            signature.read_bytes() if signature.exists() else None,
            manifest.name,
            folder,
        )
    )


def test_a_folder_signed_by_a_trusted_key_names_its_signer(
    tmp_path: Path, scanner: tuple[Path, Path]
) -> None:
    key, allowed = scanner
    manifest = signed_manifest(tmp_path, key, "wheels/")

    assert signed_folder(manifest.read_bytes(), manifest.name) == "wheels/"
    assert check(allowed, manifest, "wheels/") == Signature(
        "signed", "SHA256SUMS", principal="scanner@dmz"
    )


def test_a_manifest_json_names_its_folder_as_a_key(
    tmp_path: Path, scanner: tuple[Path, Path]
) -> None:
    key, allowed = scanner
    manifest = tmp_path / "bucket" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text('{"version": 1, "files": []}')
    run(sign(manifest, key, ""))

    assert check(allowed, manifest, "").state == "signed"
    assert check(allowed, manifest, "other/").state == "bad"


def test_a_key_the_admin_does_not_trust_is_refused(
    tmp_path: Path, scanner: tuple[Path, Path]
) -> None:
    _, allowed = scanner
    stranger, _ = make_key(tmp_path, "stranger")
    manifest = signed_manifest(tmp_path, stranger, "")

    result = check(allowed, manifest, "")
    assert result.state == "bad"
    assert "no trusted signer made this signature" in str(result.reason)


def test_a_key_past_its_valid_before_date_is_refused(
    tmp_path: Path, scanner: tuple[Path, Path]
) -> None:
    key, allowed = scanner
    public = (tmp_path / "scanner.pub").read_text().strip()
    allowed.write_text(f'scanner@dmz namespaces="airlock",valid-before="20200101" {public}\n')
    manifest = signed_manifest(tmp_path, key, "")

    result = check(allowed, manifest, "")
    assert result.state == "bad"
    assert "no longer valid" in str(result.reason)


def test_a_manifest_changed_after_signing_is_refused(
    tmp_path: Path, scanner: tuple[Path, Path]
) -> None:
    key, allowed = scanner
    manifest = signed_manifest(tmp_path, key, "")
    manifest.write_bytes(manifest.read_bytes().replace(b"ab", b"cd", 1))

    result = check(allowed, manifest, "")
    assert result.state == "bad"
    assert "changed after it was signed" in str(result.reason)


def test_a_signed_manifest_copied_into_another_folder_vouches_for_nothing(
    tmp_path: Path, scanner: tuple[Path, Path]
) -> None:
    key, allowed = scanner
    manifest = signed_manifest(tmp_path, key, "approved/")

    result = check(allowed, manifest, "smuggled/")
    assert result.state == "bad"
    assert (
        result.reason == "it was signed for folder 'approved/', not for 'smuggled/' where it lies"
    )


def test_no_signature_file_is_unsigned(tmp_path: Path, scanner: tuple[Path, Path]) -> None:
    _, allowed = scanner
    manifest = tmp_path / "SHA256SUMS"
    manifest.write_bytes(SUMS)

    assert check(allowed, manifest, "").state == "unsigned"


def test_an_unreadable_signers_file_fails_closed_and_is_named(
    tmp_path: Path, scanner: tuple[Path, Path]
) -> None:
    key, _ = scanner
    manifest = signed_manifest(tmp_path, key, "")
    missing = tmp_path / "no" / "allowed_signers"

    result = check(missing, manifest, "")
    assert result.state == "bad"
    assert str(missing) in str(result.reason)
    assert "cannot be read" in str(result.reason)


def test_signing_again_replaces_the_folder_line_and_keeps_the_sums() -> None:
    once = name_folder(SUMS, "SHA256SUMS", "a/")
    twice = name_folder(once, "SHA256SUMS", "b/")

    assert twice == b"# airlock-folder: b/\n" + SUMS
    assert signed_folder(twice, "SHA256SUMS") == "b/"


def test_a_folder_read_with_signers_says_who_vouches_for_each_file(
    tmp_path: Path, scanner: tuple[Path, Path]
) -> None:
    key, allowed = scanner
    root = tmp_path / "exchange"
    (root / "approved").mkdir(parents=True)
    (root / "copied").mkdir()
    sums = root / "approved" / "SHA256SUMS"
    sums.write_bytes(SUMS)
    run(sign(sums, key, "approved/"))
    # The same signed manifest, copied beside other files.
    for name in ("SHA256SUMS", "SHA256SUMS.sig"):
        (root / "copied" / name).write_bytes((root / "approved" / name).read_bytes())
    source = source_from_config({"kind": "folder", "path": str(root)})
    signers = TrustedSigners(str(allowed))
    wheel = "airlock_demo-1.0-py3-none-any.whl"

    approved, problems = run(manifests.read_folder(source, "approved/", signers))
    copied, _ = run(manifests.read_folder(source, "copied/", signers))
    unchecked, _ = run(manifests.read_folder(source, "approved/"))

    assert problems == []
    assert approved.signed_by(wheel) == "scanner@dmz"
    assert copied.signed_by(wheel) is None
    assert copied.signatures[wheel].state == "bad"
    assert "signed for folder 'approved/'" in str(copied.signatures[wheel].reason)
    assert unchecked.signatures == {}
    assert approved.files == unchecked.files
