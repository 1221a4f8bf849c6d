"""Offline installs into a kernel's environment: plan first, then uv or conda, as jobs.

``service`` is what the routes call; ``planning`` makes plans (``plan`` is what one holds,
``files`` which file stands for a package and why others cannot, ``conda_plan`` its conda
part), ``install`` carries them out, ``rollback`` undoes an install and ``reconcile``
settles those a server stop interrupted. The conda side: ``conda_records`` reads channels
and environments, ``conda_channel`` and ``conda_index`` make the local channel,
``conda_solve`` plans and ``conda_link`` links, with py-rattler. uv itself runs through
``..offline`` and ``..uv``.
"""
