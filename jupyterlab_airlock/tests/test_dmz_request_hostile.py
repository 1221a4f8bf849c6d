"""A DMZ request is checked before anything is tried: a hostile one (paths in names,
options or URLs smuggled into requirements, unknown fields, a 50 MB document) is refused in
one line and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from jupyterlab_airlock.bundle.cli import main
from jupyterlab_airlock.dmz.channels import remember_channels, remembered_channels
from jupyterlab_airlock.dmz.document import request_schema

from .test_bundle import airlock, one_line_error

NATIVE = "manylinux_2_17_x86_64"


def valid_request() -> dict[str, Any]:
    return {
        "airlock_request": 1,
        "id": "3f2a6c1e" * 4,
        "created": "2025-01-31T12:00:00Z",
        "user": "alice",
        "kernel": {"name": "python3", "display_name": "Python 3", "environment": "venv"},
        "target": {
            "python_version": "3.11",
            "python_full_version": "3.11.7",
            "implementation": "cp",
            "abi": "cp311",
            "platforms": [NATIVE, "linux_x86_64"],
            "glibc": "2.17",
            "conda_subdir": "linux-64",
        },
        "requested": [],
        "missing": [{"requirement": "airlock-needed>=1", "needed_by": None}],
        "constraints": [],
    }


def conda_part(channel: str) -> dict[str, Any]:
    """A conda request's own part, naming ``channel`` as the DMZ's."""
    return {"subdir": "linux-64", "virtual_packages": [], "constraints": [], "channels": [channel]}


def hostile(change: dict[str, Any]) -> dict[str, Any]:
    document = valid_request()
    for path, value in change.items():
        *parents, last = path.split(".")
        place: Any = document
        for part in parents:
            place = place[int(part)] if part.isdigit() else place[part]
        place[last] = value
    return document


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"requested": ["--index-url http://evil.example/simple airlock-x"]}, "pip option"),
        ({"missing.0.requirement": "airlock-x --extra-index-url=http://e"}, "pip option"),
        ({"missing.0.requirement": "airlock-x @ file:///etc/passwd"}, "names a URL"),
        ({"requested": ["../../etc/passwd"]}, "not a requirement pip understands"),
        ({"kernel.name": "../../etc"}, "kernel.name is '../../etc', which is not a kernel name"),
        ({"id": "../../../tmp/x"}, "id is '../../../tmp/x'"),
        ({"target.platforms": ["../../x"]}, "which is not a wheel platform tag"),
        ({"target.platforms": ["manylinux_3_17_x86_64"]}, "manylinux versions are glibc versions"),
        ({"constraints": ["airlock-deep>=1"]}, "which is not name==version"),
        ({"target.extra_index_url": "http://e"}, "target has unknown field(s) 'extra_index_url'"),
        ({"index_url": "http://e"}, "the document has unknown field(s) 'index_url'"),
        ({"target.implementation": "pp"}, "Airlock's bundles are for CPython kernels"),
        *(
            ({"conda": conda_part(channel)}, "which is not a channel URL without user")
            for channel in (
                "https://ada:s3cret@mirror.example/conda-forge",
                "https://mirror.example/conda-forge?token=s3cret",
                "/srv/dmz/channel",
                "https://mirror.example/conda forge",
            )
        ),
    ],
)
def test_a_hostile_request_is_refused_and_changes_nothing(
    change: dict[str, Any], said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "request.json"
    file.write_text(json.dumps(hostile(change)))
    status = main(["bundle", str(tmp_path / "out"), "--from-request", str(file),
                   "--index-url", "http://127.0.0.1:9/simple/"])  # fmt: skip
    assert status == 2
    assert said in one_line_error(capsys.readouterr().err)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["request.json"]


def test_a_50_mb_request_is_refused_by_its_size_before_it_is_read(tmp_path: Path) -> None:
    """As a user runs it (a process of its own), with a file the parser would refuse too."""
    file = tmp_path / "request.json"
    with file.open("wb") as handle:
        handle.truncate(50_000_000)
    refused = airlock("bundle", tmp_path / "out", "--from-request", file)
    assert refused.returncode == 2
    error = one_line_error(refused.stderr)
    assert "50.0 MB, larger than any Airlock request" in error
    assert "not JSON" not in error
    assert sorted(path.name for path in tmp_path.iterdir()) == ["request.json"]


def test_the_request_gives_what_the_command_line_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "request.json"
    file.write_text(json.dumps(valid_request()))
    with pytest.raises(SystemExit) as stopped:
        main(["bundle", str(tmp_path / "out"), "airlock-x", "--platform", "win_amd64",
              "--from-request", str(file)])  # fmt: skip
    assert stopped.value.code == 2
    assert "REQUIREMENT is given by the request" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_kernel_remembers_only_channels_a_request_may_carry(tmp_path: Path) -> None:
    (tmp_path / "conda-meta").mkdir()
    remember_channels(tmp_path, ["https://mirror.example/conda-forge/", "file:///srv/dmz"])
    assert remembered_channels(tmp_path) == [
        "https://mirror.example/conda-forge",
        "file:///srv/dmz",
    ]
    # A note edited by hand is read as a request would carry it: nothing secret, each once.
    (tmp_path / "conda-meta" / "airlock").write_text(json.dumps({"channels": [
        "https://ada:s3cret@mirror.example/conda-forge", "https://m.example/c?token=s3cret",
        "https://m.example/c", "https://m.example/c/", 3, "s3://bucket/channel",
    ]}))  # fmt: skip
    assert remembered_channels(tmp_path) == ["https://m.example/c"]
    (tmp_path / "conda-meta" / "airlock").write_text("not json")
    assert remembered_channels(tmp_path) == []


def test_the_request_schema_accepts_what_the_server_writes() -> None:
    """The schema file is the one the tools read: it is valid JSON Schema itself."""
    Draft202012Validator.check_schema(request_schema())
    assert not list(Draft202012Validator(request_schema()).iter_errors(valid_request()))
