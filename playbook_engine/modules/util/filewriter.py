"""The file writer ``copy`` and ``template`` share (no module is registered here).

``resolve_dest`` finds the file a task
targets (``dest`` itself, or ``dest/NAME`` when ``dest`` is a directory) and ``install``
compares the payload's sha1 (computed on the controller) with the remote sha1 from the
same single stat round trip, rewrites the file atomically only when the content differs,
and fixes mode/owner/group in place when only they do. Every value it reports for a check
run (mode, owner, group, checksum, content) is computed, never guessed, and recorded in
the check-run prediction so later tasks plan against it.
"""

from __future__ import annotations

import hashlib
import io
import shlex
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import IO, Any

from ...errors import ModuleError
from ..base import ModuleContext
from . import selinux
from .chattr import attributes_after_write
from .filestate import FileState, chown_spec
from .modes import ModeError, format_mode, parse_mode
from .probe import Env, Probe
from .selinux import SeContext
from .words import ValidateFailed

CHUNK = 1 << 20
DIFF_LIMIT = 1 << 20  # no text diff for content above this size, as Ansible
_PREDICT_CONTENT_LIMIT = 16 << 20  # a check run keeps file content up to this size
_BATCH = 60_000  # bytes of shell per probe (a single argv string is ≤128 KiB)


@dataclass(frozen=True, slots=True)
class Payload:
    """The bytes to install: in memory (content, a rendered template), a controller file
    (hashed and uploaded in chunks, never held in memory whole) or a file on the host."""

    checksum: str
    size: int
    data: bytes | None = None
    local: Path | None = None
    remote: str | None = None
    mode: str | None = None  # the source's mode, for mode=preserve
    label: str | None = None  # a diff's after_header: the source, else the destination
    md5: str | None = None  # a written file's legacy `md5sum`, where the bytes are at hand

    @classmethod
    def of_bytes(cls, data: bytes, label: str | None = None, mode: str | None = None) -> Payload:
        return cls(
            hashlib.sha1(data).hexdigest(),
            len(data),
            data=data,
            mode=mode,
            label=label,
            md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
        )

    @classmethod
    def of_file(cls, path: Path) -> Payload:
        digest, md5 = hashlib.sha1(), hashlib.md5(usedforsecurity=False)
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
                md5.update(chunk)
        st = path.stat()
        return cls(
            digest.hexdigest(),
            st.st_size,
            local=path,
            mode=format_mode(st.st_mode),
            label=str(path),
            md5=md5.hexdigest(),
        )

    def open(self) -> IO[bytes]:
        if self.local is not None:
            return self.local.open("rb")
        return io.BytesIO(self.data or b"")

    def sample(self, ctx: ModuleContext, limit: int) -> bytes | None:
        """The whole content when it is at most ``limit`` bytes (for diffs and predictions)."""
        if self.size > limit:
            return None
        if self.data is not None:
            return self.data
        if self.local is not None:
            return self.local.read_bytes()
        return ctx.files.read(self.remote or "")


@dataclass(frozen=True, slots=True)
class WriteOptions:
    mode: str | None = None
    owner: str | None = None
    group: str | None = None
    backup: bool = False
    force: bool = True
    follow: bool = False
    validate: str | None = None
    selinux: dict[str, Any] = field(default_factory=dict)  # seuser/serole/setype/selevel
    attributes: str | None = None  # chattr flags; only modules that declare the argument

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> WriteOptions:
        return cls(
            args.get("mode"),
            args.get("owner"),
            args.get("group"),
            bool(args.get("backup")),
            args.get("force") is not False,
            bool(args.get("follow")),
            args.get("validate"),
            {k: args[k] for k in selinux.PARTS if args.get(k) is not None},
        )


@dataclass(frozen=True, slots=True)
class _Parent:
    """Who writes, what a new file in the directory would get, and whether it can."""

    is_dir: bool
    writable: bool
    env: Env
    group: str  # a new file's group: the directory's where it is setgid, else the user's

    def refusal(self, file_uid: int | None, attrs: dict[str, str]) -> str | None:
        """Why chmod/chown of a file owned by ``file_uid`` would be refused, if it would."""
        env = self.env
        if env.uid == 0:
            return None
        if "owner" in attrs and not env.is_me(attrs["owner"]):
            return f"only root may give a file to {attrs['owner']} (use become)"
        if ("mode" in attrs or "group" in attrs) and file_uid != env.uid:
            return "only the file's owner or root may change its mode or group"
        if "group" in attrs and not env.in_group(attrs["group"]):
            return f"{env.user} is not in group {attrs['group']}"
        return None


def quote(path: str) -> str:
    return shlex.quote(path)


# -- finding the destination ---------------------------------------------------------------


def resolve_dest(
    ctx: ModuleContext, dest: str, name: str | None, opts: WriteOptions
) -> tuple[str, FileState]:
    """The file to write and its state: ``dest``, or ``dest/name`` when ``dest`` is a
    directory (or ends in ``/``, which creates it, as Ansible does). One round trip when
    ``dest`` is a file; ``name`` is None for content, which cannot go into a directory."""
    if dest.endswith("/"):
        if name is None:
            raise ModuleError(f"can not use content with a dir as dest ({dest})")
        ensure_dir(ctx, dest.rstrip("/") or "/")
        return _in_dir(ctx, dest, name, opts)
    state = stat_path(
        ctx,
        dest,
        checksum=opts.force,
        follow=opts.follow,
        context=bool(opts.selinux),
        parent=str(PurePosixPath(dest).parent),
    )
    if state.kind == "link" and stat_path(ctx, dest, follow=True).kind == "directory":
        state = replace(state, kind="directory")
    if state.kind != "directory":
        return dest, state
    if name is None:
        raise ModuleError(f"can not use content with a dir as dest ({dest})")
    return _in_dir(ctx, dest, name, opts)


def _in_dir(
    ctx: ModuleContext, directory: str, name: str, opts: WriteOptions
) -> tuple[str, FileState]:
    path = str(PurePosixPath(directory) / name)
    state = stat_path(
        ctx,
        path,
        checksum=opts.force,
        follow=opts.follow,
        context=bool(opts.selinux),
        parent=directory,
    )
    if state.kind == "directory":
        raise ModuleError(f"{path} is a directory, not a file")
    return path, state


def ensure_dir(ctx: ModuleContext, path: str, mode: str | None = None) -> bool:
    """``mkdir -p`` (recorded as a new directory in a check run); True when it was missing."""
    state = stat_path(ctx, path, follow=True)
    if state.kind == "directory":
        return False
    if state.exists:
        raise ModuleError(f"{path} exists and is not a directory")
    ctx.files.mkdir([path], mode)
    return True


# -- installing one file -------------------------------------------------------------------


def install(
    ctx: ModuleContext, payload: Payload, dest: str, state: FileState, opts: WriteOptions
) -> dict[str, Any]:
    """Make ``dest`` hold ``payload`` with the wanted attributes; the task's result."""
    result = _install(ctx, payload, dest, state, opts)
    if opts.attributes and not result.get("failed") and result.get("msg") != _KEPT:
        _set_flags(ctx, result.get("dest", dest), state, opts.attributes, result)
    return result


_KEPT = "file already exists (force=false)"


def _set_flags(
    ctx: ModuleContext, dest: str, state: FileState, spec: str, result: dict[str, Any]
) -> None:
    """chattr ``spec`` on the installed file, as Ansible does after the write; a check run
    counts a file that is not there yet as changed."""
    out = attributes_after_write(ctx, dest, spec, state.exists)
    if out.get("changed"):
        result["changed"] = True
        if ctx.diff and isinstance(result.get("diff"), dict):
            for side in ("before", "after"):
                if isinstance(result["diff"].get(side), dict):
                    result["diff"][side].update(out["diff"][side])


def _install(
    ctx: ModuleContext, payload: Payload, dest: str, state: FileState, opts: WriteOptions
) -> dict[str, Any]:
    if opts.follow and state.kind == "file" and state.target:
        dest = _resolve(dest, state.target)
    if state.kind == "other":
        raise ModuleError(f"{dest} exists and is not a regular file")
    if state.exists and not opts.force:
        return {
            **_result(dest, payload, state),
            "changed": False,
            "msg": _KEPT,
        }
    if state.kind == "file" and checksum_of(state) == payload.checksum:
        return _fix_attributes(ctx, payload, dest, state, opts)
    try:
        return _write(ctx, payload, dest, state, opts)
    except ValidateFailed as exc:  # the old file is untouched; Ansible's result shape
        return {
            "changed": False,
            "failed": True,
            "msg": "failed to validate",
            "exit_status": exc.rc,
            "stdout": exc.stdout,
            "stdout_lines": exc.stdout.splitlines(),
            "stderr": exc.stderr,
            "stderr_lines": exc.stderr.splitlines(),
            "checksum": payload.checksum,
        }


def checksum_of(state: FileState) -> str | None:
    if state.checksum is None and state.content is not None:
        return hashlib.sha1(state.content).hexdigest()
    return state.checksum


def _fix_attributes(
    ctx: ModuleContext, payload: Payload, dest: str, state: FileState, opts: WriteOptions
) -> dict[str, Any]:
    """Same content: chmod/chown in place when the attributes differ, nothing otherwise."""
    mode = want_mode(opts.mode, payload.mode, int(state.mode or "0", 8))
    parts = selinux.wanted(opts.selinux, state.selinux)
    after = replace(
        state,
        mode=mode if opts.mode else state.mode,
        owner=opts.owner or state.owner,
        group=opts.group or state.group,
        selinux=_context_after(parts, state.selinux),
    )
    if after.owner != state.owner or after.group != state.group:
        after = _with_ids(replace(after, uid=None, gid=None), state, None)
    before_attrs, after_attrs = _attr_changes(state, after, opts, parts)
    if not after_attrs:
        return {**_result(dest, payload, state), "changed": False}
    if ctx.check:  # the real run would learn this from chmod/chown; predict it exactly
        who = _probe_parent(ctx, str(PurePosixPath(dest).parent), need_dir=False)
        if why := who.refusal(state.uid, after_attrs):
            raise ModuleError(f"cannot set attributes of {dest}: {why}")
    command = _chattr(dest, after_attrs, parts)
    ctx.files.apply(command, predicted=after, what=f"set attributes of {dest}")
    result = {**_result(dest, payload, after), "changed": True}
    if ctx.diff:
        result["diff"] = {
            "before": before_attrs,
            "after": after_attrs,
            "before_header": dest,
            "after_header": dest,
        }
    return result


def _context_after(parts: dict[str, str], se: SeContext | None) -> SeContext | None:
    if not parts or se is None:
        return se
    return SeContext(selinux.after(parts, se.current), se.default)


def _attr_changes(
    state: FileState, after: FileState, opts: WriteOptions, parts: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    before: dict[str, str] = {}
    changed: dict[str, str] = {}
    if context := selinux.changes(parts, state.selinux):
        before["secontext"], changed["secontext"] = context
    if opts.mode and after.mode != state.mode:
        before["mode"], changed["mode"] = state.mode or "", after.mode or ""
    if opts.owner and not state.owned_by(opts.owner):
        before["owner"], changed["owner"] = state.owner or "", opts.owner
    if opts.group and not state.in_group(opts.group):
        before["group"], changed["group"] = state.group or "", opts.group
    return before, changed


def _chattr(path: str, attrs: dict[str, str], parts: dict[str, str]) -> str:
    steps = [selinux.chcon(parts, quote(path))] if "secontext" in attrs else []
    if "mode" in attrs:
        steps.append(f"chmod {quote(attrs['mode'])} -- {quote(path)}")
    if "owner" in attrs or "group" in attrs:
        spec = chown_spec(attrs.get("owner"), attrs.get("group"))
        steps.append(f"chown {quote(spec)} -- {quote(path)}")
    return " && ".join(steps)


def want_mode(spec: str | None, source_mode: str | None, base: int) -> str:
    """The octal mode a file ends with: ``spec`` (octal, symbolic or ``preserve``) applied
    to ``base``, the bits it has (or would be created with)."""
    if spec is None:
        return format_mode(base)
    if spec == "preserve":
        return source_mode or format_mode(base)
    try:
        return format_mode(parse_mode(spec, base, False))
    except ModeError as exc:
        raise ModuleError(f"invalid mode {spec!r}: {exc}") from None


def _write(
    ctx: ModuleContext, payload: Payload, dest: str, state: FileState, opts: WriteOptions
) -> dict[str, Any]:
    parent = _probe_parent(ctx, str(PurePosixPath(dest).parent))
    existing = state.kind == "file"
    base = int(state.mode, 8) if existing and state.mode else 0o666 & ~parent.env.umask
    mode = want_mode(opts.mode, payload.mode, base)
    owner, group = _owner_group(state if existing else None, opts)
    wanted = {k: v for k, v in (("owner", owner), ("group", group)) if v}
    if why := parent.refusal(parent.env.uid, wanted):  # the temp file is the writer's own
        raise ModuleError(f"cannot write {dest}: {why}")
    kept_owner, kept_group = _kept_owner(state, parent)
    parts = selinux.wanted(opts.selinux, state.selinux)
    after = FileState(
        dest,
        "file",
        mode=mode,
        size=payload.size,
        checksum=payload.checksum,
        owner=owner or kept_owner,
        group=group or kept_group,
        selinux=_context_after(parts, state.selinux if existing else None),
    )
    after = _with_ids(after, state if existing else None, parent.env)
    diff = _content_diff(ctx, payload, dest, state) if ctx.diff else None
    backup = None
    if ctx.check:
        content = payload.sample(ctx, _PREDICT_CONTENT_LIMIT)
        ctx.files.record(replace(after, content=content))
    else:  # a remote_src file is copied on the host (cp), atomic and race-safe too
        with payload.open() as stream:
            backup = ctx.files.write(
                dest,
                stream,
                mode=mode,
                owner=owner,
                group=group,
                backup=opts.backup,
                validate=opts.validate,
                context=parts,
                source=payload.remote,
            )
    result = {**_result(dest, payload, after), "changed": True}
    if payload.md5:
        result["md5sum"] = payload.md5
    if backup:
        result["backup_file"] = backup
    if diff is not None:
        result["diff"] = [diff]  # a list, one per file written, as Ansible's copy action
    return result


def _with_ids(after: FileState, before: FileState | None, env: Env | None) -> FileState:
    """``after`` with the uid and gid its owner and group names have, where known without
    asking the host: a number, the file's old owner, the writer itself."""

    def known(
        name: str | None, old: tuple[str | None, int | None], me: tuple[str, int] | None
    ) -> int | None:
        if name is None:
            return None
        if name.isdigit():
            return int(name)
        if name == old[0] and old[1] is not None:
            return old[1]
        return me[1] if me is not None and name == me[0] else None

    was = before or FileState(after.path, "absent")
    return replace(
        after,
        uid=known(after.owner, (was.owner, was.uid), (env.user, env.uid) if env else None),
        gid=known(after.group, (was.group, was.gid), (env.group, env.gid) if env else None),
    )


def _kept_owner(state: FileState, parent: _Parent) -> tuple[str, str]:
    """Who owns a rewritten file when no owner/group is asked for: the old owner where the
    writer may chown to it (root, or the owner itself in that group), else the writer."""
    env = parent.env
    if (
        state.kind == "file"
        and state.owner
        and state.group
        and (env.uid == 0 or (env.is_me(state.owner) and env.in_group(state.group)))
    ):
        return state.owner, state.group
    return env.user, parent.group


def _owner_group(state: FileState | None, opts: WriteOptions) -> tuple[str | None, str | None]:
    """What to chown to: nothing unless asked, and then the side not asked for is kept."""
    if not (opts.owner or opts.group):
        return None, None
    owner = opts.owner or (state.owner if state else None)
    group = opts.group or (state.group if state else None)
    return owner, group


def _probe_parent(ctx: ModuleContext, parent: str, *, need_dir: bool = True) -> _Parent:
    """The directory a file is written into, and the writer: asked with the destination
    (``stat_path(parent=...)``), so usually no round trip of its own. A missing directory
    fails the write, unless an earlier task of the check run did something check mode
    cannot follow (a command it did not run), which may well create it: the write is then
    predicted changed, as Ansible's check mode reports it."""
    probe = Probe(ctx.files)
    _ask_parent(probe, parent)
    answers = probe.run()
    entry, env = answers.entries["dir"], answers.env
    assert env is not None  # "A" asks for it
    is_dir = entry.kind == "directory"
    writable = is_dir and "w" in (entry.access or "")
    if need_dir and not entry.state.exists and ctx.files.assume(f"the directory {parent}"):
        is_dir = writable = True
    if need_dir and not is_dir:
        raise ModuleError(f"Destination directory {parent} does not exist")
    if need_dir and not writable:
        raise ModuleError(f"Destination {parent} not writable (permission denied)")
    setgid = is_dir and entry.state.mode is not None and int(entry.state.mode, 8) & 0o2000
    return _Parent(is_dir, writable, env, entry.state.group or env.group if setgid else env.group)


def _ask_parent(probe: Probe, parent: str) -> None:
    probe.path("dir", parent, "LA")


def _content_diff(
    ctx: ModuleContext, payload: Payload, dest: str, state: FileState
) -> dict[str, Any]:
    """Before/after text, or a placeholder (and Ansible's flag) for binary or large content."""
    diff: dict[str, Any] = {"before_header": dest, "after_header": payload.label or dest}
    before = b""
    if state.kind == "file":
        if state.size is not None and state.size > DIFF_LIMIT:
            diff["dst_larger"] = DIFF_LIMIT
        else:
            before = ctx.files.read(dest)
    after = payload.sample(ctx, DIFF_LIMIT)
    if after is None:
        diff["src_larger"] = DIFF_LIMIT
    if b"\0" in before:
        diff["dst_binary"] = 1
    if after is not None and b"\0" in after:
        diff["src_binary"] = 1
    diff["before"] = _shown(before, "dst_larger" in diff, "dst_binary" in diff, state.size)
    diff["after"] = _shown(after or b"", after is None, "src_binary" in diff, payload.size)
    return diff


def _shown(data: bytes, large: bool, binary: bool, size: int | None) -> str:
    if large:
        return f"(diff skipped: {size} bytes, larger than {DIFF_LIMIT})\n"
    if binary:
        return f"(diff skipped: binary content, {size} bytes)\n"
    return data.decode("utf-8", "replace")


def _result(dest: str, payload: Payload, state: FileState) -> dict[str, Any]:
    out: dict[str, Any] = {
        "dest": dest,
        "checksum": payload.checksum,
        "size": payload.size,
        "state": "file",
    }
    for key in ("mode", "owner", "group", "uid", "gid"):
        if (value := getattr(state, key)) is not None:
            out[key] = value
    if state.selinux is not None and state.selinux.current:
        out["secontext"] = state.selinux.current
    return out


def _resolve(path: str, target: str) -> str:
    if target.startswith("/"):
        return target
    return str(PurePosixPath(path).parent / target)


# -- directory trees -----------------------------------------------------------------------


def stat_path(
    ctx: ModuleContext,
    path: str,
    *,
    checksum: bool = False,
    follow: bool = False,
    context: bool = False,
    parent: str | None = None,
) -> FileState:
    """One path's state: one round trip, none when the check-run prediction knows it.
    ``parent``: also ask what a write into that directory needs (``_probe_parent`` then
    answers from the task's probe cache)."""
    return stat_many(ctx, [path], checksum=checksum, follow=follow, context=context, parent=parent)[
        path
    ]


def stat_many(
    ctx: ModuleContext,
    paths: list[str],
    *,
    checksum: bool = True,
    follow: bool = False,
    context: bool = False,
    parent: str | None = None,
) -> dict[str, FileState]:
    """Lstat (stat with ``follow``) + sha1 (+ the SELinux context with ``context``) of many
    paths in one round trip (the probe layer); a check run's predictions answer first.
    Followed links keep, as ``target``, where they lead."""
    # N: a path in a directory the user cannot search is absent (the parent check then
    # says why the write fails, in Ansible's words)
    flags = "N" + ("L" if follow else "") + ("S" if checksum else "")
    states: dict[str, FileState] = {}
    start, size = 0, 0
    for end, path in enumerate(paths, 1):
        size += len(path) + 40 + 200 * context
        if size > _BATCH or end == len(paths):
            batch = paths[start:end]
            states.update(_stat_batch(ctx, batch, flags, context, parent if not start else None))
            start, size = end, 0
    return states


def _stat_batch(
    ctx: ModuleContext, paths: list[str], flags: str, context: bool, parent: str | None
) -> dict[str, FileState]:
    probe = Probe(ctx.files)
    for index, path in enumerate(paths):
        probe.path(f"p{index}", path, flags)
        if context:
            probe.selinux(f"p{index}", path, "L" in flags)
    if parent is not None:
        _ask_parent(probe, parent)
    answers = probe.run()
    states = {}
    for index, path in enumerate(paths):
        entry = answers.entries[f"p{index}"]
        state = replace(entry.state, path=path)
        if "L" in flags and entry.real is not None:
            state = replace(state, target=entry.real)
        if (se := answers.selinux.get(f"p{index}")) is not None and state.selinux is None:
            state = replace(state, selinux=se)
        states[path] = state
    return states
