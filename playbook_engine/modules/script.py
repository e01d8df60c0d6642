"""script: run a controller-side script on the host, in one round trip.

How the script gets there, and why this way: the script's bytes travel on the command's
stdin, and a small ``sh`` wrapper on the host copies them into a fresh private temp
directory (``mktemp -d``), runs the file from there with stdin from ``/dev/null``, and
removes the directory when it exits. One remote command, no SFTP session, and with
``become`` the file is created by the become user, so no permission fix-ups are needed.

Piping the script straight into its interpreter (``sh -s -- ARGS``) would also be one round
trip, but it is wrong for arbitrary scripts: the program text *is* the script's stdin, so
any command in it that reads stdin (``read``, ``cat``, ``ssh``, a package manager's prompt)
swallows the rest of the script; ``$0`` is ``sh`` rather than a path, breaking
``dirname "$0"``; and many interpreters cannot take a program from stdin at all. A real
file avoids all three.

The interpreter is chosen as Ansible users expect: ``executable`` if given; otherwise the
script's own ``#!`` line, which is applied on the controller exactly as the kernel would
(interpreter plus at most one argument) so that a ``noexec`` temp filesystem does not
matter; otherwise the file is executed directly (a binary runs, and a shell script without
``#!`` is run by ``sh``, as POSIX shells do on ENOEXEC).
"""

from __future__ import annotations

import shlex
import time
from pathlib import Path
from typing import Any

from ..errors import ModuleError
from . import register
from .base import Arg, Module, ModuleContext
from .command import (
    CHECK_GUARDS,
    COMMAND_RETURNS,
    command_result,
    skip_reason,
    skipped_by,
    would_run,
)
from .result import Result
from .util.staged import setup_error, staged_command


def parse_shebang(data: bytes) -> list[str]:
    """The interpreter words of a ``#!`` line, split as Linux does; [] without one.

    The kernel passes everything after the interpreter as ONE argument
    (``#!/usr/bin/env -S python3 -u`` gives ``env`` the single word ``-S python3 -u``).
    Trailing whitespace, including a CR from a CRLF file, is dropped.
    """
    if not data.startswith(b"#!"):
        return []
    line = data[2:].split(b"\n", 1)[0].decode("utf-8", "replace").strip(" \t\r")
    if not line:
        return []
    interpreter, _, rest = line.replace("\t", " ").partition(" ")
    rest = rest.strip(" \t\r")
    return [interpreter, rest] if rest else [interpreter]


def runner_words(executable: str | None, data: bytes) -> list[str]:
    """What runs the script: ``executable`` (split like a shell), else its ``#!`` line."""
    if executable:
        try:
            words = shlex.split(executable)
        except ValueError as exc:
            raise ModuleError(f"cannot split executable: {exc}") from None
        if words:
            return words
    return parse_shebang(data)


def split_cmd(cmd: str) -> list[str]:
    """``files/x.sh --flag 'two words'`` -> path and arguments, quoted as in a shell."""
    try:
        words = shlex.split(cmd)
    except ValueError as exc:
        raise ModuleError(f"cannot split the script line: {exc}") from None
    if not words:
        raise ModuleError("no script given")
    return words


@register("script")
class Script(Module):
    """Copy a script from the controller to the host and run it there."""

    supports_async = False  # Ansible's action refuses async too

    free_form = "cmd"
    args = {
        "cmd": Arg(
            "str",
            required=True,
            description="Path of the local script (looked up in the playbook's files/ "
            "directory), then its arguments; split like a shell would.",
        ),
        "chdir": Arg("path", description="Change into this directory on the host first."),
        "creates": Arg("path", description="Skip the script if this path exists on the host."),
        "removes": Arg("path", description="Skip the script unless this path exists on the host."),
        "executable": Arg(
            "str",
            description="Run the script with this program (e.g. "
            "/bin/bash, python3) instead of its #! line.",
        ),
    }
    returns = {k: v for k, v in COMMAND_RETURNS.items() if k != "cmd"} | {"cmd": "the script line"}
    check_skips_unless = CHECK_GUARDS

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        cmd = args["cmd"]
        words = split_cmd(cmd)
        if reason := skip_reason(args, ctx):
            return skipped_by(cmd, reason)
        source = ctx.find_file("files", words[0])
        data = _read(source)
        if ctx.check:
            return would_run(args, ctx, "Script", cmd)
        command = staged_command(
            source.name, runner_words(args.get("executable"), data), words[1:], args.get("chdir")
        )
        started = time.time()
        res = ctx.run(command, stdin=data)
        if (failed := setup_error(res)) is not None:
            raise ModuleError(f"cannot run {words[0]} on the host: {failed}")
        return command_result(cmd, res, started, strip=False, nonzero="non-zero return code")


def _read(source: Path) -> bytes:
    try:
        return source.read_bytes()
    except OSError as exc:
        raise ModuleError(f"cannot read script {source}: {exc.strerror}") from None
