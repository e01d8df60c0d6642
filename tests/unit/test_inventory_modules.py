"""The engine-side modules: add_host, group_by (and meta refresh_inventory), pause,
wait_for_connection and reboot's refusals, run for real on the local connection."""

from __future__ import annotations

import socket
from pathlib import Path

import playbook_engine as pbe

LOCAL = {"ansible_connection": "local"}
INVENTORY = {
    "all": {"hosts": {"a": {"os": "deb"}, "b": {"os": "rh"}, "c": {"os": "deb"}}, "vars": LOCAL}
}


def write(base: Path, text: str) -> Path:
    path = base / "site.yml"
    path.write_text(text)
    return path


def statuses(result: pbe.RunResult, action: str) -> list[tuple[str, str]]:
    return [(r.host, r.status) for r in result.results if r.action == action]


def msgs(result: pbe.RunResult) -> list[tuple[str, str]]:
    return [
        (r.host, str(r.result.get("msg")))
        for r in result.results
        if r.action == "debug" and r.status == "ok"
    ]


def test_add_host_takes_its_arguments_from_one_template_of_a_mapping(tmp_path: Path) -> None:
    """Ansible's add_host action renders `add_host: "{{ data }}"` to its arguments."""
    site = write(
        tmp_path,
        (
            "- hosts: a\n  gather_facts: false\n"
            "  vars: {data: {hostname: dyn, groups: [g], port_of: '{{ 40 + 2 }}'}}\n"
            "  tasks:\n"
            '    - add_host: "{{ data }}"\n'
            "    - debug: msg='{{ groups.g }} {{ hostvars.dyn.port_of }}'\n"
            '    - add_host: "{{ data.hostname }}"\n      ignore_errors: true\n'
        ),
    )
    assert [p for p in pbe.validate(site) if p.severity == "error"] == []
    result = pbe.run(site, INVENTORY)
    assert statuses(result, "add_host") == [("a", "changed"), ("a", "failed")]
    assert msgs(result) == [("a", "['dyn'] 42")]
    assert result.results[-1].message == "add_host: its arguments must be a mapping, got str"


def test_add_host_adds_a_host_its_groups_port_and_vars_for_later_plays(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        (
            "- hosts: all\n  gather_facts: false\n  tasks:\n"
            "    - add_host: name=new1:2222 groups=g1,g2 role=db ansible_connection=local\n"
            "      register: added\n"
            "    - add_host: {hostname: new1, group: g1}\n      register: again\n"
            "    - add_host: {name: 'new{{ item }}', groups: [g3], ansible_connection: local}\n"
            "      loop: [2, 2]\n"
            "    - debug: msg='{{ added.add_host }} {{ again.changed }} {{ groups.g1 }} "
            "{{ groups.g3 }} {{ hostvars.new1.ansible_ssh_port }}'\n"
            "      when: added is defined\n"
            "- hosts: g1:g3\n  gather_facts: false\n  tasks:\n"
            "    - debug: msg='{{ role | default(\"-\") }} {{ group_names }}'\n"
        ),
    )
    result = pbe.run(site, INVENTORY)
    assert result.exit_code == 0
    # once per batch, on the first host; a host or group that is new is a change
    assert statuses(result, "add_host") == [("a", "changed"), ("a", "ok"), ("a", "changed")]
    items = [r.items for r in result.results if r.action == "add_host"][2]
    assert [i["changed"] for i in items] == [True, False]
    assert msgs(result)[0] == (
        "a",
        "{'host_name': 'new1', 'groups': ['g1', 'g2'], 'host_vars': {'role': 'db', "
        "'ansible_connection': 'local', 'ansible_ssh_port': 2222}} False ['new1'] "
        "['new2'] 2222",
    )
    assert sorted(msgs(result)[1:]) == [("new1", "db ['g1', 'g2']"), ("new2", "- ['g3']")]
    assert result.stats["new1"]["ok"] == 1 and "b" in result.stats


def test_add_host_result_is_registered_only_on_the_host_that_ran_it(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        (
            "- hosts: all\n  gather_facts: false\n  tasks:\n"
            "    - add_host: name=x\n      register: r\n"
            "    - debug: msg='{{ r is defined }}'\n"
        ),
    )
    result = pbe.run(site, INVENTORY)
    assert msgs(result) == [("a", "True"), ("b", "False"), ("c", "False")]
    assert {h: s["changed"] for h, s in result.stats.items() if h in "abc"} == {
        "a": 1,
        "b": 0,
        "c": 0,
    }


def test_group_by_groups_each_host_by_its_variables(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        (
            "- hosts: all\n  gather_facts: false\n  tasks:\n"
            "    - group_by: key='os_{{ os }}' parents=linux\n      register: g\n"
            "    - group_by: key='os_{{ os }}'\n      register: again\n"
            "    - group_by: key='os_{{ os }}' parents=new_parent\n"
            "    - group_by: key='has space'\n"
            "- hosts: os_deb\n  gather_facts: false\n  tasks:\n"
            "    - debug: msg='{{ group_names }} {{ groups.linux }} {{ groups[\"has-space\"] }}'\n"
        ),
    )
    result = pbe.run(site, INVENTORY)
    assert result.exit_code == 0
    # as ansible-core 2.21 reports it: putting a group under a parent (`all` by default,
    # then new_parent) is a change, for the first host of each group only
    assert statuses(result, "group_by")[:9] == [
        ("a", "changed"),
        ("b", "changed"),
        ("c", "changed"),
        *[("a", "changed"), ("b", "changed"), ("c", "ok")] * 2,
    ]
    first = next(r for r in result.results if r.action == "group_by")
    assert (first.result["add_group"], first.result["parent_groups"]) == ("os_deb", ["linux"])
    assert sorted(msgs(result)) == [
        ("a", "['has-space', 'linux', 'new_parent', 'os_deb'] ['a', 'c', 'b'] ['a', 'b', 'c']"),
        ("c", "['has-space', 'linux', 'new_parent', 'os_deb'] ['a', 'c', 'b'] ['a', 'b', 'c']"),
    ]


def test_refresh_inventory_keeps_run_time_hosts_and_drops_removed_ones(tmp_path: Path) -> None:
    """As Ansible: hosts and groups added at run time (add_host, group_by) survive a
    refresh; a host the sources no longer list leaves the play quietly (no failure), and
    group_by's groups forget it."""
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    a:\n    b:\n  vars: {ansible_connection: local}\n")
    new = tmp_path / "new.yml"
    new.write_text("all:\n  hosts:\n    a:\n  vars: {ansible_connection: local}\n")
    site = write(
        tmp_path,
        (
            "- hosts: all\n  gather_facts: false\n  tasks:\n"
            "    - add_host: name=extra groups=more\n"
            "    - group_by: key=seen\n"
            f"    - copy: src={new} dest={inventory}\n"
            "      delegate_to: localhost\n      run_once: true\n"
            "    - meta: refresh_inventory\n"
            "    - debug: msg='{{ groups.all }} {{ groups.more }} {{ groups.seen }}'\n"
        ),
    )
    result = pbe.run(site, inventory)
    assert msgs(result) == [("a", "['a', 'extra'] ['extra'] ['a']")]
    assert result.exit_code == 0
    assert result.stats["b"]["failed"] == 0


def test_end_play_ends_the_later_serial_batches_too(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        (
            "- hosts: all\n  gather_facts: false\n  serial: 1\n  tasks:\n"
            "    - debug: msg=before\n"
            "    - meta: end_play\n      when: inventory_hostname == 'a'\n"
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg=next-play\n"
        ),
    )
    assert msgs(pbe.run(site, INVENTORY)) == [
        ("a", "before"),
        ("a", "next-play"),
        ("b", "next-play"),
        ("c", "next-play"),
    ]


def test_pause_runs_once_per_batch_and_returns_its_timing(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        (
            "- hosts: all\n  gather_facts: false\n  tasks:\n"
            "    - pause: seconds=0\n      register: p\n"
            "    - pause: {prompt: 'Press enter'}\n      register: asked\n"
            "    - debug: msg='{{ p.stdout }}|{{ p.delta }}|{{ asked.user_input }}|"
            "{{ asked.echo }}'\n      when: p is defined\n"
        ),
    )
    result = pbe.run(site, INVENTORY, check=True)  # pause runs in check mode too
    assert statuses(result, "pause") == [("a", "ok"), ("a", "ok")]
    [(host, msg)] = msgs(result)
    assert host == "a"
    stdout, delta, answer, echo = msg.split("|")
    assert stdout.startswith("Paused for 0.") and stdout.endswith(" seconds")
    assert (delta, answer, echo) == ("0", "", "True")  # no terminal: no wait, no answer


def test_pause_arguments_are_checked(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        (
            "- hosts: a\n  gather_facts: false\n  tasks:\n"
            "    - pause: seconds=1 minutes=1\n"
            "    - pause: seconds=-1\n"
        ),
    )
    errors = [p.message for p in pbe.validate(site) if p.severity == "error"]
    assert errors == ["pause: arguments are mutually exclusive: seconds, minutes"]
    write(tmp_path, "- hosts: a\n  gather_facts: false\n  tasks:\n    - pause: seconds=-1\n")
    result = pbe.run(tmp_path / "site.yml", INVENTORY)
    assert result.results[0].result["msg"] == "pause needs a duration of zero or more"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_wait_for_connection_waits_and_times_out(tmp_path: Path) -> None:
    inventory = {
        "all": {
            "hosts": {
                "up": LOCAL,
                "down": {
                    "ansible_host": "127.0.0.1",
                    "ansible_port": _closed_port(),
                    "ansible_user": "nobody",
                },
            }
        }
    }
    site = write(
        tmp_path,
        (
            "- hosts: all\n  gather_facts: false\n  tasks:\n"
            "    - wait_for_connection: {timeout: 2, connect_timeout: 1, sleep: 1}\n"
            "      register: w\n"
        ),
    )
    result = pbe.run(site, inventory)
    by_host = {r.host: r for r in result.results}
    assert (by_host["up"].status, by_host["up"].result["elapsed"]) == ("ok", 0)
    assert by_host["down"].status == "failed"  # failed, not unreachable, as Ansible
    assert by_host["down"].result["msg"].startswith("timed out waiting for connection after 2 s: ")
    assert "refused" in by_host["down"].result["msg"].lower()
    checked = pbe.run(site, inventory, check=True)
    assert {r.host: r.status for r in checked.results} == {"up": "skipped", "down": "skipped"}


def test_reboot_refuses_the_local_connection(tmp_path: Path) -> None:
    marker = tmp_path / "rebooted"
    site = write(
        tmp_path,
        (
            "- hosts: a\n  gather_facts: false\n  tasks:\n"
            f"    - reboot: {{reboot_command: 'touch {marker}'}}\n"
        ),
    )
    for check in (False, True):
        result = pbe.run(site, INVENTORY, check=check)
        assert result.results[0].status == "failed"
        assert "would reboot the controller" in result.results[0].result["msg"]
    assert not marker.exists()
