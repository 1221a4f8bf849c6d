"""What a kernel's environment is: the interpreter behind a kernelspec and what it can install."""

from __future__ import annotations

from .tags import Platform, parse_platform, platform_subdir, supported_tags

__all__ = ["Platform", "parse_platform", "platform_subdir", "supported_tags"]
