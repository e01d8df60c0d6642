"""Ansible INI inventories, read into the same group tree a YAML inventory gives.

``[web]`` becomes ``{"web": {"hosts": {...}}}``, ``[web:vars]`` its ``vars`` and
``[prod:children]`` its ``children``; hosts before any section land in ``ungrouped``.
Producing the YAML shape (as position-carrying ``YMap``s) means one builder, one schema
and one set of error messages serve both formats. Host entries are kept verbatim
(``web[01:03]:2222``): ranges and ports are expanded by the builder, for both formats.

Values follow Ansible, not YAML: a value that is a Python literal becomes that literal
(``8080`` -> int, ``True`` -> bool, ``"[1, 2]"`` -> list), anything else stays a string, so
``yes``/``true`` remain strings exactly as they do under ansible-playbook.

An error message never echoes the value of a password variable (``masking.mask_line``).
"""

from __future__ import annotations

import ast
import difflib
import re
import shlex
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import Problem
from ..language.loader import YMap
from ..masking import MASK, SECRET_VARS, mask_line
from ..source import SourceLocation

__all__ = ["parse_ini", "parse_value"]

_SECTION = re.compile(r"^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$")
_GROUP_NAME = re.compile(r"^([^:\]\s]+)\s*(?:[#;].*)?$")
_KINDS = ("hosts", "children", "vars")
_UNDEFINED_HINT = "declare it with a `[{name}]` section (it may be empty)"


@dataclass
class _State:
    """Parser state while walking the lines of one file."""

    path: str
    known: set[str]
    tree: YMap = field(default_factory=lambda: _ymap(None))
    problems: list[Problem] = field(default_factory=list)
    pending: dict[str, Problem] = field(default_factory=dict)
    group: str = "ungrouped"
    kind: str = "hosts"

    def problem(self, message: str, loc: SourceLocation, hint: str | None = None) -> None:
        self.problems.append(Problem(message, loc, hint))


def parse_ini(text: str, path: str, known_groups: Iterable[str] = ()) -> tuple[YMap, list[Problem]]:
    """Parse INI inventory text into a group tree and every problem found (never raises).

    ``known_groups`` are groups defined by earlier sources: like Ansible, a
    ``[x:children]`` or ``[x:vars]`` may name them without declaring them again here.
    """
    st = _State(path, {"all", "ungrouped", *known_groups})
    st.tree.loc = SourceLocation(path, 1, 1)
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line and line[0] not in "#;":
            _line(st, line, SourceLocation(path, lineno, len(raw) - len(raw.lstrip()) + 1))
    st.problems += [p for name, p in st.pending.items() if name not in st.known]
    return st.tree, st.problems


def _line(st: _State, line: str, loc: SourceLocation) -> None:
    if _SECTION.match(line) or (line.startswith("[") and line.endswith("]")):
        _header(st, line, loc)
    elif st.kind == "hosts":
        _host_line(st, line, loc)
    elif st.kind == "vars":
        _vars_line(st, line, loc)
    elif st.kind == "children":
        _child_line(st, line, loc)


def _header(st: _State, line: str, loc: SourceLocation) -> None:
    st.kind = "skip"  # until a valid header: don't report every line of a bad section
    m = _SECTION.match(line)
    if m is None:
        st.problem(
            f"invalid section header `{mask_line(line)}`",
            loc,
            "a header is `[name]`, `[name:vars]` or `[name:children]`; group names "
            "can't contain spaces, `:` or `]`",
        )
        return
    name, kind = m.group(1), m.group(2) or "hosts"
    if kind not in _KINDS:
        close = difflib.get_close_matches(kind, _KINDS, n=1)
        hint = (
            f"did you mean `[{name}:{close[0]}]`?"
            if close
            else "a section type is `vars` or `children`"
        )
        st.problem(f"unknown section type `{kind}` in `{mask_line(line)}`", loc, hint)
        return
    _group(st, name, loc)
    if kind != "vars":
        st.known.add(name)
    elif name not in st.known:
        st.pending.setdefault(
            name,
            Problem(
                f"section `[{name}:vars]` sets variables of group `{name}`, which is never defined",
                loc,
                _UNDEFINED_HINT.format(name=name),
            ),
        )
    st.group, st.kind = name, kind


def _host_line(st: _State, line: str, loc: SourceLocation) -> None:
    try:
        tokens = shlex.split(line, comments=True)
    except ValueError as exc:
        st.problem(f"cannot parse host line: {exc}", loc, "check the quotes on this line")
        return
    if not tokens:
        return
    spec = tokens[0]
    if spec == "---":
        st.problem(
            "`---` starts a YAML document, not an INI host line",
            loc,
            "give a YAML inventory a .yml or .yaml extension",
        )
        return
    if "=" in spec:  # `ansible_become_pass=x` under [web]: a host so named would show it
        st.problem(
            f"`{mask_line(spec)}` is not a host name (a host name can't contain `=`)",
            loc,
            f"variables of every host in `{st.group}` go under `[{st.group}:vars]`;"
            " a host's own go after its name: `web1 key=value`",
        )
        return
    hvars = _ymap(loc)
    for before, token in zip(tokens, tokens[1:], strict=False):
        _host_var(
            st,
            hvars,
            spec,
            token,
            _token_loc(loc, line, token),
            before.partition("=")[0] in SECRET_VARS,
        )
    _add_host(st, spec, hvars, loc)


def _host_var(
    st: _State, hvars: YMap, spec: str, token: str, loc: SourceLocation, after_secret: bool
) -> None:
    key, sep, value = token.partition("=")
    if not sep or not key:
        shown = MASK if after_secret else mask_line(token)  # may be the rest of a password
        st.problem(
            f"expected key=value after host `{spec}`, got `{shown}`",
            loc,
            "put each host on its own line; host variables are written key=value",
        )
        return
    _put(hvars, key, parse_value(value), loc)


def _add_host(st: _State, spec: str, hvars: YMap, loc: SourceLocation) -> None:
    hosts = _section(st, "hosts", loc)
    existing = hosts.get(spec)
    if isinstance(existing, YMap):
        existing.update(hvars)
        existing.key_locs.update(hvars.key_locs)
        existing.value_locs.update(hvars.value_locs)
    else:
        _put(hosts, spec, hvars, loc)


def _vars_line(st: _State, line: str, loc: SourceLocation) -> None:
    key, sep, value = (part.strip() for part in line.partition("="))
    if not sep or not key:
        st.problem(
            f"expected key=value in `[{st.group}:vars]`, got `{mask_line(line)}`",
            loc,
            "a :vars section holds one `name=value` per line",
        )
        return
    _put(_section(st, "vars", loc), key, parse_value(value), loc)


def _child_line(st: _State, line: str, loc: SourceLocation) -> None:
    m = _GROUP_NAME.match(line)
    if m is None:
        st.problem(
            f"expected a group name in `[{st.group}:children]`, got `{mask_line(line)}`",
            loc,
            "a :children section lists one group name per line",
        )
        return
    child = m.group(1)
    _group(st, child, loc)
    _put(_section(st, "children", loc), child, None, loc)
    if child not in st.known:
        shown = mask_line(child)  # `ansible_password=x` under :children is still a secret
        st.pending.setdefault(
            child,
            Problem(
                f"`[{st.group}:children]` includes group `{shown}`, which is never defined",
                loc,
                _UNDEFINED_HINT.format(name=shown),
            ),
        )


def _group(st: _State, name: str, loc: SourceLocation) -> YMap:
    node = st.tree.get(name)
    if not isinstance(node, YMap):
        node = _ymap(loc)
        _put(st.tree, name, node, loc)
    return node


def _section(st: _State, key: str, loc: SourceLocation) -> YMap:
    group = _group(st, st.group, loc)
    node = group.get(key)
    if not isinstance(node, YMap):
        node = _ymap(loc)
        _put(group, key, node, loc)
    return node


def _ymap(loc: SourceLocation | None) -> YMap:
    node = YMap()
    node.loc, node.key_locs, node.value_locs = loc, {}, {}
    return node


def _put(node: YMap, key: Any, value: Any, loc: SourceLocation) -> None:
    node[key] = value
    node.key_locs.setdefault(key, loc)
    node.value_locs.setdefault(key, loc)


def _token_loc(loc: SourceLocation, line: str, token: str) -> SourceLocation:
    """Best-effort column of a shlex token (its quotes are gone, so find its key part)."""
    key = token.partition("=")[0] + ("=" if "=" in token else "")
    col = line.find(key, line.find(" ") + 1)
    return SourceLocation(loc.file, loc.line, loc.col + col) if col > 0 else loc


def parse_value(text: str) -> Any:
    """An INI value as Ansible reads it: a Python literal if it parses as one, else the
    text itself. Tuples and sets become lists; complex numbers and ``...`` become text."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return text
    return _coerce(value)


def _coerce(value: Any) -> Any:
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_coerce(v) for v in value]
    if isinstance(value, dict):
        return {k: _coerce(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    if value is Ellipsis:
        return "..."
    return str(value) if isinstance(value, complex) else value
