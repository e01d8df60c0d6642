"""The apk backend (``community.general.apk``, and ``package`` on Alpine hosts).

One probe command reads the world file (the packages asked for explicitly), which named
packages are installed, and asks apk itself for a simulation (``--simulate``) of the real
command, whose ``(1/3) Installing NAME (VERSION)`` lines are the packages it would
change. As in Ansible's module, ``present`` means "in the world file": a package only
present as a dependency is added to it (a change apk's simulation does not list). One
more command, the same apk command without ``--simulate``, applies the change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ...transport.base import CommandResult
from ...transport.shell import quote
from ..base import Arg, ModuleContext
from .pkgbase import PackageFailure, PackageModule, PackagePrediction, names_of
from .state import Change

__all__ = ["APK_ARGS", "Backend", "simulated"]

APK_ARGS: dict[str, Arg] = {
    "name": Arg("list", elements="str", description="Packages to install or remove."),
    "state": Arg(
        "str",
        default="present",
        choices=("present", "absent", "latest", "installed", "removed"),
        description="present/installed, latest, absent/removed.",
    ),
    "update_cache": Arg(
        "bool", default=False, description="apk update first (alone: only that, reported changed)."
    ),
    "upgrade": Arg("bool", default=False, description="Upgrade all installed packages."),
    "available": Arg(
        "bool", default=False, description="With upgrade: --available (also replace or downgrade)."
    ),
    "repository": Arg("list", elements="str", description="Use only these repositories."),
    "no_cache": Arg("bool", default=False, description="--no-cache."),
    "world": Arg("str", default="/etc/apk/world", description="The world file."),
    "cache_clean": Arg("bool", default=False, description="apk cache clean first."),
}

_MARK = "::pbe"
_STEP = re.compile(r"^\(\s*\d+/\d+\)\s+(\S+)\s+(\S+)")


@dataclass
class ApkState:
    world_missing: list[str] = field(default_factory=list)  # named, not in the world file
    installed: list[str] = field(default_factory=list)  # named and installed
    steps: list[tuple[str, str]] = field(default_factory=list)  # (verb, package)
    out: str = ""
    cache: bool = False


@dataclass(frozen=True, slots=True)
class ApkChange(Change):
    targets: tuple[str, ...] = ()  # the names the apk command is given


def simulated(out: str) -> list[tuple[str, str]]:
    """(verb, package) of each ``(n/m) Verb package (version)`` line of apk's output."""
    return [
        (m.group(1), m.group(2)) for line in out.splitlines() if (m := _STEP.match(line.strip()))
    ]


class Backend(PackageModule[ApkState]):
    """Install, upgrade or remove Alpine packages with apk."""

    managers: ClassVar[tuple[str, ...]] = ("apk",)
    args = APK_ARGS
    returns = {
        "packages": "the packages apk changed",
        "msg": "what was done",
        "stdout": "apk's output",
        "stderr": "apk's errors",
    }

    def wanted(self, args: dict[str, Any]) -> str:
        state = str(args["state"])
        return {"installed": "present", "removed": "absent"}.get(state, state)

    def validate(self, args: dict[str, Any]) -> None:
        if any(not str(n).strip() for n in args.get("name") or []):
            raise PackageFailure("Package name(s) cannot be empty or whitespace-only")
        if not (names_of(args) or args["upgrade"] or args["update_cache"]):
            raise PackageFailure("one of the following is required: name, update_cache, upgrade")

    def apk(self, args: dict[str, Any]) -> str:
        words = ["apk"] + (["--no-cache"] if args["no_cache"] else [])
        for repo in args.get("repository") or []:
            words += ["--repository", repo, "--repositories-file", "/dev/null"]
        return " ".join(quote(w) for w in words)

    def command(self, args: dict[str, Any], names: list[str] | None, *, dry: bool) -> str:
        """The apk command that makes the change; ``names`` None: the shell's ``"$@"``."""
        simulate = " --simulate" if dry else ""
        tail = ' -- "$@"' if names is None else " -- " + " ".join(quote(n) for n in names)
        if args["upgrade"] and not names_of(args):
            available = " --available" if args["available"] else ""
            return f"{self.apk(args)} upgrade{available}{simulate}"
        if self.wanted(args) == "absent":
            return f"{self.apk(args)} del --purge{simulate}{tail}"
        upgrade = " --upgrade" if self.wanted(args) == "latest" else ""
        return f"{self.apk(args)} add{upgrade}{simulate}{tail}"

    # -- probe and parse -----------------------------------------------------------------

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        apk, world = self.apk(args), quote(args["world"])
        lines = [
            "export LC_ALL=C",
            "command -v apk >/dev/null 2>&1 || { echo 'apk was not found on the host' "
            ">&2; exit 127; }",
        ]
        if args["cache_clean"] and not ctx.check:
            lines.append(f"{apk} cache clean >/dev/null 2>&1")
        if args["update_cache"]:
            lines.append(f"echo '{_MARK} update'; {apk} update 2>&1; echo \"{_MARK} rc $?\"")
        lines.append("set --")
        for name in names_of(args):
            lines.append(self._name_probe(args, name, apk, world))
        if names_of(args) or args["upgrade"]:
            step = (
                f"echo '{_MARK} dry'; {self.command(args, None, dry=True)} 2>&1; "
                f'echo "{_MARK} rc $?"'
            )
            lines.append(f"if [ $# -gt 0 ]; then {step}; fi" if names_of(args) else step)
        return "; ".join(lines)

    def _name_probe(self, args: dict[str, Any], name: str, apk: str, world: str) -> str:
        """``-NAME`` when not in the world file, ``+NAME`` when installed; the names the
        simulation needs go into ``$@``."""
        n = quote(name)
        in_world = (
            f'awk -v n={n} \'{{ sub(/[<>=~].*/, "") }} $0 == n {{ f = 1 }} '
            f"END {{ exit !f }}' {world} 2>/dev/null"
        )
        installed = f"{apk} info -e -- {n} >/dev/null 2>&1"
        if self.wanted(args) == "absent":
            return f'if {installed}; then echo {quote("+" + name)}; set -- "$@" {n}; fi'
        add = f'set -- "$@" {n}'
        always = f"; {add}" if self.wanted(args) == "latest" else ""
        return f"if {in_world}; then :{always}; else echo {quote('-' + name)}; {add}; fi"

    def parse(self, args: dict[str, Any], res: CommandResult) -> ApkState:
        if res.rc == 127 and "was not found" in res.err:
            raise PackageFailure(res.err.strip())
        state = ApkState()
        section = ""
        body: dict[str, list[str]] = {"update": [], "dry": []}
        for line in res.out.splitlines():
            if line.startswith(f"{_MARK} "):
                word, _, value = line[len(_MARK) + 1 :].partition(" ")
                if word == "rc" and section:
                    self._finished(args, section, body[section], int(value or 1))
                    state.cache = state.cache or section == "update"
                section = word if word in body else ""
            elif line[:1] in "+-" and not section:
                (state.installed if line[0] == "+" else state.world_missing).append(line[1:])
            elif section:
                body[section].append(line)
        state.out = "\n".join(body["dry"])
        state.steps = simulated(state.out)
        return state

    def _finished(self, args: dict[str, Any], section: str, lines: list[str], rc: int) -> None:
        if rc == 0:
            return
        text = "\n".join(lines)
        if section == "update":
            raise PackageFailure("could not update package db", stdout=text)
        raise PackageFailure(
            self.failure_msg(args, names_of(args)),
            stdout=text,
            packages=[p for _, p in simulated(text)],
        )

    def failure_msg(self, args: dict[str, Any], names: list[str]) -> str:
        """Ansible's words for a failed apk command."""
        if args["upgrade"] and not names_of(args):
            return "failed to upgrade packages"
        if self.wanted(args) == "absent":
            return f"failed to remove {names} package(s)"
        return f"failed to install {names}"

    # -- plan and apply ------------------------------------------------------------------

    def plan(self, args: dict[str, Any], state: ApkState) -> Change | None:
        names = self._targets(args, state)
        changed = (
            bool(state.steps)
            or (self.wanted(args) == "present" and bool(names))
            or (self.wanted(args) == "latest" and bool(state.world_missing))
        )
        if args["upgrade"] and not names_of(args):
            changed, msg = bool(state.steps), "upgraded packages"
        elif self.wanted(args) == "absent":
            changed, msg = bool(names), f"removed {names} package(s)"
        else:
            msg = f"installed {names} package(s)"
        if not changed:
            return (
                None
                if not (state.cache and not names_of(args) and not args["upgrade"])
                else Change("update", "updated repository indexes", {})
            )
        return ApkChange(
            "apk",
            msg,
            {"packages": [p for _, p in state.steps], "stdout": state.out, "stderr": ""},
            targets=tuple(names),
        )

    def _targets(self, args: dict[str, Any], state: ApkState) -> list[str]:
        if self.wanted(args) == "absent":
            return state.installed
        if self.wanted(args) == "latest":
            return names_of(args)
        return state.world_missing

    def in_state_msg(self, args: dict[str, Any], state: ApkState) -> str | None:
        if args["upgrade"] and not names_of(args):
            return "packages already upgraded"
        return (
            "package(s) already removed"
            if self.wanted(args) == "absent"
            else "package(s) already installed"
        )

    def values(self, args: dict[str, Any], state: ApkState) -> dict[str, Any]:
        return {"packages": []} if args["upgrade"] and not names_of(args) else {}

    def apply(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> str:
        if change.op == "update":
            return "true"  # the probe has refreshed the indexes already
        assert isinstance(change, ApkChange)
        return f"export LC_ALL=C; {self.command(args, list(change.targets), dry=False)}"

    def applied(self, args: dict[str, Any], change: Change, res: CommandResult) -> dict[str, Any]:
        values = change.values
        if change.op == "update":
            return values
        if res.rc != 0:
            targets = list(change.targets) if isinstance(change, ApkChange) else []
            raise PackageFailure(
                self.failure_msg(args, targets),
                stdout=res.out,
                stderr=res.err,
                packages=[p for _, p in simulated(res.out)],
            )
        return {
            **values,
            "packages": [p for _, p in simulated(res.out)],
            "stdout": res.out,
            "stderr": res.err,
        }

    # -- check runs ----------------------------------------------------------------------

    def remember(self, args: dict[str, Any], change: Change, prediction: PackagePrediction) -> None:
        steps = change.values.get("packages", [])
        if self.wanted(args) == "absent":
            prediction.record(self.database(args), (), steps)
        else:
            targets = list(change.targets) if isinstance(change, ApkChange) else []
            prediction.record(self.database(args), [(p, "apk") for p in [*steps, *targets]])

    def foresee(self, args: dict[str, Any], state: ApkState, known: dict[str, Any]) -> ApkState:
        """What an earlier task of the check run would have installed is there."""
        state.world_missing = [n for n in state.world_missing if known.get(n) is None]
        state.steps = [(v, p) for v, p in state.steps if p not in known]
        if self.wanted(args) == "absent":
            state.installed += [
                n for n in names_of(args) if known.get(n) is not None and n not in state.installed
            ]
        return state
