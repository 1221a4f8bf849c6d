"""JupyterHub with Airlock for every user: an example to copy and adapt.

Merge it into your ``/etc/jupyterhub/jupyterhub_config.py`` (or drop it into
``/opt/tljh/config/jupyterhub_config.d/`` on The Littlest JupyterHub). It keeps your
authenticator and spawner; it only sets what Airlock needs:

1. ``c.Airlock.*``: the options of Airlock's server extension (the same keys as in a
   ``jupyter_server_config.py``), the same for every user: managed profiles, the lock,
   the policy and where the audit log goes.
2. ``c.Spawner.environment``: at each spawn, the hub writes those options (with the
   user's name filled in) to a folder users can read but not change, and points the
   user's server at it with ``JUPYTER_CONFIG_PATH``.

This suits spawners that start servers on the hub's machine (LocalProcessSpawner,
SystemdSpawner, SudoSpawner). On Kubernetes the same options go into the Helm chart's
values instead: see docs/jupyterhub.md.

No secrets in here: the servers reach the read bucket with the AWS credential chain
(instance profile, IRSA on EKS, or the environment), never with keys in a config file.
"""

import json
from pathlib import Path

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file

# --- 1. Airlock's options -------------------------------------------------------------

# The read bucket: the security scan moves approved files here; users can only read it.
READ_BUCKET = {
    "kind": "s3",
    "endpoint_url": "https://s3.eu-central-1.amazonaws.com",
    "region": "eu-central-1",
    "bucket": "corp-airgap-read",
    "prefix": "approved/",
}

c.Airlock.profiles = [
    {
        "name": "read-bucket",
        "description": "Approved packages from the read bucket, also for %pip and conda",
        "source": READ_BUCKET,
        # pip and conda install from the bucket, served by the user's own server.
        "index_from_source": True,
    },
    {
        "name": "nexus",
        "description": "The corporate Nexus mirror, with the read bucket for files",
        "pip": {"index-url": "https://nexus.corp.example/repository/pypi/simple/"},
        "conda": {
            "channel_alias": "https://nexus.corp.example/repository/conda/",
            "channels": ["conda-forge"],
        },
        "source": READ_BUCKET,
    },
]
# Applied to every user at each server start; with the lock, users can switch between
# the managed profiles only, and cannot edit them or revert to their own files.
c.Airlock.active_profile = "read-bucket"
c.Airlock.lock_profiles = True

# Enforced by each user's server, at the plan and again at the install.
c.Airlock.policy = {
    # Only these projects may be installed, dependencies included (names are normalised
    # as pip does: "Scikit_Learn" is "scikit-learn"; versions are PEP 440 specifiers).
    "allow": [
        "numpy>=1.26",
        "pandas>=2.1",
        "python-dateutil",
        "pytz",
        "tzdata",
        "six",
        "scipy>=1.11",
        "scikit-learn>=1.4",
        "joblib",
        "threadpoolctl",
        "pyarrow>=15",
    ],
    # Refused even when allowed above: known-vulnerable releases.
    "deny": ["pyarrow<14.0.1", "numpy<1.22"],
    # Every installed file must match a sha256 from the bucket's SHA256SUMS or manifest.
    "require_verified": True,
    # Files come from this bucket and prefix only, whatever profile a request names.
    "allowed_sources": [READ_BUCKET],
    # The largest file a user may copy out of the bucket into their workspace (2 GiB).
    "max_copy_bytes": 2 * 1024**3,
    # Install into virtual or conda environments only, never into a system Python.
    "allow_system_installs": False,
}
# Or keep the policy in a YAML or JSON file of its own, with the same keys (one that does
# not parse refuses every install and copy):
# c.Airlock.policy_file = "/etc/jupyterhub/airlock-policy.yaml"

# One append-only JSON-lines file per user in a shared folder the admin collects from.
# {username} is filled in by the hub below. Create the folder once, writable by all users
# but listable by none, and sticky so no user can delete another's file:
#   install -d -m 1733 /srv/airlock/audit
c.Airlock.audit_log = "/srv/airlock/audit/{username}.jsonl"


# --- 2. Handing the options to every user's server ------------------------------------

# Beside this file, owned by the hub's user: users' servers read it but cannot change it.
SERVER_CONFIG = Path(__file__).resolve().parent / "airlock"


def airlock_config_path(spawner):
    """Write the user's Airlock options as a jupyter_server config file; return its folder.

    JupyterHub calls it at each spawn (a callable value of ``c.Spawner.environment``), so
    a change above reaches each user at their next server start.
    """
    options = dict(spawner.config.Airlock)
    if "audit_log" in options:
        options["audit_log"] = spawner.format_string(options["audit_log"])
    # JupyterHub refuses user names with "/" or made of dots: the name is one folder.
    folder = SERVER_CONFIG / spawner.user.name
    folder.mkdir(mode=0o755, parents=True, exist_ok=True)
    server_config = {
        # Load Airlock even where the user environment does not enable it.
        "ServerApp": {"jpserver_extensions": {"jupyterlab_airlock": True}},
        "Airlock": options,
    }
    (folder / "jupyter_server_config.json").write_text(json.dumps(server_config, indent=2))
    return str(folder)


c.Spawner.environment.update({"JUPYTER_CONFIG_PATH": airlock_config_path})
