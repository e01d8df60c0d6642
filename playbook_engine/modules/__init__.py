"""The module registry: every module is registered here, once, by name."""

from __future__ import annotations

import difflib
from collections.abc import Callable

from .base import Arg, Module, ModuleContext
from .result import Result

__all__ = [
    "ALIASES",
    "REGISTRY",
    "Arg",
    "DuplicateModule",
    "Module",
    "ModuleContext",
    "Result",
    "canonical_name",
    "get",
    "register",
    "suggest",
]

REGISTRY: dict[str, type[Module]] = {}
_API = frozenset({"base", "result"})  # the module API itself, not modules
_PREFIXES = ("ansible.builtin.", "ansible.legacy.")


class DuplicateModule(RuntimeError):
    def __init__(self, name: str) -> None:
        super().__init__(f"module {name!r} registered twice")
        self.name = name


ALIASES: dict[str, str] = {}  # other names users write (a collection's FQCN) -> name


def register(name: str, *aliases: str) -> Callable[[type[Module]], type[Module]]:
    """Register a module under ``name`` (``ansible.builtin.NAME`` resolves to it) and under
    ``aliases``, e.g. the FQCN of a collection module: ``register("ufw",
    "community.general.ufw")``."""

    def wrap(cls: type[Module]) -> type[Module]:
        for key in (name, *aliases):
            if key in REGISTRY or key in ALIASES:
                raise DuplicateModule(key)
        cls.name = name
        REGISTRY[name] = cls
        ALIASES.update(dict.fromkeys(aliases, name))
        return cls

    return wrap


def canonical_name(name: str) -> str:
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    return ALIASES.get(name, name)


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
