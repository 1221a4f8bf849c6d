"""A greeting that proves the whole chain (hello -> stats -> units) was installed."""

from __future__ import annotations

from airlock_demo_stats import median

__version__ = "1.0.0"


def greet(name: str = "air gap") -> str:
    """Return a greeting that uses both dependencies."""
    return f"Hello, {name}! The median of 1, 2 and 4 is {median([1, 2, 4]):g}."
