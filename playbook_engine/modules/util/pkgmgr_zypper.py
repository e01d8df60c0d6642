"""The zypper backend (``community.general.zypper``, and ``package`` on SUSE hosts).

One probe command asks rpm which named packages are installed and zypper itself for a dry
run (``--xmlout … --dry-run``) of the real command, whose ``install-summary`` lists every
package the transaction would install, upgrade, downgrade or remove (dependencies
included), or whose error messages say why it cannot. A task in state for ``present``
costs that one command (rpm alone decides); one more command applies the change, the
same zypper command without ``--dry-run``.
"""

from __future__ import annotations

import shlex
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ...transport.base import CommandResult
from ...transport.shell import quote
from ..base import Arg, ModuleContext
from .pkgbase import PackageFailure, PackageModule, PackagePrediction, names_of
from .state import Change

__all__ = ["Backend", "ZYPPER_ARGS", "parse_summary"]

ZYPPER_ARGS: dict[str, Arg] = {
    "name": Arg(
        "list",
        elements="str",
        aliases=("pkg",),
        description="Packages (name, name>=1.0, name=1.0, a .rpm path or URL); "
        "'*' with latest or dist-upgrade: everything.",
    ),
    "state": Arg(
        "str",
        default="present",
        choices=("present", "latest", "absent", "dist-upgrade", "installed", "removed"),
        description="present/installed, latest, absent/removed, dist-upgrade.",
    ),
    "type": Arg(
        "str",
        default="package",
        choices=("package", "patch", "pattern", "product", "srcpackage", "application"),
        description="The kind of thing named (zypper --type).",
    ),
    "extra_args_precommand": Arg("str", description="Global zypper options (e.g. --root)."),
    "extra_args": Arg("str", description="More options for the zypper command."),
    "disable_gpg_check": Arg("bool", default=False, description="--no-gpg-checks."),
    "auto_import_keys": Arg("bool", default=False, description="--gpg-auto-import-keys."),
    "disable_recommends": Arg("bool", default=True, description="--no-recommends."),
    "install_recommends": Arg(
        "bool", description="--recommends / --no-recommends (overrides disable_recommends)."
    ),
    "force": Arg("bool", default=False, description="--force: reinstall, downgrade."),
    "force_resolution": Arg("bool", default=False, description="--force-resolution."),
    "update_cache": Arg(
        "bool",
        default=False,
        aliases=("refresh",),
        description="zypper refresh first (also in check mode).",
    ),
    "oldpackage": Arg("bool", default=False, description="--oldpackage: allow downgrades."),
    "allow_vendor_change": Arg(
        "bool", default=False, description="--allow-vendor-change (dist-upgrade)."
    ),
    "replacefiles": Arg("bool", default=False, description="--replacefiles."),
    "clean_deps": Arg("bool", default=False, description="Removal: --clean-deps."),
    "simple_errors": Arg("bool", default=False, description="Errors as plain messages."),
    "quiet": Arg("bool", default=True, description="--quiet."),
    "skip_post_errors": Arg(
        "bool", default=False, description="Exit code 107 (scriptlet errors) is success."
    ),
}

_MARK = "::pbe"
_SECTIONS = {
    "to-install": "installed",
    "to-upgrade": "upgraded",
    "to-downgrade": "downgraded",
    "to-reinstall": "reinstalled",
    "to-remove": "removed",
}


@dataclass
class ZypState:
    installed: set[str]  # named packages rpm knows
    changes: dict[str, list[str]] = field(default_factory=dict)  # verb -> names
    rc: int = 0
    out: str = ""


@dataclass(frozen=True, slots=True)
class ZypChange(Change):
    targets: tuple[str, ...] = ()  # the names the zypper command is given


def parse_summary(xml: str) -> tuple[dict[str, list[str]], list[str]]:
    """zypper's --xmlout: verb -> the package names its install-summary lists, and its
    error messages."""
    try:
        root = ET.fromstring(xml[xml.index("<stream>") :] if "<stream>" in xml else xml)
    except ET.ParseError:
        return {}, [line for line in xml.splitlines() if line.strip()]
    changes: dict[str, list[str]] = {}
    for tag, verb in _SECTIONS.items():
        for node in root.iter(tag):
            changes.setdefault(verb, []).extend(
                s.get("name", "") for s in node.iter("solvable") if s.get("name")
            )
    errors = [m.text.strip() for m in root.iter("message") if m.get("type") == "error" and m.text]
    return changes, errors


class Backend(PackageModule[ZypState]):
    """Install, upgrade or remove packages, patterns and patches with zypper."""

    managers: ClassVar[tuple[str, ...]] = ("zypper",)
    args = ZYPPER_ARGS
    returns = {
        "name": "the names given",
        "state": "the state asked for",
        "rc": "zypper's exit status",
        "stdout": "zypper's XML output",
        "cmd": "the zypper command",
    }

    def wanted(self, args: dict[str, Any]) -> str:
        state = str(args["state"])
        return {"installed": "present", "removed": "absent"}.get(state, state)

    def validate(self, args: dict[str, Any]) -> None:
        if not names_of(args) and self.wanted(args) != "dist-upgrade":
            raise PackageFailure("name is required for this state")

    def zypper(self, args: dict[str, Any], names: list[str] | None, *, dry: bool) -> str:
        """The zypper command that makes the change (``--dry-run`` for the probe), for
        ``names`` (None: the shell's ``"$@"``, which the probe fills)."""
        head = ["zypper", "--non-interactive", "--xmlout"]
        head += ["--quiet"] if args["quiet"] else []
        head += ["--gpg-auto-import-keys"] if args["auto_import_keys"] else []
        head += ["--no-gpg-checks"] if args["disable_gpg_check"] else []
        head += shlex.split(args["extra_args_precommand"] or "")
        wanted = self.wanted(args)
        verb = {"absent": "remove", "dist-upgrade": "dist-upgrade"}.get(wanted, "install")
        if wanted == "latest" and names_of(args) == ["*"]:
            verb = "update"
        opts = ["--type", args["type"]] if verb != "dist-upgrade" else []
        opts += ["--dry-run"] if dry else []
        opts += self.flags(args, verb)
        opts += shlex.split(args["extra_args"] or "")
        command = " ".join(quote(w) for w in head + [verb] + opts)
        if verb in ("dist-upgrade", "update"):
            return command
        return command + (
            ' -- "$@"' if names is None else " -- " + " ".join(quote(n) for n in names)
        )

    def flags(self, args: dict[str, Any], verb: str) -> list[str]:
        if verb == "remove":
            return ["--clean-deps"] if args["clean_deps"] else []
        out = ["--auto-agree-with-licenses"]
        recommends = args["install_recommends"]
        if recommends is None:
            recommends = not args["disable_recommends"]
        out.append("--recommends" if recommends else "--no-recommends")
        pairs = (
            ("force", "--force"),
            ("force_resolution", "--force-resolution"),
            ("oldpackage", "--oldpackage"),
            ("replacefiles", "--replacefiles"),
        )
        out += [flag for key, flag in pairs if args[key] and verb != "dist-upgrade"]
        if verb == "dist-upgrade" and args["allow_vendor_change"]:
            out.append("--allow-vendor-change")
        return out

    # -- probe and parse -----------------------------------------------------------------

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        """rpm -q for each name (``=NAME`` when installed), then the dry run for the names
        that matter: the missing ones (present), the installed ones (absent), all
        (latest, other types)."""
        root = _root(args)
        rpm = f"rpm --root {quote(root)}" if root else "rpm"
        lines = [
            "export LC_ALL=C",
            "command -v zypper >/dev/null 2>&1 || { echo 'zypper was not found on the "
            "host' >&2; exit 127; }",
            "set --",
            f"echo '{_MARK} installed'",
        ]
        keep = self._keep(args)
        for name in (n for n in names_of(args) if n != "*"):
            add = f'set -- "$@" {quote(name)}'
            lines.append(
                f"if {rpm} -q -- {quote(name)} >/dev/null 2>&1; then echo "
                f"{quote('=' + name)}; {add if keep in ('in', 'all') else ':'}; "
                f"else {add if keep in ('out', 'all') else ':'}; fi"
            )
        if args["update_cache"]:
            pre = " ".join(quote(w) for w in shlex.split(args["extra_args_precommand"] or ""))
            lines.append(f"zypper --non-interactive --quiet {pre} refresh >/dev/null 2>&1")
        step = (
            f"echo '{_MARK} dry'; {self.zypper(args, None, dry=True)} 2>&1; echo \"{_MARK} rc $?\""
        )
        if names_of(args) and names_of(args) != ["*"]:
            step = f"if [ $# -gt 0 ]; then {step}; fi"
        return "; ".join([*lines, step])

    def _keep(self, args: dict[str, Any]) -> str:
        """Which names the dry run takes: installed ones (in), missing ones (out), all."""
        if self.wanted(args) == "absent":
            return "in"
        if self.wanted(args) == "present" and args["type"] == "package":
            return "out"
        return "all"

    def targets(self, args: dict[str, Any], state: ZypState) -> list[str]:
        names = [n for n in names_of(args) if n != "*"]
        keep = self._keep(args)
        if keep == "all":
            return names
        return [n for n in names if (n in state.installed) == (keep == "in")]

    def parse(self, args: dict[str, Any], res: CommandResult) -> ZypState:
        if res.rc == 127 and "was not found" in res.err:
            raise PackageFailure(res.err.strip(), rc=1)
        head, _, dry = res.out.partition(f"{_MARK} dry\n")
        installed = {line[1:] for line in head.splitlines() if line.startswith("=")}
        state = ZypState(installed)
        if not dry:
            return state
        xml, _, rc = dry.rpartition(f"{_MARK} rc ")
        state.rc, state.out = int(rc.strip() or 1), xml
        state.changes, errors = parse_summary(xml)
        ok = state.rc == 0 or (self.wanted(args) == "absent" and state.rc == 104)
        if not ok:
            raise PackageFailure(
                "\n".join(errors) or f"zypper failed (rc {state.rc})",
                rc=state.rc,
                stdout=xml,
                cmd=self.zypper(args, self.targets(args, state), dry=True),
            )
        return state

    # -- plan and apply ------------------------------------------------------------------

    def plan(self, args: dict[str, Any], state: ZypState) -> Change | None:
        if not any(state.changes.values()):
            return None
        prepared = "\n".join(
            f"{verb}: {', '.join(names)}" for verb, names in state.changes.items() if names
        )
        return ZypChange(
            self.wanted(args),
            "",
            self.values(args, state),
            diff={"prepared": prepared},
            targets=tuple(self.targets(args, state)),
        )

    def values(self, args: dict[str, Any], state: ZypState) -> dict[str, Any]:
        return {
            "name": names_of(args),
            "state": args["state"],
            "update_cache": args["update_cache"],
            "rc": 0,
        }

    def apply(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> str:
        assert isinstance(change, ZypChange)
        return f"export LC_ALL=C; {self.zypper(args, list(change.targets), dry=False)}"

    def applied(self, args: dict[str, Any], change: Change, res: CommandResult) -> dict[str, Any]:
        ok = res.rc == 0 or (res.rc == 107 and args["skip_post_errors"])
        if not ok:
            _, errors = parse_summary(res.out)
            raise PackageFailure(
                "\n".join(errors) or f"zypper failed (rc {res.rc})",
                rc=res.rc,
                stdout=res.out,
                stderr=res.err,
            )
        return {**change.values, "rc": res.rc, "stdout": res.out, "stderr": res.err}

    # -- check runs ----------------------------------------------------------------------

    def database(self, args: dict[str, Any]) -> str:
        return f"rpm:{_root(args) or '/'}"

    def remember(self, args: dict[str, Any], change: Change, prediction: PackagePrediction) -> None:
        if not isinstance(change.diff, dict):  # zypper's is one dict, never a list
            return
        lines = str(change.diff.get("prepared", "")).splitlines()
        verbs = {line.split(": ", 1)[0]: line.split(": ", 1)[1].split(", ") for line in lines}
        gone = verbs.pop("removed", [])
        prediction.record(
            self.database(args), [(n, "zypper") for names in verbs.values() for n in names], gone
        )

    def foresee(self, args: dict[str, Any], state: ZypState, known: dict[str, Any]) -> ZypState:
        """Changes an earlier task of the check run would have made already go."""
        absent = self.wanted(args) == "absent"
        for verb, names in state.changes.items():
            state.changes[verb] = [
                n for n in names if n not in known or (known[n] is None) != (verb == "removed")
            ]
        for name in names_of(args):
            if absent and known.get(name) is not None and name not in state.installed:
                state.changes.setdefault("removed", []).append(name)
            if not absent and name in known and known[name] is not None:
                state.installed.add(name)
        return state


def _root(args: dict[str, Any]) -> str | None:
    """The --root (or -R) given among the global options, which rpm must read too."""
    words = shlex.split(args.get("extra_args_precommand") or "")
    for i, word in enumerate(words):
        if word in ("--root", "-R") and i + 1 < len(words):
            return words[i + 1]
        if word.startswith("--root="):
            return word.split("=", 1)[1]
    return None
