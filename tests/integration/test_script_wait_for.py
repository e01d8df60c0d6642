"""script and wait_for against the real sshd fleet: behaviour, check mode, failures.

Both modules' check-mode answer is "skipped, outcome unknown" (a script's effect and a
wait's outcome cannot be predicted without running them), so the parity helper is used
where creates/removes decide the task; elsewhere the check run is asserted directly: it
touches nothing, reports the task skipped and every reader of its result unpredictable.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from parity import assert_check_predicts_run, pbe_json, snapshot

from playbook_engine.modules.script import parse_shebang, runner_words, split_cmd
from playbook_engine.testing.fleet import Fleet

pytestmark = pytest.mark.fleet


# -- helpers ----------------------------------------------------------------------------


@pytest.fixture
def dirs_var(host_dirs: dict[str, Path], tmp_path: Path) -> str:
    path = tmp_path / "dirs.json"
    path.write_text(json.dumps({"dirs": {h: str(p) for h, p in host_dirs.items()}}))
    return f"@{path}"


def write(path: Path, text: str, mode: int = 0o644) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def results(doc: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """task name -> host -> {status, duration, result}."""
    return {t["name"]: t["hosts"] for p in doc["plays"] for t in p["tasks"]}


def statuses(doc: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {
        name: {h: r["status"] for h, r in hosts.items()} for name, hosts in results(doc).items()
    }


def later(seconds: float, action: Callable[[], object]) -> threading.Thread:
    """Run ``action`` on a thread after ``seconds``; join the thread before asserting."""

    def go() -> None:
        time.sleep(seconds)
        action()

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    return thread


# -- script: pure parts -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"#!/bin/sh\necho\n", ["/bin/sh"]),
        (b"#! /usr/bin/env python3\n", ["/usr/bin/env", "python3"]),
        (b"#!/usr/bin/env -S python3 -u\n", ["/usr/bin/env", "-S python3 -u"]),
        (b"#!/bin/bash\r\necho\r\n", ["/bin/bash"]),
        (b"#!\n", []),
        (b"echo no shebang\n", []),
        (b"", []),
    ],
)
def test_parse_shebang_splits_like_the_kernel(data: bytes, words: list[str]) -> None:
    assert parse_shebang(data) == words


def test_executable_wins_over_shebang_and_is_split() -> None:
    assert runner_words("/usr/bin/env python3", b"#!/bin/sh\n") == ["/usr/bin/env", "python3"]
    assert runner_words(None, b"#!/bin/sh\n") == ["/bin/sh"]
    assert split_cmd("'my tool.py' --flag 'two words'") == ["my tool.py", "--flag", "two words"]


# -- script over SSH --------------------------------------------------------------------


def test_script_args_chdir_interpreters_and_odd_names(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    files = tmp_path / "files"
    write(
        files / "show.sh",
        '#!/bin/sh\necho "name=${0##*/} pwd=$(pwd) n=$#"\n'
        'for a in "$@"; do printf "<%s>\\n" "$a"; done\n',
    )
    write(files / "my tool.py", "#!/usr/bin/env python3\nimport sys\nprint('py', sys.argv[1:])\n")
    write(files / "reads-stdin.sh", "#!/bin/sh\ncat\necho after cat\n")
    write(files / "plain.py", "import sys\nprint('plain', sys.argv[1:])\n")
    write(files / "bashism.sh", '[[ -n "$BASH_VERSION" ]] && echo "bash $#"\n')
    write(files / "no-shebang.sh", 'echo "no shebang ran with $#"\n')
    book = write(
        tmp_path / "site.yml",
        """
- hosts: h01,h02
  gather_facts: false
  vars:
    d: "{{ dirs[inventory_hostname] }}"
  tasks:
    - name: args and chdir
      script: show.sh "two words" '$(touch pwned)' '`touch pwned`' -n chdir={{d}}
      register: show
    - name: python shebang and a name with spaces
      script: "'my tool.py' --flag 'a b'"
      register: py
    - name: stdin is not the script
      script: reads-stdin.sh
      register: reader
    - name: executable python3
      script:
        cmd: plain.py x
        executable: python3
      register: plain
    - name: executable bash
      script: bashism.sh 1 2
      args:
        executable: /bin/bash
      register: bashism
    - name: no shebang
      script: files/no-shebang.sh a
      register: noshebang
""",
    )
    code, doc, err = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var, "--diff")
    assert code == 0, err + json.dumps(doc)[:2000]
    res = results(doc)
    assert not any("diff" in r["result"] for hosts in res.values() for r in hosts.values())
    for host in ("h01", "h02"):
        out = {name: res[name][host]["result"] for name in res}
        assert all(res[name][host]["status"] == "changed" for name in res)
        assert out["args and chdir"]["stdout_lines"] == [
            f"name=show.sh pwd={host_dirs[host]} n=4",
            "<two words>",
            "<$(touch pwned)>",
            "<`touch pwned`>",
            "<-n>",
        ]
        assert out["python shebang and a name with spaces"]["stdout"] == "py ['--flag', 'a b']\n"
        assert out["stdin is not the script"]["stdout"] == "after cat\n"
        assert out["executable python3"]["stdout"] == "plain ['x']\n"
        assert out["executable bash"]["stdout"] == "bash 2\n"
        assert out["no shebang"]["stdout"] == "no shebang ran with 1\n"
        assert out["args and chdir"]["rc"] == 0 and out["args and chdir"]["stderr"] == ""
        assert not (host_dirs[host] / "pwned").exists()


def test_script_creates_and_removes_check_predicts_run(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    write(tmp_path / "files" / "touch.sh", '#!/bin/sh\ntouch -- "$1"\n')
    for path in host_dirs.values():
        (path / "done").touch()
    book = write(
        tmp_path / "site.yml",
        """
- hosts: fleet
  gather_facts: false
  tasks:
    - name: creates exists
      script: touch.sh {{ dirs[inventory_hostname] }}/one creates={{dirs[inventory_hostname]}}/done
      register: one
    - name: removes absent
      script: touch.sh {{ dirs[inventory_hostname] }}/two
      args:
        removes: "{{ dirs[inventory_hostname] }}/absent"
    - name: reads the skipped result
      debug:
        msg: "{{ one.msg }}"
""",
    )
    doc = assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var
    )
    assert set(statuses(doc)["creates exists"].values()) == {"ok"}
    assert set(statuses(doc)["removes absent"].values()) == {"ok"}
    h01 = results(doc)["reads the skipped result"]["h01"]["result"]
    assert h01["msg"] == f"skipped, since {host_dirs['h01']}/done exists"
    for path in host_dirs.values():
        assert sorted(p.name for p in path.iterdir()) == ["done"]


def test_script_check_mode_skips_and_readers_are_unpredictable(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    write(tmp_path / "files" / "touch.sh", '#!/bin/sh\ntouch -- "$1" && echo made\n')
    book = write(
        tmp_path / "site.yml",
        """
- hosts: h01,h02
  gather_facts: false
  tasks:
    - name: run it
      script: touch.sh {{ dirs[inventory_hostname] }}/made
      register: out
    - name: reads it
      debug:
        msg: "{{ out.stdout }}"
    - name: independent
      debug:
        msg: fine
""",
    )
    roots = [host_dirs["h01"], host_dirs["h02"]]
    before = snapshot(roots)
    code, doc, err = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var, "--check")
    assert code == 0, err
    assert snapshot(roots) == before
    assert statuses(doc) == {
        "run it": {"h01": "skipped", "h02": "skipped"},
        "reads it": {"h01": "unpredictable", "h02": "unpredictable"},
        "independent": {"h01": "ok", "h02": "ok"},
    }
    assert (
        results(doc)["run it"]["h01"]["result"]["msg"]
        == "Script would have run if not in check mode"
    )
    code, doc, err = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var)
    assert code == 0, err
    assert results(doc)["reads it"]["h02"]["result"]["msg"] == "made\n"  # not stripped
    assert all((p / "made").exists() for p in roots)


def test_script_failures(fleet: Fleet, fleet_inventory: Path, tmp_path: Path) -> None:
    write(tmp_path / "files" / "fails.sh", "#!/bin/sh\necho partial\necho broken >&2\nexit 3\n")
    book = write(
        tmp_path / "site.yml",
        """
- hosts: h01
  gather_facts: false
  tasks:
    - name: non-zero rc
      script: fails.sh
      ignore_errors: true
    - name: chdir not allowed
      script: fails.sh
      args:
        chdir: /root
      ignore_errors: true
    - name: no such script
      script: missing.sh
""",
    )
    code, doc, _ = pbe_json(fleet, book, fleet_inventory, "--check")
    assert code == 2
    assert statuses(doc) == {
        "non-zero rc": {"h01": "skipped"},
        "chdir not allowed": {"h01": "skipped"},
        "no such script": {"h01": "failed"},
    }
    code, doc, _ = pbe_json(fleet, book, fleet_inventory)
    assert code == 2
    res = {name: hosts["h01"] for name, hosts in results(doc).items()}
    rc = res["non-zero rc"]
    assert rc["status"] == "failed" and rc["ignored"]
    assert rc["result"]["rc"] == 3 and rc["result"]["msg"] == "non-zero return code"
    assert rc["result"]["stdout"] == "partial\n" and rc["result"]["stderr"] == "broken\n"
    chdir = res["chdir not allowed"]["result"]
    assert chdir["failed"] and "cannot change into /root" in chdir["msg"]
    missing = res["no such script"]["result"]
    assert missing["failed"] and "could not find file source `missing.sh`" in missing["msg"]


def test_script_large_script_and_output(
    fleet: Fleet, fleet_inventory: Path, tmp_path: Path
) -> None:
    filler = "# " + "x" * 1_000_000 + "\n"
    write(
        tmp_path / "files" / "big.sh",
        "#!/bin/sh\n" + filler + "head -c 3000000 /dev/zero | tr '\\0' y\necho\nseq 1 50000 >&2\n",
    )
    book = write(
        tmp_path / "site.yml",
        """
- hosts: h01
  gather_facts: false
  tasks:
    - name: big
      script: big.sh
""",
    )
    code, doc, err = pbe_json(fleet, book, fleet_inventory)
    assert code == 0, err
    out = results(doc)["big"]["h01"]["result"]
    assert out["stdout"] == "y" * 3_000_000 + "\n"
    assert len(out["stderr_lines"]) == 50000 and out["stderr_lines"][-1] == "50000"


def test_script_become_runs_as_root_and_cleans_up(
    fleet: Fleet, fleet_inventory: Path, tmp_path: Path
) -> None:
    write(tmp_path / "files" / "who.sh", '#!/bin/sh\nid -un\ndirname "$0"\n')
    book = write(
        tmp_path / "site.yml",
        """
- hosts: h01
  gather_facts: false
  tasks:
    - name: as root
      script: who.sh
      become: true
    - name: as the login user
      script: who.sh
""",
    )
    code, doc, err = pbe_json(fleet, book, fleet_inventory)
    assert code == 0, err
    root = results(doc)["as root"]["h01"]["result"]["stdout_lines"]
    user = results(doc)["as the login user"]["h01"]["result"]["stdout_lines"]
    assert root[0] == "root" and user[0] == "pbetest"
    for staged in (root[1], user[1]):
        assert "pbe-script." in staged and not os.path.exists(staged)


# -- wait_for over SSH ------------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[Callable[[float, bytes], tuple[int, threading.Event]]]:
    """Start a loopback TCP server (after ``delay``) that sends ``banner`` to each client.

    Returns its port and an Event; setting the Event closes the listening socket.
    """
    stops: list[threading.Event] = []

    def start(delay: float = 0.0, banner: bytes = b"") -> tuple[int, threading.Event]:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        stop = threading.Event()
        stops.append(stop)
        threading.Thread(target=_serve, args=(port, delay, banner, stop), daemon=True).start()
        return port, stop

    yield start
    for stop in stops:
        stop.set()


def _serve(port: int, delay: float, banner: bytes, stop: threading.Event) -> None:
    time.sleep(delay)
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen()
        server.settimeout(0.05)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=_talk, args=(conn, banner, stop), daemon=True).start()


def _talk(conn: socket.socket, banner: bytes, stop: threading.Event) -> None:
    """Send the banner, then wait for the client to hang up first (so the server side
    never sits in TIME_WAIT, which state=drained counts as active)."""
    with conn:
        conn.sendall(banner)
        conn.settimeout(0.05)
        while not stop.is_set():
            try:
                if not conn.recv(1024):
                    return
            except TimeoutError:
                continue
            except OSError:
                return


def test_wait_for_path_appears_disappears_and_matches(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    work = host_dirs["h01"]
    odd = work / "appears $(touch pwned) 'q' `x`"
    lock = write(work / "lock", "")
    log = work / "app.log"

    def grow() -> None:
        write(odd, "")
        lock.unlink()
        write(log, "booting\n")

    book = write(
        tmp_path / "site.yml",
        r"""
- hosts: h01
  gather_facts: false
  vars:
    d: "{{ dirs[inventory_hostname] }}"
  tasks:
    - name: appears
      wait_for:
        path: "{{ d }}/appears $(touch pwned) 'q' `x`"
        sleep: 0.1
        timeout: 10
    - name: absent
      wait_for:
        path: "{{ d }}/lock"
        state: absent
        sleep: 0.1
        timeout: 10
    - name: regex
      wait_for:
        path: "{{ d }}/app.log"
        search_regex: 'ready version=([0-9]+)\.([0-9]+)'
        sleep: 0.1
        timeout: 10
      register: found
    - name: already absent
      wait_for:
        path: "{{ d }}/never"
        state: absent
""",
    )
    threads = [
        later(0.5, grow),
        later(1.0, lambda: log.write_text("booting\nready version=4.2 ok\n")),
    ]
    started = time.monotonic()
    code, doc, err = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var)
    for thread in threads:
        thread.join()
    assert code == 0, err + json.dumps(doc)[:2000]
    assert time.monotonic() - started >= 1.0
    res = {name: hosts["h01"] for name, hosts in results(doc).items()}
    assert {r["status"] for r in res.values()} == {"ok"}
    assert res["appears"]["duration"] >= 0.3
    assert res["appears"]["result"]["path"] == f"{work}/appears $(touch pwned) 'q' `x`"
    found = res["regex"]["result"]
    assert found["match_groups"] == ["4", "2"] and found["match_groupdict"] == {}
    assert found["elapsed"] in (0, 1) and found["changed"] is False
    assert res["already absent"]["result"]["elapsed"] == 0
    assert not (work / "pwned").exists()


def test_wait_for_port_started_stopped_and_banner(
    fleet: Fleet,
    fleet_inventory: Path,
    tmp_path: Path,
    listener: Callable[[float, bytes], tuple[int, threading.Event]],
) -> None:
    port, stop = listener(0.5, b"SSH-2.0-pbe_fake_1.2\r\n")
    book = write(
        tmp_path / "site.yml",
        f"""
- hosts: h01
  gather_facts: false
  tasks:
    - name: started
      wait_for:
        port: {port}
        sleep: 0.1
        timeout: 10
    - name: banner
      wait_for:
        port: {port}
        host: 127.0.0.1
        search_regex: '^SSH-2.0-([a-z_]+)_([0-9.]+)'
        timeout: 10
    - name: stopped
      wait_for:
        port: {port}
        state: stopped
        sleep: 0.1
        timeout: 10
""",
    )
    later(1.0, stop.set)
    code, doc, err = pbe_json(fleet, book, fleet_inventory)
    assert code == 0, err + json.dumps(doc)[:2000]
    res = {name: hosts["h01"] for name, hosts in results(doc).items()}
    assert {r["status"] for r in res.values()} == {"ok"}
    assert res["started"]["duration"] >= 0.3 and res["started"]["result"]["port"] == port
    assert res["banner"]["result"]["match_groups"] == ["pbe_fake", "1.2"]
    assert res["stopped"]["result"]["state"] == "stopped"


def test_wait_for_drained(
    fleet: Fleet,
    fleet_inventory: Path,
    tmp_path: Path,
    host_dirs: dict[str, Path],
    listener: Callable[[float, bytes], tuple[int, threading.Event]],
) -> None:
    port, _ = listener(0.0, b"")
    time.sleep(0.2)
    client = socket.create_connection(("127.0.0.1", port))
    marker = host_dirs["h01"] / "busy-done"
    book = write(
        tmp_path / "site.yml",
        f"""
- hosts: h01
  gather_facts: false
  tasks:
    - name: busy
      wait_for: {{port: {port}, state: drained, timeout: 1, sleep: 0.2}}
      ignore_errors: true
    - name: mark
      file: {{path: "{marker}", state: touch}}
    - name: drains
      wait_for: {{port: {port}, state: drained, host: 0.0.0.0, timeout: 10, sleep: 0.1}}
""",
    )

    def close_after_busy() -> None:  # not on a clock: a loaded machine may start pbe late
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        client.close()

    closer = later(0, close_after_busy)
    code, doc, err = pbe_json(fleet, book, fleet_inventory)
    closer.join()
    assert code == 0, err + json.dumps(doc)[:2000]
    res = {name: hosts["h01"] for name, hosts in results(doc).items()}
    assert res["busy"]["status"] == "failed" and res["busy"]["ignored"]
    assert res["busy"]["result"]["msg"] == f"Timeout when waiting for 127.0.0.1:{port} to drain"
    assert res["drains"]["status"] == "ok"


def test_wait_for_timeout_delay_and_sleep(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    write(host_dirs["h01"] / "here", "")
    book = write(
        tmp_path / "site.yml",
        """
- hosts: h01
  gather_facts: false
  vars:
    d: "{{ dirs[inventory_hostname] }}"
  tasks:
    - name: gives up
      wait_for: {path: "{{ d }}/never", timeout: 1, sleep: 0.2, msg: "no never in {{ d }}"}
      ignore_errors: true
    - name: default message
      wait_for: {path: "{{ d }}/never", timeout: 0.3, sleep: 0.1}
      ignore_errors: true
    - name: delayed
      wait_for: {path: "{{ d }}/here", delay: 1, timeout: 5}
    - name: plain sleep
      wait_for: {timeout: 0.5}
""",
    )
    code, doc, err = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var)
    assert code == 0, err
    res = {name: hosts["h01"] for name, hosts in results(doc).items()}
    gave_up = res["gives up"]
    assert gave_up["status"] == "failed" and gave_up["ignored"]
    assert gave_up["result"]["msg"] == f"no never in {host_dirs['h01']}"
    assert gave_up["result"]["elapsed"] == 1
    assert 1.0 <= gave_up["duration"] < 2.5
    assert (
        res["default message"]["result"]["msg"]
        == f"Timeout when waiting for file {host_dirs['h01']}/never"
    )
    assert res["delayed"]["status"] == "ok" and res["delayed"]["result"]["elapsed"] == 1
    assert res["delayed"]["duration"] >= 1.0
    assert res["plain sleep"]["status"] == "ok" and res["plain sleep"]["duration"] >= 0.5


def test_wait_for_check_mode_is_unknown_and_readers_unpredictable(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    write(host_dirs["h01"] / "here", "ready\n")
    book = write(
        tmp_path / "site.yml",
        """
- hosts: h01
  gather_facts: false
  tasks:
    - name: wait
      wait_for:
        path: "{{ dirs[inventory_hostname] }}/here"
        search_regex: (rea)dy
      register: w
    - name: reads it
      debug:
        msg: "{{ w.match_groups }}"
""",
    )
    code, doc, err = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var, "--check")
    assert code == 0, err
    assert statuses(doc) == {"wait": {"h01": "skipped"}, "reads it": {"h01": "unpredictable"}}
    code, doc, err = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var)
    assert code == 0, err
    assert results(doc)["reads it"]["h01"]["result"]["msg"] == ["rea"]


def test_wait_for_bad_arguments_and_permissions_fail_clearly(
    fleet: Fleet, fleet_inventory: Path, tmp_path: Path
) -> None:
    book = write(
        tmp_path / "site.yml",
        r"""
- hosts: h01
  gather_facts: false
  tasks:
    - name: python regex
      wait_for: {path: /etc/hostname, search_regex: 'v\d+', timeout: 1}
      ignore_errors: true
    - name: drained file
      wait_for: {path: /etc/hostname, state: drained, timeout: 1}
      ignore_errors: true
    - name: bad ere
      wait_for: {path: /etc/hostname, search_regex: 'a(', timeout: 1}
      ignore_errors: true
    - name: cannot look into /root
      wait_for: {path: /root/.pbe-never-there, state: absent, timeout: 0.3, sleep: 0.1}
      ignore_errors: true
    - name: cannot read /etc/shadow
      wait_for: {path: /etc/shadow, search_regex: root, timeout: 0.3, sleep: 0.1}
      ignore_errors: true
    - name: root can look
      wait_for: {path: /root/.pbe-never-there, state: absent, timeout: 2}
      become: true
""",
    )
    code, doc, err = pbe_json(fleet, book, fleet_inventory, "--check")
    assert code == 0, err
    assert statuses(doc) == {  # mistakes fail the check run as they will fail the real one
        "python regex": {"h01": "failed"},
        "drained file": {"h01": "failed"},
        "bad ere": {"h01": "failed"},
        "cannot look into /root": {"h01": "skipped"},
        "cannot read /etc/shadow": {"h01": "skipped"},
        "root can look": {"h01": "skipped"},
    }
    checked = results(doc)["bad ere"]["h01"]["result"]["msg"]
    code, doc, err = pbe_json(fleet, book, fleet_inventory)
    assert code == 0, err
    msgs = {name: hosts["h01"]["result"].get("msg") for name, hosts in results(doc).items()}
    assert msgs["bad ere"] == checked
    assert "write [0-9]" in msgs["python regex"]
    assert msgs["drained file"] == "state=drained needs a port"
    assert msgs["bad ere"].startswith("wait_for could not check the host: invalid search_regex")
    assert msgs["cannot look into /root"].startswith(
        "Timeout when waiting for /root/.pbe-never-there to be absent. (last check: stat: "
    )
    assert msgs["cannot look into /root"].endswith("Permission denied)")
    assert msgs["cannot read /etc/shadow"].endswith("/etc/shadow: Permission denied)")
    assert statuses(doc)["root can look"] == {"h01": "ok"}
