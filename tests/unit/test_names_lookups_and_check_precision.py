"""Found by public roles nobody here wrote (corpus5), each checked against ansible-core
2.21: task names that read host variables, ``fileglob`` inside a role, and two check-run
results pbe called unknown although they are certain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import playbook_engine as pbe
from playbook_engine.events import Event, TaskStart
from playbook_engine.modules.find import Rules, may_change_matches

INVENTORY = {"all": {"hosts": {"a": None}, "vars": {"ansible_connection": "local"}}}


def _run(book: Path, check: bool = False) -> tuple[pbe.RunResult, list[Event]]:
    events: list[Event] = []
    return pbe.run(book, INVENTORY, check=check, on_event=events.append), events


def _book(tmp_path: Path, tasks: str) -> Path:
    book = tmp_path / "site.yml"
    book.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}")
    return book


def test_a_task_name_may_read_facts_and_set_fact(tmp_path: Path) -> None:
    (tmp_path / "v.yml").write_text("from_file: V\n")
    book = _book(
        tmp_path,
        "    - set_fact: {from_fact: F}\n"
        "    - name: 'fact {{ from_fact }}'\n      debug: {msg: x}\n"
        f"    - include_vars: {{file: {tmp_path}/v.yml}}\n"
        "    - name: 'included {{ from_file }}'\n      debug: {msg: x}\n"
        "    - name: 'missing {{ nowhere }}'\n      debug: {msg: x}\n",
    )
    result, events = _run(book)
    started = [e.name for e in events if isinstance(e, TaskStart)]
    assert "fact F" in started and "included V" in started
    assert "missing {{ nowhere }}" in started  # as written when it cannot be rendered
    names = [r.task_name for r in result.results]
    assert "fact F" in names and "included V" in names


def test_fileglob_in_a_role_searches_the_roles_directories(tmp_path: Path) -> None:
    role = tmp_path / "roles" / "r"
    (role / "tasks").mkdir(parents=True)
    (role / "templates" / "helper").mkdir(parents=True)
    (role / "files").mkdir()
    for name in ("a.conf.j2", "b.conf.j2"):
        (role / "templates" / "helper" / name).write_text("x")
    (role / "files" / "own.txt").write_text("x")
    (role / "tasks" / "main.yml").write_text(
        "- name: rel\n  debug: {msg: '{{ item | basename }}'}\n"
        "  with_fileglob: '../templates/helper/*.j2'\n"
        "- name: plain\n  debug: {msg: '{{ item | basename }}'}\n"
        "  with_fileglob: '*.txt'\n"
    )
    book = tmp_path / "site.yml"
    book.write_text("- hosts: all\n  gather_facts: false\n  roles: [r]\n")
    result, _ = _run(book)
    got: dict[str, Any] = {r.task_name: r.result for r in result.results}
    assert [i["msg"] for i in got["r : rel"]["results"]] == ["a.conf.j2", "b.conf.j2"]
    assert [i["item"] for i in got["r : plain"]["results"]] == [str(role / "files" / "own.txt")]


def test_find_is_known_when_no_predicted_change_can_match() -> None:
    rules = Rules.from_args(
        {
            "patterns": ["*_dsa_key*"],
            "excludes": None,
            "use_regex": False,
            "file_type": "file",
            "hidden": False,
            "recurse": False,
            "depth": None,
            "age": None,
            "age_stamp": "mtime",
            "size": None,
            "mode": None,
            "exact_mode": False,
        }
    )
    assert not may_change_matches("/etc/ssh", "/etc/ssh/sshd_config", rules)
    assert may_change_matches("/etc/ssh", "/etc/ssh/ssh_host_dsa_key", rules)
    assert may_change_matches("/etc/ssh", "/etc/ssh", rules)
    assert not may_change_matches("/etc/ssh", "/etc/ssh/sub/x_dsa_key", rules)  # too deep


def test_check_runs_are_sure_of_find_and_of_a_write_whose_validate_is_unknown(
    tmp_path: Path,
) -> None:
    (tmp_path / "d").mkdir()
    book = _book(
        tmp_path,
        f"    - copy: {{content: x, dest: {tmp_path}/d/settings.conf}}\n"
        f"    - find: {{paths: {tmp_path}/d, patterns: '*_dsa_key*'}}\n      register: found\n"
        "    - name: act\n      file: {path: '{{ item.path }}', state: absent}\n"
        "      loop: '{{ found.files }}'\n"
        "    - tempfile: {state: directory}\n      register: scratch\n"
        "    - name: validated\n      copy:\n"
        f"        content: 'setting = 1'\n        dest: {tmp_path}/validated.conf\n"
        "        validate: 'test -d {{ scratch.path }} && test -f %s'\n",
    )
    result, _ = _run(book, check=True)
    got = {r.task_name: r for r in result.results}
    assert got["act"].status == "skipped" and not got["act"].unknown
    assert got["validated"].status == "changed" and not got["validated"].unknown
    assert (
        not (tmp_path / "validated.conf").exists()
        and not (tmp_path / "d" / "settings.conf").exists()
    )


def test_filetree_lists_a_tree_as_community_general_does(tmp_path: Path) -> None:
    tree = tmp_path / "files" / "conf"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.txt").write_text("a")
    (tree / "sub" / "b.txt").write_text("bb")
    (tree / "sub" / "b.txt").chmod(0o600)
    (tree / "lnk").symlink_to("a.txt")
    book = _book(
        tmp_path,
        "    - name: short\n      debug: {msg: '{{ item.state }} {{ item.path }}'}\n"
        "      with_filetree: conf\n"
        "    - name: fqcn\n      debug: {msg: '{{ item.path }}'}\n"
        "      with_community.general.filetree: [conf, conf]\n",
    )
    result, _ = _run(book)
    got = {r.task_name: r.result["results"] for r in result.results}
    assert [i["msg"] for i in got["short"]] == [
        "directory sub",
        "file a.txt",
        "link lnk",
        "file sub/b.txt",
    ]
    assert len(got["fqcn"]) == 4  # a path an earlier term listed is not listed again
    b = next(i["item"] for i in got["short"] if i["item"]["path"] == "sub/b.txt")
    assert b["src"] == str(tree / "sub" / "b.txt") and b["mode"] == "0600" and b["size"] == 2
    assert b["root"] == str(tree)
    lnk = next(i["item"] for i in got["short"] if i["item"]["state"] == "link")
    assert lnk["src"] == "a.txt"
