"""What every lookup shares: the table, the ``@lookup`` decorator, the error, file search.

The lookup modules (``lookups``, ``lookups_loops``, ``lookups_files``) register into
``LOOKUPS`` here, so none of them imports another.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

Lookup = Callable[[list[Any], Mapping[str, Any], dict[str, Any]], list[Any]]
LOOKUPS: dict[str, Lookup] = {}


_ACTION: contextvars.ContextVar[str] = contextvars.ContextVar("pbe_task_action", default="")


@contextlib.contextmanager
def task_action(action: str) -> Iterator[None]:
    """The module of the task whose templates and loop run here: ``first_found`` searches
    ``vars/`` for include_vars, ``templates/`` for template, ``files/`` otherwise."""
    token = _ACTION.set(action)
    try:
        yield
    finally:
        _ACTION.reset(token)


def files_dir() -> str:
    """The role/playbook subdirectory for the current task's kind of file (as Ansible: by
    whether its module name holds ``template``, ``var`` or ``file``)."""
    action = _ACTION.get()
    return next((f"{kind}s" for kind in ("template", "var", "file") if kind in action), "files")


class LookupFailed(ValueError):
    """A lookup could not do what it was asked (its message says why, for the user)."""


def lookup(name: str) -> Callable[[Lookup], Lookup]:
    def wrap(func: Lookup) -> Lookup:
        LOOKUPS[name] = func
        return func

    return wrap


def search(variables: Mapping[str, Any], kind: str, name: str) -> Path:
    """A file for a lookup: absolute, else in the role's ``kind`` dir, its ``tasks`` dir
    (where the task's own file is, as Ansible searches) and the role, then the playbook's
    ``kind`` dir and the playbook dir."""
    path = Path(str(name)).expanduser()
    if path.is_absolute():
        candidates = [path]
    else:
        bases = []
        if "role_path" in variables:
            role = Path(str(variables["role_path"]))
            bases += [role / kind, role / "tasks", role]
        play = Path(str(variables["playbook_dir"])) if "playbook_dir" in variables else Path()
        bases += [play / kind, play]
        candidates = [b / path for b in bases]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise LookupFailed(
        f"could not find `{name}` (looked in {', '.join(str(c) for c in candidates)})"
    )
