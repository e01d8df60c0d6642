"""command, shell and raw: run something on the host and report rc/stdout/stderr."""

from __future__ import annotations

import posixpath
import re
import shlex
import time
from datetime import datetime, timezone
from typing import Any

from ..errors import ModuleError
from ..templating.lines import Lines
from ..transport import shell
from ..transport.base import CommandResult, decode
from . import register
from .base import Arg, Detached, Module, ModuleContext
from .result import Result
from .util.words import command_line

_COMMON: dict[str, Arg] = {
    "chdir": Arg("path", description="Change into this directory before running."),
    "creates": Arg(
        "path", description="Skip the command if this path (a glob pattern) matches anything."
    ),
    "removes": Arg(
        "path", description="Skip the command unless this path (a glob pattern) matches."
    ),
    "stdin": Arg("str", description="Text sent to the command's standard input."),
    "stdin_add_newline": Arg("bool", default=True, description="Append a newline to stdin."),
    "strip_empty_ends": Arg(
        "bool", default=True, description="Strip trailing empty lines from stdout/stderr."
    ),
}
COMMAND_RETURNS = {
    "rc": "exit status",
    "stdout": "standard output",
    "stderr": "standard error",
    "stdout_lines": "stdout split into lines",
    "stderr_lines": "stderr split into lines",
    "cmd": "what was run",
    "start": "start time",
    "end": "end time",
    "delta": "duration",
}


def skip_reason(args: dict[str, Any], ctx: ModuleContext, base: str | None = None) -> str | None:
    """``creates``/``removes`` decide with one remote test, before anything runs; a relative
    path is taken from ``base`` (command's ``chdir``: Ansible changes directory first). As
    in Ansible they are glob patterns: any match counts."""
    probes = [(p, True) for p in [args.get("creates")] if p]
    probes += [(p, False) for p in [args.get("removes")] if p]
    for given, skip_if_exists in probes:
        path = posixpath.join(base or "", given)
        pattern = _GLOB.search(path) is not None
        exists = ctx.files.would_exist(path) if ctx.check and not pattern else None
        if exists is None:
            exists = (
                ctx.run(_exists_test(path) if pattern else f"test -e {shell.quote(path)}").rc == 0
            )
        if exists == skip_if_exists:
            state = "exists" if exists else "does not exist"
            return f"skipped, since {given} {state}"
    return None


_GLOB = re.compile(r"[*?\[]")


def _exists_test(pattern: str) -> str:
    """A test whether anything matches ``pattern`` on the host: its glob characters left to
    the shell, the rest quoted (a space or a `$` in a name stays itself)."""
    word = "".join(
        part if _GLOB.fullmatch(part) or part == "]" else shell.quote(part)
        for part in re.split(r"([*?\[\]])", pattern)
        if part
    )
    return f'for _m in {word}; do [ -e "$_m" ] || [ -L "$_m" ] && exit 0; done; exit 1'


_NO_CHDIR_MSG = "Unable to change directory before execution."
NONZERO = "The command exited with a non-zero return code."  # ansible-core 2.21's words


def _check_chdir(chdir: str, shown: Any, ctx: ModuleContext) -> Result | None:
    """Ansible's command changes into ``chdir`` before anything else, check mode too: a
    directory missing on the host fails the check run there, even where an earlier task
    of the run would create it (the message then says the real run may not fail)."""
    if ctx.run(f"test -d {shell.quote(chdir)}").rc == 0:
        return None
    failed = _chdir_failed(shown)
    if ctx.files.would_exist(chdir):
        failed.msg += (
            " (check mode: an earlier task of this run would create it; the real run may not fail)"
        )
    elif (why := ctx.files.assume(f"directory {chdir}")) is not None:
        failed.msg += f" (check mode: it may come with {why}; the real run may not fail)"
    return failed


def _chdir_failed(cmd: Any) -> Result:
    """Ansible's result when ``chdir`` cannot be entered: nothing ran, so no ``rc``."""
    values = {"cmd": cmd, "stdout": "", "stderr": "", "stdout_lines": [], "stderr_lines": []}
    values |= dict.fromkeys(("start", "end", "delta"))
    return Result(changed=False, failed=True, msg=_NO_CHDIR_MSG, values=values)


CHECK_GUARDS = ("creates", "removes")  # what lets check mode predict a command: would_run


def would_run(args: dict[str, Any], ctx: ModuleContext, what: str, shown: Any) -> Result:
    """Check mode, where ``creates``/``removes`` did not skip the command: it is not run.
    Given either, Ansible reports it ``changed`` (they are the prediction); without them,
    skipped. Its output stays unknown (a registered result is unknown), and so do its
    effects on the host's files (``Prediction.unsure``), except that ``creates`` exists
    afterwards and ``removes`` does not (a later ``creates`` of the path skips, as in the
    real run)."""
    ctx.files.unsure(
        f"a {what.lower()} check mode did not run", args.get("creates"), args.get("removes")
    )
    msg = f"{what} would have run if not in check mode"
    # Ansible's shape of a command that did not run: empty output, rc 0 (a task with its
    # own `check_mode: true` reads them, as in Ansible; in a check run they stay unknown)
    values = {
        "cmd": shown,
        "rc": 0,
        "stdout": "",
        "stderr": "",
        "stdout_lines": [],
        "stderr_lines": [],
        "start": None,
        "end": None,
        "delta": None,
    }
    if args.get("creates") or args.get("removes"):
        return Result(changed=True, msg=msg, values=values, unknown=True)
    return Result(skipped=True, msg=msg, values=values, unknown=True)


def _stamp(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M:%S.%f")


def command_result(
    cmd: Any,
    res: CommandResult,
    started: float,
    strip: bool,
    ended: float | None = None,
    nonzero: str = NONZERO,
) -> Result:
    """rc/stdout/stderr and the rest; ``*_lines`` are ``Lines`` views of the same text, so
    a large output is held once, not once more as millions of line strings."""
    out, err = decode(res.stdout, strip), decode(res.stderr, strip)
    if res.rc == 1 and err.rstrip().endswith(shell.NO_CHDIR):
        return _chdir_failed(cmd)
    ended = time.time() if ended is None else ended
    values = {
        "cmd": cmd,
        "rc": res.rc,
        "stdout": out,
        "stderr": err,
        "stdout_lines": Lines(out),
        "stderr_lines": Lines(err),
        "start": _stamp(started),
        "end": _stamp(ended),
        "delta": str(datetime.fromtimestamp(ended) - datetime.fromtimestamp(started)),
    }
    failed = res.rc != 0
    return Result(changed=True, failed=failed, msg=nonzero if failed else "", values=values)


def skipped_by(cmd: Any, reason: str) -> Result:
    """``creates``/``removes`` skipped the command: Ansible reports ok with the reason."""
    return Result(
        msg=reason,
        values={
            "cmd": cmd,
            "rc": 0,
            "stdout": reason,
            "stdout_lines": [reason],
            "stderr": "",
            "stderr_lines": [],
        },
    )


class _Runner(Module):
    """Shared flow: creates/removes, check mode, stdin, chdir, result shape."""

    args = _COMMON
    check_skips_unless = CHECK_GUARDS
    returns = COMMAND_RETURNS

    def build(self, args: dict[str, Any]) -> tuple[Any, str]:
        raise NotImplementedError

    def warnings(self, args: dict[str, Any]) -> list[str]:
        return []

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        result = self._run(args, ctx)
        if warnings := self.warnings(args):
            result.values["warnings"] = warnings
        return result

    def _run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        job = self.detach(args, ctx)
        if isinstance(job, Result):
            return job
        assert job is not None
        started = time.time()
        res = ctx.run(job.command, stdin=job.stdin)
        return command_result(job.shown, res, started, job.strip)

    def detach(self, args: dict[str, Any], ctx: ModuleContext) -> Result | Detached:
        """The command line to run, once creates/removes and check mode let it run."""
        shown, command = self.build(args)
        chdir = args.get("chdir")
        failed = _check_chdir(str(chdir), shown, ctx) if ctx.check and chdir else None
        if failed is not None:
            return failed
        if reason := skip_reason(args, ctx, args.get("chdir")):
            return skipped_by(shown, reason)
        if ctx.check:
            return would_run(args, ctx, "Command", shown)
        stdin = args.get("stdin")
        data = None
        if stdin is not None:
            data = (stdin + ("\n" if args["stdin_add_newline"] else "")).encode()
        line = shell.in_dir(command, args.get("chdir"))
        return Detached(self.name, shown, line, data, args["strip_empty_ends"])

    @classmethod
    def job_result(
        cls, shown: Any, strip: bool, output: CommandResult, started: float, ended: float
    ) -> Result:
        return command_result(shown, output, started, strip, ended)


@register("command")
class Command(_Runner):
    """Run a program with arguments, without a shell: no pipes, globs or variables."""

    free_form = "cmd"
    args = {
        "cmd": Arg("str", description="The command line; split like a shell would."),
        "argv": Arg("list", elements="str", description="The command as a list of words."),
        "expand_argument_vars": Arg(
            "bool",
            default=True,
            description="Expand `$NAME`/`${NAME}` (environment variables on the host; left "
            "as written when unset) and a leading `~`/`~user` in each word "
            "before running the program; false passes every word literally.",
        ),
        "executable": Arg(
            "path",
            description="Accepted and ignored, with a warning, as "
            "Ansible does: use `shell` to pick a shell.",
        ),
        **_COMMON,
    }
    mutually_exclusive = (("cmd", "argv"),)
    required_one_of = (("cmd", "argv"),)

    def warnings(self, args: dict[str, Any]) -> list[str]:
        if exe := args.get("executable"):
            return [
                f"the parameter 'executable' is no longer supported with the 'command' "
                f"module (as in Ansible): not using '{exe}'; shell runs a command line "
                "with another shell"
            ]
        return []

    def build(self, args: dict[str, Any]) -> tuple[Any, str]:
        if args.get("argv"):
            argv = [str(a) for a in args["argv"]]
        else:
            try:
                argv = shlex.split(args.get("cmd") or "")
            except ValueError as exc:
                raise ModuleError(f"cannot split command line: {exc}") from None
        if not argv:
            raise ModuleError("no command given")
        return argv, command_line(argv, expand=args["expand_argument_vars"])


@register("shell")
class Shell(_Runner):
    """Run a command line through the remote shell: pipes, redirects and $VARS work."""

    free_form = "cmd"
    args = {
        "cmd": Arg("str", required=True, description="The shell command line."),
        "executable": Arg("path", description="Shell to run it with, instead of the login shell."),
        **_COMMON,
    }

    def build(self, args: dict[str, Any]) -> tuple[Any, str]:
        cmd = args["cmd"]
        if exe := args.get("executable"):
            return cmd, f"{shell.quote(exe)} -c {shell.quote(cmd)}"
        return cmd, cmd


@register("raw")
class Raw(Module):
    """Send a command string as is: no chdir, no creates/removes; skipped in check mode."""

    free_form = "cmd"
    args = {
        "cmd": Arg("str", required=True, description="The command string."),
        "executable": Arg("path", description="Shell to run it with."),
    }
    supports_check = False
    supports_async = False  # as in Ansible
    ignores_unknown_args = True  # as Ansible's action
    returns = COMMAND_RETURNS

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        cmd = args["cmd"]
        line = f"{shell.quote(exe)} -c {shell.quote(cmd)}" if (exe := args["executable"]) else cmd
        started = time.time()
        return command_result(cmd, ctx.run(line), started, strip=False)
