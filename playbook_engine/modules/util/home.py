"""``~`` in a module's host paths, expanded as Ansible's modules expand them on the host.

Ansible's modules run on the host, where every ``path`` option goes through
``expanduser``: ``~`` and ``~/x`` become the home of the user the task runs as (the become
user's), ``~name/x`` that user's home, and an unknown name leaves the path as written.
pbe's modules plan on the controller, so the homes are asked of the host, once per host
and become user for the run (``Identity.homes``), and only when a path starts with ``~``.
Paths that live on the controller (a ``copy`` source, a ``fetch`` destination) are the
module's ``local_paths`` and are left alone, as are modules that run on the controller.
"""

from __future__ import annotations

import shlex
from typing import Any

from ..base import Module, ModuleContext

__all__ = ["expand_homes"]


def expand_homes(module: Module, args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    """``args`` with each host path's leading ``~``/``~name`` replaced by that home."""
    if not module.needs_connection:
        return args
    local = module.controller_paths(args)
    paths = {
        name: value
        for name, spec in type(module).args.items()
        if name not in local
        and (value := args.get(name)) is not None
        and (spec.type == "path" or (spec.type == "list" and spec.elements == "path"))
    }
    users = {_user(p) for v in paths.values() for p in _each(v) if p.startswith("~")}
    if not users:
        return args
    homes = _homes(ctx, users)
    out = dict(args)
    for name, value in paths.items():
        if isinstance(value, list):
            out[name] = [_expand(p, homes) if isinstance(p, str) else p for p in value]
        elif isinstance(value, str):
            out[name] = _expand(value, homes)
    return out


def _each(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [p for p in items if isinstance(p, str)]


def _user(path: str) -> str:
    return path[1:].split("/", 1)[0]


def _expand(path: str, homes: dict[str, str | None]) -> str:
    if not path.startswith("~"):
        return path
    user = _user(path)
    home = homes.get(user)
    if not home:
        return path
    rest = path[1 + len(user) :]
    return (home.rstrip("/") + rest) or "/"


def _homes(ctx: ModuleContext, users: set[str]) -> dict[str, str | None]:
    """The homes of ``users`` ("" the task's own user), from the run's cache or the host."""
    known = ctx.files.cache.identity.homes
    missing = sorted(u for u in users if u not in known)
    if missing:
        lines = []
        for i, user in enumerate(missing):
            if user:
                lines.append(
                    f"printf 'h{i}|%s\\n' \"$(getent passwd -- {shlex.quote(user)} | cut -d: -f6)\""
                )
            else:
                lines.append(
                    f'_h=$HOME; [ -n "$_h" ] || _h=$(getent passwd "$(id -u)" | cut -d: -f6); '
                    f"printf 'h{i}|%s\\n' \"$_h\""
                )
        res = ctx.files.query("\n".join(lines))
        found = dict(
            line[1:].split("|", 1) for line in res.out.splitlines() if line.startswith("h")
        )
        for i, user in enumerate(missing):
            known[user] = found.get(str(i)) or None
    return {u: known.get(u) for u in users}
