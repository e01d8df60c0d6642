"""What an Ansible module file imports, read from its source without running it.

A host module (``hostmodule``) is served from memory with pbe's own ``ansible.module_utils``
and the Python files of the project or collection it imports. Two questions are answered
here: which collection ``module_utils`` files a module needs (followed through their own
imports, absolute and relative), and which parts of ``ansible.module_utils`` it imports
unconditionally that pbe's runtime does not provide: such a module cannot start, and
validation says so instead of a MODULE FAILURE on every host.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

__all__ = ["Needs", "needs", "package_of", "served_imports", "unserved"]

_COLLECTIONS = "ansible_collections"
_UTILS = "ansible.module_utils"


@dataclass
class Needs:
    """A module's support files (``ansible_collections/…`` path → file) and the
    ``ansible_collections`` modules it imports unconditionally that no root holds."""

    files: dict[str, Path] = field(default_factory=dict)
    not_found: list[str] = field(default_factory=list)


def needs(text: str, package: str, roots: Sequence[Path]) -> Needs:
    """The collection ``module_utils`` the module source ``text`` (of dotted ``package``,
    for its relative imports) needs, found under the collection ``roots`` (each holding
    ``ansible_collections/``), with those files' own."""
    found = Needs()
    queue: list[tuple[str, str]] = [(package, text)]
    seen: set[str] = set()
    while queue:
        package, source = queue.pop()
        for module, member, required in _imports(source, package):
            names = [(module, required), *([(f"{module}.{member}", False)] if member else [])]
            for name, must in names:
                if not name.startswith(_COLLECTIONS + ".") or name in seen:
                    continue
                seen.add(name)
                hits = _locate(name, roots)
                if not hits and must and not _is_package(name, roots):
                    found.not_found.append(name)
                for key, path in hits:
                    if key not in found.files:
                        found.files[key] = path
                        text_of = path.read_text(encoding="utf-8", errors="replace")
                        queue.append((package_of(key), text_of))
    return found


def unserved(text: str, package: str, served: Mapping[str, str]) -> list[str]:
    """The ``ansible.module_utils`` modules and names ``text`` imports unconditionally (at
    its top level, outside ``try``) that ``served`` (path → source) does not hold."""
    out = set()
    for module, member, required in _imports(text, package):
        if not required or not (module + ".").startswith(_UTILS + "."):
            continue
        if not _served(module, served):
            out.add(module)
        elif member and not _served(f"{module}.{member}", served):
            out.add(f"{module}.{member}")
    return sorted(out)


def served_imports(text: str, package: str, served: Mapping[str, str]) -> set[str]:
    """The keys of the ``served`` files (path → source) that ``text`` imports, anywhere in
    it, with the ``__init__.py`` of the packages on their way."""
    keys: set[str] = set()
    for module, member, _ in _imports(text, package):
        for name in (module, f"{module}.{member}" if member else ""):
            rel = name.replace(".", "/")
            candidates = (*_init_keys(rel), f"{rel}.py", f"{rel}/__init__.py")
            keys.update(k for k in candidates if k in served)
    return keys


def _init_keys(rel: str) -> list[str]:
    """The ``__init__.py`` of every package on the way to module path ``rel`` (``a/b/c``:
    ``a/__init__.py``, ``a/b/__init__.py``)."""
    parts = rel.split("/")
    return [f"{'/'.join(parts[:n])}/__init__.py" for n in range(1, len(parts))]


def package_of(key: str) -> str:
    """The dotted package a served file's relative imports start from (``a/b/c.py`` ->
    ``a.b``)."""
    parts = key.removesuffix(".py").split("/")
    return ".".join(parts[:-1])


# -- reading imports --------------------------------------------------------------------------


def _imports(text: str, package: str) -> Iterator[tuple[str, str | None, bool]]:
    """(module, member, unconditional) for every import in ``text``: ``import M`` gives
    (M, None), ``from M import n`` gives (M, n): n is a submodule or a name M defines."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return
    top = {id(node) for node in tree.body}
    for node in _run_time_nodes(tree):
        required = id(node) in top
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, required
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            if base is None:
                continue
            for alias in node.names:
                yield base, (None if alias.name == "*" else alias.name), required


def _run_time_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of ``tree`` (as ``ast.walk``) but those under ``if TYPE_CHECKING:``:
    imports only a type checker reads are never run."""
    todo = deque([tree])
    while todo:
        node = todo.popleft()
        yield node
        if isinstance(node, ast.If) and _type_checking(node.test):
            todo.extend(node.orelse)
        else:
            todo.extend(ast.iter_child_nodes(node))


def _type_checking(test: ast.expr) -> bool:
    name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", "")
    return name == "TYPE_CHECKING"


def _absolute(node: ast.ImportFrom, package: str) -> str | None:
    if not node.level:
        return node.module
    parts = package.split(".") if package else []
    if node.level - 1 >= len(parts):
        return None
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


# -- finding collection files -----------------------------------------------------------------


def _locate(name: str, roots: Sequence[Path]) -> list[tuple[str, Path]]:
    """The file(s) serving module ``name`` (a module file or a package's ``__init__``), with
    every ``__init__.py`` on the way; [] when no root holds it."""
    rel = name.replace(".", "/")
    for root in roots:
        for key in (f"{rel}.py", f"{rel}/__init__.py"):
            path = root / key
            if path.is_file():
                return [*_package_inits(rel, root), (key, path)]
    return []


def _package_inits(rel: str, root: Path) -> list[tuple[str, Path]]:
    return [(key, root / key) for key in _init_keys(rel) if (root / key).is_file()]


def _is_package(name: str, roots: Sequence[Path]) -> bool:
    rel = name.replace(".", "/")
    return any((root / rel).is_dir() for root in roots)


# -- what pbe's runtime serves ----------------------------------------------------------------


def _served(name: str, served: Mapping[str, str]) -> bool:
    rel = name.replace(".", "/")
    if f"{rel}.py" in served or f"{rel}/__init__.py" in served:
        return True
    if any(key.startswith(rel + "/") for key in served):
        return True  # a package directory
    module, _, member = rel.rpartition("/")
    for key in (f"{module}.py", f"{module}/__init__.py"):
        if key in served:
            return member in _defined(served[key])
    return False


@cache  # one parse per served file, not one per name imported from it
def _defined(source: str) -> frozenset[str]:
    """Names a module defines at its top level (also under a top-level ``if``/``try``)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return frozenset()
    names: set[str] = set()
    while body:
        node = body.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            body.extend(node.body)
            body.extend(getattr(node, "orelse", []))
            body.extend(getattr(node, "finalbody", []))
            for handler in getattr(node, "handlers", []):
                body.extend(handler.body)
    return frozenset(names)
