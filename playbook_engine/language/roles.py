"""Finding roles and reading their standard layout (tasks/ handlers/ defaults/ vars/ meta/).

Search order for ``roles: [name]``, as Ansible's: a ``roles/`` directory beside the
playbook, the role that names it (for dependencies), the ``roles_path`` setting
(``ANSIBLE_ROLES_PATH``, ``ansible.cfg``; by default ``~/.ansible/roles``,
``/usr/share/ansible/roles``, ``/etc/ansible/roles``), then the playbook's directory.
A collection's role (``ns.col.role``) is found under ``ansible_collections/ns/col/roles/`` of
a ``collections/`` directory beside the playbook, then of the ``collections_path`` setting
(by default ``~/.ansible/collections`` and ``/usr/share/ansible/collections``), then the
Python path's ``ansible_collections/`` (where ``pip install ansible`` puts them).
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from .. import settings

ROLE_DIRS = ("tasks", "handlers", "defaults", "vars", "meta", "files", "templates")


def search_dirs(playbook_dir: Path, parent_role: Path | None = None) -> list[Path]:
    dirs = [playbook_dir / "roles"]
    if parent_role is not None:
        dirs += [parent_role.parent, parent_role.parent.parent / "roles"]
    dirs += settings.current()["DEFAULT_ROLES_PATH"]
    dirs.append(playbook_dir)
    return dirs


_FQCN = re.compile(r"^(\w+)\.(\w+)\.(\w+)$")


def collection_role_dirs(name: str, playbook_dir: Path) -> list[Path]:
    """Where a collection's role ``ns.col.role`` may live; none for another name."""
    match = _FQCN.match(name)
    if match is None:
        return []
    ns, col, role = match.groups()
    roots = collection_roots(playbook_dir)
    return [root / "ansible_collections" / ns / col / "roles" / role for root in roots]


def collection_roots(playbook_dir: Path | None) -> list[Path]:
    """The directories installed collections live under (each holds ``ansible_collections/``),
    in Ansible's order: ``collections/`` beside the playbook first."""
    roots = [playbook_dir / "collections"] if playbook_dir is not None else []
    config = settings.current()
    scanned = _on_sys_path(tuple(sys.path)) if config["COLLECTIONS_SCAN_SYS_PATH"] else ()
    return [*roots, *config["COLLECTIONS_PATHS"], *scanned]


@functools.lru_cache(maxsize=8)
def _on_sys_path(entries: tuple[str, ...]) -> tuple[Path, ...]:
    """The Python path entries holding ``ansible_collections/``: where ``pip install
    ansible`` puts the collections of its release, and Ansible looks there too."""
    return tuple(Path(e) for e in entries if e and (Path(e) / "ansible_collections").is_dir())


def role_short_name(name: str) -> str:
    """A role's name without its collection (``ns.col.web`` → ``web``) or directory."""
    match = _FQCN.match(name)
    return match.group(3) if match else Path(name).name


def role_qualified(names: Sequence[str], role_name: str | None) -> set[str]:
    """Names a notify may use for a role's handler (or listen topic): as written, and
    prefixed with the role's name or its collection name (``web : restart``)."""
    out = set(names)
    if role_name:
        for prefix in {role_name, role_short_name(role_name)}:
            out |= {f"{prefix} : {name}" for name in names}
    return out


def is_dir(path: Path) -> bool:
    """``path.is_dir()``, False for a name no filesystem can hold (too long, a NUL byte)."""
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def is_file(path: Path) -> bool:
    """``path.is_file()``, False for a name no filesystem can hold (too long, a NUL byte)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def find_role(name: str, dirs: Sequence[Path], playbook_dir: Path | None = None) -> Path | None:
    """The role directory for ``name`` (a name, a path, or a collection's role), or None."""
    try:
        direct = Path(name).expanduser()
    except RuntimeError:  # ~nosuchuser
        direct = Path(name)
    candidates = [direct] if direct.is_absolute() else [d / name for d in dirs]
    if playbook_dir is not None:
        candidates += collection_role_dirs(name, playbook_dir)
    for candidate in candidates:
        if is_dir(candidate) and any(is_dir(candidate / sub) for sub in ROLE_DIRS):
            return candidate
    return None


VARS_EXTENSIONS = ("", ".yml", ".yaml", ".json")


def main_vars_files(role: Path, sub: str, name: str = "main") -> list[Path]:
    """The files of a role's ``vars``/``defaults`` entry point: ``sub/name`` with
    Ansible's extensions, or, where ``sub/name`` is a directory, every vars file below
    it (hidden ones aside) in sorted path order, later ones overriding earlier ones."""
    base = role / sub / name
    if base.is_dir():
        return sorted(
            f
            for f in base.rglob("*")
            if f.is_file()
            and f.suffix in VARS_EXTENSIONS
            and not any(part.startswith(".") for part in f.relative_to(base).parts)
            and not f.name.endswith("~")
        )
    found = main_file(role, sub, name)
    return [found] if found is not None else []


def main_file(role: Path, sub: str, name: str = "main") -> Path | None:
    """``role/sub/name`` with Ansible's extensions (.yml, .yaml, .json, none)."""
    base = role / sub
    for candidate in (
        base / f"{name}.yml",
        base / f"{name}.yaml",
        base / f"{name}.json",
        base / name,
    ):
        if is_file(candidate):
            return candidate
    return None


def outside_role(role: Path, sub: str, name: str) -> bool:
    """Whether ``sub/name`` (a ``tasks_from``, ``vars_from`` ...) leaves the role's ``sub/``
    directory (``../``, an absolute path): Ansible refuses to load such a file."""
    files = main_vars_files(role, sub, name) if sub in ("vars", "defaults") else []
    found = files or [f for f in [main_file(role, sub, name)] if f is not None]
    top = (role / sub).resolve()
    return any(not f.resolve().is_relative_to(top) for f in found)
