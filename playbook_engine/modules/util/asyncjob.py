"""Async jobs (``async:``/``poll:``): where a job runs, and how its status is read back.

A job runs one of two ways, because a pbe module is controller-side Python that sends
shell commands to the host:

* **On the host, detached** (``command``/``shell``, whose work is one command): the
  command runs under a small ``sh`` supervisor in a session of its own (``setsid``), its
  output and exit status written to a job directory, ``<async_dir>/<jid>/``
  (``~/.ansible_async`` by default). It outlives the task, the play and the pbe run, as
  an Ansible job does; a watchdog ends its whole process group after ``async`` seconds.
  ``async_status`` reads the directory in one command, from any later task or run.
* **On the controller** (every other module): the module runs on a thread of the run's
  ``JobTable`` (at most ``forks`` at a time), each of its commands bounded by the job's
  deadline. Such a job ends with the pbe run: the run waits for it (up to its ``async``
  limit) before closing its connections.

Job directory files: ``meta`` (JSON, written at launch: what ran), ``stdin``, ``start``,
``pid`` (the job's process group), ``stdout``, ``stderr``, ``rc`` (``<rc> <end time>``,
renamed into place last: its presence means finished) and ``timeout`` (the job was ended
at its limit).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from ... import settings
from ...errors import ModuleError
from ...transport import shell
from ...transport.base import CommandResult
from ..base import Detached, ModuleContext
from ..result import Result

DEFAULT_DIR = "~/.ansible_async"
TIMEOUT_MSG = "Timeout exceeded"
NOT_FOUND = "could not find job"
EXISTS = 17  # the launch's exit status when the job directory exists: take another jid

# Expands a leading `~` of $1 on the host (the job runs as the become user: its home).
_BASE = 'case $1 in "~") b=$HOME ;; "~/"*) b=$HOME/${1#"~/"} ;; *) b=$1 ;; esac; d=$b/$2\n'

# $1 dir $2 jid $3 limit $4 command $5 meta $6 stdin? $7 the supervisor script.
_LAUNCH = (
    _BASE
    + """umask 077
mkdir -p "$b" 2>/dev/null; [ -e "$d" ] && exit 17
mkdir "$d" || exit 1
printf '%s\\n' "$5" >"$d/meta"
if [ "$6" = 1 ]; then cat >"$d/stdin"; else : >"$d/stdin"; fi
if command -v setsid >/dev/null 2>&1; then s=setsid; else s=; set -m; fi
$s sh -c "$7" pbe-async-job "$d" "$3" "$4" "$s" </dev/null >/dev/null 2>&1 &
printf '%s\\n' "$d"
"""
)

# The supervisor, in a session of its own: $1 job dir, $2 limit, $3 command, $4 setsid
# or empty (then `set -m` gives each background job a process group of its own).
_SUPERVISOR = """d=$1 s=$4
[ -n "$s" ] || set -m
now() { date +%s.%N 2>/dev/null || date +%s; }
now >"$d/start"
$s "${SHELL:-/bin/sh}" -c "$3" <"$d/stdin" >"$d/stdout" 2>"$d/stderr" &
p=$!
echo "$p" >"$d/pid.t" && mv -f "$d/pid.t" "$d/pid"
$s sh -c 'sleep "$1" && [ ! -e "$2/rc" ] && : >"$2/timeout" && kill -TERM -"$3" &&
  sleep 2 && kill -KILL -"$3"' pbe-async-watch "$2" "$d" "$p" </dev/null >/dev/null 2>&1 &
w=$!
wait "$p"; rc=$?
kill -TERM -"$w" 2>/dev/null || kill -TERM "$w" 2>/dev/null
printf '%s %s\\n' "$rc" "$(now)" >"$d/rc.t" && mv -f "$d/rc.t" "$d/rc"
"""

# $1 dir $2 jid $3 cleanup once finished (1/0). A header line, the job dir, then for a
# finished job: meta, and stdout and stderr each after its byte count.
_STATUS = (
    _BASE
    + """[ -d "$d" ] || { printf 'missing\\n%s\\n' "$d"; exit 0; }
p=; [ -s "$d/pid" ] && read -r p <"$d/pid"
if [ ! -e "$d/rc" ]; then printf 'running %s\\n%s\\n' "${p:--}" "$d"; exit 0; fi
read -r rc end <"$d/rc"; start=; [ -s "$d/start" ] && read -r start <"$d/start"
t=0; [ -e "$d/timeout" ] && t=1
printf 'done %s %s %s %s %s\\n%s\\n' "${p:--}" "${rc:--}" "$t" "${start:-0}" "${end:-0}" "$d"
cat "$d/meta"
wc -c <"$d/stdout"; cat "$d/stdout"
wc -c <"$d/stderr"; cat "$d/stderr"
[ "$3" = 1 ] && rm -rf "$d"
exit 0
"""
)

# $1 dir $2 jid: end the job's process group now (TERM, then KILL), marked as timed out.
_KILL = (
    _BASE
    + """[ -d "$d" ] || exit 0
i=0; while [ ! -s "$d/pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
read -r p <"$d/pid" || exit 0
[ -e "$d/rc" ] && exit 0
: >"$d/timeout"
kill -TERM -"$p" 2>/dev/null || exit 0
i=0; while kill -0 -"$p" 2>/dev/null && [ $i -lt 20 ]; do sleep 0.1; i=$((i+1)); done
kill -KILL -"$p" 2>/dev/null
echo "$p"
"""
)

_CLEANUP = (
    _BASE
    + '[ -d "$d" ] || { echo missing; exit 0; }\nrm -rf "$d" && printf \'erased\\n%s\\n\' "$d"\n'
)


def new_jid() -> str:
    """An id like Ansible's (``j<12 digits>.<pid>``): random, so hosts that share a home
    directory (and runs that share a host) do not collide; a collision is retried."""
    return f"j{secrets.randbelow(9 * 10**11) + 10**11}.{os.getpid()}"


def async_dir(ctx: ModuleContext) -> str:
    """Where jobs live on the host: ``ansible_async_dir``, else the ``async_dir`` setting
    (``ANSIBLE_ASYNC_DIR``, ansible.cfg), else ``~/.ansible_async``, as in Ansible."""
    try:
        value = ctx.variable("ansible_async_dir")
    except KeyError:
        value = None
    return str(value or settings.current()["ASYNC_DIR"] or DEFAULT_DIR)


def _script(body: str, *args: str) -> str:
    return f"sh -c {shell.quote(body)} pbe-async {shell.join(args)}"


def launch(ctx: ModuleContext, job: Detached, limit: int) -> RemoteJob:
    """Start ``job`` detached on the host, ended after ``limit`` seconds; returns at once."""
    meta = json.dumps({"module": job.module, "cmd": job.shown, "strip": job.strip})
    where = async_dir(ctx)
    for _ in range(5):
        jid = new_jid()
        args = (where, jid, str(limit), job.command, meta, "1" if job.stdin is not None else "0")
        res = ctx.run(_script(_LAUNCH, *args, _SUPERVISOR), stdin=job.stdin)
        if res.rc != EXISTS:
            break
    if res.rc != 0:
        raise ModuleError(f"could not start the async job in {where}: {_why(res)}")
    return RemoteJob(jid, where, res.out.strip())


def _why(res: CommandResult) -> str:
    return (res.stderr.decode(errors="replace").strip() or f"exit status {res.rc}")[:500]


@dataclass(slots=True)
class RemoteJob:
    """A job detached on the host, known by its jid and the async dir it lives in."""

    jid: str
    where: str
    path: str = ""  # the job directory, as the host expanded it

    def status(self, ctx: ModuleContext, cleanup: bool = False) -> dict[str, Any]:
        """Ansible's async_status result; with ``cleanup``, a finished job's directory is
        removed in the same command."""
        res = ctx.run(_script(_STATUS, self.where, self.jid, "1" if cleanup else "0"))
        if res.rc != 0:
            raise ModuleError(f"could not read async job {self.jid}: {_why(res)}")
        return self._parse(res.stdout)

    def _parse(self, out: bytes) -> dict[str, Any]:
        head, _, rest = out.partition(b"\n")
        path, _, rest = rest.partition(b"\n")
        self.path = path.decode(errors="replace")
        fields = head.decode(errors="replace").split()
        if not fields or fields[0] == "missing":
            return not_found(self.jid, self.path)
        if fields[0] == "running":
            return {**self.launched(), "changed": False}
        return self._finished(fields[1:], rest)

    def _finished(self, fields: list[str], rest: bytes) -> dict[str, Any]:
        try:
            pid, rc, timed_out, start, end = fields
            meta_line, _, rest = rest.partition(b"\n")
            stdout, rest = _counted(rest)
            stderr, _ = _counted(rest)
            meta = json.loads(meta_line or b"{}")
            output = CommandResult(int(rc), stdout, stderr)
        except ValueError:  # files someone else changed: say so, not a traceback
            raise ModuleError(f"async job {self.jid}: unreadable files in {self.path}") from None
        if timed_out == "1":
            result = Result.fail(TIMEOUT_MSG, child_pid=int(pid) if pid.isdigit() else None)
        else:
            result = _module_result(meta, output, _epoch(start), _epoch(end))
        return {**result_dict(result), **self.fields(True)}

    def kill(self, ctx: ModuleContext) -> int | None:
        """End the job's process group (TERM, KILL 2 s later); its pid, None if it had
        already ended."""
        res = ctx.run(_script(_KILL, self.where, self.jid))
        return int(res.out.strip()) if res.out.strip().isdigit() else None

    def cleanup(self, ctx: ModuleContext) -> dict[str, Any]:
        res = ctx.run(_script(_CLEANUP, self.where, self.jid))
        lines = res.out.splitlines()
        if not lines or lines[0] != "erased":
            return not_found(self.jid, self.path)
        return {"changed": False, "ansible_job_id": self.jid, "erased": lines[1]}

    def fields(self, finished: bool) -> dict[str, Any]:
        return {
            "ansible_job_id": self.jid,
            "results_file": self.path,
            "started": True,
            "finished": finished,
        }

    def launched(self) -> dict[str, Any]:
        """The result of a ``poll: 0`` task: the job started; Ansible reports it changed."""
        return {"changed": True, **self.fields(False)}


def _counted(data: bytes) -> tuple[bytes, bytes]:
    """A byte count line and that many bytes; (the bytes, what follows)."""
    count, _, rest = data.partition(b"\n")
    size = int(count.strip() or 0)
    return rest[:size], rest[size:]


def _epoch(text: str) -> float:
    found = re.match(r"\d+(\.\d+)?", text)  # `date +%N` unsupported: whole seconds
    return float(found.group()) if found else time.time()


def _module_result(meta: dict[str, Any], output: CommandResult, start: float, end: float) -> Result:
    from .. import get  # the registry imports every module, this one among them

    module = get(str(meta.get("module", "command")))
    if module is None:
        raise ModuleError(f"async job of unknown module {meta.get('module')!r}")
    return module.job_result(meta.get("cmd"), bool(meta.get("strip", True)), output, start, end)


def not_found(jid: str, path: str = "") -> dict[str, Any]:
    out = {
        "failed": True,
        "changed": False,
        "msg": NOT_FOUND,
        "ansible_job_id": jid,
        "started": True,
        "finished": True,
    }
    return {**out, "results_file": path} if path else out


def result_dict(result: Result) -> dict[str, Any]:
    """A module's result as registered; ``unknown`` rides along as ``_pbe_unknown``, which
    the engine turns into an unknown (check-mode) result."""
    out = result.as_dict()
    if result.unknown:
        out["_pbe_unknown"] = True
    return out


# -- jobs on the controller ------------------------------------------------------------


@dataclass(slots=True)
class ControllerJob:
    """A module running on a thread of the run, or already finished (check mode)."""

    jid: str
    deadline: float  # time.monotonic() after which its commands are ended
    future: Future[Result] | None = None
    result: Result | None = None

    @property
    def done(self) -> bool:
        return self.future is None or self.future.done()

    def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for the job to end; True when it has."""
        if self.future is None:
            return True
        return bool(wait([self.future], timeout=max(seconds, 0.0)).done)

    def status(self) -> dict[str, Any]:
        if not self.done:
            return {"changed": False, **self.fields(False)}
        result = self.result
        if self.future is not None:
            result = self.future.result()
        assert result is not None
        return {**result_dict(result), **self.fields(True)}

    def fields(self, finished: bool) -> dict[str, Any]:
        return {"ansible_job_id": self.jid, "started": True, "finished": finished}

    def launched(self) -> dict[str, Any]:
        return {"changed": True, **self.fields(False)}


class JobTable:
    """The run's controller-side jobs, by (host, jid); at most ``workers`` run at once.

    Thread-safe: workers start jobs and ``async_status`` reads them from any thread.
    """

    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._jobs: dict[tuple[str, str], ControllerJob] = {}
        self._lock = threading.Lock()

    def start(self, host: str, work: Callable[[], Result], limit: float) -> ControllerJob:
        job = self._new(host, limit)
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="pbe-async")
            job.future = self._pool.submit(work)
        return job

    def finished(self, host: str, result: Result) -> ControllerJob:
        """A job that is over as it starts (a check run's module, run on the spot)."""
        job = self._new(host, 0)
        job.result = result
        return job

    def _new(self, host: str, limit: float) -> ControllerJob:
        with self._lock:
            jid = new_jid()
            while (host, jid) in self._jobs:
                jid = new_jid()
            job = ControllerJob(jid, time.monotonic() + limit)
            self._jobs[(host, jid)] = job
        return job

    def get(self, host: str, jid: str) -> ControllerJob | None:
        with self._lock:
            return self._jobs.get((host, jid))

    def forget(self, host: str, jid: str) -> bool:
        with self._lock:
            return self._jobs.pop((host, jid), None) is not None

    def close(self, stopping: bool) -> None:
        """The run is over: wait for each unfinished job until its deadline (not at all
        when the run is being stopped), then let the pool go."""
        with self._lock:
            jobs, pool, self._pool = list(self._jobs.values()), self._pool, None
        for job in [] if stopping else jobs:
            job.wait(job.deadline - time.monotonic())
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
