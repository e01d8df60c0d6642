"""Templating, lookups, loops and special variables as Ansible's own integration targets use
them (loops, lookup_*, special_vars, test_core ...): each case here was a difference found
by running those targets; the tests are pbe's own."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

import playbook_engine as pbe
from playbook_engine.errors import TemplateError, UndefinedVariable, ValidationFailed
from playbook_engine.events import HostResult
from playbook_engine.language.playbook import PlaybookLoader
from playbook_engine.templating.templar import TemplateEngine
from playbook_engine.templating.values import trust

INVENTORY = {"all": {"hosts": {"h1": None}, "vars": {"ansible_connection": "local"}}}


@pytest.fixture(scope="module")
def engine() -> TemplateEngine:
    return TemplateEngine()


def render(engine: TemplateEngine, source: str, variables: dict[str, Any] | None = None) -> Any:
    return engine.templar(variables or {}).render(trust(source))


def play(tmp_path: Path, tasks: str, inventory: Any = None, **kw: Any) -> pbe.RunResult:
    book = tmp_path / "site.yml"
    book.write_text("- hosts: all\n  gather_facts: false\n  tasks:\n" + tasks)
    return pbe.run(book, inventory or INVENTORY, **kw)


def by_name(result: pbe.RunResult) -> dict[str, HostResult]:
    return {r.task_name: r for r in result.results}


# -- template globals ---------------------------------------------------------------------


def test_now_gives_the_time_as_a_datetime_or_formatted(engine: TemplateEngine) -> None:
    before = datetime.datetime.now().timestamp()
    stamp = float(render(engine, "{{ now(fmt='%s.%f') }}"))
    assert before - 1 <= stamp <= datetime.datetime.now().timestamp() + 1
    assert isinstance(render(engine, "{{ now(utc=true) }}"), datetime.datetime)


def test_undef_is_undefined_and_fails_with_its_hint(engine: TemplateEngine) -> None:
    assert render(engine, "{{ undef() is defined }}") is False
    assert render(engine, "{{ undef('set x first') | default('d') }}") == "d"
    with pytest.raises(UndefinedVariable, match="set x first"):
        render(engine, "{{ undef('set x first') }}")


# -- lookup() results and the lookups the targets use ------------------------------------


def test_lookup_joins_only_strings(engine: TemplateEngine) -> None:
    users = {"alice": {"age": 21}, "bob": {"age": 22}}
    pairs = render(engine, "{{ lookup('dict', users) | sort(attribute='key') }}", {"users": users})
    assert pairs == [
        {"key": "alice", "value": {"age": 21}},
        {"key": "bob", "value": {"age": 22}},
    ]
    assert render(engine, "{{ lookup('list', 'a', 'b') }}") == "a,b"
    assert render(engine, "{{ lookup('list', 1, 2) }}") == [1, 2]


def test_file_lookup_strips_whitespace_as_asked(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "f.txt").write_text("  padded text \n\n")
    result = play(
        tmp_path,
        "    - debug: {msg: \"{{ lookup('file', 'f.txt') }}|\"}\n"
        "    - debug: {msg: \"{{ q('file', 'f.txt', lstrip=True) }}\"}\n"
        "    - debug: {msg: \"{{ lookup('file', 'f.txt', rstrip=False) }}|\"}\n",
    )
    assert [r.result["msg"] for r in result.results] == [
        "  padded text|",
        ["padded text"],
        "  padded text \n\n|",
    ]


def test_csvfile_errors_say_what_is_wrong(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "people.csv").write_text("Smith,Jane\nDoe,John\n")
    result = play(
        tmp_path,
        "    - debug: {msg: \"{{ lookup('csvfile', file='people.csv', delimiter=',') }}\"}\n"
        "      ignore_errors: true\n"
        "    - debug: {msg: \"{{ lookup('csvfile', 'file=people.csv delimiter=, col=1') }}\"}\n"
        "      ignore_errors: true\n"
        "    - debug: {msg: \"{{ lookup('csvfile', 'Doe', file='people.csv', bad=1) }}\"}\n"
        "      ignore_errors: true\n"
        "    - debug: {msg: \"{{ lookup('csvfile', 'Doe', file='nope.csv') }}\"}\n"
        "      ignore_errors: true\n"
        "    - debug: {msg: \"{{ lookup('csvfile', 'Doe file=people.csv delimiter=, col=1') }}\"}\n"
        "    - debug: {msg: \"{{ lookup('csvfile', 'Roe file=people.csv delimiter=,') }}\"}\n",
    )
    msgs = [r.message for r in result.results]
    assert "csvfile: Search key is required but was not found" in msgs[0]
    assert "csvfile: Search key is required but was not found" in msgs[1]
    assert "csvfile: `bad` is not a valid option" in msgs[2]
    assert "could not find `nope.csv`: No such file or directory" in msgs[3]
    assert [r.result["msg"] for r in result.results[4:]] == ["John", []]


def test_password_lookup_with_an_empty_encrypt_is_plain_text(tmp_path: Path) -> None:
    store = tmp_path / "pw"
    result = play(
        tmp_path,
        f"    - debug: {{msg: \"{{{{ lookup('password', '{store} encrypt= length=12') }}}}\"}}\n",
    )
    assert result.ok, result.results[0].message
    stored = store.read_text().strip()
    assert result.results[0].result["msg"] == stored and len(stored) == 12


def test_vars_lookup_has_ansible_host(tmp_path: Path) -> None:
    inventory = {
        "all": {
            "hosts": {"h1": None, "h2": {"ansible_ssh_host": "127.0.0.1"}},
            "vars": {"ansible_connection": "local"},
        }
    }
    result = play(
        tmp_path,
        "    - debug: {msg: \"{{ lookup('vars', 'ansible_host') }}={{ ansible_host }}\"}\n"
        "    - debug: {msg: \"{{ lookup('vars', 42) }}\"}\n      ignore_errors: true\n",
        inventory,
    )
    first = {r.host: r.result["msg"] for r in result.results if r.status == "ok"}
    assert first == {"h1": "h1=h1", "h2": "127.0.0.1=127.0.0.1"}
    assert "vars: a variable name must be a string, not int" in result.results[-1].message


def test_varnames_errors_name_the_bad_pattern(tmp_path: Path) -> None:
    result = play(
        tmp_path,
        "    - debug: {msg: \"{{ lookup('varnames', True) }}\"}\n      ignore_errors: true\n"
        "    - debug: {msg: \"{{ lookup('varnames', '*') }}\"}\n      ignore_errors: true\n",
    )
    assert "Invalid setting identifier, True is not a string" in result.results[0].message
    assert "Unable to use '*' as a search parameter: nothing to repeat" in (
        result.results[1].message
    )


def test_with_dict_of_a_list_says_it_expects_a_dict(tmp_path: Path) -> None:
    result = play(tmp_path, "    - debug: {msg: x}\n      with_dict: [1, 2]\n")
    assert result.results[0].status == "failed"
    assert "the 'dict' lookup plugin expects a dictionary, got list" in result.results[0].message


def test_wrong_argument_types_fail_with_ansibles_messages(tmp_path: Path) -> None:
    """Ansible's own tests read these messages; the task fails when it runs, as there."""
    result = play(
        tmp_path,
        '    - getent: {database: group, split: ""}\n      ignore_errors: true\n'
        f"    - include_vars: {{dir: {tmp_path}, ignore_files: 123}}\n      ignore_errors: true\n"
        f"    - include_vars: {{dir: {tmp_path}, extensions: yml}}\n      ignore_errors: true\n"
        "    - set_fact: {\"{{ 'true' }}\": v}\n      ignore_errors: true\n"
        '    - set_fact: {"{{ 1 }}": v}\n      ignore_errors: true\n'
        "    - include_vars: {blah: 123}\n      ignore_errors: true\n",
    )
    assert [(r.status, r.message) for r in result.results] == [
        ("failed", "Invalid split value. The value must be a non-empty string"),
        ("failed", "The 'ignore_files' option must be a list."),
        ("failed", "The 'extensions' option must be a list."),
        ("failed", "Invalid variable name 'true'."),
        ("failed", "Invalid variable name '1' of type 'int'."),
        ("failed", "blah is not a valid option in include_vars"),
    ]


# -- the template lookup ------------------------------------------------------------------


def test_template_lookup_includes_beside_it_with_ansible_newlines(tmp_path: Path) -> None:
    (tmp_path / "templates" / "sub").mkdir(parents=True)
    (tmp_path / "templates" / "sub" / "hello.j2").write_text(
        "Hello {% include 'world.j2' %}!\n{% if true %}\nin {{ template_path | basename }}\n"
        "{% endif %}\n"
    )
    (tmp_path / "templates" / "sub" / "world.j2").write_text("{{ who }}\n")
    result = play(
        tmp_path,
        "    - debug: {msg: \"{{ lookup('template', 'sub/hello.j2', "
        "template_vars={'who': '{{ 1 + 1 }}'}) }}\"}\n",
    )
    assert result.ok, result.results[0].message
    # one newline of the included file goes, trim_blocks takes the one after `%}`, and a
    # template_vars value is data: never rendered again
    assert result.results[0].result["msg"] == "Hello {{ 1 + 1 }}!\nin hello.j2\n"


def test_template_lookup_other_delimiters(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "t.txt").write_text("[# note #]Hello [% who %] {{ kept }}")
    result = play(
        tmp_path,
        "    - debug:\n        msg: \"{{ lookup('template', 't.txt', variable_start_string='[%',"
        " variable_end_string='%]', comment_start_string='[#', comment_end_string='#]') }}\"\n"
        "      vars: {who: world}\n",
    )
    assert result.results[0].result["msg"] == "Hello world {{ kept }}"


def test_template_module_defines_template_vars(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "t.j2").write_text(
        "{{ template_path | basename }} {{ template_destpath | basename }} "
        "{{ template_host is string }} {{ template_uid is string }} "
        "{{ template_mtime.year > 2000 }} {{ template_run_date.year > 2000 }}\n"
    )
    dest = tmp_path / "out.txt"
    result = play(tmp_path, f"    - template: {{src: t.j2, dest: {dest}}}\n")
    assert result.ok, result.results[0].message
    assert dest.read_text() == "t.j2 out.txt True True True True\n"


# -- loops ---------------------------------------------------------------------------------


def test_set_fact_in_a_loop_sees_what_earlier_items_set(tmp_path: Path) -> None:
    result = play(
        tmp_path,
        '    - set_fact: {acc: "{{ acc | default([]) + [item] }}"}\n'
        "      loop: [a, b, c]\n"
        '    - debug: {msg: "{{ acc }}"}\n',
    )
    assert result.results[-1].result["msg"] == ["a", "b", "c"]


def test_included_tasks_see_their_loop_index_and_templated_loop_var(tmp_path: Path) -> None:
    (tmp_path / "inc.yml").write_text('- debug: {msg: "{{ idx }}:{{ thing }}"}\n')
    result = play(
        tmp_path,
        "    - include_tasks: inc.yml\n"
        "      loop: [x, y]\n"
        "      loop_control: {index_var: idx, loop_var: '{{ name }}'}\n"
        "      vars: {name: thing}\n",
    )
    assert result.ok, [r.message for r in result.results]
    assert [r.result["msg"] for r in result.results if r.action == "debug"] == ["0:x", "1:y"]


def test_set_fact_free_form_key_may_mix_text_and_templates(tmp_path: Path) -> None:
    result = play(
        tmp_path,
        '    - set_fact: "user_{{ item.name }}={{ item.uid }}"\n'
        "      loop: [{name: ann, uid: 7}, {name: bo, uid: 8}]\n"
        '    - debug: {msg: "{{ user_ann }} {{ user_bo }}"}\n',
    )
    assert result.results[-1].result["msg"] == "7 8"


# -- validation ----------------------------------------------------------------------------


def test_a_broken_template_in_a_task_that_ignores_errors_fails_when_it_runs(
    tmp_path: Path,
) -> None:
    result = play(
        tmp_path,
        "    - debug: {msg: \"{{ lookup('env', 'HOME' x=1) }}\"}\n"
        "      ignore_errors: true\n"
        "    - debug: {msg: after}\n",
    )
    first, second = result.results
    assert (first.status, first.ignored) == ("failed", True)
    assert "template syntax error" in first.message
    assert second.result["msg"] == "after"
    loader = PlaybookLoader()
    loader.load(tmp_path / "site.yml")
    (warning,) = [p for p in loader.problems if "template syntax error" in p.message]
    assert warning.severity == "warning"
    assert "the task has `ignore_errors`: it fails when it runs" in warning.message
    with pytest.raises(ValidationFailed, match="template syntax error"):
        play(tmp_path, "    - debug: {msg: \"{{ lookup('env', 'HOME' x=1) }}\"}\n")


# -- roles and their special variables -----------------------------------------------------


def _role(base: Path, name: str, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (base / "roles" / name / rel).parent.mkdir(parents=True, exist_ok=True)
        (base / "roles" / name / rel).write_text(text)


def test_role_special_variables_and_importing_its_own_other_file(tmp_path: Path) -> None:
    show = (
        '- debug: {msg: "{{ ansible_role_name }} '
        "{{ ansible_parent_role_names | default('-') }} "
        "{{ (ansible_parent_role_paths | default([])) | map('basename') | list }} "
        '{{ ansible_dependent_role_names }}"}\n'
    )
    _role(tmp_path, "dep", {"tasks/main.yml": show})
    _role(
        tmp_path,
        "top",
        {
            "meta/main.yml": "dependencies: [dep]\n",
            "tasks/main.yml": show + "- import_role: {name: inner}\n",
        },
    )
    _role(
        tmp_path,
        "inner",
        {
            "tasks/main.yml": show + "- import_role: {name: inner, tasks_from: other.yml}\n",
            "tasks/other.yml": show,
        },
    )
    (tmp_path / "site.yml").write_text("- hosts: all\n  gather_facts: false\n  roles: [top]\n")
    result = pbe.run(tmp_path / "site.yml", INVENTORY)
    assert result.ok, [r.message for r in result.results]
    assert [r.result["msg"] for r in result.results] == [
        "dep ['top'] ['top'] ['dep']",
        "top - [] ['dep']",
        "inner ['top'] ['top'] ['dep']",
        "inner ['inner', 'top'] ['inner', 'top'] ['dep']",
    ]


def test_a_role_importing_its_own_entry_point_is_still_a_loop(tmp_path: Path) -> None:
    _role(
        tmp_path,
        "r",
        {
            "tasks/main.yml": "- import_role: {name: r, tasks_from: other.yml}\n",
            "tasks/other.yml": "- import_role: {name: r}\n",
        },
    )
    (tmp_path / "site.yml").write_text("- hosts: all\n  gather_facts: false\n  roles: [r]\n")
    with pytest.raises(ValidationFailed, match="role dependency loop: `r` depends on itself"):
        pbe.run(tmp_path / "site.yml", INVENTORY)


# -- vault-encrypted values ----------------------------------------------------------------


def vaulted(indent: int) -> str:
    pad = " " * indent
    return f"!vault |\n{pad}$ANSIBLE_VAULT;1.1;AES256\n{pad}3532396135303834\n"


def test_a_vault_value_can_be_tested_but_not_used(tmp_path: Path) -> None:
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: all\n  gather_facts: false\n"
        f"  vars:\n    secret: {vaulted(6)}    unused: {vaulted(6)}"
        "  tasks:\n"
        "    - assert: {that: [secret is vault_encrypted, secret is defined,"
        " \"'x' is not vault_encrypted\"]}\n"
        '    - debug: {msg: "{{ secret }}"}\n      ignore_errors: true\n'
        f"    - set_fact:\n        other: {vaulted(10)}"
        "      ignore_errors: true\n"
    )
    result = pbe.run(book, INVENTORY)
    tested, printed, stored = result.results
    assert tested.status == "ok"
    for used in (printed, stored):
        assert used.status == "failed" and used.ignored
        assert "cannot use a vault-encrypted value" in used.message
        assert "pbe does not decrypt Ansible Vault data" in used.message
        assert "3532396135303834" not in used.message  # the ciphertext is never shown


def test_vaulted_file_reads_the_controller_file(engine: TemplateEngine, tmp_path: Path) -> None:
    (tmp_path / "v").write_text("$ANSIBLE_VAULT;1.1;AES256\n3132\n")
    (tmp_path / "p").write_text("plain\n")
    paths = {"v": str(tmp_path / "v"), "p": str(tmp_path / "p")}
    assert render(engine, "{{ v is vaulted_file and p is not vaulted_file }}", paths) is True


def test_a_vault_tag_on_a_mapping_is_a_yaml_error(tmp_path: Path) -> None:
    book = tmp_path / "site.yml"
    book.write_text("- hosts: all\n  vars:\n    x: !vault {a: 1}\n  tasks: []\n")
    with pytest.raises(ValidationFailed, match="a `!vault` value must be a string"):
        pbe.run(book, INVENTORY)


def test_version_test_refuses_strict_with_version_type(engine: TemplateEngine) -> None:
    with pytest.raises(TemplateError, match="cannot specify both 'strict' and 'version_type'"):
        render(engine, "{{ '1.0' is version('1.0', strict=False, version_type='loose') }}")


def test_unique_of_dicts_with_case_sensitive_cannot_fall_back(engine: TemplateEngine) -> None:
    with pytest.raises(TemplateError, match="unique: cannot fall back"):
        render(engine, "{{ [{'a': 1}] | unique(case_sensitive=False) }}")


def test_loop_special_variables(tmp_path: Path) -> None:
    result = play(
        tmp_path,
        "    - debug:\n"
        '        msg: "{{ ansible_loop_var }} {{ ansible_index_var }} {{ ansible_search_path }}'
        " {{ ansible_loop.previtem | default('-') }} {{ ansible_loop.nextitem | default('-') }}\"\n"
        "      loop: [a, b]\n"
        "      loop_control: {loop_var: x, index_var: i, extended: true}\n",
    )
    assert [i["msg"] for i in result.results[0].items] == [
        f"x i ['{tmp_path}'] - b",
        f"x i ['{tmp_path}'] a -",
    ]


def test_ansible_search_path_in_a_role(tmp_path: Path) -> None:
    _role(tmp_path, "r", {"tasks/main.yml": '- debug: {msg: "{{ ansible_search_path }}"}\n'})
    (tmp_path / "site.yml").write_text("- hosts: all\n  gather_facts: false\n  roles: [r]\n")
    result = pbe.run(tmp_path / "site.yml", INVENTORY)
    role = tmp_path / "roles" / "r"
    assert result.results[0].result["msg"] == [str(role), str(role / "tasks"), str(tmp_path)]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("start=0 count=3 stride=2", ["0", "2", "4"]),
        ("start=4 count=3 stride=-1", ["4", "3", "2"]),
        ("count=0", []),
        ("start=5 end=1 stride=-2", ["5", "3", "1"]),
    ],
)
def test_sequence_counts_by_its_stride(engine: TemplateEngine, term: str, expected: Any) -> None:
    assert render(engine, "{{ query('sequence', t) }}", {"t": term}) == expected


@pytest.mark.parametrize(
    ("term", "message"),
    [
        ("start=0 junk=3", r"unrecognized arguments to with_sequence: \['junk'\]"),
        ("start=A end=3", "with_sequence's start has an invalid value: 'A' is not an integer"),
        ("1-4/C", "with_sequence's stride has an invalid value: 'C' is not an integer"),
        ("start=1", "must specify count or end in with_sequence"),
        ("start=1 end=4 count=2", "can't specify both count and end in with_sequence"),
        ("start=4 end=1 stride=2", "to count backwards make stride negative"),
        ("start=1 end=4 stride=-2", "to count forward don't make stride negative"),
        ("start=1 end=4 format=d", "bad formatting string: d"),
    ],
)
def test_sequence_refuses_what_it_cannot_count(
    engine: TemplateEngine, term: str, message: str
) -> None:
    with pytest.raises(TemplateError, match=message):
        render(engine, "{{ query('sequence', t) }}", {"t": term})


def test_a_condition_renders_templates_inside_its_string_constants(tmp_path: Path) -> None:
    marker = tmp_path / "rendered-host-data"
    payload = f"{{{{ '{{{{' }}}} lookup('pipe', 'touch {marker}') {{{{ '}}}}' }}}}"
    result = play(
        tmp_path,
        f'    - shell: echo "{payload}"\n'
        "      register: out\n"
        "    - debug: {msg: equal}\n"
        "      when: \"'{{ x }}' == 'a'\"\n"
        "    - debug: {msg: differs}\n"
        "      when: \"'{{ x }}' == 'b'\"\n"
        "    - assert: {that: \"'{{ out.stdout }}' is search('lookup')\"}\n"
        "    - debug: {msg: whole}\n"
        "      when: \"{{ x == 'a' }}\"\n",
        extra_vars={"x": "a"},
    )
    assert [r.status for r in result.results] == ["changed", "ok", "skipped", "ok", "ok"]
    assert not marker.exists()  # the host's text was compared, never rendered


def test_a_condition_with_a_bare_template_in_its_expression_is_an_error(tmp_path: Path) -> None:
    result = play(
        tmp_path, '    - debug: {msg: x}\n      when: "{{ n }} == 3"\n', extra_vars={"n": 3}
    )
    assert result.results[0].status == "failed"
    assert "Conditionals must have a boolean result" in result.results[0].message


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        (
            "[9001, 'keys']",
            "first a dict or a list, second a string pointing to the subkey; the first is a int",
        ),
        ("[users, 'keys', 'x']", "the optional third item must be a dict with flags"),
        ("[users, true]", "first a dict or a list, second a string pointing to the subkey"),
        ("[users, 'k', {}, 1]", "subelements expects a list of two or three items"),
        ("[users, 'db.hosts.x']", "the key 'db.hosts' should point to a dictionary"),
        ("[users, 'db.monkey']", "could not find 'monkey' key in iterated item"),
    ],
)
def test_subelements_errors_say_what_is_wrong(
    engine: TemplateEngine, terms: str, message: str
) -> None:
    users = [{"name": "a", "keys": [1], "db": {"hosts": ["h"]}}]
    with pytest.raises(TemplateError, match=message):
        render(engine, "{{ query('subelements', *" + terms + ") }}", {"users": users})


def test_subelements_of_a_skipped_result_is_empty(engine: TemplateEngine) -> None:
    assert render(engine, "{{ query('subelements', {'skipped': true}, 'a.b') }}") == []


def test_a_task_its_timeout_ended_is_timedout(tmp_path: Path) -> None:
    result = play(
        tmp_path,
        "    - command: sleep 5\n      timeout: 1\n      register: slow\n"
        "      ignore_errors: true\n"
        '    - debug: {msg: "{{ slow is timedout }} {{ slow.timedout.period }}"}\n'
        "    - command: 'true'\n      register: quick\n"
        '    - debug: {msg: "{{ quick is timedout }}"}\n',
    )
    assert [r.result.get("msg") for r in result.results if r.action == "debug"] == [
        "True 1.0",
        False,
    ]
