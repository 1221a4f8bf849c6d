"""The artifact source served as a package index to pip (PEP 503 HTML, PEP 691 JSON,
PEP 658 metadata), under ``<base_url>/airlock/index/``.

pip cannot send Jupyter's token or cookies, so these routes are authenticated by a secret
of this server sent as the Basic auth password instead (``IndexAddress``; none or a wrong
one is a 401). Only this server's user learns it: Airlock's own pip runs and the user's
own pip config written with owner-only permissions. The policy judges every file with its
signature and the advisories known for it: what it refuses is not served.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import tornado.web
from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import JupyterHandler
from packaging.utils import canonicalize_name

from .errors import AirlockError
from .index_address import IndexAddress
from .package_index.index import IndexedFile, IndexSnapshot, PackageIndex
from .trust.gate import judge

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
_CHUNK = 1 << 20
# conda's subdirs (linux-64, noarch...): the one path part the channel's folders are named by.
_SUBDIR = re.compile(r"[\w-]+", re.ASCII)


class IndexHandler(JupyterHandler):
    """Base of the index routes: the secret, as the Basic auth password, is the credential."""

    @property
    def index(self) -> PackageIndex:
        index: PackageIndex = self.settings["airlock"].index
        return index

    @property
    def address(self) -> IndexAddress:
        address: IndexAddress = self.settings["airlock"].index_address
        return address

    async def prepare(self) -> None:  # type: ignore[override]
        # Jupyter's own checks (host, CORS, XSRF for writes) first; its login does not
        # apply (the routes allow unauthenticated access): pip has no token. The secret does.
        await super().prepare()
        if not self.address.admits(self.request.headers.get("Authorization")):
            raise tornado.web.HTTPError(401)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        message = error.message if isinstance(error, AirlockError) else self._reason
        if isinstance(error, AirlockError):
            self.set_status(error.status)
        if self.get_status() == 401:  # the challenge: pip then sends its credentials
            self.set_header("WWW-Authenticate", 'Basic realm="Airlock package index"')
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(message + "\n")

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, AirlockError):
            self.log.warning("Airlock index %s: %s", value.code, value.message)
        else:
            super().log_exception(typ, value, tb)

    def refusal(self, snapshot: IndexSnapshot, indexed: IndexedFile) -> str | None:
        """Why the admin's policy keeps this file out of the index, or None."""
        return snapshot.refusal(self.settings["airlock"].policy, indexed, "index")

    def permitted(self, snapshot: IndexSnapshot, files: list[IndexedFile]) -> list[IndexedFile]:
        return [indexed for indexed in files if self.refusal(snapshot, indexed) is None]

    def file_url(self, indexed: IndexedFile) -> str:
        sha256 = indexed.expected.sha256 if indexed.expected else None
        url = f"{self.address.path}files/{quote(indexed.entry.key)}"
        return url + (f"#sha256={sha256}" if sha256 else "")

    async def send_file(self, path: Path) -> None:
        self.set_header("Content-Type", "application/octet-stream")
        # The cached bytes are what the manifest vouches for, whatever the bucket holds now.
        size = (await asyncio.to_thread(path.stat)).st_size
        self.set_header("Content-Length", str(size))
        with path.open("rb") as cached:
            while chunk := await asyncio.to_thread(cached.read, _CHUNK):
                self.write(chunk)
                await self.flush()
        self.finish()

    def wants_json(self) -> bool:
        return JSON_TYPE in self.request.headers.get("Accept", "")


class ProjectsHandler(IndexHandler):
    """``GET index/simple/``: every project of the source."""

    @allow_unauthenticated
    async def get(self) -> None:
        listed = await self.index.project_names()
        if listed is not None:
            # The static index's project list alone (no page read): the policy's word on
            # each project as a whole here, on each of its files on the project's page.
            snapshot, every = listed
            policy = self.settings["airlock"].policy
            names = [
                name
                for name in every
                if judge(policy, "index", project=name, advisories=snapshot.advisories).allowed
            ]
        else:
            snapshot = await self.index.snapshot(every_project=True)
            names = sorted(
                name for name, files in snapshot.projects.items() if self.permitted(snapshot, files)
            )
        if self.wants_json():
            self.set_header("Content-Type", JSON_TYPE)
            self.finish(
                json.dumps(
                    {"meta": {"api-version": "1.1"}, "projects": [{"name": n} for n in names]}
                )
            )
            return
        links = "".join(
            f'<a href="{quote(name)}/">{html.escape(name)}</a><br/>\n' for name in names
        )
        self.finish(_page("Simple index", links))


class ProjectHandler(IndexHandler):
    """``GET index/simple/<project>/``: the files of one project."""

    @allow_unauthenticated
    async def get(self, project: str) -> None:
        normalized = canonicalize_name(project)
        if normalized != project:
            # Quoted: a name may hold any character, and a header no line break.
            self.redirect(f"{self.address.path}simple/{quote(normalized)}/")
            return
        snapshot = await self.index.snapshot(projects=[normalized])
        files = self.permitted(snapshot, snapshot.projects.get(normalized, []))
        if not files:
            raise AirlockError(
                "not-in-index", f"No files of {project} in the artifact source.", 404
            )
        if self.wants_json():
            self.set_header("Content-Type", JSON_TYPE)
            self.finish(json.dumps(self._json(normalized, files)))
            return
        links = ""
        for indexed in files:
            attributes = ""
            if indexed.requires_python:
                attributes += f' data-requires-python="{html.escape(indexed.requires_python)}"'
            if indexed.kind == "wheel":
                known = indexed.metadata_sha256
                flag = f"sha256={known}" if known else "true"
                attributes += f' data-dist-info-metadata="{flag}" data-core-metadata="{flag}"'
            links += (
                f'<a href="{html.escape(self.file_url(indexed))}"{attributes}>'
                f"{html.escape(indexed.entry.name)}</a><br/>\n"
            )
        self.finish(_page(f"Links for {normalized}", links))

    def _json(self, name: str, files: list[IndexedFile]) -> dict[str, Any]:
        described = []
        for indexed in files:
            url = self.file_url(indexed).partition("#")[0]
            item: dict[str, Any] = {
                "filename": indexed.entry.name,
                "url": url,
                "hashes": {"sha256": indexed.expected.sha256} if indexed.expected else {},
                "size": indexed.entry.size,
            }
            if indexed.requires_python:
                item["requires-python"] = indexed.requires_python
            if indexed.kind == "wheel":
                # PEP 714: the METADATA's hash when the static index knows it.
                known = indexed.metadata_sha256
                item["core-metadata"] = {"sha256": known} if known else True
                item["data-dist-info-metadata"] = item["core-metadata"]
            described.append(item)
        versions = sorted({indexed.version for indexed in files})
        return {
            "meta": {"api-version": "1.1"},
            "name": name,
            "files": described,
            "versions": versions,
        }


class FileHandler(IndexHandler):
    """``GET index/files/<key>``: a package file, fetched into the cache and
    verified first; ``<key>.metadata`` is a wheel's METADATA (PEP 658)."""

    @allow_unauthenticated
    async def get(self, key: str) -> None:
        snapshot = await self.index.snapshot(keys=[key.removesuffix(".metadata")])
        indexed = snapshot.by_key.get(key.removesuffix(".metadata"))
        reason = self.refusal(snapshot, indexed) if indexed is not None else None
        if reason:
            raise AirlockError("policy-refused", f"Not served: {reason}.", 403)
        if key.endswith(".metadata"):
            metadata = await self.index.metadata(key.removesuffix(".metadata"))
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(metadata)
            # uv asks for the requirements' metadata next: read it meanwhile, what the
            # policy would refuse left out (what is served is judged above either way).
            policy = self.settings["airlock"].policy
            self.index.read_ahead.start(
                metadata, lambda seen, wheel: seen.refusal(policy, wheel, "index") is None
            )
            return
        _, path, _ = await self.index.file(key)
        await self.send_file(path)


class CondaRepodataHandler(IndexHandler):
    """``GET index/conda/<subdir>/repodata.json``: the source's conda packages
    as a channel (the bucket's own repodata, or one made from its loose packages)."""

    @allow_unauthenticated
    async def get(self, subdir: str) -> None:
        _check_subdir(subdir)
        self.set_header("Content-Type", "application/json")
        self.finish(await self.settings["airlock"].conda_channel.repodata(subdir))


class CondaFileHandler(IndexHandler):
    """``GET index/conda/<subdir>/<file>``: a conda package, from the cache."""

    @allow_unauthenticated
    async def get(self, subdir: str, name: str) -> None:
        _check_subdir(subdir)
        path = await self.settings["airlock"].conda_channel.file(subdir, name)
        await self.send_file(path)


INDEX_ROUTES: list[tuple[str, type[IndexHandler]]] = [
    (r"index/simple/", ProjectsHandler),
    (r"index/simple/(?P<project>[^/]+)/", ProjectHandler),
    (r"index/files/(?P<key>.+)", FileHandler),
    # Path parameters are taken whole, so a malformed one gets the handler's plain-text
    # 404 rather than Jupyter's HTML page.
    (r"index/conda/(?P<subdir>[^/]+)/repodata.json", CondaRepodataHandler),
    (r"index/conda/(?P<subdir>[^/]+)/(?P<name>[^/]+)", CondaFileHandler),
]


def _check_subdir(subdir: str) -> None:
    if not _SUBDIR.fullmatch(subdir):
        raise AirlockError(
            "not-in-index",
            f"The channel has no subdir {subdir!r}: subdirs are named like linux-64 or noarch.",
            404,
        )


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.1">'
        f"<title>{html.escape(title)}</title></head><body>\n<h1>{html.escape(title)}</h1>\n"
        f"{body}</body></html>\n"
    )
