"""debconf against this machine's debconf database, with answers of a made-up package
(``pbe-t<random>``) that the fixture purges afterwards. Each change is checked with
``check_predicts_run`` and by reading the database with debconf's own tools.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from playbook_engine.api import run
from playbook_engine.testing.parity import check_predicts_run

pytestmark = pytest.mark.skipif(
    not shutil.which("debconf-show") or os.geteuid() != 0, reason="needs debconf and root"
)
LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}


@pytest.fixture
def pkg() -> Iterator[str]:
    name = f"pbe-t{uuid.uuid4().hex[:10]}"
    try:
        yield name
    finally:
        subprocess.run(
            ["debconf-communicate", name],
            input="PURGE\n",
            text=True,
            capture_output=True,
            check=False,
        )


def stored(pkg: str, question: str) -> str:
    out = subprocess.run(
        ["debconf-communicate", pkg],
        input=f"GET {pkg}/{question}\n",
        text=True,
        capture_output=True,
    ).stdout.strip()
    code, _, value = out.partition(" ")
    return value if code == "0" else ""


def seen(pkg: str, question: str) -> str:
    out = subprocess.run(
        ["debconf-communicate", pkg],
        input=f"FGET {pkg}/{question} seen\n",
        text=True,
        capture_output=True,
    ).stdout.strip()
    return out.partition(" ")[2]


def book(path: Path, task: str) -> Path:
    path.write_text(
        f"- hosts: all\n  gather_facts: false\n  tasks:\n    - {task}\n      register: out\n"
    )
    return path


def registered(result: Any) -> dict[str, Any]:
    return dict(result.results[0].result)


def _never_set(pkg: str, question: str) -> None:
    assert stored(pkg, question) == "", "check mode set the answer"


def test_string_boolean_and_password_answers(tmp_path: Path, pkg: str) -> None:
    play = book(
        tmp_path / "s.yml",
        f"debconf: {{name: {pkg}, question: {pkg}/greeting, "
        f"vtype: string, value: 'hello  world'}}\n",
    )
    real = check_predicts_run(play, LOCAL, unchanged=lambda: _never_set(pkg, "greeting"))
    assert stored(pkg, "greeting") == "hello  world"
    assert seen(pkg, "greeting") == "true"
    assert registered(real)["current"] == {f"{pkg}/greeting": "hello  world"}
    assert registered(real)["previous"] == {f"{pkg}/greeting": ""}

    play = book(
        tmp_path / "b.yml",
        f"debconf: {{pkg: {pkg}, setting: {pkg}/enable, "
        f"vtype: boolean, answer: yes, unseen: true}}\n",
    )
    check_predicts_run(play, LOCAL, unchanged=lambda: _never_set(pkg, "enable"))
    assert stored(pkg, "enable") == "true"
    assert seen(pkg, "enable") == "false", "unseen leaves the seen flag unset"

    play = book(
        tmp_path / "p.yml",
        f"debconf: {{name: {pkg}, question: {pkg}/secret, vtype: password, value: 's3cr et'}}\n",
    )
    check_predicts_run(play, LOCAL, unchanged=lambda: _never_set(pkg, "secret"))
    assert stored(pkg, "secret") == "s3cr et", "a password is compared with the stored one"

    play = book(
        tmp_path / "p2.yml",
        f"debconf: {{name: {pkg}, question: {pkg}/secret, vtype: password, value: other}}\n",
    )
    real = check_predicts_run(play, LOCAL, unchanged=lambda: _stored(pkg, "secret", "s3cr et"))
    assert stored(pkg, "secret") == "other"
    assert registered(real)["previous"] == {f"{pkg}/secret": "(password omitted)"}

    everything = registered(run(book(tmp_path / "all.yml", f"debconf: {{name: {pkg}}}\n"), LOCAL))
    assert everything["changed"] is False
    assert everything["current"] == {
        f"{pkg}/greeting": "hello  world",
        f"{pkg}/enable": "true",
        f"{pkg}/secret": "(password omitted)",
    }


def _stored(pkg: str, question: str, value: str) -> None:
    assert stored(pkg, question) == value, "check mode changed the answer"


def test_multiselect_list_is_compared_in_any_order(tmp_path: Path, pkg: str) -> None:
    subprocess.run(
        ["debconf-set-selections"],
        input=f"{pkg} {pkg}/pick multiselect b, a\n",
        text=True,
        check=True,
    )
    same = book(
        tmp_path / "m.yml",
        f"debconf: {{name: {pkg}, question: {pkg}/pick, vtype: multiselect, value: [a, b]}}\n",
    )
    assert registered(run(same, LOCAL))["changed"] is False
    more = book(
        tmp_path / "m2.yml",
        f"debconf: {{name: {pkg}, question: {pkg}/pick, vtype: multiselect, value: [c, a, b]}}\n",
    )
    real = check_predicts_run(more, LOCAL, unchanged=lambda: _stored(pkg, "pick", "b, a"))
    assert stored(pkg, "pick") == "a, b, c"
    assert registered(real)["current"] == {f"{pkg}/pick": "a, b, c"}


def test_a_question_needs_vtype_and_value(tmp_path: Path, pkg: str) -> None:
    play = book(tmp_path / "bad.yml", f"debconf: {{name: {pkg}, question: {pkg}/q, value: x}}\n")
    for check in (True, False):
        out = registered(run(play, LOCAL, check=check))
        assert out["failed"] is True
        assert out["msg"] == ("when supplying a question you must supply a valid vtype and value")
    assert stored(pkg, "q") == ""
