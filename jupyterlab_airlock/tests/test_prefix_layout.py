"""A source laid out a folder per project (``wheels/<project>/``) and no index: a plan lists
the folders of the projects it needs, not the source.

Real parts: wheels built here, moto's S3 server (its requests counted through botocore's
events) and a folder.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from demo.content import DEMO_AWS_ENV
from demo.services import Service, start_moto
from jupyterlab_airlock.package_index.files import walk_source
from jupyterlab_airlock.sources import FolderSource, S3Source

from .test_static_index import CLOSURE, counted, files_of, package_index, run, write_sums
from .wheels import make_wheel

UNRELATED = 30


def fill(root: Path) -> Path:
    """wheels/<project>/ for the closure (each with its SHA256SUMS) and unrelated projects,
    and a bundle elsewhere."""
    requires = {"airlock-a": ["airlock-b>=1"], "airlock-b": ["airlock-c"], "airlock-c": []}
    for project, needs in requires.items():
        folder = root / "wheels" / project
        folder.mkdir(parents=True)
        versions = ("1.0", "2.0") if project == "airlock-b" else ("1.0",)
        write_sums(folder, [make_wheel(folder, project, v, needs) for v in versions])
    for number in range(UNRELATED):
        folder = root / "wheels" / f"unrelated-{number}"
        folder.mkdir()
        make_wheel(folder, f"unrelated-{number}", "1.0")
    bundle = root / "bundles" / "one"
    bundle.mkdir(parents=True)
    write_sums(bundle, [make_wheel(bundle, "airlock-bundled", "1.0")])
    return root


def test_a_per_project_folder_is_read_a_project_at_a_time(tmp_path: Path) -> None:
    source = FolderSource(str(fill(tmp_path / "exchange")))
    index = package_index(source, tmp_path / "cache")
    snapshot = run(index.snapshot(projects=CLOSURE))
    assert (snapshot.via, snapshot.note) == ("prefixes", None)
    assert set(snapshot.projects) == set(CLOSURE)
    walked = run(walk_source(source, None))
    for project in CLOSURE:
        assert files_of(snapshot, project) == files_of(walked, project)
    assert files_of(snapshot, "airlock-b")[0][3] == "checksum"
    # A file picked by key outside the projects' folders: itself and its folder's manifest.
    key = "bundles/one/airlock_bundled-1.0-py3-none-any.whl"
    picked = run(index.snapshot(keys=[key]))
    assert picked.by_key[key].expected == walked.by_key[key].expected
    missing = run(index.snapshot(projects=["no-such-project"]))
    assert set(missing.projects) == {*CLOSURE, "airlock-bundled"}


@pytest.fixture(scope="module")
def moto() -> Iterator[Service]:
    service = start_moto()
    yield service
    service.stop()


@pytest.mark.parametrize("layout", ["per-project", "flat"])
def test_in_a_bucket_the_plan_lists_only_the_closures_folders(
    moto: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    for name, value in DEMO_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    s3 = boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1")
    bucket = f"layout-{layout}"
    s3.create_bucket(Bucket=bucket)
    root = fill(tmp_path / "bucket")
    for path in sorted(root.rglob("*")):
        if path.is_file():
            key = str(path.relative_to(root))
            if layout == "flat":  # the same files, all in wheels/
                key = key if key.startswith("bundles/") else f"wheels/{path.name}"
            s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
    if layout == "flat":
        wheels = sorted((root / "wheels").rglob("*.whl"))
        sums = "".join(f"{hashlib.sha256(w.read_bytes()).hexdigest()}  {w.name}\n" for w in wheels)
        s3.put_object(Bucket=bucket, Key="wheels/SHA256SUMS", Body=sums.encode())
    source = S3Source(bucket, endpoint_url=moto.url, region="us-east-1")
    sent = counted(source)
    snapshot = run(package_index(source, tmp_path / "cache").snapshot(projects=CLOSURE))
    assert [f[1] for f in files_of(snapshot, "airlock-b")] == ["1.0", "2.0"]
    if layout == "per-project":
        # The index's manifest (missing), wheels/ once, then each project's folder.
        assert snapshot.via == "prefixes"
        assert sent["ListObjectsV2"] == 1 + len(CLOSURE), sent
    else:
        assert snapshot.via == "walk"
        assert "no index" in (snapshot.note or "")
