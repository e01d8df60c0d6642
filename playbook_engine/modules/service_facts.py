"""service_facts: every service the host's managers know, as ``ansible_facts.services``.

One command asks each manager the host has, as Ansible's module does: ``service
--status-all`` for SysV scripts (where neither chkconfig nor OpenRC is present), ``initctl
list`` for Upstart, ``chkconfig`` with one ``service NAME status`` per service on Red Hat
style SysV, ``rc-status``/``rc-update`` for OpenRC, and where systemd booted the host,
``systemctl list-units`` and ``list-unit-files`` (plus ``ActiveState`` of the unit files no
unit is loaded for). Each service is ``{name, state, source}`` plus ``status`` where the
manager tells whether it is enabled (systemd, chkconfig), exactly Ansible's shape.
"""

from __future__ import annotations

import re
from typing import Any

from . import register
from .base import Module, ModuleContext
from .result import Result
from .util.services import PATH_SBIN, Section, mark, sections

_TOOLS = "service chkconfig initctl rc-status rc-update systemctl"
_BOOTED = (
    "command -v systemctl >/dev/null 2>&1 && { [ -e /run/systemd/system/ ] || "
    "[ -e /dev/.run/systemd/ ] || [ -e /dev/.systemd/ ] || "
    '[ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; }'
)
_SCRIPT = PATH_SBIN + "\n".join(
    (
        f"for t in {_TOOLS}; do command -v $t >/dev/null 2>&1 && echo $t; done; {mark('tools')}",
        'has() { command -v "$1" >/dev/null 2>&1; }',
        "if has service && ! has chkconfig && ! has rc-status; then",
        f"  service --status-all </dev/null 2>/dev/null; {mark('sysv')}",
        f"  [ -d /etc/init.d ]; {mark('initd')}",
        "fi",
        f"if has initctl && ! has chkconfig; then initctl list 2>/dev/null; {mark('upstart')}",
        "elif has chkconfig; then",
        f"  chkconfig 2>/dev/null; {mark('chkconfig')}",
        f"  chkconfig --list 2>/dev/null; {mark('chkconfig-list')}",
        "  for s in $(chkconfig --list 2>/dev/null | awk '/[0-9]:(on|off)/ {print $1}'); do",
        '    service "$s" status </dev/null >/dev/null 2>&1; echo "$s $?"; done',
        f"  {mark('chkconfig-status')}",
        "elif has rc-status && has rc-update; then",
        f"  rc-status -a -s -m 2>&1 | grep '^ ' | tr -d '[]'; {mark('rc-status')}",
        f"  rc-update show -v 2>&1 | grep '|'; {mark('rc-update')}",
        "fi",
        f"if {_BOOTED}; then",
        "  pbe_u=$(systemctl list-units --no-pager --type service --all --plain 2>/dev/null)",
        f"  pbe_r=$?; printf '%s\\n' \"$pbe_u\"; (exit $pbe_r); {mark('units')}",
        "  pbe_f=$(systemctl list-unit-files --no-pager --type service --all 2>/dev/null)",
        f"  pbe_r=$?; printf '%s\\n' \"$pbe_f\"; (exit $pbe_r); {mark('unit-files')}",
        "  for u in $(printf '%s\\n' \"$pbe_f\" | awk '/\\.service/ {print $1}'); do",
        "    printf '%s\\n' \"$pbe_u\" | awk '{print $1}' | grep -qxF \"$u\" && continue",
        '    printf \'%s %s\\n\' "$u" "$(systemctl show "$u" --property=ActiveState 2>/dev/null)"',
        f"  done; {mark('active')}",
        "fi\n",
    )
)
_CHKCONFIG = re.compile(
    r"(?P<name>.*?)\s+" + r"\s+".join(rf"[0-9]:(?P<rl{n}>on|off)" for n in range(7))
)
_UPSTART = re.compile(
    r"^\s?(?P<name>.*)\s(?P<goal>\w+)/(?P<state>\w+)"
    r"(?:,\sprocess\s(?P<pid>[0-9]+))?\s*$"
)
_SYSV = re.compile(r"^\s*\[ (?P<state>[+-]) \]\s+(?P<name>.+)$", re.M)
_BAD_STATES = ("not-found", "masked", "failed")

Services = dict[str, dict[str, Any]]


@register("service_facts")
class ServiceFacts(Module):
    """Gather the state of every service into ansible_facts.services."""

    returns = {
        "ansible_facts.services": "per service name: `name`, `state` (running, "
        "stopped, …), `source` (systemd, sysv, upstart, "
        "openrc) and, where known, `status` (enabled, "
        "disabled, static, …)"
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        services = gather(sections(ctx.run(_SCRIPT).out))
        if not services:
            return Result.skip(
                "Failed to find any services. This can be due to privileges "
                "or some other configuration issue."
            )
        return Result(facts={"services": services})


def gather(parts: dict[str, Section]) -> Services:
    """Every manager's services, later managers overriding earlier ones (as in Ansible)."""
    services: Services = {}
    for reader in (_sysv, _upstart, _chkconfig, _openrc, _systemd):
        services.update(reader(parts))
    return services


def _sysv(parts: dict[str, Section]) -> Services:
    part = parts.get("sysv")
    if part is None or (part.rc == 4 and parts.get("initd", Section(1, "")).rc != 0):
        return {}
    return {
        m["name"]: {
            "name": m["name"],
            "state": "running" if m["state"] == "+" else "stopped",
            "source": "sysv",
        }
        for m in _SYSV.finditer(part.text)
    }


def _upstart(parts: dict[str, Section]) -> Services:
    part = parts.get("upstart")
    if part is None or part.rc != 0:
        return {}
    found: Services = {}
    for line in part.text.replace("\r", "").splitlines():
        m = _UPSTART.match(line)
        if m:
            found[m["name"]] = {
                "name": m["name"],
                "state": m["state"],
                "goal": m["goal"],
                "source": "upstart",
            }
    return found


def _chkconfig(parts: dict[str, Section]) -> Services:
    if "chkconfig" not in parts:
        return {}
    text = parts["chkconfig"].text
    if not any(_CHKCONFIG.match(line) for line in text.splitlines()):
        text = parts.get("chkconfig-list", Section(0, "")).text
    running = dict(
        line.rsplit(" ", 1)
        for line in parts.get("chkconfig-status", Section(0, "")).text.splitlines()
        if " " in line
    )
    found: Services = {}
    for line in text.splitlines():
        m = _CHKCONFIG.match(line)
        if m:
            name = m["name"]
            found[name] = {
                "name": name,
                "state": "running" if running.get(name) == "0" else "stopped",
                "status": "enabled" if m["rl3"] == "on" else "disabled",
                "source": "sysv",
            }
    return found


def _openrc(parts: dict[str, Section]) -> Services:
    if "rc-status" not in parts:
        return {}
    levels: dict[str, list[str] | None] = {}
    for line in parts.get("rc-update", Section(0, "")).text.splitlines():
        name, sep, rls = line.partition("|")
        if sep:
            levels[name.strip()] = rls.split() or None
    found: Services = {}
    for line in parts["rc-status"].text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] != "*" and fields[0] in levels:
            found[fields[0]] = {
                "name": fields[0],
                "runlevels": levels[fields[0]],
                "state": fields[1],
                "source": "openrc",
            }
    return found


def _systemd(parts: dict[str, Section]) -> Services:
    units, files = parts.get("units"), parts.get("unit-files")
    found: Services = {}
    if units is not None and units.rc == 0:
        for line in units.text.splitlines():
            if ".service" in line and len(line.split()) >= 4:
                found.update(_unit_line(line.split()))
    active = _active_states(parts.get("active", Section(0, "")).text)
    if files is not None and files.rc == 0:
        for line in files.text.splitlines():
            fields = line.split()
            if ".service" not in line or len(fields) < 2:
                continue
            name, status = fields[0], fields[1]
            if name not in found:
                found[name] = {
                    "name": name,
                    "state": active.get(name, "unknown"),
                    "status": status,
                    "source": "systemd",
                }
            elif found[name]["status"] not in _BAD_STATES:
                found[name]["status"] = status
    return found


def _unit_line(fields: list[str]) -> Services:
    """One line of ``list-units --plain``: UNIT LOAD ACTIVE SUB DESCRIPTION…"""
    name = fields[0]
    status = next((bad for bad in _BAD_STATES if bad in fields[:-1]), fields[2])
    state = "running" if fields[3] == "running" else "stopped"
    return {name: {"name": name, "state": state, "status": status, "source": "systemd"}}


def _active_states(text: str) -> dict[str, str]:
    states: dict[str, str] = {}
    for line in text.splitlines():
        name, _, prop = line.partition(" ")
        value = prop.strip().removeprefix("ActiveState=")
        if name:
            states[name] = value or "unknown"
    return states
