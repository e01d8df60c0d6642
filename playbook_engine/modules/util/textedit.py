"""Editing a text file on a host, shared by lineinfile and blockinfile.

The file is fetched to the controller, a pure function computes the new bytes, and the
result is written back atomically through ``ctx.files``. Keeping the edit pure means the
line algorithms are unit-tested without a host, and check mode is exact for free: a check
run computes the same new bytes and records them in the prediction instead of writing.

Files are handled as bytes throughout, so content that is not UTF-8 survives untouched.
Lines are split on ``\\n`` only and keep their endings; a file whose first line ends in
``\\r\\n`` is a CRLF file, and lines the modules add to it end in ``\\r\\n`` too.

The remote side costs one round trip for a file in the desired state: one probe (the
probe layer, ``probe``) resolves symlinks (so the real file is edited, not replaced by a
copy), stats it, says whether its directory is writable and how many parent directories
are missing, who the writing user is, and prints the content. That is enough to fail
exactly where the write would fail (permissions, a chown only root may make) in check runs
too, and to record the owner and mode the write will leave, so later tasks of a check run
compare against the truth.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any

from ...errors import ModuleError
from ...templating.values import Unpredictable
from ..base import Arg, ModuleContext
from . import selinux
from .chattr import ATTRIBUTES, attributes_after_write
from .fileargs import SE_ARGS, UNSAFE_WRITES, VALIDATE
from .filestate import FileState
from .modes import ModeError, format_mode, is_octal, parse_mode
from .probe import Answers, Env, Files, Probe
from .selinux import SeContext
from .words import ValidateFailed

ATTRS_CHANGED = "ownership, perms or SE linux context changed"
_MAX_LINKS = 40

FILE_ARGS: dict[str, Arg] = {
    "create": Arg(
        "bool",
        default=False,
        description="Create the file (and missing parent directories) if it is "
        "missing; otherwise a missing file fails the task.",
    ),
    "backup": Arg(
        "bool", default=False, description="Keep a timestamped copy of the file before changing it."
    ),
    "mode": Arg(
        "mode",
        description="Permissions of the file: octal ('0644') or symbolic "
        "('u=rw,g=r'). Default: keep them (new files: 0666 & ~umask).",
    ),
    "owner": Arg("str", description="User that should own the file (name or uid)."),
    "group": Arg("str", description="Group that should own the file (name or gid)."),
    "validate": VALIDATE,
    "unsafe_writes": UNSAFE_WRITES,
    "attributes": ATTRIBUTES,
    **SE_ARGS,
}
ENCODING = Arg(
    "str",
    default="utf-8",
    description="The file's character encoding (a Python codec name, e.g. `utf-16`, "
    "`latin-1`): the file is decoded with it, edited, and written back in it. With a UTF-8 "
    "codec the bytes are edited as they are, so bytes that are not UTF-8 survive.",
)

# Resolve symlinks, find the nearest existing ancestor and whether the user may replace a
# file there: "W|writable|missing|ancestor_is_dir", then the resolved path, hex, as "real|"
# ("real|=": the path as given, which saves two processes in the common case).
_RESOLVE = (
    "p={path}; o=$p; case $p in '~') p=$HOME ;; '~/'*) p=$HOME/${{p#??}} ;; esac; r=$p; "
    'if [ -L "$p" ]; then r=$(readlink -f -- "$p" && echo x) || '
    "{{ echo 'the symlink cannot be resolved' >&2; exit 4; }}; r=${{r%??}}; fi; "
    "up() {{ case $1 in */*) u=${{1%/*}}; u=${{u:-/}} ;; *) u=. ;; esac; }}; "
    'up "$r"; d=$u; m=0; '
    'while [ ! -e "$d" ] && [ ! -L "$d" ]; do m=$((m+1)); up "$d"; d=$u; done; '
    'k=0; [ -d "$d" ] && k=1; w=0; [ $k = 1 ] && [ -w "$d" ] && [ -x "$d" ] && w=1; '
    'if [ $w = 1 ] && [ $m = 0 ] && [ -k "$d" ] && [ -e "$r" ] && [ ! -O "$r" ] '
    '&& [ ! -O "$d" ] && [ "$(id -u)" != 0 ]; then w=0; fi; '
    'echo "W|$w|$m|$k"; if [ "$r" = "$o" ]; then echo \'real|=\'; '
    "else printf 'real|'; printf '%s' \"$r\" | _h; echo; fi"
)


# -- pure helpers ------------------------------------------------------------------------


def to_bytes(text: str) -> bytes:
    """Arguments are text; surrogate escapes stand for bytes that are not UTF-8."""
    return text.encode("utf-8", "surrogateescape")


def to_text(data: bytes, encoding: str = "utf-8") -> str:
    """For diffs and messages only: undecodable bytes show as U+FFFD."""
    return data.decode(encoding, "replace")


def codec_of(encoding: str | None) -> str | None:
    """The codec an ``encoding`` argument names; None for UTF-8 (bytes are edited as they
    are). Raises ModuleError for a name Python does not know."""
    try:
        name = codecs.lookup(encoding or "utf-8").name
    except LookupError:
        raise ModuleError(f"unknown encoding: {encoding}") from None
    return None if name == "utf-8" else name


def decode_as(data: bytes | None, codec: str | None, shown: str) -> bytes | None:
    """``data`` in ``codec`` re-encoded as UTF-8, the encoding edits work in (pure)."""
    if data is None or codec is None:
        return data
    try:
        return data.decode(codec).encode("utf-8", "surrogateescape")
    except UnicodeDecodeError as exc:
        raise ModuleError(f"cannot decode {shown} as {codec}: {exc.reason}") from None


def encode_as(data: bytes, codec: str | None, shown: str) -> bytes:
    """UTF-8 ``data`` written in ``codec`` (pure)."""
    if codec is None:
        return data
    try:
        return data.decode("utf-8", "surrogateescape").encode(codec)
    except UnicodeError as exc:
        raise ModuleError(f"cannot encode the new content of {shown} as {codec}: {exc}") from None


def split_lines(data: bytes) -> list[bytes]:
    """Lines with their endings; only ``\\n`` ends a line (a lone ``\\r`` is content)."""
    lines = data.split(b"\n")
    out = [line + b"\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def newline_of(data: bytes) -> bytes:
    """The file's line ending, judged by its first line: CRLF or LF (the default)."""
    end = data.find(b"\n")
    return b"\r\n" if end > 0 and data[end - 1 : end] == b"\r" else b"\n"


def body(line: bytes) -> bytes:
    """A line without its ending, as the modules compare lines."""
    return line.rstrip(b"\r\n")


def ending(line: bytes, newline: bytes) -> bytes:
    """The line's own ending, or ``newline`` for an unterminated last line."""
    return line[len(body(line)) :] if line.endswith(b"\n") else newline


def for_search(line: bytes) -> bytes:
    """A line as a regex sees it: CRLF shown as LF, so ``$`` works the same in CRLF files."""
    return line[:-2] + b"\n" if line.endswith(b"\r\n") else line


def terminate_last(lines: list[bytes], newline: bytes) -> None:
    """Give an unterminated last line an ending before something is added after it."""
    if lines and not lines[-1].endswith(b"\n"):
        lines[-1] += newline


def compile_regex(pattern: str, what: str) -> re.Pattern[bytes]:
    try:
        return re.compile(to_bytes(pattern))
    except re.error as exc:
        raise ModuleError(f"{what}: invalid regular expression {pattern!r}: {exc}") from None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an edit decided. ``after`` is the new content (None: write nothing); a
    ``failed`` outcome carries Ansible's message and ``rc`` in ``extra``."""

    after: bytes | None
    msg: str = ""
    failed: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


# -- the host side -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """The file an edit works on, resolved through symlinks."""

    path: str  # the real file (symlinks resolved)
    state: FileState
    content: bytes | None  # None unless a regular file
    missing: int = 0  # parent directories that do not exist yet
    parent_ok: bool = True  # the nearest existing ancestor is a directory
    writable: bool = True  # a temp file can be created and renamed there
    identity: Env | None = None  # the writer, when the host was asked


@dataclass(frozen=True, slots=True)
class FileOptions:
    """The arguments every text-file module shares."""

    create: bool = False
    backup: bool = False
    mode: str | None = None
    owner: str | None = None
    group: str | None = None
    validate: str | None = None
    selinux: Mapping[str, Any] = field(default_factory=dict)
    attributes: str | None = None  # chattr flags (``chattr.py``)
    encoding: str = "utf-8"  # for diffs: the codec the file is in

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> FileOptions:
        return cls(
            bool(args.get("create")),
            bool(args.get("backup")),
            args.get("mode"),
            args.get("owner"),
            args.get("group"),
            args.get("validate"),
            {k: args[k] for k in selinux.PARTS if args.get(k) is not None},
            args.get("attributes"),
        )


def target_of(path: str, answers: Answers) -> Target:
    """The probe's answers as the file to edit (pure; unit-tested)."""
    rows, real = answers.records.get("W"), answers.records.get("real")
    if not rows or not real or "s" not in answers.entries or answers.env is None:
        raise ModuleError(f"cannot inspect {path}: unexpected reply from the host")
    writable, missing, parent_dir = rows[0][:3]
    resolved = (
        path if real[0][0] == "=" else bytes.fromhex(real[0][0]).decode("utf-8", "surrogateescape")
    )
    state = replace(answers.entries["s"].state, path=resolved)
    if "s" in answers.selinux:
        state = replace(state, selinux=answers.selinux["s"])
    return Target(
        resolved,
        state,
        answers.content if state.kind == "file" else None,
        int(missing),
        parent_dir == "1",
        writable == "1",
        answers.env,
    )


def ask_host(files: Files, path: str, context: bool = False) -> Target:
    """One round trip: the file, its directory, the writer and the content. ``context``:
    also whether SELinux is on and the file's context."""
    probe = Probe(files)
    probe.env()
    probe.script(_RESOLVE.format(path=shlex.quote(path)))
    probe.word("s", '"$r"', "L")
    if context:
        probe.script(selinux.probe('"$r"', always=True, tag="Zs"))
    probe.content('"$r"')
    answers = probe.run(lambda res: _probe_failure(path, res.err or res.out, res.rc))
    return target_of(path, answers)


def probe(ctx: ModuleContext, path: str, context: bool = False) -> Target:
    """The file and its content: from the check run's prediction when it knows the path,
    else from the host in one round trip. ``context``: also whether SELinux is on and the
    file's context (the host is asked then, even for a predicted file)."""
    if ctx.check and not context:
        path, known = _follow_prediction(ctx, path)
        if known is not None and (known.exists or _predicted_dir(ctx, path)):
            return Target(path, known, _predicted_content(ctx, path, known))
    target = ask_host(ctx.files, path, context)
    if (known := ctx.files.known(target.path)) is not None:
        known = replace(known, selinux=_predicted_context(known, target.state.selinux))
        return replace(
            target,
            state=replace(known, path=target.path),
            content=_predicted_content(ctx, target.path, known),
        )
    return target


def _predicted_context(known: FileState, host: SeContext | None) -> SeContext | None:
    """Where SELinux is on, the context an earlier task of the check run would leave (not
    known unless it set one)."""
    if host is None:
        return None
    return known.selinux or SeContext("", host.default)


def _follow_prediction(ctx: ModuleContext, path: str) -> tuple[str, FileState | None]:
    for _ in range(_MAX_LINKS):
        known = ctx.files.known(path)
        if known is None or known.kind != "link" or not known.target:
            return path, known
        path = str(PurePosixPath(path).parent / known.target)
    raise ModuleError(f"too many levels of symbolic links at {path}")


def _predicted_dir(ctx: ModuleContext, path: str) -> bool:
    parent = ctx.files.known(str(PurePosixPath(path).parent))
    return parent is not None and parent.kind == "directory"


def _predicted_content(ctx: ModuleContext, path: str, known: FileState) -> bytes | None:
    """What an earlier task would leave in the file. Content the prediction does not hold
    is the host's, unless that task would have changed it (a known checksum differs)."""
    if known.kind != "file":
        return None
    if known.content is not None:
        return known.content
    try:
        data = ctx.files.read(path)
    except ModuleError:
        data = None
    if data is None or (
        known.checksum is not None and hashlib.sha1(data).hexdigest() != known.checksum
    ):
        raise Unpredictable(f"{path}, whose content after an earlier task check mode does not hold")
    return data


def _probe_failure(path: str, text: str, rc: int) -> str:
    """``cat: /some/path: Permission denied`` -> ``cannot read PATH: Permission denied``."""
    reason = text.strip().splitlines()[-1] if text.strip() else f"exit status {rc}"
    return f"cannot read {path}: {reason.rsplit(': ', 1)[-1]}"


def kind_failure(target: Target, shown: str) -> dict[str, Any] | None:
    """Ansible's failure for a path that is not a file the modules can edit."""
    if target.state.kind == "directory":
        return {
            "failed": True,
            "changed": False,
            "rc": 256,
            "msg": f"Path {shown} is a directory !",
        }
    if target.state.kind not in ("file", "absent"):
        return {"failed": True, "changed": False, "msg": f"Path {shown} is not a regular file"}
    return None


# -- committing an outcome ---------------------------------------------------------------


def commit(
    ctx: ModuleContext, shown: str, target: Target, outcome: Outcome, opts: FileOptions
) -> dict[str, Any]:
    """Write the outcome (or only fix attributes) and build the Ansible-shaped result."""
    write = outcome.after is not None and outcome.after != target.content
    attrs = attr_changes(target.state, opts) if target.state.exists else {}
    result: dict[str, Any] = {"changed": write or bool(attrs), "msg": _message(outcome.msg, attrs)}
    result.update(outcome.extra)
    if outcome.warnings:
        result["warnings"] = list(outcome.warnings)
    if write and outcome.after is not None:
        try:
            backup = _write(ctx, shown, target, outcome.after, opts, attrs)
        except ValidateFailed as exc:  # the file is left as it was
            return {"failed": True, "changed": False, "msg": exc.message}
        if backup:
            result["backup"] = backup
    elif attrs:
        _set_attrs(ctx, shown, target, attrs, opts)
    flags = _chattr(ctx, target, opts, result)
    after = outcome.after if write else None
    if ctx.diff and (diff := _diffs(shown, target, after, {**attrs, **flags}, opts.encoding)):
        result["diff"] = diff[0] if len(diff) == 1 else diff
    return result


def _chattr(
    ctx: ModuleContext, target: Target, opts: FileOptions, result: dict[str, Any]
) -> dict[str, tuple[str, str]]:
    """Apply ``attributes`` (chattr flags) to the file, as Ansible does after the write;
    a check run counts a file that is not there yet as changed. Returns the before/after
    flags for the diff when they change."""
    out = attributes_after_write(ctx, target.path, opts.attributes, target.state.exists)
    if not out.get("changed"):
        return {}
    if not result["changed"]:
        result["msg"] = ATTRS_CHANGED
    elif ATTRS_CHANGED not in result["msg"]:
        result["msg"] = _message(result["msg"], {"attributes": True})
    result["changed"] = True
    diff = out["diff"]
    return {"attributes": (diff["before"].get("attributes", ""), opts.attributes or "")}


def attr_changes(state: FileState, opts: FileOptions) -> dict[str, tuple[str, str]]:
    """Attribute -> (before, after) for what ``mode``/``owner``/``group`` (and the SELinux
    parts, as ``secontext``) would change."""
    out: dict[str, tuple[str, str]] = {}
    if opts.mode is not None:
        want = absolute_mode(opts.mode, state.mode)
        if want != state.mode:
            out["mode"] = (state.mode or "", want)
    for key, name, ident in (("owner", state.owner, state.uid), ("group", state.group, state.gid)):
        value = getattr(opts, key)
        if value is not None and value not in (name, str(ident)):
            out[key] = (name or "", value)
    if context := selinux.changes(selinux.wanted(opts.selinux, state.selinux), state.selinux):
        out["secontext"] = context
    return out


def absolute_mode(mode: str, current: str | None) -> str:
    """``mode`` as the octal string chmod would leave on a file whose mode is ``current``."""
    try:
        return format_mode(parse_mode(mode, int(current or "0", 8)))
    except ModeError as exc:
        raise ModuleError(f"mode: {exc}") from None


def forbidden(
    state: FileState, attrs: Mapping[str, Any], opts: FileOptions, who: Env, rewrite: bool
) -> str | None:
    """The attribute a non-root writer may not set, or None. A rewrite chowns the writer's
    own temp file (only to itself, and to its own groups); an attribute-only change needs
    the file's ownership, and only root gives a file away."""
    if who.uid == 0:
        return None
    if rewrite:
        if opts.owner is not None and not who.is_me(opts.owner):
            return "owner"
        return "group" if opts.group is not None and not who.in_group(opts.group) else None
    if "owner" in attrs:
        return "owner"
    if attrs and not who.owns(state):
        return next(key for key in ("mode", "group", "secontext") if key in attrs)
    return "group" if "group" in attrs and not who.in_group(attrs["group"][1]) else None


def owner_after_write(
    base: FileState | None, opts: FileOptions, who: Env
) -> tuple[str | None, str | None]:
    """Owner and group a rewritten (or new) file ends up with. ``ctx.files.write`` copies
    the old file's owner:group onto the temp file when it may (root, or an owner in that
    group); when only one of ``owner``/``group`` is given the other half is the old
    file's; a new file gets what is given, else the writer's user and primary group."""
    if base is None or not base.exists:
        return opts.owner or who.user, opts.group or who.group
    keep = who.uid == 0 or (who.owns(base) and who.member(base))
    if opts.owner is None and opts.group is None and keep:
        return base.owner, base.group
    if opts.owner or opts.group:  # only one half given: the other stays the file's
        return opts.owner or base.owner, opts.group or base.group
    return opts.owner or who.user, opts.group or who.group


def _message(msg: str, attrs: Mapping[str, Any]) -> str:
    if not attrs:
        return msg
    return f"{msg} and {ATTRS_CHANGED}" if msg else ATTRS_CHANGED


def _write(
    ctx: ModuleContext,
    shown: str,
    target: Target,
    data: bytes,
    opts: FileOptions,
    attrs: Mapping[str, Any],
) -> str | None:
    """Fail where the real write would (in check runs too), then write or record."""
    if target.missing and not target.parent_ok:
        raise ModuleError(f"cannot create {shown}: a parent path is not a directory")
    if not target.writable:
        raise ModuleError(
            f"cannot write {shown}: permission denied (this user may not "
            "replace files in its directory)"
        )
    exists = target.state.exists
    who = target.identity
    umask = None
    if who is None or (not exists and (ctx.check or _symbolic(opts.mode))):
        umask, who = _host_defaults(ctx)
    _refuse(shown, forbidden(target.state, attrs, opts, who, rewrite=True))
    base = target.state if exists else None
    if umask is not None and not exists:
        base = FileState(
            target.path,
            "file",
            mode=format_mode(0o666 & ~umask),
            uid=who.uid,
            owner=who.user,
            group=who.group,
        )
    mode = absolute_mode(opts.mode, base.mode if base else None) if opts.mode else None
    owner, group = opts.owner, opts.group
    if ctx.check:  # record what the real write will leave, for later tasks of the run
        mode = mode or (base.mode if base else None)
        owner, group = owner_after_write(base, opts, who)
    _make_parents(ctx, target)
    return ctx.files.write(
        target.path,
        data,
        mode=mode,
        owner=owner,
        group=group,
        backup=opts.backup and exists,
        validate=opts.validate,
        context=selinux.wanted(opts.selinux, target.state.selinux),
        current=base,
    )


def _symbolic(mode: str | None) -> bool:
    return mode is not None and not is_octal(mode)


def _refuse(shown: str, attribute: str | None) -> None:
    if attribute is not None:
        raise ModuleError(
            f"cannot change the {attribute} of {shown}: Operation not "
            "permitted for this user (use become)"
        )


def _host_defaults(ctx: ModuleContext) -> tuple[int, Env]:
    """The umask a new file is created with, and the writing user (the task's probe cache
    usually has them)."""
    probe = Probe(ctx.files)
    probe.env()
    env = probe.run().env
    assert env is not None
    return env.umask, env


def _make_parents(ctx: ModuleContext, target: Target) -> None:
    if not target.missing:
        return
    parents = list(PurePosixPath(target.path).parents)[: target.missing]
    ctx.files.mkdir([str(d) for d in reversed(parents)])


def _set_attrs(
    ctx: ModuleContext,
    shown: str,
    target: Target,
    attrs: Mapping[str, tuple[str, str]],
    opts: FileOptions,
) -> None:
    """chmod/chown/chcon in place (the content is not rewritten)."""
    who = target.identity or _host_defaults(ctx)[1]
    _refuse(shown, forbidden(target.state, attrs, FileOptions(), who, rewrite=False))
    quoted = shlex.quote(target.path)
    steps = []
    if "mode" in attrs:
        steps.append(f"chmod {shlex.quote(attrs['mode'][1])} -- {quoted}")
    if "owner" in attrs or "group" in attrs:
        spec = attrs["owner"][1] if "owner" in attrs else ""
        spec += f":{attrs['group'][1]}" if "group" in attrs else ""
        steps.append(f"chown {shlex.quote(spec)} -- {quoted}")
    if "secontext" in attrs:
        steps.append(selinux.chcon(selinux.wanted(opts.selinux, target.state.selinux), quoted))
    ctx.files.apply(
        " && ".join(steps), _after_attrs(target, attrs), what=f"set attributes of {shown}"
    )


def _after_attrs(target: Target, attrs: Mapping[str, tuple[str, str]]) -> FileState:
    state = target.state
    changed = {key: value[1] for key, value in attrs.items()}
    return replace(
        state,
        path=target.path,
        mode=changed.get("mode", state.mode),
        owner=changed.get("owner", state.owner),
        uid=None if "owner" in changed else state.uid,
        group=changed.get("group", state.group),
        gid=None if "group" in changed else state.gid,
        content=target.content,
        selinux=replace(state.selinux, current=changed["secontext"])
        if "secontext" in changed and state.selinux
        else state.selinux,
    )


def _diffs(
    shown: str,
    target: Target,
    after: bytes | None,
    attrs: Mapping[str, tuple[str, str]],
    encoding: str = "utf-8",
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if after is not None:
        out.append(
            {
                "before": to_text(target.content or b"", encoding),
                "after": to_text(after, encoding),
                "before_header": shown,
                "after_header": shown,
            }
        )
    if attrs:
        out.append(
            {
                "before": {k: v[0] for k, v in attrs.items()},
                "after": {k: v[1] for k, v in attrs.items()},
                "before_header": shown,
                "after_header": shown,
            }
        )
    return out


def edit_file(
    ctx: ModuleContext,
    args: dict[str, Any],
    plan: Callable[[dict[str, Any], bytes | None, str], Outcome],
) -> dict[str, Any]:
    """The whole edit: probe the file, plan the new bytes on the controller, write back."""
    path = args["path"]
    codec = codec_of(args.get("encoding"))
    opts = replace(FileOptions.from_args(args), encoding=codec or "utf-8")
    target = probe(ctx, path, context=bool(opts.selinux))
    if failure := kind_failure(target, path):
        return failure
    content = decode_as(target.content, codec, path) if target.state.exists else None
    outcome = plan(args, content, path)
    if outcome.failed:
        return {"failed": True, "changed": False, "msg": outcome.msg, **outcome.extra}
    if codec is not None and outcome.after is not None:  # unchanged text keeps its bytes
        same = outcome.after == content
        after = target.content if same else encode_as(outcome.after, codec, path)
        outcome = replace(outcome, after=after)
    return commit(ctx, path, target, outcome, opts)
