"""Offline installs into a kernel's environment: plan first, then uv or conda, as jobs.

``service`` is what the routes call; ``planning`` makes plans (``plan`` is what one holds,
``files`` which file stands for a package and why others cannot, ``conda_plan`` its conda
part), ``install`` carries them out, ``rollback`` undoes an install and ``reconcile``
settles those a server stop interrupted. ``conda_channel`` makes the artifact source a
local conda channel for ``conda_plan``; reading, solving and linking conda packages is
``..conda``'s. uv itself runs through ``..offline`` and ``..uv``.
"""
