"""`jupyter airlock bundle` with local wheels and sdists beside requirements: in-house
packages (and Airlock's own wheel, test_self_install) whose dependencies come from the
index. pypiserver on 127.0.0.1 is the index (test_bundle's), with real pip and uv.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from jupyterlab_airlock.bundle.cli import main
from jupyterlab_airlock.trust.manifests import parse

from .test_bundle import (
    BUNDLE_FILES,
    CLOSURE,
    airlock,
    index,  # noqa: F401 (the index fixture)
    leftovers,
    one_line_error,
    target,
)
from .wheels import make_wheel

# An in-tree PEP 517 backend, so that pip builds the sdist with nothing from the index:
# it writes a wheel of the package, which needs airlock-a.
BACKEND = """
import base64, hashlib, zipfile

def _record(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}\\n"

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = "airlock_house-1.0-py3-none-any.whl"
    files = {
        "airlock_house/__init__.py": b"VERSION = '1.0'\\n",
        "airlock_house-1.0.dist-info/METADATA": (
            b"Metadata-Version: 2.1\\nName: airlock-house\\nVersion: 1.0\\n"
            b"Requires-Dist: airlock-a\\n"
        ),
        "airlock_house-1.0.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
        ),
    }
    record = "".join(_record(path, data) for path, data in files.items())
    record += "airlock_house-1.0.dist-info/RECORD,,\\n"
    files["airlock_house-1.0.dist-info/RECORD"] = record.encode()
    with zipfile.ZipFile(f"{wheel_directory}/{name}", "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return name
"""
PYPROJECT = """[build-system]
requires = []
build-backend = "house_backend"
backend-path = ["."]
"""


def make_sdist(folder: Path) -> Path:
    """``airlock_house-1.0.tar.gz``, built by its own backend into a wheel needing airlock-a."""
    sdist = folder / "airlock_house-1.0.tar.gz"
    files = {
        "pyproject.toml": PYPROJECT,
        "house_backend.py": BACKEND,
        "PKG-INFO": "Metadata-Version: 2.1\nName: airlock-house\nVersion: 1.0\n",
    }
    with tarfile.open(sdist, "w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            member = tarfile.TarInfo(f"airlock_house-1.0/{name}")
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return sdist


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_local_wheels_are_bundled_with_their_dependencies_from_the_index(
    index: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    house = make_wheel(dist, "airlock-house", "1.0", ["airlock-a"])  # not on the index
    tool = make_wheel(dist, "airlock-tool", "2.0", ["airlock-c"])
    out = tmp_path / "in-house"

    result = airlock("bundle", out, house, f"airlock-tool @ {tool.as_uri()}", *target(index))

    assert result.returncode == 0, result.stderr
    assert f"{house.name}: copied from {dist}, sha256 {sha256(house)}" in result.stdout
    assert {path.name for path in out.iterdir()} == CLOSURE | {house.name, tool.name} | BUNDLE_FILES
    for local in (house, tool):
        assert (out / local.name).read_bytes() == local.read_bytes()
        manifest = parse((out / "SHA256SUMS").read_text(), "SHA256SUMS")
        assert manifest.files[local.name].sha256 == sha256(local)
    lock = (out / "requirements.lock").read_text().splitlines()
    assert f"airlock-house==1.0 --hash=sha256:{sha256(house)}" in lock
    assert f"airlock-tool==2.0 --hash=sha256:{sha256(tool)}" in lock
    described = json.loads((out / "bundle.json").read_text())
    assert described["requirements"] == ["airlock-house==1.0", "airlock-tool==2.0"]
    assert str(tmp_path) not in (out / "bundle.json").read_text()  # no path of the DMZ's
    checked = airlock("check-bundle", out)
    assert checked.returncode == 0, checked.stderr


def test_a_local_sdist_is_built_into_a_wheel_and_bundled(
    index: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    sdist = make_sdist(tmp_path)
    out = tmp_path / "from-sdist"

    result = airlock("bundle", out, sdist, *target(index))

    assert result.returncode == 0, result.stderr
    wheel = "airlock_house-1.0-py3-none-any.whl"
    assert {path.name for path in out.iterdir()} == CLOSURE | {wheel} | BUNDLE_FILES
    assert json.loads((out / "bundle.json").read_text())["requirements"] == ["airlock-house==1.0"]
    assert airlock("check-bundle", out).returncode == 0


@pytest.mark.parametrize(
    ("given", "needle"),
    [
        ("MISSING", "dist/airlock_gone-1.0-py3-none-any.whl does not exist"),
        ("FOLDER", "dist is a folder; give the path of a wheel"),
        ("NOTES", "dist/notes.txt is neither a wheel (.whl) nor a source distribution"),
        ("BADNAME", "dist/house.whl is not named as a wheel or an sdist is"),
        ("OTHERNAME", "names airlock-other, but airlock_house-1.0-py3-none-any.whl is"),
        ("MACOS", "macosx_11_0_arm64.whl does not install on manylinux_2_17_x86_64"),
        ("airlock-house @ https://example.org/airlock_house-1.0.tar.gz", "names a URL"),
        ("airlock-house @ file://server/share/x.whl", "is not a file on this machine"),
    ],
)
def test_a_local_file_that_cannot_be_bundled_is_named_and_nothing_is_tried(
    index: str,  # noqa: F811
    tmp_path: Path,
    given: str,
    needle: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    dist = Path("dist")
    dist.mkdir()
    house = make_wheel(dist, "airlock-house", "1.0")
    (dist / "notes.txt").write_text("not a package")
    (dist / "house.whl").write_bytes(house.read_bytes())
    mac = make_wheel(dist, "airlock-mac", "1.0", tag="cp311-cp311-macosx_11_0_arm64")
    argument = {
        "MISSING": "dist/airlock_gone-1.0-py3-none-any.whl",
        "FOLDER": "dist/",
        "NOTES": "dist/notes.txt",
        "BADNAME": "dist/house.whl",
        "OTHERNAME": f"airlock-other @ {house.absolute().as_uri()}",
        "MACOS": str(mac),
    }.get(given, given)

    code = main(["bundle", "out", argument, *target(index)])

    printed = capsys.readouterr()
    assert code == 2
    assert needle in one_line_error(printed.err)
    assert "Resolving" not in printed.out
    assert not Path("out").exists()
    assert leftovers(tmp_path) == []
