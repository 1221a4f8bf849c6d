"""``jupyter airlock index SOURCE``: write the static index of a folder or an S3 prefix; and
the index step of ``jupyter airlock sign``, which then signs it with the folder's manifests.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from ..bundle_format.folder import BundleInputError
from ..package_index.layout import INDEX_FOLDER
from ..s3_write import parse_s3_url
from ..sources import FolderSource, S3Source, Source
from .index_stores import FolderStore, S3Store, Store
from .index_writer import Written, write_index

DESCRIPTION = (
    "Write the static index of SOURCE (a folder, or s3://BUCKET/PREFIX) into its "
    f"{INDEX_FOLDER}: one PEP 691 page per project, a project list and conda repodata, so "
    "that plans read only the projects they need. Run it after files are added; "
    "'jupyter airlock sign' runs it too, then signs it."
)


def parser(prog: str) -> argparse.ArgumentParser:
    index = argparse.ArgumentParser(prog=f"{prog} index", description=DESCRIPTION)
    index.add_argument("source", metavar="SOURCE", help="a folder, or s3://BUCKET/PREFIX")
    add_s3_options(index)
    return index


def add_s3_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint-url", metavar="URL", help="S3 endpoint (MinIO, Ceph...)")
    parser.add_argument("--aws-profile", metavar="NAME", help="AWS profile")
    parser.add_argument("--region", metavar="NAME", help="the bucket's region")


async def run(arguments: argparse.Namespace, say: Callable[[str], None]) -> None:
    written = await index_source(
        arguments.source,
        endpoint_url=arguments.endpoint_url,
        aws_profile=arguments.aws_profile,
        region=arguments.region,
        say=say,
    )
    report(written, say)


async def index_source(
    where: str,
    *,
    endpoint_url: str | None = None,
    aws_profile: str | None = None,
    region: str | None = None,
    empty: str | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> Written:
    """Index the folder or ``s3://`` prefix ``where``; with ``empty``, a source without
    package files is refused with that message, before anything is written."""
    source, store = _open(where, endpoint_url, aws_profile, region)
    return await write_index(source, store, say, empty)


def report(written: Written, say: Callable[[str], None]) -> None:
    for problem in written.problems:
        say(f"warning: {problem}")
    conda = f", {written.conda} conda package(s)" if written.conda else ""
    reused = (
        f"; {written.files_reused} unchanged file(s) not read again" if written.files_reused else ""
    )
    say(
        f"Indexed {written.projects} project(s) ({written.files} file(s){conda}) into "
        f"{written.where} (serial {written.serial}; {written.pages_written} page(s) "
        f"written{reused})"
    )


def _open(
    where: str, endpoint_url: str | None, aws_profile: str | None, region: str | None
) -> tuple[Source, Store]:
    if where.startswith("s3://"):
        bucket, prefix = parse_s3_url(where)
        source = S3Source(
            bucket, prefix, endpoint_url=endpoint_url, region=region, aws_profile=aws_profile
        )
        return source, S3Store(bucket, prefix, endpoint_url, aws_profile)
    if endpoint_url or aws_profile or region:
        raise BundleInputError("--endpoint-url, --aws-profile and --region are for s3://.")
    folder = Path(where)
    if not folder.is_dir():
        raise BundleInputError(f"{where} is not a folder (nor an s3:// URL).")
    return FolderSource(str(folder)), FolderStore(folder)
