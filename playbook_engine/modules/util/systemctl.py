"""systemd units through ``systemctl``: read, decide, change (the ``systemd`` module, and
``service`` where systemd manages the host).

One command reads the unit: ``systemctl show`` (every property: the ``status`` Ansible
returns), ``systemctl is-enabled``, whether an init script of the name exists and is linked
in a runlevel, and where ``show`` cannot answer, ``list-unit-files``. A requested
``daemon-reload``/``daemon-reexec`` runs first in that same command, as Ansible runs it
before reading (not in check mode). One more command makes every change, in Ansible's
order: mask or unmask, enable or disable, then the state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...errors import ModuleError, NotOnHost
from ...transport.shell import quote
from .services import PATH_SBIN, Section, Step, failed_step, mark, sections, steps_script
from .state import Change

__all__ = [
    "Unit",
    "parse_show",
    "unit_apply",
    "unit_failure",
    "unit_plan",
    "unit_probe",
    "unit_state",
    "unit_values",
]

# is-enabled answers that mean "a unit file systemd knows" (systemctl(1))
_KNOWN_STATES = frozenset(
    {
        "enabled",
        "enabled-runtime",
        "linked",
        "linked-runtime",
        "masked",
        "masked-runtime",
        "static",
        "indirect",
        "disabled",
        "generated",
        "transient",
    }
)
# is-enabled exits 0 for these, yet enabling them is still asked for (as Ansible does)
_NOT_REALLY_ENABLED = frozenset({"enabled-runtime", "indirect", "alias"})
_RUNNING = frozenset({"active", "activating"})
_RUNTIME_DIR = (
    '[ -n "${XDG_RUNTIME_DIR:-}" ] || '
    "{ XDG_RUNTIME_DIR=/run/user/$(id -u); export XDG_RUNTIME_DIR; }\n"
)


@dataclass(frozen=True, slots=True)
class Unit:
    """What the probe learned of a unit (``status`` is empty when ``show`` failed)."""

    status: dict[str, str] = field(default_factory=dict)
    shown: bool = False  # show answered (rc 0, request not ignored)
    enabled_word: str = ""  # is-enabled's answer
    enabled_rc: int = 1
    initd: bool = False  # /etc/init.d/NAME exists
    sysv_enabled: bool = False  # and is linked to start in a runlevel
    listed: bool = False  # list-unit-files knows it (asked only when show failed)
    offline: bool = False  # a chroot, or SYSTEMD_OFFLINE=1: no manager to ask

    @property
    def is_systemd(self) -> bool:
        if self.shown:
            return self.status.get("LoadState", "not-found") != "not-found"
        return self.enabled_word in _KNOWN_STATES or self.listed

    @property
    def found(self) -> bool:
        return self.is_systemd or self.initd


def parse_show(text: str) -> dict[str, str]:
    """``systemctl show`` output as a dict. Only ``Exec*`` values span lines (``{ … }``);
    any other value is one line, even one that opens a brace."""
    props: dict[str, str] = {}
    pending: tuple[str, list[str]] | None = None
    for line in text.splitlines():
        if pending is not None:
            pending[1].append(line)
            if line.rstrip().endswith("}"):
                props[pending[0]] = "\n".join(pending[1]).strip()
                pending = None
            continue
        key, sep, value = line.partition("=")
        if not sep:
            continue
        opens = key.startswith("Exec") and value.lstrip().startswith("{")
        if opens and not value.rstrip().endswith("}"):
            pending = (key, [value])
        else:
            props[key] = value.strip()
    return props


# -- reading ----------------------------------------------------------------------------------


def systemctl(args: Mapping[str, Any], changing: bool = False) -> str:
    """The systemctl command line for the task's scope (and, to change, its flags)."""
    words = ["systemctl"]
    if (args.get("scope") or "system") != "system":
        words.append(f"--{args['scope']}")
    if changing and args.get("no_block"):
        words.append("--no-block")
    if changing and args.get("force"):
        words.append("--force")
    return " ".join(words)


def unit_probe(args: Mapping[str, Any], check: bool) -> str:
    """The one reading command (daemon-reload/-reexec first, for real runs)."""
    name = args.get("name")
    if name:
        for glob in ("*", "?", "["):
            if glob in name:
                raise ModuleError(
                    "This module does not currently support using glob "
                    f"patterns, found '{glob}' in service name: {name}"
                )
    script = PATH_SBIN + _RUNTIME_DIR + _manager_ops(args, check)
    return script + (_unit_reads(args) if name else "")


def _manager_ops(args: Mapping[str, Any], check: bool) -> str:
    ops = [op for op in ("daemon_reload", "daemon_reexec") if args.get(op) and not check]
    return "".join(
        f"{{ {systemctl(args)} {op.replace('_', '-')}; }} 2>&1; {mark(op)}\n" for op in ops
    )


def _unit_reads(args: Mapping[str, Any]) -> str:
    unit, ctl = quote(args["name"]), systemctl(args)
    script = (
        f"{ctl} show {unit}; pbe_s=$?; (exit $pbe_s); {mark('show')}\n"
        f"{ctl} is-enabled {unit} 2>/dev/null; {mark('is-enabled')}\n"
        f'[ "$pbe_s" = 0 ] || {{ {ctl} list-unit-files {unit} >/dev/null 2>&1; '
        f"{mark('listed')}; }}\n"
        f'printf "%s\\n" "${{SYSTEMD_OFFLINE:-}}"; '
        f"stat -L -c %d:%i / /proc/1/root 2>/dev/null; {mark('offline')}\n"
    )
    if (args.get("scope") or "system") == "system":
        script += (
            f"[ -e /etc/init.d/{unit} ]; {mark('initd')}\n"
            f"ls -d /etc/rc?.d/S??{unit} 2>/dev/null; {mark('rc-links')}\n"
        )
    return script


def unit_state(out: str, err: str) -> Unit:
    """The probe's output as a ``Unit``; ModuleError when a daemon-reload failed or the unit
    file does not load."""
    parts = sections(out)
    offline = _offline(parts.get("offline"))
    for op in ("daemon_reload", "daemon_reexec"):
        part = parts.get(op)
        if part is not None and part.rc != 0 and not offline:
            raise ModuleError(
                f"failure {part.rc} during {op.replace('_', '-')}: {part.text.strip()}"
            )
    show = parts.get("show", Section(1, ""))
    ignored = "=" not in show.text and any(
        "ignoring " + w in text for w in ("request", "command") for text in (show.text, err)
    )
    shown = show.rc == 0 and not ignored
    enabled = parts.get("is-enabled", Section(1, ""))
    rc_links = parts.get("rc-links", Section(1, ""))
    return Unit(
        status=parse_show(show.text) if shown else {},
        shown=shown,
        enabled_word=enabled.text.strip(),
        enabled_rc=enabled.rc,
        initd=parts.get("initd", Section(1, "")).rc == 0,
        sysv_enabled=bool(rc_links.text.strip()),
        listed=parts.get("listed", Section(1, "")).rc == 0,
        offline=offline,
    )


def _offline(part: Section | None) -> bool:
    if part is None:
        return False
    lines = part.text.split()
    flag = lines[0] if lines and ":" not in lines[0] else ""
    roots = [line for line in lines if ":" in line]
    return flag == "1" or (len(roots) == 2 and roots[0] != roots[1])


# -- deciding ---------------------------------------------------------------------------------


def unit_plan(args: Mapping[str, Any], unit: Unit) -> Change | None:
    """Every change the unit needs, in Ansible's order; None when it is in state."""
    name = args.get("name")
    if not name:
        return None
    _check_loads(name, unit)
    steps: list[str] = []
    values = unit_values(args, unit)
    mask = _mask_step(args, unit)
    if mask:
        steps.append(mask if unit.found else f"{mask}:missing")
    if args.get("enabled") is not None:
        _must_exist(name, unit)
        if _enabled(args, unit, mask) != args["enabled"] or mask == "unmask":
            steps.append("enable" if args["enabled"] else "disable")
    if args.get("state") is not None:
        _must_exist(name, unit)
        action = _state_action(args["state"], unit)
        if action:
            steps.append(action)
    return Change(",".join(steps), None, values) if steps else None


def unit_values(args: Mapping[str, Any], unit: Unit) -> dict[str, Any]:
    """The registered values (the state and enablement asked for, as Ansible reports)."""
    values: dict[str, Any] = {"name": args.get("name"), "status": dict(unit.status)}
    if args.get("enabled") is not None:
        values["enabled"] = args["enabled"]
    if args.get("state") is not None:
        bounced = args["state"] in ("restarted", "reloaded") and "ActiveState" in unit.status
        values["state"] = "started" if bounced else args["state"]
    return values


def _check_loads(name: str, unit: Unit) -> None:
    masked = unit.status.get("LoadState") == "masked"
    if unit.is_systemd and unit.shown and not masked and "LoadError" in unit.status:
        raise ModuleError(f"Error loading unit file '{name}': {unit.status['LoadError']}")


def _must_exist(name: str, unit: Unit) -> None:
    if not unit.found:
        raise NotOnHost(f"Could not find the requested service {name}: host", f"service {name}")


def _mask_step(args: Mapping[str, Any], unit: Unit) -> str | None:
    if args.get("masked") is None:
        return None
    masked = unit.enabled_word == "masked"
    if masked == args["masked"]:
        return None
    return "mask" if args["masked"] else "unmask"


def _enabled(args: Mapping[str, Any], unit: Unit, mask: str | None) -> bool:
    """Whether the unit counts as enabled, as it will be after the mask step."""
    if mask == "mask":
        return False
    if unit.enabled_rc == 0:
        return unit.enabled_word not in _NOT_REALLY_ENABLED
    if unit.enabled_rc == 1:
        return (
            (args.get("scope") or "system") == "system"
            and unit.initd
            and not unit.enabled_word.endswith("disabled")
            and unit.sysv_enabled
        )
    return False


def _state_action(state: str, unit: Unit) -> str | None:
    active = unit.status.get("ActiveState")
    if active is None:
        if unit.offline:
            return None  # Ansible warns and leaves the state alone
        raise ModuleError("Service is in unknown state")
    running = active in _RUNNING
    if state == "started":
        return None if running else "start"
    if state == "stopped":
        return "stop" if running or active == "deactivating" else None
    return state[:-2] if running else "start"  # restart / reload


# -- changing ---------------------------------------------------------------------------------


def unit_apply(args: Mapping[str, Any], change: Change) -> str:
    ctl = systemctl(args, changing=True).split()
    steps = [Step(step, (*ctl, step.split(":")[0], args["name"])) for step in change.op.split(",")]
    return _RUNTIME_DIR + steps_script(steps)


def unit_failure(args: Mapping[str, Any], out: str) -> str:
    """Ansible's message for the step that failed."""
    failed = failed_step(out)
    name = args["name"]
    if failed is None:
        return f"systemctl failed on {name}"
    step, stdout, stderr = failed
    action, _, missing = step.partition(":")
    if action in ("mask", "unmask"):
        if missing:  # some systemd versions mask units that do not exist; this one did not
            return f"Could not find the requested service {name}: host"
        return f"Failed to {action} the service ({name}): {stderr.strip()}"
    if action in ("enable", "disable"):
        return f"Unable to {action} service {name}: {(stdout + stderr).strip()}"
    return f"Unable to {action} service {name}: {stderr.strip()}"
