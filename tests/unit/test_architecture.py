"""The package's shape, pinned: imports point downstream, no cycles, no private names shared.

Layers, upstream first (docs/architecture.md): ``cli``/``api`` → ``engine`` → ``modules`` →
``transport``; ``engine`` also uses ``language``, ``inventory`` and ``templating``;
``reporting`` consumes events. Every import counts, also those inside functions: an import
hidden in a function is still a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "playbook_engine"

# package -> packages it must never import (directly, anywhere in it)
FORBIDDEN = {
    "templating": {"language", "inventory", "engine", "modules", "transport", "reporting"},
    "transport": {"language", "inventory", "engine", "modules", "templating", "reporting"},
    "language": {"engine", "reporting", "transport", "inventory"},
    "inventory": {"engine", "modules", "transport", "reporting"},
    "modules": {"engine", "reporting", "inventory"},
    "engine": {"cli", "api"},
    "reporting": {"engine", "cli", "api"},
}
BASE = {"errors", "source", "exitcodes", "masking", "events", "options", "settings"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(name: str) -> Iterator[tuple[str, str]]:
    """(imported module, imported name) for every `from X import y` in module ``name``."""
    path = MODULES[name]
    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                yield target, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ""


def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    for name in MODULES:
        for target, imported in _imports(name):
            full = f"{target}.{imported}"
            dest = full if full in MODULES else target
            if dest in MODULES and dest != name:
                edges[name].add(dest)
    return edges


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_no_import_cycles() -> None:
    edges = _edges()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        if state.get(node) == 1:
            cycles.append(stack[stack.index(node) :] + [node])
            return
        if node in state:
            return
        state[node] = 1
        for nxt in sorted(edges[node]):
            if not (node.startswith(nxt + ".") and MODULES[nxt].name == "__init__.py"):
                visit(nxt, [*stack, node])
        state[node] = 2

    for module in sorted(edges):
        visit(module, [])
    assert cycles == []


def test_no_private_names_imported_across_modules() -> None:
    shared = [
        (name, target, imported)
        for name in MODULES
        for target, imported in _imports(name)
        if target.startswith("playbook_engine")
        and imported.startswith("_")
        and not imported.startswith("__")
    ]
    assert shared == []


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layers_import_only_downstream(package: str) -> None:
    wrong = sorted(
        {
            (src, dest)
            for src, dests in _edges().items()
            for dest in dests
            if _package(src) == package and _package(dest) in FORBIDDEN[package]
        }
    )
    assert wrong == []


def test_the_base_layer_imports_only_itself() -> None:
    wrong = sorted(
        {
            (src, dest)
            for src, dests in _edges().items()
            for dest in dests
            if _package(src) in BASE
            and _package(dest) not in BASE
            and not dest.startswith("playbook_engine.templating.values")
        }
    )
    assert wrong == []


def test_the_module_registry_holds_only_modules() -> None:
    from playbook_engine.modules import REGISTRY
    from playbook_engine.modules.base import Module

    assert REGISTRY and all(issubclass(cls, Module) for cls in REGISTRY.values())
    helpers = {p.stem for p in (PACKAGE / "modules").glob("*.py")} - {"__init__", "base", "result"}
    defining = {cls.__module__.rsplit(".", 1)[-1] for cls in REGISTRY.values()}
    assert helpers <= defining, f"helpers belong in modules/util/: {sorted(helpers - defining)}"


def test_only_the_remote_files_layer_holds_the_check_run_prediction() -> None:
    """Modules ask ``RemoteFiles`` to act and read (it records and answers predictions);
    none reaches the ``Prediction`` itself (issue 11: check mode inside that layer)."""
    owners = {"playbook_engine.modules.util.remotefs", "playbook_engine.modules.util.filestate"}
    touching = sorted(
        name
        for name, path in MODULES.items()
        if name.startswith("playbook_engine.modules") and name not in owners
        for node in ast.walk(ast.parse(path.read_text()))
        if (isinstance(node, ast.Attribute) and node.attr in ("prediction", "_prediction"))
        or (isinstance(node, ast.ImportFrom) and any(a.name == "Prediction" for a in node.names))
    )
    assert touching == []


def test_the_module_index_names_what_importing_every_file_registers() -> None:
    """pbe's own modules are indexed from their `@register` lines and imported on first
    use; the index must name exactly what the files register."""
    import importlib

    from playbook_engine import modules

    index, aliases = dict(modules.REGISTRY.files), dict(modules.ALIASES)
    for path in sorted((PACKAGE / "modules").glob("*.py")):
        if path.stem not in ("__init__", "base", "result"):
            importlib.import_module(f"playbook_engine.modules.{path.stem}")
    registered = {
        name: cls.__module__.rsplit(".", 1)[-1]
        for name, cls in modules.REGISTRY.imported().items()
        if cls.__module__.startswith("playbook_engine.modules.")
    }
    assert registered == index
    assert {a: n for a, n in modules.ALIASES.items() if n in index} == {
        a: n for a, n in aliases.items() if n in index
    }
