"""Mirror profiles: where packages come from, applied to pip's, conda's and npm's own files.

The web-free core of journey 1: validating profiles, applying and reverting them
(``ProfileApplier``), reading back what the tools now see (``read_effective``) and
warning about every way out of the mirror (``find_leaks``).
"""

from __future__ import annotations

from .applier import ProfileApplier
from .effective import read_effective
from .leaks import find_leaks, profile_leaks
from .paths import ConfigPaths
from .validation import Profile, ProfileSet, load_profiles, validate_profile

__all__ = [
    "ConfigPaths",
    "Profile",
    "ProfileApplier",
    "ProfileSet",
    "find_leaks",
    "load_profiles",
    "profile_leaks",
    "read_effective",
    "validate_profile",
]
