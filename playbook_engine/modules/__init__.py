"""The module registry: every module is registered here, once, by name."""

from __future__ import annotations

import difflib
import importlib
import re
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path

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

_API = frozenset({"base", "result"})  # the module API itself, not modules
_PREFIXES = ("ansible.builtin.", "ansible.legacy.")
_REGISTER = re.compile(r'^@register\(\s*"([^"]+)"((?:\s*,\s*"[^"]+")*)\s*,?\s*\)', re.M)


class _Registry(MutableMapping[str, "type[Module]"]):
    """Every module by name. pbe's own are indexed from their files' ``@register`` lines
    and imported when first asked for: a run imports the few its playbook uses, not all
    of them (importing every file was half of pbe's start-up)."""

    def __init__(self) -> None:
        self._classes: dict[str, type[Module]] = {}
        self.files: dict[str, str] = {}  # pbe's own modules: name -> file in this package

    def __getitem__(self, name: str) -> type[Module]:
        if name not in self._classes and name in self.files:
            importlib.import_module(f"{__name__}.{self.files[name]}")
        return self._classes[name]

    def __setitem__(self, name: str, cls: type[Module]) -> None:
        self._classes[name] = cls

    def __delitem__(self, name: str) -> None:
        found = self._classes.pop(name, None)
        if self.files.pop(name, None) is None and found is None:
            raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return name in self._classes or name in self.files

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self.files, *self._classes]))

    def __len__(self) -> int:
        return len(dict.fromkeys([*self.files, *self._classes]))

    def imported(self) -> dict[str, type[Module]]:
        """The modules imported so far (those asked for, and library modules)."""
        return dict(self._classes)


REGISTRY = _Registry()


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
        own = REGISTRY.files.get(name) is not None and (
            cls.__module__ == f"{__name__}.{REGISTRY.files[name]}"
        )  # pbe's own file registering what the index already names
        for key in (name, *aliases):
            taken = key in REGISTRY or key in ALIASES
            if taken and not (own and ALIASES.get(key, name) == name):
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


def _index_builtin() -> None:
    """Name every module of this package (and its aliases) from its ``@register`` line,
    without importing it."""
    for path in sorted(Path(__file__).parent.glob("*.py")):
        if path.stem in _API or path.stem.startswith("_"):
            continue
        for found in _REGISTER.finditer(path.read_text(encoding="utf-8")):
            name = found.group(1)
            REGISTRY.files[name] = path.stem
            ALIASES.update(dict.fromkeys(re.findall(r'"([^"]+)"', found.group(2)), name))


_index_builtin()
