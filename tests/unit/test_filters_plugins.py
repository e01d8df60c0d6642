"""The user's filter_plugins/, test_plugins/ and lookup_plugins/, beside a playbook or in a
role, loaded as Ansible loads them (Python files defining FilterModule, TestModule or
LookupModule), with a warning naming the file for one that cannot load."""

from __future__ import annotations

import io
import sys
import types
from pathlib import Path

import pytest

import playbook_engine as pbe
from playbook_engine.cli import main

INVENTORY = {"all": {"hosts": {"a": None}, "vars": {"ansible_connection": "local"}}}

FILTERS = """
from ansible.errors import AnsibleFilterError


def shout(value, suffix="!"):
    if not isinstance(value, str):
        raise AnsibleFilterError("shout needs a string")
    return value.upper() + suffix


class FilterModule(object):
    def filters(self):
        return {"shout": shout, "to_json": lambda v: "mine"}
"""
TESTS = """
class TestModule:
    def tests(self):
        return {"even_number": lambda v: int(v) % 2 == 0}
"""
LOOKUP_WITH_BASE = '''
DOCUMENTATION = """
name: repeat
options:
  times:
    default: 2
"""
from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        times = int(self.get_option("times"))
        return [str(t) * times for t in terms] + [variables["inventory_hostname"]]
'''
LOOKUP_PLAIN = """
class LookupModule:
    def run(self, terms, variables=None, **kwargs):
        return [len(terms)]
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def debug_msgs(result: pbe.RunResult) -> list[object]:
    out: list[object] = []
    for r in result.results:
        out += [i.get("msg") for i in r.items] if r.items else [r.result.get("msg")]
    return out


def test_plugins_beside_the_playbook(tmp_path: Path) -> None:
    write(tmp_path / "filter_plugins" / "mine.py", FILTERS)
    write(tmp_path / "filter_plugins" / "helper_without_class.py", "X = 1\n")
    write(tmp_path / "test_plugins" / "numbers.py", TESTS)
    write(tmp_path / "lookup_plugins" / "repeat.py", LOOKUP_WITH_BASE)
    write(tmp_path / "lookup_plugins" / "count.py", LOOKUP_PLAIN)
    book = write(
        tmp_path / "site.yml",
        """
- hosts: a
  gather_facts: false
  tasks:
    - debug: {msg: "{{ 'hi' | shout }} {{ 'hi' | shout('?') }}"}
    - debug: {msg: "{{ 4 is even_number }} {{ 3 is even_number }}"}
    - debug: {msg: "{{ lookup('repeat', 'ab', wantlist=True) }}"}
    - debug: {msg: "{{ query('repeat', 'x', times=3) }}"}
    - debug: {msg: "{{ query('count', 1, 2, 3) }}"}
    - debug: {msg: "{{ item }}"}
      with_repeat: [z]
    - debug: {msg: "{{ {'a': 1} | to_json }} {{ {'a': 1} | ansible.builtin.to_json }}"}
""",
    )
    result = pbe.run(book, INVENTORY)
    assert result.exit_code == 0, [r.result for r in result.results if r.status == "failed"]
    assert debug_msgs(result) == [
        "HI! HI?",
        "True False",
        ["abab", "a"],
        ["xxx", "a"],
        [3],
        "zz",
        "a",
        'mine {"a": 1}',
    ]
    assert not any(m.split(".")[0] == "ansible" for m in sys.modules)


def test_role_plugins_and_include_role_at_run_time(tmp_path: Path) -> None:
    for role in ("r1", "r2"):
        write(
            tmp_path / "roles" / role / "tasks" / "main.yml",
            f"- debug: {{msg: \"{{{{ '{role}' | shout }}}}\"}}\n",
        )
    write(tmp_path / "roles" / "r1" / "filter_plugins" / "f.py", FILTERS)
    write(tmp_path / "roles" / "r2" / "lookup_plugins" / "count.py", LOOKUP_PLAIN)
    write(
        tmp_path / "roles" / "r2" / "tasks" / "main.yml",
        "- debug: {msg: \"{{ query('count', 1, 2) }}\"}\n",
    )
    book = write(
        tmp_path / "site.yml",
        """
- hosts: a
  gather_facts: false
  roles: [r1]
  tasks:
    - include_role: {name: r2}
""",
    )
    result = pbe.run(book, INVENTORY)
    assert result.exit_code == 0, [r.result for r in result.results if r.status == "failed"]
    assert debug_msgs(result)[0] == "R1!"
    assert debug_msgs(result)[-1] == [2]


def test_a_plugin_that_cannot_load_is_a_warning_naming_the_file(tmp_path: Path) -> None:
    write(
        tmp_path / "filter_plugins" / "needs_passlib.py",
        "import os\nfrom passlib.hash import nothing\n",
    )
    write(
        tmp_path / "filter_plugins" / "needs_ansible.py",
        "from ansible.module_utils.basic import AnsibleModule\n",
    )
    write(tmp_path / "test_plugins" / "broken.py", "def tests(:\n")
    write(tmp_path / "lookup_plugins" / "nolookup.py", "X = 1\n")
    write(tmp_path / "filter_plugins" / "good.py", FILTERS)
    book = write(
        tmp_path / "site.yml",
        """
- hosts: a
  gather_facts: false
  tasks:
    - debug: {msg: "{{ 'ok' | shout }}"}
""",
    )
    out, err = io.StringIO(), io.StringIO()
    code = _cli(book, out, err)
    assert code == 0, err.getvalue()
    text = err.getvalue()
    assert (
        f"warning: {tmp_path / 'filter_plugins' / 'needs_passlib.py'}:2:1: cannot load "
        "filter plugin needs_passlib.py: ModuleNotFoundError" in text
    )
    assert "it imports `passlib`, which is not installed" in text
    assert "needs_ansible.py:1:1: cannot load filter plugin" in text
    assert "pbe does not provide (only a few ansible.* names" in text
    assert "broken.py:1:1: cannot load test plugin broken.py: SyntaxError" in text
    assert (
        "nolookup.py: cannot load lookup plugin nolookup.py: TypeError: a lookup plugin "
        "must define `class LookupModule`" in text
    )
    assert "OK!" in out.getvalue()


def _cli(book: Path, out: io.StringIO, err: io.StringIO) -> int:
    inventory = write(
        book.parent / "hosts.yml", "all:\n  hosts:\n    a:\n  vars: {ansible_connection: local}\n"
    )
    return main(["run", str(book), "-i", str(inventory)], out, err)


def test_validate_reports_plugin_warnings(tmp_path: Path) -> None:
    write(tmp_path / "filter_plugins" / "bad.py", "raise RuntimeError('boom')\n")
    book = write(tmp_path / "site.yml", "- hosts: all\n  tasks: []\n")
    problems = pbe.validate(book)
    assert [(p.severity, p.message) for p in problems] == [
        ("warning", "cannot load filter plugin bad.py: RuntimeError: boom")
    ]
    assert problems[0].location is not None and problems[0].location.line == 1


@pytest.mark.parametrize(
    ("plugin", "expr", "message"),
    [
        (
            FILTERS,
            "{{ 5 | shout }}",
            "plugin shout (%s) failed: AnsibleFilterError: shout needs a string",
        ),
        (
            "class LookupModule:\n    def run(self, terms, variables=None, **kw):\n"
            "        return 'not a list'\n",
            "{{ lookup('p') }}",
            "must return a list, got str",
        ),
        (
            "class LookupModule:\n    def run(self, terms, variables=None, **kw):\n"
            "        raise KeyError('k')\n",
            "{{ lookup('p') }}",
            "lookup plugin p (%s) failed: KeyError: 'k'",
        ),
    ],
)
def test_a_failing_plugin_fails_the_task_naming_it(
    tmp_path: Path, plugin: str, expr: str, message: str
) -> None:
    kind = "filter_plugins/mine.py" if "FilterModule" in plugin else "lookup_plugins/p.py"
    file = write(tmp_path / kind, plugin)
    book = write(
        tmp_path / "site.yml",
        f"""
- hosts: a
  gather_facts: false
  tasks:
    - debug: {{msg: "{expr}"}}
""",
    )
    result = pbe.run(book, INVENTORY)
    assert result.exit_code == 2
    assert (message.replace("%s", str(file)) if "%s" in message else message) in str(
        result.results[0].result["msg"]
    )


def test_plugins_of_one_run_do_not_leak_into_another(tmp_path: Path) -> None:
    write(tmp_path / "one" / "filter_plugins" / "mine.py", FILTERS)
    first = write(
        tmp_path / "one" / "site.yml",
        "- hosts: a\n  gather_facts: false\n  tasks:\n    - debug: {msg: \"{{ 'x' | shout }}\"}\n",
    )
    second = write(tmp_path / "two" / "site.yml", first.read_text())
    assert pbe.run(first, INVENTORY).exit_code == 0
    result = pbe.run(second, INVENTORY)
    assert result.exit_code == 2
    assert "unknown filter `shout`" in str(result.results[0].result["msg"])


def test_the_shim_puts_back_an_ansible_already_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plugins always get pbe's few ansible.* names (Ansible's own LookupBase only works
    inside Ansible); a real ``ansible`` already imported in the process is left as it was."""
    real = types.ModuleType("ansible")
    monkeypatch.setitem(sys.modules, "ansible", real)
    monkeypatch.delitem(sys.modules, "ansible.errors", raising=False)
    write(tmp_path / "lookup_plugins" / "repeat.py", LOOKUP_WITH_BASE)
    book = write(
        tmp_path / "site.yml",
        """
- hosts: a
  gather_facts: false
  tasks:
    - debug: {msg: "{{ query('repeat', 'x') }}"}
""",
    )
    result = pbe.run(book, INVENTORY)
    assert debug_msgs(result) == [["xx", "a"]]
    assert sys.modules["ansible"] is real
    assert "ansible.errors" not in sys.modules
