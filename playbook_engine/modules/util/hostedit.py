"""What the system modules (user, cron, sysctl, mount, authorized_key …) share.

Each reads several things in one probe, so the probe's output is framed in named
``sections`` (each with its own exit status), parsed by a pure function. Many of them
rewrite a small text file whole: ``write_file`` is the shell that replaces it atomically
from the apply command's stdin (one round trip, no SFTP, nothing on the command line).

``HostStateModule`` is ``StateModule`` with two additions for that: an ``Edit`` change can
carry the apply command's stdin, and in a check run the files an ``Edit`` would write are
recorded in the check run's prediction (and a module's ``foresee`` reads them back), so a
later task of the same check run plans against the file this one would leave.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from ...errors import ModuleError
from ...transport.base import CommandResult
from ...transport.shell import quote
from ..base import ModuleContext
from ..result import Result
from .filestate import FileState
from .remotefs import RemoteFiles, backup_step
from .state import Change, StateModule

__all__ = [
    "ABSENT_RC",
    "Edit",
    "HostStateModule",
    "Known",
    "Section",
    "TextFile",
    "fact",
    "failure",
    "home_path",
    "init_system",
    "need",
    "read_file",
    "section",
    "sections",
    "text_file",
    "write_file",
]

S = TypeVar("S")
ABSENT_RC = 66  # read_file's status for a missing file
_BEGIN = "::pbe:begin "
_END = re.compile(r"\n::pbe:end (\S+) (\d+)\n")


@dataclass(frozen=True, slots=True)
class Section:
    """One framed part of a probe's output: its command's exit status and what it printed."""

    rc: int
    text: str


@dataclass(frozen=True, slots=True)
class TextFile:
    """A small text file as a probe read it; ``text`` is None when there is no such file."""

    path: str
    text: str | None

    @property
    def lines(self) -> list[str]:
        return (self.text or "").splitlines()


@dataclass(frozen=True, slots=True)
class Edit(Change):
    """A change whose apply command reads ``stdin`` (a file's new content) and leaves the
    files in ``writes`` (path, text; None: removed) as given: a check run records them as its
    prediction. A path need not be a file's: ``cron`` keys a user's crontab by a name.
    ``command`` is the apply command, for modules whose plan already built it."""

    stdin: bytes | None = None
    writes: tuple[tuple[str, str | None], ...] = ()
    command: str = ""


def section(name: str, command: str) -> str:
    """``command`` run in a subshell, framed so ``sections`` finds its output and status."""
    return (
        f"printf '{_BEGIN}%s\\n' {name}; ( {command} ); "
        f"printf '\\n::pbe:end %s %s\\n' {name} \"$?\""
    )


def sections(output: str) -> dict[str, Section]:
    """The framed sections of a probe's output, by name (pure)."""
    found: dict[str, Section] = {}
    pos = 0
    while (start := output.find(_BEGIN, pos)) >= 0:
        line_end = output.find("\n", start)
        if line_end < 0:
            break
        name = output[start + len(_BEGIN) : line_end]
        end = _END.search(output, line_end)
        if end is None:
            break
        if end.group(1) == name:
            found[name] = Section(int(end.group(2)), output[line_end + 1 : end.start()])
        pos = end.end()
    return found


def need(found: dict[str, Section], name: str, res: CommandResult) -> Section:
    """A section the probe must have printed; the probe's own error when it did not."""
    if name not in found:
        detail = (res.err or res.out).strip() or f"exit status {res.rc}"
        raise ModuleError(f"could not read the host's state: {detail}")
    return found[name]


def fact(ctx: ModuleContext, key: str) -> Any:
    """A gathered fact (``ansible_facts[key]``), or None when facts were not gathered: a
    module that picks a tool from facts then detects it on the host instead."""
    for name, inner in (("ansible_facts", key), (f"ansible_{key}", None)):
        try:
            value = ctx.variable(name)
        except (KeyError, LookupError):
            continue
        if inner is None:
            return value
        if isinstance(value, Mapping) and inner in value:
            return value[inner]
    return None


def init_system(ctx: ModuleContext, tool: str) -> str:
    """Shell printing ``systemd`` or ``other``: from the gathered ``service_mgr`` fact when
    there is one, else whether systemd runs on the host and ``tool`` is installed."""
    manager = fact(ctx, "service_mgr")
    if manager is not None:
        return f"echo {'systemd' if manager == 'systemd' else 'other'}"
    return (
        f"if [ -d /run/systemd/system ] && command -v {tool} >/dev/null; "
        "then echo systemd; else echo other; fi"
    )


def home_path(path: str) -> str:
    """``path`` quoted for sh, with a leading ``~/`` meaning the login user's ``$HOME``."""
    if path == "~":
        return '"$HOME"'
    if path.startswith("~/"):
        return '"$HOME"/' + quote(path[2:])
    return quote(path)


def read_file(name: str, path: str, *, quoted: bool = False) -> str:
    """A section holding a file's content; status ``ABSENT_RC`` when there is none."""
    p = path if quoted else quote(path)
    return section(name, f'p={p}; [ -e "$p" ] || exit {ABSENT_RC}; cat -- "$p"')


def text_file(path: str, found: Section) -> TextFile:
    """A ``read_file`` section as a TextFile; ModuleError when the file was unreadable."""
    if found.rc == ABSENT_RC:
        return TextFile(path, None)
    if found.rc != 0:
        raise ModuleError(f"cannot read {path} (exit status {found.rc})")
    return TextFile(path, found.text)


def write_file(
    path: str,
    *,
    mode: str | None = None,
    new_mode: str = "0644",
    owner: str | None = None,
    backup: bool = False,
    quoted: bool = False,
) -> str:
    """Shell that replaces ``path`` with its stdin atomically: a temp file beside it, then
    a rename. ``mode`` and ``owner`` (``user:group``) are forced when given; otherwise an
    existing file keeps its own and a new one gets ``new_mode``. With ``backup`` the old
    file is copied first and the copy's path printed."""
    d = path if quoted else quote(path)
    steps = [f'd={d}; t="$(dirname -- "$d")/.pbe-{uuid.uuid4().hex[:12]}.tmp"', 'cat > "$t"']
    if mode is None:
        steps.append(f'{{ m=$(stat -L -c %a -- "$d" 2>/dev/null) || m={new_mode}; }}')
        steps.append('chmod "$m" "$t"')
    else:
        steps.append(f'chmod {quote(mode)} "$t"')
    if owner is None:
        steps.append('{ o=$(stat -L -c %u:%g -- "$d" 2>/dev/null) && chown "$o" "$t" || :; }')
    else:
        steps.append(f'chown {quote(owner)} "$t"')
    if backup:
        steps.append(f"{{ {backup_step()}; }}")
    steps.append('mv -f -- "$t" "$d"')
    return f'{steps[0]}; {" && ".join(steps[1:])} || {{ rc=$?; rm -f -- "$t"; exit $rc; }}'


def failure(change: Change, res: CommandResult) -> str:
    detail = (res.err or res.out).strip() or f"exit status {res.rc}"
    return f"{change.op} failed (rc={res.rc}): {detail}"


Known = Callable[[str], "TextFile | None"]


class HostStateModule(StateModule[S]):
    """probe → parse → (foresee) → plan → apply, with stdin and file predictions."""

    def foresee(self, args: dict[str, Any], state: S, known: Known) -> S:
        """In a check run: ``state`` with the files earlier tasks of the run would have
        written (``known(path)``: that TextFile, or None when the host's is current)."""
        return state

    def failed(self, args: dict[str, Any], change: Change, res: CommandResult) -> str:
        """The message when the apply command fails (``res.rc`` is not 0)."""
        return failure(change, res)

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        state = self.parse(args, ctx.run(self.probe(args, ctx)))
        files = _files(ctx)
        if files is not None:
            state = self.foresee(args, state, lambda path: _known(files, path))
        if ctx.check:
            state = self.overlay(args, state, ctx)
        change = self.plan(args, state)
        if change is None:
            return Result(values=self.values(args, state))
        diff = change.diff if ctx.diff else None
        if ctx.check:
            self.would_leave(args, change, ctx)
            if isinstance(change, Edit) and files is not None:
                _predict(files, change.writes)
            return Result(changed=True, msg=change.msg or None, values=change.values, diff=diff)
        stdin = change.stdin if isinstance(change, Edit) else None
        res = ctx.run(self.apply(args, change, ctx), stdin=stdin)
        if res.rc != 0:
            raise ModuleError(self.failed(args, change, res))
        return Result(
            changed=True, msg=change.msg or None, values=self.applied(args, change, res), diff=diff
        )


def _files(ctx: ModuleContext) -> RemoteFiles | None:
    """This host's files in a check run (None outside one, and on a recorded host, which
    has no prediction)."""
    if not ctx.check or not hasattr(type(ctx), "files"):
        return None
    return ctx.files


def _predict(files: RemoteFiles, writes: tuple[tuple[str, str | None], ...]) -> None:
    """Record what the change would leave: each file's new text, or its absence (None)."""
    for path, text in writes:
        if text is None:
            files.record(FileState(path))
        else:
            files.write(path, text.encode())


def _known(files: RemoteFiles, path: str) -> TextFile | None:
    state = files.known(path)
    if state is None:
        return None
    if not state.exists:
        return TextFile(path, None)
    if state.content is None:
        return None
    return TextFile(path, state.content.decode(errors="replace"))
