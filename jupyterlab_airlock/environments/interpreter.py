"""The interpreter behind a kernelspec."""

from __future__ import annotations

import os
import shutil
import sys
from typing import Any

from ..errors import AirlockError

# jupyter_client starts kernelspecs whose argv[0] is a bare "python" with the server's own
# interpreter; Airlock must judge and install against the same one.
_SERVER_PYTHON_NAMES = frozenset({"python", "python3"})


def kernel_python(spec_manager: Any, name: str) -> str:
    """The Python interpreter kernel ``name`` runs, as an absolute path."""
    try:
        spec = spec_manager.get_kernel_spec(name)
    except Exception:  # jupyter_client raises NoSuchKernel, a KeyError; be broad on purpose
        raise AirlockError(
            "unknown-kernel",
            f"There is no kernel named '{name}'. Refresh the panel to see the kernels there are.",
            404,
        ) from None
    return spec_python(spec.language, spec.argv, spec.display_name)


def spec_python(language: str, argv: list[str], display_name: str) -> str:
    """The Python interpreter a kernelspec of ``language`` and ``argv`` runs."""
    if language.lower() != "python" or not argv:
        raise AirlockError(
            "not-a-python-kernel",
            f"The kernel '{display_name}' is not a Python kernel.",
            400,
        )
    program: str = argv[0]
    if program in _SERVER_PYTHON_NAMES:
        return sys.executable
    found: str | None = program if os.path.isabs(program) else shutil.which(program)
    if not found or not os.access(found, os.X_OK):
        raise AirlockError(
            "kernel-python",
            f"The kernel '{display_name}' runs {program}, which cannot be found or run.",
            409,
        )
    return found
