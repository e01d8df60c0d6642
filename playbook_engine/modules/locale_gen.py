"""locale_gen: make locales generated (or not) the glibc way: lines of /etc/locale.gen
(un)commented, then ``locale-gen``.

One probe reads /etc/locale.gen, the supported locales and ``locale -a``; one command
writes the file (atomically, from stdin) and runs ``locale-gen``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from . import register
from .base import Arg, ModuleContext
from .util.hostedit import (
    Edit,
    HostStateModule,
    Known,
    TextFile,
    need,
    read_file,
    section,
    sections,
    text_file,
    write_file,
)
from .util.state import Change

LOCALE_GEN = "/etc/locale.gen"
_SUPPORTED = ("/usr/share/i18n/SUPPORTED", "/usr/local/share/i18n/SUPPORTED")
_GEN_FAILED = 9
_ENTRY = re.compile(r"^\s*#?\s*(\S+) (\S+)\s*$")  # "en_GB.UTF-8 UTF-8", maybe commented


@dataclass(frozen=True, slots=True)
class Locales:
    config: TextFile
    supported: dict[str, str]  # locale -> its locale.gen line ("en_GB.UTF-8 UTF-8")
    generated: frozenset[str]  # `locale -a`, normalized


@register("locale_gen", "community.general.locale_gen")
class LocaleGenModule(HostStateModule[Locales]):
    """Generate or remove locales listed in /etc/locale.gen."""

    args = {
        "name": Arg(
            "list",
            required=True,
            elements="str",
            description="The locales, with their encoding (en_GB.UTF-8).",
        ),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "present"),
            description="Whether they are generated.",
        ),
    }
    returns = {"mechanism": "how locales are managed: glibc"}

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        if not args["name"]:
            raise ModuleError("name must list at least one locale")
        files = " ".join(_SUPPORTED)
        return "; ".join(
            (
                read_file("config", LOCALE_GEN),
                section("supported", f"cat {files} 2>/dev/null; :"),
                section("generated", "locale -a"),
            )
        )

    def parse(self, args: dict[str, Any], res: CommandResult) -> Locales:
        found = sections(res.out)
        config = text_file(LOCALE_GEN, need(found, "config", res))
        if config.text is None:
            raise ModuleError(
                f"{LOCALE_GEN} does not exist: pbe's locale_gen manages "
                "glibc's locale.gen (install the locales package)"
            )
        supported: dict[str, str] = {}  # locale.gen's own entries (commented or not) first
        for line in [*config.lines, *need(found, "supported", res).text.splitlines()]:
            if (match := _ENTRY.match(line)) is not None:
                supported.setdefault(match.group(1), f"{match.group(1)} {match.group(2)}")
        generated = frozenset(normalize(n) for n in need(found, "generated", res).text.split())
        return Locales(config, supported, generated)

    def foresee(self, args: dict[str, Any], state: Locales, known: Known) -> Locales:
        if (predicted := known(LOCALE_GEN)) is None or predicted.text is None:
            return state
        enabled = {normalize(n) for n in enabled_locales(predicted.lines)}
        return Locales(predicted, state.supported, frozenset(enabled))

    def plan(self, args: dict[str, Any], state: Locales) -> Edit | None:
        names = args["name"]  # available: listed (locale.gen, SUPPORTED) or generated
        unknown = [
            n for n in names if n not in state.supported and normalize(n) not in state.generated
        ]
        if unknown:
            raise ModuleError(
                f"locale(s) not available on the host: {', '.join(unknown)} (see {_SUPPORTED[0]})"
            )
        present = args["state"] == "present"
        todo = [n for n in names if (normalize(n) in state.generated) != present]
        if not todo:
            return None
        lines = list(state.config.lines)
        for name in todo:
            entry = state.supported.get(name)
            if entry is not None:  # a generated locale no file lists needs no line
                lines = set_line(lines, entry, present)
        text = "".join(f"{line}\n" for line in lines)
        return Edit(
            "generate",
            "",
            values={"mechanism": "glibc"},
            stdin=text.encode(),
            writes=((LOCALE_GEN, text),),
        )

    def apply(self, args: dict[str, Any], change: Any, ctx: ModuleContext) -> str:
        return f"{{ {write_file(LOCALE_GEN)}; }} && {{ locale-gen 2>&1 || exit {_GEN_FAILED}; }}"

    def values(self, args: dict[str, Any], state: Locales) -> dict[str, Any]:
        return {"mechanism": "glibc"}

    def failed(self, args: dict[str, Any], change: Change, res: CommandResult) -> str:
        if res.rc == _GEN_FAILED:
            return f"locale-gen failed: {(res.out + res.err).strip()}"
        return super().failed(args, change, res)


def normalize(name: str) -> str:
    """A locale's name as ``locale -a`` prints it: the codeset lowercase without dashes
    (en_GB.UTF-8 → en_GB.utf8)."""
    base, dot, rest = name.partition(".")
    if not dot:
        return name
    codeset, at, modifier = rest.partition("@")
    return f"{base}.{codeset.lower().replace('-', '')}{at}{modifier}"


def enabled_locales(lines: list[str]) -> list[str]:
    return [line.split()[0] for line in lines if line.strip() and not line.lstrip().startswith("#")]


def set_line(lines: list[str], entry: str, enabled: bool) -> list[str]:
    """locale.gen with ``entry`` ("en_GB.UTF-8 UTF-8") uncommented (appended when it is
    not there) or commented out."""
    name = entry.split()[0]
    pattern = re.compile(rf"^\s*#?\s*{re.escape(name)}\s+\S+\s*$")
    out, seen = [], False
    for line in lines:
        if pattern.match(line):
            seen = True
            line = entry if enabled else f"# {entry}"
        out.append(line)
    if enabled and not seen:
        out.append(entry)
    return out
