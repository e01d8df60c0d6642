"""Package-manager backends, and how ``package`` picks one for a host.

The interface (one file per package manager)
--------------------------------------------
A backend is the Python module ``playbook_engine/modules/util/pkgmgr_<name>.py``, where
``<name>`` is a value of the ``pkg_mgr`` fact: ``apt``, ``dnf``, ``dnf5``, ``yum``, ``zypper``,
``pacman``, ``apk``, ``pkgng`` … It defines one class, ``Backend``, a ``StateModule``
(``util/state.py``) that converges a list of package specs:

- ``args``: the arguments of Ansible's module of that name, with its defaults; at least
  ``name`` (``Arg("list", elements="str")``: the package specs) and ``state``;
- ``probe(args, ctx) -> str``: ONE sh command that reads the state of every package named;
- ``parse(args, res)``: that command's output as data (pure);
- ``plan(args, state) -> Change | None``: what must change, None when in state (pure);
- ``apply(args, change, ctx) -> str``: ONE sh command that makes the change;
- ``values``/``applied``: the return values, in state and after the change (optional).

So a backend costs one round trip when the packages are in state and two when not, and its
check mode is exact. ``package`` passes the task's arguments, without ``use``, through
``Backend.coerce`` (the backend's defaults apply; an argument it does not take fails the task
there, as in Ansible), then runs ``Backend().run``. The module of the same name registers a
subclass (``@register("apt") class Apt(pkgmgr_apt.Backend)``), so ``apt:`` and ``package:``
on an apt host are one implementation.

Which backend
-------------
``use`` when it is not ``auto``; else the ``ansible_package_use`` variable; else the
``pkg_mgr`` fact when facts were gathered; else one command that works the fact out on the
host (the same probe ``setup`` runs, for that fact only), as Ansible's ``package`` does.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from ...errors import ModuleError
from ..base import Arg, Module, ModuleContext
from .facts import collect, probe

__all__ = ["PREFIX", "backend", "backend_names", "choose", "detect", "union_args"]

PREFIX = "pkgmgr_"
_PACKAGE = __name__.rsplit(".", 1)[0]


def backend_names() -> list[str]:
    """The package managers pbe has a backend for, from the files beside this one."""
    import playbook_engine.modules.util as util

    return sorted(
        info.name[len(PREFIX) :]
        for info in pkgutil.iter_modules(util.__path__)
        if info.name.startswith(PREFIX)
    )


def backend(name: str) -> type[Module]:
    """The ``Backend`` class of package manager ``name``; ModuleError when pbe has none."""
    if name not in backend_names():
        have = ", ".join(backend_names())
        raise ModuleError(
            f'Could not find a matching action for the "{name}" package manager (pbe has: {have})'
        )
    found: ModuleType = importlib.import_module(f"{_PACKAGE}.{PREFIX}{name}")
    cls: type[Module] = found.Backend
    return cls


def union_args() -> dict[str, Arg]:
    """Every argument some backend takes, typed ``raw`` with no default: what ``package``
    accepts before the run; the chosen backend converts and checks them on the host."""
    merged: dict[str, Arg] = {}
    for name in backend_names():
        for key, arg in backend(name).args.items():
            seen = merged.get(key)
            aliases = tuple(sorted({*arg.aliases, *(seen.aliases if seen else ())}))
            merged[key] = Arg("raw", aliases=aliases, description=_described(seen, name, arg))
    return merged


def _described(seen: Arg | None, manager: str, arg: Arg) -> str:
    first = seen.description.split(": ", 1)[0].removeprefix("for ") if seen else ""
    managers = f"{first}, {manager}" if first else manager
    text = arg.description if not seen else seen.description.split(": ", 1)[1]
    return f"for {managers}: {text}"


def choose(use: str, ctx: ModuleContext) -> str:
    """The package manager for this host: ``use``, ``ansible_package_use``, the ``pkg_mgr``
    fact, or detection on the host (one command)."""
    if use and use != "auto":
        return use
    for name in ("ansible_package_use", "ansible_pkg_mgr"):
        if value := _variable(ctx, name):
            return str(value)
    facts = _variable(ctx, "ansible_facts")
    if isinstance(facts, Mapping) and facts.get("pkg_mgr"):
        return str(facts["pkg_mgr"])
    return detect(ctx)


def _variable(ctx: ModuleContext, name: str) -> Any:
    try:
        return ctx.render(ctx.variable(name))
    except KeyError:
        return None


def detect(ctx: ModuleContext) -> str:
    """The ``pkg_mgr`` fact, worked out on the host by the fact probe."""
    collectors = collect.select(["!all", "!min", "pkg_mgr"])
    nonce = probe.new_nonce()
    res = ctx.run(probe.build(collectors, nonce, probe.ProbeOptions()))
    found = collect.facts_for(probe.split(res.out, nonce), collectors).get("pkg_mgr")
    if not found or found == "unknown":
        raise ModuleError(
            "Could not detect which package manager to use. Try gathering facts "
            'or setting the "use" option.'
        )
    return str(found)
