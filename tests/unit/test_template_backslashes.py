"""Backslashes in Jinja string literals, as ansible-core 2.21 treats them (observed with
ansible-playbook on the same playbook): in a template written in the playbook they are
characters (``regex_replace('(x)', '\\1\\1')`` in a double-quoted YAML value refers to the
group), in a condition (an expression) and in a template file Jinja's escapes apply
(``'\\1'`` is one character there, ``'a\\nb'`` holds a newline)."""

from __future__ import annotations

from pathlib import Path

import playbook_engine as pbe

INVENTORY = {"all": {"hosts": {"a": {"ansible_connection": "local"}}}}


def test_string_literals_in_the_playbook_keep_their_backslashes(tmp_path: Path) -> None:
    template = "{{ 'a\\nb' | length }}|{{ 'x' | regex_replace('(x)', '\\\\1') }}"
    (tmp_path / "t.j2").write_text(template)
    book = tmp_path / "site.yml"
    book.write_text(
        r"""
- hosts: all
  gather_facts: false
  vars:
    lines: ["OpenSSH_9.2p1 Debian-2"]
  tasks:
    - debug: {msg: "{{ 'x' | regex_replace('(x)', '\\1\\1') }}"}
    - debug: {msg: "{{ lines | regex_search('OpenSSH_([0-9]+.[0-9]+)', '\\1') | first }}"}
    - debug:
        msg: '{{ ''a\nb'' | length }}-{{ ''it\''s'' }}-{{ "tab\there" | length }}'
    - debug: {msg: "{{ 'a\\\\nb' | length }}"}
    - debug: {msg: yes}
      when: "'\\1' | length == 1"
    - template: {src: t.j2, dest: OUT}
""".replace("OUT", str(tmp_path / "out.txt"))
    )
    result = pbe.run(book, INVENTORY)
    msgs = [r.result.get("msg") for r in result.results if r.action == "debug"]
    assert msgs == ["xx", "9.2", "4-it\\'s-9", 5, True], msgs
    # a template file: Jinja's escapes ('\n' is a newline, '\\1' one backslash and a 1)
    assert (tmp_path / "out.txt").read_text() == "3|x"
