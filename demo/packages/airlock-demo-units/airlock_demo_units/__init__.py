"""Tiny unit conversions; the bottom of the Airlock demo dependency chain."""

__version__ = "1.0.0"


def celsius_to_fahrenheit(celsius: float) -> float:
    """Convert degrees Celsius to degrees Fahrenheit."""
    return celsius * 9 / 5 + 32


def fahrenheit_to_celsius(fahrenheit: float) -> float:
    """Convert degrees Fahrenheit to degrees Celsius."""
    return (fahrenheit - 32) * 5 / 9


def km_to_miles(km: float) -> float:
    """Convert kilometres to statute miles."""
    return km / 1.609344
