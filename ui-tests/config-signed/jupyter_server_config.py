"""The second UI-test server: the demo under a policy that requires signed files.

`jlpm start:signed` runs the demo with this folder in JUPYTER_CONFIG_PATH: Galata's
settings come from ui-tests/config, then this policy takes the demo's place. The demo's
scanner signs wheels/; nothing else may come in.
"""

import os

load_subconfig(os.path.join(os.path.dirname(__file__), "..", "config", "jupyter_server_config.py"))

c.Airlock.policy = {"deny": ["airlock-demo-legacy"], "require_signed": True}
