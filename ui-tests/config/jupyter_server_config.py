"""Server configuration for the UI tests (Galata), on top of the demo environment.

`jlpm start` runs `python -m demo` with this folder in JUPYTER_CONFIG_PATH: the demo
starts its S3 server and PyPI mirror and gives the server the demo profile; this file adds
Galata's test settings, which take precedence over the demo's.

!! Never use this configuration in production: it opens the server without a token and
exposes JupyterLab's JavaScript objects through the global window variable.
"""

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)

# Everything here runs as root (CI containers).
c.ServerApp.allow_root = True
