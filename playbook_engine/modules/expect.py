"""expect: run a command on a terminal on the host and answer its prompts.

Programs such as ``passwd`` or an installer's questions read from a terminal, not a pipe;
``sh`` cannot make one, so the host's Python 3 runs a small driver (``util/ptydialog``) sent
on stdin with the answers: they never appear on a command line. ``creates``/``removes``
and check mode behave as in ``command``.
"""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Mapping
from typing import Any

from ..errors import ModuleError
from ..templating.lines import Lines
from ..transport.base import CommandResult, decode
from . import register
from .base import Arg, Module, ModuleContext
from .command import command_result, skip_reason, skipped_by, would_run
from .result import Result
from .util.interpreter import run_python
from .util.ptydialog import Outcome, outcome, script

Rule = tuple[str, list[str], bool]


@register("expect")
class Expect(Module):
    """Run a command on a terminal and answer its prompts (passwd, installers)."""

    args = {
        "command": Arg(
            "str",
            required=True,
            description="The command line, split into words like a shell would; it is not "
            "run through a shell (no pipes, redirects or $VARS).",
        ),
        "responses": Arg(
            "dict",
            required=True,
            description="Prompt regex -> answer. A string answers every time the prompt "
            "appears; a list gives its answers in turn and fails when it runs out.",
        ),
        "creates": Arg("path", description="Skip the command if this path exists."),
        "removes": Arg("path", description="Skip the command unless this path exists."),
        "chdir": Arg("path", description="Change into this directory before running."),
        "timeout": Arg(
            "raw",
            default=30,
            description="Seconds to wait for the next prompt (or the end); null waits "
            "without limit.",
        ),
        "echo": Arg("bool", default=False, description="Echo the answers into the output."),
    }
    returns = {
        "cmd": "the command as given",
        "rc": "exit status (absent when the command timed out)",
        "stdout": "what the command wrote to the terminal (stdout and stderr together)",
        "stdout_lines": "stdout split into lines",
        "start": "start time",
        "end": "end time",
        "delta": "duration",
    }

    @classmethod
    def coerce(cls, args: Mapping[str, Any]) -> dict[str, Any]:
        """As for any module, except that ``timeout: null`` means no limit (not 30)."""
        out = super().coerce(args)
        given = cls.canonical(args)
        if "timeout" in given and given["timeout"] is None:
            out["timeout"] = None
        return out

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        cmd = args["command"]
        argv, rules, timeout = _argv(cmd), _rules(args["responses"]), _timeout(args["timeout"])
        if reason := skip_reason(args, ctx, args.get("chdir")):
            result = skipped_by(cmd, reason)
            del result.values["stderr"], result.values["stderr_lines"]
            return result
        if ctx.check:
            return would_run(args, ctx, "Command", cmd)
        payload = script(argv, rules, timeout, args["echo"], args.get("chdir"))
        started = time.time()
        res = ctx.run(run_python(ctx, "-"), stdin=payload)
        return _result(cmd, outcome(res), started, timeout)


def _argv(command: str) -> list[str]:
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise ModuleError(f"cannot split command line: {exc}") from None
    if not argv:
        raise ModuleError("no command given")
    return argv


def _rules(responses: dict[Any, Any]) -> list[Rule]:
    """(pattern, answers, repeat) per prompt; a bad regex is reported before anything runs."""
    rules: list[Rule] = []
    for key, value in responses.items():
        pattern = str(key)
        try:
            re.compile(pattern.encode(), re.DOTALL)
        except re.error as exc:
            raise ModuleError(
                f"responses: {pattern!r} is not a valid regular expression: {exc}"
            ) from None
        if isinstance(value, (list, tuple, Lines)):
            rules.append((pattern, [_answer(v) for v in value], False))
        else:
            rules.append((pattern, [_answer(value)], True))
    return rules


def _answer(value: Any) -> str:
    """An answer as sent: its own trailing newlines dropped (the driver adds one)."""
    return ("" if value is None else str(value)).rstrip("\n")


def _timeout(value: Any) -> float | None:
    if value is None:
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        return float(value)
    except (TypeError, ValueError):
        raise ModuleError(f"argument timeout: {value!r} is not a number of seconds") from None


def _result(cmd: str, got: Outcome, started: float, timeout: float | None) -> Result:
    """Ansible's shape: rc and the terminal's output as stdout (no stderr: a terminal has
    one stream); a timeout or a prompt with no answer left fails the task."""
    result = command_result(cmd, _as_command(got), started, strip=True)
    for key in ("stderr", "stderr_lines"):
        del result.values[key]
    result.msg = None
    if got.error == "timeout":
        del result.values["rc"]
        wait = "without limit" if timeout is None else f"{timeout:g} s"
        result.failed, result.msg = True, f"command exceeded timeout ({wait} without a prompt)"
    elif got.error == "exhausted":
        output = decode(got.output, True)[-200:]
        del result.values["rc"]
        result.changed, result.failed = False, True
        result.msg = f"no response left for {got.detail!r}; output was: {output!r}"
    elif result.failed:
        result.msg = "non-zero return code"
    return result


def _as_command(got: Outcome) -> CommandResult:
    return CommandResult(got.rc if got.rc is not None else -1, got.output, b"")
