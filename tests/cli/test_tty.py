"""`pbe run` under a pseudo-terminal (pexpect): the live view and what the screen shows.

The bundled example (``playbooks/``, local connection) runs in a copy, so nothing is written
into the checkout. ``Screen`` replays the byte stream the way a terminal would for the
escape codes rich's live view uses (cursor up, erase line), so the test reads the screen
a person would see at the end, and every frame the live area drew on the way.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sys
from pathlib import Path

import pexpect  # type: ignore[import-untyped]
import pytest

ROOT = Path(__file__).resolve().parents[2]
ESCAPE = re.compile(r"\x1b\[(\??)([0-9;]*)([A-Za-z])")
COLS, ROWS = 120, 40


class Screen:
    """Enough of a VT100 for rich's output: text, CR, LF, cursor up, erase line."""

    def __init__(self) -> None:
        self.lines: list[str] = [""]
        self.row = self.col = 0
        self.frames: list[str] = []  # each live-area line as it was erased

    def feed(self, data: str) -> Screen:
        pos = 0
        for match in ESCAPE.finditer(data):
            self._text(data[pos : match.start()])
            self._escape(match[1], match[2], match[3])
            pos = match.end()
        self._text(data[pos:])
        return self

    def _text(self, text: str) -> None:
        for char in text:
            if char == "\r":
                self.col = 0
            elif char == "\n":
                self.row += 1
                while len(self.lines) <= self.row:
                    self.lines.append("")
            else:
                line = self.lines[self.row].ljust(self.col)
                self.lines[self.row] = line[: self.col] + char + line[self.col + 1 :]
                self.col += 1

    def _escape(self, private: str, args: str, code: str) -> None:
        if private:
            return
        if code == "A":
            self.row = max(0, self.row - int(args or 1))
        elif code == "K":
            self.frames.append(self.lines[self.row])
            self.lines[self.row] = ""

    @property
    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.lines).strip("\n")


def spawn(args: list[str], cwd: Path, **env: str) -> tuple[int, str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")}
    environ.update(TERM="xterm-256color", COLUMNS=str(COLS), LINES=str(ROWS), **env)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "playbook_engine", *args],
        cwd=str(cwd),
        env=environ,
        dimensions=(ROWS, COLS),
        encoding="utf-8",
        timeout=60,
    )
    child.expect(pexpect.EOF)
    child.close()
    return int(child.exitstatus if child.exitstatus is not None else -1), str(child.before)


@pytest.fixture
def example(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "playbooks", tmp_path / "playbooks")
    return tmp_path


def test_live_view_on_a_terminal(example: Path) -> None:
    code, raw = spawn(["run", "playbooks/site.yml", "-i", "playbooks/hosts.yml"], example)
    screen = Screen().feed(raw)
    assert code == 0, screen.text
    assert "\x1b[" in raw  # colour and cursor movement: this is the live view
    # while tasks ran, the live area showed the task, a bar of hosts done, counts, time
    frames = "\n".join(screen.frames)
    assert re.search(r"TASK \[Gathering Facts\] ━+ \d/3 hosts", frames)
    assert re.search(r"TASK \[Say which role this host has\] ━+ 1/1 hosts", frames)
    assert re.search(
        r"ok \d+  changed \d+  failed 0  unreachable 0  skipped \d+  0:00:\d\d", frames
    )
    # at the end: the run's log, then the recap as a table, and no live area left
    final = screen.text
    assert "PLAY [Prepare every host]" in final and "TASK [Show it]" in final
    assert re.search(r"┃ host +┃ +ok ┃ changed ┃ unreachable ┃ failed ┃ skipped ┃", final)
    assert re.search(r"│ web1 +│ +7 │ +\d │ +0 │ +0 │ +1 │", final)
    assert re.search(r"│ db1 +│ +6 │", final)
    assert "PLAY RECAP" in final and "━━━ " not in final.split("PLAY RECAP")[1]
    assert final.splitlines()[-1].startswith("finished in 0:00:")


def test_failures_show_as_they_happen(example: Path) -> None:
    book = example / "playbooks" / "fail.yml"
    book.write_text("""
- hosts: all
  gather_facts: false
  tasks:
    - name: slow except web2
      shell: "{{ 'echo oops >&2; exit 4' if inventory_hostname == 'web2' else 'sleep 1' }}"
""")
    code, raw = spawn(["run", "playbooks/fail.yml", "-i", "playbooks/hosts.yml"], example)
    final = Screen().feed(raw).text
    assert code == 2, final
    lines = final.splitlines()
    failed = next(
        i
        for i, line in enumerate(lines)
        if "FAILED [web2] slow except web2: The command exited with a non-zero return code." in line
    )
    assert lines[failed + 1].strip() == "oops"
    changed = next(i for i, line in enumerate(lines) if "changed: web1, db1" in line)
    assert failed < changed  # printed when it happened, before the task ended
    assert re.search(r"│ web2 +│ +0 │ +0 │ +0 │ +1 │", final)


@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {"CI": "true"}, {}])
def test_plain_lines_without_escape_codes(example: Path, env: dict[str, str]) -> None:
    args = ["run", "playbooks/site.yml", "-i", "playbooks/hosts.yml"]
    code, raw = spawn(args if env else [*args, "--no-progress"], example, **env)
    assert code == 0
    assert "\x1b" not in raw
    assert "TASK [Gathering Facts] ****" in raw
    assert re.search(r"^web1 +: ok=7 +changed=\d +unreachable=0 +failed=0 ", raw, re.M)


def test_ctrl_c_in_the_live_view_exits_99_with_recap(example: Path) -> None:
    book = example / "playbooks" / "slow.yml"
    book.write_text("""
- hosts: all
  gather_facts: false
  tasks:
    - name: slow
      command: sleep 2
    - name: never reached
      debug: msg=no
""")
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "playbook_engine", "run", "playbooks/slow.yml", "-i", "playbooks/hosts.yml"],
        cwd=str(example),
        env={**environ, "TERM": "xterm-256color"},
        dimensions=(ROWS, COLS),
        encoding="utf-8",
        timeout=60,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as a terminal's
    )
    child.expect(r"TASK \[slow\]")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    final = Screen().feed(str(child.before)).text
    assert child.exitstatus == 99, final
    assert "interrupted: stopped at a task boundary" in final
    assert "never reached" not in final and "PLAY RECAP" in final
