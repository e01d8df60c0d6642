"""`pbe` in process: flags, exit codes and listings (local connection, no SSH)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from playbook_engine import cli
from playbook_engine.cli import main, parse_extra_vars
from playbook_engine.errors import OptionsError

INVENTORY = """
all:
  vars: {ansible_connection: local}
  children:
    web:
      hosts: {web1: {port: 80}, web2: {port: 81}}
    db:
      hosts: {db1: }
"""


def pbe(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    inv = tmp_path / "hosts.yml"
    inv.write_text(INVENTORY)
    book = tmp_path / "site.yml"
    book.write_text("""
- name: web play
  hosts: web
  gather_facts: false
  tasks:
    - name: show
      debug: msg="{{ inventory_hostname }} {{ port }} {{ env | default('none') }}"
      tags: [show]
    - name: fail on web2 only
      fail: msg=boom
      when: fail_web2 | default(false) | bool and inventory_hostname == 'web2'
- name: db play
  hosts: db
  gather_facts: false
  tasks:
    - ping:
""")
    return book, inv


def test_ok_run_exit_0_and_recap(files: tuple[Path, Path]) -> None:
    book, inv = files
    code, out, err = pbe("run", str(book), "-i", str(inv))
    assert (code, err) == (0, "")
    assert "TASK [show]" in out and '"msg": "web1 80 none"' in out
    assert (
        "web2                       : ok=1    changed=0    unreachable=0    failed=0    "
        "skipped=1    rescued=0    ignored=0" in out
    )


def test_host_failure_exit_2(files: tuple[Path, Path]) -> None:
    book, inv = files
    code, out, _ = pbe("run", str(book), "-i", str(inv), "-e", "fail_web2=true")
    assert code == 2
    assert "fatal: [web2]: FAILED! => {" in out and '"msg": "boom"' in out


def test_limit_intersection_and_exclusion(files: tuple[Path, Path]) -> None:
    book, inv = files
    code, out, _ = pbe("run", str(book), "-i", str(inv), "-l", "all:!web2")
    assert code == 0
    assert "[web1]" in out and "[web2]" not in out and "[db1]" in out


def test_limit_matching_nothing_is_exit_1_naming_it(files: tuple[Path, Path]) -> None:
    book, inv = files
    code, out, err = pbe("run", str(book), "-i", str(inv), "-l", "nosuch*")
    assert code == 1
    assert "nosuch*" in err and out == ""


def test_play_matching_no_host_warns_or_fails_under_strict(
    tmp_path: Path, files: tuple[Path, Path]
) -> None:
    _, inv = files
    book = tmp_path / "empty.yml"
    book.write_text("- hosts: nothere\n  tasks:\n    - ping:\n")
    code, out, _ = pbe("run", str(book), "-i", str(inv))
    assert code == 0 and "[WARNING]" in out and "no hosts matched" in out
    code, _, err = pbe("run", str(book), "-i", str(inv), "--strict")
    assert code == 1 and "no hosts matched" in err


def test_validation_error_exit_4_contacts_nothing(tmp_path: Path, files: tuple[Path, Path]) -> None:
    _, inv = files
    marker = tmp_path / "touched"
    book = tmp_path / "bad.yml"
    book.write_text(f"- hosts: all\n  tasks:\n    - command: touch {marker}\n    - debgu: msg=x\n")
    code, out, err = pbe("run", str(book), "-i", str(inv))
    assert code == 4 and out == ""
    assert f"{book}:4:7: unknown module `debgu`" in err and "did you mean `debug`?" in err
    assert not marker.exists()


def test_bad_inventory_exit_4(tmp_path: Path, files: tuple[Path, Path]) -> None:
    book, _ = files
    inv = tmp_path / "bad.yml"
    inv.write_text("all:\n  host:\n    a:\n")
    code, _, err = pbe("run", str(book), "-i", str(inv))
    assert code == 4
    assert f"{inv}:2:3" in err and "did you mean `hosts`?" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["run"],
        ["run", "x.yml", "--forks", "zero"],
        ["run", "x.yml", "--format", "xml"],
        ["frobnicate"],
        ["run", "x.yml", "--host-key-checking", "maybe"],
        [],
    ],
)
def test_bad_options_exit_5(argv: list[str]) -> None:
    code, out, err = pbe(*argv)
    assert code == 5, err
    assert "Traceback" not in err


def test_forks_must_be_positive(files: tuple[Path, Path]) -> None:
    book, inv = files
    code, _, err = pbe("run", str(book), "-i", str(inv), "-f", "0")
    assert code == 5 and "forks must be a positive integer" in err


def test_unexpected_error_exit_250(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    book, inv = files

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(cli, "options_from_args", boom)
    code, _, err = pbe("run", str(book), "-i", str(inv))
    assert code == 250
    assert "internal error: RuntimeError: kaboom" in err and "Traceback" not in err


def test_a_failing_output_sink_is_one_line_without_vvv(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in an output path is reported on one line (the run's result stands); the
    traceback is for -vvv."""
    from playbook_engine.reporting.console import ConsoleSink

    def broken(self: object, event: object) -> None:
        raise ValueError("sink bug")

    monkeypatch.setattr(ConsoleSink, "handle", broken)
    book, inv = files
    code, _, err = pbe("run", str(book), "-i", str(inv))
    assert code == 0
    assert "output sink failed on RunStart: ValueError: sink bug" in err
    assert "Traceback" not in err
    code, _, err = pbe("run", str(book), "-i", str(inv), "-vvv")
    assert "Traceback" in err and "sink bug" in err


def test_extra_vars_forms(tmp_path: Path) -> None:
    vars_file = tmp_path / "v.yml"
    vars_file.write_text("a: 1\nnested: {x: [1, 2]}\n")
    merged = parse_extra_vars(["a=0 b='two words'", f"@{vars_file}", '{"c": true}'])
    assert merged == {"a": 1, "b": "two words", "nested": {"x": [1, 2]}, "c": True}
    with pytest.raises(OptionsError):
        parse_extra_vars(["[1, 2]"])


def test_extra_vars_that_are_not_key_value_are_kept_as_raw_params(tmp_path: Path) -> None:
    """As Ansible: text that is neither k=v, JSON/YAML in {} or [] nor @file is kept whole
    as `_raw_params` (it defines no `x`), with a warning on stderr; the run goes on."""
    warned: list[str] = []
    assert parse_extra_vars(["x: 1"], warned.append) == {"_raw_params": "x: 1"}
    assert parse_extra_vars(["justaword"]) == {"_raw_params": "justaword"}
    assert "kept as `_raw_params`" in warned[0]
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - debug: msg='{{ x | default(\"none\") }} {{ _raw_params }}'\n"
    )
    code, out, err = pbe("run", str(book), "-e", "x: 1", "--format", "json")
    assert code == 0
    assert "WARNING: -e 'x: 1' is not key=value" in err
    doc = json.loads(out)
    assert doc["plays"][0]["tasks"][0]["hosts"]["localhost"]["result"]["msg"] == "none x: 1"


def test_connection_flag_is_the_default_below_inventory_and_play(tmp_path: Path) -> None:
    """`-c local` connects hosts of an ad-hoc inventory locally (they would be ssh); a
    host's ansible_connection and a play's `connection:` win over it."""
    inv = tmp_path / "hosts.ini"
    inv.write_text("h1\nh2 ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=1\n")
    book = tmp_path / "site.yml"
    book.write_text("- hosts: all\n  gather_facts: false\n  tasks:\n    - command: echo hi\n")
    code, out, _ = pbe(
        "run", str(book), "-i", str(inv), "-c", "local", "-T", "1", "--format", "json"
    )
    hosts = json.loads(out)["plays"][0]["tasks"][0]["hosts"]
    assert (hosts["h1"]["status"], hosts["h1"]["result"]["stdout"]) == ("changed", "hi")
    assert hosts["h2"]["status"] == "unreachable"  # its ansible_connection won
    assert code == 3
    book.write_text(
        "- hosts: all\n  gather_facts: false\n  connection: ssh\n  tasks:\n    - ping:\n"
    )
    code, out, _ = pbe(
        "run", str(book), "-i", "127.0.0.1:1,", "-c", "local", "-T", "1", "--format", "json"
    )
    assert code == 3  # the play's `connection: ssh` won
    code, _, err = pbe("run", str(book), "-i", "h1,", "-c", "winrm")
    assert code == 5
    assert "invalid choice: 'winrm'" in err


def test_extra_vars_win(files: tuple[Path, Path]) -> None:
    book, inv = files
    code, out, _ = pbe("run", str(book), "-i", str(inv), "-e", "port=9 env=prod", "-t", "show")
    assert code == 0
    assert '"msg": "web2 9 prod"' in out
    assert "fail on web2" not in out


def test_list_hosts_and_tasks(files: tuple[Path, Path]) -> None:
    book, inv = files
    code, out, _ = pbe("run", str(book), "-i", str(inv), "--list-hosts", "-l", "web1,db1")
    assert code == 0
    assert "hosts (1):\n      web1\n" in out and "hosts (1):\n      db1\n" in out
    code, out, _ = pbe("run", str(book), "-i", str(inv), "--list-tasks")
    assert "      show\tTAGS: [show]" in out and "ping" in out


def test_json_format_is_one_document(files: tuple[Path, Path]) -> None:
    book, inv = files
    code, out, err = pbe("run", str(book), "-i", str(inv), "--format", "json")
    doc = json.loads(out)
    assert code == 0 and err == ""
    assert [p["name"] for p in doc["plays"]] == ["web play", "db play"]
    show = doc["plays"][0]["tasks"][0]
    assert show["hosts"]["web2"]["result"]["msg"] == "web2 81 none"
    assert show["location"].endswith("site.yml:6:7")
    assert doc["stats"]["db1"]["ok"] == 1


def test_validate_with_inventory(files: tuple[Path, Path]) -> None:
    book, inv = files
    code, out, err = pbe("validate", str(book), "-i", str(inv))
    assert code == 0 and err == "" and "OK" in out


def test_modules_and_doc() -> None:
    code, out, _ = pbe("modules")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()]
    assert {"command", "shell", "raw", "ping", "debug", "set_fact", "assert", "fail"} <= set(names)
    code, out, _ = pbe("doc", "command")
    assert code == 0 and "chdir (path" in out and "creates" in out
    code, _, err = pbe("doc", "comand")
    assert code == 5 and "did you mean `command`?" in err


def test_version() -> None:
    code, _, _ = pbe("--version")
    assert code == 0


def test_run_prints_playbook_warnings_on_stderr(tmp_path: Path, files: tuple[Path, Path]) -> None:
    _, inv = files
    book = tmp_path / "dup.yml"
    book.write_text(
        "- hosts: db\n  gather_facts: false\n  tasks:\n"
        "    - ping:\n      name: one\n      name: two\n"
    )
    code, out, err = pbe("run", str(book), "-i", str(inv))
    assert code == 0
    assert f"warning: {book}:6:7: duplicate key `name`" in err
    assert "TASK [two]" in out


def test_several_playbooks_run_in_order_as_one_run(
    tmp_path: Path, files: tuple[Path, Path]
) -> None:
    """`ansible-playbook a.yml b.yml`: one run, one recap; a fact set by the first
    playbook is there in the second."""
    book, inv = files
    first = tmp_path / "first.yml"
    first.write_text(
        "- hosts: db\n  gather_facts: false\n  tasks:\n    - set_fact: {mark: from-first}\n"
    )
    second = tmp_path / "second.yml"
    second.write_text(
        '- hosts: db\n  gather_facts: false\n  tasks:\n    - debug: msg="{{ mark }}"\n'
    )
    code, out, err = pbe("run", str(first), str(second), str(book), "-i", str(inv))
    assert (code, err) == (0, "")
    assert '"msg": "from-first"' in out and '"msg": "web1 80 none"' in out
    assert out.count("PLAY RECAP") == 1
    assert "db1                        : ok=3" in out
    code, out, _ = pbe("validate", str(first), str(second))
    assert code == 0 and out == f"{first}: OK\n{second}: OK\n"
    code, _, err = pbe("run", str(first), str(tmp_path / "missing.yml"))
    assert code == 5 and "missing.yml" in err
