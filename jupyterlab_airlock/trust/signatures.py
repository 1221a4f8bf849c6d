"""Signed manifests: who vouches for a folder of the read bucket, checked with OpenSSH.

The scan that fills the read bucket signs each folder's manifest with an SSH key::

    ssh-keygen -Y sign -f scanner_key -n airlock SHA256SUMS     # writes SHA256SUMS.sig

and the admin lists the keys Airlock trusts in an OpenSSH ``allowed_signers`` file
(``c.Airlock.trusted_signers``). A signature covers the manifest's exact bytes. So that a
signed manifest copied into another folder cannot vouch for that folder's files, the signed
bytes name their folder (relative to the source's root, ending in "/", "" for the root):
``# airlock-folder: wheels/pandas/`` as a comment line of ``SHA256SUMS``, or
``"folder": "wheels/pandas/"`` in ``manifest.json``. ``jupyter airlock sign`` writes both.

Checks fail closed: an ``allowed_signers`` file that cannot be read makes every signature
bad, with the file named in the reason.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import AirlockError
from ..processes import Completed, last_line, run

NAMESPACE = "airlock"
SIGNATURE_SUFFIX = ".sig"
FOLDER_COMMENT = "# airlock-folder: "
FOLDER_KEY = "folder"
SSH_KEYGEN_TIMEOUT = 30.0
_COMMENT = re.compile(r"#\s*airlock-folder:\s*(?P<folder>.*?)\s*")


@dataclass(frozen=True)
class Signature:
    """What a manifest's signature says: ``signed`` by ``principal``, ``bad`` (``reason``
    says why) or ``unsigned`` (no ``.sig`` beside it)."""

    state: str
    manifest: str
    principal: str | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {
            "state": self.state,
            "manifest": self.manifest,
            "principal": self.principal,
            "reason": self.reason,
        }


def signed_folder(data: bytes, manifest: str) -> str | None:
    """The folder a manifest's bytes name, or None when they name none."""
    text = data.decode("utf-8", "replace")
    if manifest.rsplit("/", 1)[-1].endswith(".json"):
        try:
            value = json.loads(text).get(FOLDER_KEY)
        except (ValueError, AttributeError, RecursionError):
            return None
        return value if isinstance(value, str) else None
    for line in text.removeprefix("\ufeff").splitlines():
        match = _COMMENT.fullmatch(line)
        if match:
            return match["folder"]
    return None


def name_folder(data: bytes, manifest: str, folder: str) -> bytes:
    """``data`` with its folder named (replacing any other), ready to be signed."""
    if manifest.rsplit("/", 1)[-1].endswith(".json"):
        document = json.loads(data)
        if not isinstance(document, dict):
            raise AirlockError("invalid-manifest", f"{manifest} is not a JSON object.", 422)
        document[FOLDER_KEY] = folder
        return (json.dumps(document, indent=2) + "\n").encode()
    lines = [
        line
        for line in data.decode("utf-8").removeprefix("\ufeff").splitlines()
        if not _COMMENT.fullmatch(line)
    ]
    return "\n".join([f"{FOLDER_COMMENT}{folder}", *lines]).encode() + b"\n"


class TrustedSigners:
    """The admin's ``allowed_signers`` file; None when signatures are not configured."""

    def __init__(self, path: str | None) -> None:
        self.path = Path(path) if path else None
        # Checks already made, by what they depend on: listings and index walks read the
        # same manifests again and again, and each check starts ssh-keygen twice.
        self._checked: dict[tuple[str, ...], Signature] = {}

    @property
    def configured(self) -> bool:
        return self.path is not None

    def problem(self) -> str | None:
        """Why the file cannot serve (then every signature is bad), or None."""
        if self.path is None:
            return "no trusted signers are configured (c.Airlock.trusted_signers)"
        try:
            text = self.path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            return f"the trusted signers file {self.path} cannot be read ({error})"
        if not any(line.strip() and not line.startswith("#") for line in text.splitlines()):
            return f"the trusted signers file {self.path} lists no key"
        if shutil.which("ssh-keygen") is None:
            return "ssh-keygen (OpenSSH) is not installed on the server"
        return None

    async def check(
        self, data: bytes, signature: bytes | None, manifest: str, folder: str
    ) -> Signature:
        """Whether ``signature`` is a trusted signature of exactly ``data``, the bytes of
        ``manifest``, made for ``folder``."""
        if signature is None:
            return Signature("unsigned", manifest)
        problem = await asyncio.to_thread(self.problem)
        if problem is not None:
            return Signature("bad", manifest, reason=problem)
        assert self.path is not None
        stat = await asyncio.to_thread(self.path.stat)
        memo = (
            hashlib.sha256(data).hexdigest(),
            hashlib.sha256(signature).hexdigest(),
            manifest,
            folder,
            f"{stat.st_mtime_ns}:{stat.st_size}",
            # A key's valid-before may pass while nothing else changes: check again each minute.
            str(int(time.time() // 60)),
        )
        if memo not in self._checked:
            self._checked[memo] = await self._verify(data, signature, manifest, folder)
        return self._checked[memo]

    async def _verify(self, data: bytes, signature: bytes, manifest: str, folder: str) -> Signature:
        assert self.path is not None
        named = signed_folder(data, manifest)
        with tempfile.TemporaryDirectory(prefix="airlock-sig-") as scratch:
            data_file, sig_file = Path(scratch) / "manifest", Path(scratch) / "manifest.sig"
            await asyncio.to_thread(data_file.write_bytes, data)
            await asyncio.to_thread(sig_file.write_bytes, signature)
            found = await _ssh_keygen(
                "-Y", "find-principals", "-f", str(self.path), "-s", str(sig_file)
            )
            principals = found.stdout.split()
            if found.returncode != 0 or not principals:
                return Signature(
                    "bad",
                    manifest,
                    reason="no trusted signer made this signature (its key is not in "
                    f"{self.path}, or no longer valid there)",
                )
            verified = await _ssh_keygen(
                "-Y", "verify", "-f", str(self.path), "-I", principals[0],
                "-n", NAMESPACE, "-s", str(sig_file), stdin=data_file,
            )  # fmt: skip
        if verified.returncode != 0:
            why = last_line(verified.stderr or verified.stdout)
            return Signature(
                "bad", manifest, reason=f"the manifest changed after it was signed ({why})"
            )
        if named != folder:
            where = f"folder '{named}'" if named is not None else "no folder"
            return Signature(
                "bad",
                manifest,
                principal=principals[0],
                reason=f"it was signed for {where}, not for '{folder}' where it lies",
            )
        return Signature("signed", manifest, principal=principals[0])


async def sign(path: Path, key: Path, folder: str) -> Path:
    """Name ``folder`` in manifest ``path`` and sign it with private ``key``: the scanner's
    step. Returns the ``.sig`` file written beside it."""
    data = await asyncio.to_thread(path.read_bytes)
    await asyncio.to_thread(path.write_bytes, name_folder(data, path.name, folder))
    signature = path.with_name(path.name + SIGNATURE_SUFFIX)
    await asyncio.to_thread(signature.unlink, True)  # ssh-keygen will not overwrite it
    signed = await _ssh_keygen("-Y", "sign", "-f", str(key), "-n", NAMESPACE, str(path))
    if signed.returncode != 0:
        raise AirlockError(
            "sign-failed",
            f"ssh-keygen could not sign {path} with {key}: "
            f"{last_line(signed.stderr or signed.stdout)}",
            500,
        )
    return signature


async def _ssh_keygen(*arguments: str, stdin: Path | None = None) -> Completed:
    try:
        return await run(["ssh-keygen", *arguments], timeout=SSH_KEYGEN_TIMEOUT, stdin=stdin)
    except OSError as error:
        if isinstance(error, asyncio.TimeoutError):
            raise
        raise AirlockError(
            "ssh-keygen-missing",
            f"ssh-keygen (OpenSSH) could not be started ({error}): install openssh-client.",
            503,
        ) from None
