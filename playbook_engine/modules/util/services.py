"""The shell around a host's own service tools, shared by the service modules.

A service module reads what it needs in one command and changes what it must in one more.
Both commands are sh scripts made of parts; each part's output is followed by a marker line
(``@@pbe NAME RC``), so ``sections`` splits the output back into what each part printed and
how it ended, and parsing stays pure.

The changing script runs each step with stdin from /dev/null and its output in files, never
the connection's pipes: a daemon an init script starts inherits those files, so the command
ends when the script does instead of when the daemon closes its output (which Ansible's
service module avoids by daemonizing itself). A failed step stops the script, and its own
output is what the user sees.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ...transport.shell import join, quote

__all__ = [
    "MARK",
    "PATH_SBIN",
    "Section",
    "Step",
    "failed_step",
    "mark",
    "ps_matches",
    "ps_part",
    "section",
    "sections",
    "steps_script",
]

MARK = "@@pbe"
# Service tools live in sbin, which a login user's PATH may lack (Ansible looks there too);
# their messages are read in the C locale.
PATH_SBIN = 'PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; LC_ALL=C; export PATH LC_ALL\n'
_MARKER = re.compile(rf"\n{MARK} (\S+) (-?\d+)\n")


@dataclass(frozen=True, slots=True)
class Section:
    """What one part of a script printed, and its exit status."""

    rc: int
    text: str


def mark(name: str, status: str = "$?") -> str:
    """Shell that ends the section ``name`` with the exit status of the command before it
    (or the one a variable holds: ``status="$r"``)."""
    return f"printf '\\n{MARK} %s %d\\n' {quote(name)} {status}"


def section(name: str, command: str) -> str:
    """``command`` as a section of its own (its stderr dropped)."""
    return f"{{ {command}; }} 2>/dev/null; {mark(name)}\n"


def sections(out: str) -> dict[str, Section]:
    """The sections of a script's output, by name (a later one of a name wins)."""
    found: dict[str, Section] = {}
    start = 0
    for match in _MARKER.finditer(out):
        found[match.group(1)] = Section(int(match.group(2)), out[start : match.start()])
        start = match.end()
    return found


@dataclass(frozen=True, slots=True)
class Step:
    """One command of a changing script, named for its messages."""

    name: str
    argv: tuple[str, ...]
    fatal: bool = True  # False: the script goes on when it fails


_STEP_FN = (
    "pbe_d=$(mktemp -d) || exit 1\ntrap 'rm -rf \"$pbe_d\"' EXIT\n"
    "pbe_step() { pbe_n=$1; shift\n"
    '  "$@" >"$pbe_d/o" 2>"$pbe_d/e" </dev/null; pbe_r=$?\n'
    f'  cat "$pbe_d/o"; printf \'\\n{MARK} out:%s %d\\n\' "$pbe_n" $pbe_r\n'
    f'  cat "$pbe_d/e"; printf \'\\n{MARK} err:%s %d\\n\' "$pbe_n" $pbe_r\n'
    "  return $pbe_r; }\n"
)


def steps_script(steps: Sequence[Step]) -> str:
    """One script running ``steps`` in order, stopping at the first fatal one that fails
    (with its exit status)."""
    lines = [PATH_SBIN, _STEP_FN]
    for step in steps:
        run = join(step.argv)
        stop = " || exit" if step.fatal else ""
        lines.append(f"pbe_step {quote(step.name)} {run}{stop}\n")
    return "".join(lines)


def failed_step(out: str) -> tuple[str, str, str] | None:
    """(name, stdout, stderr) of the last step that failed (the one that stopped the
    script), None when all succeeded."""
    parts = sections(out)
    failed = [key[4:] for key, part in parts.items() if key.startswith("out:") and part.rc]
    if not failed:
        return None
    name = failed[-1]
    return name, parts[f"out:{name}"].text, parts.get(f"err:{name}", Section(1, "")).text


# -- pattern: is a matching process running? ------------------------------------------------


def ps_part() -> str:
    """A section listing processes as ``pid ppid args``, after this shell's own pid, so
    ``ps_matches`` can leave out the probe itself (whose command line names the service)."""
    listing = "ps -e -ww -o pid= -o ppid= -o args= 2>/dev/null || ps -o pid,ppid,args"
    return f"echo $$; {listing}; {mark('ps')}\n"


def ps_matches(text: str, pattern: str) -> bool:
    """Whether a process other than the probe and its ancestors has ``pattern`` in its
    command line."""
    lines = text.splitlines()
    if not lines or not lines[0].strip().isdigit():
        return False
    procs = [_ps_row(line) for line in lines[1:]]
    parent = {pid: ppid for pid, ppid, _ in procs}
    probe = int(lines[0])
    ours = _ancestors(probe, parent)
    return any(pattern in args for pid, ppid, args in procs if pid not in ours and ppid != probe)


def _ps_row(line: str) -> tuple[int, int, str]:
    fields = line.split(None, 2)
    if len(fields) < 2 or not fields[0].isdigit() or not fields[1].isdigit():
        return -1, -1, ""
    return int(fields[0]), int(fields[1]), fields[2] if len(fields) > 2 else ""


def _ancestors(pid: int, parent: Mapping[int, int]) -> set[int]:
    chain = {pid}
    while pid in parent and parent[pid] not in chain and parent[pid] > 1:
        pid = parent[pid]
        chain.add(pid)
    return chain
