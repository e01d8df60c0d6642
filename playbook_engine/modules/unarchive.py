"""unarchive: unpack a tar (plain, gz, bz2, xz, zstd) or zip archive into a directory on
the host, with the host's tar and unzip.

The archive is on the controller (uploaded to a temp file), on the host (``remote_src``)
or at a URL (downloaded on the host, as get_url does). One probe script checks ``dest``
and ``creates``, tells the format by its magic bytes (Ansible's handler names), lists the
members and compares them with ``dest`` (``tar --diff``; for zip, a scratch extraction and
``cmp``), plus each member's owner and mode when those are asked for. Only a difference
extracts, so ``changed`` and check mode (which extracts nothing) agree with the real run.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from ..errors import ModuleError
from ..transport.shell import quote, words
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.content import ATTR_ARGS, IGNORED_FILE_ARGS
from .util.download import downloaded
from .util.filestate import FileState, chown_spec
from .util.http import Request

HANDLERS = {
    "zip": "ZipArchive",
    "gz": "TgzArchive",
    "bz2": "TarBzipArchive",
    "xz": "TarXzArchive",
    "zst": "TarZstdArchive",
    "tar": "TarArchive",
}
_TAR_FLAG = {"gz": "-z", "bz2": "-j", "xz": "-J", "zst": "--zstd", "tar": ""}
_NO_SRC, _NO_DEST, _CREATED, _BAD = 20, 21, 22, 23
_END = "@@pbe-list-end@@"

# The probe: $s archive, $d dest. Prints H|handler|uid, T|dest's attributes, the members,
# an end mark, the differences from dest, an end mark, and A| attribute lines.
_PROBE = r"""s={src}; d={dest}
[ -e "$s" ] || exit {no_src}
[ -d "$d" ] || exit {no_dest}
{creates}
m=$(head -c 6 -- "$s" | od -An -tx1 | tr -d ' \n')
case $m in 504b0304*|504b0506*) h=zip;; 1f8b*) h=gz;; 425a68*) h=bz2;;
  fd377a585a00*) h=xz;; 28b52ffd*) h=zst;; *) h=tar;; esac
case $h in gz) c=-z;; bz2) c=-j;; xz) c=-J;; zst) c=--zstd;; *) c=;; esac
echo "H|$h|$(id -u)"
stat -c 'T|%a|%U|%G|%u|%g|%s' -- "$d"
if [ $h = zip ]; then w=unzip; else w=tar; fi
command -v $w >/dev/null 2>&1 || {{
  echo "Unable to find required '$w' binary in the path."; echo "{end}"; exit {bad}; }}
if [ $h = zip ]; then
  unzip -Z1 "$s" {zip_members} 2>&1 || {{ echo "{end}"; exit {bad}; }}
  echo "{end}"
  t=$(mktemp -d "${{TMPDIR:-/tmp}}/.pbe-unzip.XXXXXXXXXX") || exit 1
  unzip -qq -o "$s" {zip_members} -d "$t" >/dev/null 2>&1
  (cd "$t" && find . ! -name . -print) | while IFS= read -r f; do
    if [ -d "$t/$f" ] && [ ! -L "$t/$f" ]; then [ -d "$d/$f" ] || echo "$f: missing"
    elif [ ! -e "$d/$f" ] && [ ! -L "$d/$f" ]; then echo "$f: missing"
    elif ! cmp -s -- "$t/$f" "$d/$f"; then echo "$f: Contents differ"; fi
  done
  rm -rf -- "$t"
else
  tar $c --quoting-style=literal -t -f "$s" {tar_opts} 2>&1 || {{ echo "{end}"; exit {bad}; }}
  echo "{end}"
  tar $c --quoting-style=literal -d -C "$d" -f "$s" {tar_opts} 2>&1
fi
echo "{end}"
{attrs}"""

_ATTRS = (
    r"""cd "$d" && {list} | while IFS= read -r f; do [ -e "$f" ] && """
    r"""stat -c 'A|%U|%G|%u|%g|%a|%n' -- "$f"; done; :"""
)


@dataclass
class Probe:
    """What the probe found (pure parse; unit-tested)."""

    handler: str
    root: bool
    dest_attrs: dict[str, Any]
    members: list[str]
    differences: list[str]
    attrs: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)

    def changed(self) -> bool:
        return bool(self.differences)


def _ignored(line: str, root: bool, mode_given: bool) -> bool:
    """tar --diff lines that are not a change: ownership (owner/group decide that) and the
    mode when the task sets one (``mode`` decides it) or for a non-root user, whose umask
    makes modes differ."""
    return line.endswith(("Uid differs", "Gid differs")) or (
        (mode_given or not root) and line.endswith("Mode differs")
    )


def parse_probe(out: str, mode_given: bool = False) -> Probe:
    head, _, rest = out.partition(_END + "\n")
    diff_text, _, attr_text = rest.partition(_END + "\n")
    lines = head.splitlines()
    _, kind, uid = lines[0].split("|")
    mode, owner, group, uid_, gid, size = lines[1].split("|")[1:]
    dest_attrs = {
        "mode": mode.zfill(4),
        "owner": owner,
        "group": group,
        "uid": int(uid_),
        "gid": int(gid),
        "size": int(size),
        "state": "directory",
    }
    members = [m for m in lines[2:] if m]
    root = uid == "0"
    differences = [
        line
        for line in diff_text.splitlines()
        if line.strip() and not _ignored(line, root, mode_given)
    ]
    attrs = [
        tuple(line.split("|", 6)[1:]) for line in attr_text.splitlines() if line.startswith("A|")
    ]
    return Probe(HANDLERS[kind], root, dest_attrs, members, differences, attrs)  # type: ignore[arg-type]


def attr_fixes(probe: Probe, owner: str | None, group: str | None, mode: str | None) -> list[str]:
    """Members whose owner, group or mode is not the wanted one."""
    out = []
    for user, grp, uid, gid, have, name in probe.attrs:
        if (
            (owner and owner not in (user, uid))
            or (group and group not in (grp, gid))
            or (mode and mode.isdigit() and int(mode, 8) != int(have, 8))
        ):
            out.append(name)
    return out


@register("unarchive")
class Unarchive(Module):
    """Unpack a tar or zip archive into a directory on the host."""

    masks_url_credentials = True  # `https://user:password@...` shown as `****:****`

    predicts_files = True
    supports_async = False  # Ansible's action refuses async too

    local_paths = frozenset({"src"})
    args = {
        "src": Arg(
            "path",
            required=True,
            description="The archive: on the controller (files/), on the host with "
            "remote_src, or a URL.",
        ),
        "dest": Arg("path", required=True, description="An existing directory on the host."),
        "remote_src": Arg("bool", default=False, description="src is on the host already."),
        "copy": Arg("bool", default=True, description="Old name of remote_src, inverted."),
        "creates": Arg("path", description="Do nothing when this path exists."),
        "list_files": Arg(
            "bool", default=False, description="Return the archive's members as files."
        ),
        "exclude": Arg(
            "list",
            elements="str",
            default=[],
            description="Member names or shell patterns to leave out.",
        ),
        "include": Arg(
            "list",
            elements="str",
            default=[],
            description="Only these members (names or patterns).",
        ),
        "keep_newer": Arg(
            "bool", default=False, description="Do not replace files newer than the archive's."
        ),
        "extra_opts": Arg(
            "list", elements="str", default=[], description="More options for tar or unzip."
        ),
        "io_buffer_size": Arg("int", default=65536, description="Accepted; no effect."),
        "decrypt": Arg("bool", default=True, description="Accepted; pbe has no vault files."),
        "validate_certs": Arg(
            "bool", default=True, description="false: accept any TLS certificate for a URL."
        ),
        **ATTR_ARGS,
        **IGNORED_FILE_ARGS,
    }
    mutually_exclusive = (("include", "exclude"),)
    returns = {
        "dest": "the directory",
        "src": "the archive",
        "handler": "ZipArchive, "
        "TgzArchive, TarArchive, TarBzipArchive, TarXzArchive or TarZstdArchive",
        "files": "the members (list_files)",
        "extract_results": "rc, out, err and cmd of the extraction, when one ran",
        "mode": "dest's mode",
        "owner": "its owner",
        "group": "its group",
        "uid": "owner uid",
        "gid": "group gid",
        "size": "its size",
        "state": "directory",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        if ctx.check and args["creates"] and ctx.files.would_exist(args["creates"]):
            return Result.skip(f"skipped, since {args['creates']} exists", changed=False)
        src = args["src"]
        if "://" in src:
            request = Request.from_args({"url": src, "validate_certs": args["validate_certs"]})
            with downloaded(ctx, request) as got:
                if got.path is None:
                    raise ModuleError(f"Failure downloading {src}, {got.response.failure()}")
                if not 200 <= got.response.status < 300:
                    raise ModuleError(
                        f"Failure downloading {src}, HTTP Error {got.response.status}"
                    )
                return self._unpack(args, ctx, got.path)
        if args["remote_src"] or args["copy"] is False:
            return self._unpack(args, ctx, src)
        return self._uploaded(args, ctx)

    def _uploaded(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        local = ctx.find_file("files", args["src"])
        if not local.is_file():
            raise ModuleError(f"Source '{args['src']}' not found")
        staged = f"/tmp/.pbe-archive-{uuid.uuid4().hex}"
        with local.open("rb") as fh:
            ctx.connection.put(fh, staged, 0o600)
        try:
            return self._unpack(args, ctx, staged, shown=str(local))
        finally:
            ctx.run(f"rm -f -- {quote(staged)}")

    def _unpack(
        self, args: dict[str, Any], ctx: ModuleContext, archive: str, shown: str | None = None
    ) -> Result:
        shown = shown or args["src"]
        res = ctx.run(_probe_script(args, archive))
        if res.rc == _CREATED:
            return Result.skip(f"skipped, since {args['creates']} exists", changed=False)
        _raise_for(res.rc, args, shown, res.out)
        probe = parse_probe(res.out, mode_given=bool(args["mode"]))
        fixes = attr_fixes(probe, args["owner"], args["group"], args["mode"])
        values: dict[str, Any] = {
            "dest": args["dest"],
            "src": shown,
            "handler": probe.handler,
            **probe.dest_attrs,
        }
        if args["list_files"]:
            values["files"] = probe.members
        if not probe.changed() and not fixes:
            return Result(values=values)
        if ctx.check:
            _predict(ctx, args["dest"], probe.members)
        else:
            values["extract_results"] = self._extract(args, ctx, archive, probe, fixes)
        return Result(changed=True, values=values)

    def _extract(
        self, args: dict[str, Any], ctx: ModuleContext, archive: str, probe: Probe, fixes: list[str]
    ) -> dict[str, Any]:
        cmd = _extract_command(args, archive, probe) if probe.changed() else ":"
        script = f"{cmd}\n{_attr_command(args, probe, fixes if not probe.changed() else None)}"
        res = ctx.run(script)
        if res.rc != 0:
            raise ModuleError(
                f"failed to unpack {archive} to {args['dest']}: "
                f"{res.err.strip() or res.out.strip()}"
            )
        return {"rc": res.rc, "out": res.out, "err": res.err, "cmd": cmd}


def _predict(ctx: ModuleContext, dest: str, members: list[str]) -> None:
    """Tell the check run's later tasks (``creates``, stat, ...) what the unpack makes."""
    top = PurePosixPath(dest)
    made: dict[PurePosixPath, str] = {}
    for member in members:
        path = top / member
        if path == top:
            continue
        made[path] = "directory" if member.endswith("/") else "file"
        for parent in path.parents:  # a zip may list no directory entries
            if parent == top or top not in parent.parents:
                break
            made.setdefault(parent, "directory")
    for path, kind in sorted(made.items(), key=lambda item: len(item[0].parts)):
        ctx.files.record(FileState(str(path), kind))


def _tar_opts(args: dict[str, Any]) -> str:
    opts = [f"--exclude={quote(p)}" for p in args["exclude"]]
    opts += [quote(o) for o in args["extra_opts"]]
    if args["include"]:
        opts += ["--wildcards", "--", *map(quote, args["include"])]
    return " ".join(opts)


def _zip_members(args: dict[str, Any]) -> str:
    words = [quote(p) for p in args["include"]]
    if args["exclude"]:
        words += ["-x", *map(quote, args["exclude"])]
    return " ".join(words)


def _probe_script(args: dict[str, Any], archive: str) -> str:
    creates = f"[ -e {quote(args['creates'])} ] && exit {_CREATED}" if args["creates"] else ":"
    wanted = args["owner"] or args["group"] or args["mode"]
    return _PROBE.format(
        src=quote(archive),
        dest=quote(args["dest"]),
        creates=creates,
        no_src=_NO_SRC,
        no_dest=_NO_DEST,
        bad=_BAD,
        end=_END,
        zip_members=_zip_members(args),
        tar_opts=_tar_opts(args),
        attrs=_member_attrs() if wanted else ":",
    )


def _member_attrs() -> str:
    """Owner, group and mode of every listed member that exists in dest (the listing is
    re-read from the archive: the probe's own output is not at hand in the shell)."""
    listing = (
        '{ if [ $h = zip ]; then unzip -Z1 "$s"; '
        'else tar $c --quoting-style=literal -t -f "$s"; fi; } 2>/dev/null'
    )
    return _ATTRS.format(list=listing)


def _raise_for(rc: int, args: dict[str, Any], shown: str, out: str) -> None:
    if rc == _NO_SRC:
        raise ModuleError(f"Source '{shown}' does not exist")
    if rc == _NO_DEST:
        raise ModuleError(f"dest '{args['dest']}' must be an existing dir")
    if rc == _BAD:
        lines = out.split(_END)[0].splitlines()
        detail = "\n".join(x for x in lines if not x.startswith(("H|", "T|"))).strip()
        raise ModuleError(
            f'Failed to find handler for "{shown}". Make sure the required '
            f"command to extract the file is installed.\n{detail}"
        )
    if rc != 0:
        raise ModuleError(f"cannot inspect {shown} or {args['dest']}: exit status {rc}")


def _extract_command(args: dict[str, Any], archive: str, probe: Probe) -> str:
    dest = quote(args["dest"])
    if probe.handler == "ZipArchive":
        extra = " ".join(map(quote, args["extra_opts"]))
        return words("unzip -o", extra, quote(archive), _zip_members(args), "-d", dest)
    flag = {v: k for k, v in HANDLERS.items()}[probe.handler]
    keep = "--keep-newer-files" if args["keep_newer"] else ""
    return words(
        "tar", _TAR_FLAG[flag], "--extract -C", dest, "-f", quote(archive), keep, _tar_opts(args)
    )


def _attr_command(args: dict[str, Any], probe: Probe, only: list[str] | None) -> str:
    """chown/chmod the members (``only`` these, or all) as owner/group/mode ask."""
    if not (args["owner"] or args["group"] or args["mode"]):
        return ""
    names = only if only is not None else probe.members
    stream = "printf '%s\\0' " + " ".join(quote(n) for n in names) if names else "true"
    steps = []
    if args["owner"] or args["group"]:
        spec = chown_spec(args["owner"], args["group"])
        steps.append(f"{{ {stream} | xargs -0 -r chown -h {quote(spec)} --; }}")
    if args["mode"]:
        steps.append(f"{{ {stream} | xargs -0 -r chmod {quote(str(args['mode']))} --; }}")
    return f"cd {quote(args['dest'])} && " + " && ".join(steps)
