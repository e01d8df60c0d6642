"""Checking values against an Ansible argument spec (role ``argument_specs``, the
``validate_argument_spec`` module): pure functions, no I/O.

The checks and their order follow ansible-core's: a required option with a default, missing
required options, type conversion (elements too), choices, the relation checks of a nested
spec, then the nested options themselves and the keys a nested spec does not know. The
messages keep Ansible's wording, since scripts and people compare them. Converted values
are not handed back: Ansible validates role variables but never sets them (nor defaults).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...templating.values import type_name
from ..base import FALSE_STRINGS, TRUE_STRINGS

__all__ = ["SPEC_TYPES", "NO_LOG_MASK", "validate_arguments"]

NO_LOG_MASK = "********"
_SPEC_TYPES = ("str", "list", "dict", "bool", "int", "float", "path", "raw")
SPEC_TYPES = frozenset((*_SPEC_TYPES, "jsonarg", "json", "bytes", "bits"))
_BOOLS = ", ".join(repr(v) for v in (*sorted(TRUE_STRINGS), 1, *sorted(FALSE_STRINGS - {""}), 0))


class _Unconvertible(ValueError):
    """A value a type cannot take; its text is Ansible's explanation."""


@dataclass
class _Run:
    """The errors of one validation, and the values ``no_log`` hides in them."""

    errors: list[str] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)
    unsupported: list[str] = field(default_factory=list)


def validate_arguments(spec: Mapping[str, Any], params: Mapping[str, Any]) -> list[str]:
    """Ansible's error messages for ``params`` against ``spec`` (option name -> option
    spec); empty when they conform. Values of ``no_log`` options are masked in them."""
    run = _Run()
    _check_level(spec, dict(params), (), run)
    if run.unsupported:
        run.errors.append(", ".join(run.unsupported))
    return [_mask(text, run.secrets) for text in run.errors]


def _mask(text: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, NO_LOG_MASK)
    return text


def _found(context: tuple[str, ...]) -> str:
    return f" found in {' -> '.join(context)}" if context else ""


def _check_level(
    spec: Mapping[str, Any], params: dict[str, Any], context: tuple[str, ...], run: _Run
) -> None:
    """One level of options: the whole spec, or the options of one dict value."""
    _apply_aliases(spec, params)
    _note_secrets(spec, params, run)
    for name, option in spec.items():
        if _opt(option).get("required") and "default" in _opt(option):
            run.errors.append(
                f"internal error: required and default are mutually exclusive for {name}"
            )
    missing = sorted(n for n, o in spec.items() if _opt(o).get("required") and n not in params)
    if missing:
        run.errors.append(f"missing required arguments: {', '.join(missing)}{_found(context)}")
    converted = _check_types(spec, params, context, run)
    _check_choices(spec, converted, context, run)
    _check_nested(spec, converted, context, run)


def _opt(option: Any) -> Mapping[str, Any]:
    return option if isinstance(option, Mapping) else {}


def _apply_aliases(spec: Mapping[str, Any], params: dict[str, Any]) -> None:
    for name, option in spec.items():
        for alias in _opt(option).get("aliases") or ():
            if alias in params and name not in params:
                params[name] = params.pop(alias)


def _note_secrets(spec: Mapping[str, Any], params: Mapping[str, Any], run: _Run) -> None:
    for name, option in spec.items():
        value = params.get(name)
        if _opt(option).get("no_log") and value not in (None, ""):
            run.secrets.add(str(value))


# -- types ----------------------------------------------------------------------------------


def _check_types(
    spec: Mapping[str, Any], params: Mapping[str, Any], context: tuple[str, ...], run: _Run
) -> dict[str, Any]:
    """The values converted to their option's type; a failed one is left out."""
    out: dict[str, Any] = {}
    for name, value in params.items():
        option = _opt(spec.get(name))
        if name not in spec or value is None:
            out[name] = value
            continue
        kind = str(option.get("type") or "str")
        try:
            out[name] = convert(value, kind)
        except _Unconvertible as exc:
            where = f" found in '{' -> '.join(context)}'." if context else ""
            run.errors.append(
                f"argument '{name}' is of type {type_name(value)}{where} and we were unable "
                f"to convert to {kind}: {exc}"
            )
            continue
        if kind == "list" and option.get("elements"):
            out[name] = _check_elements(name, out[name], option, context, run)
    return out


def _check_elements(
    name: str, values: list[Any], option: Mapping[str, Any], context: tuple[str, ...], run: _Run
) -> list[Any]:
    kind = str(option["elements"])
    out = []
    for value in values:
        try:
            out.append(convert(value, kind))
        except _Unconvertible as exc:
            where = f" found in '{' -> '.join(context)}'" if context else ""
            run.errors.append(
                f"Elements value for option '{name}'{where} is of type {type_name(value)} "
                f"and we were unable to convert to {kind}: {exc}"
            )
    return out


def _class(value: Any) -> str:
    """``<class 'str'>``: the builtin a value is (a loader's positioned string is a str)."""
    return f"<class '{type_name(value)}'>"


def convert(value: Any, kind: str) -> Any:
    """``value`` as an option of type ``kind`` takes it; _Unconvertible (a ValueError)
    with Ansible's explanation when it cannot."""
    converter = _CONVERTERS.get(kind)
    if converter is None:
        raise _Unconvertible(f"unknown type `{kind}` (known: {', '.join(sorted(SPEC_TYPES))})")
    return converter(value)


def _to_str(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in TRUE_STRINGS | FALSE_STRINGS - {""}:
        return value.lower() in TRUE_STRINGS
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    raise _Unconvertible(
        f"The value {value!r} is not a valid boolean. Valid booleans include: {_BOOLS}"
    )


def _to_int(value: Any) -> int:
    if isinstance(value, int):  # a bool too, as in Ansible
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
        try:
            number = float(value)
        except ValueError:
            number = 0.5
        if number.is_integer():
            return int(number)
    raise _Unconvertible(f'"{value!r}" cannot be converted to an int')


def _to_float(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise _Unconvertible(f"{_class(value)} cannot be converted to a float")


def _to_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return value.split(",")
    if isinstance(value, (int, float)):
        return [str(value)]
    raise _Unconvertible(f"{_class(value)} cannot be converted to a list")


def _to_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise _Unconvertible(f"{_class(value)} cannot be converted to a dict")
    if value.startswith("{"):
        try:
            loaded = json.loads(value)
        except ValueError:
            loaded = None
        if isinstance(loaded, dict):
            return loaded
    elif "=" in value:
        return dict(part.split("=", 1) for part in re.split(r"[,\s]+", value.strip()) if part)
    raise _Unconvertible("dictionary requested, could not parse JSON or key=value")


def _to_json(value: Any) -> str:
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value)
    if isinstance(value, (str, bytes)):
        return value if isinstance(value, str) else value.decode()
    raise _Unconvertible(f"{_class(value)} cannot be converted to a json string")


_UNITS = "BKMGTPEZY"
_BYTES = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]?)(b|B|bit|bits|Bytes|bytes)?\s*$")


def _bytes(value: Any, bits: bool) -> int:
    if isinstance(value, int):
        return value
    found = _BYTES.match(str(value))
    unit = found.group(2).upper() if found else "?"
    if found is None or (unit and unit not in _UNITS):
        raise _Unconvertible(
            f"{value!r} cannot be converted to a {'Bit' if bits else 'Byte'} value"
        )
    return int(float(found.group(1)) * 1024 ** _UNITS.index(unit or "B"))


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "str": _to_str,
    "path": _to_str,
    "raw": lambda v: v,
    "bool": _to_bool,
    "int": _to_int,
    "float": _to_float,
    "list": _to_list,
    "dict": _to_dict,
    "json": _to_json,
    "jsonarg": _to_json,
    "bytes": lambda v: _bytes(v, False),
    "bits": lambda v: _bytes(v, True),
}


# -- choices, relations, nested options -----------------------------------------------------


def _check_choices(
    spec: Mapping[str, Any], params: Mapping[str, Any], context: tuple[str, ...], run: _Run
) -> None:
    for name, option in spec.items():
        choices = _opt(option).get("choices")
        if name not in params or params[name] is None or not isinstance(choices, list):
            continue
        value = params[name]
        if isinstance(value, list):
            wrong = [v for v in value if not _among(v, choices)]
            if wrong:
                run.errors.append(
                    f"value of {name} must be one or more of: {_listed(choices)}. "
                    f"Got no match for: {_listed(wrong)}{_found(context)}"
                )
        elif not _among(value, choices):
            run.errors.append(
                f"value of {name} must be one of: {_listed(choices)}, got: {value}{_found(context)}"
            )


def _among(value: Any, choices: Sequence[Any]) -> bool:
    """Ansible compares a string with the text of each choice as well (``'1'`` vs ``1``)."""
    return value in choices or str(value) in (str(c) for c in choices)


def _listed(values: Sequence[Any]) -> str:
    return ", ".join(str(v) for v in values)


def _check_nested(
    spec: Mapping[str, Any], params: Mapping[str, Any], context: tuple[str, ...], run: _Run
) -> None:
    for name, option in spec.items():
        options = _opt(option).get("options")
        if not isinstance(options, Mapping):
            continue
        value = params.get(name)
        if value is None and _opt(option).get("apply_defaults"):
            value = {}
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, dict):
                _check_sub(options, _opt(option), dict(item), (*context, name), run)


def _check_sub(
    options: Mapping[str, Any],
    option: Mapping[str, Any],
    params: dict[str, Any],
    context: tuple[str, ...],
    run: _Run,
) -> None:
    """The options of one dict value, its relation checks, and the keys it does not know."""
    _apply_aliases(options, params)
    known = {*options, *(a for o in options.values() for a in _opt(o).get("aliases") or ())}
    unknown = sorted(str(k) for k in params if k not in known)
    for key in unknown:
        params.pop(key)
    _check_relations(option, params, context, run)
    _check_level(options, params, context, run)
    if unknown:
        listed = ", ".join(f"{'.'.join(context)}.{k}" for k in unknown)
        run.unsupported.append(
            f"{listed}. Supported parameters include: {', '.join(sorted(known))}."
        )


def _given(params: Mapping[str, Any], name: Any) -> bool:
    return params.get(name) is not None


def _check_relations(
    option: Mapping[str, Any], params: Mapping[str, Any], context: tuple[str, ...], run: _Run
) -> None:
    """``mutually_exclusive`` … ``required_by`` of a nested spec, with Ansible's messages."""
    found = _found(context)
    for group in _groups(option.get("mutually_exclusive")):
        if sum(_given(params, n) for n in group) > 1:
            run.errors.append(f"parameters are mutually exclusive: {'|'.join(group)}{found}")
    for group in _groups(option.get("required_together")):
        if any(_given(params, n) for n in group) and not all(_given(params, n) for n in group):
            run.errors.append(f"parameters are required together: {', '.join(group)}{found}")
    for group in _groups(option.get("required_one_of")):
        if not any(_given(params, n) for n in group):
            run.errors.append(f"one of the following is required: {', '.join(group)}{found}")
    for rule in option.get("required_if") or ():
        _required_if(rule, params, found, run)
    for name, needed in _opt(option.get("required_by")).items():
        lacking = [n for n in _as_list(needed) if not _given(params, n)]
        if _given(params, name) and lacking:
            run.errors.append(
                f"missing parameter(s) required by '{name}': {', '.join(lacking)}{found}"
            )


def _required_if(rule: Any, params: Mapping[str, Any], found: str, run: _Run) -> None:
    if not isinstance(rule, list) or len(rule) < 3:
        return
    key, value, needed = rule[0], rule[1], _as_list(rule[2])
    if params.get(key) != value:
        return
    lacking = [n for n in needed if not _given(params, n)]
    any_of = len(rule) > 3 and bool(rule[3])
    if lacking and (not any_of or len(lacking) == len(needed)):
        which = "any" if any_of else "all"
        run.errors.append(
            f"{key} is {value} but {which} of the following are missing: "
            f"{', '.join(map(str, lacking))}{found}"
        )


def _groups(value: Any) -> list[list[str]]:
    return [[str(n) for n in g] for g in value or () if isinstance(g, list)]


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]
