"""Role argument specs: reading ``meta/argument_specs.yml`` (or ``argument_specs`` in
``meta/main.yml``), checking their structure, and the implicit validation task.

When a role runs, Ansible puts a ``validate_argument_spec`` task before the role's own
tasks, for the entry point being run (``main``, or ``tasks_from``), tagged ``always``; it
checks the role's variables against that entry point's ``options``. pbe does the same, and
reports a spec that cannot work (an unknown type, a shape that is no spec) before the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import Problem, ValidationError
from ..modules.util.argspec import SPEC_TYPES, validate_arguments
from ..source import SourceLocation
from ..templating.values import is_template
from .loader import YMap, load_file, loc_of, plain
from .model import Task
from .roles import main_file

__all__ = ["implicit_task", "literal_param_problems", "read_specs"]

_TASK_NAME = "Validating arguments against arg spec '{entry}'"


def read_specs(role: Path) -> tuple[dict[str, Any], list[Problem]]:
    """The role's entry points (name -> entry spec, as loaded) and the problems of their
    file; empty when the role has none."""
    file = main_file(role, "meta", "argument_specs")
    if file is None and (file := main_file(role, "meta")) is None:
        return {}, []
    try:
        data, problems = load_file(file)
    except ValidationError as exc:
        if file.stem == "main":  # reported where the role's meta is read for dependencies
            return {}, []
        return {}, [Problem(exc.message, exc.location, exc.hint)]
    if file.stem == "main":
        problems = []  # its warnings are reported where its dependencies are read
    at = loc_of(data) or SourceLocation(str(file), 1, 1)
    if not isinstance(data, Mapping) or "argument_specs" not in data:
        if file.stem == "argument_specs":
            problems.append(Problem(f"{file.name} needs a top-level `argument_specs:` key", at))
        return {}, problems
    specs = data["argument_specs"]
    found = _entry_problems(specs, _value_loc(data, "argument_specs", at))
    if found:
        return {}, problems + found
    return dict(specs or {}), problems


def implicit_task(
    role_name: str, role_path: Path, specs: Mapping[str, Any], entry: str, at: SourceLocation
) -> Task | None:
    """The validation task Ansible runs first in a role, for entry point ``entry``; None when
    the role's specs do not name it."""
    spec = specs.get(entry)
    if not isinstance(spec, Mapping):
        return None
    name = _TASK_NAME.format(entry=entry)
    if short := spec.get("short_description"):
        name += f" - {short}"
    context = {"argument_spec_name": entry, "name": role_name, "path": str(role_path)}
    return Task(
        action="validate_argument_spec",
        # plain data: the spec's texts (descriptions, defaults) are never rendered
        args={
            "argument_spec": plain(spec.get("options") or {}),
            "validate_args_context": {**context, "type": "role"},
        },
        loc=at,
        name=str(name),
        tags=("always",),
    )


def literal_param_problems(
    role_name: str,
    options: Mapping[str, Any],
    params: Mapping[str, Any],
    at: SourceLocation,
    extra_vars: Mapping[str, Any],
) -> list[Problem]:
    """Role parameters written literally at the call that the spec rejects (a wrong type, a
    value not among the choices). Only role parameters (not ``vars:``) are certain: nothing
    but ``-e`` overrides them, and a template is only known at run time."""
    literal = {
        str(k): v
        for k, v in params.items()
        if k in options and k not in extra_vars and not _has_template(v)
    }
    errors = validate_arguments({k: options[k] for k in literal}, literal)
    return [
        Problem(
            f"role `{role_name}`: {error}",
            loc_of(_subject(error, literal)) or at,
            "the role's meta/argument_specs.yml says so; the run would fail this host",
        )
        for error in errors
        if not error.startswith("internal error")
    ]


def _subject(error: str, values: Mapping[str, Any]) -> Any:
    """The value an error message is about (its position is the best place to point)."""
    for name, value in values.items():
        if f"'{name}'" in error or f" of {name} " in error or error.startswith(f"{name}."):
            return value
    return None


def _has_template(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(_has_template(k) or _has_template(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_template(v) for v in value)
    return is_template(value)


# -- structure ------------------------------------------------------------------------------


def _value_loc(node: Any, key: str, default: SourceLocation) -> SourceLocation:
    if isinstance(node, YMap):
        return loc_of(node[key]) or node.value_loc(key) or default
    return default


def _entry_problems(specs: Any, at: SourceLocation) -> list[Problem]:
    if specs is None:
        return []
    if not isinstance(specs, Mapping):
        return [
            Problem(
                "argument_specs must be a mapping of entry points (`main:` …) to their specs",
                at,
            )
        ]
    problems: list[Problem] = []
    for entry, spec in specs.items():
        where = _value_loc(specs, entry, at)
        if not isinstance(spec, Mapping):
            problems.append(
                Problem(f"argument spec entry point `{entry}` must be a mapping", where)
            )
        elif "options" in spec:
            problems += _options_problems(
                spec["options"], f"`{entry}`", _value_loc(spec, "options", where)
            )
    return problems


def _options_problems(options: Any, owner: str, at: SourceLocation) -> list[Problem]:
    if options is None:
        return []
    if not isinstance(options, Mapping):
        return [Problem(f"the options of {owner} must be a mapping of option names to specs", at)]
    problems: list[Problem] = []
    for name, option in options.items():
        where = _value_loc(options, name, at)
        if not isinstance(option, Mapping):
            problems.append(Problem(f"the spec of option `{name}` must be a mapping", where))
            continue
        problems += _option_problems(str(name), option, where)
    return problems


def _option_problems(name: str, option: Mapping[str, Any], at: SourceLocation) -> list[Problem]:
    problems: list[Problem] = []
    for key in ("type", "elements"):
        kind = option.get(key)
        if key in option and (not isinstance(kind, str) or kind not in SPEC_TYPES):
            problems.append(
                Problem(
                    f"option `{name}`: unknown {key} `{kind}`",
                    _value_loc(option, key, at),
                    f"one of: {', '.join(sorted(SPEC_TYPES))}",
                )
            )
    for key, kind, what in (("choices", list, "a list"), ("aliases", list, "a list")):
        if option.get(key) is not None and not isinstance(option[key], kind):
            problems.append(
                Problem(f"option `{name}`: `{key}` must be {what}", _value_loc(option, key, at))
            )
    if option.get("required") is True and "default" in option:
        problems.append(
            Problem(
                f"option `{name}`: `required` and `default` are mutually exclusive",
                _value_loc(option, "default", at),
                "Ansible fails every run of the role with this spec",
            )
        )
    if "options" in option:
        problems += _options_problems(
            option["options"], f"option `{name}`", _value_loc(option, "options", at)
        )
    return problems
