"""sysctl: make a kernel parameter have a value in a sysctl file, and in the kernel.

One probe reads the live value (``sysctl -e -n``) and the file; one command sets the
value (``sysctl -w``), rewrites the file atomically and reloads it (``sysctl -p FILE``), as
asked. Changes are decided as Ansible's ansible.posix.sysctl decides them.
"""

from __future__ import annotations

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

_TRUE = frozenset({"y", "yes", "on", "1", "true", "t", "1.0"})
_FALSE = frozenset({"n", "no", "off", "0", "false", "f", "0.0"})
_SET_FAILED, _RELOAD_FAILED = 3, 4


@dataclass(frozen=True, slots=True)
class Sysctl:
    live: str | None  # the kernel's value; None when it has no such key
    file: TextFile


@register("sysctl", "ansible.posix.sysctl")
class SysctlModule(HostStateModule[Sysctl]):
    """Set a kernel parameter in a sysctl file and, optionally, in the running kernel."""

    args = {
        "name": Arg(
            "str",
            required=True,
            aliases=("key",),
            description="The parameter, dot-separated (net.ipv4.ip_forward).",
        ),
        "value": Arg("str", aliases=("val",), description="Its value (yes/no become 1/0)."),
        "state": Arg(
            "str",
            default="present",
            choices=("present", "absent"),
            description="Whether it is in the file.",
        ),
        "reload": Arg("bool", default=True, description="Run `sysctl -p FILE` after a change."),
        "sysctl_file": Arg("path", default="/etc/sysctl.conf", description="The file."),
        "sysctl_set": Arg(
            "bool", default=False, description="Also set the running kernel's value (sysctl -w)."
        ),
        "ignoreerrors": Arg("bool", default=False, description="Ignore unknown keys (sysctl -e)."),
    }

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        if args["state"] == "present" and args["value"] is None:
            raise ModuleError("state is present but all of the following are missing: value")
        name = quote(args["name"].strip())
        return (
            section("live", f"LANG=C sysctl -e -n {name}")
            + "; "
            + read_file("file", args["sysctl_file"])
        )

    def parse(self, args: dict[str, Any], res: CommandResult) -> Sysctl:
        found = sections(res.out)
        live = need(found, "live", res)
        text = live.text[:-1] if live.text.endswith("\n") else live.text
        return Sysctl(
            text if live.rc == 0 and text else None,
            text_file(args["sysctl_file"], need(found, "file", res)),
        )

    def foresee(self, args: dict[str, Any], state: Sysctl, known: Known) -> Sysctl:
        predicted = known(state.file.path)
        return state if predicted is None else Sysctl(state.live, predicted)

    def plan(self, args: dict[str, Any], state: Sysctl) -> Edit | None:
        name, value = args["name"].strip(), parse_value(args["value"])
        current = file_values(state.file.lines).get(name)
        present = args["state"] == "present"
        write, changed = _file_change(args, current, value, state.live)
        set_live = False
        if present and args["sysctl_set"] and not same(state.live, value):
            changed, set_live = True, state.live is not None
        if not changed:
            return None
        text = "".join(
            f"{line}\n" for line in fixed_lines(state.file.lines, name, value if present else None)
        )
        op = (
            "+".join(
                o
                for o, on in (("set", set_live), ("write", write), ("reload", args["reload"]))
                if on
            )
            or "none"
        )
        diff = {"before": state.file.text or "", "after": text} if write else None
        return Edit(
            op,
            "",
            diff=diff,
            stdin=text.encode() if write else None,
            writes=((state.file.path, text),) if write else (),
        )

    def apply(self, args: dict[str, Any], change: Any, ctx: ModuleContext) -> str:
        errors = "-e " if args["ignoreerrors"] else ""
        steps = []
        if "set" in change.op:
            value = parse_value(args["value"])
            assign = quote(f"{args['name'].strip()}={value}")
            steps.append(f"{{ LANG=C sysctl {errors}-w {assign} 2>&1 || exit {_SET_FAILED}; }}")
        if "write" in change.op:
            steps.append(f"{{ {write_file(args['sysctl_file'])}; }}")
        if "reload" in change.op:
            steps.append(
                f"{{ LANG=C sysctl {errors}-p {quote(args['sysctl_file'])} 2>&1 || "
                f"exit {_RELOAD_FAILED}; }}"
            )
        return " && ".join(steps) or "true"

    def applied(self, args: dict[str, Any], change: Any, res: CommandResult) -> dict[str, Any]:
        for line in res.out.splitlines():  # sysctl may say so and still exit 0
            if line.startswith("sysctl: setting key") and line.endswith(
                ("Invalid argument", "Read-only file system")
            ):
                raise ModuleError(f"setting {args['name'].strip()} failed: {res.out}")
        return {}

    def failed(self, args: dict[str, Any], change: Change, res: CommandResult) -> str:
        if res.rc == _SET_FAILED:
            return f"setting {args['name'].strip()} failed: {res.out}{res.err}"
        if res.rc == _RELOAD_FAILED:
            return f"Failed to reload sysctl: {res.out}{res.err}"
        return super().failed(args, change, res)


def _file_change(
    args: dict[str, Any], current: str | None, value: str, live: str | None
) -> tuple[bool, bool]:
    """(rewrite the file, changed), decided in Ansible's order: the file first, then, when
    the file is right and a reload is asked for, the kernel's value."""
    present = args["state"] == "present"
    if current is None:
        return present, present
    if (not present and current) or current != value:
        return True, True
    return False, bool(args["reload"]) and not same(live, value)


def parse_value(value: Any) -> str:
    """The value as Ansible writes it: booleans as 1/0, the rest stripped."""
    if value is None:
        return ""
    text = str(value)
    if text.lower() in _TRUE:
        return "1"
    if text.lower() in _FALSE:
        return "0"
    return text.strip()


def same(live: str | None, value: str) -> bool:
    """Whether the kernel's value is ``value`` (whitespace-separated fields compared)."""
    return live is not None and live.split() == value.split()


def file_values(lines: list[str]) -> dict[str, str]:
    """key → value of a sysctl file (the last setting of a key wins)."""
    values = {}
    for line in lines:
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", ";")) and "=" in stripped:
            key, _, value = stripped.partition("=")
            values[key.strip()] = value.strip()
    return values


def fixed_lines(lines: list[str], name: str, value: str | None) -> list[str]:
    """The file rewritten as Ansible rewrites it: settings as ``key=value``, the key's
    first setting given ``value`` (appended when missing; None removes it), repeats gone."""
    out, done = [], False
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")) or "=" not in stripped:
            out.append(stripped)
            continue
        key, _, current = stripped.partition("=")
        key = key.strip()
        if key != name:
            out.append(f"{key}={current.strip()}")
        elif value is not None and not done:
            out.append(f"{key}={value}")
            done = True
    if value is not None and not done:
        out.append(f"{name}={value}")
    return out
