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
from .arguments import COMMANDS, PROG, parsers
from .build import build_bundle, freeze_environment
from .check import check_bundle, quiet
from .conda_build import PyPIPart, build_conda_bundle
from .conda_prefix import pack_prefix_archive, pack_prefix_bundle
from .from_request import bundle_from_request, request_clashes
from .local_files import LocalFile, bundle_input
from .signing import check_signatures, folder_name, sign_folder, sign_s3
from .upload import upload_bundle


def main(argv: Sequence[str] | None = None) -> int:
    top = argparse.ArgumentParser(
        prog=PROG,
        description="Move Python packages into an air gap: make and check transfer bundles.",
        epilog="commands:\n"
        + "".join(f"  {name:14} {text}\n" for name, text in COMMANDS.items())
        + f"\n'{PROG} COMMAND --help' tells more.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("command", choices=COMMANDS, metavar="COMMAND")
    top.add_argument("arguments", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    chosen = top.parse_args(argv)
    parser = parsers()[chosen.command]
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
