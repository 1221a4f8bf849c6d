"""Sizes in words, in the decimal units pip, uv and the panel use ("2.9 kB", "1.5 GB")."""

from __future__ import annotations

UNITS = ("kB", "MB", "GB", "TB")


def size_text(count: int) -> str:
    """``count`` bytes in words: bytes below 1,000, else one decimal of the largest unit
    that keeps the value under 1,000 (TB at most)."""
    if count < 1000:
        return f"{count} bytes"
    value = float(count)
    for unit in UNITS:
        value /= 1000
        if value < 1000 or unit == UNITS[-1]:
            break
    return f"{value:.1f} {unit}"
