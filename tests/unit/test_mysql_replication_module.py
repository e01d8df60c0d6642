"""mysql_replication against two real MariaDB servers the test starts itself (a primary
with binary logs and a replica, on private sockets and loopback ports under tmp_path) and
stops. Skipped where mariadbd is not installed (``apt-get install mariadb-server``)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from playbook_engine.api import run
from playbook_engine.modules.mysql_replication import MysqlReplication as Module
from playbook_engine.modules.mysql_replication import Server, change_statement, plan
from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}
needs_mariadb = pytest.mark.skipif(
    not (shutil.which("mariadbd") and shutil.which("mariadb-install-db")),
    reason="mariadb-server is not installed",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Mariadb:
    """One mariadbd under ``root`` on a private socket and a loopback port."""

    def __init__(self, root: Path, server_id: int) -> None:
        self.root, self.port, self.sock = root, _free_port(), root / "sock"
        root.mkdir()
        subprocess.run(
            ["mariadb-install-db", f"--datadir={root / 'data'}", "--user=root",
             "--auth-root-authentication-method=socket", "--skip-test-db"],
            check=True, capture_output=True,
        )  # fmt: skip
        self.proc = subprocess.Popen(
            ["mariadbd", "--no-defaults", f"--datadir={root / 'data'}",
             f"--socket={self.sock}", f"--port={self.port}", "--bind-address=127.0.0.1",
             "--user=root", f"--log-bin={root / 'data' / 'bin'}", f"--server-id={server_id}",
             f"--pid-file={root / 'pid'}", f"--log-error={root / 'err.log'}",
             "--innodb-buffer-pool-size=16M", "--skip-name-resolve"],
        )  # fmt: skip
        for _ in range(300):
            if self.sql("SELECT 1", check=False).returncode == 0:
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError((root / "err.log").read_text())

    def sql(self, query: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["mysql", "--no-defaults", f"--socket={self.sock}", "-uroot", "--batch", "-e", query],
            check=check, capture_output=True, text=True,
        )  # fmt: skip

    def status(self) -> dict[str, str]:
        lines = self.sql("SHOW SLAVE STATUS").stdout.splitlines()
        return dict(zip(lines[0].split("\t"), lines[1].split("\t"), strict=False)) if lines else {}

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)

    def login(self) -> dict[str, Any]:
        return {"login_unix_socket": str(self.sock), "login_user": "root"}


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[Mariadb, Mariadb]]:
    primary = Mariadb(tmp_path / "primary", 1)
    try:
        replica = Mariadb(tmp_path / "replica", 2)
    except RuntimeError:
        primary.stop()
        raise
    primary.sql("CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 's3cret'")
    primary.sql("GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'")
    yield primary, replica
    replica.stop()
    primary.stop()


def _book(tmp_path: Path, name: str, tasks: list[dict[str, Any]], keep: bool = True) -> Path:
    """A play of the tasks; ``keep``: each registered result is saved to ``r<N>``."""
    lines = ["- hosts: all", "  gather_facts: false", "  tasks:"]
    for index, task in enumerate(tasks):
        lines += [f"    - mysql_replication: {task!r}", f"      register: r{index}"]
        if not keep:
            continue
        lines += [
            f"    - copy: {{content: '{{{{ r{index} | to_json }}}}', dest: {tmp_path}/r{index}}}"
        ]
    book = tmp_path / f"{name}.yml"
    book.write_text("\n".join(lines) + "\n")
    return book


def _registered(tmp_path: Path, index: int) -> dict[str, Any]:
    import json

    loaded: dict[str, Any] = json.loads((tmp_path / f"r{index}").read_text())
    return loaded


@needs_mariadb
def test_geerlingguy_flow_configures_and_starts_a_replica(
    servers: tuple[Mariadb, Mariadb], tmp_path: Path
) -> None:
    primary, replica = servers
    book = _book(
        tmp_path,
        "status",
        [{"mode": "getreplica", **replica.login()}, {"mode": "getprimary", **primary.login()}],
    )
    assert run(book, LOCAL).exit_code == 0
    assert _registered(tmp_path, 0)["Is_Replica"] is False
    master = _registered(tmp_path, 1)
    assert master["Is_Primary"] is True and master["File"].startswith("bin.")
    assert isinstance(master["Position"], int)
    change = {
        "mode": "changemaster",
        "master_host": "127.0.0.1",
        "master_port": primary.port,
        "master_user": "repl",
        "master_password": "s3cret",
        "master_log_file": master["File"],
        "master_log_pos": master["Position"],
        **replica.login(),
    }
    result = run(_book(tmp_path, "change", [change]), LOCAL)
    assert result.exit_code == 0 and result.results[0].status == "changed"
    queries = _registered(tmp_path, 0)["queries"]
    assert len(queries) == 1 and "s3cret" not in queries[0]
    assert queries[0].startswith("CHANGE MASTER TO MASTER_HOST='127.0.0.1',")
    assert replica.status()["Master_Port"] == str(primary.port)
    start = _book(tmp_path, "start", [{"mode": "startreplica", **replica.login()}], keep=False)
    check_predicts_run(start, LOCAL, lambda: _threads(replica, "No"))
    assert replica.status()["Slave_SQL_Running"] == "Yes"
    primary.sql("CREATE DATABASE pbe_repl_probe")
    _wait(lambda: "pbe_repl_probe" in replica.sql("SHOW DATABASES").stdout)
    assert run(_book(tmp_path, "get", [{"mode": "getslave", **replica.login()}]), LOCAL)
    status = _registered(tmp_path, 0)
    assert status["Is_Replica"] is True and status["Master_Host"] == "127.0.0.1"
    assert status["Slave_IO_Running"] == "Yes" and status["Master_Port"] == primary.port
    stop = _book(tmp_path, "stop", [{"mode": "stopreplica", **replica.login()}], keep=False)
    check_predicts_run(stop, LOCAL, lambda: _threads(replica, "Yes"))
    _threads(replica, "No")


def _threads(server: Mariadb, state: str) -> None:
    status = server.status()
    assert status["Slave_SQL_Running"] == state, status


def _wait(done: Any) -> None:
    for _ in range(100):
        if done():
            return
        time.sleep(0.1)
    raise AssertionError("replication did not catch up")


@needs_mariadb
def test_reset_and_errors(servers: tuple[Mariadb, Mariadb], tmp_path: Path) -> None:
    primary, replica = servers
    tasks = [
        {"mode": "startreplica", **replica.login()},
        {"mode": "startreplica", "fail_on_error": True, **replica.login()},
    ]
    result = run(_book(tmp_path, "errors", tasks), LOCAL)
    mine = [r.status for r in result.results if r.action == "mysql_replication"]
    assert mine == ["ok", "failed"]
    assert _registered(tmp_path, 0)["msg"] == "Replica already started (Or cannot be started)"
    failed = [r for r in result.results if r.status == "failed"]
    assert len(failed) == 1 and failed[0].result["msg"].startswith(
        "START REPLICA failed: ERROR 1200"
    )
    reset = run(_book(tmp_path, "reset", [{"mode": "resetprimary", **primary.login()}]), LOCAL)
    assert reset.results[0].status == "changed"
    assert _registered(tmp_path, 0)["queries"] == ["RESET MASTER"]
    assert primary.sql("SHOW MASTER STATUS").stdout.splitlines()[1].startswith("bin.000001\t")


def test_terms_follow_the_servers_version() -> None:
    args = Module.coerce({"mode": "startreplica"})
    assert plan(args, "startreplica", Server("5.7.44-log", {"Slave_IO_Running": "No",
                "Slave_SQL_Running": "No"}))[0] == ["START SLAVE"]  # fmt: skip
    running = {"Replica_IO_Running": "Yes", "Replica_SQL_Running": "Yes"}
    assert plan(args, "startreplica", Server("8.4.3", running))[0] == []
    stop = Module.coerce({"mode": "stopreplica", "channel": "a'b"})
    assert plan(stop, "stopreplica", Server("8.4.3", running))[0] == [
        "STOP REPLICA FOR CHANNEL 'a\\'b'"
    ]
    reset = Module.coerce({"mode": "resetprimary"})
    assert plan(reset, "resetprimary", Server("8.4.3"))[0] == ["RESET BINARY LOGS AND GTIDS"]
    change = Module.coerce(
        {"mode": "changeprimary", "master_host": "db1", "master_password": "pw", "master_ssl": True}
    )
    real, shown = change_statement(change, Server("8.0.36"), source=False)
    assert real == [
        "CHANGE REPLICATION SOURCE TO SOURCE_HOST='db1',SOURCE_PASSWORD='pw',SOURCE_SSL=1"
    ]
    assert "pw" not in shown[0]
    maria = Module.coerce(
        {"mode": "changeprimary", "connection_name": "m2", "master_use_gtid": "replica_pos"}
    )
    assert change_statement(maria, Server("10.3.39-MariaDB"), source=False)[0] == [
        "CHANGE MASTER 'm2' TO MASTER_USE_GTID=slave_pos"
    ]
