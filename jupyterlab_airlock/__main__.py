"""``python -m jupyterlab_airlock``: the same command line as ``jupyter airlock``."""

import sys

from .bundle.cli import main

sys.exit(main())
