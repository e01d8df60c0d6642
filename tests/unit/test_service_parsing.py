"""The service modules' pure parts: systemctl show, init script status words, ps filtering,
the section and step scripts, and what validation accepts."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

from playbook_engine.cli import main
from playbook_engine.language.validate import parse_kv
from playbook_engine.modules.util import sysvinit
from playbook_engine.modules.util.initd import is_running
from playbook_engine.modules.util.services import (
    Step,
    failed_step,
    ps_matches,
    sections,
    steps_script,
)
from playbook_engine.modules.util.systemctl import parse_show
from playbook_engine.testing.recorded import load_case, run_case

RECORDED = Path(__file__).parent / "modules" / "recorded"


def test_show_values_span_lines_only_for_exec_properties() -> None:
    text = (
        "Id=web.service\n"
        "ExecStartPre={ path=/bin/true ; argv[]=/bin/true ;\n"
        "  ignore_errors=no }\n"
        "Description={ not a block\n"
        "Names=web.service www.service\n"
        "junk without an equals sign\n"
        "Environment=A=1 B=2\n"
    )
    assert parse_show(text) == {
        "Id": "web.service",
        "ExecStartPre": "{ path=/bin/true ; argv[]=/bin/true ;\n  ignore_errors=no }",
        "Description": "{ not a block",
        "Names": "web.service www.service",
        "Environment": "A=1 B=2",
    }


def test_status_is_every_property_systemctl_show_printed() -> None:
    case = load_case(RECORDED / "systemd" / "start_and_enable.yaml")
    shown = sections(case["host"][0]["stdout"])["show"].text
    result, _ = run_case(case)
    assert result["status"] == parse_show(shown)
    assert len(result["status"]) > 200
    assert result["status"]["UnitFileState"] == "disabled"


@pytest.mark.parametrize(
    ("rc", "out", "running"),
    [
        (0, "nginx is running\n", True),
        (3, "nginx is not running\n", False),  # LSB: program is not running
        (0, "nginx is not running\n", False),  # the words, when the exit status lies
        (0, "Stopped\n", False),
        (1, "nginx is running\n", False),  # an LSB exit status wins over words
        (0, "active (started)\n", True),
        (0, "dead but pid file exists\n", False),
        (0, "line one\nline two\n", True),  # several lines: the exit status decides
        (5, "line one\nline two\n", None),  # nothing to go on
        (5, "", None),
    ],
)
def test_init_script_status_is_read_as_ansible_reads_it(
    rc: int, out: str, running: bool | None
) -> None:
    assert is_running("nginx", rc, out) is running


def test_the_service_name_is_not_a_status_word() -> None:
    assert is_running("runit-stopper", 0, "runit-stopper: up\n") is True


@pytest.mark.parametrize(
    ("rc", "out", "running"),
    [
        (0, "apache2 is running.\n", True),
        (0, "apache2 is inactive\n", False),  # sysvinit knows "inactive"
        (3, "apache2 is not running\n", False),
        (0, "", True),
        (4, "", False),
    ],
)
def test_sysvinit_reads_words_first(rc: int, out: str, running: bool) -> None:
    assert sysvinit.running("apache2", rc, out) is running


PS = """4242
    1     0 /sbin/init
  812     1 /usr/sbin/nginx -g daemon on;
 4241     1 sh -c probe for nginx
 4242  4241 sh -c probe for nginx
 4243  4242 ps -e -ww -o pid= -o ppid= -o args=
"""


def test_ps_leaves_out_the_probe_its_parents_and_its_ps() -> None:
    assert ps_matches(PS, "/usr/sbin/nginx")
    assert not ps_matches(PS, "probe for")
    assert not ps_matches(PS, "-ww")
    assert not ps_matches("", "nginx")


def test_sections_split_on_markers_only() -> None:
    out = "a\nb\n\n@@pbe first 0\nno newline\n@@pbe second 3\n\n@@pbe third 0\n"
    parts = sections(out)
    assert parts["first"].text == "a\nb\n" and parts["first"].rc == 0
    assert parts["second"].text == "no newline" and parts["second"].rc == 3
    assert parts["third"].text == ""


def _run(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", "-c", script], capture_output=True, text=True, timeout=60, check=False
    )


def test_a_failed_step_stops_the_script_with_its_words() -> None:
    script = steps_script(
        [
            Step("one", ("echo", "fine")),
            Step("two", ("sh", "-c", "echo out; echo bad >&2; exit 4")),
            Step("three", ("touch", "/nonexistent/never")),
        ]
    )
    res = _run(script)
    assert res.returncode == 4
    assert failed_step(res.stdout) == ("two", "out\n", "bad\n")
    assert "three" not in res.stdout


def test_a_step_that_may_fail_lets_the_script_go_on() -> None:
    res = _run(steps_script([Step("stop?", ("false",), fatal=False), Step("start", ("true",))]))
    assert res.returncode == 0
    assert failed_step(res.stdout) == ("stop?", "", "")  # the last failure, not fatal


@pytest.mark.parametrize(
    ("task", "error"),
    [
        (
            "service: name=web state=running",
            "service: `state` must be one of reloaded, restarted, started, stopped, got 'running'",
        ),
        (
            "systemd: {name: web, scope: session}",
            "systemd_service: `scope` must be one of system, user, global, got 'session'",
        ),
        (
            "sysvinit: {name: web, arguments: -v}",
            "sysvinit: one of these arguments is required: state, enabled",
        ),
    ],
)
def test_validation_refuses_what_ansible_refuses(tmp_path: Path, task: str, error: str) -> None:
    book = tmp_path / "site.yml"
    book.write_text(f"- hosts: all\n  tasks:\n    - {task}\n")
    err = io.StringIO()
    assert main(["validate", str(book)], io.StringIO(), err) == 4
    assert error in err.getvalue(), err.getvalue()


def test_validation_accepts_real_world_forms(tmp_path: Path) -> None:
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: all\n  tasks:\n"
        "    - systemd: daemon-reload=true\n"
        "    - ansible.builtin.systemd_service: {daemon_reload: true}\n"
        "    - service: name=nginx state=restarted\n"
        "    - service: {name: docker, state: started, enabled: true, "
        "daemon_reload: true, masked: false}\n"
        "    - ansible.builtin.service: {name: foo, enabled: '{{ x | bool }}', "
        "use: service}\n"
        "    - ansible.builtin.sysvinit: {name: apache2, enabled: true, "
        "runlevels: [3, 5]}\n"
        "    - service_facts:\n"
        "    - ansible.builtin.systemd_service: {name: docker}\n"
        "      register: docker_service_status\n"
        "    - service: {daemon_reload: true}\n"
        "    - service: name=docker\n"  # under systemd: reads the status
        "  handlers:\n"
        "    - name: restart nginx\n"
        "      service: name=nginx state=restarted\n"
    )
    err = io.StringIO()
    assert main(["validate", str(book)], io.StringIO(), err) == 0, err.getvalue()


def test_dashed_keys_are_keys_in_key_value_arguments() -> None:
    assert parse_kv("daemon-reload=true name=x") == ({"daemon-reload": "true", "name": "x"}, [])
