"""Keeping secrets out of what Airlock shows: responses, logs, error messages.

A URL may carry ``user:password@`` (or a token as the user); whatever reaches the browser
or a log goes through ``redact`` first.
"""

from __future__ import annotations

import re
from typing import Any

# The whole userinfo goes: the user part alone can be a token (https://<token>@host).
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]*@")


def redact(value: Any) -> Any:
    """``value`` (text, or lists and dicts of it) with every URL's userinfo as ``***@``."""
    if isinstance(value, str):
        return _USERINFO.sub(r"\g<scheme>***@", value)
    if isinstance(value, list):
        return [redact(item) for item in value]
    if isinstance(value, dict):
        return {key: redact(item) for key, item in value.items()}
    return value
