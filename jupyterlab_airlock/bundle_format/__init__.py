"""The files of a transfer bundle, as both sides read them: the DMZ's builder (``..bundle``)
writes them, the air gap's kernels and catalog read and check them. No Jupyter server code.

``folder``: the bundle folder, its ``bundle.json``, lock and manifests; ``conda``: a conda
bundle's layout; ``conda_target``: the machine a conda bundle is for; ``conda_check``: a conda
bundle's packages, channel and lock checked offline."""
