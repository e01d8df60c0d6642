"""ini_file with ``section: null`` (or omitted, or empty): the options before the first
section header. Every expected file, message and ``changed`` below is what
community.general's ini_file (13.5.0, run by ansible-playbook) did from the same start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import playbook_engine as pbe
from playbook_engine.modules.ini_file import plan
from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}
HEAD = "a=1\n[s]\nb=2\n"

# (file before (None: no file), arguments, message, file after (None: unchanged/not written))
CASES: list[tuple[str | None, dict[str, Any], str, str | None]] = [
    (
        None,
        {"section": None, "option": "export FOO", "value": "bar", "no_extra_spaces": True},
        "option added",
        "export FOO=bar\n\n",
    ),
    (
        HEAD,
        {"section": None, "option": "c", "value": "3"},
        "option added",
        "a=1\nc = 3\n[s]\nb=2\n",
    ),
    (HEAD, {"option": "c", "value": "3"}, "option added", "a=1\nc = 3\n[s]\nb=2\n"),
    (HEAD, {"section": "", "option": "c", "value": "3"}, "option added", "a=1\nc = 3\n[s]\nb=2\n"),
    (HEAD, {"section": None, "option": "a", "value": "5"}, "option changed", "a = 5\n[s]\nb=2\n"),
    ("a = 1\n[s]\nb=2\n", {"section": None, "option": "a", "value": "1"}, "OK", None),
    (
        "a  =  1\n[s]\n",
        {"section": None, "option": "a", "value": "1", "ignore_spaces": True},
        "OK",
        None,
    ),
    (
        "a=1\nx=2\n[s]\na=2\n",
        {"section": None, "option": "a", "state": "absent"},
        "option changed",
        "x=2\n[s]\na=2\n",
    ),
    ("x=1\n[s]\nb=2\n", {"section": None, "option": "b", "state": "absent"}, "OK", None),
    (None, {"section": None, "option": "a", "state": "absent"}, "OK", None),
    (
        "[s]\nb=2\n",
        {"section": None, "option": "x", "value": "1"},
        "option added",
        "x = 1\n[s]\nb=2\n",
    ),
    (
        "# c\n\n[s]\nb=2\n",
        {"section": None, "option": "x", "value": "1"},
        "option added",
        "x = 1\n# c\n\n[s]\nb=2\n",
    ),
    (
        "a=1\n\n# trailing\n[s]\n",
        {"section": None, "option": "z", "value": "9"},
        "option added",
        "a=1\nz = 9\n\n# trailing\n[s]\n",
    ),
    (
        "#x=0\n[s]\nb=2\n",
        {"section": None, "option": "x", "value": "1"},
        "option changed",
        "x = 1\n[s]\nb=2\n",
    ),
    (
        "a=1\na=2\na=3\n[s]\na=9\n",
        {"section": None, "option": "a", "values": ["3", "4"]},
        "option changed",
        "a = 4\na = 3\n[s]\na=9\n",
    ),
    (
        "a=1\na=2\n[s]\n",
        {"section": None, "option": "a", "values": ["2"], "exclusive": False},
        "option changed",
        "a=1\na = 2\n[s]\n",
    ),
    (
        "a=1\na=2\n[s]\na=1\n",
        {"section": None, "option": "a", "values": ["1"], "state": "absent", "exclusive": False},
        "option changed",
        "a=2\n[s]\na=1\n",
    ),
    (
        "k=1\n[s]\n",
        {"section": None, "option": "flag", "allow_no_value": True},
        "option added",
        "k=1\nflag\n[s]\n",
    ),
    ("a=1", {"section": None, "option": "b", "value": "2"}, "option added", "a=1\nb = 2\n"),
    (HEAD, {"section": None, "allow_no_value": True}, "OK", None),
    # the whole head goes, and the first header with it
    (HEAD, {"section": None, "state": "absent"}, "section removed", "b=2\n"),
    ("[s]\nb=2\n", {"section": None, "state": "absent"}, "section removed", "b=2\n"),
    ("a=1\nq=2\n", {"section": None, "state": "absent"}, "section removed", ""),
    (None, {"section": None, "state": "absent"}, "section removed", ""),  # an empty file made
    (
        "a=1\n[s]\n",
        {
            "section": None,
            "option": "a",
            "value": "1",
            "section_has_values": [{"option": "a", "values": ["1"]}],
        },
        "option changed",
        "a = 1\n[s]\n",
    ),
    (  # unmatched: the community module adds its inner name for the head as a section
        "a=1\n[s]\n",
        {
            "section": None,
            "option": "a",
            "value": "2",
            "section_has_values": [{"option": "a", "values": ["9"]}],
        },
        "section and option added",
        "a=1\n[s]\n[ad01e11446efb704fcdbdb21f2c43757423d91c5]\na = 2\n",
    ),
]


@pytest.mark.parametrize(
    ("before", "args", "msg", "after"), CASES, ids=[str(i) for i in range(len(CASES))]
)
def test_head_of_the_file_edited_as_community_ini_file(
    before: str | None, args: dict[str, Any], msg: str, after: str | None
) -> None:
    outcome = plan(args, None if before is None else before.encode(), "t.ini")
    assert not outcome.failed
    assert outcome.msg == msg
    assert (None if outcome.after is None else outcome.after.decode()) == after


def test_section_null_passes_validation(tmp_path: Path) -> None:
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        f"    - ini_file: {{dest: {tmp_path}/x.env, section: null, option: a, value: b}}\n"
        f"    - community.general.ini_file: {{path: {tmp_path}/x.env, section: ~, option: c, "
        "value: d}\n"
    )
    assert [p for p in pbe.validate(book) if p.severity == "error"] == []


def test_real_run_check_mode_and_diff(tmp_path: Path) -> None:
    env = tmp_path / "app.env"
    env.write_text(HEAD)
    made = tmp_path / "new.env"
    book = tmp_path / "site.yml"
    book.write_text(f"""
- hosts: all
  gather_facts: false
  tasks:
    - ini_file: {{path: {env}, section: null, option: a, value: "7"}}
    - ini_file: {{path: {env}, section: null, option: "export FOO", value: bar,
                  no_extra_spaces: true}}
    - ini_file: {{path: {env}, section: null, option: b, state: absent}}
    - ini_file: {{path: {made}, section: null, option: "export FOO", value: bar,
                  no_extra_spaces: true}}
""")
    real = check_predicts_run(
        book,
        LOCAL,
        unchanged=lambda: (
            (env.read_text() == HEAD and not made.exists())
            or pytest.fail("check mode wrote a file")
        ),
    )
    assert [r.status for r in real.results] == ["changed", "changed", "ok", "changed"]
    assert env.read_text() == "a = 7\nexport FOO=bar\n[s]\nb=2\n"
    assert made.read_text() == "export FOO=bar\n\n"

    env.write_text(HEAD)
    removal = tmp_path / "remove.yml"
    removal.write_text(f"""
- hosts: all
  gather_facts: false
  tasks:
    - ini_file: {{path: {env}, section: null, option: a, state: absent}}
""")
    checked = pbe.run(removal, LOCAL, check=True, diff=True).results[0]
    assert checked.status == "changed"
    assert env.read_text() == HEAD
    assert checked.result["diff"] == {
        "before": HEAD,
        "after": "[s]\nb=2\n",
        "before_header": f"{env} (content)",
        "after_header": f"{env} (content)",
    }
    done = pbe.run(removal, LOCAL, diff=True).results[0]
    assert done.status == "changed"
    assert done.result["msg"] == "option changed"
    assert env.read_text() == "[s]\nb=2\n"
