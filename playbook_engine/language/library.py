"""Modules a project ships: ``library/`` beside the playbook or in a role, and installed
packages' ``pbe.modules`` entry points.

A library file is a pbe module file (``@register("name")`` on a ``Module`` subclass),
imported when the playbook that sits beside it, or the role that holds it, is loaded. An
Ansible module file there (one that imports Ansible's ``module_utils``) is never imported
on the controller: it is registered to run by the host's Python (``modules/util/hostmodule``).
A file without an extension is taken by its content, as Ansible takes it: a Python Ansible
module runs by the host's Python whatever its ``#!`` line (or none) says; a ``#!`` script
or a binary runs as a program.

The module registry is the process's: a library module stays registered after its run, a
file is imported again only when it changed, and a library module may replace another
library's module of the same name (the last loaded wins) but never one of pbe's own.

A Python module that imports a part of ``ansible.module_utils`` pbe's host runtime lacks
is noted as one pbe cannot run (``not_runnable``), reported where a task uses it, as are an
installed collection's (``collection_modules``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import sys
import threading
from collections.abc import Mapping
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path

from .. import modules
from ..errors import Problem
from ..modules.util import hostimports, hostmodule
from ..source import SourceLocation
from .catalog import missing_module
from .roles import is_dir

logger = logging.getLogger(__name__)

ENTRY_POINTS = "pbe.modules"
_lock = threading.Lock()
_loaded: dict[Path, tuple[int, tuple[str, ...]]] = {}  # file -> (mtime, names registered)
_action_plugins: dict[str, Path] = {}  # name -> a project's Ansible action plugin
_cannot_run: dict[str, tuple[str, str]] = {}  # name -> (why, hint): found, not runnable
ACTION_PLUGIN_HINT = "write it as a pbe module (see docs/writing-modules.md)"


def missing(name: str) -> tuple[str, str | None, bool] | None:
    """(message, hint, deferrable) for a module pbe lacks but Ansible has (see
    ``catalog.missing_module``), a project's Ansible action plugin, or a module found that
    pbe cannot run; None for no module."""
    with _lock:
        plugin = _action_plugins.get(name)
        cannot = _cannot_run.get(name)
    if plugin is not None:
        return (
            f"`{name}` is an Ansible action plugin ({plugin}): it runs inside Ansible's "
            "controller, which pbe is not",
            ACTION_PLUGIN_HINT,
            True,
        )
    if cannot is not None:
        return cannot[0], cannot[1], True
    return missing_module(name)


def unserved_imports(text: str, package: str, utils: Mapping[str, Path]) -> list[str]:
    """What the module source ``text`` and the files it is served with (``utils``) import
    unconditionally from ``ansible.module_utils`` that neither pbe nor ``utils`` provide."""
    read = {key: path.read_text(encoding="utf-8", errors="replace") for key, path in utils.items()}
    served = {**hostmodule.support_files(), **read}
    lacking = set(hostimports.unserved(text, package, served))
    for key, code in read.items():
        lacking.update(hostimports.unserved(code, hostimports.package_of(key), served))
    return sorted(lacking)


SERVED_HINT = "pbe serves part of ansible.module_utils to host modules (docs/writing-modules.md)"


def not_runnable(name: str, why: str, hint: str = SERVED_HINT) -> bool:
    """Note a module found that pbe cannot run: ``missing`` reports it where a task uses it."""
    with _lock:
        _cannot_run[name] = (why, hint)
    return False


def load_library(directory: Path) -> list[Problem]:
    """Register the modules in ``directory/library/`` (pbe's own kind, imported; Ansible's
    Python, script and binary ones, to run on the host) and note the names of its
    ``action_plugins/``; their problems (never raised)."""
    plugins = directory / "action_plugins"
    if is_dir(plugins):
        with _lock:
            _action_plugins.update((p.stem, p) for p in plugins.glob("*.py") if p.stem[0] != "_")
    return load_modules(directory / "library")


def load_modules(library: Path) -> list[Problem]:
    """Register the modules in the folder ``library`` (a ``library/``, or one the
    ``library`` setting names); their problems."""
    if not is_dir(library):
        return []
    problems: list[Problem] = []
    for path in sorted(library.iterdir()):
        if path.name.startswith(("_", ".")) or not path.is_file():
            continue
        if path.suffix == ".py":
            problems += _load_file(path.resolve())
        elif path.suffix == "" and _is_python_module(path):
            problems += _load_host(path.resolve(), python=True)
        elif path.suffix in ("", ".sh") and _is_script(path):
            problems += _load_host(path.resolve(), python=False)
    return problems


def _changed(path: Path) -> int | None:
    """The file's mtime when it changed since it was last loaded, else None. What its last
    version registered is forgotten, and it counts as loaded from now: a file that fails is
    reported once per change."""
    mtime = path.stat().st_mtime_ns
    with _lock:
        if path in _loaded and _loaded[path][0] == mtime:
            return None
        _forget_file(path)
        _loaded[path] = (mtime, ())
    return mtime


def _load_host(path: Path, python: bool) -> list[Problem]:
    mtime = _changed(path)
    return [] if mtime is None else _define(path, mtime, python)


def _is_script(path: Path) -> bool:
    with path.open("rb") as handle:
        return hostmodule.is_script(handle.read(4))


def _is_python_module(path: Path) -> bool:
    """An extension-less file that is a Python Ansible module: no binary, no ``#!`` line
    naming another interpreter, and it imports Ansible's module_utils."""
    data = path.read_bytes()
    if data.startswith(b"\x7fELF") or b"\0" in data:
        return False
    first = data.split(b"\n", 1)[0]
    if first.startswith(b"#!") and b"python" not in first:
        return False
    return hostmodule.is_ansible_module(data.decode("utf-8", errors="replace"))


def _load_file(path: Path) -> list[Problem]:
    mtime = _changed(path)
    if mtime is None:
        return []
    text = path.read_text(encoding="utf-8", errors="replace")
    if hostmodule.is_ansible_module(text):
        return _define(path, mtime, python=True)
    return _import(path, mtime)


def _define(path: Path, mtime: int, python: bool) -> list[Problem]:
    """Register an Ansible module file (``python``, else a script or a binary) to run on
    the host."""
    try:
        cls = (
            hostmodule.define(path.stem, path)
            if python
            else hostmodule.define_script(path.stem, path)
        )
    except SyntaxError as exc:
        loc = SourceLocation(str(path), exc.lineno or 0, exc.offset or 0)
        return [Problem(f"cannot load {path.name}: SyntaxError: {exc.msg}", loc)]
    if isinstance(cls, type) and issubclass(cls, hostmodule.PythonModule):
        missing_utils = unserved_imports(
            path.read_text(encoding="utf-8", errors="replace"), "", cls.utils
        )
        if missing_utils:
            not_runnable(
                path.stem,
                f"`{path.stem}` ({path}) imports {', '.join(missing_utils)}, which pbe's host "
                "runtime does not provide",
            )
            return []
    if path.stem in modules.REGISTRY and not _release(path.stem):
        return [
            Problem(
                f"{path.name}: module `{path.stem}` is one of pbe's own; pbe's is used",
                SourceLocation(str(path)),
                severity="warning",
            )
        ]
    modules.register(path.stem)(cls)
    with _lock:
        _loaded[path] = (mtime, (path.stem,))
    return []


def _import(path: Path, mtime: int) -> list[Problem]:
    before = set(modules.REGISTRY)
    for _ in range(len(_loaded) + 1):  # each retry releases one other library file's name
        try:
            _exec(path)
            break
        except modules.DuplicateModule as exc:
            _unregister(set(modules.REGISTRY) - before)
            if not _release(exc.name):
                return [
                    Problem(
                        f"{path.name}: module `{exc.name}` is one of pbe's own; a "
                        "library module cannot replace it",
                        SourceLocation(str(path)),
                    )
                ]
        except Exception as exc:  # the project's code: report it, never crash validation
            _unregister(set(modules.REGISTRY) - before)
            return [
                Problem(
                    f"cannot load {path.name}: {type(exc).__name__}: {exc}", _error_loc(path, exc)
                )
            ]
    names = tuple(sorted(set(modules.REGISTRY) - before))
    with _lock:
        _loaded[path] = (mtime, names)
    if not names:
        return [
            Problem(
                f"{path.name} registers no module",
                SourceLocation(str(path)),
                'decorate a Module subclass with @register("name")',
                "warning",
            )
        ]
    return []


def _exec(path: Path) -> None:
    """Import the file under a name of its own: two projects may both have library/x.py."""
    digest = hashlib.sha1(str(path.parent).encode()).hexdigest()[:12]
    name = f"pbe_library_{digest}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


def _release(name: str) -> bool:
    """Unregister the library file that holds ``name`` (another project's module of the
    same name: the last loaded wins); False when pbe itself holds it."""
    with _lock:
        holders = [p for p, (_, names) in _loaded.items() if name in names]
        for holder in holders:
            logger.debug("library module %s from %s replaced", name, holder)
            _forget_file(holder)
    return bool(holders)


def _unregister(names: set[str]) -> None:
    for name in names:
        modules.REGISTRY.pop(name, None)
        for alias in [a for a, target in modules.ALIASES.items() if target == name]:
            del modules.ALIASES[alias]


def _forget_file(path: Path) -> None:
    """Unregister what a library file registered (it is being loaded again). Holds _lock."""
    mtime, names = _loaded.get(path, (0, ()))
    _unregister(set(names))
    _cannot_run.pop(path.stem, None)
    _loaded[path] = (mtime, ())


def _error_loc(path: Path, exc: Exception) -> SourceLocation:
    line = getattr(exc, "lineno", None)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == str(path):
            line = tb.tb_lineno
        tb = tb.tb_next
    return SourceLocation(str(path), line or 0, 1 if line else 0)


@cache
def load_entry_points() -> tuple[Problem, ...]:
    """Register the modules of installed packages (entry-point group ``pbe.modules``):
    each entry point is a module file (it registers itself when imported) or a ``Module``
    subclass, registered under the entry point's name. Done once per process."""
    problems: list[Problem] = []
    for point in entry_points(group=ENTRY_POINTS):
        try:
            loaded = point.load()
        except Exception as exc:  # an installed package's bug: report it, carry on
            problems.append(
                Problem(
                    f"entry point {point.name} ({point.value}) failed to "
                    f"load: {type(exc).__name__}: {exc}",
                    severity="warning",
                )
            )
            continue
        if (
            isinstance(loaded, type)
            and issubclass(loaded, modules.Module)
            and modules.get(point.name) is None
        ):
            modules.register(point.name)(loaded)
    return tuple(problems)
