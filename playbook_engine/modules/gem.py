"""gem: Ruby gems, for one user or for everyone, with the host's own ``gem``.

One probe finds gem, asks its version (for ``--norc`` and the old doc flags), lists the
installed versions of the gem (``gem list '^NAME$'``) and, for ``latest``, the newest one
the repository has (``gem list --remote``); the plan decides from that alone, as Ansible's
module does: ``present`` is met by any installed version (or by ``version`` exactly),
``latest`` by the remote's newest, ``absent`` removes all versions (or ``version``). One
``gem install`` or ``gem uninstall`` makes the change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .util.hostedit import Edit, need, section, sections
from .util.state import StateModule

_NO_GEM = 127
_LINE = re.compile(r"^(\S+)\s+\((.+)\)\s*$")
# RubyGems before 2.5.2 knows no --norc: decided on the host, in the same probe
_OLD = "0.*|1.*|2.[0-4].*|2.5.[01]|2.5.[01].*"


@dataclass(frozen=True, slots=True)
class Gems:
    """The installed versions of the gem (newest first), the newest the repository has
    (None: not asked or not there) and the RubyGems version."""

    installed: tuple[str, ...]
    remote: str | None
    rubygems: tuple[int, ...]


def parse_list(text: str, name: str) -> tuple[str, ...]:
    """``gem list``'s "NAME (1.2.0 x86_64-linux, default: 1.1.0)": the versions (pure)."""
    for line in text.splitlines():
        match = _LINE.match(line.strip())
        if match and match.group(1) == name:
            versions = (
                v.strip().removeprefix("default:").strip().split(" ")[0]
                for v in match.group(2).split(",")
            )
            return tuple(v for v in versions if v)
    return ()


def parse_version(text: str) -> tuple[int, ...]:
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(g) for g in match.groups()) if match else (0, 0, 0)


@register("gem", "community.general.gem")
class GemModule(StateModule[Gems]):
    """Install, update or remove Ruby gems."""

    args = {
        "name": Arg("str", required=True, description="The gem."),
        "state": Arg(
            "str",
            default="present",
            choices=("present", "absent", "latest"),
            description="present, latest (the repository's newest) or absent.",
        ),
        "gem_source": Arg("path", description="A local .gem file to install from."),
        "include_dependencies": Arg(
            "bool", default=True, description="Install the dependencies too."
        ),
        "repository": Arg(
            "str", aliases=("source",), description="The repository to install from."
        ),
        "user_install": Arg(
            "bool", default=True, description="Install for the user (--user-install)."
        ),
        "executable": Arg("path", description="The gem program."),
        "install_dir": Arg(
            "path", description="Install into this directory (needs user_install: false)."
        ),
        "bindir": Arg("path", description="Install executables here."),
        "norc": Arg("bool", default=True, description="Read no .gemrc (RubyGems >= 2.5.2)."),
        "pre_release": Arg("bool", default=False, description="Allow pre-releases."),
        "include_doc": Arg("bool", default=False, description="Install the docs too."),
        "env_shebang": Arg("bool", default=False, description="Scripts start with /usr/bin/env."),
        "version": Arg("str", description="The version to install or remove."),
        "build_flags": Arg("str", description="Flags for building native extensions."),
        "force": Arg("bool", default=False, description="Ignore dependency checks."),
        "override_platform_install_dir": Arg(
            "bool",
            default=False,
            description="Install into the user's gem directory with --install-dir (not supported).",
        ),
    }
    returns = {"name": "the gem", "state": "the state asked", "version": "the version (when given)"}

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        _check_args(args)
        gem, name = _gem(args), quote(f"^{args['name']}$")
        home = f"GEM_HOME={quote(args['install_dir'])} " if args["install_dir"] else ""
        norc = f'n=--norc; case "$v" in {_OLD}) n=;; esac' if args["norc"] else "n="
        parts = [
            f"v=$({gem} --version 2>/dev/null); {norc}",
            section("gem", f"command -v {gem} >/dev/null 2>&1 || exit {_NO_GEM}"),
            section("version", 'echo "$v"'),
            section("list", f"{home}{gem} list $n {name} 2>&1"),
        ]
        if args["state"] == "latest":
            parts.append(section("remote", f"{gem} list $n --remote{_source(args)} {name} 2>&1"))
        return "; ".join(parts)

    def parse(self, args: dict[str, Any], res: CommandResult) -> Gems:
        found = sections(res.out)
        if need(found, "gem", res).rc == _NO_GEM:
            raise ModuleError(f'Failed to find required executable "{_gem(args)}"')
        listing = need(found, "list", res)
        if listing.rc != 0:
            raise ModuleError(f"gem list failed (rc={listing.rc}): {listing.text.strip()}")
        remote = found.get("remote")
        if remote is not None and remote.rc != 0:
            raise ModuleError(f"gem list --remote failed (rc={remote.rc}): {remote.text.strip()}")
        newest = parse_list(remote.text, args["name"])[:1] if remote is not None else ()
        return Gems(
            parse_list(listing.text, args["name"]),
            newest[0] if newest else None,
            parse_version(need(found, "version", res).text),
        )

    def plan(self, args: dict[str, Any], state: Gems) -> Edit | None:
        version = state.remote if args["state"] == "latest" and state.remote else args["version"]
        present = version in state.installed if version else bool(state.installed)
        if args["state"] == "absent":
            return (
                Edit(
                    "gem uninstall",
                    None,
                    values=_values(args),
                    command=self._uninstall(args, state),
                )
                if present
                else None
            )
        if present:
            return None
        return Edit(
            "gem install", None, values=_values(args), command=self._install(args, state, version)
        )

    def apply(self, args: dict[str, Any], change: Any, ctx: ModuleContext) -> str:
        return str(change.command)

    def values(self, args: dict[str, Any], state: Gems) -> dict[str, Any]:
        return _values(args)

    def failed(self, args: dict[str, Any], change: Any, res: CommandResult) -> str:
        detail = (res.err or res.out).strip()[-2000:] or f"exit status {res.rc}"
        return f"{change.op} failed (rc={res.rc}): {detail}"

    def _install(self, args: dict[str, Any], state: Gems, version: str | None) -> str:
        words = [_gem(args), "install", *_common(args, state)]
        if version:
            words += ["--version", quote(version)]
        if args["repository"]:
            words += ["--source", quote(args["repository"])]
        if not args["include_dependencies"]:
            words.append("--ignore-dependencies")
        words.append("--user-install" if args["user_install"] else "--no-user-install")
        words += _dirs(args)
        if args["pre_release"]:
            words.append("--pre")
        if not args["include_doc"]:
            words += ["--no-document"] if state.rubygems >= (2,) else ["--no-ri", "--no-rdoc"]
        if args["env_shebang"]:
            words.append("--env-shebang")
        if args["force"]:
            words.append("--force")
        words.append(quote(args["gem_source"] or args["name"]))
        if args["build_flags"]:
            words += ["--", quote(args["build_flags"])]
        return " ".join(words) + " 2>&1"

    def _uninstall(self, args: dict[str, Any], state: Gems) -> str:
        words = [_gem(args), "uninstall", *_common(args, state)]
        words += ["--version", quote(args["version"])] if args["version"] else ["--all"]
        if args["install_dir"]:
            words += ["--install-dir", quote(args["install_dir"])]
        if args["bindir"]:
            words += ["--bindir", quote(args["bindir"])]
        words.append("--executable")
        if args["force"]:
            words.append("--force")
        words.append(quote(args["name"]))
        return " ".join(words) + " 2>&1"


def _check_args(args: dict[str, Any]) -> None:
    if args["install_dir"] and args["user_install"]:
        raise ModuleError("install_dir requires user_install=false")
    if args["override_platform_install_dir"]:
        raise ModuleError(
            "override_platform_install_dir is not supported by pbe's gem "
            "module; give install_dir with user_install: false instead"
        )


def _gem(args: dict[str, Any]) -> str:
    return quote(args["executable"]) if args["executable"] else "gem"


def _common(args: dict[str, Any], state: Gems) -> list[str]:
    return ["--norc"] if args["norc"] and state.rubygems >= (2, 5, 2) else []


def _dirs(args: dict[str, Any]) -> list[str]:
    words = []
    if args["install_dir"]:
        words += ["--install-dir", quote(args["install_dir"])]
    if args["bindir"]:
        words += ["--bindir", quote(args["bindir"])]
    return words


def _source(args: dict[str, Any]) -> str:
    return f" --source {quote(args['repository'])}" if args["repository"] else ""


def _values(args: dict[str, Any]) -> dict[str, Any]:
    out = {"name": args["name"], "state": args["state"]}
    if args["version"]:
        out["version"] = args["version"]
    return out
