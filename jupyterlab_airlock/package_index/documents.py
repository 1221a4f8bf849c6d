"""The static index's documents (see the package's docstring), written and read back.

Reading checks every document to the letter: a name that is not a normalized project name,
a file outside the source or inside the index, a file of another project, a sha256 that is
not one, raise ``AirlockError("index-invalid")`` naming the document, and nothing of the
index is used.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from packaging.utils import canonicalize_name

from ..errors import AirlockError
from ..kinds import classify
from ..sources.base import clean_key
from ..trust.manifests import ManifestEntry
from .layout import INDEX_FOLDER

FORMAT = 1
API_VERSION = "1.1"
MANIFEST = "manifest.json"
PROJECT_LIST = "simple/index.json"
CONDA_PACKAGES = "conda/packages.json"
FOLDER_MANIFESTS = "manifests.json"
# Documents are read whole: none that an index of a large bucket needs comes near these.
MAX_DOCUMENT_BYTES = 16 << 20
MAX_REPODATA_BYTES = 64 << 20
# A page's files are reached from it as ../../../<key>: the page is simple/<name>/index.json.
_TO_ROOT = "../../../"
_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SUBDIR = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class Stamp:
    """An object as a listing saw it: what tells that it changed since."""

    key: str
    size: int
    modified: str | None
    etag: str | None

    def to_json(self) -> dict[str, Any]:
        return {"size": self.size, "modified": self.modified, "etag": self.etag}


@dataclass(frozen=True)
class FileFacts:
    """A package file as the index gives it."""

    stamp: Stamp
    sha256: str | None  # the manifest's when it lists the file, else the index's own
    listed_by: str | None  # the folder's manifest(s) giving that sha256, e.g. wheels/SHA256SUMS
    mismatch: bool = False  # its size is not the one the manifest gives
    requires_python: str | None = None
    metadata_sha256: str | None = None  # of the wheel's .dist-info/METADATA (PEP 658)

    @property
    def key(self) -> str:
        return self.stamp.key

    @property
    def name(self) -> str:
        return self.stamp.key.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ProjectPage:
    name: str
    files: list[FileFacts]
    manifests: list[Stamp]  # the folder manifests that list its files, as they were


@dataclass(frozen=True)
class CondaPart:
    packages: list[FileFacts]
    channels: list[Stamp]  # repodata.json files of channels in the source
    subdirs: list[str]  # the subdirs with a conda/<subdir>/repodata.json of loose packages
    manifests: list[Stamp]  # the folder manifests that list the packages, as they were


def encode(document: dict[str, Any]) -> bytes:
    """The bytes of a document: the same content always gives the same bytes, so a page
    that did not change keeps its sha256 and is not written again."""
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def normalized(name: str) -> bool:
    """Whether ``name`` is a normalized project name, as pages and bins have them."""
    return bool(_NAME.fullmatch(name))


def page_path(name: str) -> str:
    return f"simple/{name}/index.json"


def bin_path(name: str) -> str:
    return f"bins/{sha256(name.encode())[:2]}.json"


def repodata_path(subdir: str) -> str:
    return f"conda/{subdir}/repodata.json"


def project_document(page: ProjectPage) -> dict[str, Any]:
    files = []
    for facts in sorted(page.files, key=lambda f: f.key):
        item: dict[str, Any] = {
            "filename": facts.name,
            "url": _TO_ROOT + quote(facts.key),
            "hashes": {"sha256": facts.sha256} if facts.sha256 else {},
            "size": facts.stamp.size,
            "_airlock": _private(facts),
        }
        if facts.requires_python:
            item["requires-python"] = facts.requires_python
        if facts.metadata_sha256:
            item["core-metadata"] = {"sha256": facts.metadata_sha256}
        files.append(item)
    versions = sorted({str(classify(f.name).get("version")) for f in page.files})
    return {
        "meta": {"api-version": API_VERSION},
        "name": page.name,
        "files": files,
        "versions": versions,
        "_airlock": {"manifests": {m.key: m.to_json() for m in page.manifests}},
    }


def project_list_document(names: Iterable[str]) -> dict[str, Any]:
    return {"meta": {"api-version": API_VERSION}, "projects": [{"name": n} for n in sorted(names)]}


def bin_document(pages: dict[str, tuple[ManifestEntry, str]]) -> dict[str, Any]:
    """Each project's page (its sha256 and size) and the inputs it was made from."""
    return {
        "projects": {
            name: {"sha256": entry.sha256, "size": entry.size, "inputs": inputs}
            for name, (entry, inputs) in pages.items()
        }
    }


def page_inputs(files: Iterable[Stamp], manifests: Iterable[Stamp]) -> str:
    """What a page is made from, as one sha256: its files and their folders' manifests as
    a listing gives them. The same inputs make the same page."""
    stamps = [
        [[s.key, s.size, s.modified, s.etag] for s in sorted(group, key=lambda s: s.key)]
        for group in (files, manifests)
    ]
    return sha256(json.dumps([FORMAT, stamps]).encode())


def conda_document(part: CondaPart) -> dict[str, Any]:
    return {
        "packages": [
            {"key": f.key, "sha256": f.sha256, "size": f.stamp.size, "_airlock": _private(f)}
            for f in sorted(part.packages, key=lambda f: f.key)
        ],
        "channels": {stamp.key: stamp.to_json() for stamp in part.channels},
        "subdirs": sorted(part.subdirs),
        "manifests": {stamp.key: stamp.to_json() for stamp in part.manifests},
    }


def manifests_document(stamps: Iterable[Stamp]) -> dict[str, Any]:
    return {"manifests": {stamp.key: stamp.to_json() for stamp in stamps}}


def parse_manifests(data: bytes, where: str) -> list[Stamp]:
    return _stamps(_object(data, where), where)


def _private(facts: FileFacts) -> dict[str, Any]:
    return {
        "modified": facts.stamp.modified,
        "etag": facts.stamp.etag,
        "listed_by": facts.listed_by,
        "mismatch": facts.mismatch,
    }


def parse_project(data: bytes, name: str, where: str) -> ProjectPage:
    """Page ``where`` of project ``name``, checked."""
    document = _object(data, where)
    if document.get("name") != name:
        raise invalid(where, f"it is the page of {_show(document.get('name'))}, not of {name}")
    files = _list(document.get("files"), where, "files")
    facts = []
    for number, item in enumerate(files):
        at = f"{where} files[{number}]"
        item = _dict(item, at)
        key = _key(item.get("url"), at)
        if item.get("filename") != key.rsplit("/", 1)[-1]:
            raise invalid(at, f"its filename {_show(item.get('filename'))} is not its url's")
        info = classify(key)
        if info["kind"] not in ("wheel", "sdist") or canonicalize_name(str(info["name"])) != name:
            raise invalid(at, f"{key} is not a wheel or sdist of {name}")
        hashes = _dict(item.get("hashes"), f"{at} hashes")
        metadata = item.get("core-metadata")
        metadata_hash = _dict(metadata, f"{at} core-metadata").get("sha256") if metadata else None
        requires = item.get("requires-python")
        if requires is not None and not isinstance(requires, str):
            raise invalid(at, "its requires-python is not a string")
        facts.append(_facts(item, key, hashes.get("sha256"), at, requires, metadata_hash))
    private = _dict(document.get("_airlock", {}), f"{where} _airlock")
    return ProjectPage(name, facts, _stamps(private, where))


def parse_bin(data: bytes, where: str) -> dict[str, ManifestEntry]:
    projects = _dict(_object(data, where).get("projects"), f"{where} projects")
    found = {}
    for name, value in projects.items():
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise invalid(where, f"{_show(name)} is not a normalized project name")
        entry = _dict(value, f"{where} {name}")
        found[name] = ManifestEntry(_digest(entry.get("sha256"), where), _size(entry, where))
    return found


def parse_bin_inputs(data: bytes, where: str) -> dict[str, str]:
    """The inputs each project's page was made from, where the bin gives them (a writer
    reads them: a page whose inputs are unchanged is kept as it is)."""
    projects = _dict(_object(data, where).get("projects"), f"{where} projects")
    inputs = {}
    for name, value in projects.items():
        given = value.get("inputs") if isinstance(value, dict) else None
        if isinstance(given, str) and _HEX64.fullmatch(given):
            inputs[name] = given
    return inputs


def parse_conda(data: bytes, where: str) -> CondaPart:
    document = _object(data, where)
    packages = []
    for number, item in enumerate(_list(document.get("packages"), where, "packages")):
        at = f"{where} packages[{number}]"
        item = _dict(item, at)
        key = _clean(item.get("key"), at)
        if classify(key)["kind"] != "conda":
            raise invalid(at, f"{key} is not a conda package")
        packages.append(_facts(item, key, item.get("sha256"), at, None, None))
    channels = [
        _stamp(key, value, f"{where} channels")
        for key, value in _dict(document.get("channels", {}), f"{where} channels").items()
    ]
    for stamp in channels:
        if stamp.key.rsplit("/", 1)[-1] != "repodata.json":
            raise invalid(where, f"{stamp.key} is not a channel's repodata.json")
    subdirs = _list(document.get("subdirs", []), where, "subdirs")
    if not all(isinstance(s, str) and _SUBDIR.fullmatch(s) for s in subdirs):
        raise invalid(where, "its subdirs are not conda platform names")
    return CondaPart(packages, channels, subdirs, _stamps(document, where))


def _facts(
    item: dict[str, Any],
    key: str,
    digest: Any,
    at: str,
    requires: str | None,
    metadata: Any,
) -> FileFacts:
    private = _dict(item.get("_airlock", {}), f"{at} _airlock")
    listed_by = private.get("listed_by")
    if listed_by is not None and not isinstance(listed_by, str):
        raise invalid(at, "its listed_by is not a string")
    if listed_by is not None and digest is None:
        raise invalid(at, "it is listed by a manifest but has no sha256")
    modified, etag = _text(private.get("modified"), at), _text(private.get("etag"), at)
    return FileFacts(
        Stamp(key, _size(item, at), modified, etag),
        _digest(digest, at) if digest is not None else None,
        listed_by,
        private.get("mismatch") is True,
        requires,
        _digest(metadata, at) if metadata is not None else None,
    )


def _stamps(holder: dict[str, Any], where: str) -> list[Stamp]:
    listed = _dict(holder.get("manifests", {}), f"{where} manifests")
    return [_stamp(key, value, f"{where} manifests") for key, value in listed.items()]


def _stamp(key: Any, value: Any, where: str) -> Stamp:
    key = _clean(key, where)
    entry = _dict(value, f"{where} {key}")
    return Stamp(key, _size(entry, where), _text(entry.get("modified"), where),
                 _text(entry.get("etag"), where))  # fmt: skip


def _key(url: Any, where: str) -> str:
    if not isinstance(url, str) or not url.startswith(_TO_ROOT):
        raise invalid(where, f"its url {_show(url)} does not lead into the source from the page")
    return _clean(unquote(url[len(_TO_ROOT) :]), where)


def _clean(key: Any, where: str) -> str:
    """A key of the source that names a file outside the index, else refused."""
    if not isinstance(key, str):
        raise invalid(where, f"{_show(key)} is not a key")
    try:
        cleaned = clean_key(key)
    except AirlockError as error:
        raise invalid(where, error.message) from None
    if cleaned != key or not key or key.endswith("/") or key.startswith(INDEX_FOLDER):
        raise invalid(where, f"{_show(key)} is not a file of the source")
    return key


def _size(entry: dict[str, Any], where: str) -> int:
    size = entry.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise invalid(where, f"its size {_show(size)} is not a byte count")
    return size


def _digest(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise invalid(where, f"{_show(value)} is not a sha256 (64 lower-case hex digits)")
    return value


def _text(value: Any, where: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise invalid(where, f"{_show(value)} is not a string")
    return value


def _object(data: bytes, where: str) -> dict[str, Any]:
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as error:
        raise invalid(where, f"it is not JSON ({error})") from None
    return _dict(document, where)


def _dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(where, f"expected an object, found {_show(value)}")
    return value


def _list(value: Any, where: str, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise invalid(where, f"its {name} is not a list")
    return value


def _show(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def invalid(where: str, problem: str) -> AirlockError:
    return AirlockError("index-invalid", f"The index document {where} is invalid: {problem}.", 422)
