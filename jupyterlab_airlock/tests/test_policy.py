"""The admin's policy as read from the config: rules, names as pip compares them, and a
policy that cannot be read failing closed with the file and line named."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyterlab_airlock.errors import AirlockError
from jupyterlab_airlock.trust.advisories import Advisory
from jupyterlab_airlock.trust.policy import load_policy


def test_allow_and_deny_with_version_ranges() -> None:
    policy = load_policy({"allow": ["NumPy>=1.26", "pandas"], "deny": ["pandas<2"]}, "")
    assert policy.package("numpy", "1.26.4") is None
    assert policy.package("numpy", "1.25.0") == (
        "numpy 1.25.0 is outside the approved versions (NumPy>=1.26)"
    )
    assert (
        policy.package("Pandas", "1.5.3") == "Pandas 1.5.3 is denied by the policy rule 'pandas<2'"
    )
    assert policy.package("pandas", "2.2.3") is None
    assert policy.package("requests", "2.32.0") == (
        "requests is not on the policy's list of approved packages"
    )
    assert policy.project("requests") is not None
    assert policy.project("pandas") is None  # some versions of it are allowed


def test_without_an_allowlist_everything_not_denied_is_allowed() -> None:
    policy = load_policy({"deny": ["evil"]}, "")
    assert policy.package("anything", "1.0") is None
    assert policy.project("evil") == "evil is denied by the policy rule 'evil'"


def test_verification_system_installs_sources_and_copy_size() -> None:
    policy = load_policy(
        {
            "require_verified": True,
            "allow_system_installs": False,
            "allowed_sources": [{"kind": "folder", "path": "/mnt/exchange"}],
            "max_copy_bytes": 100,
        },
        "",
    )
    assert "require_verified" in (policy.file("x.whl", verified=False) or "")
    assert policy.file("x.whl", verified=True) is None
    assert "allow_system_installs" in (policy.environment("system", "/usr") or "")
    assert policy.environment("venv", "/home/u/env") is None
    policy.source({"kind": "folder", "path": "/mnt/exchange/"})
    with pytest.raises(AirlockError) as refused:
        policy.source({"kind": "folder", "path": "/tmp/elsewhere"})
    assert refused.value.status == 403
    with pytest.raises(AirlockError) as too_large:
        policy.copy("data/big.csv", 101)
    assert too_large.value.status == 413


def test_the_inline_policy_overrides_the_file(tmp_path: Path) -> None:
    file = tmp_path / "policy.yaml"
    file.write_text("deny: [a]\nrequire_verified: true\n")
    policy = load_policy({"require_verified": False}, str(file))
    assert policy.project("a") is not None
    assert not policy.require_verified


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("deny: [a\nallow: b\n", "line 2"),
        ("- just a list\n", "must hold a mapping"),
        ("allow: [numpy>=]\n", "'allow' item 1"),
        ("deny: [x @ http://evil/x.whl]\n", "must be a name and range"),
        ("require_verified: sometimes\n", "'require_verified' must be true or false"),
        ("allow_everything: true\n", "unknown rule(s) allow_everything"),
        ("max_copy_bytes: -1\n", "whole number of bytes"),
    ],
)
def test_a_policy_that_cannot_be_read_fails_closed(tmp_path: Path, text: str, words: str) -> None:
    file = tmp_path / "policy.yaml"
    file.write_text(text)
    policy = load_policy({}, str(file))
    assert policy.broken is not None
    assert str(file) in policy.broken
    assert words in policy.broken
    assert policy.package("anything", "1.0") is not None
    with pytest.raises(AirlockError) as refused:
        policy.check_intact()
    assert "nothing can be installed or copied" in refused.value.message


def test_a_missing_policy_file_fails_closed(tmp_path: Path) -> None:
    policy = load_policy({}, str(tmp_path / "absent.yaml"))
    assert (
        policy.broken
        == f"The policy file {tmp_path / 'absent.yaml'} cannot be read: No such file or directory."
    )


def test_one_verdict_asks_what_it_is_given() -> None:
    policy = load_policy({"allow": ["numpy>=1.26"], "deny": ["evil"], "require_verified": True}, "")
    # The project as a whole, a version, a file: each part given is asked, none other.
    assert policy.verdict("evil") == "evil is denied by the policy rule 'evil'"
    assert policy.verdict("numpy") is None
    assert policy.verdict("numpy", "1.25.0") is not None
    assert policy.verdict("numpy", "1.26.4") is None
    assert "requires verified files" in str(
        policy.verdict("numpy", "1.26.4", "numpy-1.26.4-py3-none-any.whl", verified=False)
    )
    assert policy.verdict("numpy", "1.26.4", "numpy-1.26.4-py3-none-any.whl", True) is None
    # An environment archive has no project: only the file is asked about.
    assert policy.verdict(None, file="env.tar.gz", verified=True) is None
    assert policy.verdict(None, file="env.tar.gz", verified=False) is not None


def test_require_signed_asks_for_a_trusted_signature() -> None:
    policy = load_policy({"require_signed": True}, "")
    wheel = "x-1.0-py3-none-any.whl"

    assert policy.verdict("x", "1.0", wheel, verified=True, signed=True) is None
    assert policy.verdict("x", "1.0", wheel, verified=True, signed=False) == (
        f"{wheel} is not listed in a manifest signed by a trusted signer, and the policy "
        "requires signed files (rule 'require_signed')"
    )
    assert policy.verdict(None, file="env.tar.gz", verified=True) is not None


def advisory(ident: str, score: float | None, severity: str | None = None) -> Advisory:
    return Advisory(ident, ("CVE-2026-1",), "", ("2.0",), severity, score)


def test_deny_advisories_from_a_score_up_names_the_advisory() -> None:
    policy = load_policy({"deny_advisories": 7}, "")
    high, low = advisory("PYSEC-1", 9.8), advisory("PYSEC-2", 3.1)

    assert policy.verdict("x", "1.0", advisories=[low]) is None
    assert policy.verdict("x", "1.0", advisories=[low, high]) == (
        "x 1.0 is affected by PYSEC-1 (CVE-2026-1), and the policy denies advisories of "
        "CVSS 7.0 or more (rule 'deny_advisories')"
    )
    # A database's word counts from the lower end of its range; no word at all, as the worst.
    assert policy.verdict("x", "1.0", advisories=[advisory("GHSA-1", None, "HIGH")]) is not None
    assert policy.verdict("x", "1.0", advisories=[advisory("GHSA-2", None, "LOW")]) is None
    assert policy.verdict("x", "1.0", advisories=[advisory("GHSA-3", None)]) is not None


def test_deny_all_advisories_and_a_wrong_threshold() -> None:
    assert load_policy({"deny_advisories": "all"}, "").verdict(
        "x", "1.0", advisories=[advisory("PYSEC-2", 0.5)]
    )
    assert load_policy({}, "").verdict("x", "1.0", advisories=[advisory("PYSEC-1", 9.8)]) is None
    broken = load_policy({"deny_advisories": "high"}, "")
    assert broken.broken is not None
    assert "'deny_advisories' must be \"all\" or a CVSS score from 0 to 10" in broken.broken
