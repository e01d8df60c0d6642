"""Run a program that travels on the command's stdin, from a private temp directory on the
host, in one command: ``script``'s scripts and a project's script modules.

A small ``sh`` wrapper copies stdin into a fresh ``mktemp -d`` directory, runs the file
from there with stdin from ``/dev/null``, and removes the directory when it exits. With
``become`` the file is created by the become user, so no permission fix-ups are needed.
Why a file rather than piping the program into its interpreter is in ``script``'s notes.
"""

from __future__ import annotations

from ...transport import shell
from ...transport.base import CommandResult

__all__ = ["setup_error", "staged_command"]

# Printed on stderr when the wrapper itself fails (no temp dir, cd failed), so that is a
# module error rather than the program's own non-zero exit.
_SETUP_FAILED = "pbe-staging-failed:"
_SETUP_RC = 125

_WRAPPER = (
    'd=$(mktemp -d "${{TMPDIR:-/tmp}}/{prefix}.XXXXXXXX") || '
    "{{ echo {marker} cannot create a temp directory in ${{TMPDIR:-/tmp}} >&2; exit {rc}; }}\n"
    "trap 'rm -rf -- \"$d\"' EXIT\n"
    "trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM\n"
    'f="$d"/{name}\n'
    '{head}cat > "$f" && chmod 700 "$f" || '
    '{{ echo {marker} cannot write {what} into "$d" >&2; exit {rc}; }}\n'
    "{chdir}"
    '{runner} "$f"{args}{tail} </dev/null\n'
)
_CHDIR = "cd -- {path} || {{ echo {marker} cannot change into {path} >&2; exit {rc}; }}\n"
# the first bytes of stdin as a file of their own, handed to the program after its arguments
_HEAD = 'dd bs=1 count={size} of="$d/args" 2>/dev/null && '


def staged_command(
    name: str,
    runner: list[str],
    args: list[str],
    chdir: str | None = None,
    *,
    prefix: str = "pbe-script",
    what: str = "the script",
    args_file: int = 0,
) -> str:
    """The one remote command: stage the program from stdin as ``name``, run it with
    ``runner`` (none: executed directly) and ``args``, clean up. ``args_file``: that many
    leading bytes of stdin are a file of their own (``$d/args``), its path the last
    argument (how Ansible hands arguments to a module that is no Python)."""
    q = shell.quote
    return _WRAPPER.format(
        prefix=prefix,
        marker=_SETUP_FAILED,
        rc=_SETUP_RC,
        name=q(name),
        what=what,
        head=_HEAD.format(size=args_file) if args_file else "",
        chdir=_CHDIR.format(path=q(chdir), marker=_SETUP_FAILED, rc=_SETUP_RC) if chdir else "",
        runner=shell.join(runner),
        args="".join(f" {q(a)}" for a in args),
        tail=' "$d/args"' if args_file else "",
    )


def setup_error(res: CommandResult) -> str | None:
    """The wrapper's own failure (with what the shell said before it, e.g. cd's reason),
    or None when the wrapper ran the program."""
    if res.rc != _SETUP_RC or _SETUP_FAILED not in res.err:
        return None
    before, _, ours = res.err.partition(_SETUP_FAILED)
    said = before.strip()
    return ours.strip() + (f" ({said})" if said else "")
