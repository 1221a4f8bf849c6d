"""The README and the docs/ pages say what the project has: every `make` target they name is
in the Makefile, every option they give `jupyter airlock` is one its --help lists, and every
relative link and picture leads to a file (and heading) that is there. The install commands
themselves run in test_self_install."""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCED = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
INLINE = re.compile(r"(?<!`)`([^`]+)`(?!`)")
AIRLOCK = re.compile(r"(?:jupyter airlock|python -m jupyterlab_airlock) ([a-z-]+)((?:\s+[^\s#]+)*)")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def commands(page: Path) -> list[str]:
    """The shell commands of a page: its fenced bash lines (continuations joined, comments
    cut) and its inline code."""
    text = page.read_text("utf-8")
    found: list[str] = []
    for language, block in FENCED.findall(text):
        if language not in ("bash", "sh", ""):
            continue
        for line in block.replace("\\\n", " ").splitlines():
            found.append(re.sub(r"(^|\s)#.*", "", line))
    found += [" ".join(span.split()) for span in INLINE.findall(FENCED.sub("", text))]
    return found


def make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text("utf-8")
    return set(re.findall(r"^([a-z][\w-]*)\s*:(?!=)", makefile, re.M))


@cache
def airlock_options(command: str) -> frozenset[str]:
    shown = subprocess.run(
        [sys.executable, "-m", "jupyterlab_airlock", command, "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return frozenset(re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", shown))


def slugs(page: Path) -> set[str]:
    """The anchors of a page's headings, as GitHub makes them."""
    headings = re.findall(r"^#+ (.+)$", FENCED.sub("", page.read_text("utf-8")), re.M)
    return {
        re.sub(r"[^\w\- ]", "", heading.replace("`", "").lower()).replace(" ", "-")
        for heading in headings
    }


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_make_target_named_is_in_the_makefile(page: Path) -> None:
    targets = make_targets()
    named = {
        target
        for command in commands(page)
        for match in re.finditer(r"(?:^|[\s;&(])make((?: [a-z][\w-]*)+)", command)
        for target in match[1].split()
    }
    assert named <= targets, f"{page.name} names make targets the Makefile lacks"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_jupyter_airlock_option_given_is_one_it_takes(page: Path) -> None:
    for command in commands(page):
        for match in AIRLOCK.finditer(command):
            subcommand, arguments = match[1], match[2]
            given = set(re.findall(r"(?<![\w/=-])(--?[a-z][\w-]*)", arguments))
            unknown = given - airlock_options(subcommand)
            assert not unknown, f"{page.name}: `jupyter airlock {subcommand}` has no {unknown}"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_relative_link_and_picture_is_there(page: Path) -> None:
    text = FENCED.sub("", page.read_text("utf-8"))
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue  # a URL
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page.name} links to {target}, which is not there"
        if anchor and linked.suffix == ".md":
            assert anchor in slugs(linked), f"{page.name}: {target} names no heading"


def test_the_readme_opens_with_the_two_commands_and_what_they_need() -> None:
    readme = (ROOT / "README.md").read_text("utf-8").splitlines()
    first_screen = "\n".join(readme[:45])
    assert "![The Airlock panel" in first_screen
    assert "make demo" in first_screen
    assert "make test" in first_screen
    for needed in ("Python ≥ 3.10", "Node.js ≥ 20", "Chromium", "ssh-keygen", "JupyterLab 4.6"):
        assert needed in first_screen
