"""Checksums that travel with the files: reading them, merging them, checking against them."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyterlab_airlock.errors import AirlockError
from jupyterlab_airlock.trust.manifests import (
    Manifest,
    ManifestEntry,
    Sha256Verifier,
    merge,
    parse,
    parse_manifest_json,
    parse_sha256sums,
    status,
)

WHEEL = b"not really a wheel"
WHEEL_SHA = hashlib.sha256(WHEEL).hexdigest()
CSV = b"a,b\n1,2\n"
CSV_SHA = hashlib.sha256(CSV).hexdigest()
OTHER_SHA = "0" * 64


def invalid(parse_it: Any, text: str) -> str:
    with pytest.raises(AirlockError) as caught:
        parse_it(text, "bundle/SHA256SUMS")
    assert caught.value.code == "invalid-manifest"
    assert caught.value.status == 422
    assert "bundle/SHA256SUMS" in caught.value.message
    return caught.value.message


def test_sha256sums_in_text_binary_and_tag_form() -> None:
    text = (
        "\ufeff# made in the DMZ by sha256sum\n"
        f"{WHEEL_SHA}  wheels/x-1.0-py3-none-any.whl\r\n"
        "\n"
        f"{CSV_SHA.upper()} *./data/iris.csv\n"
        f"SHA256 (data/with space.csv) = {OTHER_SHA}\n"
        "   \n"
    )

    manifest = parse_sha256sums(text, "bundle/SHA256SUMS")

    assert manifest == Manifest(
        {
            "wheels/x-1.0-py3-none-any.whl": ManifestEntry(WHEEL_SHA),
            "data/iris.csv": ManifestEntry(CSV_SHA),
            "data/with space.csv": ManifestEntry(OTHER_SHA),
        },
        "bundle/SHA256SUMS",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("just words\n", "at line 1: expected '<sha256>  <file>', found 'just words'"),
        (f"# ok\n\n{WHEEL_SHA[:-1]}  x.whl\n", "at line 3: '"),
        (f"{WHEEL_SHA[:-1]}  x.whl", "is not a sha256 (64 hexadecimal digits)"),
        (f"{'g' * 64}  x.whl", "at line 1: 'gggg"),
        (f"{WHEEL_SHA} x.whl", "at line 1: expected '<sha256>  <file>'"),
        (f"{WHEEL_SHA}  ../../etc/passwd", "at line 1: the path '../../etc/passwd' leaves"),
        (f"{WHEEL_SHA}  a/./../../b", "leaves the manifest's folder"),
        (f"{WHEEL_SHA}  /etc/passwd", "at line 1: the path '/etc/passwd' is absolute"),
        (f"{WHEEL_SHA}  C:/x.whl", "is absolute"),
        (f"{WHEEL_SHA}  sub\\x.whl", "has a backslash or control character"),
        (f"{WHEEL_SHA}  ./", "at line 1: the path is empty"),
        (
            f"{WHEEL_SHA}  x.whl\n# again\n{CSV_SHA}  ./x.whl\n",
            "at line 3: 'x.whl' is listed twice (first on line 1)",
        ),
    ],
)
def test_a_bad_sha256sums_line_is_refused_with_its_line_number(text: str, message: str) -> None:
    assert message in invalid(parse_sha256sums, text)


def test_manifest_json() -> None:
    text = json.dumps(
        {
            "version": 1,
            "created": "2024-06-01",
            "files": [
                {"path": "wheels/x-1.0-py3-none-any.whl", "sha256": WHEEL_SHA, "size": 18},
                {"path": "./data/iris.csv", "sha256": CSV_SHA.upper(), "tool": "bundle 1.0"},
                {"path": "empty.txt", "sha256": OTHER_SHA, "size": None},
            ],
        }
    )

    manifest = parse_manifest_json(text, "bundle/manifest.json")

    assert manifest.source == "bundle/manifest.json"
    assert manifest.files == {
        "wheels/x-1.0-py3-none-any.whl": ManifestEntry(WHEEL_SHA, 18),
        "data/iris.csv": ManifestEntry(CSV_SHA),
        "empty.txt": ManifestEntry(OTHER_SHA),
    }


def entry(**item: Any) -> str:
    return json.dumps({"version": 1, "files": [{"path": "a.whl", "sha256": WHEEL_SHA, **item}]})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"version": 1, "files": [}', "at line 1, column 26: this is not JSON (Expecting value)"),
        ("", "at line 1, column 1: this is not JSON"),
        ("[" * 100_000, "this JSON cannot be read"),
        (
            '{"version": 1, "files": [], "size": ' + "9" * 5000 + "}",
            "at $: this JSON cannot be read",
        ),
        ("[]", "at $: expected an object with a list of files, found a list"),
        ('{"files": []}', "at $.version: expected 1, found nothing"),
        ('{"version": 2, "files": []}', "at $.version: expected 1, found 2"),
        ('{"version": true, "files": []}', "at $.version: expected 1, found True"),
        ('{"version": 1, "files": {}}', "at $.files: expected a list, found an object"),
        ('{"version": 1, "files": ["a.whl"]}', "at $.files[0]: expected an object, found 'a.whl'"),
        (entry(path=None), "at $.files[0].path: expected a string, found nothing"),
        (entry(path="../a.whl"), "at $.files[0].path: the path '../a.whl' leaves"),
        (entry(path="/srv/a.whl"), "at $.files[0].path: the path '/srv/a.whl' is absolute"),
        (entry(sha256=12), "at $.files[0].sha256: expected a string, found 12"),
        (entry(sha256="md5:abc"), "at $.files[0].sha256: 'md5:abc' is not a sha256"),
        (entry(size=-1), "at $.files[0].size: expected a byte count, found -1"),
        (entry(size=1.5), "at $.files[0].size: expected a byte count, found 1.5"),
        (entry(size=True), "at $.files[0].size: expected a byte count, found True"),
        (
            json.dumps(
                {
                    "version": 1,
                    "files": [
                        {"path": "a.whl", "sha256": WHEEL_SHA},
                        {"path": "b.whl", "sha256": WHEEL_SHA},
                        {"path": "./a.whl", "sha256": WHEEL_SHA},
                    ],
                }
            ),
            "at $.files[2].path: 'a.whl' is listed twice (first at $.files[0])",
        ),
    ],
)
def test_a_bad_manifest_json_is_refused_with_the_json_path(text: str, message: str) -> None:
    assert message in invalid(parse_manifest_json, text)


def test_the_parser_is_chosen_by_the_file_name() -> None:
    assert parse(entry(), "x/manifest.json").files == {"a.whl": ManifestEntry(WHEEL_SHA)}
    assert parse(f"{WHEEL_SHA}  a.whl\n", "x/SHA256SUMS").files == {
        "a.whl": ManifestEntry(WHEEL_SHA)
    }


def test_two_manifests_of_a_folder_are_merged_when_they_agree() -> None:
    sums = parse_sha256sums(f"{WHEEL_SHA}  a.whl\n{CSV_SHA}  iris.csv\n", "SHA256SUMS")
    described = parse_manifest_json(entry(size=18), "manifest.json")

    merged = merge([sums, described])

    assert merged.files == {
        "a.whl": ManifestEntry(WHEEL_SHA, 18),
        "iris.csv": ManifestEntry(CSV_SHA),
    }
    assert merged.source == "SHA256SUMS + manifest.json"
    assert merge([described, sums]).files == merged.files
    assert merge([]) == Manifest({}, "")


@pytest.mark.parametrize(
    ("other", "difference"),
    [
        (
            Manifest({"a.whl": ManifestEntry(OTHER_SHA)}, "SHA256SUMS"),
            f"sha256 {WHEEL_SHA} against {OTHER_SHA}",
        ),
        (
            Manifest({"a.whl": ManifestEntry(WHEEL_SHA, 99)}, "SHA256SUMS"),
            "size 18 against 99 bytes",
        ),
    ],
)
def test_manifests_that_disagree_about_a_file_are_an_error_naming_it(
    other: Manifest, difference: str
) -> None:
    described = parse_manifest_json(entry(size=18), "manifest.json")

    with pytest.raises(AirlockError) as caught:
        merge([described, other])

    assert caught.value.code == "manifest-conflict"
    assert caught.value.status == 422
    assert (
        f"manifest.json and SHA256SUMS disagree about 'a.whl' ({difference})"
        in caught.value.message
    )


def test_status_of_a_file() -> None:
    manifest = Manifest(
        {"a.whl": ManifestEntry(WHEEL_SHA, 18), "b.csv": ManifestEntry(CSV_SHA)}, "m"
    )

    assert status(manifest, "a.whl", 18, WHEEL_SHA) == "verified"
    assert status(manifest, "a.whl", None, WHEEL_SHA.upper()) == "verified"
    assert status(manifest, "a.whl", 18, OTHER_SHA) == "mismatch"
    assert status(manifest, "a.whl", 17) == "mismatch"
    assert status(manifest, "a.whl", 18) == "listed"
    assert status(manifest, "b.csv", 123456) == "listed"
    assert status(manifest, "c.whl", 18, WHEEL_SHA) == "not-listed"
    assert status(None, "a.whl", 18, WHEEL_SHA) == "not-listed"


def test_the_verifier_passes_what_streamed_through_intact() -> None:
    verifier = Sha256Verifier("wheels/a.whl")
    for start in range(0, len(WHEEL), 5):
        verifier.update(memoryview(WHEEL)[start : start + 5])

    verifier.check(ManifestEntry(WHEEL_SHA, len(WHEEL)))
    verifier.check(WHEEL_SHA.upper())
    assert (verifier.size, verifier.hexdigest()) == (len(WHEEL), WHEEL_SHA)


@pytest.mark.parametrize(
    ("expected", "says"),
    [
        (
            ManifestEntry(OTHER_SHA),
            f"the manifest says sha256 {OTHER_SHA}, the copy has {WHEEL_SHA}",
        ),
        (OTHER_SHA, f"the manifest says sha256 {OTHER_SHA}, the copy has {WHEEL_SHA}"),
        (ManifestEntry(WHEEL_SHA, 19), "the manifest says 19 bytes, the copy has 18"),
    ],
)
def test_the_verifier_refuses_a_damaged_file_naming_it(
    expected: ManifestEntry | str, says: str
) -> None:
    verifier = Sha256Verifier("wheels/a.whl")
    verifier.update(WHEEL)

    with pytest.raises(AirlockError) as caught:
        verifier.check(expected)

    assert caught.value.code == "checksum-mismatch"
    assert caught.value.status == 422
    assert "'wheels/a.whl' is not the file its manifest lists" in caught.value.message
    assert says in caught.value.message


def outcome(parse_it: Any, text: str) -> Manifest | None:
    """The manifest, or None when it is refused as invalid; any other failure fails the test."""
    try:
        manifest: Manifest = parse_it(text, "fuzzed")
    except AirlockError as error:
        if error.code != "invalid-manifest":
            raise
        return None
    return manifest


# Lines made of the pieces of real ones, so the fuzzing gets past the first check.
LINE_PIECES = st.sampled_from(
    [
        WHEEL_SHA,
        WHEEL_SHA[:10],
        "  ",
        " *",
        " ",
        "a.whl",
        "./",
        "..",
        "/",
        "\\",
        "#",
        "\r",
        "SHA256 (",
        ") = ",
        "\x00",
        "é",
        "\ufeff",
        "\t",
    ]
)
NAME = st.text(st.sampled_from("ab./_ \\é\x00"), min_size=1)
GOOD_LINE = st.builds("{}{}{}".format, st.sampled_from([WHEEL_SHA, CSV_SHA]), st.just("  "), NAME)
LINES = st.lists(st.one_of(GOOD_LINE, st.lists(LINE_PIECES).map("".join))).map("\n".join)


@settings(max_examples=400, deadline=None)
@given(text=st.one_of(st.text(), LINES))
def test_no_text_makes_the_sha256sums_parser_fail_other_than_invalid(text: str) -> None:
    manifest = outcome(parse_sha256sums, text)
    if isinstance(manifest, Manifest):
        assert all(
            len(e.sha256) == 64 and ".." not in p.split("/") for p, e in manifest.files.items()
        )


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=20,
)
PATHS = st.one_of(NAME, st.sampled_from(["a.whl", "./a.whl", "../a", "/a", "a\\b", ""]))
DIGESTS = st.sampled_from([WHEEL_SHA, WHEEL_SHA.upper(), "x"])
GOOD_ITEM = st.fixed_dictionaries(
    {"path": PATHS, "sha256": DIGESTS}, optional={"size": st.integers(min_value=0)}
)
ITEM = st.fixed_dictionaries(
    {}, optional={"path": st.one_of(PATHS, JSON), "sha256": st.one_of(DIGESTS, JSON), "size": JSON}
)
DOCUMENTS = st.fixed_dictionaries(
    {"version": st.one_of(st.just(1), JSON)},
    optional={"files": st.one_of(st.lists(st.one_of(GOOD_ITEM, ITEM)), JSON)},
)


@settings(max_examples=250, deadline=None)
@given(text=st.one_of(st.text(), JSON.map(json.dumps), DOCUMENTS.map(json.dumps)))
def test_no_text_makes_the_json_parser_fail_other_than_invalid(text: str) -> None:
    manifest = outcome(parse_manifest_json, text)
    if isinstance(manifest, Manifest):
        assert all(len(e.sha256) == 64 for e in manifest.files.values())
