"""haproxy: enable, disable, drain or re-weight a backend server through HAProxy's stats
socket, from the host's shell (``socat``, else ``nc -U``).

One probe reads ``show stat`` (HAProxy's CSV: one row per server, ``pxname``/``svname``,
``status``, ``weight``, ``scur``), and ``show info`` for the version when draining. One
command sends the socket commands community.general.haproxy sends, one connection per
backend, and reads ``show stat`` again; ``changed`` is whether the server's status, weight
or session count differ before and after, as in Ansible. With ``wait`` the status is polled
(``wait_retries`` times, ``wait_interval`` seconds apart).

Ansible's module has no check mode. pbe predicts the run from the status where HAProxy's
answer is certain (a server already in MAINT stays so when disabled, one in MAINT or DRAIN
comes out of it when enabled) and reports the task as unpredictable otherwise.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.hostedit import need, section, sections

# hx CMD: one command line to the socket, its answer on stdout.
_CLIENT = (
    "hx() { if command -v socat >/dev/null 2>&1; then "
    'printf \'%s\\n\' "$1" | socat -t 5 stdio "UNIX-CONNECT:$S"; '
    'elif command -v nc >/dev/null 2>&1; then printf \'%s\\n\' "$1" | nc -U "$S"; '
    "else echo 'neither socat nor nc is installed on the host' >&2; return 127; fi; }"
)
State = list[dict[str, str]] | None


@dataclass(frozen=True, slots=True)
class Stats:
    """``show stat`` as rows, and the version from ``show info`` when it was asked."""

    rows: list[dict[str, str]]
    version: tuple[int, int] | None = None

    def state_for(self, backend: str | None, server: str) -> State:
        """status, weight and scur of the server in one backend (or in all: None)."""
        found = [
            {"status": r["status"], "weight": r["weight"], "scur": r["scur"]}
            for r in self.rows
            if (backend is None or r.get("pxname") == backend) and r.get("svname") == server
        ]
        return found or None

    def backends(self) -> list[str]:
        return [r["pxname"] for r in self.rows if r.get("svname") == "BACKEND"]


@dataclass(frozen=True, slots=True)
class Step:
    """One socket command line for every backend, and the status a wait expects."""

    template: str  # with {b} for the backend/server name
    status: str


@register("haproxy", "community.general.haproxy")
class Haproxy(Module):
    """Enable, disable, drain or set the weight of a HAProxy backend server."""

    args = {
        "state": Arg(
            "str",
            required=True,
            choices=("enabled", "disabled", "drain"),
            description="What the server should be.",
        ),
        "host": Arg("str", required=True, description="The server's name in the backend."),
        "backend": Arg("str", description="The backend; unset: every backend with the server."),
        "weight": Arg("str", description="With enabled: the weight to set (`10`, or `50%`)."),
        "socket": Arg(
            "path", default="/var/run/haproxy.sock", description="HAProxy's stats socket."
        ),
        "shutdown_sessions": Arg(
            "bool", default=False, description="With disabled: end the server's sessions."
        ),
        "fail_on_not_found": Arg(
            "bool", default=False, description="Fail when the backend has no such server."
        ),
        "health": Arg("bool", default=False, description="Also enable/disable health checks."),
        "agent": Arg("bool", default=False, description="Also enable/disable agent checks."),
        "wait": Arg(
            "bool",
            default=False,
            description="Wait until the status is UP (enabled), MAINT (disabled) or DRAIN.",
        ),
        "wait_retries": Arg("int", default=25, description="How many times to look."),
        "wait_interval": Arg("int", default=5, description="Seconds between two looks."),
        "drain": Arg(
            "bool",
            default=False,
            description="With disabled: drain first and wait for MAINT with no sessions left "
            "(overrides shutdown_sessions).",
        ),
    }
    returns = {
        "command": "the socket commands sent, one entry per backend",
        "output": "HAProxy's answer to each",
        "state_before": "status, weight and scur of the server in each backend, before",
        "state_after": "the same, after",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        drains = args["state"] == "drain" or (args["state"] == "disabled" and args["drain"])
        stats = _read(ctx, args["socket"], info=drains)
        before = stats.state_for(args["backend"], args["host"])
        targets = _targets(args, stats)
        steps = _steps(args, stats.version)
        if ctx.check:
            return _predict(args, stats, targets, steps, before)
        sent: dict[str, list[str]] = {"command": [], "output": []}
        for step in steps:
            _send(ctx, args, step, targets, sent)
        after = _read(ctx, args["socket"]).state_for(args["backend"], args["host"])
        values = {**sent, "state_before": before, "state_after": after}
        return Result(changed=before != after, values=values)


def _client(socket: str) -> str:
    return f"S={quote(socket)}; {_CLIENT}"


def _read(ctx: ModuleContext, socket: str, info: bool = False) -> Stats:
    script = _client(socket) + "; " + section("stat", 'hx "show stat"')
    if info:
        script += "; " + section("info", 'hx "show info"')
    res = ctx.run(script)
    found = sections(res.out)
    stat = need(found, "stat", res)
    if stat.rc != 0:
        raise ModuleError(_failure(socket, stat.text, res))
    version = parse_version(found["info"].text) if "info" in found else None
    return Stats(parse_stat(stat.text), version)


def _failure(socket: str, text: str, res: CommandResult) -> str:
    detail = (res.err or text).strip() or "no answer"
    return f"cannot talk to HAProxy on {socket}: {detail}"


def parse_stat(text: str) -> list[dict[str, str]]:
    """``show stat`` CSV (its header starts with ``# ``) as one dict per row (pure)."""
    return list(csv.DictReader(text.lstrip("# ").splitlines()))


def parse_version(text: str) -> tuple[int, int] | None:
    """(major, minor) from ``show info``'s ``Version:`` line (pure)."""
    for line in text.splitlines():
        if "Version:" in line:
            parts = line.partition(":")[2].strip().split(".", 3)
            try:
                return int(parts[0]), int(parts[1])
            except (ValueError, IndexError):
                return None
    return None


def _targets(args: dict[str, Any], stats: Stats) -> list[str]:
    """The backends that have the server; ``fail_on_not_found`` fails for one that has not."""
    backends = [args["backend"]] if args["backend"] is not None else stats.backends()
    found = []
    for backend in backends:
        if stats.state_for(backend, args["host"]) is not None:
            found.append(backend)
        elif args["fail_on_not_found"]:
            raise ModuleError(f"The specified backend '{backend}/{args['host']}' was not found!")
    return found


def _steps(args: dict[str, Any], version: tuple[int, int] | None) -> list[Step]:
    state = args["state"]
    if state == "enabled":
        return [Step(_enable(args), "UP")]
    if state == "disabled" and not args["drain"]:
        return [Step(_disable(args), "MAINT")]
    if version is None or version < (1, 5):  # HAProxy before 1.5 cannot drain: nothing done
        return []
    drain = Step("set server {b} state drain", "DRAIN")
    return [drain] if state == "drain" else [drain, Step(_disable(args), "MAINT")]


def _enable(args: dict[str, Any]) -> str:
    words = ["get weight {b}", "enable server {b}"]
    words += ["enable agent {b}"] if args["agent"] else []
    words += ["enable health {b}"] if args["health"] else []
    words += [f"set weight {{b}} {args['weight']}"] if args["weight"] else []
    return "; ".join(words)


def _disable(args: dict[str, Any]) -> str:
    words = ["get weight {b}"]
    words += ["disable agent {b}"] if args["agent"] else []
    words += ["disable health {b}"] if args["health"] else []
    words += ["disable server {b}"]
    words += ["shutdown sessions server {b}"] if args["shutdown_sessions"] else []
    return "; ".join(words)


def _send(
    ctx: ModuleContext,
    args: dict[str, Any],
    step: Step,
    targets: list[str],
    sent: dict[str, list[str]],
) -> None:
    """The step's command for each backend: all in one round trip, or one by one with a
    wait after each."""
    pairs = [(b, step.template.format(b=f"{b}/{args['host']}")) for b in targets]
    for group in [[pair] for pair in pairs] if args["wait"] else [pairs] if pairs else []:
        answers = _exchange(ctx, args["socket"], [command for _, command in group])
        for (backend, command), answer in zip(group, answers, strict=True):
            sent["command"].append(command)
            sent["output"].append(answer)
            if args["wait"]:
                _wait(ctx, args, backend, step.status)


def _exchange(ctx: ModuleContext, socket: str, commands: list[str]) -> list[str]:
    """Send each command line on its own connection (one round trip); the answers."""
    script = _client(socket)
    for index, command in enumerate(commands):
        script += "; " + section(f"c{index}", f"hx {quote(command)}")
    res = ctx.run(script)
    found = sections(res.out)
    answers = []
    for index in range(len(commands)):
        answer = need(found, f"c{index}", res)
        if answer.rc != 0:
            raise ModuleError(_failure(socket, answer.text, res))
        answers.append(answer.text.strip())
    return answers


def _wait(ctx: ModuleContext, args: dict[str, Any], backend: str, status: str) -> None:
    for _ in range(1, args["wait_retries"]):
        state = _read(ctx, args["socket"]).state_for(backend, args["host"])
        if _reached(state, status, args["drain"]) or ctx.sleep(args["wait_interval"]):
            return
    raise ModuleError(
        f"server {backend}/{args['host']} not status '{status}' after "
        f"{args['wait_retries']} retries. Aborting."
    )


def _reached(state: State, status: str, drain: bool) -> bool:
    """The status waited for (with ``drain``: and no sessions left); a server that is down
    does not drain, so that wait ends too."""
    if state is None:
        return False
    now = state[0]["status"]
    if status == "DRAIN" and "DOWN" in now:
        return True
    return status in now and (not drain or state[0]["scur"] == "0")


def _predict(
    args: dict[str, Any], stats: Stats, targets: list[str], steps: list[Step], before: State
) -> Result:
    """Check mode: the change where the status decides it, else unpredictable."""
    values = {"state_before": before}
    outcomes = [_outcome(args, stats.state_for(b, args["host"]), steps) for b in targets]
    if any(outcome is None for outcome in outcomes):
        return Result(changed=True, values=values, unknown=True)
    return Result(changed=any(outcomes), values=values)


def _outcome(args: dict[str, Any], state: State, steps: list[Step]) -> bool | None:
    """Whether the steps change this server's state (None: HAProxy alone knows)."""
    if not steps or state is None:
        return False
    status, weight = state[0]["status"], state[0]["weight"]
    if args["state"] == "enabled":
        if args["agent"] or args["health"] or str(args["weight"] or "").endswith("%"):
            return None
        if "MAINT" in status or "DRAIN" in status:
            return True
        return bool(args["weight"]) and str(args["weight"]) != weight
    if args["state"] == "drain":
        return False if "DRAIN" in status else None
    if args["drain"]:
        return None
    if "MAINT" not in status:
        return True
    return None if args["shutdown_sessions"] and state[0]["scur"] != "0" else False
