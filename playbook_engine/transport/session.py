"""A persistent POSIX shell per host: the protocol, pure (no I/O here).

Starting a command costs sshd a fork and the login shell a start-up. A session keeps one
``sh -s`` per host (one SSH channel, or pipes for the local connection) and sends it each
command as one line of shell code the session itself wrote, never as code of the user::

    _pbe_run TOKEN 'the command, single-quoted' </dev/null
    _pbe_run TOKEN 'the command' <<'_pbe_TOKEN'      (stdin, when it ends with a newline)
    stdin bytes
    _pbe_TOKEN

A single-quoted word cannot be broken out of, so a hostile command is only ever data to
the session. ``_pbe_run`` runs it as ``$SHELL -c COMMAND`` (as sshd would: same shell,
same ``$0``) in a session and process group of its own (``setsid``; bash's ``set -m``
where there is no setsid), with only fds 0-2 open, and writes framed records around
its output. ``TOKEN`` is 128 random bits per command; the command's own argv holds it
only in two halves, so no output (not even a ``ps`` of the command) holds a record::

    stdout: TOKEN S <pid>\\n   (first, from the command's own shell: its process group)
            ...the command's output, untouched (binary-safe, streamed)...
            TOKEN E <rc> <left>\\n   (last; left=1: processes of its group outlived it)
    stderr: ...the command's errors...  TOKEN E\\n

A command's ``exit``, ``cd``, traps, ``set -e`` or reads of stdin act in its own
process, never on the session. Processes a command leaves running may still hold the
output pipes, as sshd would wait for: the session then reports ``left=1`` and exits,
and the reader keeps reading until the channel ends (exactly what exec-per-command
does); the next command gets a fresh session. (A child that died with its shell stays
a zombie in the group until init reaps it, so ``ps`` has the last word.) Timeouts and
interrupts signal the command's process group (TERM, then KILL), leaving the session
usable.

pbe's own read-only scripts (the probe layer's questions) are *light*: where the session
shell leads its own process group and has no job control (mode s; it reports this when
it starts: ``sL``), they run as
``( eval SCRIPT )`` in a subshell of it: one fork, where ``setsid`` and a login shell cost
two execs. They start nothing that outlives them, so no leftovers check; stopping one
(a timeout, an interrupt) signals the session's group, which ends the session too.

dash reads its input in blocks, so parsing a command costs no per-byte system call
(bash reads a pipe byte by byte: correct, slower). Commands with NUL bytes, stdin not
ending in a newline, or very large ones are left to exec-per-command.
"""

from __future__ import annotations

import secrets
import shlex
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from ..errors import CommandTimeout, ModuleError
from .base import KILL_GRACE, STOPPED, CommandResult, Sink, SinkFailed

# Larger commands or stdin go over exec-per-command: parsing them is the shell's work.
MAX_SCRIPT = 64 << 10
MAX_STDIN = 64 << 10
# The shell the session runs in; the commands run in the login shell ($SHELL) over SSH.
SESSION_SHELL = "/bin/sh"
# Mode order, for tests: s = setsid, m = bash's `set -m` (own process group, not session).
MODES = "s m"

BOOT_SCRIPT = r"""
_pbe_b=$1 _pbe_S=$2
exec 3>&1 4>&2 2>/dev/null
if [ -z "$_pbe_S" ]; then
  _pbe_S=${SHELL:-/bin/sh}
  _pbe_n=${_pbe_S##*/}
  [ "$(command -v "$_pbe_n")" -ef "$_pbe_S" ] && _pbe_S=$_pbe_n
fi
_pbe_m=
for _pbe_w in $3; do
  case $_pbe_w in
  s) _pbe_x=$(command -v setsid) && [ -n "$_pbe_x" ] &&
       "$_pbe_x" "$_pbe_S" -c : </dev/null && _pbe_m=s && break ;;
  m) [ -n "${BASH_VERSION-}" ] && set -m && _pbe_m=m && break ;;
  esac
done
if [ -z "$_pbe_m" ]; then printf '%sR-\n' "$_pbe_b"; exit 0; fi
_pbe_l= _pbe_g=
if [ "$_pbe_m" = s ]; then
  { read -r _pbe_1 _pbe_2 _pbe_3 _pbe_4 _pbe_g _pbe_5; } </proc/$$/stat ||
    _pbe_g=$(ps -o pgid= -p $$)
fi
[ "${_pbe_g##* }" = "$$" ] && _pbe_l=L
_pbe_go() {
  if [ "$_pbe_m" = s ]; then
    _pbe_p=$("$_pbe_x" "$_pbe_S" -c "$1" 2>&4 4>&-)
  else
    "$_pbe_S" -c "$1" 2>&4 3>&- 4>&- &
    _pbe_p=$!
    wait "$_pbe_p"
  fi
}
_pbe_run() {
  _pbe_p=
  _pbe_go "$2"
  _pbe_r=$?
  _pbe_k=0
  if [ -n "$_pbe_p" ] && kill -0 -"$_pbe_p"; then
    ps -e -o pgid= -o stat= | awk -v g="$_pbe_p" '
      $1 == g && $2 !~ /^Z/ { f = 1 } END { exit f || NR == 0 }' || _pbe_k=1
  fi
  printf '%sE\n' "$1" >&4
  printf '%sE%s %s\n' "$1" "$_pbe_r" "$_pbe_k"
  if [ "$_pbe_k" = 1 ]; then exit 0; fi
}
_pbe_lt() {
  printf '%sS%s\n' "$1" "$$"
  ( eval "$2" ) 2>&4 3>&- 4>&-
  _pbe_r=$?
  printf '%sE\n' "$1" >&4
  printf '%sE%s 0\n' "$1" "$_pbe_r"
}
printf '%sR%s%s\n' "$_pbe_b" "$_pbe_m" "$_pbe_l"
"""

# What each mode puts before the command, on its first line (so line numbers in the
# shell's messages stay those of the command): the start record, from the command's
# own shell. In mode s the shell's stdout is first the pipe that tells the session its
# pid (the process group to check for leftovers), then the real one.
# The token is printed from two halves: whole, it would stand in the command's argv, and
# a `ps` the command runs would print it as an unexpected record.
_PREFIX = {
    "s": "echo $$;exec 1>&3 3>&-;printf '%s%sS%s\\n' {a} {b} $$;",
    "m": "printf '%s%sS%s\\n' {a} {b} $$;",
}
_RECORD_MAX = 64  # a record's length after its token: "E255 1\n", "S4194304\n"
_DEATHS = 3  # sessions that may die under a command before a host gets exec only


def new_token() -> str:
    return secrets.token_hex(16)


def kill_script(pids: list[int], grace: float = KILL_GRACE) -> str:
    """A host-side command: SIGTERM the process groups ``pids``, SIGKILL what is left of
    them once ``grace`` seconds have passed (sooner if all are gone). It detaches, so it
    finishes its work even when pbe closes the connection right after starting it."""
    groups = " ".join(f"-{pid}" for pid in pids if pid > 1)  # -1 would mean "every process"
    steps = max(1, int(grace * 10))
    return (
        f"(g='{groups}'; kill -TERM $g; n=0; while [ $n -lt {steps} ]; do a=; "
        'for p in $g; do kill -0 $p && a=1; done; [ -n "$a" ] || break; '
        "sleep 0.1 || break; n=$((n+1)); done; kill -KILL $g) "
        "</dev/null >/dev/null 2>&1 &"
    )


def boot_command(token: str) -> str:
    """The exec request that starts a session over SSH: the session shell reads its
    script, then commands, from stdin; commands run in the login shell."""
    return f"exec {SESSION_SHELL} -s {token} '' {shlex.quote(MODES)}"


def boot_argv(token: str, shell: str) -> list[str]:
    """The argv that starts a local session whose commands run in ``shell``."""
    return [SESSION_SHELL, "-s", token, shell, MODES]


def parse_ready(data: bytes, token: str) -> str | None:
    """The mode a booting session announced ("" if it cannot run commands), or None
    while its ready line has not arrived."""
    marker = f"{token}R".encode()
    at = data.find(marker)
    if at < 0 or (end := data.find(b"\n", at)) < 0:
        return None
    mode = data[at + len(marker) : end].decode("ascii", "replace")
    return mode if mode in ("s", "m", "sL") else ""


def frame(
    command: str,
    stdin: bytes | None,
    mode: str,
    token: str,
    errors: str = "strict",
    light: bool = False,
) -> bytes | None:
    """The bytes that make the session run ``command``, or None when it cannot carry
    it (NUL bytes, stdin not ending in a newline, too large, not encodable).

    ``light``: a script of pbe's own that leaves no process behind runs in a subshell of
    the session (one fork instead of two execs), where the session leads its process
    group (mode ``…L``): it has no group of its own, so stopping it ends the session.
    """
    data = stdin or b""
    if "\0" in command or len(command) > MAX_SCRIPT or len(data) > MAX_STDIN:
        return None
    if light and mode.endswith("L"):
        call = f"_pbe_lt {token} {shlex.quote(command)}"
    else:
        half = len(token) // 2
        script = _PREFIX[mode[0]].format(a=token[:half], b=token[half:]) + command
        call = f"_pbe_run {token} {shlex.quote(script)}"
    try:
        head = call.encode("utf-8", errors)
    except UnicodeEncodeError:
        return None
    if not data:
        return head + b" </dev/null\n"
    delimiter = f"_pbe_{token}".encode()
    if b"\0" in data or not data.endswith(b"\n") or b"\n" + delimiter + b"\n" in b"\n" + data:
        return None
    return b"%s <<'%s'\n%s%s\n" % (head, delimiter, data, delimiter)


class ProtocolError(Exception):
    """The session wrote something that is not the protocol (it is not ours, or broken)."""


class Expired(Exception):
    """A command's deadline passed."""


def remaining(deadline: float | None) -> float | None:
    """Seconds left until ``deadline`` (None: no deadline); Expired once it has passed."""
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise Expired
    return left


class SessionLost(Exception):
    """The session shell ended (killed, or its connection went) before the command's end.

    ``started``: False only when the command provably never started (its frame was not
    delivered whole), so running it again elsewhere is safe.
    """

    def __init__(self, started: bool) -> None:
        super().__init__("the session shell ended")
        self.started = started


@dataclass
class End:
    rc: int
    leftovers: bool


class Demux:
    """Splits one command's two streams into its output (to the sinks) and the records.

    Output is passed on as it comes; only the last few bytes, which may be the start
    of a record, are held back. Whatever comes after the end record on stdout (from
    processes the command left running) is output too.
    """

    def __init__(self, token: str, out: Sink, err: Sink) -> None:
        self._token = token.encode()
        self.out, self.err = out, err
        self._streams = {"out": _Stream(self._token, out), "err": _Stream(self._token, err)}
        self.pid: int | None = None
        self.end: End | None = None
        self.err_done = False

    @property
    def done(self) -> bool:
        """Both end records seen: the command is over and its output complete."""
        return self.end is not None and self.err_done

    def feed_out(self, data: bytes) -> None:
        for kind, body in self._streams["out"].feed(data):
            self._stdout_record(kind, body)

    def feed_err(self, data: bytes) -> None:
        for kind, body in self._streams["err"].feed(data):
            if kind != "E" or body:
                raise ProtocolError(f"unexpected record {kind}{body!r} on stderr")
            self.err_done = True

    def flush(self) -> None:
        """The streams ended: what was held back is output after all."""
        for stream in self._streams.values():
            stream.flush()

    def _stdout_record(self, kind: str, body: str) -> None:
        if kind == "S" and body.isdigit() and self.pid is None:
            self.pid = int(body)
        elif kind == "E" and self.end is None:
            rc, _, left = body.partition(" ")
            if not rc.isdigit() or left not in ("0", "1"):
                raise ProtocolError(f"bad end record {body!r}")
            self.end = End(int(rc), left == "1")
        else:
            raise ProtocolError(f"unexpected record {kind}{body!r} on stdout")


class _Stream:
    """One stream: output bytes with records ``TOKEN<kind><body>\\n`` among them."""

    def __init__(self, token: bytes, sink: Sink) -> None:
        self._token = token
        self._sink = sink
        self._held = b""

    def feed(self, data: bytes) -> list[tuple[str, str]]:
        buf = self._held + data if self._held else data
        view, pos = memoryview(buf), 0
        records: list[tuple[str, str]] = []
        while (at := buf.find(self._token, pos)) >= 0:
            self._write(view[pos:at])
            end = buf.find(b"\n", at)
            if end < 0:
                if len(buf) - at > len(self._token) + _RECORD_MAX:
                    raise ProtocolError("a record without its end of line")
                self._held = buf[at:]
                return records
            body = str(view[at + len(self._token) : end], "ascii", "replace")
            records.append((body[:1], body[1:]))
            pos = end + 1
        keep = _partial_token(buf, pos, self._token)
        self._write(view[pos : len(buf) - keep])
        self._held = buf[len(buf) - keep :] if keep else b""
        return records

    def _write(self, data: memoryview) -> None:
        if len(data):
            self._sink.write(data)

    def flush(self) -> None:
        if self._held:
            self._sink.write(self._held)
            self._held = b""


def _partial_token(buf: bytes, pos: int, token: bytes) -> int:
    """How many bytes at the end of ``buf[pos:]`` could begin ``token``."""
    for size in range(min(len(token) - 1, len(buf) - pos), 0, -1):
        if buf.endswith(token[:size]):
            return size
    return 0


class Pooled(Protocol):
    def alive(self) -> bool: ...

    def close(self) -> None: ...


S = TypeVar("S", bound=Pooled)


class SessionPool(Generic[S]):
    """The sessions of one connection: each serves one command at a time.

    Threads that share the connection (hosts delegating to it) get a session each, up
    to ``cap`` (sshd allows 10 channels per connection by default); beyond that, or on a
    host where sessions cannot work (``start`` returned None), or after sessions kept
    dying, ``acquire`` returns None and the caller uses exec-per-command.
    """

    def __init__(self, start: Callable[[], S | None], cap: int = 3) -> None:
        self._start = start
        self._cap = cap
        self._lock = threading.Lock()
        self._idle: list[S] = []
        self._busy: list[S] = []
        self._starting = 0
        self._deaths = 0
        self.disabled = False

    def acquire(self) -> S | None:
        with self._lock:
            if self.disabled:
                return None
            while self._idle:
                session = self._idle.pop()
                if session.alive():
                    self._busy.append(session)
                    return session
                session.close()
            if len(self._busy) + self._starting >= self._cap:
                return None
            self._starting += 1
        try:
            started = self._start()
        finally:
            with self._lock:
                self._starting -= 1
        return self._started(started)

    def _started(self, session: S | None) -> S | None:
        with self._lock:
            if session is not None and not self.disabled:
                self._busy.append(session)
                return session
            self.disabled = True
        if session is not None:
            session.close()
        return None

    def release(self, session: S, reusable: bool = True) -> None:
        """Give ``session`` back; one that cannot serve again is closed."""
        with self._lock:
            if session in self._busy:
                self._busy.remove(session)
            if reusable and not self.disabled and session.alive():
                self._idle.append(session)
                return
        session.close()

    def died(self) -> None:
        """A session ended under a command: after a few, this host gets exec only."""
        with self._lock:
            self._deaths += 1
            if self._deaths >= _DEATHS:
                self.disabled = True

    def prime(self) -> None:
        """Start a first session now (it then waits, idle, for the first command)."""
        session = self.acquire()
        if session is not None:
            self.release(session)

    def busy(self) -> list[S]:
        with self._lock:
            return list(self._busy)

    def close(self) -> list[S]:
        """No more sessions; the idle ones are closed, the busy ones returned."""
        with self._lock:
            self.disabled = True
            idle, self._idle = self._idle, []
            busy = list(self._busy)
        for session in idle:
            session.close()
        return busy


class Shell(Pooled, Protocol):
    """A session shell on some channel (SSH channel, local pipes)."""

    mode: str
    pid: int | None  # the process group of the command it runs now, once known

    def send(self, data: bytes, deadline: float | None) -> None:
        """Deliver a frame whole, or raise SessionLost(started=False)."""

    def collect(
        self, demux: Demux, deadline: float | None, check: Callable[[], None], to_eof: bool = False
    ) -> None:
        """Feed ``demux`` until it is done (``to_eof``: until the channel ends), calling
        ``check`` after each read. Raises Expired, SessionLost."""


class Owner(Protocol):
    """The connection a shell belongs to."""

    @property
    def stopping(self) -> bool:
        """``interrupt()`` was called: commands are to be stopped."""

    def kill_groups(self, pids: list[int]) -> None:
        """SIGTERM these process groups; SIGKILL what is left after ``KILL_GRACE``."""


ShellT = TypeVar("ShellT", bound=Shell)


def run_in_shell(
    pool: SessionPool[ShellT],
    owner: Owner,
    command: str,
    stdin: bytes | None,
    limit: float | None,
    out: Sink,
    errors: str = "strict",
    light: bool = False,
) -> CommandResult | None:
    """Run ``command`` in one of the pool's shells; None when no shell can carry it (the
    caller runs it with exec-per-command, which is then safe: it never started).

    Raises:
        CommandTimeout: the command outlived ``limit`` (its process group was ended).
        ModuleError: STOPPED by ``interrupt()``; or the output could not be stored.
        SessionLost: the shell ended under the command (which was stopped).
    """
    shell = pool.acquire()
    if shell is None:
        return None
    token = new_token()
    data = frame(command, stdin, shell.mode, token, errors, light)
    if data is None:
        pool.release(shell)
        return None
    job = _Job(shell, owner, Demux(token, out, Sink()), limit)
    try:
        return job.run(data)
    except SessionLost as exc:
        if not exc.started:
            return None
        pool.died()
        raise
    finally:
        pool.release(shell, job.reusable)


class _Job:
    """One command in a shell: its deadline, its kill, and what is left afterwards."""

    def __init__(self, shell: Shell, owner: Owner, demux: Demux, limit: float | None) -> None:
        self.shell, self.owner, self.demux, self.limit = shell, owner, demux, limit
        self.deadline = None if limit is None else time.monotonic() + limit
        self.expired = self.killed = self.reusable = False

    def run(self, data: bytes) -> CommandResult:
        self.shell.send(data, self.deadline)
        try:
            self.shell.collect(self.demux, self.deadline, self.check)
            if self.demux.end is not None and self.demux.end.leftovers:
                self.shell.collect(self.demux, self.deadline, self.check, to_eof=True)
        except Expired:
            raise self._expire() from None
        except (SinkFailed, SessionLost, ProtocolError) as exc:
            self._abandon()
            if isinstance(exc, ProtocolError):
                raise SessionLost(started=True) from exc
            raise
        finally:
            self.shell.pid = None
        end = self.demux.end
        assert end is not None
        self.reusable = not end.leftovers
        if self.owner.stopping:
            raise ModuleError(STOPPED)
        return CommandResult(end.rc, self.demux.out.value(), self.demux.err.value())

    def check(self) -> None:
        """After each read: a pid just learnt may be one to stop already."""
        pid = self.demux.pid
        if pid is None:
            return
        self.shell.pid = pid
        if (self.expired or self.owner.stopping) and not self.killed:
            self.killed = True
            self.owner.kill_groups([pid])

    def _expire(self) -> Exception:
        """End the command's process group, wait (bounded) for its end, say why."""
        self.expired = True
        self.check()
        grace = time.monotonic() + 2 * KILL_GRACE + 1
        try:
            self.shell.collect(self.demux, grace, self.check)
            if self.demux.end is not None and self.demux.end.leftovers:
                self.shell.collect(self.demux, grace, self.check, to_eof=True)
            else:
                self.reusable = True
        except (Expired, SessionLost, ProtocolError, SinkFailed):
            self.shell.close()
        if self.owner.stopping:
            return ModuleError(STOPPED)
        return CommandTimeout(f"command timed out after {self.limit:g}s")

    def _abandon(self) -> None:
        """The shell cannot go on: stop the command it was running and drop it."""
        if self.demux.pid is not None and not self.killed:
            self.killed = True
            self.owner.kill_groups([self.demux.pid])
        self.shell.close()
