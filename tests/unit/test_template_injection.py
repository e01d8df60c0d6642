"""Host data is never template code: every loop form and the common filters.

A host prints text that is a template calling ``lookup('pipe', 'touch <marker>')``. Whatever
path that text takes — filters, loop items, ``set_fact``, facts, files, lookups, another
host's ``hostvars`` — it must arrive as the same literal text, and the marker file must
never appear (a rendered payload would create it on the controller).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import playbook_engine as pbe
from playbook_engine.errors import TemplateError
from playbook_engine.templating.templar import TemplateEngine
from playbook_engine.templating.values import TrustedStr

INVENTORY = {"all": {"hosts": {"a": None, "b": None}, "vars": {"ansible_connection": "local"}}}


def payload(marker: Path) -> str:
    return f"{{{{ lookup('pipe', 'touch {marker}') }}}}"


# Each case: tasks run after `out` holds the payload (registered from `cat`), and the
# expression whose rendered value the final debug prints.
CASES: dict[str, tuple[str, str]] = {
    "loop_map_trim": (
        """
    - debug: {msg: "{{ item }}"}
      loop: "{{ out.stdout_lines | map('trim') | list }}"
      register: r""",
        "r.results[0].msg",
    ),
    "loop_split": (
        """
    - debug: {msg: "{{ item }}"}
      loop: "{{ out.stdout.split('\\n') }}"
      register: r""",
        "r.results[0].msg",
    ),
    "loop_splitlines": (
        """
    - debug: {msg: "{{ item }}"}
      loop: "{{ out.stdout.splitlines() }}"
      register: r""",
        "r.results[0].msg",
    ),
    "loop_regex_findall": (
        """
    - debug: {msg: "{{ item }}"}
      loop: "{{ out.stdout | regex_findall('.+') }}"
      register: r""",
        "r.results[0].msg",
    ),
    "loop_dict2items": (
        """
    - debug: {msg: "{{ item.value }}"}
      loop: "{{ {'k': out.stdout} | dict2items }}"
      register: r""",
        "r.results[0].msg",
    ),
    "with_items_upper_lower": (
        """
    - debug: {msg: "{{ item }}"}
      with_items: "{{ out.stdout | upper | lower }}"
      register: r""",
        "r.results[0].msg",
    ),
    "with_items_list": (
        """
    - debug: {msg: "{{ item }}"}
      with_items: "{{ out.stdout_lines }}"
      register: r""",
        "r.results[0].msg",
    ),
    "with_list_nested": (
        """
    - debug: {msg: "{{ item.0 }}"}
      with_list: "{{ [out.stdout_lines] }}"
      register: r""",
        "r.results[0].msg",
    ),
    "with_dict": (
        """
    - debug: {msg: "{{ item.value }}"}
      with_dict: "{{ {'k': out.stdout} }}"
      register: r""",
        "r.results[0].msg",
    ),
    "with_file_fetched": (
        """
    - debug: {msg: "{{ item }}"}
      with_file: ["{{ payload_file }}"]
      register: r""",
        "r.results[0].msg",
    ),
    "lookup_file": (
        """
    - set_fact: {x: "{{ lookup('file', payload_file) }}"}""",
        "x",
    ),
    "lookup_pipe": (
        """
    - set_fact: {x: "{{ lookup('pipe', 'cat ' ~ payload_file) }}"}""",
        "x",
    ),
    "query_file_loop": (
        """
    - debug: {msg: "{{ item }}"}
      loop: "{{ query('file', payload_file) }}"
      register: r""",
        "r.results[0].msg",
    ),
    "allitems": (
        """
    - debug: {msg: "{{ ansible_loop.allitems[0] }}"}
      loop: "{{ out.stdout_lines }}"
      loop_control: {extended: true}
      register: r""",
        "r.results[0].msg",
    ),
    "set_fact_in_loop": (
        """
    - set_fact: {x: "{{ item }}"}
      loop: "{{ out.stdout_lines }}"
    - set_fact: {y: "{{ x }}"}""",
        "y",
    ),
    "set_fact_in_filtered_loop": (
        """
    - set_fact: {x: "{{ item }}"}
      loop: "{{ out.stdout_lines | map('trim') | list }}"
    - set_fact: {y: "{{ x | trim }}"}""",
        "y",
    ),
    "set_fact_free_form": (
        """
    - set_fact: x={{ out.stdout }}""",
        "x",
    ),
    "loop_over_set_fact": (
        """
    - set_fact: {lines: "{{ out.stdout_lines | map('trim') | list }}"}
    - debug: {msg: "{{ item }}"}
      loop: "{{ lines }}"
      register: r""",
        "r.results[0].msg",
    ),
    "from_json": (
        """
    - set_fact: {x: "{{ (out.stdout | to_json | from_json) }}"}""",
        "x",
    ),
    "from_yaml_of_json": (
        """
    - set_fact: {x: "{{ ({'v': out.stdout} | to_json | from_yaml).v }}"}""",
        "x",
    ),
    "b64_round_trip": (
        """
    - set_fact: {x: "{{ out.stdout | b64encode | b64decode }}"}""",
        "x",
    ),
    "regex_replace": (
        """
    - set_fact: {x: "{{ out.stdout | regex_replace('^', '') }}"}""",
        "x",
    ),
    "regex_search": (
        """
    - set_fact: {x: "{{ out.stdout | regex_search('.+') }}"}""",
        "x",
    ),
    "join_concat_format": (
        """
    - set_fact: {x: "{{ [out.stdout] | join('') ~ '' }}"}
    - set_fact: {y: "{{ '%s' | format(x) }}"}""",
        "y",
    ),
    "replace_string_first": (
        """
    - set_fact: {x: "{{ (out.stdout_lines | first | string).replace('zz', 'zz') }}"}""",
        "x",
    ),
    "hostvars_of_other_host": (
        """
    - set_fact: {x: "{{ hostvars['b'].out.stdout }}"}""",
        "x",
    ),
    "registered_loop_results": (
        """
    - command: cat {{ payload_file }}
      loop: [1]
      register: many
    - set_fact: {x: "{{ many.results | map(attribute='stdout') | first }}"}""",
        "x",
    ),
    "include_role_var": (
        """
    - set_fact: {x: "{{ lookup('vars', 'out').stdout }}"}""",
        "x",
    ),
    "combine_dict": (
        """
    - set_fact: {d: "{{ {'a': 1} | combine({'p': out.stdout}) }}"}
    - set_fact: {x: "{{ d.p }}"}""",
        "x",
    ),
    "default_and_ternary": (
        """
    - set_fact: {x: "{{ nothing | default(out.stdout) }}"}
    - set_fact: {y: "{{ true | ternary(x, 'no') }}"}""",
        "y",
    ),
    # the older with_* loop forms and the lookups that read files, commands and URLs
    "with_together": (
        """
    - debug: {msg: "{{ item.0 }}"}
      with_together: ["{{ out.stdout_lines }}", [1]]
      register: r""",
        "r.results[0].msg",
    ),
    "with_nested": (
        """
    - debug: {msg: "{{ item.1 }}"}
      with_nested: [[1], "{{ out.stdout_lines }}"]
      register: r""",
        "r.results[0].msg",
    ),
    "with_subelements": (
        """
    - debug: {msg: "{{ item.1 }}"}
      with_subelements: ["{{ [{'l': out.stdout_lines}] }}", l]
      register: r""",
        "r.results[0].msg",
    ),
    "with_subelements_parent": (
        """
    - debug: {msg: "{{ item.0.p }}"}
      with_subelements: ["{{ [{'p': out.stdout, 'l': [1]}] }}", l]
      register: r""",
        "r.results[0].msg",
    ),
    "with_indexed_items": (
        """
    - debug: {msg: "{{ item.1 }}"}
      with_indexed_items: "{{ out.stdout_lines }}"
      register: r""",
        "r.results[0].msg",
    ),
    "with_flattened": (
        """
    - debug: {msg: "{{ item }}"}
      with_flattened: [["{{ out.stdout_lines }}"]]
      register: r""",
        "r.results[0].msg",
    ),
    "with_random_choice": (
        """
    - debug: {msg: "{{ item }}"}
      with_random_choice: "{{ out.stdout_lines }}"
      register: r""",
        "r.results[0].msg",
    ),
    "with_lines": (
        """
    - debug: {msg: "{{ item }}"}
      with_lines: ["cat {{ payload_file }}"]
      register: r""",
        "r.results[0].msg",
    ),
    "lookup_lines": (
        """
    - set_fact: {x: "{{ lookup('lines', 'cat ' ~ payload_file) }}"}""",
        "x",
    ),
    "break_when_result": (
        """
    - debug: {msg: "{{ item }}"}
      loop: "{{ out.stdout_lines }}"
      register: r
      loop_control: {break_when: "r.msg == out.stdout"}""",
        "r.results[0].msg",
    ),
    "lookup_csvfile": (
        """
    - set_fact:
        x: "{{ lookup('csvfile', out.stdout, file=payload_file, delimiter='|', col=0) }}"
""",
        "x",
    ),
    "lookup_ini": (
        """
    - copy: {content: "[global]\\nk = {{ out.stdout }}\\n", dest: "{{ payload_file }}.ini"}
    - set_fact: {x: "{{ lookup('ini', 'k', file=payload_file ~ '.ini', interpolation=false) }}"}
    - debug: {msg: "{{ item }}"}
      with_ini: ["k file={{ payload_file }}.ini interpolation=false"]
      register: r
    - set_fact: {y: "{{ [x, r.results[0].msg] | unique | first }}"}""",
        "y",
    ),
    "lookup_url_file": (
        """
    - set_fact: {x: "{{ lookup('url', 'file://' ~ payload_file) }}"}""",
        "x",
    ),
    "lookup_password_file": (
        """
    - set_fact: {x: "{{ lookup('password', payload_file) }}"}""",
        "x",
    ),
}


def _playbook(tmp_path: Path, case: str) -> tuple[Path, Path]:
    tasks, expr = CASES[case]
    marker = tmp_path / "pwned"
    data = tmp_path / "payload.txt"
    data.write_text(payload(marker) + "\n")
    book = tmp_path / "site.yml"
    book.write_text(f"""
- hosts: all
  gather_facts: false
  vars:
    payload_file: {data}
  tasks:
    - command: cat {data}
      register: out
      changed_when: false
{tasks}
    - debug: {{msg: "{{{{ {expr} }}}}"}}
      register: final
""")
    return book, marker


@pytest.mark.parametrize("case", sorted(CASES))
def test_host_data_is_never_rendered(tmp_path: Path, case: str) -> None:
    book, marker = _playbook(tmp_path, case)
    result = pbe.run(book, INVENTORY)
    assert not marker.exists(), "host data was rendered as a template on the controller"
    assert result.exit_code == 0, [r.result for r in result.results if r.status == "failed"]
    final = result.results[-1].task
    last = {r.host: r.result["msg"] for r in result.results if r.task == final}
    assert last == {"a": payload(marker), "b": payload(marker)}


def test_literal_loop_items_from_the_playbook_still_render(tmp_path: Path) -> None:
    """The other half of the rule: an author's own templates in a loop list do render."""
    book = tmp_path / "site.yml"
    book.write_text("""
- hosts: a
  gather_facts: false
  vars: {who: world, greeting: "hello {{ who }}"}
  tasks:
    - debug: {msg: "{{ item }}"}
      loop: ["{{ greeting }}", "{{ who | upper }}", plain]
""")
    result = pbe.run(book, INVENTORY)
    assert result.exit_code == 0
    assert [i["msg"] for i in result.results[-1].result["results"]] == [
        "hello world",
        "WORLD",
        "plain",
    ]


def test_condition_from_host_data_is_judged_as_text(tmp_path: Path) -> None:
    """A condition that renders host text is never evaluated: it is text, and text is no
    boolean, so the condition fails (Ansible 2.19's rule) without running anything."""
    marker = tmp_path / "pwned"
    (tmp_path / "cond.txt").write_text(f"lookup('pipe', 'touch {marker}') and false\n")
    book = tmp_path / "site.yml"
    book.write_text(f"""
- hosts: a
  gather_facts: false
  tasks:
    - command: cat {tmp_path}/cond.txt
      register: out
    - assert:
        that: "{{{{ out.stdout }}}}"
      ignore_errors: true
    - command: "true"
      when: "{{{{ out.stdout }}}}"
""")
    result = pbe.run(book, INVENTORY)
    assert not marker.exists()
    assert [r.status for r in result.results] == ["changed", "failed", "failed"]
    assert "type 'str'" in result.results[-1].result["msg"]
    assert "Conditionals must have a boolean result" in result.results[-1].result["msg"]


def test_evaluate_refuses_data() -> None:
    templar = TemplateEngine().templar({})
    assert templar.evaluate(TrustedStr("1 == 1")) is True
    with pytest.raises(TemplateError, match="untrusted template or expression"):
        templar.evaluate("1 == 1")


def test_debug_var_evaluates_the_authors_expression(tmp_path: Path) -> None:
    """``debug: var=`` builds a template from the author's expression: that one renders,
    the value it finds (host data) does not."""
    marker = tmp_path / "pwned"
    (tmp_path / "p.txt").write_text(payload(marker) + "\n")
    book = tmp_path / "site.yml"
    book.write_text(f"""
- hosts: a
  gather_facts: false
  vars: {{n: 2}}
  tasks:
    - command: cat {tmp_path}/p.txt
      register: out
    - debug: var=out.stdout
    - debug: {{var: "n * 21"}}
""")
    result = pbe.run(book, INVENTORY)
    assert not marker.exists()
    assert result.results[1].result["out.stdout"] == payload(marker)
    assert result.results[2].result["n * 21"] == 42


def test_debug_of_lazy_views_is_plain_data(tmp_path: Path) -> None:
    """``debug: var=vars`` and ``var=hostvars[...]`` report data (a host's vars do not hold
    ``hostvars``; Jinja's globals are not variables), never a self-containing live object."""
    book = tmp_path / "site.yml"
    book.write_text("""
- hosts: a
  gather_facts: false
  vars: {answer: 42}
  tasks:
    - debug: var=hostvars[inventory_hostname]
    - debug: var=vars
""")
    result = pbe.run(book, INVENTORY, on_event=lambda e: None)
    assert result.exit_code == 0
    host = result.results[0].result["hostvars[inventory_hostname]"]
    assert host["inventory_hostname"] == "a" and "hostvars" not in host and "range" not in host
    everything = result.results[1].result["vars"]
    assert everything["answer"] == 42
    assert everything["hostvars"]["b"]["inventory_hostname"] == "b"
    assert "hostvars" not in everything["hostvars"]["b"]
