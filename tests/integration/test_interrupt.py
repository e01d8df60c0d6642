"""Ctrl-C: the run stops at the next task boundary, prints the recap and exits 99."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from playbook_engine.testing.fleet import Fleet

pytestmark = pytest.mark.fleet


def test_ctrl_c_stops_at_task_boundary_with_recap(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    dirs = " ".join(f"{h}={p}" for h, p in host_dirs.items())
    book = tmp_path / "slow.yml"
    book.write_text("""
- hosts: fleet
  gather_facts: false
  tasks:
    - name: slow
      shell: touch {{ vars[inventory_hostname] }}/started; sleep 1.5
    - name: never reached
      command: touch {{ vars[inventory_hostname] }}/second
""")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "playbook_engine",
            "run",
            str(book),
            "-i",
            str(fleet_inventory),
            "--known-hosts",
            str(fleet.known_hosts),
            "--ssh-config",
            os.devnull,
            "-e",
            dirs,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ctrl_c_as_at_a_terminal,
    )
    deadline = time.monotonic() + 10
    while not all((p / "started").exists() for p in host_dirs.values()):
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the first task never started:\n" + "".join(proc.communicate()))
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 99, out + err
    assert "PLAY RECAP" in out and "interrupted" in out
    assert not any((p / "second").exists() for p in host_dirs.values())
    # the task that was running finished and was counted
    assert out.count("changed: [h0") == 5
    assert "Traceback" not in err


def ctrl_c_as_at_a_terminal() -> None:
    """The child takes SIGINT as a program started at a terminal does: a suite started in
    the background of a non-interactive shell has it ignored, and children inherit that
    (pbe, like any program, keeps an ignored SIGINT ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
