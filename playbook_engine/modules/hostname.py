"""hostname: make the host's name (the running one and the one it boots with) NAME.

One probe reads both names; one command sets what differs. The strategy (``use``) says
where the permanent name lives: ``hostnamectl`` under systemd, or a file
(``/etc/hostname``, ``/etc/sysconfig/network`` …) that this module rewrites whole, with
``hostname NAME`` for the running name. Unset, it comes from the gathered facts
(``service_mgr``, ``os_family``), else from the host (systemd running or not).
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
from .result import Result
from .util.hostedit import (
    Edit,
    HostStateModule,
    Known,
    TextFile,
    fact,
    need,
    read_file,
    section,
    sections,
    text_file,
    write_file,
)


@dataclass(frozen=True, slots=True)
class Style:
    """Where a strategy keeps the permanent name: a file, and how the name is written in
    it (``line`` is a format with ``{}`` for the name; ``key`` matches the line to
    replace in a shared file, None: the file is just the name)."""

    path: str
    line: str = "{}"
    key: str | None = None
    reload: str = ""  # the command that sets the running name from the file


_FILE_STYLES = {
    "generic": Style("/etc/hostname"),
    "debian": Style("/etc/hostname"),
    "alpine": Style("/etc/hostname", reload="hostname -F /etc/hostname"),
    "openbsd": Style("/etc/myname"),
    "redhat": Style("/etc/sysconfig/network", "HOSTNAME={}", "HOSTNAME"),
    "openrc": Style("/etc/conf.d/hostname", 'hostname="{}"', "hostname"),
    "freebsd": Style("/etc/rc.conf.d/hostname", 'hostname="{}"', "hostname"),
}
_UNSUPPORTED = ("sles", "solaris", "macos", "macosx", "darwin")
_FAMILIES = {
    "Alpine": "alpine",
    "FreeBSD": "freebsd",
    "OpenBSD": "openbsd",
    "Gentoo": "openrc",
    "Debian": "debian",
}
_DETECT = (
    "if [ -d /run/systemd/system ] && command -v hostnamectl >/dev/null; then "
    "echo systemd; else echo generic; fi"
)


@dataclass(frozen=True, slots=True)
class Names:
    use: str  # the strategy
    current: str  # the running name
    permanent: str  # the name the host boots with ("" when none is set)
    file: TextFile | None  # the file holding it, for file strategies


@register("hostname")
class HostnameModule(HostStateModule[Names]):
    """Set the host's running and permanent hostname."""

    args = {
        "name": Arg("str", required=True, description="The host's new name."),
        "use": Arg(
            "str",
            choices=(
                "alpine",
                "debian",
                "freebsd",
                "generic",
                "macos",
                "macosx",
                "darwin",
                "openbsd",
                "openrc",
                "redhat",
                "sles",
                "solaris",
                "systemd",
            ),
            description="Where the name is set; detected when unset.",
        ),
    }
    returns = {"name": "the name", "ansible_facts": "ansible_hostname, ansible_nodename"}

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        if not args["name"].strip():
            raise ModuleError("name must not be empty")
        use = args["use"] or _from_facts(ctx)
        if use in _UNSUPPORTED:
            raise ModuleError(
                f"use={use} is not supported by pbe (supported: systemd, "
                f"{', '.join(sorted(_FILE_STYLES))})"
            )
        parts = [section("use", f"echo {use}" if use else _DETECT), section("current", "hostname")]
        if use in (None, "systemd"):
            parts.append(section("static", "hostnamectl --static status 2>&1"))
        if use != "systemd":
            parts.append(read_file(f"file:{use or 'generic'}", _FILE_STYLES[use or "generic"].path))
        return "; ".join(parts)

    def parse(self, args: dict[str, Any], res: CommandResult) -> Names:
        found = sections(res.out)
        use = need(found, "use", res).text.strip()
        current = need(found, "current", res).text.strip()
        if use == "systemd":
            static = need(found, "static", res)
            if static.rc != 0:
                raise ModuleError(f"hostnamectl failed: {static.text.strip()}")
            return Names(use, current, static.text.strip(), None)
        style = _FILE_STYLES[use]
        file = text_file(style.path, need(found, f"file:{use}", res))
        return Names(use, current, permanent_name(style, file), file)

    def foresee(self, args: dict[str, Any], state: Names, known: Known) -> Names:
        if state.file is None or (predicted := known(state.file.path)) is None:
            return state
        style = _FILE_STYLES[state.use]
        return Names(state.use, args["name"], permanent_name(style, predicted), predicted)

    def plan(self, args: dict[str, Any], state: Names) -> Edit | None:
        name = args["name"].strip()
        set_current, set_permanent = state.current != name, state.permanent != name
        if not (set_current or set_permanent):
            return None
        diff = {"before": f"hostname = {state.permanent}\n", "after": f"hostname = {name}\n"}
        op = "+".join(w for w, on in (("current", set_current), ("permanent", set_permanent)) if on)
        command = set_command(state.use, name, set_current, set_permanent)
        if state.file is None or not set_permanent:
            return Edit(op, "", diff=diff, command=command)
        text = file_text(_FILE_STYLES[state.use], state.file, name)
        return Edit(
            op,
            "",
            diff=diff,
            stdin=text.encode(),
            writes=((state.file.path, text),),
            command=command,
        )

    def apply(self, args: dict[str, Any], change: Any, ctx: ModuleContext) -> str:
        return str(change.command)

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        result = super().run(args, ctx)
        name = args["name"].strip()
        result.values = {"name": name}
        result.facts = {"ansible_hostname": name.split(".")[0], "ansible_nodename": name}
        return result


def set_command(use: str, name: str, current: bool, permanent: bool) -> str:
    """The command that sets the running name and/or the permanent one (a file strategy's
    new file comes on stdin)."""
    q = quote(name)
    steps = []
    if use == "systemd":
        if current:
            steps.append(f"hostnamectl set-hostname --transient {q}")
        if permanent:
            steps += [
                f"hostnamectl set-hostname --static {q}",
                f"hostnamectl set-hostname --pretty {q}",
            ]
        return " && ".join(steps)
    style = _FILE_STYLES[use]
    if permanent:
        steps.append(f"{{ {write_file(style.path)}; }}")
    if current:
        steps.append(style.reload or f"hostname {q}")
    return " && ".join(steps)


def _from_facts(ctx: ModuleContext) -> str | None:
    """The strategy the gathered facts point to; None when no facts were gathered."""
    service_mgr, family = fact(ctx, "service_mgr"), fact(ctx, "os_family")
    if service_mgr == "systemd":
        return "systemd"
    if service_mgr is None or family is None:  # a partial gather: ask the host
        return None
    if family == "RedHat":
        return "redhat"
    return _FAMILIES.get(str(family), "generic")


def permanent_name(style: Style, file: TextFile) -> str:
    """The name a strategy's file holds ("" when it holds none)."""
    if style.key is None:
        return file.lines[0].strip() if file.lines else ""
    pattern = re.compile(rf"^\s*{re.escape(style.key)}\s*=\s*(.*?)\s*$")
    for line in file.lines:
        if match := pattern.match(line):
            return match.group(1).strip("\"'")
    return ""


def file_text(style: Style, file: TextFile, name: str) -> str:
    """The file with the name set: the whole file, or the key's line in a shared file
    (replaced where it is, appended when missing)."""
    if style.key is None:
        return f"{name}\n"
    pattern = re.compile(rf"^\s*{re.escape(style.key)}\s*=")
    lines, done = [], False
    for line in file.lines:
        if pattern.match(line):
            if not done:
                lines.append(style.line.format(name))
            done = True
        else:
            lines.append(line)
    if not done:
        lines.append(style.line.format(name))
    return "".join(f"{line}\n" for line in lines)
