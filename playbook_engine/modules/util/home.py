"""``$VAR`` and ``~`` in a module's host paths, expanded as Ansible's modules expand them on
the host.

Ansible's modules run on the host, where every ``path`` option goes through ``expandvars``
then ``expanduser``: ``$NAME`` and ``${NAME}`` become that variable of the module's
environment (an unset one stays as written), ``~`` and ``~/x`` the home of the user the
task runs as (the become user's), ``~name/x`` that user's home, and an unknown name leaves
the path as written. Variables are asked of the host each time a path holds a ``$``.
pbe's modules plan on the controller, so the homes are asked of the host, once per host
and become user for the run (``Identity.homes``), and only when a path starts with ``~``.
Paths that live on the controller (a ``copy`` source, a ``fetch`` destination) are the
module's ``local_paths`` and are left alone, as are modules that run on the controller.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from ..base import Module, ModuleContext

__all__ = ["expand_homes"]


_VAR = re.compile(r"\$(?:(\w+)|\{(\w+)\})", re.ASCII)


def expand_homes(module: Module, args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    """``args`` with each host path's ``$VAR``s and leading ``~``/``~name`` expanded."""
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
    names = {m[1] or m[2] for v in paths.values() for p in _each(v) for m in _VAR.finditer(p)}
    if names:
        env = _environment(ctx, names)
        paths = {
            name: _map(lambda p: _VAR.sub(lambda m: env.get(m[1] or m[2], m[0]), p), v)
            for name, v in paths.items()
        }
    users = {_user(p) for v in paths.values() for p in _each(v) if p.startswith("~")}
    if not users and not names:
        return args
    homes = _homes(ctx, users) if users else {}
    return {**args, **{name: _map(lambda p: _expand(p, homes), v) for name, v in paths.items()}}


def _map(change: Any, value: Any) -> Any:
    if isinstance(value, list):
        return [change(p) if isinstance(p, str) else p for p in value]
    return change(value) if isinstance(value, str) else value


def _environment(ctx: ModuleContext, names: set[str]) -> dict[str, str]:
    """The values of the set ones among ``names`` in the module's environment on the host."""
    ordered = sorted(names)
    res = ctx.files.query(
        "\n".join(
            f'[ -z "${{{n}+x}}" ] || printf \'e{i}|%s\\n\' "${n}"' for i, n in enumerate(ordered)
        )
    )
    found = dict(line[1:].split("|", 1) for line in res.out.splitlines() if line.startswith("e"))
    return {n: found[str(i)] for i, n in enumerate(ordered) if str(i) in found}


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
