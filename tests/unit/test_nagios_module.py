"""nagios: the external-command lines (pure, Nagios' documented syntax), and real runs
against a FIFO under tmp_path read by a thread standing in for Nagios. The module is not
idempotent (every write is a change, as in Ansible), so the check/run comparison is done
here directly instead of with check_predicts_run's second run."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from playbook_engine.api import run
from playbook_engine.modules.nagios import Nagios, commands
from playbook_engine.testing.parity import statuses

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}


def lines(**args: object) -> list[str]:
    return commands(Nagios.coerce(args), 1700000000)


def test_the_corpus_actions() -> None:
    assert lines(action="disable_alerts", host="web1", services="webserver") == [
        "[1700000000] DISABLE_SVC_NOTIFICATIONS;web1;webserver"
    ]
    assert lines(action="enable_alerts", host="web1", services=["a", "b"]) == [
        "[1700000000] ENABLE_SVC_NOTIFICATIONS;web1;a",
        "[1700000000] ENABLE_SVC_NOTIFICATIONS;web1;b",
    ]
    assert lines(action="enable_alerts", host="web1", services="all") == [
        "[1700000000] ENABLE_HOST_SVC_NOTIFICATIONS;web1"
    ]
    assert lines(action="disable_alerts", host="web1", service="host") == [
        "[1700000000] DISABLE_HOST_NOTIFICATIONS;web1"
    ]


def test_downtime_and_the_rest() -> None:
    assert lines(action="downtime", host="db", services="host", minutes=60, start="1555984800") == [
        "[1700000000] SCHEDULE_HOST_DOWNTIME;db;1555984800;1555988400;1;0;3600;Ansible;"
        "Scheduling downtime"
    ]
    assert lines(action="downtime", host="db", services="httpd, nfs", comment="upgrade") == [
        f"[1700000000] SCHEDULE_SVC_DOWNTIME;db;{svc};1700000000;1700001800;1;0;1800;"
        "Ansible;upgrade"
        for svc in ("httpd", "nfs")
    ]
    assert lines(action="silence", host="db") == [
        "[1700000000] DISABLE_HOST_SVC_NOTIFICATIONS;db",
        "[1700000000] DISABLE_HOST_NOTIFICATIONS;db",
    ]
    assert lines(action="delete_downtime", host="db", services="all") == [
        "[1700000000] DEL_DOWNTIME_BY_HOST_NAME;db;;;"
    ]
    assert lines(action="acknowledge", host="db", services="host", author="me") == [
        "[1700000000] ACKNOWLEDGE_HOST_PROBLEM;db;0;1;0;me;Scheduling downtime"
    ]
    assert lines(action="forced_check", host="db", services="ssh") == [
        "[1700000000] SCHEDULE_FORCED_SVC_CHECK;db;ssh;1700000003"
    ]
    assert lines(action="command", command="DISABLE_FLAP_DETECTION") == [
        "[1700000000] DISABLE_FLAP_DETECTION"
    ]
    assert lines(action="unsilence_nagios") == ["[1700000000] ENABLE_NOTIFICATIONS"]


class Reader:
    """Stands in for Nagios: reads the FIFO, each opening, until stopped."""

    def __init__(self, fifo: Path) -> None:
        self.fifo, self.text, self.stop = fifo, "", False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self.stop:
            with open(self.fifo) as fh:
                self.text += fh.read()

    def close(self) -> None:
        if self.stop:
            return
        self.stop = True
        with open(self.fifo, "w"):  # wake the reader up
            pass
        self.thread.join(5)


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[tuple[Path, Reader]]:
    path = tmp_path / "nagios.cmd"
    os.mkfifo(path)
    reader = Reader(path)
    yield path, reader
    reader.close()


def book(tmp: Path, tasks: str) -> Path:
    path = tmp / f"site-{uuid.uuid4().hex[:6]}.yml"
    path.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}")
    return path


def test_commands_reach_the_fifo_and_check_mode_predicts_it(
    fifo: tuple[Path, Reader], tmp_path: Path
) -> None:
    path, reader = fifo
    site = book(
        tmp_path,
        f"""\
    - nagios: 'action=disable_alerts host={{{{ inventory_hostname }}}} services=webserver
        cmdfile={path}'
      register: sent
    - community.general.nagios: {{action: unsilence, host: web1, cmdfile: {path}}}
""",
    )
    checked = run(site, LOCAL, check=True)
    assert reader.text == ""
    real = run(site, LOCAL)
    assert statuses(checked) == statuses(real)
    assert [r.status for r in real.results] == ["changed", "changed"]
    sent = real.results[0].result["nagios_commands"]
    assert len(sent) == 1 and sent[0].endswith("] DISABLE_SVC_NOTIFICATIONS;localhost;webserver")
    reader.close()
    assert reader.text.splitlines() == [
        sent[0],
        *real.results[1].result["nagios_commands"],
    ]
    assert reader.text.count("ENABLE_HOST") == 2


def test_a_regular_file_is_refused_in_check_mode_too(tmp_path: Path) -> None:
    cmdfile = tmp_path / "plain.cmd"
    cmdfile.write_text("")
    site = book(tmp_path, f"    - nagios: {{action: silence_nagios, cmdfile: {cmdfile}}}\n")
    for check in (True, False):
        result = run(site, LOCAL, check=check).results[0]
        assert result.status == "failed"
        assert result.result["msg"] == f"nagios command file is not a fifo file: {cmdfile}"
    assert cmdfile.read_text() == ""
    missing = book(tmp_path, "    - nagios: {action: silence, cmdfile: /nonexistent/x}\n")
    assert run(missing, LOCAL).results[0].result["msg"] == (
        "action is silence but all of the following are missing: host"
    )
