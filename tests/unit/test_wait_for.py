"""wait_for's pure parts: argument rules, regex dialect guard, /proc addresses, parsing,
messages, and the generated shell loop run by the local /bin/sh (no timing asserts)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from playbook_engine.errors import ModuleError
from playbook_engine.modules.wait_for import (
    Outcome,
    Wait,
    command_timeout,
    ere_problem,
    match_groups,
    parse_output,
    proc_addresses,
    timeout_message,
    wait_script,
)


def wait(**overrides: Any) -> Wait:
    args: dict[str, Any] = {
        "state": "started",
        "host": "127.0.0.1",
        "timeout": 2.0,
        "delay": 0.0,
        "sleep": 0.05,
        "connect_timeout": 1.0,
    }
    args.update(overrides)
    return Wait.of(args)


# -- argument rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"timeout": -1.0}, "timeout must not be negative"),
        ({"port": 70000}, "port 70000 is not between 1 and 65535"),
        ({"path": "/x", "state": "drained"}, "state=drained needs a port"),
        ({"search_regex": "x"}, "search_regex needs a path or a port"),
        (
            {"port": 80, "state": "stopped", "search_regex": "x"},
            "search_regex cannot be used with a port and state=stopped",
        ),
    ],
)
def test_argument_combinations_are_checked(args: dict[str, Any], message: str) -> None:
    with pytest.raises(ModuleError, match=message):
        wait(**args)


def test_states_map_to_what_is_waited_for() -> None:
    assert wait(path="/x", state="present").state == "started"
    assert wait(path="/x", state="absent").state == "stopped"
    assert wait(port=22, state="drained").target == "port"
    assert wait().target == "none"


# -- regex dialect ----------------------------------------------------------------------


@pytest.mark.parametrize("regex", [r"v\d+", r"^\D", r"(?P<v>x)", r"a(?=b)", r"[[:digit:]]+\d"])
def test_python_only_syntax_is_refused(regex: str) -> None:
    with pytest.raises(ModuleError, match="POSIX extended regular expressions"):
        ere_problem(regex)


@pytest.mark.parametrize(
    "regex",
    [
        r"[\d]",
        r"[(?]",
        r"\\d",
        r"[]\d]x",
        r"[^]\d]",
        r"[[:digit:]]+ (a|b)?",
        r"\(?x",
        r"ver=([0-9]+)\.([0-9]+)",
    ],
)
def test_posix_meanings_pass(regex: str) -> None:
    ere_problem(regex)


def test_match_groups_from_the_matching_line() -> None:
    assert match_groups(r"ver=([0-9]+)\.([0-9]+)", "x ver=4.2 y") == (["4", "2"], {})
    assert match_groups(r"([[:digit:]]+)-([[:alpha:]_]+)", "abc 12-x_y") == (["12", "x_y"], {})
    assert match_groups(r"([[:punct:]]+)", "a]\\[-b") == (["]\\[-"], {})
    assert match_groups(r"[[:digit:]]", "d]") == ([], {})  # not Python's "[[:digt]" set
    assert match_groups(r"a{1,", "a") == ([], {})
    assert match_groups(r"(a)|(b)", "b") == ([None, "b"], {})


# -- /proc/net/tcp addresses ------------------------------------------------------------


def test_proc_addresses() -> None:
    assert proc_addresses("127.0.0.1") == ["0100007F", "0000000000000000FFFF00000100007F"]
    assert proc_addresses("10.1.2.3") == ["0302010A", "0000000000000000FFFF00000302010A"]
    assert proc_addresses("::1") == ["00000000000000000000000001000000"]
    assert proc_addresses("0.0.0.0") is None
    assert proc_addresses("::") is None
    assert proc_addresses("localhost") == [
        "0100007F",
        "0000000000000000FFFF00000100007F",
        "00000000000000000000000001000000",
    ]
    with pytest.raises(ModuleError, match="needs host to be an IP address"):
        proc_addresses("db.example")


# -- output and messages ----------------------------------------------------------------


def test_parse_output_keeps_a_cr_in_the_matched_line() -> None:
    assert parse_output("M|SSH-2.0-x\r\nE|1234\n") == Outcome(1234, "SSH-2.0-x\r", None)
    assert parse_output("W|stat: Permission denied\nE|300\n") == Outcome(
        300, None, "stat: Permission denied"
    )
    assert parse_output("garbage") == Outcome(None, None, None)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"path": "/f"}, "Timeout when waiting for file /f"),
        ({"path": "/f", "search_regex": "ok"}, "Timeout when waiting for search string ok in /f"),
        ({"path": "/f", "state": "absent"}, "Timeout when waiting for /f to be absent."),
        ({"port": 80}, "Timeout when waiting for 127.0.0.1:80"),
        (
            {"port": 80, "host": "db", "search_regex": "OK"},
            "Timeout when waiting for search string OK in db:80",
        ),
        ({"port": 80, "state": "stopped"}, "Timeout when waiting for 127.0.0.1:80 to stop."),
        ({"port": 80, "state": "drained"}, "Timeout when waiting for 127.0.0.1:80 to drain"),
    ],
)
def test_timeout_messages(args: dict[str, Any], message: str) -> None:
    assert timeout_message(wait(**args)) == message


def test_command_timeout_covers_the_whole_wait() -> None:
    assert command_timeout(wait(timeout=10.0, delay=2.0)) == 2 + 10 + 30  # a plain sleep
    assert command_timeout(wait(timeout=10.0, delay=2.0, port=80)) == pytest.approx(
        10 + 1 + 0.05 + 30
    )
    assert command_timeout(wait(timeout=10.0, delay=20.0, path="/x")) == pytest.approx(
        20 + 1 + 0.05 + 30
    )


# -- the generated loop, run by the local sh --------------------------------------------


def run_sh(w: Wait, path: str | None = None) -> tuple[int, Outcome, str]:
    env = {**os.environ, "PATH": path} if path else None
    proc = subprocess.run(
        ["/bin/sh", "-c", wait_script(w)],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )
    return proc.returncode, parse_output(proc.stdout), proc.stderr


def test_loop_on_files(tmp_path: Path) -> None:
    odd = tmp_path / "a 'b' $(c) `d`\nnewline"
    odd.write_text("one\nready 7.1\n")
    rc, out, _ = run_sh(wait(path=str(odd)))
    assert rc == 0 and out.elapsed_ms is not None
    rc, out, _ = run_sh(wait(path=str(odd), search_regex=r"ready ([0-9]+)\.([0-9])"))
    assert (rc, out.line) == (0, "ready 7.1")
    rc, out, _ = run_sh(wait(path=str(odd), search_regex="absent text", timeout=0.1))
    assert rc == 1
    rc, _, _ = run_sh(wait(path=str(odd), state="absent", search_regex="absent text"))
    assert rc == 0
    rc, _, _ = run_sh(wait(path=str(tmp_path / "none"), state="absent"))
    assert rc == 0
    rc, _, err = run_sh(wait(path=str(odd), search_regex="a("))
    assert rc == 3 and "invalid search_regex" in err


def test_plain_wait_only_sleeps() -> None:
    rc, out, _ = run_sh(wait(timeout=0.1))
    assert rc == 0 and out.elapsed_ms is not None and out.elapsed_ms >= 100


def _fake_nc(bin_dir: Path) -> None:
    """An ``nc`` for a host without bash: ``-z`` only connects, otherwise copies data."""
    script = bin_dir / "nc"
    script.write_text(
        f"#!{sys.executable}\n"
        + (
            "import socket, sys\n"
            "host, port = sys.argv[-2], int(sys.argv[-1])\n"
            "try:\n"
            "    s = socket.create_connection((host, port), timeout=2)\n"
            "except OSError:\n"
            "    sys.exit(1)\n"
            "if '-z' in sys.argv:\n"
            "    sys.exit(0)\n"
            "while data := s.recv(4096):\n"
            "    sys.stdout.buffer.write(data); sys.stdout.flush()\n"
        )
    )
    script.chmod(0o755)


def test_port_checks_fall_back_to_nc_without_bash(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "date", "sleep", "timeout", "grep", "head", "printf"):
        if found := shutil.which(tool):
            (bin_dir / tool).symlink_to(found)
    _fake_nc(bin_dir)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        threading.Thread(target=_greet, args=(server,), daemon=True).start()
        rc, _, err = run_sh(wait(port=port), path=str(bin_dir))
        assert rc == 0, err
        rc, out, err = run_sh(wait(port=port, search_regex="^HELLO ([a-z]+)"), path=str(bin_dir))
        assert (rc, out.line) == (0, "HELLO nc"), err
    rc, _, err = run_sh(wait(port=port, state="stopped"), path=str(bin_dir))
    assert rc == 0, err
    (bin_dir / "nc").unlink()
    rc, _, err = run_sh(wait(port=port), path=str(bin_dir))
    assert rc == 3 and "needs bash or nc" in err


def _greet(server: socket.socket) -> None:
    while True:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            conn.sendall(b"HELLO nc\n")
