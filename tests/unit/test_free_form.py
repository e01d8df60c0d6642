"""Free-form `shell:`/`command:` text reaches the host exactly as written (issue 8, item 4).

Only the module's own `NAME=value` words (chdir=, creates=, ...) are taken out, as Ansible
does; newlines, comments, runs of spaces and quotes stay.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import playbook_engine as pbe
from playbook_engine import modules
from playbook_engine.language.loader import UnsafeYStr, load_text
from playbook_engine.language.validate import free_form_args, parse_kv

LOCAL = {"all": {"hosts": {"h": None}, "vars": {"ansible_connection": "local"}}}


def run(tmp_path: Path, tasks: str) -> pbe.RunResult:
    book = tmp_path / "site.yml"
    book.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}")
    return pbe.run(book, LOCAL)


def result_of(result: pbe.RunResult, task: str) -> dict[str, object]:
    return next(r.result for r in result.results if r.task_name == task)


def test_multi_line_shell_runs_every_line(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        f"""\
    - name: script
      shell: |
        set -e
        echo a > {tmp_path}/f
        echo b > {tmp_path}/g
""",
    )
    assert result.exit_code == 0
    assert (tmp_path / "f").read_text() == "a\n"
    assert (tmp_path / "g").read_text() == "b\n"
    assert (
        result_of(result, "script")["cmd"]
        == f"set -e\necho a > {tmp_path}/f\necho b > {tmp_path}/g\n"
    )


def test_set_e_stops_at_a_failing_middle_line(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        f"""\
    - name: script
      shell: |
        set -e
        touch {tmp_path}/first
        false
        touch {tmp_path}/never
""",
    )
    assert result.exit_code == 2
    assert result.stats["h"]["failed"] == 1
    assert result_of(result, "script")["rc"] == 1
    assert (tmp_path / "first").exists() and not (tmp_path / "never").exists()


def test_a_script_starting_with_a_comment_still_runs(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        f"""\
    - name: script
      shell: |
        # write two files
        echo one > {tmp_path}/one
        echo two > {tmp_path}/two  # trailing comment
""",
    )
    assert result.exit_code == 0
    assert (tmp_path / "one").read_text() == "one\n"
    assert (tmp_path / "two").read_text() == "two\n"


def test_spaces_and_quotes_are_kept(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        f"""\
    - name: quoted
      shell: printf '%s|' "a   b" 'c  d' >  {tmp_path}/out
""",
    )
    assert result.exit_code == 0
    assert (tmp_path / "out").read_text() == "a   b|c  d|"


def test_chdir_is_taken_out_of_a_multi_line_script(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()
    result = run(
        tmp_path,
        f"""\
    - name: script
      shell: |
        echo one > a.txt
        echo two > b.txt chdir={tmp_path}/work
""",
    )
    assert result.exit_code == 0
    assert result_of(result, "script")["cmd"] == "echo one > a.txt\necho two > b.txt\n"
    assert (tmp_path / "work" / "a.txt").read_text() == "one\n"
    assert (tmp_path / "work" / "b.txt").read_text() == "two\n"


def test_a_failed_chdir_runs_no_line_of_a_script(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        f"""\
    - name: script
      shell: |
        touch {tmp_path}/first
        touch {tmp_path}/second
      args:
        chdir: {tmp_path}/missing
""",
    )
    assert result.exit_code == 2
    assert not (tmp_path / "first").exists() and not (tmp_path / "second").exists()


def test_multi_line_command_is_split_into_words(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        f"""\
    - name: cmd
      command: |
        touch
          "{tmp_path}/a  b"
          {tmp_path}/c
""",
    )
    assert result.exit_code == 0
    assert result_of(result, "cmd")["cmd"] == ["touch", f"{tmp_path}/a  b", f"{tmp_path}/c"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a  b", "c", "site.yml"]


def shell_args(text: str) -> dict[str, object]:
    module = modules.get("shell")
    assert module is not None
    return free_form_args(module, text)


def test_only_the_modules_own_names_are_taken_out() -> None:
    assert shell_args("echo foo=bar  x=1 creates=/tmp/x") == {
        "cmd": "echo foo=bar  x=1",
        "creates": "/tmp/x",
    }
    assert shell_args('chdir="/a b" echo  "chdir=/q"  {{ "removes=/r" }}') == {
        "chdir": "/a b",
        "cmd": 'echo  "chdir=/q"  {{ "removes=/r" }}',
    }
    assert shell_args("echo a\nchdir=/tmp\necho b") == {"chdir": "/tmp", "cmd": "echo a\necho b"}


def test_text_without_arguments_is_the_same_object() -> None:
    data, _ = load_text("- shell: !unsafe |\n    echo {{ x }}\n    echo  y\n")
    text = data[0]["shell"]
    assert shell_args(text)["cmd"] is text


def test_unsafe_text_stays_unsafe_when_an_argument_is_taken_out() -> None:
    data, _ = load_text("- shell: !unsafe 'echo {{ x }} chdir=/tmp'\n")
    args = shell_args(data[0]["shell"])
    assert args == {"cmd": "echo {{ x }}", "chdir": "/tmp"}
    assert isinstance(args["cmd"], UnsafeYStr)


def test_a_huge_free_form_text_is_split_exactly() -> None:
    text = "echo 'a  b' chdir=/x\n" * 15_000  # 300 KB, was quadratic
    args = shell_args(text)
    assert args["chdir"] == "/x"
    assert args["cmd"] == "echo 'a  b'\n" * 15_000


def test_huge_key_value_text_keeps_every_word() -> None:
    module = modules.get("debug")
    assert module is not None
    args = free_form_args(module, "msg=" + "word " * 60_000)
    assert args["msg"] == " ".join(["word"] * 60_000)


def test_key_value_text_is_unquoted_like_a_shell_but_templates_are_kept() -> None:
    assert parse_kv('msg="a  b" x=\'c d\' y=e\\ f z={{ "q  r" | upper }} w=1 2') == (
        {"msg": "a  b", "x": "c d", "y": "e f", "z": '{{ "q  r" | upper }}', "w": "1 2"},
        [],
    )
    with pytest.raises(ValueError, match="No closing quotation"):
        parse_kv('msg="a')


def test_key_value_escapes_are_decoded_as_ansible_decodes_them() -> None:
    """Checked against ansible-core 2.21: its replace test relies on `\\b` in key=value
    text being a backspace and `\\\\b` a word boundary."""
    assert parse_kv(r"""a='x\ty' b="x\\ty" c=x\ny d='\\d+ e' f="q\"x" g='\b(.+)\b'""") == (
        {
            "a": "x\ty",
            "b": "x\\ty",
            "c": "x\ny",
            "d": "\\d+ e",
            "f": 'q"x',
            "g": "\b(.+)\b",
        },
        [],
    )
    # octal escapes are not decoded: `replace='"\1"'` stays a back-reference
    assert parse_kv(r"""r='"\1"' m=a\101b\x41""") == ({"r": '"\\1"', "m": "a\\101bA"}, [])


def test_a_modules_arguments_may_be_one_template_of_a_mapping(tmp_path: Path) -> None:
    """As Ansible (which warns of it): `copy: "{{ args }}"`, the task's `args:` winning;
    checked when the task runs, a template of anything but a mapping failing it."""
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: all\n  gather_facts: false\n"
        f"  vars: {{a: {{that: ['1 == 1'], success_msg: fine}}, "
        f"c: {{content: hi, dest: {tmp_path}/one}}, d: {{content: hi, dest: {tmp_path}/two}}}}\n"
        "  tasks:\n"
        "    - assert: '{{ a }}'\n"
        "    - copy: '{{ c }}'\n"
        "    - copy: '{{ d }}'\n      args: {content: other}\n"
        "    - copy: '{{ c.dest }}'\n      ignore_errors: true\n"
    )
    warnings = [p.message for p in pbe.validate(book) if p.severity == "warning"]
    assert warnings == [
        "the arguments of `assert` are a template (`{{ a }}`): pbe checks them when the task runs",
        "the arguments of `copy` are a template (`{{ c }}`): pbe checks them when the task runs",
        "the arguments of `copy` are a template (`{{ d }}`): pbe checks them when the task runs",
        "the arguments of `copy` are a template (`{{ c.dest }}`): pbe checks them when the "
        "task runs",
    ]
    result = pbe.run(book, {"all": {"hosts": {"a": {"ansible_connection": "local"}}}})
    assert [(r.status, r.message) for r in result.results] == [
        ("ok", "fine"),
        ("changed", ""),
        ("changed", ""),
        ("failed", "copy: its arguments must be a mapping, got str"),
    ]
    assert (tmp_path / "one").read_text() == "hi" and (tmp_path / "two").read_text() == "other"


def test_a_backslash_ending_a_line_joins_it_to_the_next_outside_quotes() -> None:
    """Ansible's command_shell target: the `cmd` of a multi-line `shell: |` with `\\`
    continuations, as ansible-core 2.21 reports it; in single quotes it stays."""
    text = (
        'echo this is a \\\n"multiline echo" \\\n"with a new line\nin quotes" \\\n| cat\n'
        "echo 'lit \\\nkept'\n"
    )
    module = modules.get("shell")
    assert module is not None
    assert free_form_args(module, text)["cmd"] == (
        'echo this is a "multiline echo" "with a new line\nin quotes" | cat\n'
        "echo 'lit \\\nkept'\n"
    )


def test_a_line_holding_only_arguments_leaves_no_blank_line() -> None:
    """Ansible's command_shell target: `executable=...` and `creates=...` on lines of
    their own, then the command: its `cmd` is just the command."""
    module = modules.get("shell")
    assert module is not None
    args = free_form_args(module, 'executable="/bin/bash"\ncreates=/tmp/f\necho "test"\n')
    assert args == {"executable": "/bin/bash", "creates": "/tmp/f", "cmd": 'echo "test"\n'}
    assert free_form_args(module, "echo a\n  creates=/x  \necho b\n")["cmd"] == "echo a\necho b\n"
