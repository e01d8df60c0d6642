"""What every lookup shares: the table, the ``@lookup`` decorator, the error, file search.

The lookup modules (``lookups``, ``lookups_loops``, ``lookups_files``) register into
``LOOKUPS`` here, so none of them imports another.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

Lookup = Callable[[list[Any], Mapping[str, Any], dict[str, Any]], list[Any]]
LOOKUPS: dict[str, Lookup] = {}


class LookupFailed(ValueError):
    """A lookup could not do what it was asked (its message says why, for the user)."""


def lookup(name: str) -> Callable[[Lookup], Lookup]:
    def wrap(func: Lookup) -> Lookup:
        LOOKUPS[name] = func
        return func

    return wrap


def search(variables: Mapping[str, Any], kind: str, name: str) -> Path:
    """A file for a lookup: absolute, else in the role's ``kind`` dir and the role, then the
    playbook's ``kind`` dir and the playbook dir."""
    path = Path(str(name)).expanduser()
    if path.is_absolute():
        candidates = [path]
    else:
        bases = []
        if "role_path" in variables:
            bases += [Path(str(variables["role_path"])) / kind, Path(str(variables["role_path"]))]
        play = Path(str(variables["playbook_dir"])) if "playbook_dir" in variables else Path()
        bases += [play / kind, play]
        candidates = [b / path for b in bases]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise LookupFailed(f"could not find `{name}` (looked in "
                       f"{', '.join(str(c) for c in candidates)})")
