"""Module behaviour Ansible's own integration targets rely on (written from Ansible's
documented behaviour; no target text is copied here)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from pkgrepos import need

import playbook_engine as pbe

INVENTORY = {"all": {"hosts": {"a": None}, "vars": {"ansible_connection": "local"}}}


def run_tasks(tmp_path: Path, tasks: str, **kw: Any) -> dict[str, dict[str, Any]]:
    """Run the tasks on one local host; each task's result by name, with its status."""
    book = tmp_path / "site.yml"
    book.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}")
    result = pbe.run(book, INVENTORY, **kw)
    return {r.task_name: {"status": r.status, **r.result} for r in result.results}


def test_command_warns_that_executable_is_not_supported(tmp_path: Path) -> None:
    got = run_tasks(
        tmp_path,
        "    - name: ls\n      command: ls /dev/null\n      args:\n        executable: /bogus\n",
    )
    assert got["ls"]["stdout"] == "/dev/null"
    assert len(got["ls"]["warnings"]) == 1
    assert "no longer supported" in got["ls"]["warnings"][0]
    assert "'/bogus'" in got["ls"]["warnings"][0]


def test_include_and_import_take_file_as_a_key_value_word(tmp_path: Path) -> None:
    """``include_tasks: file=x.yml`` names the file, as in Ansible (not a file "file=x.yml")."""
    (tmp_path / "inc.yml").write_text("- name: included\n  debug:\n    msg: 'x={{ x }}'\n")
    (tmp_path / "v.yml").write_text("x: 5\n")
    got = run_tasks(
        tmp_path,
        "    - include_vars: file=v.yml\n    - import_tasks: file=inc.yml\n"
        "    - include_tasks: file=inc.yml\n",
    )
    assert got["included"]["status"] == "ok" and got["included"]["msg"] == "x=5"
    assert got["include_tasks"]["status"] == "ok"


def test_file_absent_removes_a_symlink_that_points_at_itself(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to("loop")
    (tmp_path / "deep").symlink_to("loop/x")
    got = run_tasks(
        tmp_path,
        f"    - name: gone\n      file:\n        path: {tmp_path}/loop\n        state: absent\n"
        f"    - name: deep\n      file:\n        path: {tmp_path}/deep\n        state: absent\n",
    )
    assert got["gone"]["status"] == "changed" and got["deep"]["status"] == "changed"
    assert not (tmp_path / "loop").is_symlink() and not (tmp_path / "deep").is_symlink()


def test_changed_when_has_the_last_word_on_inventory_modules(tmp_path: Path) -> None:
    got = run_tasks(
        tmp_path,
        "    - name: quiet\n      group_by:\n        key: g1\n      changed_when: false\n"
        "    - name: loud\n      group_by:\n        key: g2\n"
        "    - name: per item\n      add_host:\n        name: 'h{{ item }}'\n"
        "      loop: [1, 2]\n      changed_when: item == 2\n      register: added\n"
        "    - name: own result\n      add_host:\n        name: h3\n"
        "      changed_when: again is changed\n      register: again\n"
        "    - name: check\n      assert:\n        that:\n"
        "          - added.results[0] is not changed\n          - added.results[1] is changed\n"
        "          - \"'h3' in groups['ungrouped']\"\n",
    )
    assert got["quiet"]["status"] == "ok" and got["loud"]["status"] == "changed"
    assert got["per item"]["status"] == "changed"
    assert got["own result"]["status"] == "changed"  # the result it judges says it added h3
    assert got["check"]["status"] == "ok"


def test_a_condition_that_cannot_be_evaluated_keeps_the_module_result(tmp_path: Path) -> None:
    got = run_tasks(
        tmp_path,
        "    - name: cw\n      command: echo foo\n      changed_when: nosuchvar\n"
        "      ignore_errors: true\n"
        "    - name: fw\n      command: echo bar\n      failed_when: nosuchvar\n"
        "      ignore_errors: true\n",
    )
    for name, key, out in (("cw", "changed_when", "foo"), ("fw", "failed_when", "bar")):
        assert got[name]["status"] == "failed"
        assert got[name]["stdout"] == out
        assert "nosuchvar" in got[name][f"{key}_result"]


def test_local_facts_report_failing_scripts_and_dangling_links(tmp_path: Path) -> None:
    facts = tmp_path / "facts.d"
    facts.mkdir()
    (facts / "good.fact").write_text("#!/bin/sh\necho '{\"ran\": true}'\n")
    (facts / "bad.fact").write_text("#!/bin/sh\necho nope >&2\nexit 4\n")
    (facts / "good.fact").chmod(0o755)
    (facts / "bad.fact").chmod(0o755)
    (facts / "dead.fact").symlink_to(tmp_path / "missing")
    got = run_tasks(
        tmp_path,
        f"    - name: gather\n      setup:\n        fact_path: {facts}\n"
        "        filter: '*local*'\n",
    )
    local = got["gather"]["ansible_facts"]["ansible_local"]
    assert local["good"] == {"ran": True}
    assert local["bad"] == f"Failure executing fact script ({facts}/bad.fact), rc: 4, err: nope"
    assert local["dead"].startswith(f"Could not stat fact ({facts}/dead.fact): ")


def test_file_sets_a_given_modification_time_once(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_text("x")
    task = (
        f"      file:\n        path: {target}\n        modification_time: '202202081414.00'\n"
        "        modification_time_format: '%Y%m%d%H%M.%S'\n"
    )
    got = run_tasks(
        tmp_path,
        f"    - name: check\n{task}      check_mode: true\n"
        f"    - name: first\n{task}    - name: again\n{task}"
        f"    - name: bad\n      file:\n        path: {target}\n        access_time: soon\n"
        "      ignore_errors: true\n",
    )
    assert got["check"]["status"] == "changed"
    assert got["first"]["status"] == "changed" and got["again"]["status"] == "ok"
    assert target.stat().st_mtime == time.mktime(time.strptime("202202081414.00", "%Y%m%d%H%M.%S"))
    assert got["bad"]["status"] == "failed" and "'soon'" in got["bad"]["msg"]


def test_file_diff_peek_reports_binary_content_and_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "bin").write_bytes(b"a\0b")
    (tmp_path / "txt").write_text("plain")
    got = run_tasks(
        tmp_path,
        f"    - name: bin\n      file:\n        path: {tmp_path}/bin\n        _diff_peek: true\n"
        f"    - name: txt\n      file:\n        path: {tmp_path}/txt\n        _diff_peek: true\n",
    )
    assert got["bin"]["status"] == "ok" and got["bin"]["appears_binary"] is True
    assert got["txt"]["appears_binary"] is False and "warnings" not in got["txt"]


def test_attributes_follow_ansibles_rule() -> None:
    from playbook_engine.modules.util.chattr import current_flags, split_spec

    assert split_spec("A") == ("=", "A") and split_spec("+iA") == ("+", "iA")
    assert split_spec("-A") == ("-", "A") and split_spec("") == ("=", "")
    assert current_flags("----i---------e------- /tmp/x\n") == "ie"
    assert current_flags("") == ""


def test_file_validates_attributes(tmp_path: Path) -> None:
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: all\n  tasks:\n    - file: path=/tmp/x attributes=+A\n"
        "    - file: {path: /tmp/x, attr: '-i'}\n"
    )
    assert not [p for p in pbe.validate(book) if p.severity == "error"]


def _vars_tree(root: Path) -> None:
    for rel, text in {
        "top.yml": "v: top\ntop: 1\n",
        "a/one.yml": "v: a\n",
        "a/deep/two.json": '{"v": "deep"}',
        "b/three.yaml": "v: b\nhash: {x: 1, y: {p: 1}}\n",
        "b/README": "not vars",
        "b/plain": "v: plain\n",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def test_include_vars_walks_a_dir_in_path_then_name_order(tmp_path: Path) -> None:
    _vars_tree(tmp_path / "vars" / "tree")
    got = run_tasks(
        tmp_path,
        "    - name: all\n      include_vars:\n        dir: tree\n"
        "        ignore_unknown_extensions: true\n"
        "    - name: shallow\n      include_vars:\n        dir: tree\n        depth: 1\n"
        "        name: shallow\n"
        "    - name: match\n      include_vars:\n        dir: tree\n        files_matching: '^t'\n"
        "        ignore_files: [top.yml]\n        name: matched\n"
        "    - name: bare\n      include_vars:\n        dir: tree\n        extensions: ['', yml]\n"
        "        ignore_files: [three.yaml, README, two.json]\n        name: bare\n"
        "    - name: unknown\n      include_vars:\n        dir: tree\n      ignore_errors: true\n"
        "    - name: mixed\n      include_vars:\n        file: x.yml\n        depth: 1\n"
        "      ignore_errors: true\n"
        "    - name: show\n      debug:\n        msg: '{{ [v, top, shallow, matched, bare.v] }}'\n",
    )
    files = [Path(f).name for f in got["all"]["ansible_included_var_files"]]
    assert files == ["top.yml", "one.yml", "two.json", "three.yaml"]
    assert got["show"]["msg"] == [
        "b",
        1,
        {"v": "top", "top": 1},
        {"v": "b", "hash": {"x": 1, "y": {"p": 1}}},
        "plain",
    ]
    assert got["unknown"]["status"] == "failed"
    assert "does not have a valid extension: json, yaml, yml" in got["unknown"]["message"]
    assert got["mixed"]["msg"].startswith("You are mixing file only and dir only arguments")


def test_include_vars_merges_mappings_when_asked(tmp_path: Path) -> None:
    (tmp_path / "vars").mkdir()
    (tmp_path / "vars" / "one.yml").write_text("cfg: {a: 1, sub: {x: 1}}\n")
    (tmp_path / "vars" / "two.yml").write_text("cfg: {b: 2, sub: {y: 2}}\n")
    got = run_tasks(
        tmp_path,
        "    - include_vars: one.yml\n"
        "    - include_vars:\n        file: two.yml\n        hash_behaviour: merge\n"
        "    - name: merged\n      debug:\n        var: cfg\n"
        "    - include_vars:\n        file: two.yml\n"
        "    - name: replaced\n      debug:\n        var: cfg\n",
    )
    assert got["merged"]["cfg"] == {"a": 1, "b": 2, "sub": {"x": 1, "y": 2}}
    assert got["replaced"]["cfg"] == {"b": 2, "sub": {"y": 2}}


def test_include_vars_without_a_file_says_it_could_not_find_one(tmp_path: Path) -> None:
    got = run_tasks(
        tmp_path,
        "    - name: none\n      include_vars:\n        file: \"{{ '' }}\"\n"
        "      ignore_errors: true\n",
    )
    assert got["none"]["status"] == "failed"
    assert got["none"]["message"].startswith("Could not find file")


def test_until_attempts_and_retries_without_until(tmp_path: Path) -> None:
    flag = tmp_path / "second"
    got = run_tasks(
        tmp_path,
        "    - name: reads attempts\n      command: 'true'\n      register: r1\n"
        "      until: false\n      retries: 2\n      delay: 0\n"
        "      failed_when: r1.attempts > 5\n"
        "    - name: retries alone\n"
        f"      shell: '[ -f {flag} ] || {{ touch {flag}; false; }}'\n"
        "      retries: 4\n      delay: 0\n"
        "    - name: fail retried\n      fail:\n        msg: no\n      retries: 2\n"
        "      delay: 0\n      ignore_errors: true\n",
    )
    assert got["reads attempts"]["status"] == "changed"  # failed_when's verdict stands
    assert got["reads attempts"]["attempts"] == 2
    assert got["retries alone"]["status"] == "changed"
    assert got["retries alone"]["attempts"] == 2
    assert got["fail retried"]["status"] == "failed" and got["fail retried"]["attempts"] == 2


def test_path_arguments_expand_a_leading_tilde_on_the_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    (tmp_path / "t.j2").write_text("hello {{ 1 + 1 }}\n")
    got = run_tasks(
        tmp_path,
        "    - name: copy\n      copy:\n        content: TEST\n        dest: ~/c.txt\n"
        "    - name: file\n      file:\n        path: ~/f.txt\n        state: touch\n"
        f"    - name: template\n      template:\n        src: {tmp_path}/t.j2\n"
        "        dest: ~/t.txt\n"
        "    - name: stat\n      stat:\n        path: ~/c.txt\n",
    )
    assert (home / "c.txt").read_text() == "TEST" and (home / "f.txt").exists()
    assert (home / "t.txt").read_text() == "hello 2\n"
    assert got["stat"]["stat"]["exists"] is True
    assert not (tmp_path / "~").exists()


def test_replacing_a_file_keeps_its_extended_acl(tmp_path: Path) -> None:
    need("setfacl", "getfacl")
    names = ("l.txt", "c.txt", "b.txt")
    for name in names:
        (tmp_path / name).write_text("TEST\n")
        subprocess.run(["setfacl", "-m", "u:nobody:rwx", str(tmp_path / name)], check=True)
    got = run_tasks(
        tmp_path,
        f"    - name: l\n      lineinfile:\n        path: {tmp_path}/l.txt\n"
        "        regexp: TEST\n        line: UPDATE\n"
        f"    - name: c\n      copy:\n        content: NEW\n        dest: {tmp_path}/c.txt\n"
        f"    - name: b\n      blockinfile:\n        path: {tmp_path}/b.txt\n        block: x\n",
    )
    for name in names:
        assert got[name[0]]["status"] == "changed"
        acl = subprocess.run(
            ["getfacl", "-c", str(tmp_path / name)], check=True, capture_output=True, text=True
        ).stdout.split()
        assert "user:nobody:rwx" in acl and "user::rw-" in acl, (name, acl)
    assert (tmp_path / "l.txt").read_text() == "UPDATE\n"
