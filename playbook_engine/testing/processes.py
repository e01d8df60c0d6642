"""Test helpers about processes: what is still running, and how much memory a run took.

For tests that must prove a run leaves no process behind (fleet hosts share this machine,
so their processes are visible here too) and that a run stays within a memory bound.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

__all__ = ["peak_rss", "running", "unique_duration", "wait_gone"]

# pbe is started from this small launcher, which reports its child's exit code and peak
# RSS: a process forked from a big one (pytest) counts the pages it held before exec().
_LAUNCHER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""


def unique_duration() -> str:
    """A ``sleep`` duration no other process uses: ``running("sleep", it)`` finds a test's
    own sleeps and nothing else."""
    return f"{1000 + uuid.uuid4().int % 10**6}.{uuid.uuid4().int % 1000:03d}"


def running(*argv: str) -> list[int]:
    """Pids of live (not zombie) processes whose argv starts with ``argv``."""
    wanted = [a.encode() for a in argv]
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if args[: len(wanted)] == wanted and state != "Z":
            found.append(int(entry.name))
    return found


def wait_gone(*argv: str, within: float = 5.0) -> list[int]:
    """``running(*argv)`` once it is empty, or when ``within`` seconds have passed."""
    deadline = time.monotonic() + within
    while (left := running(*argv)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def peak_rss(argv: Sequence[str], stdout: Path) -> tuple[int, float]:
    """Run ``python -m playbook_engine ARGV`` (stdout to a file, stderr must stay empty):
    its exit code and peak RSS in MiB."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    report = stdout.with_suffix(".rusage")
    with stdout.open("wb") as out:
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                _LAUNCHER,
                str(report),
                sys.executable,
                "-m",
                "playbook_engine",
                *argv,
            ],
            stdout=out,
            stderr=subprocess.PIPE,
            env=env,
            check=False,
        )
    if proc.stderr.strip():
        raise AssertionError(f"pbe wrote on stderr: {proc.stderr.decode()}")
    code, peak_kib = report.read_text().split()
    return int(code), int(peak_kib) / 1024  # ru_maxrss is in KiB on Linux
