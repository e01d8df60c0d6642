"""The module registry: every module is registered here, once, by name."""

from __future__ import annotations

import difflib
from collections.abc import Callable

from .base import Arg, Module, ModuleContext
from .result import Result

__all__ = ["REGISTRY", "Arg", "Module", "ModuleContext", "Result", "canonical_name", "get",
           "register", "suggest"]

REGISTRY: dict[str, type[Module]] = {}
_API = frozenset({"base", "result"})  # the module API itself, not modules
_PREFIXES = ("ansible.builtin.", "ansible.legacy.")


class DuplicateModule(RuntimeError):
    pass


def register(name: str) -> Callable[[type[Module]], type[Module]]:
    def wrap(cls: type[Module]) -> type[Module]:
        if name in REGISTRY:
            raise DuplicateModule(f"module {name!r} registered twice")
        cls.name = name
        REGISTRY[name] = cls
        return cls

    return wrap


def canonical_name(name: str) -> str:
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def get(name: str) -> type[Module] | None:
    return REGISTRY.get(canonical_name(name))


def suggest(name: str) -> str | None:
    close = difflib.get_close_matches(canonical_name(name), list(REGISTRY), n=1, cutoff=0.6)
    return close[0] if close else None


def _load_builtin() -> None:
    """Import every module file here; each registers itself with @register."""
    import importlib
    import pkgutil

    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name not in _API and not info.ispkg:  # util/ holds helpers, not modules
            importlib.import_module(f"{__name__}.{info.name}")


_load_builtin()
