"""Lookups in templates and the with_* loops they feed."""

from __future__ import annotations

from pathlib import Path

import pytest

import playbook_engine as pbe

INVENTORY = {"all": {"hosts": {"a": None}, "vars": {"ansible_connection": "local"}}}


def run(tmp_path: Path, tasks: str, **kw: object) -> pbe.RunResult:
    (tmp_path / "files").mkdir(exist_ok=True)
    (tmp_path / "files" / "motd.txt").write_text("hello\n")
    (tmp_path / "files" / "b.conf").write_text("b")
    (tmp_path / "files" / "a.conf").write_text("a")
    (tmp_path / "templates").mkdir(exist_ok=True)
    (tmp_path / "templates" / "t.j2").write_text("x={{ x }}")
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: a\n  gather_facts: false\n  vars: {x: 5, d: {k1: 1, k2: 2}}\n  tasks:\n" + tasks
    )
    return pbe.run(book, INVENTORY, **kw)  # type: ignore[arg-type]


def debug_msgs(result: pbe.RunResult) -> list[object]:
    out: list[object] = []
    for r in result.results:
        out += [i.get("msg") for i in r.items] if r.items else [r.result.get("msg")]
    return out


def test_lookups_in_templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PBE_TEST_VAR", "from-env")
    result = run(
        tmp_path,
        """
    - debug: msg="{{ lookup('file', 'motd.txt') }}"
    - debug: msg="{{ lookup('env', 'PBE_TEST_VAR') }}"
    - debug: msg="{{ lookup('pipe', 'echo piped') }}"
    - debug: msg="{{ lookup('template', 't.j2') }}"
    - debug: msg="{{ lookup('vars', 'x') }}"
    - debug: msg="{{ query('sequence', 'start=1 end=3') }}"
""",
    )
    assert result.ok
    assert debug_msgs(result) == ["hello", "from-env", "piped", "x=5", 5, ["1", "2", "3"]]


def test_with_loops(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
    - debug: msg="{{ item }}"
      with_items: [[1, 2], 3]
    - debug: msg="{{ item.key }}={{ item.value }}"
      with_dict: "{{ d }}"
    - debug: msg="{{ item | basename }}"
      with_fileglob: ["*.conf"]
    - debug: msg="{{ item }}"
      with_sequence: start=8 end=12 stride=2 format=h%02d
    - debug: msg="{{ item }}"
      with_list: [[1, 2], 3]
""",
    )
    assert result.ok
    assert debug_msgs(result) == [
        1,
        2,
        3,
        "k1=1",
        "k2=2",
        "a.conf",
        "b.conf",
        "h08",
        "h10",
        "h12",
        [1, 2],
        3,
    ]


def test_unknown_loop_is_a_validation_error(tmp_path: Path) -> None:
    with pytest.raises(pbe.ValidationFailed) as info:
        run(tmp_path, "    - debug: msg=x\n      with_itemz: [1]\n")
    assert "unknown loop `with_itemz`" in str(info.value)
    assert "did you mean `with_items`?" in str(info.value)


def test_missing_lookup_file_fails_the_task(tmp_path: Path) -> None:
    result = run(tmp_path, "    - debug: msg=\"{{ lookup('file', 'nope.txt') }}\"\n")
    assert result.exit_code == 2
    assert "could not find `nope.txt`" in str(result.results[0].result["msg"])


def test_ansible_managed_is_defined(tmp_path: Path) -> None:
    result = run(tmp_path, '    - debug: msg="# {{ ansible_managed }}"\n')
    assert debug_msgs(result) == ["# Ansible managed"]


def test_with_template_renders_each_file(tmp_path: Path) -> None:
    result = run(tmp_path, '    - debug: msg="{{ item }}"\n      with_template: [t.j2]\n')
    assert result.ok
    assert debug_msgs(result) == ["x=5"]


def test_template_lookup_keeps_the_sources_trailing_newlines_and_renders_only_what_is_read(
    tmp_path: Path,
) -> None:
    """Ansible 2.21 gives "A\\n" for `{% if true %}\\nA{% endif %}\\n` (trim_blocks eats
    the last newline, the source's is given back) and renders only the variables an
    `{% include %}` reads: an unused `"{{ undefined }}"` does not fail the task."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "tb.j2").write_text("{% if true %}\nA{% endif %}\n")
    (templates / "outer.j2").write_text(
        "{% set mine = x %}\n{% for i in [1, 2] %}{% include 'inner.j2' %}{% endfor %}\n"
    )
    (templates / "inner.j2").write_text("[{{ i }}:{{ mine }}]\n")
    result = run(
        tmp_path,
        "    - debug: msg=\"{{ lookup('template', 'tb.j2') }}\"\n"
        "    - debug: msg=\"{{ lookup('template', 'outer.j2') }}\"\n"
        '      vars: {unused: "{{ not_defined_anywhere }}"}\n',
    )
    assert result.ok, [r.result for r in result.results]
    assert debug_msgs(result) == ["A\n", "[1:5][2:5]\n"]
