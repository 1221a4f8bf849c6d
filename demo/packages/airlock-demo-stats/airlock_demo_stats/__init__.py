"""Mean and median; depends on airlock-demo-units so installs show dependency resolution."""

from __future__ import annotations

from collections.abc import Iterable

from airlock_demo_units import celsius_to_fahrenheit

__version__ = "1.0.0"


def mean(values: Iterable[float]) -> float:
    """Arithmetic mean of a non-empty series."""
    data = list(values)
    if not data:
        raise ValueError("mean() of an empty series")
    return sum(data) / len(data)


def median(values: Iterable[float]) -> float:
    """Median of a non-empty series (the mean of the two middle values for an even count)."""
    data = sorted(values)
    if not data:
        raise ValueError("median() of an empty series")
    middle = len(data) // 2
    if len(data) % 2:
        return data[middle]
    return (data[middle - 1] + data[middle]) / 2


def mean_fahrenheit(celsius: Iterable[float]) -> float:
    """Mean of Celsius readings, in Fahrenheit."""
    return celsius_to_fahrenheit(mean(celsius))
