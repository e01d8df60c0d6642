"""pbe: a fast, validating engine for Ansible-style playbooks over SSH.

import playbook_engine as pbe
result = pbe.run("site.yml", "hosts.yml", check=True)
result.exit_code, result.stats
problems = pbe.validate("site.yml", "hosts.yml")   # [] when valid
"""

from __future__ import annotations

__version__ = "0.1.0"

import logging  # noqa: E402

# A library logs; the application decides where records go (the CLI does, -vvv).
logging.getLogger(__name__).addHandler(logging.NullHandler())

from . import events  # noqa: E402
from .api import run, validate  # noqa: E402
from .engine.run import RunResult  # noqa: E402
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
from .events import Event  # noqa: E402
from .exitcodes import ExitCode  # noqa: E402
from .inventory import (  # noqa: E402
    Inventory,
    empty_inventory,
    inventory_from_dict,
    load_inventory,
)
from .options import RunOptions  # noqa: E402

__all__ = [
    "Event",
    "ExitCode",
    "HostUnreachable",
    "Inventory",
    "ModuleError",
    "NoHostsMatched",
    "OptionsError",
    "PbeError",
    "Problem",
    "RunOptions",
    "RunResult",
    "TemplateError",
    "ValidationError",
    "ValidationFailed",
    "__version__",
    "empty_inventory",
    "events",
    "inventory_from_dict",
    "load_inventory",
    "run",
    "validate",
]
