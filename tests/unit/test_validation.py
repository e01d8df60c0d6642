"""Malformed playbooks: each gives exit 4, the exact position, the message and the hint.

Each case file under data/invalid/ starts with `# expect: LINE:COL | message | hint`.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from playbook_engine.cli import main

CASES = sorted((Path(__file__).parent / "data" / "invalid").glob("*.yml"))


def _expectation(path: Path) -> tuple[str, str, str]:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: "), f"{path} lacks an expectation line"
    pos, message, hint = (part.strip() for part in first[len("# expect: ") :].split("|"))
    return pos, message, hint


def validate(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["validate", *argv], out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_invalid_playbook_is_reported_with_position_and_hint(case: Path) -> None:
    pos, message, hint = _expectation(case)
    code, out, err = validate(str(case))
    assert code == 4, err
    assert f"{case}:{pos}:" in err, err
    assert message in err, err
    assert hint in err, err
    assert "Traceback" not in err
    assert out == ""


def test_there_are_at_least_twenty_cases() -> None:
    assert len(CASES) >= 20


def test_every_problem_in_a_file_is_reported_at_once(tmp_path: Path) -> None:
    book = tmp_path / "many.yml"
    book.write_text(
        "- hosts: all\n"
        "  tasks:\n"
        "    - comand: ls\n"
        "    - debug: {mssg: hi}\n"
        "    - command: ls\n"
        "      regsiter: x\n"
    )
    code, _, err = validate(str(book))
    assert code == 4
    assert f"{book}:3:7: unknown module `comand`" in err
    assert f"{book}:4:15: unsupported argument `mssg`" in err
    assert f"{book}:6:7: unknown task keyword `regsiter`" in err
    assert "3 error(s) found" in err


def test_source_line_and_caret_are_shown(tmp_path: Path) -> None:
    book = tmp_path / "caret.yml"
    book.write_text("- hosts: all\n  tasks:\n    - name: x\n      comand: ls\n")
    _, _, err = validate(str(book))
    assert "          comand: ls\n          ^" in err


def test_valid_playbook_passes(tmp_path: Path) -> None:
    book = tmp_path / "ok.yml"
    book.write_text(
        "- hosts: all\n"
        "  gather_facts: no\n"
        "  vars: {x: 1}\n"
        "  tasks:\n"
        "    - ansible.builtin.command: echo hi chdir=/tmp\n"
        "      register: out\n"
        "      changed_when: out.rc != 0\n"
        "    - shell: echo {{ x }} | cat\n"
        "      when: [x == 1, out is defined]\n"
        "    - debug: var=out\n"
        "    - set_fact: {y: 2, z: '{{ x }}'}\n"
        "    - assert: {that: 'y == 2', fail_msg: bad}\n"
        "      ignore_errors: yes\n"
    )
    code, out, err = validate(str(book))
    assert (code, err) == (0, "")
    assert out.endswith(": OK\n")


def test_missing_playbook_file_is_an_options_error() -> None:
    code, _, err = validate("/nonexistent/site.yml")
    assert code == 5
    assert "playbook not found: /nonexistent/site.yml" in err


def test_duplicate_keys_warn_but_validate(tmp_path: Path) -> None:
    book = tmp_path / "dup.yml"
    book.write_text(
        "- hosts: all\n  tasks:\n    - debug: msg=a\n      name: one\n      name: two\n"
    )
    code, _, err = validate(str(book))
    assert code == 0
    assert f"warning: {book}:5:7: duplicate key `name`" in err


def test_fetch_and_raw_ignore_other_arguments_as_ansible_does(tmp_path: Path) -> None:
    """Ansible's fetch and raw actions take any other argument and ignore it (CIS roles
    write `mode:` on fetch): a warning, not an error; the run does what the rest says."""
    src = tmp_path / "report.txt"
    src.write_text("audit\n")
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: all\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - fetch:\n"
        f"        src: {src}\n"
        f"        dest: {tmp_path}/out/\n"
        "        flat: true\n"
        "        mode: '0644'\n"
        "    - raw: echo hi > " + str(tmp_path / "raw.txt") + "\n"
        "      args: {chdir: /}\n"
        "    - debug: {mssg: hi}\n"
    )
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("here ansible_connection=local\n")
    code, _, err = validate(str(book), "-i", str(inventory))
    assert f"{book}:8:9: `fetch` ignores argument `mode`, as Ansible's does" in err, err
    assert f"{book}:10:14: `raw` ignores argument `chdir`, as Ansible's does" in err, err
    assert f"{book}:11:15: unsupported argument `mssg`" in err, err  # others stay strict
    assert code == 4
    book.write_text(book.read_text().replace("    - debug: {mssg: hi}\n", ""))
    out, err_io = io.StringIO(), io.StringIO()
    assert main(["run", str(book), "-i", str(inventory)], out, err_io) == 0, err_io.getvalue()
    assert (tmp_path / "out" / "report.txt").read_text() == "audit\n"
    assert (tmp_path / "raw.txt").read_text() == "hi\n"
