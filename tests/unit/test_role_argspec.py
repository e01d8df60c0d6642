"""Role argument specs (meta/argument_specs.yml): the implicit validation task Ansible runs
first in a role, the validate_argument_spec module, and their static checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import playbook_engine as pbe
from playbook_engine.modules.util.argspec import validate_arguments

INVENTORY = {"all": {"hosts": {"a": None}, "vars": {"ansible_connection": "local"}}}

SPEC = """\
argument_specs:
  main:
    short_description: The main entry point.
    options:
      web_name: {type: str, required: true}
      web_port: {type: int, default: 80}
      web_mode: {type: str, choices: [a, b]}
      web_ports: {type: list, elements: int}
      web_flag: {type: bool}
      web_ratio: {type: float}
      web_path: {type: path}
      web_any: {type: raw}
      web_secret: {type: str, no_log: true, choices: [ok]}
      web_opts:
        type: dict
        options:
          inner: {type: int, required: true}
  side:
    options:
      side_value: {type: str, required: true, choices: [x, y]}
"""
MAIN = (
    "- name: show\n  debug:\n"
    '    msg: \'port={{ web_port | default("unset") }} flag={{ web_flag | default("unset") }}\'\n'
)
VALIDATING = "web : Validating arguments against arg spec 'main' - The main entry point."


def write(base: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def role(tmp_path: Path, play: str, **extra: str) -> Path:
    write(
        tmp_path,
        {
            "roles/web/meta/argument_specs.yml": SPEC,
            "roles/web/tasks/main.yml": MAIN,
            "roles/web/tasks/side.yml": "- debug: msg=side\n",
            "roles/web/tasks/other.yml": "- debug: msg=other\n",
            "roles/plain/tasks/main.yml": "- debug: msg=plain\n",
            "site.yml": "- hosts: a\n  gather_facts: false\n" + play,
            **extra,
        },
    )
    return tmp_path / "site.yml"


def rows(result: pbe.RunResult) -> list[tuple[str, str, str]]:
    return [(r.task_name, r.action, r.status) for r in result.results]


def test_valid_variables_pass_and_are_not_converted_or_defaulted(tmp_path: Path) -> None:
    site = role(
        tmp_path,
        "  roles:\n    - role: web\n      web_name: x\n      vars:\n"
        "        web_ports: ['1', 2]\n        web_flag: 'yes'\n        web_ratio: 2\n"
        "        web_opts: {inner: '5'}\n        web_secret: ok\n        web_any: [1]\n",
    )
    result = pbe.run(site, INVENTORY)
    assert result.exit_code == 0
    assert rows(result) == [
        (VALIDATING, "validate_argument_spec", "ok"),
        ("web : show", "debug", "ok"),
    ]
    first = result.results[0].result
    assert first["msg"] == "The arg spec validation passed"
    where = result.results[0].loc  # Ansible's task path for it is the play's
    assert where is not None and (where.file, where.line) == (str(site), 1)
    assert first["validate_args_context"] == {
        "argument_spec_name": "main",
        "name": "web",
        "path": str(tmp_path / "roles" / "web"),
        "type": "role",
    }
    # as in Ansible: the spec's default is not a variable, and values keep their type
    assert result.results[1].result["msg"] == "port=unset flag=yes"
    assert result.stats["a"]["ok"] == 2


def test_bad_variables_fail_the_host_with_every_problem(tmp_path: Path) -> None:
    site = role(
        tmp_path,
        "  roles:\n    - role: web\n      vars:\n        web_port: many\n"
        "        web_mode: c\n        web_ports: [x]\n        web_flag: maybe\n"
        "        web_ratio: abc\n        web_secret: hunter2\n"
        "        web_opts: {inner: q, extra: 1}\n        web_unknown: 5\n"
        "  tasks:\n    - debug: msg=after\n",
    )
    result = pbe.run(site, INVENTORY)
    assert result.exit_code == 2
    assert rows(result) == [(VALIDATING, "validate_argument_spec", "failed")]
    failed = result.results[0].result
    assert failed["argument_errors"] == [
        "missing required arguments: web_name",
        "argument 'web_port' is of type str and we were unable to convert to int: "
        "\"'many'\" cannot be converted to an int",
        "Elements value for option 'web_ports' is of type str and we were unable to convert "
        "to int: \"'x'\" cannot be converted to an int",
        "argument 'web_flag' is of type str and we were unable to convert to bool: The value "
        "'maybe' is not a valid boolean. Valid booleans include: '1', 'on', 't', 'true', 'y', "
        "'yes', 1, '0', 'f', 'false', 'n', 'no', 'off', 0",
        "argument 'web_ratio' is of type str and we were unable to convert to float: "
        "<class 'str'> cannot be converted to a float",
        "value of web_mode must be one of: a, b, got: c",
        "value of web_secret must be one of: ok, got: ********",  # no_log: masked
        "argument 'inner' is of type str found in 'web_opts'. and we were unable to convert "
        "to int: \"'q'\" cannot be converted to an int",
        "web_opts.extra. Supported parameters include: inner.",
    ]
    assert failed["msg"].startswith("Validation of arguments failed:\nmissing required")
    assert "hunter2" not in str(failed)
    assert failed["argument_spec_data"]["web_name"] == {"type": "str", "required": True}
    assert result.stats["a"] == {**result.stats["a"], "ok": 0, "failed": 1}


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ("web_name: [1]\n      web_port: 1.5", 'unable to convert to int: "1.5" cannot be'),
        ("web_name: x\n      web_mode: z", "value of web_mode must be one of: a, b, got: z"),
        ("web_port: 8", "missing required arguments: web_name"),
    ],
)
def test_each_kind_of_mismatch_fails(tmp_path: Path, params: str, error: str) -> None:
    # through `vars:` (not role parameters): known only at run time, so the run fails
    site = role(tmp_path, "  roles:\n    - role: web\n      vars:\n        x: 1\n")
    text = site.read_text().replace("      vars:\n        x: 1\n", "")
    site.write_text(text + "  vars:\n    " + params.replace("\n      ", "\n    ") + "\n")
    result = pbe.run(site, INVENTORY)
    assert result.exit_code == 2
    assert rows(result) == [(VALIDATING, "validate_argument_spec", "failed")]
    assert any(error in e for e in result.results[0].result["argument_errors"])


def test_role_without_specs_gets_no_task_and_tasks_from_picks_the_entry_point(
    tmp_path: Path,
) -> None:
    site = role(
        tmp_path,
        "  roles: [plain]\n  tasks:\n"
        "    - import_role: {name: web, tasks_from: side}\n      vars: {side_value: x}\n"
        "    - include_role: {name: web, tasks_from: other}\n"
        "    - include_role: {name: web, tasks_from: side}\n      vars: {side_value: q}\n",
    )
    result = pbe.run(site, INVENTORY)
    side = "web : Validating arguments against arg spec 'side'"
    assert rows(result) == [
        ("plain : debug", "debug", "ok"),  # plain: no spec, no task
        (side, "validate_argument_spec", "ok"),
        ("web : debug", "debug", "ok"),
        ("include_role : web", "include_role", "ok"),
        ("web : debug", "debug", "ok"),  # `other` is no entry point: no validation
        ("include_role : web", "include_role", "ok"),
        (side, "validate_argument_spec", "failed"),
    ]
    assert result.results[-1].result["argument_errors"] == [
        "value of side_value must be one of: x, y, got: q"
    ]


def test_spec_in_meta_main_and_dependencies_validate_each_role(tmp_path: Path) -> None:
    site = role(
        tmp_path,
        "  roles: [app]\n",
        **{
            "roles/app/meta/main.yml": (
                "dependencies:\n  - role: web\n    web_name: dep\n"
                "argument_specs:\n  main:\n    options:\n"
                "      app_port: {type: int, required: true}\n"
            ),
            "roles/app/defaults/main.yml": "app_port: '8080'\n",  # defaults count as set
            "roles/app/tasks/main.yml": "- debug: msg=app\n",
        },
    )
    result = pbe.run(site, INVENTORY)
    assert result.exit_code == 0
    assert rows(result) == [
        (VALIDATING, "validate_argument_spec", "ok"),
        ("web : show", "debug", "ok"),
        ("app : Validating arguments against arg spec 'main'", "validate_argument_spec", "ok"),
        ("app : debug", "debug", "ok"),
    ]


def test_validation_task_is_tagged_always_and_runs_in_check_mode(tmp_path: Path) -> None:
    site = role(
        tmp_path,
        "  roles:\n    - role: web\n      web_name: x\n  tasks:\n"
        "    - debug: msg=tagged\n      tags: [foo]\n",
    )
    only = pbe.run(site, INVENTORY, tags=("foo",))
    assert rows(only) == [
        (VALIDATING, "validate_argument_spec", "ok"),
        ("debug", "debug", "ok"),
    ]
    skipped = pbe.run(site, INVENTORY, skip_tags=("always",))
    assert [r[0] for r in rows(skipped)] == ["web : show", "debug"]
    checked = pbe.run(site, INVENTORY, check=True)
    assert rows(checked)[0] == (VALIDATING, "validate_argument_spec", "ok")
    listed = subprocess.run(
        [sys.executable, "-m", "playbook_engine", "run", str(site), "--list-tasks"],
        capture_output=True,
        text=True,
        check=False,
    )
    # --list-tasks shows no role prefix, as ansible-playbook's
    assert f"{VALIDATING.removeprefix('web : ')}\tTAGS: [always]" in listed.stdout


def test_explicit_module_with_provided_arguments_and_variables(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "site.yml": (
                "- hosts: a\n  gather_facts: false\n  vars: {base: 7, spec: {stuff: "
                "{type: str, choices: [who, what]}}}\n  tasks:\n"
                "    - validate_argument_spec:\n"
                "        argument_spec:\n"
                "          foo: {type: int, required: true}\n"
                "          al: {type: str, aliases: [al2], choices: [q]}\n"
                "        provided_arguments: {foo: '3', al2: z}\n"
                "      register: out\n      ignore_errors: true\n"
                "    - validate_argument_spec:\n        argument_spec: '{{ spec }}'\n"
                "      vars: {stuff: who}\n"
                "    - validate_argument_spec:\n"
                "        argument_spec: {base: {type: bool}}\n"
            )
        },
    )
    result = pbe.run(tmp_path / "site.yml", INVENTORY)
    assert [r.status for r in result.results] == ["failed", "ok", "failed"]
    assert result.results[0].ignored
    assert result.results[0].result["argument_errors"] == ["value of al must be one of: q, got: z"]
    assert result.results[0].result["validate_args_context"] == {}
    assert result.results[1].result["msg"] == "The arg spec validation passed"
    assert "The value 7 is not a valid boolean" in result.results[2].result["msg"]


def test_nested_relations_and_list_of_dicts() -> None:
    spec = {
        "items": {
            "type": "list",
            "elements": "dict",
            "options": {"k": {"type": "int", "required": True}, "m": {"type": "str"}},
            "mutually_exclusive": [["k", "m"]],
            "required_if": [["m", "on", ["k"]]],
        },
        "modes": {"type": "list", "choices": ["a", "b"]},
    }
    errors = validate_arguments(spec, {"items": [{"k": 1}, {"m": "on"}, 5], "modes": ["a", "c"]})
    assert errors == [
        "Elements value for option 'items' is of type int and we were unable to convert to "
        "dict: <class 'int'> cannot be converted to a dict",
        "value of modes must be one or more of: a, b. Got no match for: c",
        "m is on but all of the following are missing: k found in items",
        "missing required arguments: k found in items",
    ]
    assert validate_arguments({"x": {"type": "str", "required": True, "default": 1}}, {"x": 1}) == [
        "internal error: required and default are mutually exclusive for x"
    ]


# -- static checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            "argument_specs:\n  main:\n    options:\n      p: {type: string}\n",
            "argument_specs.yml:4:17: option `p`: unknown type `string`",
        ),
        ("argument_specs:\n  - main\n", "argument_specs.yml:2:3: argument_specs must be a mapping"),
        (
            "argument_specs:\n  main:\n    options:\n      p: str\n",
            "argument_specs.yml:4:10: the spec of option `p` must be a mapping",
        ),
        (
            "argument_specs:\n  main:\n    options:\n      p:\n        type: list\n"
            "        elements: strr\n",
            "argument_specs.yml:6:19: option `p`: unknown elements `strr`",
        ),
        (
            "argument_specs:\n  main:\n    options:\n      p: {required: true, default: 1}\n",
            "`required` and `default` are mutually exclusive",
        ),
        ("main:\n  options: {}\n", "argument_specs.yml:1:1: argument_specs.yml needs a top-level"),
    ],
)
def test_malformed_spec_is_a_validation_error(tmp_path: Path, spec: str, expected: str) -> None:
    site = role(
        tmp_path,
        "  roles: [web]\n",
        **{"roles/web/meta/argument_specs.yml": spec},
    )
    with pytest.raises(pbe.ValidationFailed) as info:
        pbe.run(site, INVENTORY)
    assert expected in str(info.value)


def test_literal_role_parameters_the_spec_rejects_are_reported_ahead(tmp_path: Path) -> None:
    site = role(
        tmp_path,
        "  roles:\n    - role: web\n      web_name: x\n      web_port: lots\n"
        "      web_mode: '{{ mode }}'\n      vars: {web_flag: maybe}\n"
        "    - role: web\n      web_name: y\n      web_mode: c\n",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "playbook_engine", "validate", str(site)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 4, proc.stdout + proc.stderr
    out = proc.stdout + proc.stderr
    assert (
        "site.yml:6:17: role `web`: argument 'web_port' is of type str and we were unable to "
        "convert to int" in out
    )
    assert "site.yml:11:17: role `web`: value of web_mode must be one of: a, b, got: c" in out
    # a template and `vars:` (set_fact may override them) are left to the run
    assert "web_flag" not in out and "{{ mode }}" not in out
    assert "2 error(s) found" in out
    # -e overrides a role parameter: then it is no certainty, and the run passes
    result = pbe.run(site, INVENTORY, extra_vars={"web_port": 1, "web_mode": "a", "web_flag": True})
    assert [r.status for r in result.results] == ["ok", "ok", "ok", "ok"]
