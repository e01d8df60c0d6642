"""snap: snaps installed, removed, enabled or disabled, and their options, with snapd's
``snap`` command.

One probe reads ``snap version``, ``snap list`` (name, revision, tracked channel, notes
such as "disabled") and, where ``options`` are given, each installed snap's configuration
(``snap get -d``); the plan decides from that alone and one command (a chain of ``snap
install/refresh/remove/enable/disable/set``) makes the change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .util.hostedit import Edit, need, section, sections
from .util.state import StateModule

_NO_SNAP = 127


@dataclass(frozen=True, slots=True)
class Snap:
    """One row of ``snap list``."""

    name: str
    revision: str
    tracking: str
    notes: frozenset[str]


@dataclass(frozen=True, slots=True)
class Snaps:
    """What the probe found: installed snaps by name, ``snap version`` and each configured
    snap's options (``snap get -d``)."""

    installed: dict[str, Snap]
    version: dict[str, str]
    config: dict[str, dict[str, Any]] = field(default_factory=dict)


def parse_list(text: str) -> dict[str, Snap]:
    """``snap list``: "Name Version Rev Tracking Publisher Notes" rows (pure); "No snaps
    are installed yet" is an empty list."""
    out = {}
    for line in text.splitlines()[1:]:
        words = line.split()
        if len(words) < 6 or not words[2].isdigit() and not words[2].startswith("x"):
            continue
        notes = frozenset(n for n in words[5].split(",") if n != "-")
        out[words[0]] = Snap(words[0], words[2], words[3], notes)
    return out


def parse_version(text: str) -> dict[str, str]:
    """``snap version``: "snapd   2.61" lines as a dict."""
    pairs = (line.split(None, 1) for line in text.splitlines())
    return {p[0]: p[1].strip() for p in pairs if len(p) == 2}


def channel_of(channel: str) -> str:
    """A channel without a track tracks ``latest``: "edge" is "latest/edge"."""
    return channel if "/" in channel else f"latest/{channel}"


def parse_options(options: list[str], names: list[str]) -> dict[str, dict[str, str]]:
    """``key=value`` (for every snap named) or ``snap:key=value``, by snap."""
    out: dict[str, dict[str, str]] = {}
    for option in options:
        target, _, rest = (
            option.partition(":") if ":" in option.split("=", 1)[0] else ("", "", option)
        )
        key, sep, value = rest.partition("=")
        if not sep or not key.strip():
            raise ModuleError(
                f"option '{option}' is not in the format 'key=value' or 'snap:key=value'"
            )
        for snap in [target] if target else names:
            out.setdefault(snap, {})[key.strip()] = value.strip()
    return out


def _lookup(config: dict[str, Any], key: str) -> Any:
    node: Any = config
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _same(current: Any, wanted: str) -> bool:
    if current is None:
        return False
    return (current if isinstance(current, str) else json.dumps(current)) == wanted


@register("snap", "community.general.snap")
class SnapModule(StateModule[Snaps]):
    """Install, remove, enable or disable snaps and set their options."""

    args = {
        "name": Arg(
            "list",
            required=True,
            elements="str",
            description="The snaps (`system`: snapd's own options).",
        ),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "present", "enabled", "disabled"),
            description="present, absent, enabled or disabled.",
        ),
        "classic": Arg("bool", default=False, description="Classic confinement (one snap only)."),
        "channel": Arg("str", description="The channel to install and track (one snap only)."),
        "revision": Arg("int", description="Install and hold this revision (one snap only)."),
        "options": Arg(
            "list",
            elements="str",
            description="key=value or snap:key=value options (state present).",
        ),
        "dangerous": Arg("bool", default=False, description="Install without checking assertions."),
        "devmode": Arg("bool", default=False, description="Install in developer mode."),
    }
    mutually_exclusive = (("channel", "revision"),)
    returns = {
        "channel": "the channel installed from",
        "classic": "classic confinement",
        "revision": "the revision asked",
        "cmd": "the command run",
        "snaps_installed": "snaps installed",
        "snaps_removed": "snaps removed",
        "options_changed": "options set (snap:key=value)",
        "version": "snap version's components",
    }

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        _check_args(args)
        parts = [
            section("snap", f"command -v snap >/dev/null 2>&1 || exit {_NO_SNAP}"),
            section("version", "LANG=C snap version 2>&1"),
            section("list", "LANG=C snap list 2>&1"),
        ]
        if args["options"] and args["state"] == "present":
            for index, name in enumerate(_names(args)):
                parts.append(
                    section(f"get{index}", f"LANG=C snap get -d {quote(name)} 2>/dev/null")
                )
        return "; ".join(parts)

    def parse(self, args: dict[str, Any], res: CommandResult) -> Snaps:
        found = sections(res.out)
        if need(found, "snap", res).rc == _NO_SNAP:
            raise ModuleError('Failed to find required executable "snap"')
        listing = need(found, "list", res)
        if listing.rc != 0:
            raise ModuleError(f"snap list failed (rc={listing.rc}): {listing.text.strip()}")
        config = {}
        for index, name in enumerate(_names(args)):
            got = found.get(f"get{index}")
            if got is not None and got.rc == 0 and got.text.strip():
                config[name] = json.loads(got.text)
        return Snaps(
            parse_list(listing.text), parse_version(need(found, "version", res).text), config
        )

    def plan(self, args: dict[str, Any], state: Snaps) -> Edit | None:
        values: dict[str, Any] = {"version": state.version}
        steps: list[str] = []
        if args["state"] == "absent":
            gone = [n for n in _names(args) if n in state.installed]
            if gone:
                steps.append(f"snap remove {' '.join(map(quote, gone))}")
                values["snaps_removed"] = gone
        elif args["state"] in ("enabled", "disabled"):
            steps += self._toggle(args, state)
        else:
            steps += self._present(args, state, values)
            steps += self._options(args, state, values)
        if not steps:
            return None
        command = " && ".join(f"LANG=C {step} 2>&1" for step in steps)
        return Edit("snap", None, values={**values, "cmd": command}, command=command)

    def _toggle(self, args: dict[str, Any], state: Snaps) -> list[str]:
        verb = "enable" if args["state"] == "enabled" else "disable"
        todo = [
            n
            for n in _names(args)
            if n not in state.installed
            or ("disabled" in state.installed[n].notes) == (verb == "enable")
        ]
        return [f"snap {verb} {quote(n)}" for n in todo]

    def _present(self, args: dict[str, Any], state: Snaps, values: dict[str, Any]) -> list[str]:
        missing = [n for n in _names(args) if n not in state.installed and n != "system"]
        flags = _flags(args)
        steps = [f"snap install{flags} {' '.join(map(quote, missing))}"] if missing else []
        if missing:
            values.update(
                snaps_installed=missing,
                classic=args["classic"],
                channel=channel_of(args["channel"] or "stable"),
            )
        for name in _names(args):
            have = state.installed.get(name)
            if have is None:
                continue
            if args["channel"] and channel_of(args["channel"]) != have.tracking:
                steps.append(f"snap refresh{flags} {quote(name)}")
            if args["revision"] is not None and str(args["revision"]) != have.revision:
                steps.append(f"snap refresh{flags} {quote(name)}")
        if args["revision"] is not None and steps:
            steps.append(f"snap refresh --hold {quote(_names(args)[0])}")
            values["revision"] = args["revision"]
        return steps

    def _options(self, args: dict[str, Any], state: Snaps, values: dict[str, Any]) -> list[str]:
        steps, changed = [], []
        for snap, wanted in parse_options(args["options"] or [], _names(args)).items():
            current = state.config.get(snap, {})
            todo = {k: v for k, v in wanted.items() if not _same(_lookup(current, k), v)}
            if todo:
                pairs = " ".join(quote(f"{k}={v}") for k, v in todo.items())
                steps.append(f"snap set {quote(snap)} {pairs}")
                changed += [f"{snap}:{k}={v}" for k, v in todo.items()]
        if changed:
            values["options_changed"] = changed
        return steps

    def apply(self, args: dict[str, Any], change: Any, ctx: ModuleContext) -> str:
        return str(change.command)

    def values(self, args: dict[str, Any], state: Snaps) -> dict[str, Any]:
        return {"version": state.version}

    def failed(self, args: dict[str, Any], change: Any, res: CommandResult) -> str:
        detail = (res.err or res.out).strip()[-2000:] or f"exit status {res.rc}"
        return f"snap failed (rc={res.rc}): {detail}"


def _check_args(args: dict[str, Any]) -> None:
    single = [k for k in ("channel", "classic", "revision") if args[k] not in (None, False)]
    if single and len(args["name"]) > 1:
        raise ModuleError(f"{', '.join(single)} can only be used with a single snap")


def _names(args: dict[str, Any]) -> list[str]:
    """The snaps to install or remove (``system`` is snapd's configuration, always
    present)."""
    return [str(n).strip() for n in args["name"] if str(n).strip()]


def _flags(args: dict[str, Any]) -> str:
    words = []
    if args["classic"]:
        words.append("--classic")
    if args["channel"]:
        words.append(f"--channel={quote(channel_of(args['channel']))}")
    if args["revision"] is not None:
        words.append(f"--revision={int(args['revision'])}")
    if args["dangerous"]:
        words.append("--dangerous")
    if args["devmode"]:
        words.append("--devmode")
    return "".join(f" {w}" for w in words)
