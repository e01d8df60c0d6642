"""File operations on one host, for modules: stat, read, atomic write, plain commands.

Check mode is built in here rather than in each module. A check run keeps, per host, a
``Prediction`` of the paths earlier tasks *would* have created, changed or removed, and
``stat``/``read`` consult it before the real host. So a ``lineinfile`` on a file that an
earlier ``lineinfile create: true`` would create is planned against that predicted file,
exactly as the real run will see it. In check mode the mutating calls only record.

Every answer the prediction gives is noted (``templating.note_prediction``): what a task
computes from it describes predicted, not real, state, and a task that acts on the real
host may not act on it.
"""

from __future__ import annotations

import io
import shlex
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import IO

from ...errors import ModuleError
from ...templating.values import note_prediction
from ...transport.base import CommandResult
from . import selinux
from .selinux import SeContext
from .words import ValidateFailed, validate_line

Run = Callable[..., CommandResult]

# Content up to this size is sent as the stdin of the command that finishes the write:
# one round trip, where an SFTP upload costs several more (open, chmod, write, close).
SMALL_WRITE = 64 << 10

# One round trip: lstat (or stat with -L), link target, and optionally the sha1.
_STAT = (
    'p={path}; if [ -e "$p" ] || [ -L "$p" ]; then '
    "stat {follow}-c 'S|%F|%a|%u|%g|%U|%G|%s|%Y|%h' -- \"$p\" || exit 3; "
    'if [ -L "$p" ]; then printf "L|%s\\n" "$(readlink -- "$p")"; fi; '
    "{checksum}"
    "else echo 'S|absent'; fi"
)
# lstat of a symlink must not report its target's checksum; with follow it should.
_SHA1 = (
    'if [ -f "$p" ] && [ -r "$p" ]{nolink}; then '
    'printf "C|%s\\n" "$(sha1sum < "$p" | cut -c1-40)"; fi; '
)
_KINDS = {
    "regular file": "file",
    "regular empty file": "file",
    "directory": "directory",
    "symbolic link": "link",
}


@dataclass(frozen=True, slots=True)
class FileState:
    """What is at a path. ``kind`` is file, directory, link, other or absent."""

    path: str
    kind: str = "absent"
    mode: str | None = None  # '0644'
    uid: int | None = None
    gid: int | None = None
    owner: str | None = None
    group: str | None = None
    size: int | None = None
    mtime: float | None = None
    nlink: int | None = None
    target: str | None = None  # symlink target
    checksum: str | None = None  # sha1 of a regular file, when asked for
    content: bytes | None = field(default=None, repr=False)  # predictions only
    selinux: SeContext | None = None  # where SELinux is on and a module asked

    @property
    def exists(self) -> bool:
        return self.kind != "absent"

    def as_stat(self) -> dict[str, object]:
        """Shaped like Ansible's ``stat`` return value."""
        out: dict[str, object] = {"exists": self.exists}
        if not self.exists:
            return out
        out.update(
            path=self.path,
            isdir=self.kind == "directory",
            isreg=self.kind == "file",
            islnk=self.kind == "link",
            mode=self.mode,
            uid=self.uid,
            gid=self.gid,
            pw_name=self.owner,
            gr_name=self.group,
            size=self.size,
            mtime=self.mtime,
            nlink=self.nlink,
        )
        if self.target is not None:
            out["lnk_target"] = self.target
        if self.checksum is not None:
            out["checksum"] = self.checksum
        return out


def parse_stat(path: str, output: str) -> FileState:
    """Parse the ``_STAT`` script's output (pure; unit-tested)."""
    state = FileState(path)
    for line in output.splitlines():
        tag, _, rest = line.partition("|")
        if tag == "S" and rest != "absent":
            kind, mode, uid, gid, owner, group, size, mtime, nlink = rest.split("|")
            state = replace(
                state,
                kind=_KINDS.get(kind, "other"),
                mode=mode.zfill(4),
                uid=int(uid),
                gid=int(gid),
                owner=owner,
                group=group,
                size=int(size),
                mtime=float(mtime),
                nlink=int(nlink),
            )
        elif tag == "L":
            state = replace(state, target=rest)
        elif tag == "C":
            state = replace(state, checksum=rest)
        elif tag == "Z":
            state = replace(state, selinux=selinux.parse_line(line))
    return state


class Prediction:
    """The predicted state of paths on one host during a check run (thread-safe).

    Only what modules record is known; everything else is asked of the host. A path under
    a predicted-absent path, a file, or a directory the run would newly create is absent.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._paths: dict[str, FileState] = {}
        self._new_dirs: set[str] = set()
        self._unsure: str | None = None
        self._created: set[str] = set()  # a command's `creates`: exists, nothing more known

    def unsure(self, why: str, creates: str | None = None, removes: str | None = None) -> None:
        """An earlier task may have changed files in ways not recorded here (a command check
        mode did not run; the first reason is kept): it would have made ``creates`` and
        removed ``removes``, but nothing more is known of either."""
        with self._lock:
            self._unsure = self._unsure or why
            if creates:
                self._created.add(_norm(creates))
            if removes:
                self._created.discard(_norm(removes))

    def created(self, path: str) -> bool:
        """Whether ``path`` is the ``creates`` of a command check mode did not run."""
        with self._lock:
            if _norm(path) not in self._created:
                return False
        note_prediction(f"{path}, which a command check mode did not run would create")
        return True

    def exists(self, path: str) -> bool | None:
        """Whether ``path`` would exist (for ``creates``/``removes``), or None: ask the host."""
        if self.created(path):
            return True
        known = self.lookup(path)
        return None if known is None else known.exists

    def assume(self, what: str) -> str | None:
        """Why a missing path may exist after all (an earlier task's effects are unknown),
        noted as a read of predicted state; None when the prediction is complete."""
        with self._lock:
            why = self._unsure
        if why is not None:
            note_prediction(f"{what}, assumed to exist after {why}")
        return why

    def record(self, state: FileState, new_dir: bool = False) -> None:
        path = _norm(state.path)
        with self._lock:
            self._created.discard(path)
            if state.kind != "directory":  # whatever was below is gone
                prefix = path.rstrip("/") + "/"
                for known in [p for p in self._paths if p.startswith(prefix)]:
                    del self._paths[known]
                self._new_dirs = {d for d in self._new_dirs if not d.startswith(prefix)}
                self._created = {c for c in self._created if not c.startswith(prefix)}
            self._paths[path] = replace(state, path=path)
            if new_dir:
                self._new_dirs.add(path)
            elif state.kind != "directory":
                self._new_dirs.discard(path)

    def below(self, root: str) -> list[str]:
        """Paths at or under ``root`` that earlier tasks of the check run would create,
        change or remove (a command's ``creates`` included)."""
        top = _norm(root)
        prefix = top.rstrip("/") + "/"
        with self._lock:
            known = [*self._paths, *self._created]
        return sorted(p for p in known if p == top or p.startswith(prefix))

    def lookup(self, path: str) -> FileState | None:
        """The predicted state, or None when the host itself must be asked."""
        known = self._lookup(_norm(path))
        if known is not None:
            note_prediction(f"the state check mode predicts for {path}")
        return known

    def _lookup(self, path: str) -> FileState | None:
        with self._lock:
            if path in self._paths:
                return self._paths[path]
            for parent in PurePosixPath(path).parents:
                key = str(parent)
                known = self._paths.get(key)
                if known is None:
                    continue
                if known.kind == "link":  # where it leads is the host's to say
                    return None
                if known.kind != "directory" or key in self._new_dirs:
                    return FileState(path)
                return None
        return None


def _norm(path: str) -> str:
    return str(PurePosixPath(path))


class RemoteFiles:
    """A module's view of one host's files; predicts instead of acting in check mode."""

    def __init__(
        self,
        run: Run,
        put: Callable[[IO[bytes], str, int | None], None],
        check: bool,
        prediction: Prediction,
        become: bool = False,
    ) -> None:
        self._run = run
        self._put = put
        self.check = check
        self.prediction = prediction
        self.become = become

    # -- reading ---------------------------------------------------------------------------

    def stat(self, path: str, *, checksum: bool = False, follow: bool = False) -> FileState:
        """One round trip (none when the check-run prediction already knows the path)."""
        if self.check and (known := self.prediction.lookup(path)) is not None:
            if follow and known.kind == "link" and known.target:
                return self.stat(_resolve(path, known.target), checksum=checksum)
            return known
        sha1 = _SHA1.format(nolink="" if follow else ' && ! [ -L "$p" ]')
        script = _STAT.format(
            path=shlex.quote(path),
            follow="-L " if follow else "",
            checksum=sha1 if checksum else "",
        )
        res = self._run(script)
        if res.rc != 0:
            raise ModuleError(f"cannot stat {path}: {_reason(res)}")
        return parse_stat(path, res.out)

    def read(self, path: str) -> bytes:
        """A file's bytes (predicted content first in check mode)."""
        if self.check and (known := self.prediction.lookup(path)) is not None:
            if known.content is not None:
                return known.content
            if not known.exists:
                raise ModuleError(f"{path} does not exist")
        res = self._run(f"cat -- {shlex.quote(path)}")
        if res.rc != 0:
            raise ModuleError(f"cannot read {path}: {_reason(res)}")
        return res.stdout

    def run(self, command: str, stdin: bytes | None = None) -> CommandResult:
        return self._run(command, stdin=stdin)

    # -- changing --------------------------------------------------------------------------

    def write(
        self,
        path: str,
        data: bytes | IO[bytes],
        *,
        mode: str | None = None,
        owner: str | None = None,
        group: str | None = None,
        backup: bool = False,
        current: FileState | None = None,
        validate: str | None = None,
        context: Mapping[str, str] | None = None,
        source: str | None = None,
    ) -> str | None:
        """Replace ``path`` atomically: temp file beside it, attributes set, then rename.

        ``current`` is the state the caller already probed; a check run uses it to predict
        the attributes a rewrite keeps. ``validate`` is a command (``%s``: the temp file)
        that must accept the new file before the rename, else ``ValidateFailed``; check
        runs do not run it, as Ansible's do not. ``context``: SELinux parts to set.
        ``source``: a file on the host to copy instead of ``data``. Returns the backup's
        path when one was made.
        """
        if self.check:
            self._predict_write(path, data, mode, owner, group, current, context)
            return None
        tmp = temp_beside(path)
        small = None if source is not None else _small(data)
        staged = source or (
            f"/tmp/.pbe-{uuid.uuid4().hex}" if self.become and small is None else tmp
        )
        plan = _WritePlan(
            staged,
            tmp,
            path,
            mode,
            owner,
            group,
            backup,
            validate,
            dict(context or {}),
            keep_staged=source is not None,
            receive=small is not None,
        )
        script = plan.script()  # a bad validate fails here, before anything is uploaded
        if small is not None:
            return plan.outcome(self._run(script, stdin=small))
        if source is None:
            self._put(io.BytesIO(data) if isinstance(data, bytes) else data, staged, 0o600)
        return plan.outcome(self._run(script))

    def _predict_write(
        self,
        path: str,
        data: bytes | IO[bytes],
        mode: str | None,
        owner: str | None,
        group: str | None,
        current: FileState | None,
        context: Mapping[str, str] | None,
    ) -> None:
        content = data if isinstance(data, bytes) else None
        before = self.prediction.lookup(path) or current
        se = before.selinux if before else None
        if context:
            se = SeContext(
                selinux.after(context, se.current if se else ""), se.default if se else ""
            )
        self.prediction.record(
            FileState(
                path,
                "file",
                mode=mode or (before.mode if before else None),
                owner=owner or (before.owner if before else None),
                group=group or (before.group if before else None),
                content=content,
                size=len(content) if content is not None else None,
                selinux=se,
            )
        )

    def apply(
        self, command: str, predicted: FileState | None = None, what: str = "change"
    ) -> CommandResult | None:
        """Run a mutating shell command, or in check mode only record its predicted result."""
        if self.check:
            if predicted is not None:
                self.prediction.record(predicted)
            return None
        res = self._run(command)
        if res.rc != 0:
            raise ModuleError(f"cannot {what}: {_reason(res)}")
        return res


def _small(data: bytes | IO[bytes]) -> bytes | None:
    """The whole content when it is at most ``SMALL_WRITE`` bytes (a stream is read that
    far, then rewound when it is longer), else None."""
    if isinstance(data, bytes):
        return data if len(data) <= SMALL_WRITE else None
    if not data.seekable():
        return None
    start = data.tell()
    head = data.read(SMALL_WRITE + 1)
    if len(head) <= SMALL_WRITE:
        return head
    data.seek(start)
    return None


def temp_beside(path: str) -> str:
    """A temp name in ``path``'s directory (so the rename is atomic), unique to this host
    and task: hosts sharing a filesystem may write the same path at once."""
    target = PurePosixPath(path)
    return str(target.parent / f".{target.name}.pbe-{uuid.uuid4().hex[:12]}.tmp")


def backup_step() -> str:
    """Copy ``$d`` to a backup named uniquely (date and a random tag: not a pid, which may
    repeat across the hosts sharing a filesystem) and print its path."""
    tag = uuid.uuid4().hex[:8]
    return (
        'if [ -f "$d" ]; then b="$d.$(date +%Y-%m-%d@%H:%M:%S).' + tag + '.pbe~"; '
        'cp -p -- "$d" "$b" && echo "$b"; fi'
    )


_VALIDATE_FAILED = "@@pbe-validate-failed@@"
_VALIDATED = "@@pbe-validated@@"
# Where SELinux is on, a replaced file keeps its context (the temp file gets the old one).
_KEEP_CONTEXT = (
    f'if {selinux.ENABLED} && [ -e "$d" ]; then chcon --reference="$d" -- "$t" 2>/dev/null || :; fi'
)


@dataclass(frozen=True, slots=True)
class _WritePlan:
    """The one script that finishes a write: give the temp file its attributes, validate
    it, back the old file up and rename the temp file over it."""

    staged: str
    tmp: str
    dest: str
    mode: str | None
    owner: str | None
    group: str | None
    backup: bool
    validate: str | None
    context: dict[str, str]
    keep_staged: bool = False
    receive: bool = False  # the content comes on stdin: write it to the temp file

    def script(self) -> str:
        """The old file's mode and owner are read once (it may be replaced or removed
        meanwhile by another host sharing the filesystem: then it counts as new), and
        ``mv -T`` never moves the temp file into a directory that appeared at ``dest``."""
        q = shlex.quote
        head = f"s={q(self.staged)}; t={q(self.tmp)}; d={q(self.dest)}"
        cleanup = ' || { rc=$?; rm -f -- "$t"; exit $rc; }'
        prepare = " && ".join(_braced(step) for step in self._prepare())
        finish = " && ".join(_braced(step) for step in self._finish())
        lines = [head, prepare + cleanup]
        if self.validate is not None:
            lines += [
                f"( {validate_line(self.validate, 't')}\n) </dev/null; v=$?",
                'if [ $v != 0 ]; then rm -f -- "$t"; '
                f"printf '\\n{_VALIDATE_FAILED}%s\\n' \"$v\"; exit 1; fi",
                f"echo {_VALIDATED}",
            ]
        return "\n".join([*lines, finish + cleanup])

    def _prepare(self) -> list[str]:
        q = shlex.quote
        steps = []
        if self.receive:  # mode 0600 until chmod; noclobber: never through a planted link
            steps.append('( set -C; umask 077; exec cat > "$t" )')
        if self.staged != self.tmp:
            remove = "" if self.keep_staged else ' && rm -f -- "$s"'
            drop = "" if self.keep_staged else '"$s" '
            steps.append(f'cp -- "$s" "$t"{remove} || {{ rm -f -- {drop}"$t"; exit 1; }}')
        if self.mode is None:  # keep an existing file's mode; a new one: 0666 & ~umask
            steps.append(
                'if m=$(stat -L -c %a -- "$d" 2>/dev/null); then chmod "$m" "$t"; '
                'else chmod "$(printf %o $((0666 & ~$(umask))))" "$t"; fi'
            )
        else:
            steps.append(f'chmod {q(self.mode)} "$t"')
        steps.append(self._chown())
        steps.append(_KEEP_CONTEXT)
        if self.context:
            steps.append(selinux.chcon(self.context, '"$t"'))
        return steps

    def _chown(self) -> str:
        q = shlex.quote
        if not (self.owner or self.group):  # keep an existing file's owner where we may
            return (
                'if o=$(stat -L -c %u:%g -- "$d" 2>/dev/null); then '
                'chown "$o" "$t" 2>/dev/null || :; fi'
            )
        user = q(self.owner) if self.owner else '"${o% *}"'  # the half not given stays
        grp = q(self.group) if self.group else '"${o#* }"'
        fresh = q(self.owner or "") + (f":{q(self.group)}" if self.group else "")
        return (
            f"if o=$(stat -L -c '%u %g' -- \"$d\" 2>/dev/null); then "
            f'chown {user}:{grp} "$t"; else chown {fresh} "$t"; fi'
        )

    def _finish(self) -> list[str]:
        return [backup_step(), 'mv -fT -- "$t" "$d"'] if self.backup else ['mv -fT -- "$t" "$d"']

    def outcome(self, res: CommandResult) -> str | None:
        """The backup's path, or the validation's or the write's failure."""
        out = res.out
        if res.rc != 0 and _VALIDATE_FAILED in out:
            text, _, code = out.rpartition(_VALIDATE_FAILED)
            raise ValidateFailed(int(code.strip() or 1), text.removesuffix("\n"), res.err)
        if res.rc != 0:
            raise ModuleError(f"cannot write {self.dest}: {_reason(res)}")
        if self.validate is not None:
            out = out.rpartition(_VALIDATED)[2]
        return out.strip() or None


def _braced(step: str) -> str:
    return f"{{ {step}; }}" if step.startswith("if ") else step


def _resolve(path: str, target: str) -> str:
    if target.startswith("/"):
        return target
    return str(PurePosixPath(path).parent / target)


def _reason(res: CommandResult) -> str:
    text = (res.err or res.out).strip()
    for prefix in (
        "cat: ",
        "stat: ",
        "chmod: ",
        "chown: ",
        "mv: ",
        "cp: ",
        "mkdir: ",
        "rm: ",
        "ln: ",
    ):
        text = text.replace(prefix, "")
    return text or f"exit status {res.rc}"
