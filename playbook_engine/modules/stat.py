"""stat: what is at a path, from the one probe layer (``util/probe``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util import selinux
from .util.modes import PERMISSION_FLAGS
from .util.probe import ALGORITHMS, Entry, Probe
from .util.selinux import SeContext

# -- the stat module ------------------------------------------------------------------------

_TYPE_KEYS = {
    "isblk": "block special file",
    "ischr": "character special file",
    "isfifo": "fifo",
    "issock": "socket",
}


def stat_dict(entry: Entry, follow: bool) -> dict[str, Any]:
    """Ansible's ``stat`` dictionary for one probed entry (pure; unit-tested)."""
    out: dict[str, Any] = dict(entry.state.as_stat())
    if not entry.state.exists:
        return out
    out.pop("lnk_target", None)
    bits = int(entry.state.mode or "0", 8)
    out.update({key: entry.ftype == name for key, name in _TYPE_KEYS.items()})
    out.update({key: bool(bits & bit) for key, bit in PERMISSION_FLAGS})
    out.update(atime=entry.atime, ctime=entry.ctime, inode=entry.inode, dev=entry.dev)
    if entry.blocks is not None:  # read from the host, not predicted
        out.update(
            blocks=entry.blocks,
            block_size=entry.block_size,
            device_type=entry.device_type,
            disk_usage_bytes=entry.blocks * 512,
        )
    if entry.access is not None:
        out.update(
            readable="r" in entry.access,
            writeable="w" in entry.access,
            executable="x" in entry.access,
        )
    if entry.state.kind == "link" and not follow:
        out["lnk_target"] = entry.state.target
        out["lnk_source"] = entry.real
    return out


_UNKNOWN_MIME = {"mimetype": "unknown", "charset": "unknown"}
_CONSTANT_MIME = {
    "directory": "inode/directory; charset=binary",
    "link": "inode/symlink; charset=binary",
    "empty": "inode/x-empty; charset=binary",
}


def mime_values(output: str | None) -> dict[str, str]:
    """``file -b --mime-type --mime-encoding`` output as Ansible's ``mimetype``/``charset``
    ("unknown" when the host has no ``file`` or it says something else, e.g. for a link
    that leads nowhere). Pure; unit-tested."""
    kind, sep, charset = (output or "").partition(";")
    name, eq, value = charset.partition("=")
    if not sep or not eq or not kind.strip():
        return dict(_UNKNOWN_MIME)
    return {"mimetype": kind.strip(), "charset": value.strip()}


def selinux_list(se: SeContext | None, known: bool) -> list[str | None]:
    """``selinux_context``: [user, role, type, level]; Nones where SELinux is off (three,
    as without MLS) or the context cannot be read."""
    if se is None:
        return [None] * 3
    if not known or not se.current:
        return [None] * 4
    parts: list[str | None] = list(selinux.split(se.current))
    return parts if parts[3] else parts[:3]


@register("stat")
class Stat(Module):
    """Report what is at a path: type, mode, owner, size, times, checksum, link target."""

    args = {
        "path": Arg(
            "path",
            required=True,
            aliases=("dest", "name"),
            description="The path to inspect on the host.",
        ),
        "follow": Arg(
            "bool", default=False, description="Follow a symlink and report on what it points to."
        ),
        "get_checksum": Arg("bool", default=True, description="Checksum a readable regular file."),
        "checksum_algorithm": Arg(
            "str",
            default="sha1",
            choices=ALGORITHMS,
            aliases=("checksum", "checksum_algo"),
            description="The hash used for `checksum`.",
        ),
        "get_mime": Arg(
            "bool",
            default=True,
            aliases=("mime", "mime_type", "mime-type"),
            description="Add `mimetype` and `charset`, from the host's `file` "
            "command run on the path itself (a symlink is reported "
            "as `inode/symlink` even with follow); `unknown` when "
            "the host has no `file`.",
        ),
        "get_attributes": Arg(
            "bool",
            default=True,
            aliases=("attr", "attributes"),
            description="Accepted and ignored: no chattr attributes.",
        ),
        "get_selinux_context": Arg(
            "bool",
            default=False,
            description="Add `selinux_context`, [user, role, type, "
            "level], or Nones where SELinux is off or "
            "the context cannot be read.",
        ),
    }
    returns = {
        "stat": "exists, path, isdir/isreg/islnk/..., mode, uid, gid, pw_name, "
        "gr_name, size, atime/mtime/ctime, inode, dev, nlink, checksum, "
        "lnk_target/lnk_source, readable/writeable/executable, "
        "mimetype/charset (get_mime), selinux_context (get_selinux_context)"
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        probe = Probe(ctx.files, args["checksum_algorithm"])
        flags = "A" + ("L" if args["follow"] else "") + ("S" if args["get_checksum"] else "")
        probe.path("p", args["path"], flags + ("M" if args["get_mime"] else ""))
        if args["get_selinux_context"]:
            probe.selinux("p", args["path"], args["follow"])
        unknown = self._predicted_mime(probe, args, ctx)
        answers = probe.run()
        entry = replace(
            answers.entries["p"], state=replace(answers.entries["p"].state, path=args["path"])
        )
        stat = stat_dict(entry, args["follow"])
        if entry.state.exists and args["get_mime"]:
            mime = self._mime(entry)
            unknown = unknown or mime is None
            stat.update(mime or {})
        if entry.state.exists and args["get_selinux_context"]:
            se = entry.state.selinux if entry.predicted else None
            se = se or answers.selinux.get("p")
            stat["selinux_context"] = selinux_list(se, not entry.predicted or se is not None)
        unknown = (
            unknown or answers.unknown_checksum or (ctx.check and ctx.files.created(args["path"]))
        )
        return Result(values={"stat": stat}, unknown=unknown)

    @staticmethod
    def _predicted_mime(probe: Probe, args: dict[str, Any], ctx: ModuleContext) -> bool:
        """For a path a check run predicts, ask ``file`` about its predicted bytes; True
        when they are not known (the result is then unpredictable)."""
        if not (ctx.check and args["get_mime"]):
            return False
        known = ctx.files.known(args["path"])
        if known is None or not known.exists:
            return False
        if known.kind == "file" and known.content is not None:
            probe.mime_of("p", known.content)
            return False
        if known.kind in ("directory", "link") or (known.kind == "file" and known.size == 0):
            probe.mime_of("p", b"")  # only whether the host has `file`
            return False
        if known.kind == "file" and known.checksum is not None:
            probe.mime_if_unchanged("p", args["path"], known.checksum)
            return False  # no answer (bytes differ) leaves mime None: see _mime
        return True

    @staticmethod
    def _mime(entry: Entry) -> dict[str, str] | None:
        """None for a predicted file whose bytes check mode does not know."""
        if not entry.predicted:
            return mime_values(entry.mime)
        if entry.mime is None:
            return None
        if entry.mime and entry.kind in ("directory", "link"):
            return mime_values(_CONSTANT_MIME[entry.kind])
        if entry.mime and entry.state.size == 0:
            return mime_values(_CONSTANT_MIME["empty"])
        return mime_values(entry.mime)  # "" when the host has no `file`
