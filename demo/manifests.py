"""The manifests the demo's scan leaves in each folder: SHA256SUMS and manifest.json, named
for their folder and signed with the demo scanner's SSH key where it signs (``wheels/``),
as the scan that fills a read bucket would."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jupyterlab_airlock.offline import sha256_file
from jupyterlab_airlock.trust.signatures import NAMESPACE, SIGNATURE_SUFFIX, name_folder

_SSH_KEYGEN = shutil.which("ssh-keygen") or "ssh-keygen"

# The folders the demo's scanner signs, as the scan that fills a read bucket would: the
# panel shows who vouches for them, and the others show "checksum only".
SIGNED_FOLDERS = ("wheels",)
DEMO_SIGNER = "scanner@demo"


@dataclass(frozen=True)
class DemoSigner:
    """The demo scanner's SSH key and the allowed_signers file that trusts it."""

    key: Path
    allowed_signers: Path


def make_demo_signer(folder: Path) -> DemoSigner:
    """The demo scanner's key (made once with ssh-keygen) and an allowed_signers for it."""
    key = folder / "scanner_key"
    if not key.exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [_SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", DEMO_SIGNER, "-f", str(key)],
            check=True,
        )
    public = (folder / "scanner_key.pub").read_text().strip()
    allowed = folder / "allowed_signers"
    allowed.write_text(f'{DEMO_SIGNER} namespaces="{NAMESPACE}" {public}\n')
    return DemoSigner(key, allowed)


def folder_manifests(
    folder: str, files: Mapping[str, Path], signer: DemoSigner | None = None
) -> dict[str, bytes]:
    """The SHA256SUMS and manifest.json of ``files`` (relative name -> local path) in
    ``folder``, named and signed (``.sig`` beside each) when the demo's scanner signs it."""
    entries = [
        {"path": rel, "sha256": digest, "size": size}
        for rel in sorted(files)
        for digest, size in [sha256_file(files[rel])]
    ]
    written = {
        "SHA256SUMS": "".join(
            f"{entry['sha256']}  {entry['path']}\n" for entry in entries
        ).encode(),
        "manifest.json": (json.dumps({"version": 1, "files": entries}, indent=2) + "\n").encode(),
    }
    if signer is None or folder not in SIGNED_FOLDERS:
        return written
    with tempfile.TemporaryDirectory() as scratch:
        for name in list(written):
            path = Path(scratch) / name
            path.write_bytes(name_folder(written[name], name, f"{folder}/"))
            subprocess.run(
                [
                    _SSH_KEYGEN,
                    "-q",
                    "-Y",
                    "sign",
                    "-f",
                    str(signer.key),
                    "-n",
                    NAMESPACE,
                    str(path),
                ],
                check=True,
            )
            written[name] = path.read_bytes()
            written[name + SIGNATURE_SUFFIX] = (Path(scratch) / f"{name}.sig").read_bytes()
    return written
