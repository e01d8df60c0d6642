"""File operations on one host, for modules: read, atomic write, mkdir, attributes, commands.

Check mode is built in here rather than in each module: this layer alone holds the check
run's ``Prediction`` (``filestate``). Reads consult it before the real host (through the
probe layer, ``probe``), so a ``lineinfile`` on a file that an earlier ``lineinfile create:
true`` would create is planned against that predicted file, exactly as the real run will
see it; in check mode the mutating calls only record what they would leave. Modules ask
for operations and describe outcomes; none touches the prediction.
"""

from __future__ import annotations

import io
import shlex
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO, TypeVar

from ...errors import ModuleError
from ...transport.base import CommandResult
from . import selinux
from .accounts import AccountsPrediction
from .filestate import FileState, Prediction, chown_spec
from .probe import Identity, Probe, ProbeCache
from .selinux import SeContext
from .words import ValidateFailed, validate_line

Run = Callable[..., CommandResult]
T = TypeVar("T")

# Content up to this size is sent as the stdin of the command that finishes the write:
# one round trip, where an SFTP upload costs several more (open, chmod, write, close).
SMALL_WRITE = 64 << 10


class RemoteFiles:
    """A module's view of one host's files; predicts instead of acting in check mode."""

    def __init__(
        self,
        run: Run,
        put: Callable[[IO[bytes], str, int | None], None],
        check: bool,
        prediction: Prediction,
        become: bool = False,
        identity: Identity | None = None,
    ) -> None:
        self._run = run
        self._put = put
        self.check = check
        self._prediction = prediction
        self.become = become
        self.cache = ProbeCache(identity)  # this task's probe answers; any command drops them

    # -- the check run's prediction (None / False outside a check run) --------------------

    def known(self, path: str) -> FileState | None:
        """What an earlier task of the check run would leave at ``path``, or None: ask the
        host."""
        return self._prediction.lookup(path) if self.check else None

    def would_exist(self, path: str) -> bool | None:
        """For ``creates``/``removes``: whether ``path`` would exist, or None: ask the host."""
        return self._prediction.exists(path) if self.check else None

    def created(self, path: str) -> bool:
        """Whether ``path`` is the ``creates`` of a command check mode did not run."""
        return self.check and self._prediction.created(path)

    def assume(self, what: str) -> str | None:
        """Why a missing path may exist after all (an earlier task's effects are unknown)."""
        return self._prediction.assume(what) if self.check else None

    def changed_below(self, root: str) -> list[str]:
        """Paths at or under ``root`` that earlier tasks of the check run would change."""
        return self._prediction.below(root) if self.check else []

    def unsure(self, why: str, creates: str | None = None, removes: str | None = None) -> None:
        """A task changed files in ways not recorded (a command check mode did not run)."""
        if self.check:
            self._prediction.unsure(why, creates, removes)

    def record(self, state: FileState, new_dir: bool = False) -> None:
        """In a check run, note what the task would leave at ``state.path`` (the module did
        not act); nothing otherwise."""
        if self.check:
            self._prediction.record(state, new_dir=new_dir)

    def accounts(self) -> AccountsPrediction | None:
        """The users and groups earlier tasks of the check run would add or remove (None
        outside a check run)."""
        return self.companion(AccountsPrediction) if self.check else None

    def companion(self, make: Callable[[], T]) -> T:
        """The check run's record of another kind of state on this host (packages), kept
        beside its file prediction: made by ``make`` on first use, then the same one."""
        return self._prediction.companion(make, make)

    # -- reading ---------------------------------------------------------------------------

    def stat(self, path: str, *, checksum: bool = False, follow: bool = False) -> FileState:
        """One round trip (none when the check-run prediction already knows the path)."""
        probe = Probe(self)
        probe.path("p", path, ("L" if follow else "") + ("S" if checksum else ""))
        return probe.run().entries["p"].state

    def read(self, path: str) -> bytes:
        """A file's bytes (predicted content first in check mode)."""
        if (known := self.known(path)) is not None:
            if known.content is not None:
                return known.content
            if not known.exists:
                raise ModuleError(f"{path} does not exist")
        res = self.run(f"cat -- {shlex.quote(path)}")
        if res.rc != 0:
            raise ModuleError(f"cannot read {path}: {_reason(res)}")
        return res.stdout

    def run(self, command: str, stdin: bytes | None = None, light: bool = False) -> CommandResult:
        """``light``: a script of pbe's own, with no user command in it (see
        ``Connection.run``)."""
        self.cache.forget()  # the task's runner forgets too; a bare runner (tests) may not
        if light:
            return self._run(command, stdin=stdin, light=True)
        return self._run(command, stdin=stdin)

    def query(self, script: str, stdin: bytes | None = None) -> CommandResult:
        """The probe layer's command: it stores its answers after the command has run.
        A read-only script of pbe's own, so a light one (see ``Connection.run``)."""
        return self._run(script, stdin=stdin, light=True)

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
        light = validate is None  # a validate command is the user's
        if small is not None:
            return plan.outcome(self.run(script, stdin=small, light=light))
        if source is None:
            self._put(io.BytesIO(data) if isinstance(data, bytes) else data, staged, 0o600)
        return plan.outcome(self.run(script, light=light))

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
        before = self._prediction.lookup(path) or current
        se = before.selinux if before else None
        if context:
            se = SeContext(
                selinux.after(context, se.current if se else ""), se.default if se else ""
            )
        self._prediction.record(
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
        self,
        command: str,
        predicted: FileState | Iterable[FileState] | None = None,
        what: str = "change",
    ) -> CommandResult | None:
        """Run a mutating shell command, or in check mode only record its predicted result
        (one state, or several in order)."""
        if self.check:
            for state in [predicted] if isinstance(predicted, FileState) else predicted or ():
                self._prediction.record(state)
            return None
        res = self.run(command)
        if res.rc != 0:
            raise ModuleError(f"cannot {what}: {_reason(res)}")
        return res

    def mkdir(
        self,
        paths: Iterable[str],
        mode: str | None = None,
        what: str = "",
        owner: str | None = None,
        group: str | None = None,
    ) -> None:
        """``mkdir -p`` each path (then ``chmod`` them to ``mode``, ``chown`` them to
        ``owner``/``group``); a check run records them as directories the run would newly
        create."""
        paths = list(paths)
        if not paths:
            return
        if self.check:
            for path in paths:
                state = FileState(path, "directory", mode=mode, owner=owner, group=group)
                self._prediction.record(state, new_dir=True)
            return
        quoted = " ".join(shlex.quote(p) for p in paths)
        chmod = f" && chmod {shlex.quote(mode)} -- {quoted}" if mode else ""
        spec = chown_spec(owner, group)
        chown = f" && chown {shlex.quote(spec)} -- {quoted}" if spec else ""
        self.apply(
            f"mkdir -p -- {quoted}{chmod}{chown}", what=what or f"create directory {paths[0]}"
        )


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
# A replaced file keeps its extended ACL (Ansible's atomic move copies it with the file's
# xattrs); copied before the mode is set, so a given `mode` still applies on top of it.
# A new file has none to keep: no getfacl then.
_KEEP_ACL = (
    'if [ -e "$d" ] && command -v getfacl >/dev/null 2>&1 && '
    'a=$(getfacl -cs -- "$d" 2>/dev/null) && '
    '[ -n "$a" ]; then printf \'%s\\n\' "$a" | setfacl --set-file=- -- "$t" 2>/dev/null || :; fi'
)
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
        steps.append(_KEEP_ACL)
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
