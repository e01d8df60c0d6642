"""include_vars: load variables from one vars file, or from every vars file under a directory.

A directory is walked as Ansible does: directories in the order of their paths, files by
name within each, ``depth`` levels deep (1: the directory itself; 0: all), so later files
override earlier ones predictably. The files are playbook text, read on the controller.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..errors import ModuleError, PbeError
from ..language.loader import load_vars_file
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result

_EXTENSIONS = ["json", "yaml", "yml"]
_DIR_ONLY = (
    "dir",
    "depth",
    "files_matching",
    "ignore_files",
    "extensions",
    "ignore_unknown_extensions",
)


class _Failed(Exception):
    """A file that cannot be included: the task fails with this text as ``message``."""


@register("include_vars")
class IncludeVars(Module):
    """Load variables from a YAML/JSON file, or every such file under a directory."""

    supports_async = False  # Ansible's action refuses async too

    free_form = "file"
    free_form_kv = True
    args = {
        "file": Arg(
            "path",
            description="The vars file (relative to the role's or playbook's vars/ dir, or "
            "the playbook).",
        ),
        "dir": Arg(
            "path",
            description="Load every vars file below this directory (in a role: relative to "
            "its vars/; else to the playbook's vars/ or the playbook).",
        ),
        "name": Arg("str", description="Put the variables under this one name."),
        "depth": Arg("int", description="`dir`: levels to walk, 1 being `dir` itself; 0: all."),
        "files_matching": Arg(
            "str", description="`dir`: load only files whose name this regular expression finds."
        ),
        "ignore_files": Arg(
            "raw",
            description="`dir`: skip files whose name ends in a match of one of these "
            "regular expressions (a list; anything else fails the task, as in Ansible).",
        ),
        "extensions": Arg(
            "raw",
            description="`dir`: extensions of vars files (default json, yaml, yml; '' for "
            "none); another file fails the task. A list, as `ignore_files`.",
        ),
        "ignore_unknown_extensions": Arg(
            "bool", description="`dir`: skip files of other extensions instead of failing."
        ),
        "hash_behaviour": Arg(
            "str",
            choices=("replace", "merge"),
            description="merge: mappings merge into the variables' current values, "
            "recursively; replace (the default): they replace them.",
        ),
    }
    needs_connection = False
    sets_variables = True
    returns = {
        "ansible_facts": "the variables loaded",
        "ansible_included_var_files": "the files loaded, in order",
        "message": "why the task failed",
    }

    @classmethod
    def _check_names(cls, values: Mapping[str, Any]) -> None:
        """An option include_vars lacks fails in the words of Ansible's action plugin."""
        extra = sorted(k for k in values if k not in cls.args)
        if extra:
            raise ModuleError(f"{extra[0]} is not a valid option in include_vars")
        super()._check_names(values)

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        given_dir = [k for k in _DIR_ONLY if args.get(k) is not None]
        if args.get("file") and given_dir:
            raise ModuleError(
                "You are mixing file only and dir only arguments, these are incompatible"
            )
        for key in ("ignore_files", "extensions"):
            if args.get(key) is not None and not isinstance(args[key], list):
                raise ModuleError(f"The '{key}' option must be a list.")
        files: list[str] = []
        try:
            loaded = (
                _from_dir(args, ctx, files) if args.get("dir") else _from_file(args, ctx, files)
            )
        except _Failed as exc:
            return Result(failed=True, msg=str(exc), values={"message": str(exc)})
        if args.get("hash_behaviour") == "merge":
            loaded = {k: _merged(_current(ctx, k), v) for k, v in loaded.items()}
        if args.get("name"):
            loaded = {args["name"]: loaded}
        ctx.set_facts(loaded, template=True)  # vars files are playbook text, not host data
        return Result(facts=loaded, values={"ansible_included_var_files": files})


def _from_file(args: dict[str, Any], ctx: ModuleContext, files: list[str]) -> dict[str, Any]:
    if not str(args.get("file") or "").strip():  # e.g. a first_found that found nothing
        raise _Failed("Could not find file: include_vars was given no file (nor dir)")
    try:  # free-form text may end in a newline (`include_vars: >`): Ansible strips it
        path = ctx.find_file("vars", str(args["file"]).strip())
    except ModuleError as exc:
        raise _Failed(f"Could not find file: {exc.message}") from None
    return _load(path, files)


def _from_dir(args: dict[str, Any], ctx: ModuleContext, files: list[str]) -> dict[str, Any]:
    root = _dir_of(args["dir"], ctx)
    wanted = args.get("extensions")
    extensions = _EXTENSIONS if wanted is None else [str(e) for e in wanted]
    matching = _regex(args.get("files_matching"))
    ignored = [_regex(f"{p}$") for p in args.get("ignore_files") or []]
    role_main = _role_main(ctx)
    out: dict[str, Any] = {}
    for path in _walk(root, args.get("depth") or 0):
        name = path.name
        if path == role_main or (matching and not matching.search(name)):
            continue
        if any(p and p.search(name) for p in ignored):
            continue
        if _extension(name) not in extensions:
            if args.get("ignore_unknown_extensions"):
                continue
            raise _Failed(f"{str(path)!r} does not have a valid extension: {', '.join(extensions)}")
        out.update(_load(path, files))
    return out


def _dir_of(name: str, ctx: ModuleContext) -> Path:
    """The directory ``dir`` names: in a role, below its vars/ (``vars/...`` from the role
    itself when that exists); else as the playbook's vars files are found."""
    role = _role_path(ctx)
    path = Path(name).expanduser()
    if role and not path.is_absolute():
        own = Path(role) / path
        found = own if path.parts[0] == "vars" and own.exists() else Path(role) / "vars" / path
    else:
        try:
            found = ctx.find_file("vars", name)
        except ModuleError:
            raise _Failed(f"{name} directory does not exist") from None
    if not found.exists():
        raise _Failed(f"{found} directory does not exist")
    if not found.is_dir():
        raise _Failed(f"{found} is not a directory")
    return found


def _walk(root: Path, depth: int) -> Iterator[Path]:
    """Files under ``root``: directories by path, files by name, ``depth`` levels (0: all)."""
    levels = sorted(os.walk(root, followlinks=True), key=lambda level: level[0])
    for here, _dirs, names in levels:
        level = len(Path(here).relative_to(root).parts) + 1
        if depth and level > depth:
            continue
        for name in sorted(names):
            yield Path(here) / name


def _load(path: Path, files: list[str]) -> dict[str, Any]:
    try:
        data = load_vars_file(path)
    except PbeError as exc:
        raise _Failed(
            f"{str(path)!r} must be stored as a dictionary/hash ({exc.message})"
        ) from None
    files.append(str(path))
    return data


def _extension(name: str) -> str:
    return os.path.splitext(name)[1][1:]


def _regex(pattern: str | None) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ModuleError(f"Invalid regular expression: {pattern!r} ({exc})") from None


def _role_path(ctx: ModuleContext) -> str | None:
    try:
        value = ctx.variable("role_path")
    except KeyError:
        return None
    return str(value) if value else None


def _role_main(ctx: ModuleContext) -> Path | None:
    """A role's vars/main.yml, which the role loads itself: a dir walk skips it."""
    role = _role_path(ctx)
    return Path(role) / "vars" / "main.yml" if role else None


def _current(ctx: ModuleContext, name: str) -> Any:
    try:
        return ctx.variable(name)
    except KeyError:
        return None


def _merged(old: Any, new: Any) -> Any:
    """``new`` merged into ``old``, mappings recursively (other values: ``new`` wins)."""
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        return new
    out = dict(old)
    for key, value in new.items():
        out[key] = _merged(out.get(key), value)
    return out
