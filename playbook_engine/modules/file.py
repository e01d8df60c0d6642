"""file: make a path a file, directory, symlink, hard link or nothing; set mode and owner.

The module asks the host everything it needs with one ``util.probe.Probe`` command, decides
with pure functions (``plan``: unit-tested without a host), and applies the whole change
with one shell command. A check run stops before applying and records in the prediction
exactly what the run would leave, every newly created parent directory included, so
later tasks in the same check run plan against it. Failures the kernel would report
(chown as non-root, a parent the user cannot write) are decided from the probe too, and
reported before anything is changed, in check and real runs alike.

Hosts may share a filesystem (the local connection, ``delegate_to: localhost``, NFS homes),
so another host can make the same change between this host's probe and its command. Every
create is therefore race-safe: a directory, link or removal that another host completed
first is accepted (and this host reports ``ok`` for it), a replacement is a rename of a
uniquely named temp entry, and nothing fails because another host got there first.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any

from ..errors import ModuleError, NotOnHost
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util import selinux
from .util.chattr import ATTRIBUTES, set_attributes
from .util.fileargs import SE_ARGS, UNSAFE_WRITES
from .util.filestate import FileState
from .util.modes import ModeError, format_mode, parse_mode
from .util.probe import PRELUDE, Answers, Entry, Env, Node, Probe, find_start, parse_entry, resolve
from .util.remotefs import temp_beside
from .util.selinux import SeContext

STATES = ("file", "directory", "absent", "touch", "link", "hard")
_TIMES = ("now", "preserve")
_EMPTY_SHA1 = hashlib.sha1(b"").hexdigest()


@dataclass(frozen=True, slots=True)
class Want:
    """The task's arguments, normalised."""

    path: str
    state: str | None = None
    mode: str | None = None
    owner: str | None = None
    group: str | None = None
    recurse: bool = False
    src: str | None = None
    force: bool = False
    follow: bool = True
    mtime: str | float | None = None  # now, preserve, or seconds since the epoch
    atime: str | float | None = None
    selinux: dict[str, Any] = field(default_factory=dict)  # seuser/serole/setype/selevel

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> Want:
        want = cls(
            args["path"],
            args["state"],
            args["mode"],
            args["owner"],
            args["group"],
            args["recurse"],
            args["src"],
            args["force"],
            args["follow"],
            _time(args["modification_time"], args["modification_time_format"]),
            _time(args["access_time"], args["access_time_format"]),
            {k: args.get(k) for k in selinux.PARTS if args.get(k) is not None},
        )
        if not want.path:
            raise ModuleError("path must not be empty")
        if want.mode is not None:
            try:
                parse_mode(want.mode)
            except ModeError as exc:
                raise ModuleError(f"bad mode {want.mode!r}: {exc}") from None
        if want.recurse and want.state not in (None, "directory"):
            raise ModuleError("recurse option requires state to be 'directory'")
        return want

    def source_path(self) -> str | None:
        """Where ``src`` is on the host: relative to the link's directory, like ``ln -s``."""
        if self.src is None or self.src.startswith("/"):
            return self.src
        return f"{PurePosixPath(self.path).parent}/{self.src}"


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything the probe learned; ``plan`` decides from this alone."""

    entry: Entry  # lstat of path
    env: Env
    followed: Entry | None = None  # stat -L of path
    ancestors: tuple[Entry, ...] = ()  # parent upwards, to the first that exists
    src: Entry | None = None  # stat -L of src
    owner: tuple[int | None, str] | None = None
    group: tuple[int | None, str] | None = None
    nodes: tuple[Node, ...] = ()
    blocker: str | None = None
    se: SeContext | None = None  # the path's SELinux context, where SELinux is on
    check: bool = False  # a check run: an account may come from a task it did not apply


@dataclass
class Plan:
    """What the task does: the shell steps, the states it leaves, its diff and result."""

    state: str
    final: FileState
    changed: bool = False
    steps: list[str] = field(default_factory=list)
    records: list[tuple[FileState, bool]] = field(default_factory=list)  # (state, new_dir)
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    follow_result: bool = False  # the result reports what the path points to
    assumed: tuple[tuple[str, str], ...] = ()  # accounts a check run assumes will exist
    # Steps whose work another host sharing the filesystem may have done first; each one
    # that finds it done prints "n|". None done by this host and no attribute change: ok.
    racy: int = 0
    attr_changed: bool = False

    def add(self, change: Attrs, paths: list[str], no_deref: bool = False) -> None:
        self.steps += change.commands(paths, no_deref)
        self.changed |= change.changed
        self.attr_changed |= change.changed
        self.before.update(change.before)
        self.after.update(change.after_diff)


@dataclass(frozen=True, slots=True)
class Ids:
    uid: int | None = None
    owner: str | None = None
    gid: int | None = None
    group: str | None = None
    # (kind, name) of accounts not found, for a path a check run would create
    unknown: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Attrs:
    """An owner/group/mode change of one entry (or of several alike)."""

    after: FileState
    chown: str | None = None
    chmod: str | None = None
    before: dict[str, Any] = field(default_factory=dict)
    after_diff: dict[str, Any] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.chown or self.chmod)

    def commands(self, paths: list[str], no_deref: bool = False) -> list[str]:
        quoted = " ".join(quote(p) for p in paths)
        out = []
        if self.chown:
            out.append(f"chown {'-h ' if no_deref else ''}{self.chown} -- {quoted}")
        if self.chmod:
            out.append(f"chmod {self.chmod} -- {quoted}")
        return out


# -- deciding (pure) --------------------------------------------------------------------------


def resolve_ids(want: Want, facts: Facts, creating: bool = False) -> Ids:
    """Owner and group as numbers and names; an unknown name fails like chown would, except
    for a path a check run would create: Ansible's check mode reports that changed without
    looking the account up (a package an earlier task installs often brings it), and so
    does pbe, with a warning (``unknown``)."""
    uid = owner = gid = group = None
    unknown: list[tuple[str, str]] = []
    lenient = creating and facts.check
    if want.owner is not None:
        if facts.owner is not None:
            uid, owner = facts.owner
        elif want.owner.isdigit():
            uid, owner = int(want.owner), want.owner
        elif lenient:
            owner = want.owner
            unknown.append(("user", want.owner))
        else:
            raise ModuleError(f"chown failed: failed to look up user {want.owner}")
    if want.group is not None:
        if facts.group is not None:
            gid, group = facts.group
        elif want.group.isdigit():
            gid, group = int(want.group), want.group
        elif lenient:
            group = want.group
            unknown.append(("group", want.group))
        else:
            raise ModuleError(f"chgrp failed: failed to look up group {want.group}")
    return Ids(uid, owner, gid, group, tuple(unknown))


def _unknown_accounts(result: Plan, ids: Ids) -> None:
    """Say that the accounts a check run would chown a new path to do not exist yet; the
    rest of the run assumes they will (``Plan.assumed``), as this path is assumed made."""
    if ids.unknown:
        names = " and ".join(f"{kind} {name}" for kind, name in ids.unknown)
        result.extra.setdefault("warnings", []).append(
            f"{names} does not exist on the host yet: the real run fails unless an earlier "
            "task creates it"
        )
        result.assumed += ids.unknown


def attrs(cur: FileState, mode: str | None, ids: Ids, env: Env, path: str) -> Attrs:
    """The chown/chmod that give ``cur`` the wanted attributes, and the state after them."""
    after, before, after_diff = cur, {}, {}
    owner = _differs(ids.uid, ids.owner, cur.uid, cur.owner)
    group = _differs(ids.gid, ids.group, cur.gid, cur.group)
    chown = None
    if owner or group:
        _may_chown(cur, owner, ids.gid if group else None, env, path)
        # by number; by name only for an account a check run predicts (never run)
        chown = (_id_or_name(ids.uid, ids.owner) if owner else "") + (
            f":{_id_or_name(ids.gid, ids.group)}" if group else ""
        )
        if owner:
            after = replace(after, uid=ids.uid, owner=ids.owner)
            before["owner"], after_diff["owner"] = cur.owner, ids.owner
        if group:
            after = replace(after, gid=ids.gid, group=ids.group)
            before["group"], after_diff["group"] = cur.group, ids.group
        after = replace(after, mode=_after_chown(cur))
    chmod = None
    if mode is not None and cur.kind != "link" and after.mode is not None:
        bits = int(after.mode, 8)
        wanted = parse_mode(mode, bits, cur.kind == "directory")
        if wanted != bits:
            _may_chmod(after, env, path)
            chmod = "0" + format_mode(wanted)  # 5 digits: also clears a directory's setgid
            before["mode"], after_diff["mode"] = cur.mode, format_mode(wanted)
            after = replace(after, mode=format_mode(wanted))
    return Attrs(after, chown, chmod, before, after_diff)


def _differs(wanted: int | None, name: str | None, uid: int | None, current: str | None) -> bool:
    """Whether an owner (or group) changes; by name when a prediction lacks a number (the
    file's, or the account's: one an earlier task of the check run adds)."""
    if name is None:
        return False
    return uid != wanted if uid is not None and wanted is not None else name != current


def _id_or_name(number: int | None, name: str | None) -> str:
    return str(number) if number is not None else name or ""


def _after_chown(cur: FileState) -> str | None:
    """chown(2) drops setuid, and setgid with group-exec, from anything but a directory."""
    if cur.mode is None or cur.kind in ("directory", "link"):
        return cur.mode
    bits = int(cur.mode, 8) & ~0o4000
    if bits & 0o2010 == 0o2010:
        bits &= ~0o2000
    return format_mode(bits)


def _may_chown(cur: FileState, owner: bool, gid: int | None, env: Env, path: str) -> None:
    if env.uid == 0:
        return
    if owner:
        raise ModuleError(
            f"chown failed: cannot change the owner of {path}: Operation not "
            "permitted (only root can; use become)"
        )
    if cur.uid != env.uid or gid not in env.groups | {env.gid}:
        raise ModuleError(
            f"chgrp failed: cannot change the group of {path}: Operation not "
            f"permitted ({env.user} must own it and be a member of the group)"
        )


def _may_chmod(cur: FileState, env: Env, path: str) -> None:
    if env.uid not in (0, cur.uid):
        raise ModuleError(
            f"chmod failed: cannot change the mode of {path}: Operation not "
            f"permitted ({env.user} does not own it)"
        )


def _may_write(parent: Entry | None, env: Env, what: str, path: str) -> Entry:
    """The directory an entry is created in or removed from must exist and be writable."""
    if parent is None or not parent.state.exists:
        raise ModuleError(f"cannot {what} {path}: no such directory {PurePosixPath(path).parent}")
    if parent.kind != "directory":
        raise ModuleError(f"cannot {what} {path}: {parent.state.path} is not a directory")
    if env.uid != 0 and not {"w", "x"} <= set(parent.access or ""):
        raise ModuleError(
            f"cannot {what} {path}: Permission denied "
            f"({env.user} cannot write to {parent.state.path})"
        )
    return parent


def default_state(entry: Entry, recurse: bool) -> str:
    """Ansible's default: what the path already is, else ``file`` (``directory`` with
    recurse). A file with several hard links counts as a file."""
    if entry.kind in ("directory", "link"):
        return entry.kind
    if entry.kind == "absent" and recurse:
        return "directory"
    return "file"


def state_name(state: FileState) -> str:
    if state.kind == "file" and (state.nlink or 1) > 1:
        return "hard"
    return state.kind if state.kind in ("absent", "directory", "link") else "file"


def plan(want: Want, facts: Facts) -> Plan:
    """Decide everything the task does from what the probe found (pure)."""
    state = want.state or default_state(facts.entry, want.recurse)
    if want.src is not None and state not in ("link", "hard"):
        raise ModuleError("src option requires state to be 'link' or 'hard'")
    result = _PLANNERS[state](want, facts)
    _plan_selinux(result, want, facts)
    return result


def _plan_selinux(result: Plan, want: Want, facts: Facts) -> None:
    """seuser/serole/setype/selevel where SELinux is on: ``chcon`` what the task creates,
    the path when its context differs, and with recurse what is below that differs."""
    parts = selinux.wanted(want.selinux, facts.se)
    if not parts or facts.se is None or result.state == "absent":
        return
    new = not facts.entry.state.exists or (result.state in ("link", "hard") and result.racy)
    change = (
        (facts.se.current, selinux.after(parts, facts.se.current))
        if new
        else selinux.changes(parts, facts.se)
    )
    if change is not None:
        if new and result.state == "directory":  # the directories this host made
            made = selinux.chcon(parts, '"$@"')
            result.steps.append(f"{{ [ $# = 0 ] || {made}; }}")
        else:
            result.steps.append(selinux.chcon(parts, quote(want.path), no_deref=not want.follow))
        result.changed = True
        result.attr_changed |= not new
        result.before["secontext"], result.after["secontext"] = change
    if want.recurse:
        _recurse_selinux(result, want, facts, parts)
    context = SeContext(selinux.after(parts, facts.se.current), facts.se.default)
    result.records = [
        (replace(state, selinux=context), new_dir) for state, new_dir in result.records
    ]
    result.final = replace(result.final, selinux=context)


def _recurse_selinux(result: Plan, want: Want, facts: Facts, parts: dict[str, str]) -> None:
    differ = [
        n for n in facts.nodes if selinux.changes(parts, SeContext(n.secontext or "")) is not None
    ]
    if not differ:
        return
    start = quote(find_start(want.path))
    result.steps.append(f"find -H {start} -mindepth 1 -exec {selinux.chcon(parts, '{}')} +")
    result.changed = result.attr_changed = True
    result.after["secontext below"] = f"{len(differ)} entries changed"


def _effective(want: Want, facts: Facts) -> tuple[Entry, str]:
    """The entry file/directory/touch act on (a link's target when following) and the path
    its new state is recorded under."""
    entry = facts.entry
    if entry.kind != "link" or not want.follow:
        return entry, want.path
    followed = facts.followed
    if followed is None or not followed.state.exists:
        raise ModuleError(
            f"{want.path} is a symlink to a missing target "
            f"({entry.state.target}); set follow: false to manage the link"
        )
    return followed, followed.real or followed.state.path


def _diff_base(want: Want, before: str, after: str) -> tuple[dict[str, Any], dict[str, Any]]:
    if before == after:
        return {"path": want.path}, {"path": want.path}
    return {"path": want.path, "state": before}, {"path": want.path, "state": after}


def _attributes_plan(want: Want, facts: Facts, eff: Entry, record: str, touch: bool) -> Plan:
    """Existing path: owner/group/mode, then times ('now' touches)."""
    no_deref = eff.kind == "link"
    change = attrs(eff.state, want.mode, resolve_ids(want, facts), facts.env, want.path)
    result = Plan(
        state_name(change.after),
        replace(change.after, path=want.path),
        follow_result=eff is not facts.entry,
    )
    result.before, result.after = _diff_base(want, "", "")
    result.add(change, [want.path], no_deref)
    flags = _touch_flags(want, touch)
    if flags is not None:
        result.steps.append(f"touch -c {'-h ' if no_deref else ''}{flags}-- {quote(want.path)}")
        result.changed = True
        result.final = replace(result.final, mtime=None)
    for flag, at in _set_times(want, eff):
        h = "-h " if no_deref else ""
        result.steps.append(f"touch -c {h}{flag} -d @{at:.9f} -- {quote(want.path)}")
        result.changed = True
        result.final = replace(result.final, mtime=None)
    if result.changed:
        result.records.append((replace(result.final, path=record), False))
    return result


def _touch_flags(want: Want, touch: bool) -> str | None:
    """``touch`` options for the times to set now, or None when both are preserved (or
    set to a given time: ``_set_times``)."""
    default = "now" if touch else "preserve"
    mtime, atime = (
        t if isinstance(t, str) else "preserve" if t is not None else default
        for t in (want.mtime, want.atime)
    )
    if mtime == atime == "preserve":
        return None
    return "" if mtime == atime else ("-m " if mtime == "now" else "-a ")


def _set_times(want: Want, eff: Entry) -> list[tuple[str, float]]:
    """(touch flag, time) for each given time the path does not have yet."""
    wanted = (("-m", want.mtime, eff.state.mtime), ("-a", want.atime, eff.atime))
    return [
        (flag, at)
        for flag, at, now in wanted
        if isinstance(at, float) and (now is None or abs(now - at) > 1e-6)
    ]


def _time(value: str | None, fmt: str) -> str | float | None:
    """``now``/``preserve``/None as they are; anything else a local time in ``fmt``
    (strftime codes), as seconds since the epoch."""
    if value is None or value in _TIMES:
        return value
    try:
        return time.mktime(time.strptime(value, fmt))
    except (ValueError, OverflowError):
        raise ModuleError(
            f"failed to convert {value!r} to a time with format {fmt!r}: give "
            "now, preserve or a time in that format"
        ) from None


def _plan_file(want: Want, facts: Facts) -> Plan:
    eff, record = _effective(want, facts)
    if eff.kind in ("absent", "directory", "link"):
        raise ModuleError(f"file ({want.path}) is {eff.kind}, cannot continue")
    return _attributes_plan(want, facts, eff, record, touch=False)


def _plan_directory(want: Want, facts: Facts) -> Plan:
    eff, record = _effective(want, facts)
    if eff.kind == "absent":
        return _create_dirs(want, facts)
    if eff.kind != "directory":
        raise ModuleError(f"{want.path} already exists as a {state_name(eff.state)}")
    result = _attributes_plan(want, facts, eff, record, touch=False)
    if want.recurse:
        _recurse(result, want, facts)
    return result


def _new_state(path: str, kind: str, parent: Entry, env: Env) -> FileState:
    """What mkdir/touch/ln would create: umask, and a setgid parent's group (and bit)."""
    sgid = parent.state.mode is not None and int(parent.state.mode, 8) & 0o2000
    gid, group = (parent.state.gid, parent.state.group) if sgid else (env.gid, env.group)
    if kind == "directory":
        bits = (0o777 & ~env.umask) | (0o2000 if sgid else 0)
        return FileState(path, kind, format_mode(bits), env.uid, gid, env.user, group)
    if kind == "link":
        return FileState(path, kind, "0777", env.uid, gid, env.user, group, nlink=1)
    return FileState(
        path,
        kind,
        format_mode(0o666 & ~env.umask),
        env.uid,
        gid,
        env.user,
        group,
        size=0,
        nlink=1,
        checksum=_EMPTY_SHA1,
        content=b"",
    )


def _create_dirs(want: Want, facts: Facts) -> Plan:
    """``mkdir`` the path and every missing parent, each given the wanted attributes."""
    missing = [want.path] + [a.state.path for a in facts.ancestors if not a.state.exists]
    missing.reverse()
    existing = _may_write(
        facts.ancestors[-1] if facts.ancestors else None, facts.env, "create directory", missing[0]
    )
    template = _new_state("", "directory", existing, facts.env)
    ids = resolve_ids(want, facts, creating=True)
    change = attrs(template, want.mode, ids, facts.env, missing[0])
    result = Plan(
        "directory",
        replace(change.after, path=want.path),
        changed=True,
        steps=_mkdir_steps(missing, change),
        racy=len(missing),
    )
    _unknown_accounts(result, ids)
    result.before, result.after = _diff_base(want, "absent", "directory")
    result.after.update(change.after_diff or {"mode": change.after.mode})
    result.records = [(replace(change.after, path=p), True) for p in missing]
    return result


def _mkdir_steps(paths: list[str], change: Attrs) -> list[str]:
    """mkdir each path, parents first. A directory another host made in the meantime is
    accepted (``n|``) and left as that host makes it; the ones made here collect in "$@"
    and only they get the attributes. Anything else in the way fails with mkdir's reason.
    A mode that leaves the owner able to create below is given to ``mkdir -m`` too, so
    another host never sees the new directory with a different mode (unless the umask
    clears some of its bits: the chmod after it still sets them)."""
    mode = change.chmod
    opt = f"-m {mode} " if mode and int(mode, 8) & 0o300 == 0o300 else ""
    steps = ["set --"]
    for path in paths:
        q = quote(path)
        steps.append(
            f'if mkdir {opt}-- {q} 2>/dev/null; then set -- "$@" {q}; '
            f'elif [ -d {q} ]; then echo "n|"; else mkdir -- {q}; fi'
        )
    if change.chown:
        steps.append(f'{{ [ $# = 0 ] || chown {change.chown} -- "$@"; }}')
    if change.chmod:
        steps.append(f'{{ [ $# = 0 ] || chmod {change.chmod} -- "$@"; }}')
    return steps


def _recurse(result: Plan, want: Want, facts: Facts) -> None:
    """Owner/group/mode for everything below (links: owner/group only, never followed)."""
    ids = resolve_ids(want, facts)
    chmods: dict[tuple[bool, str], str] = {}
    chown, below = False, 0
    for node in facts.nodes:
        change = attrs(node.as_state(), want.mode, ids, facts.env, node.path)
        if not change.changed:
            continue
        chown |= change.chown is not None
        if change.chmod:
            seen = _after_chown(node.as_state()) if change.chown else node.as_state().mode
            chmods[(node.kind == "d", seen or "")] = change.chmod
        result.records.append((change.after, False))
        below += 1
    if below:
        result.changed = True
        result.after["below"] = f"{below} entries changed"
    start = quote(find_start(want.path))
    steps = [_find_chown(start, ids)] if chown else []
    if chmods:  # -perm sees each entry as it is after the chown, before any chmod
        groups = " -o ".join(
            f"\\( {'' if is_dir else '! '}-type d -perm {bits} -exec chmod {mode} -- {{}} + \\)"
            for (is_dir, bits), mode in sorted(chmods.items())
        )
        steps.append(f"find -H {start} -mindepth 1 -depth ! -type l \\( {groups} \\)")
    result.steps[0:0] = steps  # below first: the path's own mode may lock find out


def _find_chown(start: str, ids: Ids) -> str:
    tests = [f"! -uid {ids.uid}"] if ids.uid is not None else []
    tests += [f"! -gid {ids.gid}"] if ids.gid is not None else []
    spec = (str(ids.uid) if ids.uid is not None else "") + (
        f":{ids.gid}" if ids.gid is not None else ""
    )
    return (
        f"find -H {start} -mindepth 1 \\( {' -o '.join(tests)} \\) -exec chown -h {spec} -- {{}} +"
    )


def _plan_absent(want: Want, facts: Facts) -> Plan:
    entry = facts.entry
    result = Plan("absent", FileState(want.path))
    if not entry.state.exists:
        return result
    parent = _may_write(
        facts.ancestors[0] if facts.ancestors else None, facts.env, "remove", want.path
    )
    _may_unlink(parent, entry, facts.env, want.path)
    if entry.kind == "directory" and facts.blocker:
        raise ModuleError(
            f"cannot remove {want.path}: Permission denied "
            f"({facts.env.user} cannot empty {facts.blocker})"
        )
    flags = "-rf" if entry.kind == "directory" else "-f"
    q = quote(want.path)
    result.steps.append(f'if [ -e {q} ] || [ -L {q} ]; then rm {flags} -- {q}; else echo "n|"; fi')
    result.changed, result.racy = True, 1
    result.before, result.after = _diff_base(want, entry.kind, "absent")
    result.records.append((FileState(want.path), False))
    return result


def _may_unlink(parent: Entry, entry: Entry, env: Env, path: str) -> None:
    """In a sticky directory (like /tmp) only the owner of an entry or of the directory may
    remove or replace it."""
    sticky = parent.state.mode is not None and int(parent.state.mode, 8) & 0o1000
    if sticky and env.uid not in (0, parent.state.uid, entry.state.uid):
        raise ModuleError(
            f"cannot remove {path}: Operation not permitted (sticky directory {parent.state.path})"
        )


def _plan_touch(want: Want, facts: Facts) -> Plan:
    entry = facts.entry
    if entry.kind != "absent":
        eff, record = _effective(want, facts)
        touched = _attributes_plan(want, facts, eff, record, touch=True)
        if _touch_flags(want, True) is not None:
            touched.before["state"], touched.after["state"] = touched.state, "touch"
        touched.extra["dest"] = want.path
        return touched
    parent = _may_write(
        facts.ancestors[0] if facts.ancestors else None, facts.env, "touch", want.path
    )
    created = _new_state(want.path, "file", parent, facts.env)
    ids = resolve_ids(want, facts, creating=True)
    change = attrs(created, want.mode, ids, facts.env, want.path)
    result = Plan("file", change.after, changed=True, steps=[f"touch -- {quote(want.path)}"])
    _unknown_accounts(result, ids)
    result.steps += [
        f"touch -c {flag} -d @{at:.9f} -- {quote(want.path)}"
        for flag, at in _set_times(want, Entry(created))
    ]
    result.add(change, [want.path])
    result.before, result.after = _diff_base(want, "absent", "touch")
    result.records.append((change.after, False))
    result.extra["dest"] = want.path
    return result


def _link_steps(path: str, kind: str, make: str, done: str) -> list[str]:
    """Put a new link at ``path`` (``make`` is ``ln -sT -- SRC`` or ``ln -LT -- SRC``),
    race-safe for hosts sharing the filesystem: where the path was absent, ``ln`` itself
    (it never replaces); otherwise a temp link beside it, named uniquely for this host and
    task, renamed over the old entry (an empty directory is removed first). A path that
    already is the wanted link (``done``: another host made it) is left alone: ``n|``."""
    q = quote(path)
    if kind == "absent":
        return [f'{{ {make} {q} 2>/dev/null || {{ {done} && echo "n|"; }} || {make} {q}; }}']
    tmp = quote(temp_beside(path))
    clear = ""
    if kind == "directory":  # rename cannot put a link over a directory
        clear = f"{{ rmdir -- {q} 2>/dev/null || ! [ -d {q} ] || [ -L {q} ] || rmdir -- {q}; }} && "
    return [
        f'if {done}; then echo "n|"; else {make} {tmp} && {clear}mv -fT -- {tmp} {q} '
        f"|| {{ rc=$?; rm -f -- {tmp}; exit $rc; }}; fi"
    ]


def _check_replace(want: Want, entry: Entry, what: str) -> None:
    """A file or directory is only replaced by a link with ``force``; a directory only
    when empty."""
    if entry.kind in ("absent", "link"):
        return
    if not want.force:
        raise ModuleError(
            f"refusing to convert from {state_name(entry.state)} to {what} for "
            f"{want.path} (force: true replaces it)"
        )
    if entry.kind == "directory" and entry.empty is not True:
        raise ModuleError(f"the directory {want.path} is not empty, refusing to convert it")


def _plan_link(want: Want, facts: Facts) -> Plan:
    entry, src = facts.entry, want.src
    if src is None:
        if entry.kind != "link":
            raise ModuleError("src is required for creating new symlinks")
        src, target = entry.state.target, facts.followed
    else:
        target = facts.src
    assert src is not None
    if not want.force and (target is None or not target.state.exists):
        raise NotOnHost(
            f'src file does not exist, use "force: true" if you really want '
            f"to create the link: {want.source_path() or src}",
            want.source_path() or src,
        )
    _check_replace(want, entry, "symlink")
    changed = entry.kind != "link" or entry.state.target != src
    link = entry.state
    result = Plan("link", link, extra={"dest": want.path, "src": src})
    if changed:
        parent = _may_write(
            facts.ancestors[0] if facts.ancestors else None, facts.env, "create link", want.path
        )
        _may_unlink(parent, entry, facts.env, want.path)
        link = replace(
            _new_state(want.path, "link", parent, facts.env),
            target=src,
            size=len(src.encode("utf-8", "surrogateescape")),
        )
        q = quote(want.path)
        done = f'[ -L {q} ] && [ "$(readlink -- {q})" = {quote(src)} ]'
        result.steps += _link_steps(want.path, entry.kind, f"ln -sT -- {quote(src)}", done)
        result.racy = 1
        result.before, result.after = _diff_base(want, entry.kind, "link")
        if entry.kind == "link":
            result.before["src"] = entry.state.target
        result.after["src"] = src
        result.changed = True
    result.final = link
    _link_attrs(result, want, facts, link, target)
    return result


def _link_attrs(
    result: Plan, want: Want, facts: Facts, link: FileState, target: Entry | None
) -> None:
    """Attributes go to the link's target when following (if it exists), else to the link."""
    ids = resolve_ids(want, facts)
    if want.follow:
        if target is not None and target.state.exists:
            change = attrs(target.state, want.mode, ids, facts.env, want.path)
            result.add(change, [want.path])
            if change.changed:
                real = target.real or resolve(want.path, link.target or "")
                result.records.append((replace(change.after, path=real), False))
    else:
        change = attrs(link, None, ids, facts.env, want.path)
        result.add(change, [want.path], no_deref=True)
        result.final = change.after
    if result.changed:
        result.records.insert(0, (result.final, False))


def same_inode(a: Entry, b: Entry) -> bool:
    """Whether two entries are one file. Predicted entries carry no inode: they are the
    same when the prediction recorded them alike (as a planned hard link does)."""
    if a.inode is not None and b.inode is not None:
        return (a.dev, a.inode) == (b.dev, b.inode)
    return replace(a.state, path="", content=None) == replace(b.state, path="", content=None)


def _plan_hard(want: Want, facts: Facts) -> Plan:
    entry = facts.entry
    if want.src is None:
        if state_name(entry.state) != "hard":
            raise ModuleError("src is required for creating new hardlinks")
        return _attributes_plan(want, facts, entry, want.path, touch=False)
    src = facts.src
    if src is None or not src.state.exists:
        raise ModuleError(f"src does not exist: {want.source_path()}")
    if src.kind == "directory":
        raise ModuleError(f"cannot hard link to a directory: {want.source_path()}")
    result = Plan("hard", entry.state, extra={"dest": want.path, "src": want.src})
    linked = entry.state
    if not entry.state.exists or not same_inode(entry, src):
        if entry.kind == "file" and not want.force:
            raise ModuleError(
                f"Cannot link, {state_name(entry.state)} exists at destination "
                f"{want.path} (force: true replaces it)"
            )
        _check_replace(want, entry, "hard link")
        parent = _may_write(
            facts.ancestors[0] if facts.ancestors else None,
            facts.env,
            "create hard link",
            want.path,
        )
        # no cross-device test here: on overlayfs (containers) a file's st_dev is its
        # layer's, not its directory's, though links inside the mount work; `ln` decides
        _may_unlink(parent, entry, facts.env, want.path)
        linked = replace(src.state, path=want.path, nlink=(src.state.nlink or 1) + 1)
        q, qsrc = quote(want.path), quote(want.source_path() or "")
        result.steps += _link_steps(
            want.path, entry.kind, f"ln -LT -- {qsrc}", f"[ ! -L {q} ] && [ {q} -ef {qsrc} ]"
        )
        result.racy = 1
        result.before, result.after = _diff_base(want, entry.kind, "hard")
        result.after["src"] = want.src
        result.changed = True
    change = attrs(linked, want.mode, resolve_ids(want, facts), facts.env, want.path)
    result.add(change, [want.path])
    result.final = change.after
    if result.changed:
        real = src.real or resolve(want.path, want.src)
        result.records += [(change.after, False), (replace(change.after, path=real), False)]
    return result


_PLANNERS = {
    "file": _plan_file,
    "directory": _plan_directory,
    "absent": _plan_absent,
    "touch": _plan_touch,
    "link": _plan_link,
    "hard": _plan_hard,
}


# -- probing and applying -----------------------------------------------------------------------


def _ask(probe: Probe, want: Want, check: bool) -> None:
    """Queue every question the plan may need: all of it travels in one command."""
    sums = "S" if check else ""  # records keep a file's checksum for later tasks
    probe.path("p", want.path, "E" + sums)
    probe.path("pf", want.path, "KL" + sums)
    # directory and file states need the chain only to create a missing directory
    creates_only = want.state in (None, "file", "directory")
    probe.ancestors(want.path, when_absent=("p", "pf") if creates_only else ())
    if want.src is not None and want.state in (None, "link", "hard"):
        probe.path("src", want.source_path() or "", "L" + sums)
    if want.owner is not None:
        probe.owner(want.owner)
    if want.group is not None:
        probe.group(want.group)
    if want.recurse:
        probe.listing(want.path, checksums=check, contexts=bool(want.selinux))
    if want.selinux:
        probe.selinux("p", want.path, follow=want.follow)
    if want.state == "absent":
        probe.blockers(want.path)


def _probed(ctx: ModuleContext, want: Want) -> Facts:
    probe = Probe(ctx.files)
    _ask(probe, want, ctx.check)
    return _facts(probe.run(), ctx.check)


def _is_dir(entry: Entry | None) -> bool:
    return entry is not None and entry.state.kind == "directory"


def _facts(answers: Answers, check: bool) -> Facts:
    if answers.env is None:
        raise ModuleError("the host did not say who runs the task")
    entry = answers.entries["p"]
    se = answers.selinux.get("p")
    if se is not None and entry.predicted:  # what an earlier task of the check run set
        se = replace(se, current=entry.state.selinux.current if entry.state.selinux else "")
    return Facts(
        entry,
        answers.env,
        answers.entries.get("pf"),
        tuple(answers.ancestors),
        answers.entries.get("src"),
        answers.owner,
        answers.group,
        tuple(answers.nodes),
        answers.blocker,
        se,
        check,
    )


def _apply(ctx: ModuleContext, want: Want, result: Plan) -> tuple[FileState, int]:
    """Run the plan's steps as one command, which ends by stat-ing the result; also how many
    racy steps found their work already done by another host."""
    follow = "L" if result.follow_result else "-"
    script = (
        PRELUDE + "{ " + " && ".join(result.steps) + "; } || exit $?\n"
        f"_q r {quote(want.path)} {follow}\n"
    )
    res = ctx.files.run(script, light=True)
    if res.rc != 0:
        reason = res.err.strip().splitlines()
        raise ModuleError(
            f"cannot make {want.path} {result.state}: "
            f"{reason[-1] if reason else f'exit status {res.rc}'}"
        )
    lines = res.out.splitlines()
    rows = [line.split("|")[1:] for line in lines if line.startswith("r|")]
    return replace(parse_entry(want.path, rows).state, path=want.path), lines.count("n|")


def _peek(ctx: ModuleContext, path: str) -> dict[str, Any]:
    """``_diff_peek``: whether the file's first 8 KiB hold a NUL byte; nothing changes."""
    head = ctx.run(f"head -c 8192 -- {quote(path)} 2>/dev/null").stdout
    return {"changed": False, "path": path, "appears_binary": b"\0" in head}


def _result(want: Want, result: Plan, final: FileState, diff: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "changed": result.changed,
        "path": want.path,
        "state": state_name(final) if final.exists else "absent",
        **result.extra,
    }
    if final.exists:
        out.update(
            mode=final.mode,
            owner=final.owner,
            group=final.group,
            uid=final.uid,
            gid=final.gid,
            size=final.size,
        )
        if final.selinux is not None:
            out["secontext"] = final.selinux.current
    if diff and result.changed:
        out["diff"] = {
            "before": result.before,
            "after": result.after,
            "before_header": want.path,
            "after_header": want.path,
        }
    return out


@register("file")
class File(Module):
    """Make a path a file, directory, symlink, hard link or nothing; set mode and owner."""

    predicts_files = True

    args = {
        "path": Arg(
            "path",
            required=True,
            aliases=("dest", "name"),
            description="The path to manage on the host.",
        ),
        "state": Arg(
            "str",
            choices=STATES,
            description="What the path should be; default: what it is, else file.",
        ),
        "mode": Arg("mode", description="Octal (0644) or symbolic (u=rw,g+rX) permissions."),
        "owner": Arg("str", description="User (name or uid) that should own the path."),
        "group": Arg("str", description="Group (name or gid) that should own the path."),
        "recurse": Arg(
            "bool",
            default=False,
            description="state=directory: set owner/group/mode on everything "
            "below too (X applies to directories).",
        ),
        "src": Arg("path", description="What a link points to (link, hard)."),
        "force": Arg(
            "bool",
            default=False,
            description="Replace a file or empty directory with the link; allow a "
            "symlink to a missing target.",
        ),
        "follow": Arg("bool", default=True, description="Act on what a symlink at path points to."),
        "modification_time": Arg(
            "str",
            description="Set the mtime now, preserve it, or set it to a time written in "
            "`modification_time_format` (default: now for touch, else preserve).",
        ),
        "modification_time_format": Arg(
            "str",
            default="%Y%m%d%H%M.%S",
            description="strftime format of a `modification_time` (the controller's "
            "local time zone).",
        ),
        "access_time": Arg(
            "str",
            description="Set the atime now, preserve it, or set it to a time written in "
            "`access_time_format` (default: now for touch, else preserve).",
        ),
        "access_time_format": Arg(
            "str",
            default="%Y%m%d%H%M.%S",
            description="strftime format of an `access_time` (the controller's local time zone).",
        ),
        "attributes": ATTRIBUTES,
        "_diff_peek": Arg(
            "bool",
            description="Accepted, as Ansible's own diff machinery passes it: the task "
            "then only reports the path, changing nothing.",
        ),
        "unsafe_writes": UNSAFE_WRITES,
        **SE_ARGS,
    }
    returns = {
        "path": "the path",
        "state": "what the path is now (file, directory, link, hard, absent)",
        "mode": "its permissions",
        "owner": "owner name",
        "group": "group name",
        "uid": "owner uid",
        "gid": "group gid",
        "size": "size in bytes",
        "dest": "link/hard/touch: the path",
        "src": "link/hard: the target",
        "diff": "before/after state and attributes",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        return Result.of(self.change(args, ctx))

    def change(self, args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
        """The result in Ansible's registered shape, built by the shared file helpers."""
        if args["_diff_peek"] is not None:
            return _peek(ctx, args["path"])
        want = Want.from_args(args)
        facts = _probed(ctx, want)
        if want.state == "hard" and want.src and _is_dir(facts.followed or facts.entry):
            # a hard link onto a directory goes inside it, as in Ansible (a symlink does not)
            want = replace(want, path=str(PurePosixPath(want.path, PurePosixPath(want.src).name)))
            facts = _probed(ctx, want)
        result = plan(want, facts)
        final = result.final
        if result.changed and ctx.check:
            for state, new_dir in result.records:
                ctx.files.record(state, new_dir=new_dir)
            if (accounts := ctx.files.accounts()) is not None:
                for kind, name in result.assumed:
                    added = accounts.user_added if kind == "user" else accounts.group_added
                    added(name, None)
        elif result.changed and result.steps:
            final, done_by_others = _apply(ctx, want, result)
            final = replace(final, selinux=result.final.selinux)
            if result.racy and done_by_others == result.racy and not result.attr_changed:
                result.changed = False  # another host sharing the filesystem did it first
        out = _result(want, result, final, ctx.diff)
        if out["state"] != "absent":
            set_attributes(ctx, want.path, args["attributes"], out)
        return out
