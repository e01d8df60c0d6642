"""service, sysvinit and service_facts against a real SysV init script on this machine.

Each test installs its own /etc/init.d/pbe-t<random> (an LSB script whose daemon is a
sleep loop with its pidfile in the test's temp dir), lets update-rc.d link it, and asserts
the real process and the real /etc/rc?.d links, with check mode predicting each run.
Needs root, update-rc.d and an /etc/init.d not managed by systemd (the suite runs as root).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from playbook_engine.api import run
from playbook_engine.testing.parity import check_predicts_run, statuses

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0
    or not shutil.which("update-rc.d")
    or not shutil.which("service")
    or not Path("/etc/init.d").is_dir()
    or Path("/run/systemd/system").is_dir(),
    reason="needs root, update-rc.d, service and SysV init (not systemd)",
)

SCRIPT = """#!/bin/sh
### BEGIN INIT INFO
# Provides:          {name}
# Required-Start:
# Required-Stop:
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: pbe test service
### END INIT INFO
DIR={dir}
PIDFILE=$DIR/pid
LOG=$DIR/{name}-daemon.log
running() {{ [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }}
case "$1" in
  start)
    if [ -e "$DIR/fail-start" ]; then
      echo "{name}: cannot start, fail-start is there" >&2; exit 1
    fi
    running && exit 0
    sh -c 'trap "echo reload >> $0.log" HUP; while :; do sleep 1 & wait $!; done' \\
      "$DIR/{name}-daemon" </dev/null >/dev/null 2>&1 &
    echo $! > "$PIDFILE"; echo "start $2" >> "$LOG" ;;
  stop)
    running && kill "$(cat "$PIDFILE")"; rm -f "$PIDFILE"; echo stop >> "$LOG" ;;
  restart) "$0" stop; "$0" start ;;
  reload|force-reload) running || exit 7; kill -HUP "$(cat "$PIDFILE")" ;;
  status)
    if running; then echo "{name} is running"; exit 0; fi
    echo "{name} is not running"; exit 3 ;;
  *) echo "Usage: $0 {{start|stop|restart|reload|status}}" >&2; exit 2 ;;
esac
"""


@dataclass
class InitScript:
    name: str
    dir: Path

    def pid(self) -> int | None:
        pidfile = self.dir / "pid"
        if not pidfile.exists():
            return None
        pid = int(pidfile.read_text())
        return pid if Path(f"/proc/{pid}").exists() else None

    def log(self) -> list[str]:
        path = self.dir / f"{self.name}-daemon.log"
        return path.read_text().split("\n")[:-1] if path.exists() else []

    def links(self) -> dict[str, str]:
        """runlevel -> S or K, from the real /etc/rc?.d."""
        found = {}
        for level in "0123456":
            for entry in Path(f"/etc/rc{level}.d").glob(f"[SK]??{self.name}"):
                found[level] = entry.name[0]
        return found

    def service(self, action: str) -> None:
        subprocess.run(
            ["service", self.name, action],
            check=True,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )


@pytest.fixture
def script(tmp_path: Path) -> Iterator[InitScript]:
    name = f"pbe-t{uuid.uuid4().hex[:10]}"
    svc = InitScript(name, tmp_path / "svc")
    svc.dir.mkdir()
    path = Path("/etc/init.d") / name
    path.write_text(SCRIPT.format(name=name, dir=svc.dir))
    path.chmod(0o755)
    yield svc
    pid = svc.pid()
    if pid:
        os.kill(pid, 15)
    subprocess.run(["update-rc.d", "-f", name, "remove"], capture_output=True, check=False)
    path.unlink()


def book(tmp_path: Path, *tasks: str) -> Path:
    path = tmp_path / "site.yml"
    lines = "".join(f"    - {task}\n" for task in tasks)
    path.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{lines}")
    return path


def check_then_run(path: Path) -> list[tuple[str, str, str]]:
    """For tasks that always act (restart, reload): check mode predicts the real run."""
    checked = run(path, LOCAL, check=True)
    real = run(path, LOCAL)
    assert statuses(checked) == statuses(real), real.error
    return statuses(real)


def wait_for_line(svc: InitScript, line: str) -> list[str]:
    """The daemon writes its log line when its trap runs, just after the signal."""
    deadline = time.monotonic() + 20
    while line not in svc.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    return svc.log()


def test_started_and_enabled(tmp_path: Path, script: InitScript) -> None:
    path = book(tmp_path, f"service: name={script.name} state=started enabled=yes")

    def untouched() -> None:
        assert script.pid() is None
        assert script.links() == {}

    real = check_predicts_run(path, LOCAL, unchanged=untouched)
    assert [r.status for r in real.results] == ["changed"]
    assert real.results[0].result == {
        "changed": True,
        "name": script.name,
        "enabled": True,
        "state": "started",
        "failed": False,
    }
    assert script.pid() is not None
    assert script.links() == {"0": "K", "1": "K", "2": "S", "3": "S", "4": "S", "5": "S", "6": "K"}


def test_stopped_and_disabled(tmp_path: Path, script: InitScript) -> None:
    subprocess.run(["update-rc.d", script.name, "defaults"], check=True, capture_output=True)
    script.service("start")
    pid = script.pid()
    assert pid is not None
    path = book(tmp_path, f"service: {{name: {script.name}, state: stopped, enabled: false}}")
    real = check_predicts_run(path, LOCAL, unchanged=lambda: os.kill(pid, 0))
    assert real.results[0].result["state"] == "stopped"
    assert script.pid() is None
    assert not Path(f"/proc/{pid}").exists() or _zombie(pid)
    assert set(script.links().values()) == {"K"}


def _zombie(pid: int) -> bool:
    return " Z " in Path(f"/proc/{pid}/stat").read_text()


def test_restarted_and_reloaded(tmp_path: Path, script: InitScript) -> None:
    script.service("start")
    first = script.pid()
    path = book(tmp_path, f"service: name={script.name} state=restarted args=--quick")
    assert check_then_run(path) == [("service", "localhost", "changed")]
    second = script.pid()
    assert second is not None and second != first
    assert script.log() == ["start ", "stop", "start --quick"]
    path = book(tmp_path, f"service: name={script.name} state=reloaded")
    assert check_then_run(path) == [("service", "localhost", "changed")]
    assert script.pid() == second
    assert wait_for_line(script, "reload")[-1] == "reload"


def test_reloaded_starts_a_stopped_service(tmp_path: Path, script: InitScript) -> None:
    path = book(tmp_path, f"service: name={script.name} state=reloaded")
    assert check_then_run(path) == [("service", "localhost", "changed")]
    assert script.pid() is not None
    assert script.log() == ["start "]


def test_pattern_is_not_fooled_by_the_probe_itself(tmp_path: Path, script: InitScript) -> None:
    """The probe's own command line holds the service's name; a pattern equal to the name
    must not find the probe and call a stopped service running."""
    path = book(tmp_path, f"service: name={script.name} state=started pattern={script.name}")
    real = check_predicts_run(path, LOCAL, unchanged=lambda: None)
    assert [r.status for r in real.results] == ["changed"], real.results[0].result
    assert script.pid() is not None


def test_sysvinit_module_with_runlevels(tmp_path: Path, script: InitScript) -> None:
    path = book(
        tmp_path,
        f"sysvinit: {{name: {script.name}, state: started, enabled: true, runlevels: [3, 5]}}",
    )
    real = check_predicts_run(path, LOCAL, unchanged=lambda: None)
    status = real.results[0].result["status"]
    assert status["enabled"]["changed"] is True
    assert status["enabled"]["runlevels"] == ["3", "5"]
    assert status["started"] == {"changed": True, "rc": 0, "stdout": "", "stderr": ""}
    assert script.pid() is not None
    assert script.links()["3"] == "S" and script.links()["5"] == "S"


def test_start_failure_shows_the_scripts_words(tmp_path: Path, script: InitScript) -> None:
    (script.dir / "fail-start").touch()
    path = book(tmp_path, f"service: name={script.name} state=started")
    checked = run(path, LOCAL, check=True)
    assert statuses(checked) == [("service", "localhost", "changed")]
    real = run(path, LOCAL)
    assert real.results[0].status == "failed"
    assert real.results[0].result["msg"] == f"{script.name}: cannot start, fail-start is there"


def test_missing_service_fails_in_check_mode_too(tmp_path: Path) -> None:
    name = f"pbe-t{uuid.uuid4().hex[:10]}"
    path = book(tmp_path, f"service: name={name} state=started")
    for check in (True, False):
        result = run(path, LOCAL, check=check).results[0]
        assert result.status == "failed"
        assert result.result["msg"] == f"Could not find the requested service {name}: host"


def test_service_facts_sees_the_script(tmp_path: Path, script: InitScript) -> None:
    path = book(
        tmp_path, "service_facts:", f"debug: {{var: \"ansible_facts.services['{script.name}']\"}}"
    )
    stopped = run(path, LOCAL).results[1].result
    assert stopped[f"ansible_facts.services['{script.name}']"] == {
        "name": script.name,
        "state": "stopped",
        "source": "sysv",
    }
    script.service("start")
    running = run(path, LOCAL).results[1].result
    assert running[f"ansible_facts.services['{script.name}']"]["state"] == "running"
