"""``jupyter airlock``: the command line of the DMZ side (also ``python -m jupyterlab_airlock``).

    jupyter airlock bundle OUT_DIR [REQUIREMENT|WHEEL|SDIST ...] [-r FILE] --platform TAG
        --python-version X.Y [--index-url URL] [--pack-venv PATH [--exclude NAME]]
        [--advisories OSV_ZIP] [--sign-key KEY [--sign-as FOLDER]]
        [--upload s3://BUCKET/PREFIX [--endpoint-url URL] [--aws-profile NAME]]
    jupyter airlock bundle OUT_DIR --conda SPEC ... --channel URL --platform SUBDIR
        [--virtual-package NAME=VERSION] [--pypi REQUIREMENT ... [--index-url URL]]
        [--advisories ...] [--sign-key ...] [--upload ...]
    jupyter airlock bundle OUT_DIR --from-request REQUEST.json [--index-url URL]
        [--channel URL (a conda kernel's request)] [--advisories ...] [--sign-key ...]
        [--upload ...]
    jupyter airlock bundle OUT_DIR --pack-conda PREFIX [--format bundle|conda-pack]
        [--channel URL] [--platform SUBDIR] [--sign-key ...] [--upload ...]
    jupyter airlock check-bundle FOLDER [--trusted-signers FILE [--as FOLDER]]
    jupyter airlock sign FOLDER|s3://BUCKET/PREFIX --key KEY [--as FOLDER] [--no-index]
        [--endpoint-url URL] [--aws-profile NAME]
    jupyter airlock index FOLDER|s3://BUCKET/PREFIX [--endpoint-url URL] [--aws-profile NAME]

Problems are one line on stderr, never a traceback. Exit status: 0 done, 1 failed (a
requirement that cannot be met, a bundle that does not check out, an upload refused),
2 wrong input (nothing was tried), 130 interrupted (nothing was left behind).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from packaging.requirements import Requirement

from ..bundle_format.conda import CondaBundleInfo
from ..bundle_format.conda_target import conda_target
from ..bundle_format.folder import (
    BundleInputError,
    bundle_requirement,
    parse_target,
    read_requirements_file,
)
from ..errors import AirlockError
from ..offline import sha256_file
from ..s3_write import parse_s3_url
from ..trust.advisories import AdvisoryData, read_osv_zip
from . import index_cli
from .build import build_bundle, freeze_environment
from .check import check_bundle, quiet
from .conda_build import PyPIPart, build_conda_bundle
from .conda_prefix import pack_prefix_archive, pack_prefix_bundle
from .from_request import bundle_from_request, request_clashes
from .local_files import LocalFile, bundle_input
from .signing import check_signatures, folder_name, sign_folder, sign_s3
from .upload import upload_bundle

PROG = "jupyter airlock"


_COMMANDS = {
    "bundle": "download a dependency closure (wheels, or conda packages) for a target "
    "platform into a verified bundle",
    "check-bundle": "check a bundle folder: its files against its manifests, an offline install",
    "sign": "sign a folder's manifests (a local folder or an S3 prefix): the scanner's step",
    "index": "write the static index of a folder or an S3 prefix, for fast plans",
}


def _parsers() -> dict[str, argparse.ArgumentParser]:
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
        help="the mirror's conda channel (repeatable, highest priority first)",
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
        prog=f"{PROG} check-bundle", description=_COMMANDS["check-bundle"].capitalize() + "."
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


def main(argv: Sequence[str] | None = None) -> int:
    top = argparse.ArgumentParser(
        prog=PROG,
        description="Move Python packages into an air gap: make and check transfer bundles.",
        epilog="commands:\n"
        + "".join(f"  {name:14} {text}\n" for name, text in _COMMANDS.items())
        + f"\n'{PROG} COMMAND --help' tells more.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("command", choices=_COMMANDS, metavar="COMMAND")
    top.add_argument("arguments", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    chosen = top.parse_args(argv)
    parser = _parsers()[chosen.command]
    arguments = parser.parse_intermixed_args(chosen.arguments)
    try:
        if chosen.command == "bundle":
            asyncio.run(_bundle(parser, arguments))
        elif chosen.command == "sign":
            asyncio.run(_sign(arguments))
        elif chosen.command == "index":
            asyncio.run(index_cli.run(arguments, _say))
        else:
            asyncio.run(_check(parser, arguments))
    except BundleInputError as error:
        print(f"{parser.prog}: error: {error.message}", file=sys.stderr)
        return 2
    except AirlockError as error:
        print(f"{parser.prog}: error: {error.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted; nothing was left behind.", file=sys.stderr)
        return 130
    return 0


def _say(line: str) -> None:
    print(line, flush=True)


async def _bundle(parser: argparse.ArgumentParser, arguments: argparse.Namespace) -> None:
    if arguments.endpoint_url and not arguments.upload:
        parser.error("--endpoint-url is for --upload")
    if arguments.exclude and not arguments.pack_venv:
        parser.error("--exclude is for --pack-venv")
    if arguments.sign_as is not None and not arguments.sign_key:
        parser.error("--sign-as is for --sign-key")
    if arguments.format != "bundle" and not arguments.pack_conda:
        parser.error("--format is for --pack-conda")
    if arguments.upload:
        parse_s3_url(arguments.upload)  # refused now rather than after the download
    advisories = await asyncio.to_thread(_advisories, arguments.advisories)
    if arguments.from_request:
        for option in request_clashes(arguments):
            parser.error(f"{option} is given by the request: leave it out with --from-request")
        await bundle_from_request(
            arguments.out_dir,
            arguments.from_request,
            index_url=arguments.index_url,
            use_pip_config=arguments.use_pip_config,
            log=_say,
            pip_log=_say if arguments.verbose else None,
            advisories=advisories,
            channels=arguments.channel,
        )
    elif arguments.conda or arguments.pack_conda:
        await _conda_bundle(parser, arguments, advisories)
    else:
        await _wheel_bundle(parser, arguments, advisories)
    if arguments.sign_key:
        name = arguments.sign_as
        if name is None:
            prefix = parse_s3_url(arguments.upload)[1] if arguments.upload else ""
            name = f"{prefix}/{arguments.out_dir.name}" if prefix else arguments.out_dir.name
        await sign_folder(arguments.out_dir, arguments.sign_key, folder_name(name), _say)
    if arguments.upload:
        await upload_bundle(
            arguments.out_dir,
            arguments.upload,
            endpoint_url=arguments.endpoint_url,
            aws_profile=arguments.aws_profile,
            log=_say,
        )


async def _wheel_bundle(
    parser: argparse.ArgumentParser,
    arguments: argparse.Namespace,
    advisories: AdvisoryData | None,
) -> None:
    for option in ("channel", "virtual_package", "pypi"):
        if getattr(arguments, option):
            parser.error(f"--{option.replace('_', '-')} is for --conda")
    if arguments.python_version is None:
        raise BundleInputError("Give the target's CPython with --python-version, e.g. 3.11.")
    target = parse_target(arguments.platform, arguments.python_version)
    requirements: list[Requirement | LocalFile] = [
        bundle_input(name, "command line") for name in arguments.names
    ]
    for path in arguments.requirement:
        requirements += read_requirements_file(path)
    if arguments.pack_venv:
        requirements += await freeze_environment(arguments.pack_venv, arguments.exclude)
    await build_bundle(
        arguments.out_dir,
        requirements,
        target,
        index_url=arguments.index_url,
        use_pip_config=arguments.use_pip_config,
        log=_say,
        pip_log=_say if arguments.verbose else None,
        advisories=advisories,
    )


async def _conda_bundle(
    parser: argparse.ArgumentParser,
    arguments: argparse.Namespace,
    advisories: AdvisoryData | None,
) -> None:
    if arguments.names or arguments.requirement or arguments.pack_venv:
        parser.error("with --conda or --pack-conda, give PyPI requirements with --pypi")
    if arguments.python_version:
        parser.error("--python-version is for wheel bundles: a conda bundle's Python is solved")
    if arguments.conda and arguments.pack_conda:
        parser.error("--conda and --pack-conda make different bundles: give one")
    if len(arguments.platform) > 1:
        raise BundleInputError("A conda bundle is for one platform: give --platform once.")
    platform = arguments.platform[0] if arguments.platform else None
    pypi_names = [name for names in arguments.pypi for name in names]
    pypi = None
    if pypi_names:
        pypi = PyPIPart(
            [bundle_requirement(name, "--pypi") for name in pypi_names],
            arguments.index_url,
            arguments.use_pip_config,
        )
    pip_log = _say if arguments.verbose else None
    if arguments.pack_conda and arguments.format == "conda-pack":
        if arguments.channel or pypi or platform or arguments.virtual_package:
            parser.error("--format conda-pack packs the environment as it is: no other options")
        await pack_prefix_archive(
            arguments.out_dir, arguments.pack_conda, log=_say, advisories=advisories
        )
    elif arguments.pack_conda:
        await pack_prefix_bundle(
            arguments.out_dir,
            arguments.pack_conda,
            arguments.channel,
            platform,
            arguments.virtual_package,
            pypi=pypi,
            log=_say,
            pip_log=pip_log,
            advisories=advisories,
        )
    else:
        if platform is None:
            raise BundleInputError(
                "Give the target's conda platform with --platform, e.g. linux-64 or osx-arm64."
            )
        await build_conda_bundle(
            arguments.out_dir,
            [spec for specs in arguments.conda for spec in specs],
            arguments.channel,
            conda_target(platform, arguments.virtual_package),
            pypi=pypi,
            log=_say,
            pip_log=pip_log,
            advisories=advisories,
        )


async def _check(parser: argparse.ArgumentParser, arguments: argparse.Namespace) -> None:
    if arguments.as_folder is not None and not arguments.trusted_signers:
        parser.error("--as is for --trusted-signers")
    if arguments.trusted_signers:
        wanted = folder_name(arguments.as_folder) if arguments.as_folder is not None else None
        for line in await check_signatures(arguments.folder, arguments.trusted_signers, wanted):
            _say(line)
    info = await check_bundle(arguments.folder, log=_say if arguments.verbose else quiet)
    if isinstance(info, CondaBundleInfo):
        wheels = f" and {len(info.pypi)} wheel(s)" if info.pypi else ""
        what = f"{len(info.packages)} conda package(s){wheels} for {info.describe()}"
    else:
        what = f"{len(info.packages)} wheel(s) for {info.target.describe()}"
    _say(
        f"Bundle {arguments.folder} ({what}): every file matches its manifest and it installs "
        "offline."
    )


async def _sign(arguments: argparse.Namespace) -> None:
    if arguments.folder.startswith("s3://"):
        prefix = parse_s3_url(arguments.folder)[1]
        name = folder_name(arguments.as_folder if arguments.as_folder is not None else prefix)
        await sign_s3(
            arguments.folder,
            arguments.key,
            name,
            endpoint_url=arguments.endpoint_url,
            aws_profile=arguments.aws_profile,
            log=_say,
            index=not arguments.no_index,
        )
        return
    if arguments.endpoint_url or arguments.aws_profile:
        raise BundleInputError("--endpoint-url and --aws-profile are for an s3:// folder.")
    folder = Path(arguments.folder)
    if not await asyncio.to_thread(folder.is_dir):
        raise BundleInputError(f"{folder} is not a folder.")
    name = folder_name(arguments.as_folder or "")
    await sign_folder(folder, arguments.key, name, _say, index=not arguments.no_index)


def _advisories(path: Path | None) -> AdvisoryData | None:
    """OSV's export at ``path``, read with the server's bounds; None without one."""
    if path is None:
        return None
    try:
        sha256, _ = sha256_file(path)
    except OSError as error:
        raise BundleInputError(f"The advisory data {path} cannot be read: {error}.") from None
    return read_osv_zip(path, sha256, str(path))
