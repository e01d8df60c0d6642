"""Pure helpers that build POSIX sh command strings. No I/O here."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping


def quote(value: str) -> str:
    return shlex.quote(value)


def join(argv: Iterable[str]) -> str:
    return " ".join(shlex.quote(a) for a in argv)


def words(*parts: str) -> str:
    """A command line of already-quoted ``parts``, leaving out the empty ones (an option
    not given). Never squeeze spaces out of a built line instead: that changes quoted
    text too (a file name, a script with aligned output)."""
    return " ".join(part for part in parts if part)


def with_env(command: str, env: Mapping[str, str]) -> str:
    """Export ``env`` for the whole command line (not only its first simple command)."""
    if not env:
        return command
    return f"export {join(f'{k}={v}' for k, v in env.items())}; {command}"


NO_CHDIR = "<<pbe: cannot change directory>>"  # on stderr: ``in_dir``'s cd failed


def in_dir(command: str, chdir: str | None) -> str:
    """``cd`` first; when it fails, nothing of ``command`` runs (a multi-line script none of
    its lines) and stderr says ``NO_CHDIR``, so that is told apart from the command's own
    failure."""
    if not chdir:
        return command
    return f"cd {quote(chdir)} 2>/dev/null || {{ echo '{NO_CHDIR}' >&2; exit 1; }}\n{command}"


# The become user's side of a command leads a process group of its own under GNU timeout
# (with no time limit) where there is one: the login user cannot signal the become user's
# processes, but sudo and su relay a SIGTERM to their child, and timeout passes it on to
# its whole group. So stopping a command (a timeout, SIGTERM to pbe) stops all of it.
_OWN_GROUP = 'timeout --version >/dev/null 2>&1 && exec timeout 0 sh -c "$1"; exec sh -c "$1"'


def become(
    command: str,
    *,
    method: str = "sudo",
    user: str = "root",
    flags: str = "",
    prompt: str | None = None,
) -> str:
    """Wrap ``command`` to run as ``user``.

    With ``prompt`` set, sudo reads the password from stdin after printing that prompt on
    stderr; otherwise ``-n`` makes a missing password fail fast instead of hanging.
    """
    inner = f"sh -c {quote(_OWN_GROUP)} pbe {quote(command)}"
    if method == "sudo":
        auth = f"-S -p {quote(prompt)}" if prompt is not None else "-n"
        return words("sudo -H", auth, flags, "-u", quote(user), inner)
    if method == "su":
        return words("su", flags, quote(user), "-c", quote(inner))
    raise ValueError(f"unsupported become method {method!r}")
