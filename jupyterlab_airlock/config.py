"""The server extension's options, set by admins in the usual jupyter_server config files.

Example (``jupyter_server_config.py``)::

    c.Airlock.profiles = [{"name": "corp", "pip": {"index-url": "https://nexus.corp/simple/"}}]
    c.Airlock.active_profile = "corp"
    c.Airlock.lock_profiles = True   # users may not leave or edit the managed profiles
"""

from __future__ import annotations

from traitlets import Bool, Dict, Int, List, Unicode
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
        help=(
            "Name of the managed profile to apply for users who have not chosen one yet "
            "('' for none). With lock_profiles, it is applied at every server start."
        ),
    ).tag(config=True)

    lock_profiles = Bool(
        False,
        help=(
            "Lock users to the managed profiles: the server refuses to apply any other "
            "profile or to revert to a configuration that is not a managed profile."
        ),
    ).tag(config=True)

    policy = Dict(
        default_value={},
        help=(
            "The admin's policy, inline (the same keys as policy_file, which it overrides): "
            "allow, deny (lists of requirements such as 'numpy>=1.26'), require_verified, "
            "require_signed, deny_advisories, allowed_sources, max_copy_bytes, "
            "allow_system_installs. Users cannot change it."
        ),
    ).tag(config=True)

    policy_file = Unicode(
        "",
        help=(
            "A YAML or JSON file with the policy's rules. A file that cannot be read or "
            "parsed refuses every install and copy until it is fixed (fails closed)."
        ),
    ).tag(config=True)

    trusted_signers = Unicode(
        "",
        help=(
            "An OpenSSH allowed_signers file: the keys whose signatures of a folder's "
            "SHA256SUMS.sig or manifest.json.sig Airlock trusts (namespace 'airlock'). "
            "Empty: signatures are not checked. A file that cannot be read makes every "
            "signature bad (fails closed)."
        ),
    ).tag(config=True)

    audit_log = Unicode(
        "",
        help=(
            "Where the audit trail (JSON lines) is appended: a shared location admins "
            "collect from. Default: <jupyter data dir>/airlock/audit.jsonl."
        ),
    ).tag(config=True)

    audit_max_bytes = Int(
        10 << 20,
        min=0,
        help=(
            "Size in bytes past which the audit file is rotated (audit.jsonl becomes "
            "audit.jsonl.1, and so on); 0 never rotates it."
        ),
    ).tag(config=True)

    audit_backups = Int(
        5,
        min=0,
        help=(
            "How many rotated audit files are kept (audit.jsonl.1 is the newest); older "
            "ones are deleted. Route the audit events (jupyter_events schema "
            "https://events.jupyter.org/jupyterlab_airlock/audit/v1) to keep everything."
        ),
    ).tag(config=True)

    job_max_age_days = Int(
        30,
        min=1,
        help="Records of jobs that ended more than this many days ago are deleted.",
    ).tag(config=True)

    job_max_count = Int(
        500,
        min=1,
        help=(
            "At most this many records of ended jobs are kept, the newest; queued and "
            "running jobs are never deleted."
        ),
    ).tag(config=True)

    conda_link_scripts = Bool(
        False,
        help=(
            "Whether conda packages' link scripts (bin/.<name>-post-link.sh) run when a "
            "kernel is made from a conda bundle. They are programs of each package's author "
            "and run with the server's rights; off, packages are linked as files only."
        ),
    ).tag(config=True)

    request_location = Unicode(
        "",
        help=(
            "Where 'Request from the DMZ' writes a request for the DMZ: a folder (an "
            "absolute path, e.g. a share the DMZ reads) or s3://BUCKET/PREFIX (a bucket the "
            "air gap may write to; credentials from the AWS chain). Empty: users download "
            "the request and carry it over themselves."
        ),
    ).tag(config=True)

    request_endpoint_url = Unicode(
        "",
        help="The S3 endpoint of an s3:// request_location (MinIO, Ceph); empty for AWS.",
    ).tag(config=True)
