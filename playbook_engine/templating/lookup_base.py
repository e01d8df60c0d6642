"""What every lookup shares: the table, the ``@lookup`` decorator, the error, file search.

The lookup modules (``lookups``, ``lookups_loops``, ``lookups_files``) register into
``LOOKUPS`` here, so none of them imports another.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import os
import platform
import pwd
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


# How the template file being rendered on this thread finds the files it includes.
FINDER: contextvars.ContextVar[Callable[[str], Path] | None] = contextvars.ContextVar(
    "pbe_template_finder", default=None
)


@contextlib.contextmanager
def template_files(find: Callable[[str], Path]) -> Iterator[None]:
    """While rendering a template file: ``{% include %}``, ``{% import %}`` and
    ``{% extends %}`` names are looked up with ``find`` (the template module's search:
    the file's own directory, then templates/ as for ``src``)."""
    token = FINDER.set(find)
    try:
        yield
    finally:
        FINDER.reset(token)


def template_vars(path: Path, dest: str | None = None) -> dict[str, Any]:
    """Ansible's variables about the template file being rendered (``template_host``,
    ``template_path``, ``template_mtime`` ...), for the template module and lookup."""
    info = path.stat()
    try:
        owner = pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        owner = str(info.st_uid)
    found = {
        "template_host": platform.node(),
        "template_path": str(path),
        "template_fullpath": os.path.abspath(path),
        "template_mtime": datetime.datetime.fromtimestamp(info.st_mtime),
        "template_uid": owner,
        "template_run_date": datetime.datetime.now(),
    }
    if dest is not None:
        found["template_destpath"] = dest
    return found


class LookupFailed(ValueError):
    """A lookup could not do what it was asked (its message says why, for the user)."""


def options(defaults: Mapping[str, Any], kw: Mapping[str, Any], name: str) -> dict[str, Any]:
    """A lookup's keyword options over its defaults; an unknown one is an error naming all."""
    unknown = sorted(set(kw) - set(defaults))
    if unknown:
        raise LookupFailed(
            f"{name}: {', '.join(f'`{u}`' for u in unknown)} is not a valid option (options: "
            f"{', '.join(sorted(defaults))})"
        )
    return {**defaults, **kw}


def lookup(name: str) -> Callable[[Lookup], Lookup]:
    def wrap(func: Lookup) -> Lookup:
        LOOKUPS[name] = func
        return func

    return wrap


def search_bases(variables: Mapping[str, Any], kind: str) -> list[Path]:
    """Where a lookup looks for a relative name, in order: the role's ``kind`` dir, its
    ``tasks`` dir and the role, then the directory of the task's own file (and its ``kind``
    dir: a task file in ``tasks/sub/`` finds ``tasks/sub/x.yml``), then the playbook's
    ``kind`` dir and the playbook dir, as Ansible searches."""
    bases = []
    if "role_path" in variables:
        role = Path(str(variables["role_path"]))
        bases += [role / kind, role / "tasks", role]
    play = Path(str(variables["playbook_dir"])) if "playbook_dir" in variables else Path()
    own = variables.get("ansible_search_path")
    for entry in own if isinstance(own, list) else []:
        here = Path(str(entry))
        bases += [b for b in (here / kind, here) if b not in bases and here != play]
    return [*bases, play / kind, play]


def search_dir(variables: Mapping[str, Any], kind: str, name: str) -> Path | None:
    """The first directory ``name`` along ``search_bases`` (None when there is none)."""
    return next((b / name for b in search_bases(variables, kind) if (b / name).is_dir()), None)


def search(variables: Mapping[str, Any], kind: str, name: str) -> Path:
    """A file for a lookup: absolute, else the first found along ``search_bases``."""
    path = Path(str(name)).expanduser()
    candidates = [path] if path.is_absolute() else [b / path for b in search_bases(variables, kind)]
    candidates = [Path(os.path.normpath(c)) for c in candidates]  # as Ansible: `a/../b`
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise LookupFailed(
        f"could not find `{name}`: No such file or directory (looked in "
        f"{', '.join(str(c) for c in candidates)})"
    )
