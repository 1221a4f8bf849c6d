"""A static index of an artifact source, written beside its files, so that a plan reads the
documents of the projects it needs instead of listing the whole source.

``jupyter airlock index SOURCE`` (and ``jupyter airlock sign``, which then signs it) writes,
under the source's root (a folder, or ``s3://bucket/prefix/``)::

    .airlock-index/
      manifest.json          every document below with its sha256 and size (manifests.py's
                             format, so it is signed like any manifest: manifest.json.sig,
                             for the folder ".airlock-index/"), and an "airlock-index"
                             section: {"format": 1, "serial": N, "written": ISO 8601 UTC}
      simple/index.json      PEP 691 project list
      simple/<name>/index.json
                             PEP 691 page of one project (<name> normalized): each file's
                             filename, url (relative to the page: ../../../<key>), hashes
                             (sha256), size, requires-python and core-metadata (sha256 of
                             the wheel's METADATA) where read; "_airlock" keys add what
                             Airlock needs (date, etag, which manifest lists the file) and
                             the folder manifests the files came from, with their size and
                             date, to tell when the page is older than the files
      bins/<xx>.json         {"projects": {<name>: {"sha256", "size"}}} of the projects
                             whose sha256(name) starts with <xx>: the manifest lists 256
                             bins, not every page, so that it stays small
      manifests.json         every folder manifest of the source as it was: read when a
                             project has no page, to tell a new one from a missing one
      conda/packages.json    the source's conda packages (as the pages' files), and the
                             channels (repodata.json) found in it
      conda/<subdir>/repodata.json
                             the loose conda packages' records, per subdir

Pages and the project list are written with the content type
``application/vnd.pypi.simple.v1+json`` (S3 keeps it; a web server in front of the bucket
must be told for ``index.json``), everything else as ``application/json``; the manifest is
written last, so a reader sees either the old index or the whole new one.

A reader trusts a document only when its sha256 is the one its bin or the manifest gives,
and the manifest only when its signature is good (under the policy's ``require_signed``,
only when it is signed by a trusted signer); otherwise, and when a page is older than its
folder's manifest, it walks the source as before and the plan says why.
"""

from __future__ import annotations

INDEX_FOLDER = ".airlock-index/"
PYPI_JSON = "application/vnd.pypi.simple.v1+json"
PLAIN_JSON = "application/json"
