"""The ``service`` module where systemd does not manage the host: SysV init scripts (enabled
with update-rc.d, insserv or chkconfig), OpenRC and Upstart.

One command finds the manager as Ansible's service module does (systemd when it booted the
host, Upstart for a job in /etc/init, OpenRC when ``rc-service`` exists, else an init script
in /etc/init.d) and reads what that manager says about the service: its status, and what
makes it start on boot (rc?.d links, ``chkconfig --list``, ``rc-update show``, the Upstart
override). Running or not is judged as Ansible judges it: the exit status of ``status``
first, then the words of a one-line answer. One more command changes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...errors import ModuleError, NotOnHost
from ...transport.shell import quote
from .services import (
    PATH_SBIN,
    Section,
    Step,
    failed_step,
    mark,
    ps_matches,
    ps_part,
    sections,
    steps_script,
)
from .state import Change
from .systemctl import Unit, unit_state

__all__ = [
    "Initd",
    "initd_apply",
    "initd_failure",
    "initd_plan",
    "initd_probe",
    "initd_state",
    "initd_values",
    "is_running",
]

_SYSTEMD_BOOTED = (
    "{ [ -d /run/systemd/system ] || [ -d /dev/.run/systemd ] || "
    '[ -d /dev/.systemd ] || [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; }'
)
_ENABLE_TOOLS = ("update-rc.d", "insserv", "chkconfig")
_STOPPED_WORDS = (
    "could not access pid file",
    "is dead and pid file exists",
    "dead but subsys locked",
    "dead but pid file exists",
)


@dataclass(frozen=True, slots=True)
class Initd:
    """What the probe learned: the manager, and what it says of the service."""

    manager: str  # systemd | upstart | openrc | sysv | none
    unit: Unit | None = None  # when systemd manages the host
    running: bool | None = None  # None: could not tell
    crashed: bool = False  # OpenRC: needs a zap before starting
    tools: frozenset[str] = frozenset()  # service tools found on the host
    links: tuple[str, ...] = ()  # /etc/rc?.d/[SK]??NAME
    chkconfig: tuple[str, str] = ("", "")  # chkconfig --list NAME: stdout, stderr
    runlevels: tuple[str, ...] | None = None  # OpenRC: where rc-update has it (None: nowhere)
    manual: bool = False  # Upstart: the override holds a `manual` stanza
    conf_manual: bool = False  # Upstart: the job file itself does
    exists: bool = False  # sysvinit: the init script is there

    @property
    def enable_tool(self) -> str | None:
        if self.manager in ("upstart", "openrc"):
            return self.manager
        return next((t for t in _ENABLE_TOOLS if t in self.tools), None)

    @property
    def started_links(self) -> bool:
        return any("/S" in link for link in self.links)


# -- reading ----------------------------------------------------------------------------------


def initd_probe(args: Mapping[str, Any], systemd_reads: str) -> str:
    """Find the manager and read the service; ``systemd_reads`` is what to read when
    systemd turns out to manage the host."""
    q = quote(args["name"])
    return (
        PATH_SBIN + "cd / || exit 1\n"
        f"if command -v systemctl >/dev/null 2>&1 && {_SYSTEMD_BOOTED}; then pbe_m=systemd\n"
        f"elif command -v initctl >/dev/null 2>&1 && [ -f /etc/init/{q}.conf ]; "
        "then pbe_m=upstart\n"
        "elif command -v rc-service >/dev/null 2>&1; then pbe_m=openrc\n"
        f"elif [ -f /etc/init.d/{q} ]; then pbe_m=sysv\nelse pbe_m=none; fi\n"
        f"echo $pbe_m; {mark('manager')}\n"
        f"case $pbe_m in\nsystemd)\n{systemd_reads};;\n"
        f"upstart)\n{_upstart_reads(args)};;\n"
        f"openrc)\n{_openrc_reads(args)};;\n"
        f"sysv)\n{_sysv_reads(args)};;\nesac\n" + (ps_part() if args.get("pattern") else "")
    )


def _status(args: Mapping[str, Any], command: str) -> str:
    """The status section: ``command`` with ``{extra}`` where the arguments go."""
    if args.get("pattern"):
        return ""  # the process list answers instead
    extra = "".join(f" {quote(word)}" for word in _arguments(args))
    return f"{command.format(extra=extra)}; {mark('status')}\n"


def _arguments(args: Mapping[str, Any]) -> list[str]:
    """``arguments``, split into words as Ansible splits its command line."""
    return str(args.get("arguments") or "").split()


def _sysv_reads(args: Mapping[str, Any]) -> str:
    q = quote(args["name"])
    tools = " ".join(("service", *_ENABLE_TOOLS))
    status = (
        f"if command -v service >/dev/null 2>&1; then service {q} status{{extra}}; "
        f"else /etc/init.d/{q} status{{extra}}; fi </dev/null 2>/dev/null"
    )
    return (
        f"for t in {tools}; do command -v $t >/dev/null 2>&1 && echo $t; done; "
        f"{mark('tools')}\n"
        + _status(args, status)
        + f"ls -d /etc/rc?.d/[SK]??{q} 2>/dev/null; {mark('links')}\n"
        "if command -v chkconfig >/dev/null 2>&1; then\n"
        f"chkconfig --list {q} 2>/dev/null; {mark('chkconfig')}\n"
        f"chkconfig --list {q} 2>&1 >/dev/null; {mark('chkconfig-err')}\nfi\n"
    )


def _openrc_reads(args: Mapping[str, Any]) -> str:
    q = quote(args["name"])
    return (
        _status(args, f"rc-service {q} status{{extra}} </dev/null 2>&1")
        + f"rc-update show 2>/dev/null; {mark('rc-update')}\n"
    )


def _upstart_reads(args: Mapping[str, Any]) -> str:
    q = quote(args["name"])
    return (
        _status(args, f"initctl status {q}{{extra}} </dev/null 2>/dev/null")
        + f"cat /etc/init/{q}.override 2>/dev/null; {mark('override')}\n"
        f"grep -Eqi '^(start on )?manual[[:space:]]*$' /etc/init/{q}.conf; "
        f"{mark('conf-manual')}\n"
    )


def initd_state(args: Mapping[str, Any], out: str, err: str) -> Initd:
    parts = sections(out)
    manager = parts.get("manager", Section(1, "none")).text.strip() or "none"
    if manager == "systemd":
        return Initd(manager, unit=unit_state(out, err))
    status = parts.get("status")
    running, crashed = None, False
    if args.get("pattern"):
        running = ps_matches(parts.get("ps", Section(1, "")).text, args["pattern"])
    elif status is not None:
        running, crashed = _judge(manager, args["name"], status)
    return Initd(
        manager,
        running=running,
        crashed=crashed,
        tools=frozenset(parts.get("tools", Section(0, "")).text.split()),
        links=tuple(parts.get("links", Section(0, "")).text.split()),
        chkconfig=(
            parts.get("chkconfig", Section(0, "")).text,
            parts.get("chkconfig-err", Section(0, "")).text,
        ),
        runlevels=_openrc_levels(args["name"], parts.get("rc-update")),
        manual=_manual(parts.get("override")),
        conf_manual=parts.get("conf-manual", Section(1, "")).rc == 0,
    )


def _judge(manager: str, name: str, status: Section) -> tuple[bool | None, bool]:
    if manager == "openrc":
        return "started" in status.text, "crashed" in status.text
    if manager == "upstart":
        if "stop/waiting" in status.text:
            return False, False
        if "start/running" in status.text:
            return True, False
    return is_running(name, status.rc, status.text), False


def is_running(name: str, rc: int, out: str) -> bool | None:
    """An init script's ``status`` answer read as Ansible reads it: an LSB "not running"
    exit status first, then the words of a one-line answer, then exit status 0."""
    if rc in (1, 2, 3, 4, 69):
        return False
    if out.count("\n") <= 1:
        words = out.lower().replace(name.lower(), "")
        if "stop" in words:
            return False
        if "run" in words:
            return "not " not in words
        if "start" in words and "not " not in words:
            return True
        if any(w in words for w in _STOPPED_WORDS):
            return False
    if rc == 0:
        return True
    return True if name == "iptables" and "ACCEPT" in out else None


def _openrc_levels(name: str, part: Section | None) -> tuple[str, ...] | None:
    if part is None:
        return None
    for line in part.text.splitlines():
        service, sep, levels = line.partition("|")
        if sep and service.strip() == name:
            return tuple(levels.split())
    return None


def _manual(part: Section | None) -> bool:
    if part is None:
        return False
    return any(
        line.strip().lower() in ("manual", "start on manual") for line in part.text.splitlines()
    )


# -- deciding ---------------------------------------------------------------------------------


def initd_plan(args: Mapping[str, Any], host: Initd) -> Change | None:
    """The steps (enable first, then the state), or None when the service is in state."""
    name = args["name"]
    if host.enable_tool is None:
        raise NotOnHost(f"Could not find the requested service {name}: host", f"service {name}")
    steps: list[str] = []
    if args.get("enabled") is not None:
        steps += _enable_steps(args, host)
    if args.get("state") is not None:
        steps += _state_steps(args, host)
    if not steps:
        return None
    return Change("|".join((_runner(host), *steps)), None, initd_values(args, host))


def _runner(host: Initd) -> str:
    """What runs the service's actions: its manager, or for an init script ``service``
    when the host has it, else the script itself."""
    if host.manager == "sysv" and "service" not in host.tools:
        return "script"
    return "service" if host.manager == "sysv" else host.manager


def initd_values(args: Mapping[str, Any], host: Initd) -> dict[str, Any]:
    values: dict[str, Any] = {"name": args["name"]}
    if args.get("enabled") is not None:
        values["enabled"] = args["enabled"]
    if args.get("state") is not None:
        values["state"] = "stopped" if args["state"] == "stopped" else "started"
    return values


def _enable_steps(args: Mapping[str, Any], host: Initd) -> list[str]:
    on, name = bool(args["enabled"]), args["name"]
    tool = host.enable_tool
    if tool in ("update-rc.d", "insserv"):
        if host.started_links == on:
            return []
        if tool == "insserv":
            return ["insserv:" + ("on" if on else "off")]
        first = [] if not on or any("/K" in link for link in host.links) else ["rcd:defaults"]
        return [*first, "rcd:" + ("enable" if on else "disable")]
    if tool == "chkconfig":
        return _chkconfig_steps(name, on, host.chkconfig)
    if tool == "openrc":
        level = args.get("runlevel") or "default"
        there = host.runlevels is not None and level in host.runlevels
        return [] if there == on else ["openrc:" + ("add" if on else "delete")]
    if host.conf_manual:
        raise ModuleError("manual stanza not supported in a .conf file")
    return [] if host.manual != on else ["upstart:" + ("on" if on else "off")]


def _chkconfig_steps(name: str, on: bool, listing: tuple[str, str]) -> list[str]:
    out, err = listing
    word = "on" if on else "off"
    if f"chkconfig --add {name}" in err:
        return ["chkconfig:add", f"chkconfig:{word}"]
    if name not in out:
        raise ModuleError(f"service {name} does not support chkconfig")
    in_state = f"3:{word}" in out and f"5:{word}" in out
    return [] if in_state else [f"chkconfig:{word}"]


def _state_steps(args: Mapping[str, Any], host: Initd) -> list[str]:
    state, running = args["state"], host.running
    if running is None:
        raise ModuleError("failed determining service state, possible typo of service name?")
    if state == "restarted":
        if host.manager == "openrc":
            return ["ctl:restart"]
        sleep = [f"sleep:{int(args['sleep'])}"] if args.get("sleep") else []
        return ["ctl:stop?", *sleep, *_start(host)]
    if state == "stopped":
        return ["ctl:stop"] if running else []
    if not running:
        return _start(host)
    return ["ctl:reload"] if state == "reloaded" else []


def _start(host: Initd) -> list[str]:
    return ["ctl:zap?", "ctl:start"] if host.crashed else ["ctl:start"]


# -- changing ---------------------------------------------------------------------------------


def initd_apply(args: Mapping[str, Any], op: str) -> str:
    """The changing script for ``initd_plan``'s op: the runner, then the steps."""
    runner, *steps = op.split("|")
    return steps_script([_step(args, runner, s) for s in steps])


def _step(args: Mapping[str, Any], runner: str, step: str) -> Step:
    kind, _, what = step.partition(":")
    fatal = not what.endswith("?")  # a restart's stop may fail when its start works
    if kind == "ctl":
        argv = (*_control(runner, args["name"], what.rstrip("?")), *_arguments(args))
        return Step(step, argv, fatal=fatal)
    if kind == "sleep":
        return Step(step, ("sleep", what))
    return Step(step, _enable_command(args, kind, what))


def _control(runner: str, name: str, action: str) -> tuple[str, ...]:
    return {
        "upstart": ("initctl", action, name),
        "openrc": ("rc-service", name, action),
        "service": ("service", name, action),
    }.get(runner, (f"/etc/init.d/{name}", action))


def _enable_command(args: Mapping[str, Any], kind: str, what: str) -> tuple[str, ...]:
    name = args["name"]
    commands: dict[str, tuple[str, ...]] = {
        "rcd": ("update-rc.d", name, what),
        "insserv": ("insserv", name) if what == "on" else ("insserv", "-r", name),
        "chkconfig": ("chkconfig", "--add", name) if what == "add" else ("chkconfig", name, what),
        "openrc": ("rc-update", what, name, args.get("runlevel") or "default"),
        "upstart": _upstart_override(name, what == "on"),
    }
    return commands[kind]


def _upstart_override(name: str, on: bool) -> tuple[str, ...]:
    path = f"/etc/init/{name}.override"
    if on:
        script = 'sed -i "/^\\(start on \\)\\{0,1\\}manual[[:space:]]*$/Id" "$1"'
    else:
        script = 'printf "manual\\n" >> "$1"'
    return ("sh", "-c", script, "override", path)


def initd_failure(args: Mapping[str, Any], out: str) -> str:
    """Ansible's message for the step that failed: the tool's own words."""
    failed = failed_step(out)
    name = args["name"]
    if failed is None:
        return f"could not change service {name}"
    step, stdout, stderr = failed
    kind, _, what = step.partition(":")
    if kind in ("ctl", "rcd", "insserv"):
        return (stderr or stdout).strip() or f"{what.rstrip('?')} failed for service {name}"
    if kind == "upstart":
        return "Could not modify override file"
    if stderr.strip():
        return f"Error when trying to {what} {name}: {stderr.strip()}"
    return f"Failure for {what} {name}: {stdout.strip()}"
