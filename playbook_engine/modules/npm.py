"""npm: Node.js packages, globally or in a project directory, with the host's own npm.

One probe finds npm and reads what is installed (``npm ls --json``) and, for ``latest``,
what is behind (``npm outdated --json``); the plan decides from that alone, as Ansible's
module does: a named package is missing unless ``npm ls`` lists it (as ``NAME`` or, with
``version``, ``NAME@VERSION``), a project's dependencies are missing when ``npm ls`` marks
them missing or invalid. One command then installs, updates or uninstalls.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .util.hostedit import Edit, Section, need, section, sections
from .util.state import StateModule

_NO_NPM = 127
_NOT_DIR = 65
_NO_DIR = 66


@dataclass(frozen=True, slots=True)
class Installed:
    """What ``npm ls`` and ``npm outdated`` said: names (and NAME@VERSION) installed,
    dependencies missing or invalid, packages behind what the project wants, and whether
    the project directory exists."""

    installed: frozenset[str]
    missing: tuple[str, ...]
    outdated: tuple[str, ...]
    has_dir: bool = True


def parse_ls(text: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """``npm ls --json``: (installed, missing). npm prints its JSON also when it exits
    non-zero (missing dependencies); no JSON at all is npm's own error (pure)."""
    try:
        data = json.loads(text or "{}")
    except ValueError as exc:
        raise ModuleError(
            f"Failed to parse NPM output with error {exc}: {text.strip()[-500:]}"
        ) from exc
    installed: set[str] = set()
    missing: list[str] = []
    deps = data.get("dependencies") if isinstance(data, dict) else None
    for name, props in (deps or {}).items():
        props = props if isinstance(props, dict) else {}
        if props.get("missing") or props.get("invalid"):
            missing.append(name)
            continue
        installed.add(name)
        if props.get("version"):
            installed.add(f"{name}@{props['version']}")
    return frozenset(installed), tuple(missing)


def parse_outdated(text: str, name: str | None) -> tuple[str, ...]:
    """``npm outdated --json``: the packages (the named one only, when given) whose
    installed version is not the one the project (or, globally, the registry) wants."""
    try:
        data = json.loads(text or "{}")
    except ValueError as exc:
        raise ModuleError(
            f"Failed to parse npm outdated output with error {exc}: {text.strip()[-500:]}"
        ) from exc
    rows = data.items() if isinstance(data, dict) else ()
    return tuple(
        pkg
        for pkg, row in rows
        if isinstance(row, dict)
        and (name is None or pkg == name)
        and row.get("current") != row.get("wanted")
    )


@register("npm", "community.general.npm")
class NpmModule(StateModule[Installed]):
    """Install, update or remove Node.js packages with npm."""

    args = {
        "name": Arg("str", description="The package (or a tarball, folder or URL npm accepts)."),
        "path": Arg("path", description="The project directory (not with global)."),
        "version": Arg("str", description="The version to install."),
        "global": Arg("bool", default=False, description="Install globally (path is ignored)."),
        "executable": Arg("path", description="The npm program (e.g. from nvm)."),
        "ignore_scripts": Arg("bool", default=False, description="npm --ignore-scripts."),
        "unsafe_perm": Arg("bool", default=False, description="npm --unsafe-perm."),
        "ci": Arg(
            "bool",
            default=False,
            description="Install from the lock file (npm ci); always a change.",
        ),
        "production": Arg(
            "bool", default=False, description="Leave out devDependencies (--production)."
        ),
        "registry": Arg("str", description="The registry to install from."),
        "state": Arg(
            "str",
            default="present",
            choices=("present", "absent", "latest"),
            description="present, latest (update what is behind) or absent.",
        ),
        "no_optional": Arg("bool", default=False, description="npm --no-optional."),
        "no_bin_links": Arg("bool", default=False, description="npm --no-bin-links."),
        "force": Arg("bool", default=False, description="npm --force."),
    }

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        _check_args(args)
        npm = _npm(args)
        where = _cd(args)
        parts = [
            section("npm", f"command -v {shlex.split(npm)[0]} >/dev/null 2>&1 || exit {_NO_NPM}"),
            section("ls", f"{where}{npm} ls --json{_global(args)} 2>/dev/null"),
        ]
        if args["state"] == "latest" and not args["ci"]:
            parts.append(
                section(
                    "outdated",
                    f"{where}{npm} outdated --json{_global(args)}{_registry(args)} 2>/dev/null",
                )
            )
        return "; ".join(parts)

    def parse(self, args: dict[str, Any], res: CommandResult) -> Installed:
        found = sections(res.out)
        if need(found, "npm", res).rc == _NO_NPM:
            raise ModuleError(f'Failed to find required executable "{_npm(args)}"')
        listing = need(found, "ls", res)
        if listing.rc == _NOT_DIR:
            raise ModuleError(f"path {args['path']} is not a directory")
        if listing.rc == _NO_DIR:
            return Installed(frozenset(), (args["name"],) if args["name"] else (), (), False)
        installed, missing = parse_ls(listing.text)
        if args["name"] and _name_version(args) not in installed:
            missing += (args["name"],)
        return Installed(installed, missing, _outdated(args, found.get("outdated")))

    def plan(self, args: dict[str, Any], state: Installed) -> Edit | None:
        if args["ci"]:
            return Edit(
                "npm ci",
                None,
                command=_enter(args, state.has_dir) + self._npm_cmd(args, "ci", name=False),
            )
        if args["state"] == "absent":
            if args["name"] not in state.installed:
                return None
            return Edit(
                "npm uninstall", None, command=_enter(args, True) + self._npm_cmd(args, "uninstall")
            )
        steps = []
        if state.missing:
            steps.append(self._npm_cmd(args, "install"))
        if args["state"] == "latest" and state.outdated:
            steps.append(self._npm_cmd(args, "update"))
        if not steps:
            return None
        op = "npm install" if state.missing else "npm update"
        return Edit(op, None, command=_enter(args, state.has_dir) + " && ".join(steps))

    def apply(self, args: dict[str, Any], change: Any, ctx: ModuleContext) -> str:
        return str(change.command)

    def failed(self, args: dict[str, Any], change: Any, res: CommandResult) -> str:
        detail = (res.err or res.out).strip()[-2000:] or f"exit status {res.rc}"
        return f"{change.op} failed (rc={res.rc}): {detail}"

    def _npm_cmd(self, args: dict[str, Any], verb: str, *, name: bool = True) -> str:
        """One npm command with the task's flags."""
        words = [verb]
        if args["production"]:
            words.append("--production")
        words += [
            flag
            for key, flag in (
                ("ignore_scripts", "--ignore-scripts"),
                ("unsafe_perm", "--unsafe-perm"),
            )
            if args[key]
        ]
        if name and args["name"]:
            words.append(quote(_name_version(args)))
        words += [
            flag
            for key, flag in (
                ("no_optional", "--no-optional"),
                ("no_bin_links", "--no-bin-links"),
                ("force", "--force"),
            )
            if args[key]
        ]
        return f"{_npm(args)} {' '.join(words)}{_global(args)}{_registry(args)} 2>&1"


def _check_args(args: dict[str, Any]) -> None:
    if not args["path"] and not args["global"]:
        raise ModuleError("path must be specified when not using global")
    if args["state"] == "absent" and not args["name"]:
        raise ModuleError("uninstalling a package is only available for named packages")


def _npm(args: dict[str, Any]) -> str:
    if args["executable"]:
        return " ".join(quote(w) for w in shlex.split(args["executable"]))
    return "npm"


def _cd(args: dict[str, Any]) -> str:
    """Shell entering the project directory: exit _NOT_DIR when the path is something
    else, _NO_DIR when there is nothing there yet."""
    if args["global"]:
        return ""
    path = quote(args["path"])
    return (
        f"if [ -e {path} ] && [ ! -d {path} ]; then exit {_NOT_DIR}; fi; "
        f"[ -d {path} ] || exit {_NO_DIR}; cd {path} && "
    )


def _enter(args: dict[str, Any], exists: bool) -> str:
    """Shell entering the project directory before a change (making it first, as Ansible
    does, when it is not there yet)."""
    if args["global"]:
        return ""
    path = quote(args["path"])
    return f"{'' if exists else f'mkdir -p {path} && '}cd {path} && "


def _global(args: dict[str, Any]) -> str:
    return " --global" if args["global"] else ""


def _registry(args: dict[str, Any]) -> str:
    return f" --registry {quote(args['registry'])}" if args["registry"] else ""


def _name_version(args: dict[str, Any]) -> str:
    name = str(args["name"])
    return f"{name}@{args['version']}" if args["version"] else name


def _outdated(args: dict[str, Any], found: Section | None) -> tuple[str, ...]:
    return () if found is None else parse_outdated(found.text, args["name"])
