"""Which names are Ansible modules: so a module pbe lacks is reported as that, not as a typo.

The names come from ``ansible_modules.json`` (generated from an Ansible install; its
``about`` says how): ansible.builtin and the collections the ``ansible`` package bundles,
the short names ansible-core routes to collections (``mount`` → ``ansible.posix.mount``),
collection redirects, and modules Ansible removed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).with_name("ansible_modules.json")
_LEGACY = ("ansible.legacy.", "ansible.builtin.")


@dataclass(frozen=True, slots=True)
class AnsibleModule:
    """What Ansible calls a name: its FQCN, or the version it was removed in."""

    fqcn: str
    removed: str | None = None


@dataclass(frozen=True, slots=True)
class _Catalog:
    modules: frozenset[str]  # FQCNs
    short: dict[str, str]  # short name -> FQCN it is routed to
    redirects: dict[str, str]  # FQCN -> FQCN
    removed: dict[str, str]  # name or FQCN -> version or date


@cache
def _catalog() -> _Catalog:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    modules = frozenset(
        f"{coll}.{name}" for coll, names in data["modules"].items() for name in names
    )
    short = {name: f"{coll}.{name}" for coll, names in data["short"].items() for name in names}
    short.update(data["short_other"])
    return _Catalog(modules, short, dict(data["redirects"]), dict(data["removed"]))


def ansible_module(name: str) -> AnsibleModule | None:
    """The Ansible module ``name`` means (bare builtin, ``ansible.builtin.``/``ansible.legacy.``
    name, collection FQCN, routed short name), or None when Ansible has no such module."""
    catalog = _catalog()
    bare = name
    for prefix in _LEGACY:
        if name.startswith(prefix):
            bare = name[len(prefix) :]
            break
    if bare in catalog.removed or name in catalog.removed:
        return AnsibleModule(name, catalog.removed.get(bare) or catalog.removed[name])
    for fqcn in (f"ansible.builtin.{bare}", name):
        if fqcn in catalog.modules:
            return AnsibleModule(fqcn)
    target = catalog.redirects.get(name) or (
        catalog.short.get(bare) if bare == name or name.startswith(_LEGACY) else None
    )
    return AnsibleModule(target) if target else None


HINT = (
    "`pbe modules` lists the modules pbe has; a project can add its own in library/ "
    "(see docs/writing-modules.md)"
)


def missing_module(name: str) -> tuple[str, str | None, bool] | None:
    """(message, hint, deferrable) for a module name pbe lacks but Ansible knows (or a
    collection's FQCN); None for a name that is no module at all (a typo, say).

    ``deferrable``: in a file that is only included at run time, this is a warning, and an
    error only if the task runs; that holds for a module Ansible removed too (Ansible
    finds it only when it loads the file).
    """
    found = ansible_module(name)
    if found is not None and found.removed:
        hint = "use include_tasks or import_tasks" if name.endswith("include") else None
        return f"`{name}` was removed from Ansible ({found.removed})", hint, True
    if found is not None:
        routed = f" ({found.fqcn})" if found.fqcn not in (name, f"ansible.builtin.{name}") else ""
        message = f"`{name}` is an Ansible module{routed} that pbe does not implement"
        return message, _install_hint(found.fqcn), True
    if is_fqcn(name):
        collection = name.rsplit(".", 1)[0]
        message = f"`{name}` is not a module pbe has (collection {collection})"
        return message, _install_hint(name), True
    return None


_WINDOWS = ("ansible.windows.", "community.windows.", "chocolatey.chocolatey.", "microsoft.ad.")
WINDOWS_HINT = "pbe manages hosts with a POSIX shell; Windows hosts need Ansible"


def windows_only(name: str) -> bool:
    """A module for Windows hosts (PowerShell), which pbe does not manage: roles for both
    kinds of host guard such tasks with ``when``, so validation only warns of them."""
    found = ansible_module(name)
    return (found.fqcn if found else name).startswith(_WINDOWS)


def _install_hint(fqcn: str) -> str:
    """Where a collection's module is not installed: installing it lets pbe run it."""
    collection = fqcn.rsplit(".", 1)[0]
    if fqcn.startswith(_WINDOWS):
        return WINDOWS_HINT
    if collection in ("ansible.builtin", "ansible.legacy") or not is_fqcn(fqcn):
        return HINT
    return (
        f"with collection {collection} installed (`ansible-galaxy collection install "
        f"{collection}`), pbe runs its Python modules on the host; {HINT}"
    )


def is_fqcn(name: str) -> bool:
    """``namespace.collection.module``: a collection's module, whether Ansible bundles it or
    not."""
    parts = name.split(".")
    return len(parts) >= 3 and all(p.isidentifier() for p in parts)
