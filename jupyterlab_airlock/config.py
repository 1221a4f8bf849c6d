"""The server extension's options, set by admins in the usual jupyter_server config files.

Example (``jupyter_server_config.py``)::

    c.Airlock.profiles = [{"name": "corp", "pip": {"index-url": "https://nexus.corp/simple/"}}]
    c.Airlock.active_profile = "corp"
"""

from __future__ import annotations

from traitlets import Dict, List, Unicode
from traitlets.config import LoggingConfigurable


class Airlock(LoggingConfigurable):
    """Options of the Airlock server extension."""

    profiles = List(
        Dict(),
        default_value=[],
        help=(
            "Mirror profiles offered to every user of this server. Each profile is a dict "
            "with a 'name' and optionally 'description', 'pip', 'conda', 'proxy', 'npm' "
            "and 'source' (the artifact source). No secrets: S3 credentials come from the "
            "AWS credential chain."
        ),
    ).tag(config=True)

    active_profile = Unicode(
        "",
        help="Name of the profile that is active when the server starts ('' for none).",
    ).tag(config=True)
