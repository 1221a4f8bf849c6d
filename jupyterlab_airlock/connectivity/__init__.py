"""Check connectivity: probe every endpoint of a mirror profile and say why one fails.

Each probe uses the profile's own settings (CA bundle, proxy, no_proxy) and ignores the
server's environment, so the answer is about the profile, not about the process that
happens to run the check. Causes are written for the data scientist: what failed, on which
host, and what to change. This package has no web framework in it.
"""

from __future__ import annotations

from .check import check_profile

__all__ = ["check_profile"]
