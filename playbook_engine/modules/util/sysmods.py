"""Helpers shared by dpkg_divert, capabilities, haproxy and nagios (no module here).

Their probes run a host tool inside a framed section (``hostedit.section``) and need its
stdout, its stderr and its exit status apart, from one stream: ``split`` prints stdout as
is, each stderr line marked ``!``, and the status as a last ``::rc N`` line; ``Output``
reads that back (pure).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["C_LOCALE", "Output", "split"]

C_LOCALE = "export LC_ALL=C LANGUAGE=C"


def split(command: str) -> str:
    """Shell running ``command`` with its stderr lines marked and its status appended."""
    return f"{{ {{ {command}; echo \"::rc $?\"; }} 2>&1 1>&3 | sed 's/^/!/'; }} 3>&1"


@dataclass(frozen=True, slots=True)
class Output:
    """What a command run through ``split`` printed: stdout, stderr and its status."""

    rc: int
    out: str
    err: str

    @classmethod
    def parse(cls, text: str) -> Output:
        rc, out, err = 1, [], []
        for line in text.splitlines():
            if line.startswith("::rc "):
                rc = int(line[5:])
            elif line.startswith("!"):
                err.append(line[1:])
            else:
                out.append(line)
        return cls(rc, "\n".join(out).rstrip(), "\n".join(err).rstrip())
