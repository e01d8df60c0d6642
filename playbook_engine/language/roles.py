"""Finding roles and reading their standard layout (tasks/ handlers/ defaults/ vars/ meta/).

Search order for ``roles: [name]``: a ``roles/`` directory beside the playbook, the role
that names it (for dependencies), the playbook's directory, then ``PBE_ROLES_PATH`` /
``ANSIBLE_ROLES_PATH`` (colon-separated), ``~/.ansible/roles`` and ``/etc/ansible/roles``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

ROLE_DIRS = ("tasks", "handlers", "defaults", "vars", "meta", "files", "templates")


def search_dirs(playbook_dir: Path, parent_role: Path | None = None) -> list[Path]:
    dirs = [playbook_dir / "roles"]
    if parent_role is not None:
        dirs += [parent_role.parent, parent_role.parent.parent / "roles"]
    dirs.append(playbook_dir)
    for var in ("PBE_ROLES_PATH", "ANSIBLE_ROLES_PATH"):
        dirs += [Path(p).expanduser() for p in os.environ.get(var, "").split(":") if p]
    dirs += [Path("~/.ansible/roles").expanduser(), Path("/etc/ansible/roles")]
    return dirs


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


def find_role(name: str, dirs: Sequence[Path]) -> Path | None:
    """The role directory for ``name`` (a name or a path), or None."""
    try:
        direct = Path(name).expanduser()
    except RuntimeError:  # ~nosuchuser
        direct = Path(name)
    candidates = [direct] if direct.is_absolute() else [d / name for d in dirs]
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
