"""Sizes in messages are written as the panel writes them: decimal units."""

from __future__ import annotations

import pytest

from jupyterlab_airlock.sizes import size_text


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "0 bytes"),
        (999, "999 bytes"),
        (1000, "1.0 kB"),
        (2_900, "2.9 kB"),
        (200 << 20, "209.7 MB"),
        (1 << 30, "1.1 GB"),
        (5 * 10**15, "5000.0 TB"),
    ],
)
def test_sizes_are_written_in_decimal_units_as_the_panel_writes_them(count: int, text: str) -> None:
    assert size_text(count) == text
