"""package_facts: the installed packages as the ``packages`` fact.

One command lists what the host's package databases hold, with their own tools
(``dpkg-query -W`` for apt, ``rpm -qa`` for rpm): nothing like python-apt or the rpm Python
bindings, which Ansible's needs, is wanted on the host. The fact maps each name to a list of
installed instances (several versions or architectures of one name are several entries).
"""

from __future__ import annotations

from typing import Any

from ..errors import ModuleError
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.debian import MARK, sections

# The managers pbe reads, in Ansible's "auto" order, and the names that mean them.
_ORDER = ("apt", "rpm")
_ALIASES = {"apt": "apt", "rpm": "rpm", "dnf": "rpm", "dnf5": "rpm", "yum": "rpm", "zypper": "rpm"}
_LISTS = {
    "apt": "dpkg --print-architecture; dpkg-query -W -f='${Package}\\t${Version}\\t"
    "${Architecture}\\t${Section}\\t${db:Status-Abbrev}\\t${Origin}\\n'",
    "rpm": "rpm -qa --qf '%{NAME}|%{VERSION}|%{RELEASE}|%{EPOCH}|%{ARCH}\\n'",
}
_TOOLS = {"apt": "dpkg-query", "rpm": "rpm"}


@register("package_facts")
class PackageFacts(Module):
    """Gather the installed packages into the `packages` fact."""

    args = {
        "manager": Arg(
            "list",
            default=["auto"],
            elements="str",
            description="Package managers to read: auto, apt, rpm (dnf, dnf5, "
            "yum, zypper mean rpm).",
        ),
        "strategy": Arg(
            "str",
            default="first",
            choices=("all", "first"),
            description="first: the first manager with packages; all: every one found, merged.",
        ),
    }
    returns = {"ansible_facts.packages": "name → list of {name, version, arch, source, …}"}

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        managers = _managers(args["manager"])
        res = ctx.run(_probe(managers))
        found = sections(res.out)
        packages: dict[str, list[dict[str, Any]]] = {}
        warnings, used = [], 0
        for manager in managers:
            if args["strategy"] == "first" and used:
                break
            listed = _parse(manager, found[manager]) if manager in found else {}
            if not listed:
                if manager in found:
                    warnings.append(f'Found "{manager}" but no associated packages')
                continue
            used += 1
            for name, entries in listed.items():
                packages.setdefault(name, []).extend(entries)
        if not used:
            raise ModuleError(
                f"Could not detect a supported package manager from the following list: {managers}"
            )
        values = {"warnings": warnings} if warnings else {}
        return Result(facts={"packages": packages}, values=values)


def _managers(asked: list[str]) -> list[str]:
    """The managers to read, in order, aliases resolved, each once."""
    names = [str(m).lower() for m in asked]
    unsupported = sorted({n for n in names if n != "auto" and n not in _ALIASES})
    if unsupported:
        raise ModuleError(
            f"Unsupported package managers requested: {', '.join(unsupported)} "
            f"(pbe reads: {', '.join(sorted(_ALIASES))})"
        )
    ordered: list[str] = []
    for name in names:
        for manager in _ORDER if name == "auto" else (_ALIASES[name],):
            if manager not in ordered:
                ordered.append(manager)
    return ordered


def _probe(managers: list[str]) -> str:
    """Each manager's listing, when the host has its tool."""
    lines = ["export LANG=C LC_ALL=C"]
    for manager in managers:
        lines.append(
            f"if command -v {_TOOLS[manager]} >/dev/null 2>&1; then "
            f"echo '{MARK}{manager}'; {_LISTS[manager]} 2>/dev/null; fi"
        )
    return "\n".join(lines)


def _parse(manager: str, text: str) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    if manager == "apt":
        native, _, text = text.partition("\n")
        entries = [_dpkg_line(line, native.strip()) for line in text.splitlines()]
    else:
        entries = [_rpm_line(line) for line in text.splitlines()]
    for entry in entries:
        if entry:
            found.setdefault(entry["name"], []).append(entry)
    return found


def _dpkg_line(line: str, native: str) -> dict[str, Any] | None:
    """An installed package from dpkg-query (one with files on the system: not merely
    known, nor only its configuration left). A foreign architecture's is ``name:arch``, as
    apt names it."""
    fields = line.split("\t")
    if len(fields) < 6 or len(fields[4]) < 2 or fields[4][1] in "nc":
        return None
    name, version, arch, section, _, origin = fields[:6]
    if arch not in (native, "all"):
        name = f"{name}:{arch}"
    return {
        "name": name,
        "version": version,
        "arch": arch,
        "category": section,
        "origin": origin,
        "source": "apt",
    }


def _rpm_line(line: str) -> dict[str, Any] | None:
    fields = line.strip().split("|")
    if len(fields) != 5:
        return None
    name, version, release, epoch, arch = (None if f == "(none)" else f for f in fields)
    if not name:
        return None
    return {
        "name": name,
        "version": version,
        "release": release,
        "epoch": int(epoch) if epoch and epoch.isdigit() else None,
        "arch": arch,
        "source": "rpm",
    }
