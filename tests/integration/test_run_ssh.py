"""Whole runs of `pbe run` against the real sshd fleet: remote effects, recap and exit codes."""

from __future__ import annotations

import io
import json
import os
import re
import socket
from pathlib import Path

import pytest
import yaml

from playbook_engine.cli import main
from playbook_engine.testing.fleet import Fleet

pytestmark = pytest.mark.fleet


def pbe(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def run(fleet: Fleet, book: Path, inventory: Path, *extra: str) -> tuple[int, str, str]:
    return pbe(
        "run",
        str(book),
        "-i",
        str(inventory),
        "--known-hosts",
        str(fleet.known_hosts),
        "--ssh-config",
        os.devnull,
        *extra,
    )


def recap(output: str) -> dict[str, dict[str, int]]:
    """Parse the PLAY RECAP lines the way a CI script would."""
    stats = {}
    for line in output.split("PLAY RECAP")[-1].splitlines():
        if " : " in line:
            host, counts = line.split(" : ")
            stats[host.strip()] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counts)}
    return stats


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.fixture
def dirs_var(host_dirs: dict[str, Path]) -> str:
    return "@" + str(
        write(
            next(iter(host_dirs.values())).parent / f"dirs-{os.getpid()}.json",
            json.dumps({"dirs": {h: str(p) for h, p in host_dirs.items()}}),
        )
    )


def test_register_template_and_when_across_five_hosts(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    book = write(
        tmp_path / "site.yml",
        """
- hosts: fleet
  gather_facts: false
  tasks:
    - name: write name
      shell: echo "{{ inventory_hostname }}-$(id -un)" > {{ dirs[inventory_hostname] }}/name
    - name: read it
      command: cat {{ dirs[inventory_hostname] }}/name
      register: name
      changed_when: false
    - name: reuse it
      shell: echo "seen {{ name.stdout }}" > {{ dirs[inventory_hostname] }}/seen
    - name: only on h03
      command: touch {{ dirs[inventory_hostname] }}/h03-only
      when: inventory_hostname == 'h03'
""",
    )
    code, out, err = run(fleet, book, fleet_inventory, "-e", dirs_var)
    assert code == 0, out + err
    for host, path in host_dirs.items():
        assert (path / "seen").read_text() == f"seen {host}-pbetest\n"
        assert (path / "h03-only").exists() == (host == "h03")
    stats = recap(out)
    assert stats["h03"] == {
        "ok": 4,
        "changed": 3,
        "unreachable": 0,
        "failed": 0,
        "skipped": 0,
        "rescued": 0,
        "ignored": 0,
    }
    assert stats["h01"]["skipped"] == 1 and stats["h01"]["changed"] == 2
    assert "skipping: [h01]" in out and "changed: [h03]" in out


def test_failed_when_and_ignore_errors(fleet: Fleet, fleet_inventory: Path, tmp_path: Path) -> None:
    book = write(
        tmp_path / "fw.yml",
        """
- hosts: h01,h02
  gather_facts: false
  tasks:
    - name: grep finds nothing
      shell: echo abc | grep -c xyz
      register: g
      failed_when: g.rc not in [0, 1]
    - name: really fails
      command: ls /nonexistent-path
      ignore_errors: true
    - name: still running
      command: echo "rc was {{ g.rc }} count {{ g.stdout }}"
      register: after
    - assert:
        that: after.stdout == 'rc was 1 count 0'
""",
    )
    code, out, _ = run(fleet, book, fleet_inventory)
    assert code == 0, out
    stats = recap(out)
    assert stats["h02"] == {
        "ok": 4,
        "changed": 3,
        "unreachable": 0,
        "failed": 0,
        "skipped": 0,
        "rescued": 0,
        "ignored": 1,
    }
    assert "...ignoring" in out and "No such file or directory" in out


def test_one_host_fails_others_finish_exit_2(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    book = write(
        tmp_path / "fail.yml",
        """
- hosts: fleet
  gather_facts: false
  tasks:
    - command: "{{ 'false' if inventory_hostname == 'h02' else 'true' }}"
    - command: touch {{ dirs[inventory_hostname] }}/done
""",
    )
    code, out, _ = run(fleet, book, fleet_inventory, "-e", dirs_var)
    assert code == 2
    done = sorted(h for h, p in host_dirs.items() if (p / "done").exists())
    assert done == ["h01", "h03", "h04", "h05"]
    assert recap(out)["h02"]["failed"] == 1
    assert "fatal: [h02]: FAILED!" in out


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.19", 0))
        return int(s.getsockname()[1])


def test_unreachable_host_exit_3_others_finish(
    fleet: Fleet, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    inv = fleet.write_inventory(tmp_path / "inv.yml")
    data = yaml.safe_load(inv.read_text())
    data["all"]["hosts"]["ghost"] = {
        "ansible_host": "127.0.0.19",
        "ansible_port": _closed_port(),
        "ansible_user": "pbetest",
    }
    data["all"]["children"]["fleet"]["hosts"]["ghost"] = None
    inv.write_text(yaml.safe_dump(data))
    book = write(
        tmp_path / "u.yml",
        """
- hosts: fleet
  gather_facts: false
  tasks:
    - command: touch {{ dirs[inventory_hostname] | default('/tmp/never') }}/one
    - command: touch {{ dirs[inventory_hostname] | default('/tmp/never') }}/two
""",
    )
    code, out, _ = run(fleet, book, inv, "-e", dirs_var)
    assert code == 3
    assert all((p / "two").exists() for p in host_dirs.values())
    stats = recap(out)
    assert stats["ghost"]["unreachable"] == 1 and stats["ghost"]["ok"] == 0
    assert stats["h05"]["changed"] == 2
    assert "fatal: [ghost]: UNREACHABLE!" in out and "refused" in out


def test_unreachable_and_failed_together_is_3(fleet: Fleet, tmp_path: Path) -> None:
    inv = fleet.write_inventory(tmp_path / "inv.yml", hosts=["h01", "h02"])
    data = yaml.safe_load(inv.read_text())
    data["all"]["hosts"]["h02"]["ansible_port"] = _closed_port()
    data["all"]["hosts"]["h02"]["ansible_host"] = "127.0.0.19"
    inv.write_text(yaml.safe_dump(data))
    book = write(
        tmp_path / "b.yml",
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: 'false'\n",
    )
    code, out, _ = run(fleet, book, inv)
    assert code == 3
    assert recap(out)["h01"]["failed"] == 1 and recap(out)["h02"]["unreachable"] == 1


def test_wrong_host_key_is_refused_by_default(
    fleet: Fleet, fleet_inventory: Path, tmp_path: Path
) -> None:
    lines = fleet.known_hosts.read_text().splitlines()
    h01 = fleet.host("h01").known_hosts_name
    h02_key = next(
        ln.split(" ", 1)[1]
        for ln in lines
        if ln.startswith(fleet.host("h02").known_hosts_name + " ")
    )
    bad = [ln for ln in lines if not ln.startswith(h01 + " ")] + [f"{h01} {h02_key}"]
    known = write(tmp_path / "known_hosts", "\n".join(bad) + "\n")
    book = write(
        tmp_path / "p.yml", "- hosts: h01,h02\n  gather_facts: false\n  tasks:\n    - ping:\n"
    )
    code, out, _ = pbe(
        "run",
        str(book),
        "-i",
        str(fleet_inventory),
        "--known-hosts",
        str(known),
        "--ssh-config",
        os.devnull,
    )
    assert code == 3
    stats = recap(out)
    assert stats["h01"]["unreachable"] == 1 and stats["h02"]["ok"] == 1
    assert "fatal: [h01]: UNREACHABLE!" in out and "MISMATCH" in out.upper()


def test_unknown_host_key_refused_then_accept_new(
    fleet: Fleet, fleet_inventory: Path, tmp_path: Path
) -> None:
    known = write(tmp_path / "empty_known_hosts", "")
    book = write(tmp_path / "p.yml", "- hosts: h01\n  gather_facts: false\n  tasks:\n    - ping:\n")
    base = (
        "run",
        str(book),
        "-i",
        str(fleet_inventory),
        "--known-hosts",
        str(known),
        "--ssh-config",
        os.devnull,
    )
    code, out, _ = pbe(*base)
    assert code == 3 and "known_hosts" in out
    code, out, _ = pbe(*base, "--host-key-checking", "accept-new")
    assert code == 0, out
    assert fleet.host("h01").known_hosts_name in known.read_text()
    code, _, _ = pbe(*base)
    assert code == 0


def test_password_auth(fleet: Fleet, tmp_path: Path) -> None:
    h = fleet.host("h04")
    inv = write(
        tmp_path / "pw.ini",
        f"[pw]\nh04 ansible_host={h.address} ansible_port={h.port} "
        f"ansible_user=pbetest ansible_password={fleet.password}\n",
    )
    book = write(
        tmp_path / "p.yml",
        "- hosts: pw\n  gather_facts: false\n  tasks:\n"
        "    - command: id -un\n      register: me\n"
        "    - assert: {that: me.stdout == 'pbetest'}\n",
    )
    code, out, _ = run(fleet, book, inv)
    assert code == 0, out
    assert recap(out)["h04"]["ok"] == 2


def test_wrong_password_is_unreachable(fleet: Fleet, tmp_path: Path) -> None:
    h = fleet.host("h04")
    inv = write(
        tmp_path / "pw.ini",
        f"h04 ansible_host={h.address} ansible_port={h.port} "
        f"ansible_user=pbetest ansible_password=wrong\n",
    )
    book = write(tmp_path / "p.yml", "- hosts: all\n  gather_facts: false\n  tasks:\n    - ping:\n")
    code, out, _ = run(fleet, book, inv)
    assert code == 3
    assert "authentication failed" in out.lower()


def test_check_mode_leaves_hosts_untouched(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    book = write(
        tmp_path / "c.yml",
        """
- hosts: fleet
  gather_facts: true
  tasks:
    - command: touch {{ dirs[inventory_hostname] }}/cmd
    - shell: echo x > {{ dirs[inventory_hostname] }}/shell
    - raw: touch {{ dirs[inventory_hostname] }}/raw
    - command: touch {{ dirs[inventory_hostname] }}/guarded
      args:
        creates: "{{ dirs[inventory_hostname] }}"
""",
    )
    code, out, _ = run(fleet, book, fleet_inventory, "-e", dirs_var, "--check")
    assert code == 0, out
    assert all(list(p.iterdir()) == [] for p in host_dirs.values())
    stats = recap(out)
    assert stats["h01"] == {
        "ok": 2,
        "changed": 0,
        "unreachable": 0,
        "failed": 0,
        "skipped": 3,
        "rescued": 0,
        "ignored": 0,
    }


def test_become_root_with_sudo(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    book = write(
        tmp_path / "b.yml",
        """
- hosts: h01
  gather_facts: false
  tasks:
    - command: id -u
      become: true
      register: root_id
    - command: id -un
      register: plain
    - shell: touch {{ dirs.h01 }}/by-root
      become: yes
""",
    )
    code, out, _ = run(fleet, book, fleet_inventory, "-e", dirs_var, "-v")
    assert code == 0, out
    assert (host_dirs["h01"] / "by-root").stat().st_uid == 0
    assert '"stdout": "0"' in out and '"stdout": "pbetest"' in out


def test_json_output_over_ssh(fleet: Fleet, fleet_inventory: Path, tmp_path: Path) -> None:
    book = write(
        tmp_path / "j.yml",
        "- hosts: fleet\n  gather_facts: false\n  tasks:\n"
        "    - name: hostname\n"
        "      command: echo {{ inventory_hostname }}\n",
    )
    code, out, err = run(fleet, book, fleet_inventory, "--format", "json")
    doc = json.loads(out)
    assert code == 0 and err == ""
    hosts = doc["plays"][0]["tasks"][0]["hosts"]
    assert {h: r["result"]["stdout"] for h, r in hosts.items()} == {
        f"h0{i}": f"h0{i}" for i in range(1, 6)
    }
    assert doc["stats"]["h05"]["changed"] == 1


def test_become_with_a_password_sudo_asks_for(
    fleet: Fleet, fleet_inventory: Path, tmp_path: Path
) -> None:
    """sudo to `nobody` needs pbetest's password: fed on stdin, never shown, never hanging."""
    book = write(
        tmp_path / "bp.yml",
        """
- hosts: h02
  gather_facts: false
  tasks:
    - command: id -un
      become: true
      become_user: nobody
      register: who
    - assert: {that: "who.stdout == 'nobody'"}
    - name: stdin still reaches the command
      shell: cat
      args: {stdin: "kept"}
      become: true
      become_user: nobody
      register: cat
    - assert: {that: "cat.stdout == 'kept'"}
""",
    )
    code, out, err = run(
        fleet, book, fleet_inventory, "-e", f"ansible_become_password={fleet.password}", "-vv"
    )
    assert code == 0, out + err
    assert fleet.password not in out + err
    code, out, _ = run(fleet, book, fleet_inventory, "-e", "ansible_become_password=wrong")
    assert code == 2
    assert "fatal: [h02]: FAILED!" in out and fleet.password not in out


def test_a_tasks_remote_user_logs_in_as_that_user(fleet: Fleet, tmp_path: Path) -> None:
    """``remote_user`` on a task (or a block) is who pbe logs in as, when no
    ``ansible_user`` says otherwise (variables win, as in Ansible); the play's applies to
    the other tasks."""
    inventory = fleet.write_inventory(tmp_path / "inv.yml", hosts=["h01"])
    data = yaml.safe_load(inventory.read_text())
    for host in data["all"]["hosts"].values():
        del host["ansible_user"]
    inventory.write_text(yaml.safe_dump(data))
    book = tmp_path / "site.yml"
    book.write_text(
        f"""
- hosts: h01
  gather_facts: false
  remote_user: pbe-nobody-here
  tasks:
    - name: as the task says
      command: id -un
      remote_user: {fleet.user}
    - block:
        - name: as the block says
          command: id -un
      remote_user: {fleet.user}
    - name: as the play says
      command: id -un
""",
    )
    code, out, err = run(fleet, book, inventory, "--format", "json")
    got = {t["name"]: t["hosts"] for p in json.loads(out)["plays"] for t in p["tasks"]}
    assert got["as the task says"]["h01"]["result"]["stdout"] == fleet.user
    assert got["as the block says"]["h01"]["result"]["stdout"] == fleet.user
    assert got["as the play says"]["h01"]["status"] == "unreachable"
    assert code == 3, err
