"""The arguments of ``jupyter airlock``'s commands (``cli`` runs them)."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import index_cli

PROG = "jupyter airlock"


COMMANDS = {
    "bundle": "download a dependency closure (wheels, or conda packages) for a target "
    "platform into a verified bundle",
    "check-bundle": "check a bundle folder: its files against its manifests, an offline install",
    "sign": "sign a folder's manifests (a local folder or an S3 prefix): the scanner's step",
    "index": "write the static index of a folder or an S3 prefix, for fast plans",
}


def parsers() -> dict[str, argparse.ArgumentParser]:
    """One parser a command: argparse cannot mix options and positionals with subparsers."""
    bundle = argparse.ArgumentParser(
        prog=f"{PROG} bundle",
        description="Download every wheel that REQUIREMENTs need on the target (platform, "
        "Python version) into the new folder OUT_DIR, with manifest.json, SHA256SUMS, a "
        "hash-pinned requirements.lock and bundle.json; check that it installs offline; "
        "optionally upload it. With --conda (or --pack-conda), a conda bundle: the solved "
        "packages for the target's conda platform as a local channel, with pixi.lock.",
    )
    bundle.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="a new or empty folder")
    bundle.add_argument(
        "--from-request", type=Path, metavar="REQUEST.json",
        help="bundle what a kernel in the air gap asked for (Install view: Request from the "
        "DMZ), for its target and beside what it has; no other requirements or target",
    )  # fmt: skip
    bundle.add_argument(
        "names", nargs="*", metavar="REQUIREMENT",
        help="e.g. pandas>=2; or a local wheel or sdist: a path, or NAME @ file:///PATH",
    )  # fmt: skip
    bundle.add_argument(
        "-r", "--requirement", action="append", default=[], type=Path, metavar="FILE",
        help="a requirements file (requirements only; no pip options)",
    )  # fmt: skip
    bundle.add_argument(
        "--platform", action="append", default=[], metavar="TAG",
        help="the target's wheel platform tag, e.g. manylinux_2_17_x86_64 (repeatable); "
        "with --conda, its conda platform, e.g. linux-64 or osx-arm64",
    )  # fmt: skip
    bundle.add_argument(
        "--python-version", metavar="X.Y", help="the target's CPython, e.g. 3.11 (for wheels)"
    )
    conda = bundle.add_argument_group("conda bundles")
    conda.add_argument(
        "--conda", action="append", nargs="+", default=[], metavar="SPEC",
        help="conda packages to bundle with their dependencies, e.g. 'numpy >=2' python=3.11",
    )  # fmt: skip
    conda.add_argument(
        "--channel", action="append", default=[], metavar="URL",
        help="the mirror's conda channel (repeatable, highest priority first); with "
        "--from-request, instead of the channels the request names",
    )  # fmt: skip
    conda.add_argument(
        "--virtual-package", action="append", default=[], metavar="NAME=VERSION",
        help="what the target has, e.g. __glibc=2.17 or __osx=11.0 (default: glibc 2.28, "
        "macOS 13.0)",
    )  # fmt: skip
    conda.add_argument(
        "--pypi", action="append", nargs="+", default=[], metavar="REQUIREMENT",
        help="with --conda: PyPI packages, as wheels for the environment's Python",
    )  # fmt: skip
    conda.add_argument(
        "--pack-conda", type=Path, metavar="PREFIX",
        help="bundle the packages installed in this conda environment, same builds",
    )  # fmt: skip
    conda.add_argument(
        "--format", choices=["bundle", "conda-pack"], default="bundle",
        help="with --pack-conda: a conda bundle (default), or a conda-pack archive",
    )  # fmt: skip
    bundle.add_argument("--index-url", metavar="URL", help="the index to download from")
    bundle.add_argument(
        "--use-pip-config", action="store_true",
        help="read pip.conf and PIP_* variables (by default only --index-url is used)",
    )  # fmt: skip
    bundle.add_argument(
        "--pack-venv", type=Path, metavar="PATH",
        help="also bundle every package installed in this virtual environment, same versions",
    )  # fmt: skip
    bundle.add_argument(
        "--exclude", action="append", default=[], metavar="NAME",
        help="with --pack-venv: leave this installed package out (repeatable)",
    )  # fmt: skip
    bundle.add_argument(
        "--advisories", type=Path, metavar="OSV_ZIP",
        help="OSV's PyPI export: the advisories known go into the bundle's sbom.cdx.json",
    )  # fmt: skip
    bundle.add_argument(
        "--sign-key", type=Path, metavar="KEY", help="sign the manifests with this SSH key"
    )
    bundle.add_argument(
        "--sign-as", metavar="FOLDER",
        help="with --sign-key: the folder the bundle will be in, relative to the read "
        "bucket's root (default: the --upload prefix and the bundle's name)",
    )  # fmt: skip
    bundle.add_argument("--upload", metavar="s3://BUCKET/PREFIX", help="upload the bundle there")
    bundle.add_argument("--endpoint-url", metavar="URL", help="S3 endpoint for --upload")
    bundle.add_argument("--aws-profile", metavar="NAME", help="AWS profile for --upload")
    bundle.add_argument("-v", "--verbose", action="store_true", help="show pip's output")
    check = argparse.ArgumentParser(
        prog=f"{PROG} check-bundle", description=COMMANDS["check-bundle"].capitalize() + "."
    )
    check.add_argument("folder", type=Path, metavar="FOLDER")
    check.add_argument(
        "--trusted-signers", type=Path, metavar="FILE",
        help="an OpenSSH allowed_signers file: the manifests must be signed by one of them",
    )  # fmt: skip
    check.add_argument(
        "--as", dest="as_folder", metavar="FOLDER",
        help="with --trusted-signers: the folder the signatures must name (default: any)",
    )  # fmt: skip
    check.add_argument("-v", "--verbose", action="store_true", help="show pip's output")
    signing = argparse.ArgumentParser(
        prog=f"{PROG} sign",
        description="Sign the SHA256SUMS and manifest.json of FOLDER (a local folder, or "
        "s3://BUCKET/PREFIX/ whose manifests are downloaded, signed and uploaded again with "
        "their .sig) with an SSH key, for the folder Airlock will see them in.",
    )
    signing.add_argument("folder", metavar="FOLDER")
    signing.add_argument("--key", type=Path, required=True, metavar="KEY", help="the private key")
    signing.add_argument(
        "--as", dest="as_folder", metavar="FOLDER",
        help="the folder relative to the read bucket's root, e.g. wheels/pandas/ (default: "
        "the S3 prefix; the root for a local folder)",
    )  # fmt: skip
    signing.add_argument("--endpoint-url", metavar="URL", help="S3 endpoint")
    signing.add_argument("--aws-profile", metavar="NAME", help="AWS profile")
    signing.add_argument(
        "--no-index", action="store_true",
        help="do not write (and sign) the folder's static index first",
    )  # fmt: skip
    return {"bundle": bundle, "check-bundle": check, "sign": signing,
            "index": index_cli.parser(PROG)}  # fmt: skip
