"""Transfer bundles: wheels of a whole dependency closure for one target, with manifests
and a hash-pinned lock, made on the DMZ side and turned into kernels inside the air gap."""

from ..bundle_format.folder import (
    BUNDLE_JSON,
    LOCK_FILE,
    BundleInfo,
    LockEntry,
    Target,
    parse_target,
    read_bundle_json,
    read_lock,
)
from .build import build_bundle, freeze_environment
from .check import check_bundle
from .upload import upload_bundle

__all__ = [
    "BUNDLE_JSON",
    "LOCK_FILE",
    "BundleInfo",
    "LockEntry",
    "Target",
    "build_bundle",
    "check_bundle",
    "freeze_environment",
    "parse_target",
    "read_bundle_json",
    "read_lock",
    "upload_bundle",
]
