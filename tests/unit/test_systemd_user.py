"""systemd_service (and service with use=systemd) against a real systemd manager.

systemd is not PID 1 on this machine, but its user manager runs anywhere that looks booted
with systemd: the fixture starts ``systemd --user`` in a private mount namespace with a tmpfs
on /run/systemd (so nothing outside the test sees it), with its runtime, config and unit
directories in the test's temp dir. The tasks use ``scope: user`` with XDG_RUNTIME_DIR set,
as Ansible documents, and every assertion reads the real manager with ``systemctl --user``.
System-scope behaviour is covered from recorded output (tests/unit/modules/recorded/).
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
from playbook_engine.modules.util.systemctl import parse_show
from playbook_engine.testing.parity import check_predicts_run, statuses

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}
SYSTEMD = next(
    (p for p in ("/lib/systemd/systemd", "/usr/lib/systemd/systemd") if Path(p).exists()), None
)
pytestmark = pytest.mark.skipif(
    os.geteuid() != 0
    or SYSTEMD is None
    or not shutil.which("unshare")
    or not shutil.which("systemctl")
    or not Path("/run/systemd").is_dir(),
    reason="needs root, systemd, systemctl and unshare",
)

BOOT = 'mount -t tmpfs pbe-test /run/systemd && mkdir /run/systemd/system && exec "$0" --user'


@dataclass
class UserManager:
    env: dict[str, str]
    units: Path
    config: Path

    def ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["systemctl", "--user", *args],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def show(self, unit: str) -> dict[str, str]:
        return parse_show(self.ctl("show", unit).stdout)

    def play(self, tmp_path: Path, *tasks: str) -> Path:
        env = "".join(f"    {k}: {v}\n" for k, v in self.env.items())
        body = "".join(f"    - {task}\n" for task in tasks)
        path = tmp_path / "site.yml"
        path.write_text(
            f"- hosts: all\n  gather_facts: false\n  environment:\n{env}  tasks:\n{body}"
        )
        return path


@pytest.fixture(scope="module")
def manager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UserManager]:
    base = tmp_path_factory.mktemp("systemd-user")
    runtime = base / "run"
    runtime.mkdir(mode=0o700)
    env = {
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_CONFIG_HOME": str(base / "config"),
        "XDG_DATA_HOME": str(base / "data"),
    }
    units = base / "data" / "systemd" / "user"
    units.mkdir(parents=True)
    log = (base / "manager.log").open("w")
    proc = subprocess.Popen(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", BOOT, str(SYSTEMD)],
        env={**os.environ, **env},
        stdout=log,
        stderr=log,
        stdin=subprocess.DEVNULL,
    )
    mgr = UserManager(env, units, base / "config" / "systemd" / "user")
    try:
        _wait_ready(mgr, proc, base / "manager.log")
        yield mgr
    finally:
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _wait_ready(mgr: UserManager, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if mgr.ctl("show", "-p", "Version").returncode == 0:
            return
        time.sleep(0.2)
    reason = f"systemd --user did not start: {log.read_text()[-500:]}"
    if os.environ.get("CI"):
        pytest.fail(reason)  # CI must not go green by skipping, as for the fleet
    pytest.skip(reason)


@pytest.fixture
def unit(manager: UserManager, tmp_path: Path) -> Iterator[str]:
    """A fresh service unit (a sleep whose reload writes a line to a file)."""
    name = f"pbe-t{uuid.uuid4().hex[:10]}"
    (manager.units / f"{name}.service").write_text(
        f"[Unit]\nDescription=pbe test {name}\n\n[Service]\nExecStart=/bin/sleep 100000\n"
        f"ExecReload=/bin/sh -c 'echo reload >> {tmp_path}/reloads'\n\n"
        "[Install]\nWantedBy=default.target\n"
    )
    yield name
    manager.ctl("stop", name)
    manager.ctl("disable", name)
    manager.ctl("unmask", name)
    (manager.units / f"{name}.service").unlink(missing_ok=True)
    manager.ctl("daemon-reload")


def check_then_run(path: Path) -> list[tuple[str, str, str]]:
    """For tasks that always act (restart, reload): check mode predicts the real run."""
    checked = run(path, LOCAL, check=True)
    real = run(path, LOCAL)
    assert statuses(checked) == statuses(real), real.error
    return statuses(real)


def test_started_and_enabled(manager: UserManager, unit: str, tmp_path: Path) -> None:
    path = manager.play(
        tmp_path,
        f"systemd: {{name: {unit}, state: started, enabled: true, "
        "scope: user, daemon_reload: true}",
    )

    def untouched() -> None:
        assert manager.show(unit)["ActiveState"] == "inactive"

    real = check_predicts_run(path, LOCAL, unchanged=untouched)
    result = real.results[0].result
    assert real.results[0].status == "changed"
    assert (result["name"], result["state"], result["enabled"]) == (unit, "started", True)
    assert result["status"]["Id"] == f"{unit}.service"
    assert result["status"]["ActiveState"] == "inactive"  # read before the change
    now = manager.show(unit)
    assert (now["ActiveState"], now["UnitFileState"]) == ("active", "enabled")
    assert (manager.config / "default.target.wants" / f"{unit}.service").is_symlink()


def test_restarted_and_reloaded(manager: UserManager, unit: str, tmp_path: Path) -> None:
    manager.ctl("start", unit)
    first = manager.show(unit)["MainPID"]
    path = manager.play(tmp_path, f"systemd: name={unit} state=restarted scope=user")
    assert check_then_run(path) == [("systemd", "localhost", "changed")]  # named as written
    second = manager.show(unit)["MainPID"]
    assert second not in (first, "0")
    path = manager.play(tmp_path, f"systemd_service: name={unit} state=reloaded scope=user")
    assert check_then_run(path) == [("systemd_service", "localhost", "changed")]
    assert manager.show(unit)["MainPID"] == second
    assert (tmp_path / "reloads").read_text() == "reload\n"


def test_stopped_disabled_masked_unmasked(manager: UserManager, unit: str, tmp_path: Path) -> None:
    manager.ctl("enable", "--now", unit)
    path = manager.play(
        tmp_path,
        f"systemd: {{name: {unit}, state: stopped, enabled: false, scope: user}}",
        f"systemd: {{name: {unit}, masked: true, scope: user}}",
    )
    check_predicts_run(path, LOCAL, unchanged=lambda: None)
    now = manager.show(unit)
    assert (now["ActiveState"], now["LoadState"]) == ("inactive", "masked")
    assert manager.ctl("is-enabled", unit).stdout.strip() == "masked"
    path = manager.play(tmp_path, f"systemd: {{name: {unit}, masked: false, scope: user}}")
    check_predicts_run(path, LOCAL)
    assert manager.ctl("is-enabled", unit).stdout.strip() == "disabled"


def test_start_failure_shows_systemctls_words(manager: UserManager, tmp_path: Path) -> None:
    name = f"pbe-t{uuid.uuid4().hex[:10]}"
    (manager.units / f"{name}.service").write_text(
        "[Service]\nType=oneshot\nExecStart=/bin/false\n"
    )
    path = manager.play(tmp_path, f"systemd: name={name} state=started scope=user")
    assert statuses(run(path, LOCAL, check=True)) == [("systemd", "localhost", "changed")]
    result = run(path, LOCAL).results[0]
    assert result.status == "failed"
    assert result.result["msg"] == (
        f"Unable to start service {name}: Job for {name}.service failed because the "
        f'control process exited with error code.\nSee "systemctl --user status '
        f'{name}.service" and "journalctl --user -xeu {name}.service" for details.'
    )
    assert manager.show(name)["ActiveState"] == "failed"
    (manager.units / f"{name}.service").unlink()
    manager.ctl("reset-failed", name)


def test_missing_unit(manager: UserManager, tmp_path: Path) -> None:
    name = f"pbe-t{uuid.uuid4().hex[:10]}"
    path = manager.play(tmp_path, f"systemd: name={name} state=started scope=user")
    for check in (True, False):
        result = run(path, LOCAL, check=check).results[0]
        assert result.status == "failed"
        assert result.result["msg"] == f"Could not find the requested service {name}: host"


def test_daemon_reload_runs_first_but_not_in_check_mode(
    manager: UserManager, unit: str, tmp_path: Path
) -> None:
    manager.ctl("start", unit)  # stays loaded while it runs; then edited on disk
    service = manager.units / f"{unit}.service"
    service.write_text(service.read_text().replace("Description=pbe test", "Description=edited"))
    path = manager.play(
        tmp_path, f"systemd: {{name: {unit}, state: started, scope: user, daemon_reload: true}}"
    )
    checked = run(path, LOCAL, check=True).results[0].result["status"]
    assert (checked["NeedDaemonReload"], checked["Description"]) == ("yes", f"pbe test {unit}")
    real = run(path, LOCAL).results[0]
    assert real.status == "ok"  # a daemon-reload alone changes nothing, as in Ansible
    assert (real.result["status"]["NeedDaemonReload"], real.result["status"]["Description"]) == (
        "no",
        f"edited {unit}",
    )


def test_service_module_uses_systemd(manager: UserManager, unit: str, tmp_path: Path) -> None:
    """``use: systemd`` runs the systemd logic: ``pattern`` and ``sleep`` are ignored and
    the result has the unit's ``status``."""
    path = manager.play(
        tmp_path,
        f"service: {{name: {unit}, state: started, use: systemd, "
        f"scope: user, pattern: nothing-matches, sleep: 3}}",
    )
    real = check_predicts_run(path, LOCAL)
    assert real.results[0].result["status"]["ActiveState"] == "inactive"
    assert manager.show(unit)["ActiveState"] == "active"


def test_service_with_a_name_alone_reads_the_status(
    manager: UserManager, unit: str, tmp_path: Path
) -> None:
    """Under systemd, ``service`` with only a name is valid (as in Ansible, whose service
    hands it to its systemd module): it reports the unit and changes nothing."""
    manager.ctl("start", unit)
    path = manager.play(tmp_path, f"service: {{name: {unit}, use: systemd, scope: user}}")
    for check in (True, False):
        result = run(path, LOCAL, check=check).results[0]
        assert (result.status, result.result["status"]["ActiveState"]) == ("ok", "active")
    assert manager.show(unit)["SubState"] == "running"
