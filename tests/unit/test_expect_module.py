"""expect against this machine (local connection): real programs prompting on a terminal,
answered by the driver pbe sends on stdin; check mode predicts the run (creates), and the
answers never appear on a command line nor, under no_log, in any event."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from playbook_engine.api import run
from playbook_engine.events import CommandSent, Event
from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}
ASK = """#!/bin/sh
printf 'Your name: '; read name
old=$(stty -g); stty -echo; printf 'Password: '; read pw; stty "$old"; echo
printf 'Password again: '; read again
printf '%s\\n%s\\n%s\\n' "$name" "$pw" "$again" > "$1"
echo "hello $name"
"""


@pytest.fixture
def ask(tmp_path: Path) -> Path:
    script = tmp_path / "ask.sh"
    script.write_text(ASK)
    script.chmod(0o755)
    return script


def play(tmp_path: Path, tasks: str, name: str = "site.yml") -> Path:
    book = tmp_path / name
    book.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}")
    return book


def test_prompts_are_answered_in_turn_and_the_program_gets_the_answers(
    tmp_path: Path, ask: Path
) -> None:
    out = tmp_path / "answers"
    book = play(
        tmp_path,
        f"""
    - expect:
        command: {ask} {out}
        responses:
          "name:": bob
          "(?i)password": [first secret, second secret]
      register: talk
""",
    )
    result = run(book, LOCAL)
    assert result.exit_code == 0, result.error
    assert out.read_text() == "bob\nfirst secret\nsecond secret\n"
    got = result.results[0].result
    assert got["changed"] is True and got["rc"] == 0
    assert got["cmd"] == f"{ask} {out}"
    assert got["stdout_lines"] == ["Your name: Password: ", "Password again: hello bob"]
    assert "stderr" not in got and "msg" not in got


def test_echo_shows_the_answers_in_the_output(tmp_path: Path, ask: Path) -> None:
    out = tmp_path / "answers"
    book = play(
        tmp_path,
        f"""
    - expect:
        command: {ask} {out}
        echo: true
        responses: {{"name:": bob, "(?i)password": pw}}
""",
    )
    result = run(book, LOCAL)
    assert list(result.results[0].result["stdout_lines"]) == [
        "Your name: bob",
        "Password: ",  # the script turns echo off itself (stty -echo) for this one
        "Password again: pw",
        "hello bob",
    ]
    assert out.read_text() == "bob\npw\npw\n"


def test_a_used_up_list_and_a_timeout_fail_with_the_output(tmp_path: Path, ask: Path) -> None:
    out = tmp_path / "answers"
    book = play(
        tmp_path,
        f"""
    - expect:
        command: {ask} {out}
        responses: {{"name:": bob, "(?i)password": [only one]}}
      ignore_errors: true
    - expect:
        command: {ask} {out}
        timeout: 1
        responses: {{"nothing asks this": x}}
      ignore_errors: true
""",
    )
    result = run(book, LOCAL)
    used_up, waited = (r.result for r in result.results)
    assert used_up["failed"] and not used_up["changed"]
    assert used_up["msg"].startswith("no response left for '(?i)password'; output was: ")
    assert "Password again: " in used_up["msg"]
    assert waited["failed"] and waited["changed"] and "rc" not in waited
    assert waited["msg"] == "command exceeded timeout (1 s without a prompt)"
    assert waited["stdout"] == "Your name: "
    assert not out.exists()  # neither got as far as writing its answers


def test_check_mode_predicts_the_run_with_creates(tmp_path: Path, ask: Path) -> None:
    out = tmp_path / "answers"
    book = play(
        tmp_path,
        f"""
    - expect:
        command: {ask} {out}
        creates: {out}
        responses: {{"name:": bob, "(?i)password": pw}}
""",
    )
    real = check_predicts_run(book, LOCAL, unchanged=lambda: _absent(out))
    assert [r.status for r in real.results] == ["changed"]
    assert out.read_text() == "bob\npw\npw\n"


def _absent(path: Path) -> None:
    assert not path.exists()


def test_the_answers_travel_on_stdin_and_no_log_hides_them(tmp_path: Path, ask: Path) -> None:
    secret = f"s3cret-{uuid.uuid4().hex}"
    out = tmp_path / "answers"
    book = play(
        tmp_path,
        f"""
    - expect:
        command: {ask} {out}
        echo: true
        responses: {{"name:": bob, "(?i)password": "{secret}"}}
      no_log: true
      register: hidden
    - expect:
        command: {ask} {out}
        echo: true
        responses: {{"name:": bob, "(?i)password": "{secret}"}}
""",
    )
    events: list[Event] = []
    result = run(book, LOCAL, on_event=events.append)
    assert result.exit_code == 0, result.error
    assert out.read_text() == f"bob\n{secret}\n{secret}\n"
    hidden, shown = result.results
    assert secret not in json.dumps(hidden.result, default=str)
    assert secret in shown.result["stdout"]  # echoed: only no_log hides the output
    sent = [e.command for e in events if isinstance(e, CommandSent)]
    assert sent and not any(secret in command for command in sent)


def test_a_missing_interpreter_and_program_are_clear_failures(tmp_path: Path) -> None:
    inventory: dict[str, Any] = {
        "all": {
            "hosts": {
                "localhost": {
                    "ansible_connection": "local",
                    "ansible_python_interpreter": "/nonexistent/python3",
                }
            }
        }
    }
    book = play(
        tmp_path,
        """
    - expect: {command: "true", responses: {x: y}}
      ignore_errors: true
    - expect: {command: "true", responses: {x: y}}
      vars: {ansible_python_interpreter: auto}
    - expect: {command: /nonexistent/prog, responses: {x: y}}
      vars: {ansible_python_interpreter: auto}
      ignore_errors: true
""",
    )
    result = run(book, inventory)
    nopython, fine, missing = (r.result for r in result.results)
    assert nopython["failed"]
    assert nopython["msg"].startswith("expect needs Python 3 on the host")
    assert "/nonexistent/python3" in nopython["msg"]
    assert fine["rc"] == 0 and not fine.get("failed")
    assert missing["msg"] == "the command was not found or is not executable: /nonexistent/prog"


@pytest.fixture
def account() -> Iterator[str]:
    user = f"pbe-t{uuid.uuid4().hex[:10]}"
    subprocess.run(["useradd", "-M", user], check=True, capture_output=True)
    yield user
    subprocess.run(["userdel", user], capture_output=True, check=False)


def _shadow_hash(user: str) -> str:
    for line in Path("/etc/shadow").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == user:
            return fields[1]
    raise KeyError(user)


def test_passwd_sets_a_password(tmp_path: Path, account: str) -> None:
    """The real thing: passwd reads the new password twice from the terminal."""
    before = _shadow_hash(account)
    book = play(
        tmp_path,
        f"""
    - expect:
        command: passwd {account}
        responses: {{"(?i)(new|retype) password": "Pbe-{uuid.uuid4().hex}"}}
      no_log: true
""",
    )
    result = run(book, LOCAL)
    assert result.exit_code == 0, result.results[0].result
    after = _shadow_hash(account)
    assert after != before and after.startswith("$")


def _running(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def test_a_timeout_ends_what_the_command_started(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    book = play(
        tmp_path,
        f"""
    - expect:
        command: >-
          sh -c 'sleep 300 & echo $! > {pidfile}; printf "Never? "; read x'
        timeout: 1
        responses: {{"Ever:": x}}
      ignore_errors: true
""",
    )
    result = run(book, LOCAL)
    assert result.results[0].result["msg"].startswith("command exceeded timeout")
    pid = int(pidfile.read_text())
    for _ in range(500):  # the SIGHUP was sent before the task ended; let it land
        if not _running(pid):
            break
        time.sleep(0.01)
    assert not _running(pid)


OLDEST = Path("/root/.pyenv/versions/3.6.15/bin/python3")


@pytest.mark.skipif(not OLDEST.exists(), reason="no Python 3.6 on this machine")
def test_the_driver_runs_on_python_3_6(tmp_path: Path, ask: Path) -> None:
    """RHEL 8's platform-python is 3.6: the oldest Python the driver promises to run on."""
    out = tmp_path / "answers"
    book = play(
        tmp_path,
        f"""
    - expect:
        command: {ask} {out}
        responses: {{"name:": bob, "(?i)password": [a, b]}}
      vars: {{ansible_python_interpreter: {OLDEST}}}
""",
    )
    result = run(book, LOCAL)
    assert result.exit_code == 0, result.results[0].result
    assert out.read_text() == "bob\na\nb\n"
