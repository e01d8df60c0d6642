"""seboolean: an SELinux boolean on or off, now and (with ``persistent``) after a reboot.

One probe asks whether SELinux is on, the boolean's running value (``getsebool``) and,
for ``persistent``, its saved value (``semanage boolean -l``: "(current, saved)"); one
``setsebool [-P]`` changes it.
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
from .util.hostedit import Edit, HostStateModule, need, section, sections
from .util.selinux import ENABLED

_SETSEBOOL_FAILED = 13


@dataclass(frozen=True, slots=True)
class Boolean:
    enabled: bool  # SELinux is on
    value: bool | None  # the running value; None: no such boolean
    saved: bool | None  # the persistent value; None: not known (no semanage)


@register("seboolean", "ansible.posix.seboolean")
class SebooleanModule(HostStateModule[Boolean]):
    """Set an SELinux boolean."""

    args = {
        "name": Arg("str", required=True, description="The boolean."),
        "state": Arg("bool", required=True, description="Its value."),
        "persistent": Arg("bool", default=False, description="Keep it after a reboot (-P)."),
        "ignore_selinux_state": Arg(
            "bool", default=False, description="Go on even if SELinux seems off (chroots)."
        ),
    }
    returns = {"name": "the boolean", "state": "its value", "persistent": "persistent"}

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        name = quote(args["name"])
        parts = [section("enabled", ENABLED), section("value", f"LANG=C getsebool {name} 2>&1")]
        if args["persistent"]:
            parts.append(
                section(
                    "saved",
                    f"LANG=C semanage boolean -l 2>/dev/null | "
                    f"grep -E {quote('^' + re.escape(args['name']) + ' ')}",
                )
            )
        return "; ".join(parts)

    def parse(self, args: dict[str, Any], res: CommandResult) -> Boolean:
        found = sections(res.out)
        enabled = need(found, "enabled", res).rc == 0
        if not enabled and not args["ignore_selinux_state"]:
            raise ModuleError("SELinux is disabled on this host")
        value = need(found, "value", res)
        saved = found.get("saved")
        return Boolean(
            enabled,
            parse_getsebool(value.text) if value.rc == 0 else None,
            parse_semanage(saved.text) if saved is not None and saved.rc == 0 else None,
        )

    def plan(self, args: dict[str, Any], state: Boolean) -> Edit | None:
        if state.value is None:
            raise ModuleError(f"SELinux boolean {args['name']} does not exist")
        wanted = bool(args["state"])
        differs = state.value != wanted or (
            args["persistent"] and state.saved is not None and state.saved != wanted
        )
        if not differs:
            return None
        return Edit("setsebool", "", values=_values(args))

    def apply(self, args: dict[str, Any], change: Any, ctx: ModuleContext) -> str:
        flag = "-P " if args["persistent"] else ""
        value = "on" if args["state"] else "off"
        return (
            f"LANG=C setsebool {flag}{quote(args['name'])} {value} 2>&1 || exit {_SETSEBOOL_FAILED}"
        )

    def values(self, args: dict[str, Any], state: Boolean) -> dict[str, Any]:
        return _values(args)

    def failed(self, args: dict[str, Any], change: Any, res: CommandResult) -> str:
        detail = (res.out + res.err).strip()
        return f"Failed to set boolean {args['name']} to {args['state']}: {detail}"


def _values(args: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": args["name"],
        "state": bool(args["state"]),
        "persistent": bool(args["persistent"]),
    }


def parse_getsebool(text: str) -> bool | None:
    """``getsebool NAME``'s "NAME --> on" (a pending change: "--> off pending: on" counts
    as its pending value)."""
    _, arrow, rest = text.strip().partition("-->")
    if not arrow:
        return None
    words = rest.split()
    if "pending:" in words and words.index("pending:") + 1 < len(words):
        return words[words.index("pending:") + 1] == "on"
    return bool(words) and words[0] == "on"


def parse_semanage(text: str) -> bool | None:
    """The saved value of ``semanage boolean -l``'s line: "NAME (on , off) Description"
    (current, then the value it boots with)."""
    match = re.search(r"\(\s*(on|off)\s*,\s*(on|off)\s*\)", text)
    return None if match is None else match.group(2) == "on"
