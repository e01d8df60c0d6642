"""Pipelines over real SSH: two `pbe.run` calls at once on two fleets, the machine-readable
outputs of a run with failed and unreachable hosts, the retry file, and passwords that no
output shows at any verbosity.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import tempfile
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import playbook_engine as pbe
from playbook_engine.cli import main
from playbook_engine.events import Event, HostResult, RunEnd, RunStart, TaskEnd, TaskStart
from playbook_engine.testing.fleet import Fleet

pytestmark = pytest.mark.fleet


def pbe_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def second_fleet(fleet: Fleet) -> Iterator[Fleet]:
    """Two more sshd hosts, h01 and h02 again by name, on 127.0.0.31-32."""
    root = Path(tempfile.mkdtemp(prefix="pbe-fleet2-"))
    try:
        with Fleet(root, size=2, first_octet=31) as running:
            yield running
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_two_runs_at_once_on_two_fleets(
    fleet: Fleet, second_fleet: Fleet, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    book = tmp_path / "who.yml"
    book.write_text("""
- hosts: fleet
  gather_facts: false
  tasks:
    - name: where am I
      shell: sleep 0.3; echo "$SSH_CONNECTION" | cut -d' ' -f3
      register: server
      changed_when: false
    - name: tag
      set_fact:
        seen: "{{ run_tag }}:{{ inventory_hostname }}:{{ server.stdout }}"
    - name: report
      debug:
        msg: "{{ seen }}"
""")
    fleets = {"a": fleet, "b": second_fleet}
    results: dict[str, pbe.RunResult] = {}
    events: dict[str, list[Event]] = {"a": [], "b": []}

    def go(tag: str) -> None:
        f = fleets[tag]
        results[tag] = pbe.run(
            book,
            yaml.safe_load(f.write_inventory(tmp_path / f"{tag}.yml").read_text()),
            extra_vars={"run_tag": tag},
            known_hosts=[f.known_hosts],
            ssh_config=os.devnull,
            on_event=events[tag].append,
        )

    threads = [threading.Thread(target=go, args=(tag,)) for tag in fleets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for tag, f in fleets.items():
        result = results[tag]
        names = [h.name for h in f.hosts]
        assert result.ok, result.stats
        assert list(result.stats) == names and result.failed_hosts == []
        msgs = {r.host: r.result["msg"] for r in result.results if r.task_name == "report"}
        assert msgs == {h.name: f"{tag}:{h.name}:{h.address}" for h in f.hosts}
        assert_in_order(events[tag], names)
        streamed = [e for e in events[tag] if isinstance(e, HostResult)]
        rank = {name: n for n, name in enumerate(names)}
        assert sorted(streamed, key=lambda r: (r.play, r.task, rank[r.host])) == result.results
    assert capfd.readouterr() == ("", "")


def assert_in_order(events: list[Event], hosts: list[str]) -> None:
    assert isinstance(events[0], RunStart) and isinstance(events[-1], RunEnd)
    task: TaskStart | None = None
    for event in events:
        if isinstance(event, TaskStart):
            assert task is None and list(event.hosts) == hosts
            task = event
        elif isinstance(event, HostResult):
            assert task is not None and event.task == task.index and event.host in hosts
        elif isinstance(event, TaskEnd):
            task = None


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.29", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def troubled_inventory(fleet: Fleet, tmp_path: Path) -> Path:
    """h01-h03 of the fleet and `ghost`, a host whose port is closed."""
    inv = fleet.write_inventory(tmp_path / "inv.yml", hosts=["h01", "h02", "h03"])
    data = yaml.safe_load(inv.read_text())
    data["all"]["hosts"]["ghost"] = {
        "ansible_host": "127.0.0.29",
        "ansible_user": "pbetest",
        "ansible_port": _closed_port(),
    }
    data["all"]["children"]["fleet"]["hosts"]["ghost"] = None
    inv.write_text(yaml.safe_dump(data))
    return inv


TROUBLE = """
- name: deploy
  hosts: fleet
  gather_facts: false
  tasks:
    - name: check disk
      command: df -P /
      changed_when: false
    - name: h02 breaks
      shell: echo "disk on fire" >&2; exit 1
      when: inventory_hostname == 'h02'
    - name: finish
      command: "true"
"""


def test_jsonl_junit_and_retry_over_ssh(
    fleet: Fleet, troubled_inventory: Path, tmp_path: Path
) -> None:
    book = tmp_path / "deploy.yml"
    book.write_text(TROUBLE)
    junit, retry = tmp_path / "junit.xml", tmp_path / "deploy.retry"
    common = [
        "-i",
        str(troubled_inventory),
        "--known-hosts",
        str(fleet.known_hosts),
        "--ssh-config",
        os.devnull,
    ]
    code, out, err = pbe_cli(
        "run",
        str(book),
        *common,
        "--format",
        "jsonl",
        "--junit",
        str(junit),
        "--retry-file",
        str(retry),
    )
    assert code == 3, err
    records = [json.loads(line) for line in out.splitlines()]
    results = {
        (r["task_name"], r["host"]): r["status"] for r in records if r["event"] == "host_result"
    }
    assert results[("check disk", "ghost")] == "unreachable"
    assert results[("h02 breaks", "h02")] == "failed"
    assert results[("finish", "h03")] == "changed" and ("finish", "h02") not in results
    assert records[-1] == {**records[-1], "event": "run_end", "exit_code": 3}

    cases = {c.attrib["name"]: c for c in ET.parse(junit).getroot().iter("testcase")}
    assert cases["[ghost] check disk"].find("error") is not None
    failure = cases["[h02] h02 breaks"].find("failure")
    assert failure is not None and failure.attrib["message"] == (
        "The command exited with a non-zero return code: disk on fire"
    )
    assert cases["[h01] h02 breaks"].find("skipped") is not None
    assert list(cases["[h03] finish"]) == []

    assert retry.read_text() == "h02\nghost\n"
    code, out, _ = pbe_cli("run", str(book), *common, "--limit", f"@{retry}", "--format", "json")
    doc: dict[str, Any] = json.loads(out)
    assert code == 3 and sorted(doc["stats"]) == ["ghost", "h02"]


def test_passwords_never_shown_at_any_verbosity(fleet: Fleet, tmp_path: Path) -> None:
    inv = tmp_path / "pw.ini"
    host = fleet.host("h01")
    inv.write_text(
        f"[fleet]\nh01 ansible_host={host.address} ansible_port={host.port} "
        f"ansible_user=pbetest ansible_password={fleet.password} "
        f"ansible_become_password={fleet.password}\n"
    )
    book = tmp_path / "pw.yml"
    book.write_text("""
- hosts: fleet
  gather_facts: false
  tasks:
    - name: log in
      ping:
    - name: show the variable
      debug: var=ansible_password
    - name: use it in a command
      command: echo "{{ ansible_become_password }}"
      become: true
    - name: fail with it in the message
      fail: msg="login with {{ ansible_password }} failed"
""")
    for verbosity in ("-v", "-vv", "-vvv"):
        for fmt in ("human", "json", "jsonl"):
            log = tmp_path / "run.log"
            code, out, err = pbe_cli(
                "run",
                str(book),
                "-i",
                str(inv),
                verbosity,
                "--format",
                fmt,
                "--log",
                str(log),
                "--known-hosts",
                str(fleet.known_hosts),
                "--ssh-config",
                os.devnull,
            )
            assert code == 2, out + err
            assert "internal error" not in err
            for text in (out, err, log.read_text()):
                assert fleet.password not in text, (verbosity, fmt)
            assert "********" in out
            # -vvv adds transport detail, through the same redaction
            assert ("playbook_engine.transport.ssh: connected to" in err) == (verbosity == "-vvv")
