"""Check mode over the local connection: values computed from *predicted* state must not
steer a task that acts on the real host, and commands with ``creates``/``removes`` and
writes into directories an earlier task would create are predicted as Ansible does. The
check run's statuses are compared with a real run's (the parity promise)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import playbook_engine as pbe

INVENTORY = {"all": {"hosts": {"a": None}, "vars": {"ansible_connection": "local"}}}


def book(tmp_path: Path, tasks: str) -> Path:
    body = "\n".join("    " + line for line in tasks.strip("\n").splitlines())
    path = tmp_path / "site.yml"
    path.write_text(
        f"- hosts: all\n  gather_facts: false\n  vars:\n    d: {tmp_path / 'w'}\n  tasks:\n{body}\n"
    )
    (tmp_path / "w").mkdir(exist_ok=True)
    return path


def statuses(result: pbe.RunResult) -> dict[str, str]:
    return {r.task_name: r.status for r in result.results}


def result_of(result: pbe.RunResult, task: str) -> dict[str, Any]:
    return next(r.result for r in result.results if r.task_name == task)


PREDICTED = """
- name: create
  copy: {dest: "{{ d }}/conf", content: "x\\n"}
- name: look
  stat: {path: "{{ d }}/conf"}
  register: st
- name: derive
  set_fact: {has_conf: "{{ st.stat.exists }}"}
- name: act on the predicted stat
  command: cat {{ d }}/conf
  when: st.stat.exists
  check_mode: false
- name: act on a fact set from it
  command: cat {{ d }}/conf
  when: has_conf
  check_mode: false
- name: predicted value in the arguments
  command: echo {{ st.stat.size }}
  check_mode: false
- name: predicted value in a loop
  command: echo {{ item }}
  loop: "{{ [st.stat.size] }}"
  check_mode: false
- name: checked tasks read predictions
  debug: {msg: "size {{ st.stat.size }}"}
- name: controller tasks too
  debug: {msg: "size {{ st.stat.size }}"}
  check_mode: false
- name: a real task reading no prediction
  command: echo independent
  check_mode: false
  changed_when: false
  register: indep
- name: its result
  debug: {msg: "{{ indep.stdout }}"}
- name: predicted false condition
  command: cat {{ d }}/conf
  when: not st.stat.exists
  check_mode: false
"""


def test_a_task_acting_on_the_real_host_never_acts_on_a_prediction(tmp_path: Path) -> None:
    playbook = book(tmp_path, PREDICTED)
    check = pbe.run(playbook, INVENTORY, check=True)
    assert check.exit_code == 0 and not (tmp_path / "w" / "conf").exists()
    unpredictable = [
        "act on the predicted stat",
        "act on a fact set from it",
        "predicted value in the arguments",
        "predicted value in a loop",
    ]
    assert statuses(check) == {
        "create": "changed",
        "look": "ok",
        "derive": "ok",
        **dict.fromkeys(unpredictable, "unpredictable"),
        "checked tasks read predictions": "ok",
        "controller tasks too": "ok",
        "a real task reading no prediction": "ok",
        "its result": "ok",
        "predicted false condition": "skipped",
    }
    assert result_of(check, "checked tasks read predictions")["msg"] == "size 2"
    assert result_of(check, "its result")["msg"] == "independent"
    why = result_of(check, "act on the predicted stat")["msg"]
    assert why.startswith(
        "unpredictable in check mode: this task reads `st`, computed from "
        "what check mode predicts, not from the host's real state"
    )
    assert "`has_conf`" in result_of(check, "act on a fact set from it")["msg"]
    assert check.stats["a"]["failed"] == 0 and check.stats["a"]["unpredictable"] == 4
    real = pbe.run(playbook, INVENTORY)
    assert real.exit_code == 0
    assert {t: s for t, s in statuses(real).items() if t not in unpredictable} == {
        t: s for t, s in statuses(check).items() if t not in unpredictable
    }
    assert [statuses(real)[t] for t in unpredictable] == ["changed"] * 4


def test_commands_with_creates_or_removes_are_predicted_changed(tmp_path: Path) -> None:
    (tmp_path / "w" / "present").parent.mkdir()
    (tmp_path / "w" / "present").write_text("")
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "make.sh").write_text('#!/bin/sh\ntouch "$1"\n')
    playbook = book(
        tmp_path,
        """
- name: creates, absent
  command: touch {{ d }}/made
  args: {creates: "{{ d }}/made"}
  register: made
- name: removes, present
  shell: rm {{ d }}/present
  args: {removes: "{{ d }}/present"}
- name: creates what the first one creates
  command: touch {{ d }}/other
  args: {creates: "{{ d }}/made"}
- name: script with creates
  script: make.sh {{ d }}/scripted
  args: {creates: "{{ d }}/scripted"}
- name: reads the command's output
  debug: {msg: "{{ made.rc }}"}
""",
    )
    check = pbe.run(playbook, INVENTORY, check=True)
    assert check.exit_code == 0
    assert sorted(p.name for p in (tmp_path / "w").iterdir()) == ["present"]
    assert statuses(check) == {
        "creates, absent": "changed",
        "removes, present": "changed",
        "creates what the first one creates": "ok",
        "script with creates": "changed",
        "reads the command's output": "unpredictable",
    }
    would = result_of(check, "creates, absent")
    assert would["msg"] == "Command would have run if not in check mode" and would["rc"] == 0
    assert (
        result_of(check, "script with creates")["msg"]
        == "Script would have run if not in check mode"
    )
    real = pbe.run(playbook, INVENTORY)
    assert real.exit_code == 0
    assert statuses(real) == {**statuses(check), "reads the command's output": "ok"}
    assert sorted(p.name for p in (tmp_path / "w").iterdir()) == ["made", "scripted"]


def test_what_a_command_creates_is_known_to_exist_and_nothing_more(tmp_path: Path) -> None:
    playbook = book(
        tmp_path,
        """
- command: touch {{ d }}/made
  args: {creates: "{{ d }}/made"}
- name: removes it
  command: rm {{ d }}/made
  args: {removes: "{{ d }}/made"}
- name: gone
  file: {path: "{{ d }}/made", state: absent}
- name: creates it again
  command: touch {{ d }}/made
  args: {creates: "{{ d }}/made"}
- name: its state is unknown
  stat: {path: "{{ d }}/made"}
  register: made
- name: reads it
  debug: {msg: "{{ made.stat.exists }}"}
""",
    )
    check = pbe.run(playbook, INVENTORY, check=True)
    assert statuses(check) == {
        "command": "changed",
        "removes it": "changed",
        "gone": "ok",
        "creates it again": "changed",
        "its state is unknown": "ok",
        "reads it": "unpredictable",
    }
    real = pbe.run(playbook, INVENTORY)
    assert statuses(real) == {**statuses(check), "reads it": "ok"}
    assert result_of(real, "reads it")["msg"] is True


WRITES = """
- name: a command makes the directory
  command: mkdir -p {{ d }}/made/deeper
  args: {creates: "{{ d }}/made/deeper"}
- name: template into it
  template: {src: t.j2, dest: "{{ d }}/made/deeper/t.conf", mode: "0640"}
- name: copy into it
  copy: {content: "x\\n", dest: "{{ d }}/made/c.conf"}
- name: file makes a directory
  file: {path: "{{ d }}/dir/sub", state: directory}
- name: template into that
  template: {src: t.j2, dest: "{{ d }}/dir/sub/t.conf"}
- name: again, unchanged
  template: {src: t.j2, dest: "{{ d }}/dir/sub/t.conf"}
"""


def test_writes_into_a_directory_an_earlier_task_would_create(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "t.j2").write_text("host {{ inventory_hostname }}\n")
    playbook = book(tmp_path, WRITES)
    check = pbe.run(playbook, INVENTORY, check=True)
    assert check.exit_code == 0, check.results
    assert list((tmp_path / "w").iterdir()) == []
    expected = dict.fromkeys(
        [
            "a command makes the directory",
            "template into it",
            "copy into it",
            "file makes a directory",
            "template into that",
        ],
        "changed",
    )
    assert statuses(check) == {**expected, "again, unchanged": "ok"}
    assert result_of(check, "template into it")["mode"] == "0640"
    real = pbe.run(playbook, INVENTORY)
    assert real.exit_code == 0 and statuses(real) == statuses(check)
    assert (tmp_path / "w/made/deeper/t.conf").read_text() == "host a\n"
    again = pbe.run(playbook, INVENTORY, check=True)
    assert set(statuses(again).values()) == {"ok"}


def test_a_write_into_a_directory_nothing_creates_fails_in_both_runs(tmp_path: Path) -> None:
    playbook = book(
        tmp_path,
        """
- name: nowhere
  copy: {content: "x\\n", dest: "{{ d }}/missing/c.conf"}
""",
    )
    for check in (True, False):
        run = pbe.run(playbook, INVENTORY, check=check)
        assert statuses(run) == {"nowhere": "failed"}
        assert "Destination directory" in result_of(run, "nowhere")["msg"]


def test_printing_a_result_check_mode_could_not_know_is_unpredictable(tmp_path: Path) -> None:
    """debug var= of a skipped command's register crashed the console sink (the unknown
    value was put into the result and raised when printed)."""
    path = book(
        tmp_path,
        """
- command: echo hi
  register: out
- name: show
  debug: {var: out}
- name: show a field
  debug: {var: out.stdout}
""",
    )
    result = pbe.run(path, INVENTORY, check=True)
    assert statuses(result) == {
        "command": "skipped",
        "show": "unpredictable",
        "show a field": "unpredictable",
    }
    hosts = tmp_path / "hosts"
    hosts.write_text("a ansible_connection=local\n")
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "playbook_engine",
            "run",
            "--check",
            "-v",
            str(path),
            "-i",
            str(hosts),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stderr
    assert "sink failed" not in cli.stderr and cli.stdout.count("unpredictable: [a]") == 2


def test_stat_mime_of_a_file_whose_bytes_a_check_run_knows_unchanged(tmp_path: Path) -> None:
    """A hard link's mode change keeps the bytes: stat's mime comes from the host's file,
    and the registered result stays predictable (it was all unknown)."""
    path = book(
        tmp_path,
        """
- copy: {dest: "{{ d }}/orig", content: "text\\n"}
  check_mode: false
- file: {path: "{{ d }}/other", src: "{{ d }}/orig", state: hard, mode: "0600"}
- name: look
  stat: {path: "{{ d }}/orig"}
  register: st
- name: check
  assert: {that: "st.stat.nlink == 2 and st.stat.mode == '0600'"}
""",
    )
    check = pbe.run(path, INVENTORY, check=True)
    assert statuses(check)["check"] == "ok"
    stat = result_of(check, "look")["stat"]
    assert (stat["nlink"], stat["mode"]) == (2, "0600")
    real = pbe.run(path, INVENTORY)
    assert statuses(real)["check"] == "ok"
    assert result_of(real, "look")["stat"]["mimetype"] == stat["mimetype"]


def test_writes_after_a_change_check_mode_cannot_follow_are_predicted(tmp_path: Path) -> None:
    """A module whose changes are not file predictions (a clone here; a package that brings
    /etc/app/ in real roles) may create the directory a later task writes into: check mode
    predicts that write changed, as the real run does, instead of failing it."""
    src = tmp_path / "src"
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(src)]
    subprocess.run(["git", "init", "-q", str(src)], check=True)
    (src / "README").write_text("r\n")
    subprocess.run([*git, "add", "README"], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    playbook = book(
        tmp_path,
        f"""
- name: clone
  git: {{repo: "file://{src}", dest: "{{{{ d }}}}/clone"}}
- name: write into the clone
  copy: {{content: "x\\n", dest: "{{{{ d }}}}/clone/app.conf"}}
""",
    )
    check = pbe.run(playbook, INVENTORY, check=True)
    assert statuses(check) == {"clone": "changed", "write into the clone": "changed"}
    assert list((tmp_path / "w").iterdir()) == []
    real = pbe.run(playbook, INVENTORY)
    assert statuses(real) == statuses(check)
    assert (tmp_path / "w/clone/app.conf").read_text() == "x\n"
    assert (tmp_path / "w/clone/README").read_text() == "r\n"


def test_a_service_an_earlier_task_may_install_fails_as_in_ansible_and_says_why(
    tmp_path: Path,
) -> None:
    """A service that is missing while an earlier task of the check run did something
    check mode cannot follow (a package install, a command) may be there in the real run.
    The check run fails there as Ansible's does (same status, the host stops), and its
    message says that the real run may find the service."""
    missing = "pbe-no-such-service-4711"
    alone = pbe.run(
        book(tmp_path, f"- name: svc\n  service: {{name: {missing}, state: started}}"),
        INVENTORY,
        check=True,
    )
    assert statuses(alone) == {"svc": "failed"}
    assert "Could not find the requested service" in result_of(alone, "svc")["msg"]
    after = pbe.run(
        book(
            tmp_path,
            f"""
- name: installs it, say
  command: /bin/true
- name: svc
  service: {{name: {missing}, state: started}}
""",
        ),
        INVENTORY,
        check=True,
    )
    assert statuses(after) == {"installs it, say": "skipped", "svc": "failed"}
    assert result_of(after, "svc")["msg"] == (
        f"Could not find the requested service {missing}: host (check mode: it may come with "
        "a command check mode did not run; the real run may find it)"
    )


def test_a_command_whose_chdir_is_missing_fails_the_check_run_as_in_ansible(
    tmp_path: Path,
) -> None:
    """Ansible's command changes into ``chdir`` first, check mode too: a directory missing
    on the host fails there. Where an earlier task of the run would create it, the check
    run still fails (Ansible's status) and its message says the real run may not."""
    site = book(
        tmp_path,
        """
- name: make
  file: {path: "{{ d }}/keys", state: directory}
- name: gen
  command: touch key
  args: {chdir: "{{ d }}/keys", creates: key}
""",
    )
    check = pbe.run(site, INVENTORY, check=True)
    assert statuses(check) == {"make": "changed", "gen": "failed"}
    assert result_of(check, "gen")["msg"] == (
        "Unable to change directory before execution. (check mode: an earlier task of this "
        "run would create it; the real run may not fail)"
    )
    assert not (tmp_path / "w/keys").exists()
    real = pbe.run(site, INVENTORY)
    assert statuses(real) == {"make": "changed", "gen": "changed"}
    assert (tmp_path / "w/keys/key").exists()
    again = pbe.run(site, INVENTORY, check=True)
    assert statuses(again) == {"make": "ok", "gen": "ok"}


def test_in_a_real_run_a_check_mode_task_sees_the_host_as_it_is(tmp_path: Path) -> None:
    """Ansible's group target: `check_mode: true` tasks of a real run, with real tasks
    between them. The second check task must see the file the real task wrote, not what
    the first check task predicted (absent)."""
    target = tmp_path / "f"
    target.write_text("old")
    playbook = tmp_path / "site.yml"
    playbook.write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        f"    - {{file: {{path: '{target}', state: absent}}, check_mode: true}}\n"
        f"    - copy: {{content: new, dest: '{target}'}}\n"
        f"    - {{stat: {{path: '{target}'}}, check_mode: true, register: st}}\n"
        f"    - {{file: {{path: '{target}', state: absent}}, check_mode: true, register: again}}\n"
        '    - debug: msg="{{ st.stat.exists }} {{ again.changed }}"\n'
    )
    result = pbe.run(playbook, INVENTORY)
    assert result.exit_code == 0
    assert [r.status for r in result.results] == ["changed", "changed", "ok", "changed", "ok"]
    assert result.results[-1].result["msg"] == "True True"
    assert target.read_text() == "new"
