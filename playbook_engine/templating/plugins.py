"""The user's own Jinja plugins: ``filter_plugins/``, ``test_plugins/`` and
``lookup_plugins/`` beside a playbook or inside a role, loaded as Ansible loads them.

- ``filter_plugins/*.py``: ``class FilterModule`` whose ``filters()`` returns
  ``{name: function}``; ``test_plugins/*.py`` the same with ``TestModule``/``tests()``.
- ``lookup_plugins/<name>.py``: ``class LookupModule`` with ``run(terms, variables,
  **kwargs)`` returning a list; it may subclass Ansible's ``LookupBase`` (see
  ``plugin_shim`` for the part of ``ansible.*`` pbe provides when Ansible is absent).

They are the user's code, run on the controller as in Ansible. They load into one run's
template environment (never a global table) when the playbook or role is read, and stay
for the rest of the run; a plugin's short name wins over pbe's, ``ansible.builtin.<name>``
stays pbe's. A file that cannot load is a warning naming the file, never a crash. What a
plugin returns is data (``values.distrust``): never rendered again.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import sys
import threading
import traceback
import types
import weakref
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import jinja2
import yaml

from ..errors import Problem
from ..source import SourceLocation
from .lookup_base import LookupFailed
from .plugin_shim import LookupBase, shimmed
from .values import distrust

__all__ = [
    "FoundOnDemand",
    "PluginError",
    "load_kind_folder",
    "load_plugin_folder",
    "load_plugins",
]

KINDS = ("filter_plugins", "test_plugins", "lookup_plugins")
_LOCK = threading.Lock()
_LOADED: weakref.WeakKeyDictionary[jinja2.Environment, set[Path]] = weakref.WeakKeyDictionary()


class PluginError(Exception):
    """A plugin failed while a template used it; the message names the plugin's file."""


class _Skip(Exception):  # noqa: N818 - a file that is not a plugin of this kind
    pass


def load_plugins(env: jinja2.Environment, base: Path) -> list[Problem]:
    """Load the plugin folders under ``base`` (a playbook's directory or a role) into
    ``env``, each folder once per environment; warnings for the files that fail."""
    problems: list[Problem] = []
    for kind in KINDS:
        problems += load_kind_folder(env, kind, base / kind)
    return problems


def load_kind_folder(env: jinja2.Environment, kind: str, folder: Path) -> list[Problem]:
    """One folder of plugins of one kind (``filter_plugins`` ...), once per environment:
    beside a playbook or role, or named by a setting (``filter_plugins`` in ansible.cfg)."""
    if not folder.is_dir() or not _first_time(env, folder.resolve()):
        return []
    problems: list[Problem] = []
    for file in sorted(folder.glob("*.py")):
        if not file.name.startswith("_"):
            problems += _load_file(env, kind, file)
    return problems


class FoundOnDemand(dict[str, Any]):
    """A table of filters, tests or lookups in which a name not there yet may be found when
    first asked for (``find`` loads an installed collection's plugins for its FQCN). Jinja
    looks names up with ``in``, ``get`` and ``[]`` when it compiles and runs a template."""

    def __init__(self, items: Mapping[str, Any], find: Callable[[str], Any]) -> None:
        super().__init__(items)
        self._find = find

    def __missing__(self, name: str) -> Any:
        found = self._find(name)
        if found is None:
            raise KeyError(name)
        return found

    def get(self, name: str, default: Any = None) -> Any:
        try:
            return self[name]
        except KeyError:
            return default

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or (
            isinstance(name, str) and self._find(name) is not None
        )


def load_plugin_folder(
    env: jinja2.Environment, kind: str, folder: Path, prefix: str, import_root: Path
) -> list[Problem]:
    """An installed collection's ``plugins/filter`` (``test``, ``lookup``), once per
    environment: its plugins named ``prefix`` + their name (``ns.col.``); ``import_root``
    holds ``ansible_collections/``, which their own imports name."""
    if not folder.is_dir() or not _first_time(env, folder.resolve()):
        return []
    problems: list[Problem] = []
    for file in sorted(folder.glob("*.py")):
        if not file.name.startswith("_"):
            problems += _load_file(env, kind, file, prefix, import_root)
    return problems


def _first_time(env: jinja2.Environment, folder: Path) -> bool:
    with _LOCK:
        seen = _LOADED.setdefault(env, set())
        if folder in seen:
            return False
        seen.add(folder)
        return True


def _load_file(
    env: jinja2.Environment,
    kind: str,
    file: Path,
    prefix: str = "",
    import_root: Path | None = None,
) -> list[Problem]:
    try:
        module = _import(file, import_root)
        if kind == "lookup_plugins":
            lookups: dict[str, Any] = env.pbe_lookups  # type: ignore[attr-defined]
            dict.__setitem__(lookups, prefix + file.stem, _lookup(module, file))
        else:
            table = env.filters if kind == "filter_plugins" else env.tests
            found = _functions(module, kind, file)
            dict.update(table, {prefix + name: func for name, func in found.items()})
    except _Skip:
        return []
    except Exception as exc:  # the user's file: any error is theirs, reported, not raised
        return [_warning(kind, file, exc)]
    return []


def _import(file: Path, import_root: Path | None = None) -> types.ModuleType:
    digest = hashlib.sha1(str(file.resolve()).encode()).hexdigest()[:12]  # noqa: S324
    name = f"pbe_plugin_{digest}_{file.stem}"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {file}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look their module up
    try:
        with shimmed(), _importable(import_root):
            spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


@contextlib.contextmanager
def _importable(root: Path | None) -> Iterator[None]:
    """``root`` on the import path while a collection's plugin is imported: its own
    ``ansible_collections.ns.col...`` imports (module_utils) resolve there."""
    if root is None:
        yield
        return
    sys.path.insert(0, str(root))
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(str(root))


def _functions(module: types.ModuleType, kind: str, file: Path) -> dict[str, Callable[..., Any]]:
    class_name, method = (
        ("FilterModule", "filters") if kind == "filter_plugins" else ("TestModule", "tests")
    )
    cls = getattr(module, class_name, None)
    if cls is None:
        raise _Skip  # a helper module beside the plugins, as Ansible allows
    table = getattr(cls(), method)()
    if not isinstance(table, Mapping):
        raise TypeError(
            f"{class_name}.{method}() must return a mapping of names to "
            f"functions, got {type(table).__name__}"
        )
    return {
        str(name): _wrapped(func, f"{name} ({file})", kind == "filter_plugins")
        for name, func in table.items()
    }


def _wrapped(func: Callable[..., Any], origin: str, data: bool) -> Callable[..., Any]:
    """``func`` with its errors naming the plugin, its output distrusted (filters), and
    never folded at compile time (user code may read the clock or randomness)."""
    if not callable(func):
        raise TypeError(f"{origin} is not a function")

    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            value = func(*args, **kwargs)
        except Exception as exc:
            raise PluginError(f"plugin {origin} failed: {type(exc).__name__}: {exc}") from None
        return distrust(value) if data else value

    if getattr(func, "jinja_pass_arg", None) is not None:  # pass_context & co.: kept
        return functools.wraps(func)(call)

    @jinja2.pass_context
    @functools.wraps(func)
    def volatile(_context: Any, *args: Any, **kwargs: Any) -> Any:
        return call(*args, **kwargs)

    return volatile


def _lookup(
    module: types.ModuleType, file: Path
) -> Callable[[list[Any], Mapping[str, Any], dict[str, Any]], list[Any]]:
    cls = getattr(module, "LookupModule", None)
    if not isinstance(cls, type):
        raise TypeError(
            "a lookup plugin must define `class LookupModule` with run(terms, variables, **kwargs)"
        )
    if issubclass(cls, LookupBase):
        cls._defaults = _documented_defaults(module)

    def run(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
        try:
            found = cls().run(terms, variables=variables, **kw)
        except Exception as exc:
            raise LookupFailed(
                f"lookup plugin {file.stem} ({file}) failed: {type(exc).__name__}: {exc}"
            ) from None
        if not isinstance(found, (list, tuple)):
            raise LookupFailed(
                f"lookup plugin {file.stem} ({file}) must return a list, got {type(found).__name__}"
            )
        return list(distrust(list(found)))

    return run


def _documented_defaults(module: types.ModuleType) -> dict[str, Any]:
    """Option defaults from a plugin's ``DOCUMENTATION`` YAML, for ``get_option``."""
    try:
        doc = yaml.safe_load(getattr(module, "DOCUMENTATION", "") or "") or {}
        options = doc.get("options") or {}
        return {
            str(k): (v or {}).get("default")
            for k, v in options.items()
            if not str(k).startswith("_")
        }
    except (yaml.YAMLError, AttributeError):
        return {}


def _warning(kind: str, file: Path, exc: Exception) -> Problem:
    line = getattr(exc, "lineno", 0) if isinstance(exc, SyntaxError) else 0
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(file)]
    line = line or (frames[-1].lineno or 0 if frames else 0)
    hint = None
    if isinstance(exc, ImportError) and exc.name:
        hint = f"it imports `{exc.name}`, which " + (
            "pbe does not provide (only a few ansible.* names: see docs/playbooks.md, Plugins)"
            if exc.name.split(".")[0] == "ansible"
            else "is not installed for the Python that runs pbe"
        )
    what = kind.removesuffix("_plugins")
    return Problem(
        f"cannot load {what} plugin {file.name}: {type(exc).__name__}: {exc}",
        SourceLocation(str(file), line or 0, 1 if line else 0),
        hint,
        severity="warning",
    )
