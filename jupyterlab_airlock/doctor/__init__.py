"""The doctor: each package tool on the machine is asked to reach the active profile's
mirror, in a harmless way and with the environment a kernel gets, and every failure is
told in plain words. No web framework in here."""

from __future__ import annotations

from .tools import run_doctor

__all__ = ["run_doctor"]
