"""Ansible modules a project ships in ``library/``: run on the host, as Ansible runs them.

pbe's own modules need only ``sh`` on a host. A role's ``library/x.py`` built on
``AnsibleModule`` cannot be rewritten by its users, so pbe runs it as Ansible does: with
the host's Python, but without uploading anything. One command starts the interpreter
with a small runner (``hostpy/runner.py``); the module's source, pbe's own
``ansible.module_utils`` (``hostpy/ansible``: the public API such modules call, written
for pbe; only the part the module imports is sent) and the project's ``module_utils/``
arrive on stdin and are imported from memory. The result comes back as JSON after a
marker line, so whatever the module prints besides cannot be taken for it.

Validation reads the module's ``argument_spec`` from its source without running it (a
literal spec, as almost all modules write it); a spec built at run time leaves the
arguments to the module itself.

A module that is no Python (a shell script, a binary) gets what Ansible gives it: the path
of a file holding its arguments (JSON for ``WANT_JSON`` scripts and binaries, else
``key=value`` words). One command stages both from stdin in a private temp directory, as
``script`` stages its scripts (``staged``), runs the module and removes the directory.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, ClassVar

from ...errors import ModuleError
from ...transport import shell
from ..base import Arg, Module, ModuleContext
from ..result import Result
from .hostimports import package_of, served_imports
from .interpreter import NO_PYTHON_SAID, python_candidates, run_python
from .staged import setup_error, staged_command

__all__ = [
    "PythonModule",
    "ScriptModule",
    "define",
    "define_script",
    "is_ansible_module",
    "is_script",
    "project_utils",
    "served_for",
    "support_files",
]

_HOSTPY = Path(__file__).parent / "hostpy"
_MARK = "\n<<pbe-module-result>>\n"
_ARG_TYPES = frozenset({"str", "path", "bool", "int", "float", "list", "dict", "raw"})
_ANSIBLE_IMPORTS = ("ansible.module_utils", "ansible_collections")


def is_ansible_module(text: str) -> bool:
    """A module file written for Ansible: it imports Ansible's module_utils."""
    return "AnsibleModule" in text or any(name in text for name in _ANSIBLE_IMPORTS)


def is_script(head: bytes) -> bool:
    """A library file that is a program of another kind: a ``#!`` script or a binary."""
    return head.startswith((b"#!", b"\x7fELF"))


class _HostModule(Module):
    """A project's Ansible module file, run on the host."""

    source: ClassVar[Path]
    open_args = True

    @classmethod
    def coerce(cls, args: Mapping[str, Any]) -> dict[str, Any]:
        """As rendered: the module converts and checks its arguments itself, on the host."""
        return dict(args)


class PythonModule(_HostModule):
    """Base of the classes ``define`` makes, one per Python module file."""

    # the project's or collection's files the module imports (path on the host's import
    # path -> file), and the dotted package its relative imports start from
    utils: ClassVar[Mapping[str, Path]] = {}
    package: ClassVar[str] = ""

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        files = (self.source, *self.utils.values())
        code = _code_payload(
            self.name, self.source, self.package, tuple(self.utils.items()), _stamps(files)
        )
        run = {"args": args, "check": ctx.check, "diff": ctx.diff, "name": self.name}
        command = run_python(ctx, f"-c {shell.quote(_runner())}")
        out = ctx.run(command, stdin=b'{"run": ' + json.dumps(run).encode() + b", " + code)
        if NO_PYTHON_SAID in out.err or (out.rc == 127 and "not found" in out.err):
            raise ModuleError(
                f"`{self.name}` is an Ansible module from {self.source}: it needs Python "
                f"on the host, and none was found ({', '.join(python_candidates(ctx))})"
            )
        return _result(out.out, out.err, out.rc)


def _stamps(files: tuple[Path, ...]) -> tuple[tuple[int, int], ...]:
    """What says a file changed since it was read: its modification time and size."""
    stamps = []
    for path in files:
        try:
            info = path.stat()
        except OSError:
            stamps.append((0, -1))  # read_text below reports it
            continue
        stamps.append((info.st_mtime_ns, info.st_size))
    return tuple(stamps)


@lru_cache(maxsize=64)
def _code_payload(
    name: str,
    source: Path,
    package: str,
    utils: tuple[tuple[str, Path], ...],
    stamps: tuple[tuple[int, int], ...],  # noqa: ARG001 - part of the cache key
) -> bytes:
    """The part of a module's payload that is the same for every host and task: its source,
    its own files and the runtime they import, as JSON without its opening brace; read
    again only when a file changes (``stamps``)."""
    own = {k: p.read_text(encoding="utf-8", errors="replace") for k, p in utils}
    text = source.read_text(encoding="utf-8", errors="replace")
    sources = ((text, package), *((t, package_of(k)) for k, t in own.items()))
    code = {
        "name": name.rsplit(".", 1)[-1],
        "module": text,
        "package": package,
        "files": {**served_for(sources), **own},
    }
    return json.dumps(code).encode()[1:]


def define(
    name: str, source: Path, utils: Mapping[str, Path] | None = None, package: str = ""
) -> type[PythonModule]:
    """The module class for Ansible module file ``source`` (SyntaxError when it is no
    Python): a library file (its ``utils`` default to the project's ``module_utils/``) or
    a collection's module (``utils`` and ``package`` given)."""
    spec = argument_spec(source.read_text(encoding="utf-8", errors="replace"))
    args = {} if spec is None else _args(spec)
    attrs = {
        "__module__": f"pbe_library_{name}",  # a project's, not one of pbe's own
        "__doc__": f"Ansible module from {source}, run by the host's Python.",
        "source": source,
        "args": args,
        "open_args": spec is None,
        "utils": dict(project_utils(source) if utils is None else utils),
        "package": package,
    }
    return type(f"Library_{name}", (PythonModule,), attrs)


class ScriptModule(_HostModule):
    """Base of the classes ``define_script`` makes: a module that is no Python."""

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        program = self.source.read_bytes()
        flags = {"_ansible_check_mode": ctx.check, "_ansible_diff": ctx.diff}
        given = {**args, **flags}
        if b"WANT_JSON" in program or not program.startswith(b"#!"):
            data = json.dumps(given).encode()
        else:
            data = " ".join(f"{k}={shell.quote(_word(v))}" for k, v in given.items()).encode()
        command = staged_command(
            self.name, [], [], prefix="pbe-module", what="the module", args_file=len(data)
        )
        out = ctx.run(command, stdin=data + program)
        if (failed := setup_error(out)) is not None:
            raise ModuleError(f"cannot run `{self.name}` on the host: {failed}")
        return _script_result(out.out, out.err, out.rc)


def _word(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def define_script(name: str, source: Path) -> type[ScriptModule]:
    attrs = {
        "__module__": f"pbe_library_{name}",
        "__doc__": f"Ansible module from {source}, run as a program on the host.",
        "source": source,
    }
    return type(f"Library_{name}", (ScriptModule,), attrs)


def _script_result(stdout: str, stderr: str, rc: int) -> Result:
    """A script module's result: the JSON object its output holds."""
    start, end = stdout.find("{"), stdout.rfind("}")
    values = _json_object(stdout[start : end + 1] if 0 <= start < end else None)
    if values is None:
        return _no_result("the module's output is no JSON", stdout, stderr, rc)
    return Result.of(values)


def _result(stdout: str, stderr: str, rc: int) -> Result:
    """A Python module's result: the JSON after the runner's marker; what the module
    printed before it is kept as ``module_stdout``."""
    head, mark, tail = stdout.rpartition(_MARK)
    values = _json_object(tail if mark else None)
    if values is None:
        return _no_result("the module gave no result", stdout, stderr, rc)
    if head.strip():
        values.setdefault("module_stdout", head)
    return Result.of({k: v for k, v in values.items() if not k.startswith("_ansible_")})


def _json_object(text: str | None) -> dict[str, Any] | None:
    try:
        values = json.loads(text) if text is not None else None
    except ValueError:
        return None
    return values if isinstance(values, dict) else None


def _no_result(why: str, stdout: str, stderr: str, rc: int) -> Result:
    return Result.fail(f"MODULE FAILURE: {why}", rc=rc, module_stdout=stdout, module_stderr=stderr)


@cache
def _runner() -> str:
    return (_HOSTPY / "runner.py").read_text(encoding="utf-8")


@cache
def support_files() -> dict[str, str]:
    """pbe's own ``ansible.module_utils`` (path -> source), served to every host module."""
    return {
        str(path.relative_to(_HOSTPY)): path.read_text(encoding="utf-8")
        for path in sorted((_HOSTPY / "ansible").rglob("*.py"))
    }


def served_for(sources: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """The part of ``support_files`` that module sources (text, package) import, with what
    that imports in turn, and ``basic``'s (the runner imports it): only that goes to the
    host, not the whole runtime."""
    served = support_files()
    keys = {"ansible/module_utils/basic.py"}
    for text, package in sources:
        keys |= served_imports(text, package, served)
    return {key: served[key] for key in sorted(set().union(*map(_closure, keys)))}


@cache
def _closure(key: str) -> frozenset[str]:
    """``key`` and the served files it imports, directly or not."""
    served = support_files()
    seen, todo = {key}, [key]
    while todo:
        for found in served_imports(served[todo.pop()], "", served) - seen:
            seen.add(found)
            todo.append(found)
    return frozenset(seen)


def project_utils(source: Path) -> dict[str, Path]:
    """The project's ``module_utils/`` beside the ``library/`` that holds ``source``, as
    Ansible imports them: ``ansible.module_utils.NAME``."""
    folder = source.parent.parent / "module_utils"
    if not folder.is_dir():
        return {}
    return {
        f"ansible/module_utils/{path.relative_to(folder)}": path
        for path in sorted(folder.rglob("*.py"))
    }


# -- the argument spec, read from the source -------------------------------------------------


class _Opaque(Exception):
    """A value only running the module would know."""


def argument_spec(text: str) -> dict[str, Any] | None:
    """The literal ``argument_spec`` the module passes to ``AnsibleModule`` (or another
    class taking ``argument_spec=``); None when it is built at run time."""
    tree = ast.parse(text)
    assigned = _assigned_once(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            found = next((k.value for k in node.keywords if k.arg == "argument_spec"), None)
            if found is None and _called(node) == "AnsibleModule" and node.args:
                found = node.args[0]
            if found is not None:
                return _spec_value(found, assigned)
    return None


def _assigned_once(tree: ast.AST) -> dict[str, ast.expr]:
    """Names assigned exactly once and never changed in place (``spec.update(...)``,
    ``spec[k] = ...``): only their one value is known without running the module."""
    values: dict[str, list[ast.expr]] = {}
    changed: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and node.value is not None:
                    values.setdefault(target.id, []).append(node.value)
                elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                    changed.add(target.value.id)
            if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                changed.add(node.target.id)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.attr in ("update", "setdefault", "pop", "__setitem__")
        ):
            changed.add(node.value.id)
    return {k: v[0] for k, v in values.items() if len(v) == 1 and k not in changed}


def _spec_value(node: ast.expr, assigned: dict[str, ast.expr]) -> dict[str, Any] | None:
    if isinstance(node, ast.Name) and node.id in assigned:
        node = assigned[node.id]
    try:
        value = _literal(node)
    except _Opaque:
        return None
    return value if isinstance(value, dict) else None


def _called(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _literal(node: ast.expr) -> Any:
    """A spec value: literals, ``dict(...)``, and names (``env_fallback``, a type given as
    a function) kept as their name; anything else is _Opaque."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [_literal(e) for e in node.elts]
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {_literal(k): _literal(v) for k, v in zip(node.keys, node.values, strict=True)}  # type: ignore[arg-type]
    if isinstance(node, ast.Call) and _called(node) == "dict" and not node.args:
        if any(k.arg is None for k in node.keywords):
            raise _Opaque
        return {k.arg: _literal(k.value) for k in node.keywords}
    raise _Opaque


def _args(spec: Mapping[str, Any]) -> dict[str, Arg]:
    """pbe's view of the spec, for validation and ``pbe doc``: a type pbe does not check
    (``bytes``, a function) is ``raw``; nested options are the module's to check."""
    out: dict[str, Arg] = {}
    for name, option in spec.items():
        option = option if isinstance(option, Mapping) else {}
        kind = option.get("type", "str")
        elements = option.get("elements")
        choices = option.get("choices")
        out[str(name)] = Arg(
            kind if kind in _ARG_TYPES else "raw",
            required=bool(option.get("required")),
            default=option.get("default"),
            choices=tuple(choices) if isinstance(choices, list) else None,
            aliases=tuple(str(a) for a in option.get("aliases") or ()),
            elements=elements if elements in _ARG_TYPES else None,
        )
    return out
