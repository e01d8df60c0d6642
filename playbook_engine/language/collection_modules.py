"""Modules of installed collections that pbe does not implement itself.

A task naming ``ns.col.name`` (or a short name Ansible routes to a collection) runs the
collection's Python module on the host, as a project's ``library/`` module runs
(``modules/util/hostmodule``), when the collection is installed where Ansible looks:
``collections/`` beside a playbook, ``ANSIBLE_COLLECTIONS_PATH``, ``~/.ansible/collections``
and ``/usr/share/ansible/collections``. Only the collection ``module_utils`` it imports go
with it. A module moved by its collection's ``meta/runtime.yml`` is followed. One that
needs what pbe's runtime lacks, has an action plugin or is PowerShell is noted for
``library.missing`` instead, so validation reports it where a task uses it.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .. import modules
from ..modules.util import hostimports, hostmodule
from .catalog import WINDOWS_HINT, ansible_module, is_fqcn
from .library import ACTION_PLUGIN_HINT, not_runnable, unserved_imports
from .roles import collection_roots, is_file

__all__ = ["installed_roots", "load_collection_module", "use_collections"]

_lock = threading.Lock()
_playbook_dirs: list[Path] = []  # where playbooks were loaded: their collections/ count
_looked_up: dict[str, tuple[Path, ...]] = {}  # name -> the roots it was looked for in


def use_collections(playbook_dir: Path) -> None:
    """Note a loaded playbook's directory: its ``collections/`` holds installed collections."""
    with _lock:
        if playbook_dir not in _playbook_dirs:
            _playbook_dirs.append(playbook_dir)


def installed_roots() -> tuple[Path, ...]:
    """Where installed collections are looked for: ``collections/`` beside each playbook
    loaded, then Ansible's collection paths."""
    with _lock:
        beside = [d / "collections" for d in _playbook_dirs]
    return tuple(dict.fromkeys([*beside, *collection_roots(None)]))


def load_collection_module(name: str) -> bool:
    """Register the installed collection module ``name`` means, to run on the host; True
    when ``name`` is now a module. A module found that pbe cannot run is noted for
    ``missing``."""
    if modules.get(name) is not None:
        return True
    fqcn = name if is_fqcn(name) else getattr(ansible_module(name), "fqcn", None)
    if fqcn is None or not is_fqcn(fqcn):
        return False
    if modules.get(fqcn) is not None:  # found before, written another way
        modules.ALIASES.setdefault(name, modules.canonical_name(fqcn))
        return True
    roots = installed_roots()
    with _lock:
        if _looked_up.get(name) == roots:
            return False
        _looked_up[name] = roots
    for _ in range(_HOPS):
        ns, col, short = fqcn.split(".", 2)
        for root in roots:
            plugins = root / "ansible_collections" / ns / col / "plugins"
            if is_file(plugins / "modules" / f"{short}.py"):
                return _define_collection_module(name, fqcn, root, plugins)
        target = _redirect(fqcn, roots)
        if target is None:
            return False
        if modules.get(target) is not None:  # moved to a collection pbe implements
            modules.ALIASES.setdefault(name, modules.canonical_name(target))
            return True
        fqcn = target
    return False


_HOPS = 5  # redirects followed from one name (a collection moved, then renamed)


def _redirect(fqcn: str, roots: tuple[Path, ...]) -> str | None:
    """Where an installed collection's ``meta/runtime.yml`` sends module ``fqcn``
    (``community.mysql.mysql_variables`` -> ``ansible.mysql.mysql_variables``)."""
    ns, col, short = fqcn.split(".", 2)
    for root in roots:
        routing = _runtime(root / "ansible_collections" / ns / col / "meta" / "runtime.yml")
        if routing is not None:
            entry = routing.get(short)
            target = entry.get("redirect") if isinstance(entry, dict) else None
            return target if isinstance(target, str) and is_fqcn(target) else None
    return None


@cache
def _runtime(path: Path) -> dict[str, Any] | None:
    """A collection's module routing (``plugin_routing.modules``); None without the file."""
    if not is_file(path):
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8", errors="replace"))
    except yaml.YAMLError:
        return {}
    routing = data.get("plugin_routing") if isinstance(data, dict) else None
    found = routing.get("modules") if isinstance(routing, dict) else None
    return found if isinstance(found, dict) else {}


def _define_collection_module(name: str, fqcn: str, root: Path, plugins: Path) -> bool:
    ns, col, short = fqcn.split(".", 2)
    source = plugins / "modules" / f"{short}.py"
    where = f"collection {ns}.{col} ({root})"
    if is_file(plugins / "modules" / f"{short}.ps1"):  # its .py is documentation only
        return not_runnable(
            name,
            f"`{name}` is a PowerShell module for Windows hosts ({where}): pbe runs none",
            WINDOWS_HINT,
        )
    if is_file(plugins / "action" / f"{short}.py"):
        return not_runnable(
            name,
            f"`{name}` has an Ansible action plugin in {where}: part of it runs inside "
            "Ansible's controller, which pbe is not",
            ACTION_PLUGIN_HINT,
        )
    text = source.read_text(encoding="utf-8", errors="replace")
    package = f"ansible_collections.{ns}.{col}.plugins.modules"
    found = hostimports.needs(text, package, [root, *collection_roots(None)])
    lacking = unserved_imports(text, package, found.files)
    if found.not_found or lacking:
        what = ", ".join([*found.not_found, *lacking])
        return not_runnable(
            name,
            f"`{name}` from {where} imports {what}, which pbe's host runtime does not provide",
        )
    utils = {**found.files, source.relative_to(root).as_posix(): source}
    try:
        cls = hostmodule.define(fqcn, source, utils, package)
    except SyntaxError as exc:
        return not_runnable(name, f"`{name}` from {where} is no Python: {exc.msg}")
    modules.register(fqcn, *((name,) if name != fqcn else ()))(cls)
    return True
