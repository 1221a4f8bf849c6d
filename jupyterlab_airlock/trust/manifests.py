"""Checksums that travel with the files: ``SHA256SUMS`` and ``manifest.json``.

A folder of the read bucket may hold either or both; paths in them are relative to that
folder. ``SHA256SUMS`` is what ``sha256sum`` writes (``<digest>  <path>``, or
``<digest> *<path>`` in binary mode; ``--tag`` lines ``SHA256 (<path>) = <digest>`` too).
``manifest.json`` is::

    {"version": 1, "files": [{"path": "wheels/x.whl", "sha256": "<64 hex>", "size": 123}]}

with ``size`` optional and other keys ignored, so that the tools writing it may add their own.
A manifest that cannot be trusted to the letter is refused as a whole, never half-read.
Either may be signed (``SHA256SUMS.sig``, ``manifest.json.sig``: see ``signatures``); when
the admin trusts signers, each listed file carries its manifest's signature check.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import AirlockError
from ..sizes import size_text
from ..sources import Source
from .signatures import SIGNATURE_SUFFIX, Signature, TrustedSigners

SHA256SUMS = "SHA256SUMS"
MANIFEST_JSON = "manifest.json"

# Manifests are read whole; a larger one is not a manifest anyone wrote by hand or tool.
MANIFEST_LIMIT = 16 * 1024 * 1024
# An SSH signature is a few hundred bytes.
SIGNATURE_LIMIT = 64 * 1024

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_GNU_LINE = re.compile(r"(?P<digest>\S+) [ *](?P<path>.+)")
_TAG_LINE = re.compile(r"SHA256 \((?P<path>.+)\) = (?P<digest>\S+)")
_DRIVE = re.compile(r"[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")


@dataclass(frozen=True)
class ManifestEntry:
    sha256: str  # lowercase hex
    size: int | None = None


@dataclass(frozen=True)
class Manifest:
    files: dict[str, ManifestEntry]  # relative path ("a/b.whl", no "./") -> what it must be
    source: str  # the manifest file(s) it was read from, for messages
    # Of each listed path, the signature check of the manifest listing it (a signed one
    # first, when several do); empty when no signers were asked.
    signatures: dict[str, Signature] = field(default_factory=dict)

    def signed_by(self, path: str) -> str | None:
        """The trusted signer who vouches for ``path``, or None."""
        signature = self.signatures.get(path)
        return signature.principal if signature and signature.state == "signed" else None


@dataclass(frozen=True)
class Trust:
    """Who vouches for a file, as the panel and the plan show it: ``signed`` (by
    ``principal``), ``checksum`` (a manifest's sha256 only), ``mismatch`` (the file is not
    what its manifest says), ``bad-signature`` (``reason`` says why) or ``unverified``."""

    state: str
    principal: str | None = None
    reason: str | None = None

    @property
    def listed(self) -> bool:
        """A manifest of its folder gives its sha256 (the policy's ``verified``)."""
        return self.state != "unverified"

    @property
    def signed(self) -> bool:
        return self.state == "signed"

    def to_json(self) -> dict[str, str | None]:
        return {"state": self.state, "principal": self.principal, "reason": self.reason}

    def explain(self, refusal: str | None) -> str | None:
        """A policy's ``refusal`` of the file, with what is wrong with its signature or
        checksum when something is (an untrusted key, an unreadable signers file...)."""
        if refusal is None or self.reason is None or self.signed:
            return refusal
        return f"{refusal}; {self.state}: {self.reason}"


def trust(
    manifest: Manifest | None, name: str, size: int | None = None, sha256: str | None = None
) -> Trust:
    """What vouches for file ``name`` of the manifest's folder (its ``size`` and, once
    hashed, its ``sha256`` compared with the manifest's)."""
    checked = status(manifest, name, size, sha256)
    if checked == "not-listed" or manifest is None:
        return Trust("unverified")
    if checked == "mismatch":
        return Trust("mismatch", reason=f"{name} is not the file {manifest.source} lists")
    signature = manifest.signatures.get(name)
    if signature is None or signature.state == "unsigned":
        return Trust("checksum")
    if signature.state == "bad":
        return Trust(
            "bad-signature", signature.principal, f"{signature.manifest}.sig: {signature.reason}"
        )
    return Trust("signed", signature.principal)


def parse(text: str, source: str) -> Manifest:
    """Read ``source`` with the parser its file name calls for (``manifest.json`` or not)."""
    if source.rsplit("/", 1)[-1] == MANIFEST_JSON:
        return parse_manifest_json(text, source)
    return parse_sha256sums(text, source)


def parse_sha256sums(text: str, source: str) -> Manifest:
    """Read a ``sha256sum`` listing; blank lines and ``#`` comments are skipped."""
    files: dict[str, ManifestEntry] = {}
    lines: dict[str, int] = {}
    # Split on "\n" only, so that line numbers are the ones an editor shows.
    for number, raw in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        line = raw.removesuffix("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"line {number}"
        match = _TAG_LINE.fullmatch(line) or _GNU_LINE.fullmatch(line)
        if match is None:
            raise _invalid(source, where, f"expected '<sha256>  <file>', found {_show(line)}")
        path = _path(match["path"], source, where)
        if path in files:
            raise _invalid(source, where, f"{path!r} is listed twice (first on line {lines[path]})")
        files[path] = ManifestEntry(_digest(match["digest"], source, where))
        lines[path] = number
    return Manifest(files, source)


def parse_manifest_json(text: str, source: str) -> Manifest:
    """Read a ``manifest.json`` (format above); errors name the JSON path, e.g. ``$.files[2]``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise _invalid(source, where, f"this is not JSON ({error.msg})") from None
    except (ValueError, RecursionError) as error:  # a huge number, nesting too deep
        raise _invalid(source, "$", f"this JSON cannot be read ({error})") from None
    if not isinstance(data, dict):
        raise _invalid(source, "$", f"expected an object with a list of files, found {_show(data)}")
    version = data.get("version")
    if version != 1 or isinstance(version, bool):
        raise _invalid(source, "$.version", f"expected 1, found {_show(version)}")
    entries = data.get("files")
    if not isinstance(entries, list):
        raise _invalid(source, "$.files", f"expected a list, found {_show(entries)}")
    files: dict[str, ManifestEntry] = {}
    first: dict[str, str] = {}
    for index, item in enumerate(entries):
        where = f"$.files[{index}]"
        if not isinstance(item, dict):
            raise _invalid(source, where, f"expected an object, found {_show(item)}")
        path, digest, size = item.get("path"), item.get("sha256"), item.get("size")
        if not isinstance(path, str):
            raise _invalid(source, f"{where}.path", f"expected a string, found {_show(path)}")
        path = _path(path, source, f"{where}.path")
        if path in files:
            raise _invalid(
                source, f"{where}.path", f"{path!r} is listed twice (first at {first[path]})"
            )
        if not isinstance(digest, str):
            raise _invalid(source, f"{where}.sha256", f"expected a string, found {_show(digest)}")
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
            raise _invalid(source, f"{where}.size", f"expected a byte count, found {_show(size)}")
        files[path] = ManifestEntry(_digest(digest, source, f"{where}.sha256"), size)
        first[path] = where
    return Manifest(files, source)


def merge(manifests: Iterable[Manifest]) -> Manifest:
    """One manifest from several of a folder; where they list the same file they must agree.

    A disagreement raises ``AirlockError("manifest-conflict")`` naming the file and both
    manifests: one of them is wrong and nothing in the folder can be verified until it is
    fixed. No manifests give an empty one.
    """
    files: dict[str, ManifestEntry] = {}
    origin: dict[str, str] = {}
    sources: list[str] = []
    signatures: dict[str, Signature] = {}
    for manifest in manifests:
        sources.append(manifest.source)
        for path, signature in manifest.signatures.items():
            if path not in signatures or signature.state == "signed":
                signatures[path] = signature
        for path, entry in manifest.files.items():
            known = files.get(path)
            if known is None or (known.sha256 == entry.sha256 and known.size is None):
                files[path], origin[path] = entry, manifest.source
                continue
            if known.sha256 != entry.sha256:
                difference = f"sha256 {known.sha256} against {entry.sha256}"
            elif entry.size is not None and known.size != entry.size:
                difference = f"size {known.size} against {entry.size} bytes"
            else:
                continue
            raise AirlockError(
                "manifest-conflict",
                f"{origin[path]} and {manifest.source} disagree about {path!r} ({difference}); "
                "fix the wrong one before anything in this folder can be verified.",
                422,
            )
    return Manifest(files, " + ".join(sources), signatures)


def status(
    manifest: Manifest | None, name: str, size: int | None, sha256: str | None = None
) -> str:
    """What the manifest says of the file ``name`` (relative to the manifest's folder).

    "verified": its sha256 was computed and matches; "mismatch": its sha256 or size differs
    from the manifest's; "listed": the manifest has it, but it was not hashed yet;
    "not-listed": no manifest, or not in it.
    """
    entry = manifest.files.get(name) if manifest is not None else None
    if entry is None:
        return "not-listed"
    if size is not None and entry.size is not None and size != entry.size:
        return "mismatch"
    if sha256 is None:
        return "listed"
    return "verified" if sha256.lower() == entry.sha256 else "mismatch"


async def read_folder(
    source: Source, folder: str, signers: TrustedSigners | None = None
) -> tuple[Manifest | None, list[str]]:
    """The manifests of ``folder`` in ``source``, merged, and problems in words: a broken
    manifest is named and nothing of it is trusted. With ``signers``, each manifest's
    signature is checked and travels with the files it lists."""
    found: list[Manifest] = []
    for name in (SHA256SUMS, MANIFEST_JSON):
        key = folder + name
        try:
            entry = await source.stat(key)
        except AirlockError as error:
            if error.status == 404:
                continue
            raise
        if entry.size > MANIFEST_LIMIT:
            return None, [f"{key} is larger than {size_text(MANIFEST_LIMIT)}; it was not read."]
        data = await source.read_range(key, 0, entry.size)
        try:
            manifest = parse(data.decode("utf-8", "replace"), key)
        except AirlockError as error:
            return None, [error.message]
        if signers is not None:
            signature = await signers.check(
                data, await read_signature(source, key), key.rsplit("/", 1)[-1], folder
            )
            manifest = Manifest(
                manifest.files, manifest.source, dict.fromkeys(manifest.files, signature)
            )
        found.append(manifest)
    if not found:
        return None, []
    try:
        return merge(found), []
    except AirlockError as error:
        return None, [error.message]


async def read_signature(source: Source, manifest_key: str) -> bytes | None:
    """The bytes of ``<manifest>.sig`` beside a manifest, or None when there is none."""
    key = manifest_key + SIGNATURE_SUFFIX
    try:
        entry = await source.stat(key)
    except AirlockError as error:
        if error.status == 404:
            return None
        raise
    return await source.read_range(key, 0, min(entry.size, SIGNATURE_LIMIT))


class Sha256Verifier:
    """Hashes a file as it streams by, then checks it against what its manifest says."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.size = 0
        self._hash = hashlib.sha256()

    def update(self, chunk: bytes | bytearray | memoryview) -> None:
        self._hash.update(chunk)
        self.size += len(chunk)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()

    def check(self, expected: ManifestEntry | str) -> None:
        """Raise ``AirlockError("checksum-mismatch", 422)`` unless the bytes seen match."""
        entry = ManifestEntry(expected) if isinstance(expected, str) else expected
        actual = self.hexdigest()
        if entry.size is not None and entry.size != self.size:
            found = f"{entry.size} bytes, the copy has {self.size}"
        elif entry.sha256.lower() != actual:
            found = f"sha256 {entry.sha256.lower()}, the copy has {actual}"
        else:
            return
        raise AirlockError(
            "checksum-mismatch",
            f"{self.name!r} is not the file its manifest lists (the manifest says {found}): "
            "it was damaged or replaced on the way. Transfer it again.",
            422,
        )


def _path(path: str, source: str, where: str) -> str:
    """``path`` made canonical ("./a//b" -> "a/b"), or an error if it could leave the folder."""
    if _CONTROL.search(path):
        raise _invalid(
            source, where, f"the path {_show(path)} has a backslash or control character"
        )
    if path.startswith("/") or _DRIVE.match(path):
        raise _invalid(source, where, f"the path {_show(path)} is absolute; it must be relative")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise _invalid(source, where, f"the path {_show(path)} leaves the manifest's folder (..)")
    if not parts:
        raise _invalid(source, where, "the path is empty")
    return "/".join(parts)


def _digest(digest: str, source: str, where: str) -> str:
    if not _HEX64.fullmatch(digest):
        raise _invalid(source, where, f"{_show(digest)} is not a sha256 (64 hexadecimal digits)")
    return digest.lower()


def _show(value: Any) -> str:
    """A value for a message: short, on one line, containers only named."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _invalid(source: str, where: str, problem: str) -> AirlockError:
    return AirlockError(
        "invalid-manifest",
        f"The manifest {source} is invalid at {where}: {problem}. Nothing it lists can be "
        "verified until it is fixed.",
        422,
    )
