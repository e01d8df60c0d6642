"""`pbe run` outputs for pipelines and people: the human lines (snapshot), JSON against its
schema, jsonl line by line, JUnit case by case, --log, --retry-file, --profile, redaction
of secrets on every path, `pbe validate` formats, `pbe doc`, and the exit codes the other
CLI tests leave out. Local connection; the unreachable host is a closed loopback port.
"""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import playbook_engine as pbe
from playbook_engine.cli import main
from playbook_engine.engine.redact import Redactor
from playbook_engine.events import CommandSent, HostResult, RunEnd, RunStart, TaskEnd, TaskStart
from playbook_engine.masking import MASK
from playbook_engine.modules import REGISTRY
from playbook_engine.reporting import Reporter
from playbook_engine.reporting.console import ConsoleSink
from playbook_engine.reporting.outputs import use_live
from playbook_engine.reporting.text import pretty

ROOT = Path(__file__).resolve().parents[2]
RUN_SCHEMA = json.loads((ROOT / "schema" / "run.schema.json").read_text())

INVENTORY = """
all:
  hosts:
    good: {ansible_connection: local}
    bad: {ansible_connection: local}
    skipper: {ansible_connection: local}
    down: {ansible_host: 127.0.0.1, ansible_port: 1, ansible_user: nobody}
"""

PLAYBOOK = r"""
- name: mixed results
  hosts: all
  gather_facts: false
  tasks:
    - name: look around
      command: "true"
      changed_when: false
    - name: change something
      command: echo changed
      when: inventory_hostname != 'skipper'
      notify: restart it
    - name: fail on bad
      shell: printf 'first line\nsecond line\n' >&2; exit 3
      when: inventory_hostname == 'bad'
    - name: say hello
      debug:
        msg: "hello\nfrom {{ inventory_hostname }}"
  handlers:
    - name: restart it
      debug: msg="restarted {{ inventory_hostname }}"
"""

HUMAN = r"""
PLAY [mixed results] ***********************************************************

TASK [look around] *************************************************************
ok: [good]
ok: [bad]
ok: [skipper]
fatal: [down]: UNREACHABLE! => {
    "unreachable": true,
    "changed": false,
    "msg": "connection refused (127.0.0.1:1)"
}

TASK [change something] ********************************************************
changed: [good]
changed: [bad]
skipping: [skipper]

TASK [fail on bad] *************************************************************
skipping: [good]
fatal: [bad]: FAILED! => {
    "changed": true,
    "cmd": "printf 'first line\\nsecond line\\n' >&2; exit 3",
    "rc": 3,
    "stderr": |
        first line
        second line
    "msg": "The command exited with a non-zero return code."
}
skipping: [skipper]

TASK [say hello] ***************************************************************
ok: [good] => {
    "msg": |
        hello
        from good
}
ok: [skipper] => {
    "msg": |
        hello
        from skipper
}

RUNNING HANDLER [restart it] ***************************************************
ok: [good] => {
    "msg": "restarted good"
}

PLAY RECAP *********************************************************************
bad                        : ok=2    changed=1    unreachable=0    failed=1    skipped=0    rescued=0    ignored=0
down                       : ok=0    changed=0    unreachable=1    failed=0    skipped=0    rescued=0    ignored=0
good                       : ok=4    changed=1    unreachable=0    failed=0    skipped=1    rescued=0    ignored=0
skipper                    : ok=2    changed=0    unreachable=0    failed=0    skipped=2    rescued=0    ignored=0
"""  # noqa: E501


def pbe_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def mask_times(text: str) -> str:
    text = re.sub(r"\d+\.\d+s\b", "<T>s", text)
    return re.sub(r'"(start|end|delta)": "[^"]*"', r'"\1": "<T>"', text)


@pytest.fixture
def mixed(tmp_path: Path) -> tuple[Path, Path]:
    book, inv = tmp_path / "site.yml", tmp_path / "hosts.yml"
    book.write_text(PLAYBOOK)
    inv.write_text(INVENTORY)
    return book, inv


# -- human ----------------------------------------------------------------------------------


def test_human_output_snapshot(mixed: tuple[Path, Path]) -> None:
    code, out, err = pbe_cli("run", str(mixed[0]), "-i", str(mixed[1]))
    assert (code, err) == (3, "")
    assert mask_times(out) == HUMAN
    assert "\x1b" not in out  # not a terminal: plain lines, no escape codes


def test_profile_lists_slowest_tasks_and_host_totals(mixed: tuple[Path, Path]) -> None:
    _, out, _ = pbe_cli("run", str(mixed[0]), "-i", str(mixed[1]), "--profile")
    report = mask_times(out.split("PLAY RECAP")[1])
    assert "PROFILE: SLOWEST TASKS" in report and "PROFILE: HOST TOTALS" in report
    assert "<T>s  mixed results : TASK [look around]" in report
    assert "<T>s  mixed results : HANDLER [restart it]" in report
    assert re.search(r"^down +: <T>s$", report, re.M)


def test_multiline_strings_are_real_lines() -> None:
    text = pretty({"stdout": "a\nb\n", "rc": 0, "lines": ["x\ny", "z"], "one": "line\n"})
    assert (
        text == '{\n    "stdout": |\n        a\n        b\n    "rc": 0,\n    "lines": [\n'
        '        |\n            x\n            y\n        "z"\n    ],\n'
        '    "one": "line\\n"\n}'
    )


def test_includes_and_module_warnings_read_as_in_ansible(tmp_path: Path) -> None:
    """`included: FILE for HOST` (the file found, also per loop item), `included: ROLE for
    HOST`, and a module's warning as `[WARNING]:` before its result line, once a run (lines
    taken from ansible-core 2.21's output of the same playbook)."""
    (tmp_path / "roles/r/tasks").mkdir(parents=True)
    (tmp_path / "roles/r/tasks/main.yml").write_text("- debug: msg=in-role\n")
    (tmp_path / "more.yml").write_text("- debug: msg=more\n")
    (tmp_path / "library").mkdir()
    (tmp_path / "library/warner.py").write_text(
        "from ansible.module_utils.basic import AnsibleModule\n"
        "m = AnsibleModule(argument_spec={})\nm.warn('careful now')\nm.exit_json(changed=True)\n"
    )
    site = tmp_path / "site.yml"
    site.write_text(
        "- hosts: good\n  gather_facts: false\n  tasks:\n"
        "    - include_tasks: more.yml\n"
        "    - include_tasks: '{{ item }}'\n      loop: [more.yml]\n"
        "    - include_role: {name: r}\n"
        "    - warner:\n    - warner:\n"
    )
    out = io.StringIO()
    inventory = {"all": {"hosts": {"good": {"ansible_connection": "local"}}}}
    pbe.run(site, inventory, sinks=[ConsoleSink(out)])
    lines = out.getvalue().splitlines()
    assert [line for line in lines if line.startswith("included:")] == [
        f"included: {tmp_path}/more.yml for good",
        f"included: {tmp_path}/more.yml for good => (item=more.yml)",
        "included: r for good",
    ]
    assert lines.count("[WARNING]: careful now") == 1
    assert lines[lines.index("[WARNING]: careful now") + 1] == "changed: [good]"


def test_an_unnamed_task_is_shown_by_its_module_as_written(tmp_path: Path) -> None:
    """As ansible-core shows them: `ansible.builtin.debug` stays so, in every output."""
    site = tmp_path / "site.yml"
    site.write_text(
        "- hosts: good\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.debug: msg=a\n    - action: ansible.builtin.debug msg=b\n"
        "    - local_action: debug msg=c\n    - name: named\n      ansible.builtin.debug: msg=d\n"
    )
    out = io.StringIO()
    inventory = {"all": {"hosts": {"good": {"ansible_connection": "local"}}}}
    result = pbe.run(site, inventory, sinks=[ConsoleSink(out)])
    names = ["ansible.builtin.debug", "ansible.builtin.debug", "debug", "named"]
    assert [r.task_name for r in result.results] == names
    assert [r.action for r in result.results] == ["debug"] * 4
    assert [line for line in out.getvalue().splitlines() if line.startswith("TASK")] == [
        f"TASK [{name}] ".ljust(80, "*") for name in names
    ]


def test_a_templated_module_name_reports_the_module_it_resolved_to(tmp_path: Path) -> None:
    """`action: "{{ m }} msg=hello"` is a debug task once `m` is known: its result is
    shown as debug's is (`TASK [{{ m }}]`, then the message, as ansible-core shows it)."""
    site = tmp_path / "site.yml"
    site.write_text(
        "- hosts: good\n  gather_facts: false\n  vars: {m: debug}\n  tasks:\n"
        '    - action: "{{ m }} msg=hello"\n'
    )
    out = io.StringIO()
    inventory = {"all": {"hosts": {"good": {"ansible_connection": "local"}}}}
    result = pbe.run(site, inventory, sinks=[ConsoleSink(out)])
    assert [(r.task_name, r.action) for r in result.results] == [("{{ m }}", "debug")]
    assert 'ok: [good] => {\n    "msg": "hello"\n}' in out.getvalue()


# -- machine-readable -------------------------------------------------------------------------


def test_json_document_validates_against_schema(mixed: tuple[Path, Path]) -> None:
    code, out, err = pbe_cli("run", str(mixed[0]), "-i", str(mixed[1]), "--format", "json")
    doc = json.loads(out)
    jsonschema.Draft202012Validator(RUN_SCHEMA).validate(doc)
    assert code == doc["exit_code"] == 3 and err == ""
    assert doc["schema"] == RUN_SCHEMA["$id"] and doc["version"] == 1
    tasks = {t["name"]: t for t in doc["plays"][0]["tasks"]}
    assert tasks["restart it"]["handler"] is True
    assert {h: r["status"] for h, r in tasks["fail on bad"]["hosts"].items()} == {
        "good": "skipped",
        "bad": "failed",
        "skipper": "skipped",
    }
    assert tasks["fail on bad"]["hosts"]["bad"]["result"]["stderr"] == "first line\nsecond line"
    profiled = doc["profile"]["tasks"]
    assert sorted(t["task"] for t in profiled) == sorted(tasks)
    assert [t["duration"] for t in profiled] == sorted(
        (t["duration"] for t in profiled), reverse=True
    )
    assert set(doc["profile"]["hosts"]) == {"good", "bad", "skipper", "down"}


def test_schema_rejects_a_wrong_document() -> None:
    validator = jsonschema.Draft202012Validator(RUN_SCHEMA)
    assert not validator.is_valid({"version": 1})
    assert not validator.is_valid({"schema": RUN_SCHEMA["$id"], "version": 2})


def test_jsonl_one_event_per_line(mixed: tuple[Path, Path]) -> None:
    code, out, _ = pbe_cli("run", str(mixed[0]), "-i", str(mixed[1]), "--format", "jsonl")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 3 and all(isinstance(r["time"], float) for r in records)
    kinds = [r["event"] for r in records]
    assert kinds[:3] == ["run_start", "play_start", "task_start"]
    assert kinds[-2:] == ["recap", "run_end"]
    assert kinds.count("task_start") == kinds.count("task_end") == 5
    assert kinds.count("host_result") == 4 + 3 + 3 + 2 + 1
    handler = [r for r in records if r["event"] == "task_start" and r["handler"]]
    assert [h["name"] for h in handler] == ["restart it"]
    open_task = None
    for r in records:  # every result sits between its task's start and end
        if r["event"] == "task_start":
            open_task = r["task"]
        elif r["event"] == "host_result":
            assert r["task"] == open_task
        elif r["event"] == "task_end":
            assert r["task"] == open_task
            open_task = None
    assert records[-2]["stats"]["down"]["unreachable"] == 1
    assert records[-1]["exit_code"] == 3


def junit_cases(path: Path) -> tuple[ET.Element, dict[str, ET.Element]]:
    root = ET.parse(path).getroot()
    check_junit_shape(root)
    return root, {c.attrib["name"]: c for c in root.iter("testcase")}


def check_junit_shape(root: ET.Element) -> None:
    """The JUnit shape Jenkins (junit-10.xsd) and GitLab read, and self-consistent counts."""
    assert root.tag == "testsuites"
    for suite in root:
        assert suite.tag == "testsuite"
        assert {"name", "tests", "failures", "errors", "skipped", "time"} <= set(suite.attrib)
        cases = list(suite)
        assert all(c.tag == "testcase" for c in cases)
        assert int(suite.attrib["tests"]) == len(cases)
        for kind, attr in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
            assert int(suite.attrib[attr]) == sum(c.find(kind) is not None for c in cases)
        float(suite.attrib["time"])
        for case in cases:
            assert {"name", "classname", "time"} <= set(case.attrib)
            float(case.attrib["time"])
            assert all(
                child.tag in ("failure", "error", "skipped", "system-out", "system-err")
                for child in case
            )
    for attr in ("tests", "failures", "errors", "skipped"):
        assert int(root.attrib[attr]) == sum(int(s.attrib[attr]) for s in root)


def test_junit_case_by_case(mixed: tuple[Path, Path], tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    code, _, _ = pbe_cli("run", str(mixed[0]), "-i", str(mixed[1]), "--junit", str(report))
    root, cases = junit_cases(report)
    assert code == 3 and len(root) == 1 and root[0].attrib["name"] == "mixed results"
    assert root[0].attrib["tests"] == "13"
    failure = cases["[bad] fail on bad"].find("failure")
    assert (
        failure is not None
        and failure.attrib["message"]
        == "The command exited with a non-zero return code: second line"
    )
    assert "second line" in (failure.text or "")
    error = cases["[down] look around"].find("error")
    assert error is not None and error.attrib["type"] == "unreachable"
    assert "connection refused" in error.attrib["message"]
    skipped = cases["[skipper] change something"].find("skipped")
    assert skipped is not None and skipped.attrib["message"] == "Conditional result was False"
    assert list(cases["[good] change something"]) == []  # passed
    assert "[good] restart it" in cases
    assert all(c.attrib["classname"] == "mixed results" for c in cases.values())


def test_ignored_failure_passes_in_junit(tmp_path: Path) -> None:
    book = tmp_path / "b.yml"
    book.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - fail: msg=meh\n      ignore_errors: true\n"
    )
    report = tmp_path / "j.xml"
    code, out, _ = pbe_cli("run", str(book), "--junit", str(report))
    _, cases = junit_cases(report)
    (case,) = cases.values()
    assert code == 0 and case.find("failure") is None
    out_node = case.find("system-out")
    assert out_node is not None and "ignored failure: meh" in (out_node.text or "")


def test_human_junit_log_and_retry_file_at_once(mixed: tuple[Path, Path], tmp_path: Path) -> None:
    log, report, retry = tmp_path / "run.log", tmp_path / "j.xml", tmp_path / "site.retry"
    code, out, _ = pbe_cli(
        "run",
        str(mixed[0]),
        "-i",
        str(mixed[1]),
        "--junit",
        str(report),
        "--log",
        str(log),
        "--retry-file",
        str(retry),
    )
    assert code == 3
    assert log.read_text() == out and "\x1b" not in out
    junit_cases(report)
    assert retry.read_text() == "bad\ndown\n"
    # --limit @FILE reruns exactly those hosts
    code, out, _ = pbe_cli(
        "run",
        str(mixed[0]),
        "-i",
        str(mixed[1]),
        "--limit",
        f"@{retry}",
        "--retry-file",
        str(retry),
    )
    assert re.findall(r"^(\w+) +: ok=", out, re.M) == ["bad", "down"]
    assert retry.read_text() == "bad\ndown\n"
    # a run with nothing failed leaves no stale retry file
    code, _, _ = pbe_cli(
        "run", str(mixed[0]), "-i", str(mixed[1]), "--limit", "good", "--retry-file", str(retry)
    )
    assert code == 0 and not retry.exists()


# -- secrets ---------------------------------------------------------------------------------

SECRET_INVENTORY = """
all:
  vars: {ansible_connection: local, ansible_become_password: "Hunter2-become"}
  hosts: {h1: , h2: {ansible_password: "Hunter2-ssh"}}
"""

SECRET_BOOK = """
- hosts: all
  gather_facts: false
  tasks:
    - name: print it
      debug: msg="become {{ ansible_become_password }} extra {{ token }}"
    - name: echo it
      command: echo "{{ ansible_become_password }}"
    - name: hidden
      command: echo "no-log-only-value"
      no_log: true
    - name: fail with it
      fail: msg="bad {{ ansible_password | default(token) }}"
"""


def test_secrets_never_reach_any_output(tmp_path: Path) -> None:
    book, inv = tmp_path / "s.yml", tmp_path / "inv.yml"
    book.write_text(SECRET_BOOK)
    inv.write_text(SECRET_INVENTORY)
    secrets = ("Hunter2-become", "Hunter2-ssh", "Hunter2-extra", "no-log-only-value")
    files = {name: tmp_path / name for name in ("j.xml", "run.log")}
    for fmt in ("human", "json", "jsonl"):
        code, out, err = pbe_cli(
            "run",
            str(book),
            "-i",
            str(inv),
            "-vvv",
            "--format",
            fmt,
            "-e",
            "ansible_password=Hunter2-extra token=Hunter2-extra",
            "--junit",
            str(files["j.xml"]),
            "--log",
            str(files["run.log"]),
        )
        assert code == 2, err
        texts = [out, err, *(f.read_text() for f in files.values())]
        assert not [s for s in secrets for t in texts if s in t], fmt
        assert MASK in out and "no_log: true" in out
    events: list[Any] = []
    result = pbe.run(book, inv, on_event=events.append)
    dumped = repr(events) + repr(result.results)
    assert "Hunter2" not in dumped and "no-log-only-value" not in dumped
    assert result.failed_hosts == ["h1", "h2"]


def test_redaction_happens_before_every_sink() -> None:
    class Keep:
        def __init__(self) -> None:
            self.events: list[Any] = []

        def handle(self, event: Any) -> None:
            self.events.append(event)

        def close(self) -> None:
            pass

    first, second = Keep(), Keep()
    reporter = Reporter([first, second], Redactor(["pw-1"]).event)
    reporter.emit(CommandSent("h", "echo pw-1 | sudo -S true"))
    reporter.emit(HostResult(0, 1, "t", "command", "h", "ok", {"stdout": "pw-1"}, 0.1, no_log=True))
    reporter.emit(HostResult(0, 1, "t", "command", "h", "ok", {"out": ["x pw-1"]}, 0.1))
    reporter.close()
    assert first.events == second.events
    cmd, hidden, shown = first.events
    assert cmd.command == f"echo {MASK} | sudo -S true"
    assert set(hidden.result) == {"censored"} and shown.result == {"out": [f"x {MASK}"]}


def test_commands_sent_are_shown_from_vv() -> None:
    def render(verbosity: int) -> str:
        out = io.StringIO()
        sink = ConsoleSink(out, verbosity)
        for event in (
            RunStart("p.yml", False, False),
            TaskStart(0, 1, "t", "command", ("h1", "h2")),
            CommandSent("h2", "echo two"),
            CommandSent("h1", "cat <<EOF\nx\nEOF"),
            HostResult(0, 1, "t", "command", "h2", "ok", {}, 0.0),
            HostResult(0, 1, "t", "command", "h1", "ok", {}, 0.0),
            TaskEnd(0, 1),
            RunEnd({}, 0, 0.0),
        ):
            sink.handle(event)
        return out.getvalue()

    assert "EXEC" not in render(1)
    assert (
        "<h1> EXEC: cat <<EOF\n    x\n    EOF\nok: [h1] => {}\n<h2> EXEC: echo two\nok: [h2]"
        in render(2)
    )


def test_vv_shows_the_commands_a_run_sends(tmp_path: Path) -> None:
    book = tmp_path / "b.yml"
    book.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - command: echo from-the-command\n"
    )
    _, out, _ = pbe_cli("run", str(book), "-vv")
    assert "<localhost> EXEC: " in out and "from-the-command" in out.split("EXEC: ")[1]


# -- validate ------------------------------------------------------------------------------

BAD_BOOK = """- hosts: all
  tasks:
    - debgu: msg=x
    - command: echo hi
      bad_keyword: 1
"""


def test_validate_github_annotations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = tmp_path / "ci" / "bad.yml"
    book.parent.mkdir()
    book.write_text(BAD_BOOK)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    code, out, err = pbe_cli("validate", str(book), "--format", "github")
    assert code == 4 and "2 error(s) found" in err
    lines = out.splitlines()
    assert lines[0].startswith(
        "::error file=ci/bad.yml,line=3,col=7,title=pbe validate::unknown module `debgu`"
    )
    assert "%0Ahint: " in lines[0] and "did you mean `debug`?" in lines[0]
    assert lines[1].startswith("::error file=ci/bad.yml,line=5,col=7,")
    assert len(lines) == 2


def test_validate_json_lists_problems(tmp_path: Path) -> None:
    book = tmp_path / "bad.yml"
    book.write_text(BAD_BOOK)
    code, out, err = pbe_cli("validate", str(book), "--format", "json")
    doc = json.loads(out)
    assert code == 4 and err == "" and doc["ok"] is False and doc["errors"] == 2
    first = doc["problems"][0]
    assert (first["file"], first["line"], first["col"]) == (str(book), 3, 7)
    assert first["severity"] == "error" and "debug" in first["hint"]


def test_validate_ok_in_every_format(mixed: tuple[Path, Path]) -> None:
    book, inv = mixed
    assert pbe_cli("validate", str(book), "-i", str(inv), "--format", "github") == (0, "", "")
    code, out, _ = pbe_cli("validate", str(book), "-i", str(inv), "--format", "json")
    assert code == 0 and json.loads(out)["problems"] == []


# -- doc, version, terminal choice ---------------------------------------------------------


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_doc_for_every_module(name: str) -> None:
    code, out, err = pbe_cli("doc", name)
    assert code == 0 and err == ""
    module = REGISTRY[name]
    assert out.startswith(f"{name}: ") and module.summary(), "a module needs a summary line"
    for key, arg in module.args.items():
        assert f"  {key} (" in out
        assert arg.description, f"{name}: argument `{key}` has no description"
    assert all(len(line) <= 100 for line in out.splitlines())
    assert "Check mode: " in out


def test_doc_shows_free_form_and_constraints() -> None:
    _, out, _ = pbe_cli("doc", "command")
    assert "Free form: `command: TEXT` is the `cmd` argument." in out
    assert "at most one of: cmd, argv" in out and "at least one of: cmd, argv" in out


def test_version_text() -> None:
    code, out, _ = pbe_cli("--version")
    assert code == 0 and out == f"pbe {pbe.__version__}\n"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("env", "no_progress", "live"),
    [
        ({}, False, True),
        ({"CI": "true"}, False, False),
        ({"CI": "false"}, False, True),
        ({"NO_COLOR": "1"}, False, False),
        ({"TERM": "dumb"}, False, False),
        ({}, True, False),
    ],
)
def test_live_view_only_for_a_person_at_a_terminal(
    env: dict[str, str], no_progress: bool, live: bool
) -> None:
    assert use_live(_Tty(), env, no_progress) is live
    assert use_live(io.StringIO(), env, no_progress) is False


# -- exit codes not provoked elsewhere in tests/cli ------------------------------------------


def test_unreachable_exit_3(tmp_path: Path) -> None:
    book = tmp_path / "b.yml"
    book.write_text("- hosts: all\n  gather_facts: false\n  tasks:\n    - ping:\n")
    code, out, _ = pbe_cli("run", str(book), "-i", "127.0.0.1,", "-e", "ansible_port=1")
    assert code == 3 and "UNREACHABLE!" in out


def test_interrupt_while_loading_exit_99(
    mixed: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("playbook_engine.language.playbook.PlaybookLoader.load", interrupted)
    code, out, err = pbe_cli("run", str(mixed[0]), "-i", str(mixed[1]))
    assert (code, out, err) == (99, "", "interrupted\n")


def test_validate_errors_exit_4(tmp_path: Path) -> None:
    book = tmp_path / "bad.yml"
    book.write_text(BAD_BOOK)
    code, out, err = pbe_cli("validate", str(book))
    assert code == 4 and out == "" and "unknown module `debgu`" in err


@pytest.mark.parametrize("flag", ["--junit", "--log", "--retry-file"])
def test_unwritable_output_file_exit_5_before_running(
    mixed: tuple[Path, Path], flag: str, tmp_path: Path
) -> None:
    code, out, err = pbe_cli(
        "run",
        str(mixed[0]),
        "-i",
        str(mixed[1]),
        flag,
        str(tmp_path / "no" / "such" / "dir" / "file"),
    )
    assert code == 5 and out == "" and flag in err


def test_unknown_validate_format_exit_5(mixed: tuple[Path, Path]) -> None:
    assert pbe_cli("validate", str(mixed[0]), "--format", "xml")[0] == 5


def test_missing_playbook_for_validate_exit_5(tmp_path: Path) -> None:
    code, _, err = pbe_cli("validate", str(tmp_path / "nope.yml"))
    assert code == 5 and "playbook not found" in err
