"""Malformed and hostile playbooks and inventories (issue 8, items 9-11): each gives a
located problem and exit 4 (or a pattern error), never a traceback or exit 250, and the
resource bombs are refused at their documented limits."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import playbook_engine as pbe
from playbook_engine.cli import main
from playbook_engine.errors import InventoryError, Problem
from playbook_engine.inventory import inventory_from_dict, load_inventory
from playbook_engine.inventory import load as inventory_load
from playbook_engine.inventory.patterns import MAX_RANGE_HOSTS
from playbook_engine.language import loader


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def errors(problems: list[Problem]) -> list[str]:
    return [f"{p.location}: {p.message}" for p in problems if p.severity == "error"]


def validate_exit_4(book: Path, *more: str) -> str:
    code, out, err = cli("validate", str(book), *more)
    assert code == 4, err
    assert "internal error" not in err and "Traceback" not in err
    return err


# --- item 9: patterns, empty playbooks, vars_files ---------------------------------------

LOCAL_INVENTORY = (
    "all:\n  vars: {ansible_connection: local}\n  children:\n"
    "    web:\n      hosts: {web1: , web2: }\n    db:\n      hosts: {db1: }\n"
)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("web[0", "host pattern 'web[0' has an unclosed `[`"),
        ("web[0:1", "host pattern 'web[0:1' has an unclosed `[`"),
        ("web]0", "host pattern 'web]0' has a `]` with no `[` before it"),
        ("db,web[1", "host pattern 'db,web[1' has an unclosed `[`"),
    ],
)
def test_a_malformed_limit_is_an_error_not_more_hosts(
    tmp_path: Path, pattern: str, message: str
) -> None:
    hosts = write(tmp_path / "hosts.yml", LOCAL_INVENTORY)
    touch = f"touch {tmp_path}/{{{{ inventory_hostname }}}}"
    book = write(
        tmp_path / "site.yml",
        f"- hosts: all\n  gather_facts: false\n  tasks:\n    - command: {touch}\n",
    )
    code, out, err = cli("run", str(book), "-i", str(hosts), "-l", pattern)
    assert code == 4, err
    assert message in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hosts.yml", "site.yml"]
    with pytest.raises(InventoryError, match="unclosed|no `\\[`"):
        load_inventory(hosts).limit(list(load_inventory(hosts).hosts.values()), pattern)


def test_a_subscript_needs_ascii_digits(tmp_path: Path) -> None:
    inv = load_inventory(write(tmp_path / "hosts.yml", LOCAL_INVENTORY))
    assert [h.name for h in inv.select("web[1]")] == ["web2"]
    assert [h.name for h in inv.select("web[\u0661]")] == []  # a glob matching nothing


@pytest.mark.parametrize("text", ["", "---\n", "[]\n", "# nothing here\n", "~\n"])
def test_an_empty_playbook_is_a_validation_error(tmp_path: Path, text: str) -> None:
    book = write(tmp_path / "empty.yml", text)
    err = validate_exit_4(book)
    assert f"{book}:1:1: the playbook is empty: it has no plays" in err
    code, _, err = cli("run", str(book))
    assert code == 4 and "the playbook is empty" in err


def test_an_imported_empty_playbook_is_reported_at_its_file(tmp_path: Path) -> None:
    write(tmp_path / "other.yml", "---\n")
    book = write(tmp_path / "site.yml", "- import_playbook: other.yml\n")
    err = validate_exit_4(book)
    assert f"{tmp_path / 'other.yml'}:1:1: the playbook is empty" in err


def test_a_missing_static_vars_file_is_found_by_validate(tmp_path: Path) -> None:
    write(tmp_path / "vars" / "ok.yml", "a: 1\n")
    write(tmp_path / "vars" / "list.yml", "- a\n")
    book = write(
        tmp_path / "site.yml",
        "- hosts: all\n  vars_files:\n    - vars/ok.yml\n"
        "    - vars/missing.yml\n    - vars/list.yml\n"
        "    - 'vars/{{ env }}.yml'\n  tasks: []\n",
    )
    found = errors(pbe.validate(book))
    assert found == [
        f"{book}:4:7: vars file not found: vars/missing.yml",
        f"{tmp_path / 'vars' / 'list.yml'}:1:1: a vars file must be a mapping of names to "
        "values, or a list of them",
    ]
    err = validate_exit_4(book)
    assert "hint: looked for" in err


def test_static_vars_files_of_an_imported_playbook_are_relative_to_it(tmp_path: Path) -> None:
    write(tmp_path / "sub" / "vars.yml", "a: 1\n")
    write(tmp_path / "sub" / "inner.yml", "- hosts: all\n  vars_files: [vars.yml]\n  tasks: []\n")
    book = write(tmp_path / "site.yml", "- import_playbook: sub/inner.yml\n")
    assert pbe.validate(book) == []


# --- item 10: every malformed input is a located problem ----------------------------------


def test_deep_nesting_is_refused_at_its_position(tmp_path: Path) -> None:
    deep = "[" * 3000 + "]" * 3000
    book = write(tmp_path / "site.yml", f"- hosts: all\n  vars:\n    v: {deep}\n  tasks: []\n")
    err = validate_exit_4(book)
    assert f"{book}:3:105: YAML refused: nested more than {loader.MAX_DEPTH} levels deep" in err


def test_nesting_within_the_limit_loads(tmp_path: Path) -> None:
    depth = loader.MAX_DEPTH - 4  # list of plays, play, vars, v
    deep = "[" * depth + "1" + "]" * depth
    book = write(tmp_path / "site.yml", f"- hosts: all\n  vars:\n    v: {deep}\n  tasks: []\n")
    assert pbe.validate(book) == []


def test_deep_nesting_far_past_the_c_stack_is_refused(tmp_path: Path) -> None:
    deep = "[" * 200_000 + "]" * 200_000  # crashed the C composer (segfault)
    book = write(tmp_path / "site.yml", f"- hosts: all\n  vars:\n    v: {deep}\n")
    assert "nested more than" in validate_exit_4(book)


def test_deeply_nested_blocks_are_checked_without_recursion_errors(tmp_path: Path) -> None:
    inner = "{block: [" * 45 + "{debug: {msg: x}, bogus: 1}" + "]}" * 45
    book = write(tmp_path / "site.yml", f"- hosts: all\n  tasks: [{inner}]\n")
    err = validate_exit_4(book)
    assert "unknown task keyword `bogus`" in err


@pytest.mark.parametrize("expr", ["(" * 300 + "x" + ")" * 300, "[" * 3000 + "]" * 3000])
def test_deeply_nested_templates_are_a_syntax_error(tmp_path: Path, expr: str) -> None:
    book = write(
        tmp_path / "site.yml",
        f"- hosts: all\n  tasks:\n    - debug:\n        msg: '{{{{ {expr} }}}}'\n",
    )
    err = validate_exit_4(book)
    assert f"{book}:4:14: template syntax error: nested too deeply to parse" in err


@pytest.mark.parametrize(
    ("where", "text", "position"),
    [
        ("play", "- hosts: all\n  vars: abc\n  tasks: []\n", "2:9"),
        ("play", "- hosts: all\n  vars: '{{ x }}'\n  tasks: []\n", "2:9"),
        ("task", "- hosts: all\n  tasks:\n    - debug: msg=x\n      vars: abc\n", "4:13"),
        ("task", "- hosts: all\n  tasks:\n    - debug: msg=x\n      vars: '{{ x }}'\n", "4:13"),
        ("block", "- hosts: all\n  tasks:\n    - block: [debug: msg=x]\n      vars: [1]\n", "4:13"),
        ("role", "- hosts: all\n  roles:\n    - {role: r, vars: abc}\n", "3:23"),
    ],
)
def test_vars_that_are_not_a_mapping(tmp_path: Path, where: str, text: str, position: str) -> None:
    write(tmp_path / "roles" / "r" / "tasks" / "main.yml", "- debug: msg=x\n")
    book = write(tmp_path / "site.yml", text)
    err = validate_exit_4(book)
    assert f"{book}:{position}: `vars` must be a mapping or empty" in err, where


def test_vars_that_are_not_a_mapping_in_an_imported_task_file(tmp_path: Path) -> None:
    tasks = write(tmp_path / "t.yml", "- debug: msg=x\n  vars: abc\n- 5\n")
    book = write(tmp_path / "site.yml", "- hosts: all\n  tasks:\n    - import_tasks: t.yml\n")
    err = validate_exit_4(book)
    assert f"{tasks}:2:9: `vars` must be a mapping or empty, got 'abc'" in err
    assert f"{tasks}:3:3: a task must be a mapping" in err


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("[a, b]", "`name` must be a string or empty, got a list"),
        ("5", "`name` must be a string or empty, got 5"),
        ("{a: 1}", "`name` must be a string or empty, got a mapping"),
    ],
)
def test_handler_names_of_the_wrong_type(tmp_path: Path, name: str, message: str) -> None:
    book = write(
        tmp_path / "site.yml",
        "- hosts: all\n  tasks:\n    - debug: msg=x\n"
        "      notify: h\n  handlers:\n"
        f"    - name: {name}\n      debug: msg=y\n",
    )
    err = validate_exit_4(book)
    assert f"{book}:6:13: {message}" in err


@pytest.mark.parametrize("notify", ["[[a]]", "{a: 1}", "5"])
def test_notify_of_the_wrong_type(tmp_path: Path, notify: str) -> None:
    book = write(
        tmp_path / "site.yml",
        f"- hosts: all\n  tasks:\n    - debug: msg=x\n      notify: {notify}\n",
    )
    assert "`notify`" in validate_exit_4(book)


@pytest.mark.parametrize("name", ["r" * 300, "x/" * 3000, "a\\0b", "~nosuchuser/r"])
def test_impossible_role_names_are_not_found(tmp_path: Path, name: str) -> None:
    book = write(tmp_path / "site.yml", f'- hosts: all\n  roles: ["{name}"]\n')
    err = validate_exit_4(book)
    assert f"{book}:2:11: role not found" in err


@pytest.mark.parametrize("key", ["include_tasks", "import_tasks"])
def test_impossible_task_file_names_are_not_found(tmp_path: Path, key: str) -> None:
    """An import is read at load time: an error. An include is read when it runs (as in
    Ansible): a warning at validation, with the same location, and a failure if it runs."""
    book = write(tmp_path / "site.yml", f"- hosts: all\n  tasks:\n    - {key}: {'t' * 300}\n")
    if key == "import_tasks":
        assert f"{book}:3:7: task file not found" in validate_exit_4(book)
        return
    code, _, err = cli("validate", str(book))
    assert code == 0, err
    assert f"warning: {book}:3:7: task file not found" in err


def test_an_impossible_import_playbook_name(tmp_path: Path) -> None:
    book = write(tmp_path / "site.yml", '- import_playbook: "a\\0b"\n- import_playbook: [x]\n')
    err = validate_exit_4(book)
    assert f"{book}:1:20: file not found" in err
    assert f"{book}:2:20: `import_playbook` needs a file name" in err


@pytest.mark.parametrize(
    ("deps", "message"),
    [
        ("[{role: base, vars: abc}]", "2:35: `vars` must be a mapping or empty, got 'abc'"),
        ("[{role: [base]}]", "2:23: `role` must be a string, got a list"),
        ("[5]", "2:16: an item of `dependencies` must be a string or a mapping, got 5"),
        ("abc", "2:15: `dependencies` must be a list or empty, got 'abc'"),
        ("[{when: x}]", "2:16: a role dependency needs a name"),
    ],
)
def test_role_dependencies_of_the_wrong_shape(tmp_path: Path, deps: str, message: str) -> None:
    write(tmp_path / "roles" / "base" / "tasks" / "main.yml", "- debug: msg=base\n")
    write(tmp_path / "roles" / "app" / "tasks" / "main.yml", "- debug: msg=app\n")
    meta = write(tmp_path / "roles" / "app" / "meta" / "main.yml", f"---\ndependencies: {deps}\n")
    book = write(tmp_path / "site.yml", "- hosts: all\n  roles: [app]\n")
    assert f"{meta}:{message}" in validate_exit_4(book)


def test_role_entries_of_the_wrong_shape(tmp_path: Path) -> None:
    book = write(
        tmp_path / "site.yml",
        "- hosts: all\n  roles:\n    - [a]\n    - {role: 5}\n    - {role: r, 1: x, a: y}\n",
    )
    write(tmp_path / "roles" / "r" / "tasks" / "main.yml", "- debug: msg=x\n")
    err = validate_exit_4(book)
    assert f"{book}:3:7: an item of `roles` must be a string or a mapping, got a list" in err
    assert f"{book}:4:14: `role` must be a string, got 5" in err
    assert "2 error(s) found" in err


@pytest.mark.parametrize(
    "value", ["2001-02-30", "1" + "0" * 5000, "!!int abc", "!!bool maybe", "!!timestamp x"]
)
def test_scalars_python_cannot_build_are_yaml_errors(tmp_path: Path, value: str) -> None:
    book = write(tmp_path / "site.yml", f"- hosts: all\n  vars:\n    v: {value}\n  tasks: []\n")
    err = validate_exit_4(book)
    assert f"{book}:3:8: YAML syntax error: `" in err and "is not a valid" in err


def test_a_file_that_is_not_utf8_is_located_at_the_bad_byte(tmp_path: Path) -> None:
    book = write(tmp_path / "site.yml", b"- hosts: all\n  tasks:\n    - debug: msg=h\xffi\n")
    err = validate_exit_4(book)
    assert f"{book}:3:19: cannot read {book}: not UTF-8 text (byte 0xff)" in err


@pytest.mark.parametrize(
    "spec",
    ["h[0:\u00b2]", "h[\u0660:\u0663]", "h[\uff10:\uff13]", "h[0:3:\u0662]", "h1:\u0662\u0662"],
)
def test_host_ranges_and_ports_take_ascii_digits_only(tmp_path: Path, spec: str) -> None:
    hosts = write(tmp_path / "hosts.yml", f'all:\n  hosts:\n    "{spec}":\n')
    found = errors(pbe.validate(write(tmp_path / "site.yml", "- hosts: all\n  tasks: []\n"), hosts))
    assert len(found) == 1
    assert found[0].startswith(f"{hosts}:3:5: ")
    assert (
        "ASCII digits" in found[0]
        or "must be a positive integer" in found[0]
        or "invalid port" in found[0]
    )


def test_a_three_thousand_deep_children_chain(tmp_path: Path) -> None:
    chain = "".join(f"[g{i}:children]\ng{i + 1}\n" for i in range(3000)) + "[g3000]\nh1\n"
    hosts = write(tmp_path / "hosts", chain)
    inv = load_inventory(hosts)
    assert inv.hosts["h1"].groups[:3] == ("all", "g0", "g1")
    assert len(inv.hosts["h1"].groups) == 3002
    assert inv.groups["g3000"].depth == 3001
    assert [h.name for h in inv.select("g0")] == ["h1"]


def test_a_deep_children_cycle_is_reported(tmp_path: Path) -> None:
    chain = "".join(f"[g{i}:children]\ng{i + 1}\n" for i in range(3000)) + "[g3000:children]\ng0\n"
    hosts = write(tmp_path / "hosts", chain)
    found = errors(pbe.validate(write(tmp_path / "site.yml", "- hosts: all\n  tasks: []\n"), hosts))
    assert len(found) == 1
    assert found[0].startswith(f"{hosts}:6002:1: group cycle: g0 -> g1 -> g2 -> ")


# --- item 11: resource bombs ---------------------------------------------------------------


def billion_laughs(levels: int) -> str:
    parts = ["&a0 [" + ", ".join(["lol"] * 10) + "]"]
    parts += [f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "[" + ", ".join(parts) + "]"


def test_an_alias_bomb_is_refused(tmp_path: Path) -> None:
    book = write(tmp_path / "site.yml", f"- hosts: all\n  vars:\n    lol: {billion_laughs(9)}\n")
    err = validate_exit_4(book)
    assert f"YAML refused: aliases expand to more than {loader.MAX_ALIAS_NODES} nodes" in err
    assert f"{book}:3:" in err


def test_an_alias_bomb_in_an_inventory_is_refused(tmp_path: Path) -> None:
    hosts = write(tmp_path / "hosts.yml", f"all:\n  vars:\n    lol: {billion_laughs(9)}\n")
    book = write(tmp_path / "site.yml", "- hosts: all\n  tasks: []\n")
    found = errors(pbe.validate(book, hosts))
    assert found[0].startswith(f"{hosts}:3:")
    assert "aliases expand to more than" in found[0]


def test_aliases_within_the_limit_load(tmp_path: Path) -> None:
    book = write(
        tmp_path / "site.yml",
        "- hosts: all\n  vars:\n    base: &b {a: 1, b: 2}\n"
        "    copy: *b\n    merged: {<<: *b, c: 3}\n"
        f"    lol: {billion_laughs(4)}\n  tasks: []\n",
    )
    assert pbe.validate(book) == []


@pytest.mark.parametrize(
    "text", ["- hosts: all\n  vars:\n    a: &a [*a]\n", "- &p {hosts: all, tasks: [*p]}\n"]
)
def test_a_recursive_alias_is_refused(tmp_path: Path, text: str) -> None:
    book = write(tmp_path / "site.yml", text)
    assert "is inside its own anchor (a cycle)" in validate_exit_4(book)


@pytest.mark.parametrize("spec", ["h[0:99999999]", "h[0:999][0:999]", "h[0:1]" * 20])
def test_a_huge_host_range_is_refused(tmp_path: Path, spec: str) -> None:
    hosts = write(tmp_path / "hosts", f"[web]\n{spec}\n")
    found = errors(pbe.validate(write(tmp_path / "site.yml", "- hosts: all\n  tasks: []\n"), hosts))
    assert found == [
        f"{hosts}:2:1: host entry `{spec}` expands to more than "
        f"{MAX_RANGE_HOSTS} hosts (pbe's limit per entry)"
    ]


def test_a_host_list_range_is_capped_too() -> None:
    with pytest.raises(pbe.ValidationFailed, match="expands to more than"):
        load_inventory("h[0:99999999],")


def test_the_largest_range_allowed_loads() -> None:
    inv = inventory_from_dict({"all": {"hosts": {f"h[1:{MAX_RANGE_HOSTS}]": None}}})
    assert len(inv.hosts) == MAX_RANGE_HOSTS


def test_host_listings_of_the_whole_inventory_are_capped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inventory_load, "MAX_HOST_LISTINGS", 10)
    hosts = write(tmp_path / "hosts", "[a]\nh[1:6]\n[b]\nh[1:6]\n")
    with pytest.raises(pbe.ValidationFailed) as info:
        load_inventory(hosts)
    assert [str(p.location) for p in info.value.problems] == [f"{hosts}:4:1"]
    assert "the inventory lists more than 10 hosts" in info.value.problems[0].message


def test_group_memberships_are_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inventory_load, "MAX_MEMBERSHIPS", 50)
    chain = "".join(f"[g{i}:children]\ng{i + 1}\n" for i in range(20)) + "[g20]\nh[1:3]\n"
    hosts = write(tmp_path / "hosts", chain)
    with pytest.raises(pbe.ValidationFailed, match="hosts belong to more than 50 groups"):
        load_inventory(hosts)


def test_an_impossible_inventory_source_is_not_found(tmp_path: Path) -> None:
    book = write(tmp_path / "site.yml", "- hosts: all\n  tasks: []\n")
    code, _, err = cli("run", str(book), "-i", "x" * 300)
    assert code == 4 and "inventory source not found: xxx" in err
    assert errors(pbe.validate(book, "y" * 300 + ",")) == []  # a host list of one long name


def test_an_inventory_directory_with_a_symlink_loop(tmp_path: Path) -> None:
    write(tmp_path / "inv" / "hosts.yml", "all:\n  hosts: {h1: }\n")
    (tmp_path / "inv" / "again").symlink_to(tmp_path / "inv")
    assert list(load_inventory(tmp_path / "inv").hosts) == ["h1"]


def test_a_null_group_name_is_reported_not_raised(tmp_path: Path) -> None:
    hosts = write(
        tmp_path / "hosts.yml",
        "&a:\n  children:\n    web:\n      hostz: {}\n"
        "all:\n  children:\n    ~:\n      hosts: {h: }\n"
        "      bad: 1\n",
    )
    found = errors(pbe.validate(write(tmp_path / "site.yml", "- hosts: all\n  tasks: []\n"), hosts))
    assert found == [
        f"{hosts}: children.web: Additional properties are not allowed ('hostz' was unexpected)",
        f"{hosts}:1:1: group name `None` must be a non-empty string",
        f"{hosts}:7:5: group `all` has unknown key `None`",
        f"{hosts}:7:5: group name `None` must be a non-empty string",
    ]
