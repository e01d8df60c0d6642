"""timezone: the system clock's time zone and whether the hardware clock keeps UTC.

Under systemd, ``timedatectl`` reads and sets both. Elsewhere (containers, sysvinit,
OpenRC) the zone lives in ``/etc/timezone`` (Debian) or ``ZONE=`` of
``/etc/sysconfig/clock`` (Red Hat) and in ``/etc/localtime`` (a link to, or a copy of, the
zone's file), and the hardware clock's mode in ``/etc/adjtime``. One probe reads all of
it, one command changes what differs.
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
from .util.hostedit import (
    Edit,
    HostStateModule,
    Section,
    TextFile,
    init_system,
    need,
    read_file,
    section,
    sections,
    text_file,
    write_file,
)

ZONEINFO = "/usr/share/zoneinfo"
_DEBIAN, _CLOCK = "/etc/timezone", "/etc/sysconfig/clock"
_ZONE_LINE = re.compile(r'^\s*ZONE\s*=\s*"?([^"]*)"?\s*$')


@dataclass(frozen=True, slots=True)
class Clock:
    systemd: bool
    name: str | None  # the zone the host is in (None: unknown)
    hwclock: str  # "UTC", "local" or "n/a"
    available: bool  # the asked zone's file exists
    localtime_ok: bool  # /etc/localtime is the asked zone (non-systemd)
    localtime_link: bool  # /etc/localtime is a symlink (or missing): relink, else copy
    files: tuple[TextFile, ...]  # the zone's config files that exist (non-systemd)


@register("timezone", "community.general.timezone")
class TimezoneModule(HostStateModule[Clock]):
    """Set the time zone and the hardware clock's mode."""

    args = {
        "name": Arg("str", description="The zone (Asia/Tokyo, UTC …); unset keeps it."),
        "hwclock": Arg(
            "str",
            choices=("local", "UTC"),
            aliases=("rtc",),
            description="Whether the hardware clock keeps UTC or local time.",
        ),
    }
    required_one_of = (("name", "hwclock"),)
    returns = {}

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        name = args["name"]
        zone = quote(f"{ZONEINFO}/{name}") if name else "/nonexistent"
        parts = [
            section("init", init_system(ctx, "timedatectl")),
            section("show", "timedatectl show -p Timezone -p LocalRTC 2>&1"),
            read_file("debian", _DEBIAN),
            read_file("clock", _CLOCK),
            read_file("adjtime", "/etc/adjtime"),
            section("link", "readlink /etc/localtime"),
            section("zone", f"[ -f {zone} ]"),
            section("same", f"cmp -s /etc/localtime {zone}"),
        ]
        return "; ".join(parts)

    def parse(self, args: dict[str, Any], res: CommandResult) -> Clock:
        found = sections(res.out)
        available = need(found, "zone", res).rc == 0
        if need(found, "init", res).text.strip() == "systemd":
            return _systemd(need(found, "show", res), available)
        files = tuple(
            f
            for key, path in (("debian", _DEBIAN), ("clock", _CLOCK))
            if (f := text_file(path, need(found, key, res))).text is not None
        )
        link = need(found, "link", res)
        target = link.text.strip() if link.rc == 0 else ""
        name = _configured(files) or _zone_of(target) or None
        if args["name"] and target:
            localtime_ok = target.endswith(f"zoneinfo/{args['name']}")
        else:
            localtime_ok = need(found, "same", res).rc == 0
        adjtime = text_file("/etc/adjtime", need(found, "adjtime", res))
        return Clock(
            False,
            name,
            _adjtime_mode(adjtime),
            available,
            localtime_ok,
            bool(target) or need(found, "same", res).rc == 2,
            files,
        )

    def plan(self, args: dict[str, Any], state: Clock) -> Edit | None:
        name, hwclock = args["name"], args["hwclock"]
        if name and not state.available:
            raise ModuleError(
                f'timezone "{name}" is not available on the host (no {ZONEINFO}/{name})'
            )
        set_name = bool(name) and (state.name != name or not (state.systemd or state.localtime_ok))
        set_clock = bool(hwclock) and state.hwclock != hwclock
        if not (set_name or set_clock):
            return None
        before = {
            k: v for k, v in (("name", state.name or "n/a"), ("hwclock", state.hwclock)) if args[k]
        }
        after = {k: args[k] for k in before}
        steps = _steps(args, state, set_name, set_clock)
        writes = tuple((f.path, _rewritten(f, name)) for f in state.files) if set_name else ()
        return Edit(
            "set",
            "",
            diff={"before": before, "after": after},
            writes=writes,
            command=" && ".join(steps),
        )

    def apply(self, args: dict[str, Any], change: Any, ctx: ModuleContext) -> str:
        return str(change.command)


def _systemd(show: Section, available: bool) -> Clock:
    if show.rc != 0:
        raise ModuleError(f"timedatectl failed: {show.text.strip()}")
    values = dict(line.partition("=")[::2] for line in show.text.splitlines() if "=" in line)
    rtc = {"yes": "local", "no": "UTC"}.get(values.get("LocalRTC", ""), "n/a")
    return Clock(True, values.get("Timezone") or None, rtc, available, True, True, ())


def _configured(files: tuple[TextFile, ...]) -> str:
    for file in files:
        for line in file.lines:
            if file.path == _DEBIAN and line.strip():
                return line.strip()
            if file.path == _CLOCK and (match := _ZONE_LINE.match(line)):
                return match.group(1).strip()
    return ""


def _zone_of(target: str) -> str:
    """The zone a /etc/localtime link points to (…/zoneinfo/Europe/Paris → Europe/Paris)."""
    _, sep, zone = target.partition("zoneinfo/")
    return zone if sep else ""


def _adjtime_mode(adjtime: TextFile) -> str:
    lines = adjtime.lines
    if len(lines) >= 3 and lines[2].strip() in ("UTC", "LOCAL"):
        return "UTC" if lines[2].strip() == "UTC" else "local"
    return "n/a"


def _rewritten(file: TextFile, name: str) -> str:
    """A zone config file with the new zone: /etc/timezone whole, ZONE= in place."""
    if file.path == _DEBIAN:
        return f"{name}\n"
    lines = [f'ZONE="{name}"' if _ZONE_LINE.match(line) else line for line in file.lines]
    if not any(_ZONE_LINE.match(line) for line in file.lines):
        lines.append(f'ZONE="{name}"')
    return "".join(f"{line}\n" for line in lines)


def _steps(args: dict[str, Any], state: Clock, set_name: bool, set_clock: bool) -> list[str]:
    """The apply command's steps (the config files' few bytes are on its command line)."""
    name, steps = args["name"], []
    if state.systemd:
        if set_name:
            steps.append(f"timedatectl set-timezone {quote(name)}")
        if set_clock:
            rtc = "yes" if args["hwclock"] == "local" else "no"
            steps.append(f"timedatectl set-local-rtc {rtc}")
        return steps
    if set_name:
        for file in state.files:
            text = quote(_rewritten(file, name))
            steps.append(f"{{ printf %s {text} | {{ {write_file(file.path)}; }}; }}")
        zone = quote(f"{ZONEINFO}/{name}")
        verb = "ln -sf" if state.localtime_link else "cp -f"
        steps.append(f"{verb} {zone} /etc/localtime")
    if set_clock:
        mode = "--localtime" if args["hwclock"] == "local" else "--utc"
        steps.append(f"hwclock --systohc {mode}")
    return steps
