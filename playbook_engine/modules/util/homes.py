"""A leading ``~`` or ``~user`` in a path argument, expanded on the host, as Ansible's
modules expand their ``path`` options there (``os.path.expanduser``): for the user the
task runs as, so under ``become`` the become user's home."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..base import ModuleContext

__all__ = ["expand_home"]

_TILDE = re.compile(r"~[A-Za-z0-9._-]*(?=/|$)")


def expand_home(ctx: ModuleContext, args: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    """``args`` with the ``keys`` whose value starts with ``~`` expanded; one command on
    the host when there is any (none otherwise). An unknown ``~user`` stays as written."""
    found = {k: m for k in keys if isinstance(args.get(k), str) and (m := _TILDE.match(args[k]))}
    if not found:
        return dict(args)
    prefixes = sorted({m.group() for m in found.values()})
    listed = ctx.run("; ".join(f"printf '%s\\n' {p}" for p in prefixes))  # the shell expands
    homes = dict(
        zip(prefixes, listed.stdout.decode(errors="surrogateescape").splitlines(), strict=False)
    )
    out = dict(args)
    for key, match in found.items():
        home = homes.get(match.group())
        if listed.rc == 0 and home and home != match.group():
            out[key] = (home.rstrip("/") + args[key][match.end() :]) or "/"
    return out
