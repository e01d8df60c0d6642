"""Real-world argument shapes of the content modules that validation must accept (from
corpus roles: geerlingguy.pip, cloudalchemy.node_exporter) and the checks it keeps."""

from __future__ import annotations

import io
from pathlib import Path

from playbook_engine.api import run
from playbook_engine.cli import main

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}


def validate(book: Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["validate", str(book), "-i", "localhost,"], out, err)
    return code, out.getvalue() + err.getvalue()


def write(tmp_path: Path, tasks: str) -> Path:
    book = tmp_path / "site.yml"
    book.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}")
    return book


def test_templated_exclusive_arguments_are_left_to_run_time(tmp_path: Path) -> None:
    code, text = validate(
        write(
            tmp_path,
            """
    - pip:
        name: x
        virtualenv: "{{ item.virtualenv | default(omit) }}"
        executable: "{{ item.virtualenv | default(false) | ternary(omit, 'pip3') }}"
      loop: [{name: x}]
    - uri: {url: "http://127.0.0.1:1/", status_code: 200}
""",
        )
    )
    assert code == 0, text


def test_literal_exclusive_arguments_are_still_refused(tmp_path: Path) -> None:
    book = write(tmp_path, "    - pip: {name: x, virtualenv: /v, executable: pip3}\n")
    code, text = validate(book)
    assert code == 4
    assert "pip: arguments are mutually exclusive: executable, virtualenv" in text


def test_exclusive_arguments_that_render_both_fail_the_task(tmp_path: Path) -> None:
    book = write(
        tmp_path,
        """
    - pip: {name: x, virtualenv: "{{ '/v' }}", executable: "{{ 'pip3' }}"}
      ignore_errors: true
""",
    )
    result = run(book, LOCAL)
    assert result.results[0].status == "failed"
    assert result.results[0].result["msg"] == (
        "parameters are mutually exclusive: executable|virtualenv"
    )
