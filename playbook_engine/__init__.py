"""pbe: a fast, validating engine for Ansible-style playbooks over SSH.

    import playbook_engine as pbe
    result = pbe.run("site.yml", "hosts.yml", check=True)
    result.exit_code, result.stats
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (  # noqa: E402
    HostUnreachable,
    ModuleError,
    NoHostsMatched,
    OptionsError,
    PbeError,
    Problem,
    TemplateError,
    ValidationError,
    ValidationFailed,
)
from .exitcodes import ExitCode  # noqa: E402
from .options import RunOptions  # noqa: E402
from .run import RunResult, run  # noqa: E402

__all__ = [
    "ExitCode", "HostUnreachable", "ModuleError", "NoHostsMatched", "OptionsError", "PbeError",
    "Problem", "RunOptions", "RunResult", "TemplateError", "ValidationError", "ValidationFailed",
    "__version__", "run",
]
