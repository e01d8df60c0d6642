"""mount: a mount point's fstab entry and whether it is mounted (Linux, util-linux).

One probe reads the fstab, the kernel's mount table (``/proc/self/mounts``) and whether
the mount point exists; one command rewrites the fstab (atomically, from stdin) and
mounts, remounts, unmounts or removes the mount point as the state asks. Decisions follow
ansible.posix.mount: the fstab entry is found by its mount point, and an entry that
changed while mounted is remounted.
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

DEFAULT_FSTAB = "/etc/fstab"
_NEEDS_SOURCE = frozenset({"present", "mounted", "ephemeral"})
_ESCAPES = {" ": "\\040", "\t": "\\011", "\n": "\\012", "\\": "\\134"}
# apply's exit status per failing step, and the message that names it
_FAILS = {5: "Error mounting", 6: "Error unmounting", 7: "Error rmdir", 8: "Error remounting"}


@dataclass(frozen=True, slots=True)
class Mounted:
    source: str
    fstype: str
    opts: str


@dataclass(frozen=True, slots=True)
class Host:
    fstab: TextFile
    mounted: Mounted | None  # what is mounted on the path (the last mount, which is seen)
    exists: bool  # the mount point exists


@register("mount", "ansible.posix.mount")
class MountModule(HostStateModule[Host]):
    """Configure a mount point in fstab and mount, remount or unmount it."""

    args = {
        "path": Arg("path", required=True, aliases=("name",), description="The mount point."),
        "src": Arg("path", description="The device, label, NFS share … to mount."),
        "fstype": Arg("str", description="The filesystem type."),
        "opts": Arg("str", description="Mount options (fstab's fourth field)."),
        "dump": Arg("str", default="0", description="fstab's fifth field."),
        "passno": Arg("str", default="0", description="fstab's sixth field."),
        "state": Arg(
            "str",
            required=True,
            choices=(
                "absent",
                "absent_from_fstab",
                "mounted",
                "present",
                "unmounted",
                "remounted",
                "ephemeral",
            ),
            description="What the mount point should be.",
        ),
        "fstab": Arg("str", description="The fstab file (default /etc/fstab)."),
        "boot": Arg("bool", default=True, description="false adds noauto to the options."),
        "backup": Arg("bool", default=False, description="Keep a dated copy of the fstab."),
        "opts_no_log": Arg(
            "bool",
            default=False,
            description="Accepted (opts are not logged by pbe's modules anyway).",
        ),
    }
    returns = {
        "name": "the mount point",
        "src": "the source",
        "fstype": "the type",
        "opts": "the options",
        "dump": "dump",
        "passno": "passno",
        "fstab": "the file",
        "boot": "boot",
        "backup_file": "the fstab's copy, with backup",
    }

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        _check(args)
        path = quote(args["path"])
        return "; ".join(
            (
                read_file("fstab", _fstab(args)),
                section("mounts", "cat /proc/self/mounts"),
                section("dir", f"[ -d {path} ]"),
            )
        )

    def parse(self, args: dict[str, Any], res: CommandResult) -> Host:
        found = sections(res.out)
        mounts = need(found, "mounts", res)
        if mounts.rc != 0:
            raise ModuleError("cannot read /proc/self/mounts (pbe's mount is for Linux)")
        return Host(
            text_file(_fstab(args), need(found, "fstab", res)),
            mounted_on(mounts.text, escape(args["path"])),
            need(found, "dir", res).rc == 0,
        )

    def foresee(self, args: dict[str, Any], state: Host, known: Known) -> Host:
        predicted = known(state.fstab.path)
        return state if predicted is None else Host(predicted, state.mounted, state.exists)

    def plan(self, args: dict[str, Any], state: Host) -> Edit | None:
        steps, text = _steps(args, state)
        if not steps:
            return None
        write = text is not None
        diff = {"before": state.fstab.text or "", "after": text} if write else None
        command = " && ".join(_command(args, step, write) for step in steps)
        return Edit(
            "+".join(steps),
            "",
            diff=diff,
            values=_values(args),
            stdin=text.encode() if write and text is not None else None,
            writes=((state.fstab.path, text),) if write else (),
            command=command,
        )

    def apply(self, args: dict[str, Any], change: Any, ctx: ModuleContext) -> str:
        return str(change.command)

    def values(self, args: dict[str, Any], state: Host) -> dict[str, Any]:
        return _values(args)

    def applied(self, args: dict[str, Any], change: Any, res: CommandResult) -> dict[str, Any]:
        values = dict(change.values)
        if args["backup"] and "write" in change.op and res.out.strip():
            values["backup_file"] = res.out.strip().splitlines()[0]
        return values

    def failed(self, args: dict[str, Any], change: Change, res: CommandResult) -> str:
        if res.rc in _FAILS:
            return f"{_FAILS[res.rc]} {args['path']}: {(res.err or res.out).strip()}"
        return super().failed(args, change, res)


def _check(args: dict[str, Any]) -> None:
    state = args["state"]
    if state in _NEEDS_SOURCE:
        missing = [k for k in ("src", "fstype") if not args[k]]
        if missing:
            raise ModuleError(
                f"state is {state} but all of the following are missing: {', '.join(missing)}"
            )


def _fstab(args: dict[str, Any]) -> str:
    return str(args["fstab"] or DEFAULT_FSTAB)


def _values(args: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": args["path"],
        "src": args["src"],
        "fstype": args["fstype"],
        "opts": options(args),
        "dump": args["dump"],
        "passno": args["passno"],
        "fstab": _fstab(args),
        "boot": "yes" if args["boot"] else "no",
        "backup_file": "",
    }


def _steps(args: dict[str, Any], host: Host) -> tuple[list[str], str | None]:
    """What the state needs done, in order, and the fstab's new text (None: unchanged).
    Steps: write (the fstab), mkdir, mount, remount, remount-opts, umount, rmdir,
    ephemeral (mount without the fstab)."""
    state, mounted = args["state"], host.mounted
    if state in ("present", "mounted"):
        text = fstab_with(host.fstab, entry(args))
        if state == "present":
            return (["write"] if text is not None else []), text
        steps = (["write"] if text is not None else []) + ([] if host.exists else ["mkdir"])
        if mounted is None:
            return steps + ["mount"], text
        return steps + (["remount"] if text is not None else []), text
    if state in ("absent", "absent_from_fstab"):
        text = fstab_without(host.fstab, escape(args["path"]))
        if text is None:
            return [], None
        if state == "absent_from_fstab":
            return ["write"], text
        return ["write"] + (["umount"] if mounted else []) + (
            ["rmdir"] if host.exists else []
        ), text
    if state == "unmounted":
        return (["umount"] if mounted else []), None
    if state == "remounted":
        return ["remount-opts"], None
    return _ephemeral(args, host), None


def _ephemeral(args: dict[str, Any], host: Host) -> list[str]:
    if host.mounted is None:
        return ([] if host.exists else ["mkdir"]) + ["ephemeral"]
    if host.mounted.source != escape(args["src"]):
        raise ModuleError(
            f"{args['path']} is already mounted from {host.mounted.source}, not "
            f"{args['src']}: unmount it first (state=unmounted) or use "
            "another path"
        )
    return ["remount-opts"]


def _command(args: dict[str, Any], step: str, write: bool) -> str:
    """One step of the apply command; the steps that call mount print to stderr, so stdout
    holds only the backup's path."""
    path = quote(args["path"])
    fstab = _fstab(args)
    table = f"-T {quote(fstab)} " if fstab != DEFAULT_FSTAB else ""
    if step == "write":
        return f"{{ {write_file(fstab, backup=args['backup'])}; }}"
    if step == "mkdir":
        return f"{{ mkdir -p -- {path} >&2 || exit 5; }}"
    if step == "mount":
        return f"{{ mount {table}{path} >&2 || exit 5; }}"
    if step == "remount":
        return (
            f"{{ mount -o remount {table}{path} >&2 || {{ umount {path} && "
            f"mount {table}{path}; }} >&2 || exit 5; }}"
        )
    if step == "remount-opts":
        opts = f",{args['opts']}" if args["opts"] else ""
        return f"{{ mount -o {quote('remount' + opts)} {table}{path} >&2 || exit 8; }}"
    if step == "umount":
        return f"{{ umount {path} >&2 || exit 6; }}"
    if step == "rmdir":
        return f"{{ rmdir -- {path} >&2 || exit 7; }}"
    return (
        f"{{ mount -t {quote(args['fstype'])} -o {quote(options(args))} "
        f"{quote(args['src'])} {path} >&2 || exit 5; }}"
    )


def escape(value: str) -> str:
    """A path as fstab and /proc/self/mounts write it (space as \\040 …)."""
    return "".join(_ESCAPES.get(ch, ch) for ch in value)


def options(args: dict[str, Any]) -> str:
    """The options written to fstab: ``defaults`` when unset, ``,noauto`` added for
    boot=false unless already there."""
    opts = args["opts"] or "defaults"
    if not args["boot"] and "noauto" not in opts.split(","):
        opts = f"{opts},noauto"
    return str(opts)


def entry(args: dict[str, Any]) -> list[str]:
    return [
        escape(args["src"]),
        escape(args["path"]),
        args["fstype"],
        options(args),
        args["dump"],
        args["passno"],
    ]


def _fields(line: str) -> list[str] | None:
    """An fstab line's six fields (a missing dump or passno is "": it differs from any
    value, so such a line is rewritten whole, as Ansible does); None for a comment."""
    fields = line.split()
    if not fields or fields[0].startswith("#") or len(fields) < 4:
        return None
    return (fields + ["", ""])[:6]


def fstab_with(fstab: TextFile, wanted: list[str]) -> str | None:
    """The fstab with every entry for the mount point made ``wanted`` (appended when
    there is none); None when it already is."""
    lines, found, changed = [], False, False
    for line in fstab.lines:
        fields = _fields(line)
        if fields is not None and fields[1] == wanted[1]:
            found = True
            if fields != wanted:
                line, changed = " ".join(wanted), True
        lines.append(line)
    if not found:
        lines.append(" ".join(wanted))
    if found and not changed:
        return None
    return "".join(f"{line}\n" for line in lines)


def fstab_without(fstab: TextFile, path: str) -> str | None:
    """The fstab without the mount point's entries; None when it has none."""
    kept = [line for line in fstab.lines if (f := _fields(line)) is None or f[1] != path]
    if len(kept) == len(fstab.lines):
        return None
    return "".join(f"{line}\n" for line in kept)


def mounted_on(table: str, path: str) -> Mounted | None:
    """What /proc/self/mounts says is mounted on ``path`` (escaped); the last entry wins."""
    found = None
    for line in table.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[1] == path:
            found = Mounted(fields[0], fields[2], fields[3])
    return found
