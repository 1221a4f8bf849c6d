"""Offline installs into a kernel's environment: plan first, then pip or conda, as jobs.

``service`` is what the routes call; ``planning`` makes plans (``plan`` is what one holds,
``conda_plan`` its conda part), ``install`` carries them out and ``rollback`` undoes a pip
install. The conda side: ``conda_records`` reads channels and environments,
``conda_channel`` and ``conda_index`` make the local channel, ``conda_solve`` plans and
``conda_link`` links, with py-rattler. pip itself runs through ``..offline``.
"""
