"""The ``sysvinit`` module's logic (and ``service``'s where the host's ``service_mgr`` is
sysvinit): an init script run directly, enabled with update-rc.d or chkconfig, per runlevel.

The result keeps Ansible's shape for this module: ``status`` holds, for ``enabled`` and for
the state asked, whether it changed and what the last command printed (``rc``, ``stdout``,
``stderr``; null in check mode and when nothing ran).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import NotOnHost
from ...transport.base import CommandResult
from ...transport.shell import quote
from .initd import Initd
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

__all__ = ["applied", "apply", "failure", "plan", "probe", "running", "state", "values"]

_STOPPED = ("stop", "is dead ", "dead but ", "could not access pid file", "inactive")
_STARTED = ("run", "start", "active")
_ACTIONS = {"started": "start", "stopped": "stop", "restarted": "restart", "reloaded": "reload"}


def script(name: str) -> str:
    return name if name.startswith("/") else f"/etc/init.d/{name}"


def probe(args: Mapping[str, Any]) -> str:
    name = args["name"]
    q, path = quote(name), quote(script(name))
    status = (
        ""
        if args.get("pattern")
        else (
            f"if command -v service >/dev/null 2>&1; then service {q} status; "
            f"else {path} status; fi </dev/null 2>/dev/null; {mark('status')}\n"
        )
    )
    return (
        PATH_SBIN + f"cd / || exit 1\necho sysvinit; {mark('manager')}\n"
        f"[ -e {path} ]; {mark('exists')}\n"
        "for t in update-rc.d chkconfig service; do command -v $t >/dev/null 2>&1 && "
        f"echo $t; done; {mark('tools')}\n"
        f"{{ if [ -d /etc/rc0.d ]; then ls -d /etc/rc?.d/S??{q}; "
        f"else ls -d /etc/init.d/rc?.d/S??{q}; fi; }} 2>/dev/null; {mark('links')}\n"
        + status
        + (ps_part() if args.get("pattern") else "")
    )


def state(args: Mapping[str, Any], out: str) -> Initd:
    parts = sections(out)
    status = parts.get("status")
    if args.get("pattern"):
        up: bool | None = ps_matches(parts.get("ps", Section(1, "")).text, args["pattern"])
    else:
        up = running(args["name"], status.rc, status.text) if status else False
    return Initd(
        "sysvinit",
        running=up,
        exists=parts.get("exists", Section(1, "")).rc == 0,
        tools=frozenset(parts.get("tools", Section(0, "")).text.split()),
        links=tuple(parts.get("links", Section(0, "")).text.split()),
    )


def running(name: str, rc: int, out: str) -> bool:
    """The ``status`` answer read as Ansible's sysvinit module reads it: the words of a
    one-line answer first, then an LSB exit status; a service it cannot judge is down."""
    if name == "iptables" and "ACCEPT" in out:
        return True
    if out.count("\n") <= 1:
        words = out.lower().replace(name.lower(), "")
        if any(w in words for w in _STOPPED):
            return False
        if any(w in words for w in _STARTED) and "not " not in words:
            return True
    return rc == 0


def _levels_on(host: Initd) -> set[str]:
    """The runlevels whose rc directory starts the service."""
    return {link.split("/rc")[1][0] for link in host.links if "/rc" in link}


def plan(args: Mapping[str, Any], host: Initd) -> Change | None:
    if not host.exists:
        name = args["name"]
        raise NotOnHost(f"Could not find the requested service {name}: ", f"service {name}")
    steps = _enable_steps(args, host) + _state_steps(args, host)
    if not steps:
        return None
    return Change("|".join(steps), None, values(args, host, steps))


def _enable_steps(args: Mapping[str, Any], host: Initd) -> list[str]:
    on = args.get("enabled")
    if on is None:
        return []
    levels = [str(rl) for rl in args.get("runlevels") or []]
    started = _levels_on(host)
    if levels and all((rl in started) == on for rl in levels):
        return []
    if not levels and bool(started) == on:
        return []
    tool = (
        "update-rc.d"
        if "update-rc.d" in host.tools
        else "chkconfig"
        if "chkconfig" in host.tools
        else "none"
    )
    # update-rc.d changes links that exist: a script without any gets its defaults first
    first = ["enable:defaults"] if tool == "update-rc.d" and on and not host.links else []
    if first and not levels:
        return first
    return [*first, f"enable:{'on' if on else 'off'}:{tool}"]


def _state_steps(args: Mapping[str, Any], host: Initd) -> list[str]:
    wanted = args.get("state")
    if wanted is None:
        return []
    seconds = 1 if args.get("sleep") is None else int(args["sleep"])  # the module's default
    pause = [f"sleep:{seconds}"] if seconds else []
    if wanted == "restarted":
        return ["state:stop", *pause, "state:start", *pause]
    if wanted == "stopped":
        return ["state:stop"] if host.running else []
    if not host.running:
        return ["state:start"]
    return ["state:reload"] if wanted == "reloaded" else []


def values(args: Mapping[str, Any], host: Initd, steps: list[str] | None = None) -> dict[str, Any]:
    """Ansible's result: ``status`` per part asked for, with what ran (nothing yet)."""
    steps = steps or []
    status: dict[str, Any] = {"enabled": _outcome(any(s.startswith("enable:") for s in steps))}
    if args.get("runlevels"):
        status["enabled"]["runlevels"] = [str(rl) for rl in args["runlevels"]]
    if args.get("state") is not None:
        status[args["state"]] = _outcome(any(s.startswith("state:") for s in steps))
    return {"name": args["name"], "status": status}


def _outcome(changed: bool, res: tuple[int, str, str] | None = None) -> dict[str, Any]:
    rc, out, err = res if res is not None else (None, None, None)
    return {"changed": changed, "rc": rc, "stdout": out, "stderr": err}


def apply(args: Mapping[str, Any], op: str) -> str:
    return steps_script([_step(args, s) for s in op.split("|")])


def _step(args: Mapping[str, Any], step: str) -> Step:
    kind, _, what = step.partition(":")
    name = args["name"]
    if kind == "sleep":
        return Step(step, ("sleep", what))
    if kind == "state":
        extra = str(args.get("arguments") or "").split()
        return Step(step, (script(name), what, *extra))
    levels = [str(rl) for rl in args.get("runlevels") or []]
    word, _, tool = what.partition(":")
    if word == "defaults":
        return Step(step, ("update-rc.d", name, "defaults"))
    if tool == "update-rc.d":
        return Step(step, ("update-rc.d", name, "enable" if word == "on" else "disable", *levels))
    if tool == "chkconfig":
        level = ("--level", "".join(levels)) if levels else ()
        return Step(step, ("chkconfig", *level, name, word))
    return Step(step, ("true",))


def applied(change: Change, out: str) -> dict[str, Any]:
    """The values with what the last command of each part printed."""
    parts = sections(out)
    result = dict(change.values)
    status = {k: dict(v) for k, v in result["status"].items()}
    for key, prefix in (("enabled", "enable:"), (_state_key(status), "state:")):
        ran = [k[4:] for k in parts if k.startswith("out:" + prefix)]
        if key and ran:
            out_part = parts[f"out:{ran[-1]}"]
            err_part = parts.get(f"err:{ran[-1]}", Section(0, ""))
            status[key].update(_outcome(True, (out_part.rc, out_part.text, err_part.text)))
    result["status"] = status
    return result


def _state_key(status: Mapping[str, Any]) -> str | None:
    return next((k for k in status if k != "enabled"), None)


def failure(args: Mapping[str, Any], op: str, res: CommandResult) -> str:
    failed = failed_step(res.out)
    if failed is None:
        return f"Failed to change service {args['name']}: rc={res.rc}"
    if not failed[0].startswith("state:"):
        words = (failed[2] or failed[1]).strip()
        return (
            f"Failed to {'enable' if args['enabled'] else 'disable'} service "
            f"{args['name']}: {words}"
        )
    return f"Failed to {_ACTIONS.get(str(args['state']), failed[0][6:])} service: {args['name']}"
