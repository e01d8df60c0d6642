"""A command's output costs a small multiple of its size, not a str per line.

A resource bound, not a timing one: pbe runs in a subprocess and its peak RSS (as the
kernel reports it for that child alone) must stay under a generous limit. 20 MB of
10-byte lines took about 500 MB before stdout_lines became a ``Lines`` view.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

MB = 1 << 20
LINES = 2_000_000  # of 10 bytes: 20 MB of output
LIMIT_MB = 200

PLAYBOOK = f"""
- hosts: all
  gather_facts: false
  tasks:
    - name: print
      shell: "python3 -c \\"import sys; sys.stdout.write('abcdefghi\\\\n' * {LINES})\\""
      register: out
    - name: count
      debug:
        msg: "{{{{ out.stdout_lines | length }}}} {{{{ out.stdout_lines[-1] }}}}"
"""


# Measures its child: a process forked from a big one (pytest) would count the parent's
# pages it held before exec() in its own peak, so pbe is started from this small one.
_LAUNCHER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""


def run_measured(argv: list[str], stdout: Path) -> tuple[int, float]:
    """Run ``python -m playbook_engine ARGV`` with stdout to a file: (exit code, peak MB)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    report = stdout.with_suffix(".rusage")
    with stdout.open("wb") as out:
        proc = subprocess.run([sys.executable, "-c", _LAUNCHER, str(report), sys.executable,
                               "-m", "playbook_engine", *argv],
                              stdout=out, stderr=subprocess.PIPE, env=env, check=False)
    assert not proc.stderr.strip(), proc.stderr.decode()
    code, peak_kib = report.read_text().split()
    return int(code), int(peak_kib) / 1024  # ru_maxrss is in KiB on Linux


def check_outputs(doc_path: Path, junit: Path) -> None:
    doc = json.loads(doc_path.read_text())
    tasks = {t["name"]: t["hosts"] for t in doc["plays"][0]["tasks"]}
    printed = next(iter(tasks["print"].values()))["result"]
    assert len(printed["stdout"]) == LINES * 10 - 1  # the last newline is stripped
    assert len(printed["stdout_lines"]) == LINES
    assert set(printed["stdout_lines"]) == {"abcdefghi"}
    assert next(iter(tasks["count"].values()))["result"]["msg"] == f"{LINES} abcdefghi"
    assert len(ET.parse(junit).getroot().findall(".//testcase")) == 2


def test_20mb_of_short_lines_stays_well_under_200mb(tmp_path: Path) -> None:
    book = tmp_path / "big.yml"
    book.write_text(PLAYBOOK)
    doc, junit = tmp_path / "run.json", tmp_path / "junit.xml"
    code, peak = run_measured(["run", str(book), "-i", "localhost,", "-e",
                               "ansible_connection=local", "--format", "json",
                               "--junit", str(junit), "--log", str(tmp_path / "run.log")], doc)
    assert code == 0
    check_outputs(doc, junit)
    assert peak < LIMIT_MB, f"peak RSS {peak:.0f} MB for 20 MB of output"
