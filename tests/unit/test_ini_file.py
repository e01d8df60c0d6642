"""ini_file: the pure edit against what community.general's ini_file really wrote (each
expected file below was produced by ``ansible localhost -m community.general.ini_file``
on BASE), and a real run on this machine through the parity helper."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from playbook_engine.errors import ModuleError
from playbook_engine.modules.ini_file import plan
from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}
BASE = "# top\n[a]\nx = 1\n; y = 2\n\n[b]\nz=3\nz=4\n"

CASES: list[tuple[dict[str, Any], str, str | None]] = [
    (
        {"section": "a", "option": "y", "value": "9"},
        "option changed",
        "# top\n[a]\nx = 1\ny = 9\n\n[b]\nz=3\nz=4\n",
    ),
    ({"section": "a", "option": "x", "value": "1"}, "OK", None),
    (
        {"section": "b", "option": "z", "values": ["5", "3"]},
        "option changed",
        "# top\n[a]\nx = 1\n; y = 2\n\n[b]\nz = 3\nz = 5\n",
    ),
    (
        {"section": "c", "option": "q", "value": "1"},
        "section and option added",
        BASE + "[c]\nq = 1\n",
    ),
    ({"section": "b", "state": "absent"}, "section removed", "# top\n[a]\nx = 1\n; y = 2\n\n"),
    (
        {"section": "a", "option": "x", "state": "absent"},
        "option changed",
        "# top\n[a]\n; y = 2\n\n[b]\nz=3\nz=4\n",
    ),
    (
        {"section": "b", "option": "z", "value": "3", "exclusive": False},
        "option changed",
        "# top\n[a]\nx = 1\n; y = 2\n\n[b]\nz = 3\nz=4\n",
    ),
    ({"section": None, "option": "top", "value": "t"}, "option added", "top = t\n" + BASE),
    (
        {"section": "a", "option": "w", "value": "2", "no_extra_spaces": True},
        "option added",
        "# top\n[a]\nx = 1\nw=2\n; y = 2\n\n[b]\nz=3\nz=4\n",
    ),
]


@pytest.mark.parametrize(("args", "msg", "after"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_edit_matches_community_ini_file(args: dict[str, Any], msg: str, after: str | None) -> None:
    outcome = plan(args, BASE.encode(), "t.ini")
    assert outcome.msg == msg
    assert (outcome.after.decode() if outcome.after is not None else None) == after


def test_missing_file_without_create_fails_with_rc_257() -> None:
    outcome = plan(
        {"section": "a", "option": "x", "value": "1", "create": False}, None, "/etc/none.ini"
    )
    assert outcome.failed
    assert outcome.msg == "Destination /etc/none.ini does not exist!"


def test_new_file_starts_as_ansibles_does() -> None:
    assert plan({"section": None, "option": "o", "value": "1"}, None, "x").after == b"o = 1\n\n"


def test_present_without_value_is_refused_before_the_host() -> None:
    with pytest.raises(ModuleError, match="must be defined if state=present"):
        plan({"section": "a", "option": "x"}, BASE.encode(), "t.ini")


def test_real_run_is_predicted_and_idempotent(tmp_path: Path) -> None:
    ini = tmp_path / "conf.ini"
    ini.write_text(BASE)
    book = tmp_path / "site.yml"
    book.write_text(f"""
- hosts: all
  gather_facts: false
  tasks:
    - community.general.ini_file: {{path: {ini}, section: a, option: y, value: "9"}}
    - ini_file: {{path: {ini}, section: new, option: k, value: v, mode: "0640"}}
    - ini_file: {{path: {ini}, section: b, state: absent, backup: true}}
      register: gone
    - ini_file: {{path: {tmp_path}/made.ini, section: s, option: o, value: "1"}}
""")
    real = check_predicts_run(
        book,
        LOCAL,
        unchanged=lambda: ini.read_text() == BASE or pytest.fail("check mode wrote the file"),
    )
    assert [r.status for r in real.results] == ["changed"] * 4
    assert ini.read_text() == "# top\n[a]\nx = 1\ny = 9\n\n[new]\nk = v\n"
    assert oct(ini.stat().st_mode & 0o777) == "0o640"
    assert Path(real.results[2].result["backup_file"]).read_text().endswith("[new]\nk = v\n")
    # community.general starts a new file with an empty line before the section, too
    assert (tmp_path / "made.ini").read_text() == "\n[s]\no = 1\n"
