"""pkgng: FreeBSD packages with pkg: install, upgrade, remove, autoremove.

One probe refreshes the catalogue (not in check mode, nor with ``cached``), asks pkg which
named packages are installed (``pkg info -e``), which of them have an upgrade (``pkg
upgrade -n``), and what ``upgrade``/``autoremove`` would do; one command makes the changes
(``pkg install``/``upgrade``/``delete``/``autoremove -y``), decided and worded as
community.general.pkgng decides and words them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.hostedit import need, section, sections

_AFFECTED = re.compile(r"^The following ([0-9]+) package\(?s?\)? will be affected", re.M)
_UPGRADED = re.compile(r"^Number of packages to be (?:upgraded|reinstalled): ([0-9]+)", re.M)
_AUTOREMOVE = re.compile(
    r"^Deinstallation has been requested for the following ([0-9]+) "
    r"packages",
    re.M,
)
_FILES = (".pkg", ".txz", ".tbz", ".tgz")


@dataclass
class Plan:
    install: list[str] = field(default_factory=list)
    upgrade: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    upgrade_all: int = 0
    autoremove: int = 0
    msgs: list[str] = field(default_factory=list)


@register("pkgng", "community.general.pkgng")
class Pkgng(Module):
    """Install, upgrade or remove FreeBSD packages with pkg."""

    args = {
        "name": Arg(
            "list",
            required=True,
            elements="str",
            aliases=("pkg",),
            description="Packages (`*` with state latest: upgrade everything).",
        ),
        "state": Arg(
            "str",
            default="present",
            choices=("present", "latest", "absent"),
            description="Installed, installed at the newest version, or removed.",
        ),
        "cached": Arg(
            "bool",
            default=False,
            description="Use the local catalogue only (no `pkg update`, `-U`).",
        ),
        "ignore_osver": Arg("bool", default=False, description="IGNORE_OSVERSION=yes."),
        "annotation": Arg("list", elements="str", description="Not supported by pbe."),
        "pkgsite": Arg("str", description="The repository (--repository)."),
        "rootdir": Arg("path", description="Work on this root (--rootdir)."),
        "chroot": Arg("path", description="Work in this chroot (--chroot)."),
        "jail": Arg("str", description="Work in this jail (--jail)."),
        "autoremove": Arg("bool", default=False, description="Remove packages no longer needed."),
        "use_globs": Arg("bool", default=True, description="Names are globs (-g)."),
    }
    mutually_exclusive = (("rootdir", "chroot", "jail"),)
    returns = {"msg": "what was done", "stdout": "pkg's output", "stderr": "pkg's errors"}

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        names = package_names(args)
        res = ctx.run(probe(args, names, update=not ctx.check))
        plan = decide(args, names, res)
        changed = bool(
            plan.install or plan.upgrade or plan.remove or plan.upgrade_all or plan.autoremove
        )
        out = err = ""
        if changed and not ctx.check:
            done = ctx.run(apply(args, plan))
            out, err = done.out, done.err
            if done.rc != 0:
                raise ModuleError(f"pkg failed (rc={done.rc}): {(err or out).strip()}")
        return Result(
            changed=changed, values={"msg": ", ".join(plan.msgs), "stdout": out, "stderr": err}
        )


def package_names(args: dict[str, Any]) -> list[str]:
    """The names, a single item split at commas and spaces, as Ansible splits it."""
    if args["annotation"] is not None:
        raise ModuleError("annotation is not supported by pbe")
    names = [str(n) for n in args["name"]]
    if len(names) == 1:
        names = [n for n in re.split(r"[,\s]", names[0]) if n]
    if any(n.endswith(_FILES) for n in names):
        raise ModuleError("package files are not supported by pbe: give package names")
    return names


def _pkg(args: dict[str, Any], action: str, *words: str) -> str:
    """``pkg [DIR] ACTION [--repository] [-g] WORDS``, in Ansible's order."""
    cmd = ["pkg"]
    for key in ("rootdir", "chroot", "jail"):
        if args[key] is not None:
            cmd.append(f"--{key}={args[key]}")
    cmd.append(action)
    if args["pkgsite"] is not None and action in ("update", "install", "upgrade"):
        cmd.append(f"--repository={args['pkgsite']}")
    if args["use_globs"] and action in ("info", "install", "upgrade"):
        cmd.append("-g")
    return " ".join(quote(w) for w in [*cmd, *words])


def _env(args: dict[str, Any]) -> str:
    osver = " IGNORE_OSVERSION=yes" if args["ignore_osver"] else ""
    return f"export BATCH=yes LC_ALL=C{osver}"


def probe(args: dict[str, Any], names: list[str], *, update: bool) -> str:
    steps = [
        _env(args),
        "command -v pkg >/dev/null || { echo 'Failed to find required "
        "executable pkg' >&2; exit 127; }",
    ]
    named = [n for n in names if n != "*"]
    state = args["state"]
    if state == "latest" and "*" in names:
        steps.append(section("all", f"{_pkg(args, 'upgrade', '-n')} 2>&1"))
    if update and state != "absent" and named and not args["cached"]:
        steps.append(section("update", f"{_pkg(args, 'update')} 2>&1"))
    for index, name in enumerate(named):
        check = f"{_pkg(args, 'info', '-e', name)} >/dev/null 2>&1 || exit 1"
        if state == "latest":
            check += f'; {_pkg(args, "upgrade", "-n", name)} 2>&1; echo "::upgrade $?"'
        steps.append(section(f"p{index}", check))
    if args["autoremove"]:
        steps.append(section("autoremove", f"{_pkg(args, 'autoremove', '-n')} 2>&1"))
    return "; ".join(steps)


def decide(args: dict[str, Any], names: list[str], res: CommandResult) -> Plan:
    """What to do, and Ansible's message for each part (pure)."""
    if res.rc == 127 and "Failed to find" in res.err:
        raise ModuleError(res.err.strip())
    found, plan, state = sections(res.out), Plan(), args["state"]
    named = [n for n in names if n != "*"]
    if "all" in found:
        plan.upgrade_all = sum(int(n) for n in _UPGRADED.findall(found["all"].text))
        plan.msgs.append(
            f"updated {plan.upgrade_all} package(s)"
            if plan.upgrade_all
            else "no packages need upgrades"
        )
    if "update" in found and found["update"].rc != 0:
        raise ModuleError(
            f"Could not update catalogue [{found['update'].rc}]: {found['update'].text.strip()}"
        )
    for index, name in enumerate(named):
        probed = need(found, f"p{index}", res)
        installed = probed.rc == 0
        if state == "absent":
            plan.remove += [name] if installed else []
        elif not installed:
            plan.install.append(name)
        elif state == "latest" and _has_upgrade(probed.text):
            plan.upgrade.append(name)
    if named:
        plan.msgs.append(_message(state, plan))
    if "autoremove" in found:
        match = _AUTOREMOVE.search(found["autoremove"].text)
        plan.autoremove = int(match.group(1)) if match else 0
        plan.msgs.append(
            f"autoremoved {plan.autoremove} package(s)"
            if plan.autoremove
            else "no package(s) to autoremove"
        )
    return plan


def _has_upgrade(text: str) -> bool:
    """``pkg upgrade -n NAME``: exit 1, or a count of affected packages above 0."""
    body, _, rc = text.rpartition("::upgrade ")
    return rc.strip() == "1" or any(int(n) > 0 for n in _AFFECTED.findall(body))


def _message(state: str, plan: Plan) -> str:
    if state == "absent":
        return (
            f"removed {len(plan.remove)} package(s)" if plan.remove else "package(s) already absent"
        )
    parts = [
        f"{verb} {len(items)} package{'s' if len(items) != 1 else ''}"
        for verb, items in (("installed", plan.install), ("upgraded", plan.upgrade))
        if items
    ]
    return "; ".join(parts) or f"package(s) already {state}"


def apply(args: dict[str, Any], plan: Plan) -> str:
    cached = ("-U",) if args["cached"] else ()
    steps = []
    if plan.upgrade_all:
        steps.append(_pkg(args, "upgrade", "-y"))
    if plan.install:
        steps.append(_pkg(args, "install", *cached, "-y", *plan.install))
    if plan.upgrade:
        steps.append(_pkg(args, "upgrade", *cached, "-y", *plan.upgrade))
    steps += [_pkg(args, "delete", "-y", name) for name in plan.remove]
    if plan.autoremove:
        steps.append(_pkg(args, "autoremove", "-y"))
    return f"{_env(args)}; " + " && ".join(steps)
