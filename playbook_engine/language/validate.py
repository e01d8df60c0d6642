"""Checks loaded YAML against schema/ and module argument schemas, collecting every problem.

Nothing here raises on the first mistake: each checker appends ``Problem``s (with source
positions and "did you mean" hints) so a user fixes a whole file in one pass.
"""

from __future__ import annotations

import codecs
import difflib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator

from .. import modules
from ..errors import Problem
from ..modules.base import FALSE_STRINGS, TRUE_STRINGS
from ..source import SourceLocation
from ..templating.templar import TemplateEngine
from ..templating.values import is_template
from .loader import YList, YMap, loc_of

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema"
LOOP_PREFIX = "with_"


@cache
def load_schema(name: str) -> dict[str, Any]:
    with open(SCHEMA_DIR / name, encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


def _keywords(defn: str) -> frozenset[str]:
    defs = load_schema("playbook.schema.json")["$defs"]
    return frozenset(defs[defn]["properties"]) | frozenset(defs["common"]["properties"])


PLAY_KEYWORDS = _keywords("play")
TASK_KEYWORDS = _keywords("task") | {"action", "local_action"}
BLOCK_KEYWORDS = TASK_KEYWORDS


# -- lenient types: a template string or Ansible's yes/no is fine where a bool is due ------


def _templated_or(base: Any) -> Any:
    def check(checker: Any, instance: Any) -> bool:
        return bool(base(checker, instance)) or is_template(instance)

    return check


def _boolish(checker: Any, instance: Any) -> bool:
    if isinstance(instance, bool) or is_template(instance):
        return True
    if isinstance(instance, int) and instance in (0, 1):  # Ansible's booleans take 1 and 0
        return True
    return isinstance(instance, str) and instance.lower() in TRUE_STRINGS | FALSE_STRINGS


def _enum(validator: Any, enums: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if not is_template(instance) and instance not in enums:
        yield jsonschema.ValidationError(f"{instance!r} is not one of {enums!r}")


def _numberish(kind: str, convert: Callable[[str], object]) -> Any:
    """`port=8000` in key=value text is a string the module will convert: accept it."""
    base = _base_checker._type_checkers[kind]

    def check(checker: Any, instance: Any) -> bool:
        if base(checker, instance) or is_template(instance):
            return True
        if not isinstance(instance, str):
            return False
        try:
            convert(instance.strip())
        except ValueError:
            return False
        return True

    return check


_base_checker = Draft202012Validator.TYPE_CHECKER
_TYPE_CHECKER = _base_checker.redefine_many(
    {
        "boolean": _boolish,
        "integer": _numberish("integer", int),
        "number": _numberish("number", float),
        **{t: _templated_or(_base_checker._type_checkers[t]) for t in ("array", "object")},
    }
)
# A template stands for a whole list or mapping: what it holds is known only when it is
# rendered, so the keywords about items and keys must not look into the template's text.
_CONTENT_KEYWORDS = (
    "items", "prefixItems", "contains", "minItems", "maxItems", "uniqueItems",
    "properties", "patternProperties", "additionalProperties", "propertyNames", "required",
    "minProperties", "maxProperties", "dependentRequired", "dependentSchemas",
)  # fmt: skip


def _whole(keyword: str) -> Any:
    base = Draft202012Validator.VALIDATORS[keyword]

    def check(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if not is_template(instance):
            yield from base(validator, value, instance, schema)

    return check


LenientValidator = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    validators={"enum": _enum, **{k: _whole(k) for k in _CONTENT_KEYWORDS}},
    type_checker=_TYPE_CHECKER,
)
# Playbook structure: a template can't stand for a mapping or a list (`vars: "{{ x }}"`,
# `tasks: "{{ x }}"`): the loader needs the real thing, as Ansible does.
StructureValidator = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    validators={"enum": _enum},
    type_checker=_TYPE_CHECKER.redefine_many(
        {t: _base_checker._type_checkers[t] for t in ("array", "object")}
    ),
)


@cache
def structure_schema(defn: str) -> dict[str, Any]:
    """The schema of one playbook definition (``play``, ``task``, ``role``, ``rolemeta``).

    Task lists are checked one level deep: the loader checks each task and block against
    ``task`` itself, so nesting costs no recursion in jsonschema and no duplicate reports.
    """
    defs = dict(load_schema("playbook.schema.json")["$defs"])
    defs["tasklist"] = {"type": ["array", "null"]}
    return {"$ref": f"#/$defs/{defn}", "$defs": defs}


def locate(root: Any, path: Any, fallback: SourceLocation | None) -> SourceLocation | None:
    """The source position of the node at ``path`` (a jsonschema absolute_path)."""
    node, loc = root, loc_of(root) or fallback
    for step in path:
        if isinstance(node, YMap) and step in node:
            loc = node.value_loc(step)
        elif isinstance(node, YList) and isinstance(step, int) and step < len(node):
            loc = node.item_locs[step]
        else:
            break
        node = node[step]
    return loc


def suggest(word: str, candidates: Any) -> str | None:
    close = difflib.get_close_matches(str(word), list(candidates), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, candidates: Any) -> str | None:
    match = suggest(word, candidates)
    return f"did you mean `{match}`?" if match else None


def schema_problems(
    instance: Any,
    schema: Mapping[str, Any],
    root_loc: SourceLocation | None,
    skip: frozenset[str] = frozenset(),
    validator_class: Any = LenientValidator,
) -> list[Problem]:
    """Run jsonschema and turn each error into a positioned Problem."""
    problems = []
    validator = validator_class(schema)
    for err in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path))):
        if err.validator in skip:
            continue
        for leaf in _leaves(err):
            problems += _leaf_problems(leaf, instance, root_loc)
    return problems


def structure_problems(node: Any, defn: str, root_loc: SourceLocation | None) -> list[Problem]:
    """``node`` against one playbook definition; unknown keys are left to the caller, which
    reports them with a "did you mean"."""
    problems = schema_problems(
        node,
        structure_schema(defn),
        root_loc,
        skip=frozenset({"unevaluatedProperties"}),
        validator_class=StructureValidator,
    )
    if isinstance(node, YMap) and "module_defaults" in node:
        problems += _module_defaults_problems(node["module_defaults"], node)
    return problems


def _module_defaults_problems(value: Any, node: YMap) -> list[Problem]:
    """Names in ``module_defaults`` that no module of pbe's answers to: their defaults would
    apply to nothing, so say so (an action group pbe does not know, a typo)."""
    problems: list[Problem] = []
    for entry in value if isinstance(value, list) else [value]:
        if not isinstance(entry, dict):
            continue
        for key in entry:
            name = str(key)
            loc = entry.key_loc(key) if isinstance(entry, YMap) else node.loc
            if name.startswith("group/"):
                problems.append(
                    Problem(
                        f"module_defaults: pbe knows no action group `{name[6:]}`: these "
                        "defaults apply to no module",
                        loc,
                        "list the modules by name",
                        "warning",
                    )
                )
            elif modules.get(name) is None:
                problems.append(
                    Problem(
                        f"module_defaults: `{name}` is no module pbe has",
                        loc,
                        did_you_mean(name, modules.REGISTRY),
                        "warning",
                    )
                )
    return problems


def _leaf_problems(
    err: jsonschema.ValidationError, instance: Any, root_loc: SourceLocation | None
) -> list[Problem]:
    node = err.instance
    if err.validator == "additionalProperties" and isinstance(node, dict):
        schema = err.schema if isinstance(err.schema, dict) else {}
        allowed = set(schema.get("properties", {}))
        where = next((str(p) for p in reversed(err.absolute_path) if isinstance(p, str)), "")
        return [
            Problem(
                f"unknown key `{key}`" + (f" in `{where}`" if where else ""),
                node.key_loc(key) if isinstance(node, YMap) else root_loc,
                did_you_mean(key, allowed),
            )
            for key in node
            if key not in allowed
        ]
    if err.validator == "required" and not err.absolute_path:
        return [Problem(_describe(err), root_loc)]
    return [Problem(_describe(err), locate(instance, err.absolute_path, root_loc))]


_TYPE_WORDS = {
    "boolean": "a boolean (true/false, yes/no)",
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "array": "a list",
    "object": "a mapping",
    "null": "empty",
}


def _describe(err: jsonschema.ValidationError) -> str:
    path = list(err.absolute_path)
    key = next((str(p) for p in reversed(path) if isinstance(p, str)), "")
    where = ".".join(str(p) for p in path)
    value: Any = err.validator_value
    if err.validator == "type":
        types = value if isinstance(value, list) else [value]
        words = " or ".join(_TYPE_WORDS.get(str(t), str(t)) for t in types)
        subject = (
            f"an item of `{key}`" if key and isinstance(path[-1], int) else f"`{key or where}`"
        )
        return f"{subject} must be {words}, got {_short(err.instance)}"
    if err.validator == "enum":
        return f"`{key}` must be one of {', '.join(map(str, value))}, got {_short(err.instance)}"
    if err.validator == "required" and isinstance(err.instance, dict):
        missing = [r for r in value if r not in err.instance]
        return ", ".join(f"`{m}`" for m in missing) + " is a required argument"
    if err.validator == "pattern" and key == "register":
        return (
            f"`register` must be a variable name (letters, digits, _), got {_short(err.instance)}"
        )
    return f"`{key or where}`: {err.message}" if where else err.message


def _short(value: object) -> str:
    if isinstance(value, (dict, list)):
        return str(plain_value(value))
    text = repr(plain_value(value))
    return text if len(text) < 60 else text[:57] + "..."


def plain_value(value: object) -> object:
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return value


def _leaves(err: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """For anyOf/oneOf, the innermost errors say more than 'is not valid under any'."""
    if err.context:
        best = jsonschema.exceptions.best_match(err.context)
        return [best] if best is not None else [err]
    return [err]


# -- key=value free-form arguments ----------------------------------------------------------

# A key of ``k=v`` arguments: a name, dashes allowed (Ansible's ``daemon-reload=true``).
_KV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def parse_kv(text: str) -> tuple[dict[str, str], list[str]]:
    """Split Ansible's ``k=v k2='v 2' rest`` into (params, leftover words).

    A bare word after a ``k=v`` continues that value (``msg=hello world``). A key may be a
    template (``"{{ item.key }}={{ item.value }}"`` for set_fact), rendered at run time.
    """
    values: dict[str, list[str]] = {}  # joined once at the end: linear in the text
    rest: list[str] = []
    last: str | None = None
    for found in _WORD.finditer(text):
        raw = found.group()
        if _ESCAPE.search(raw) and _split_key(raw)[1]:
            # Ansible's rules where they differ from a shell's: escapes (`\t`, `\\`) are
            # decoded, then one pair of quotes around the value is taken off
            key, _, value = _split_key(_decode_escapes(raw))
            values[key], last = [_unquoted(value)], key
            continue
        try:
            word = _POSIX_PART.sub(_unquote_part, raw)
        except ValueError as exc:
            raise ValueError(f"cannot split arguments: {exc}") from None
        key, sep, value = _split_key(word)
        if sep:
            values[key] = [value]
            last = key
        elif last is not None:
            values[last].append(word)
        else:
            rest.append(word)
    return {k: " ".join(v) for k, v in values.items()}, rest


_ESCAPE = re.compile(
    r"""\\(?:U[0-9A-Fa-f]{8}|u[0-9A-Fa-f]{4}|x[0-9A-Fa-f]{2}|N\{[^}]+\}|[\\'"abfnrtv])"""
)


def _decode_escapes(text: str) -> str:
    """Python's escape sequences in ``text`` (``\\t``, ``\\x41``, ``\\\\``) turned into
    the characters they stand for, as Ansible reads ``key=value`` text; not octal ones,
    which Ansible leaves alone (``replace='"\\1"'`` is a back-reference)."""
    return _ESCAPE.sub(lambda m: codecs.decode(m.group(), "unicode_escape"), text)


def _unquoted(value: str) -> str:
    """One pair of matching quotes around ``value`` taken off."""
    if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _split_key(word: str) -> tuple[str, str, str]:
    """(key, "=", value) for a ``k=v`` word whose key is a name or holds ``{{ }}``; else
    (word, "", "")."""
    if (found := _TEMPLATE_KEY.match(word)) is not None:
        return found.group(1), "=", found.group(2)
    key, sep, value = word.partition("=")
    return (key, sep, value) if sep and _KV_KEY.fullmatch(key) else (word, "", "")


def free_form_args(module: type[modules.Module], text: str) -> dict[str, Any]:
    """``command: ls -l chdir=/tmp`` → {"cmd": "ls -l", "chdir": "/tmp"}.

    As in Ansible, a word ``NAME=value`` (outside quotes and ``{{ }}``) whose NAME is one
    of the module's scalar arguments is taken out, wherever it stands, and a line left
    blank goes; everything else, newlines, comments, runs of spaces and quotes included,
    is the free-form argument as written (a backslash ending a line outside quotes joins
    it to the next). Linear in the length of the text.
    """
    if module.free_form is None:
        params, rest = parse_kv(text)
        if rest:
            raise ValueError(f"expected key=value arguments, got `{' '.join(rest)}`")
        return params
    known = {
        name
        for name, arg in module.args.items()
        if (name != module.free_form or module.free_form_kv) and arg.type not in ("list", "dict")
    }
    args: dict[str, Any] = {}
    cuts: list[tuple[int, int]] = []
    for word in _WORD.finditer(text):
        m = _KEY_VALUE.match(word.group())
        if m and m.group(1) in known:
            args[m.group(1)] = _unquote(m.group(2))
            cuts.append(_cut_span(text, word.start(), word.end()))
    remaining = _without(text, cuts) if cuts else text
    if "\\\n" in remaining:
        remaining = _joined_lines(remaining)
    remaining = text if remaining == text else _like(text, remaining)
    if module.free_form not in args or remaining.strip():
        args[module.free_form] = remaining
    return args


def _joined_lines(text: str) -> str:
    """A backslash ending a line outside quotes joins it to the next, as Ansible's splitter
    does (the shell would too): ``echo a \\`` then ``b`` is ``echo a b``."""
    out: list[str] = []
    quote = ""
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and quote != "'" and i + 1 < len(text):  # literal in '...'
            if text[i + 1] == "\n" and not quote:
                i += 2
                continue
            out.append(text[i : i + 2])
            i += 2
            continue
        if char in "'\"" and quote in ("", char):
            quote = "" if quote else char
        out.append(char)
        i += 1
    return "".join(out)


def _like(original: str, text: str) -> str:
    """``text`` as the same kind of string as ``original``: a ``!unsafe`` command stays
    unsafe (never templated) and keeps its source position."""
    if type(original) is str:
        return text
    same = type(original)(text)
    if hasattr(original, "loc"):
        same.loc = original.loc  # type: ignore[attr-defined]
    return same


# A word: quoted strings, Jinja2 delimiters and backslash escapes hold whitespace inside it.
# Every alternative starts with a different character and none can fail once started, so
# the engine never backtracks: one pass over the text.
_WORD = re.compile(
    r"""(?:'[^']*'?|"(?:\\.|[^"\\])*"?|\{\{.*?(?:\}\}|\Z)|\{%.*?(?:%\}|\Z)"""
    r"""|\{\#.*?(?:\#\}|\Z)|\\.?|\{|[^\s'"\\{])+""",
    re.S,
)
# A templated key: name characters around one or more ``{{ }}`` (``user_{{ item.name }}``).
_TEMPLATE_KEY = re.compile(r"((?:[A-Za-z0-9_-]*\{\{(?:(?!\}\}).)*\}\})+[A-Za-z0-9_-]*)=(.*)", re.S)
_KEY_VALUE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.S)
# The parts of a word a POSIX shell unquotes (as shlex.split does); a Jinja2 expression is
# kept as written, quotes and all.
_POSIX_PART = re.compile(
    r"""(\{\{.*?(?:\}\}|\Z)|\{%.*?(?:%\}|\Z)|\{\#.*?(?:\#\}|\Z))"""
    r"""|'([^']*)('?)|"((?:\\.|[^"\\])*)("?)|\\(.?)""",
    re.S,
)
_DOUBLE_QUOTED_ESCAPE = re.compile(r"""\\(["\\])""")


def _unquote_part(m: re.Match[str]) -> str:
    jinja, single, closed_single, double, closed_double, escaped = m.groups()
    if jinja is not None:
        return jinja
    if single is not None:
        if not closed_single:
            raise ValueError("No closing quotation")
        return single
    if double is not None:
        if not closed_double:
            raise ValueError("No closing quotation")
        return _DOUBLE_QUOTED_ESCAPE.sub(r"\1", double)
    if not escaped:
        raise ValueError("No escaped character")
    return str(escaped)


def _cut_span(text: str, start: int, end: int) -> tuple[int, int]:
    """A taken-out word with the blanks before it (or after it, at a line's start); never
    a newline, so the lines around it stay lines."""
    before = start
    while before > 0 and text[before - 1] in " \t":
        before -= 1
    if before > 0 and text[before - 1] != "\n":
        return before, end
    after = end
    while after < len(text) and text[after] in " \t":
        after += 1
    return start, after


def _without(text: str, cuts: list[tuple[int, int]]) -> str:
    """``text`` without the cut spans; a line left blank by them goes entirely, as in
    Ansible (``creates=/x`` on a line of its own leaves no empty line in the command)."""
    gone = bytearray(len(text))
    for start, end in cuts:
        gone[start:end] = b"\1" * (end - start)
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        end = pos + len(line)
        kept = "".join(c for c, cut in zip(line, gone[pos:end], strict=True) if not cut)
        if not (any(gone[pos:end]) and not kept.strip()):
            out.append(kept)
        pos = end
    return "".join(out)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def check_templates(
    value: Any, engine: TemplateEngine, fallback: SourceLocation | None, bare: bool = False
) -> list[Problem]:
    """Jinja2 syntax errors anywhere inside ``value``; ``bare`` for when-style expressions.

    Walks with an explicit stack and visits a shared container once: YAML aliases make
    ``value`` a graph in which one anchored node may be reached thousands of times.
    """
    problems: list[Problem] = []
    todo, seen = [value], set()
    while todo:
        node = todo.pop()
        if isinstance(node, str):
            problems += _template_problem(node, engine, fallback, bare)
        elif isinstance(node, (dict, list)) and id(node) not in seen:
            seen.add(id(node))
            items = list(node.values()) if isinstance(node, dict) else node
            todo += reversed(items)  # in document order, as the problems are reported
    return problems


def _template_problem(
    value: str, engine: TemplateEngine, fallback: SourceLocation | None, bare: bool
) -> list[Problem]:
    source = value
    if bare and not is_template(value):
        source = "{{ (" + value + ") }}"
    if not (bare or is_template(source)):
        return []
    shown = value.strip()
    shown = shown if len(shown) <= 200 else shown[:197] + "..."
    if msg := _syntax_error(engine, source, raw=not bare):
        return [Problem(f"template syntax error: {msg}", loc_of(value) or fallback, f"in: {shown}")]
    return [
        Problem(
            f"unknown {kind} `{name}`",
            loc_of(value) or fallback,
            f"pbe fails the task if no plugin provides it at run time; in: {shown}",
            "warning",
        )
        for kind, name in engine.unknown_names(source, raw=not bare)
    ]


def _syntax_error(engine: TemplateEngine, source: str, raw: bool) -> str | None:
    """Jinja2's parser recurses per nesting level; a hostile template must not crash us."""
    try:
        return engine.check_syntax(source, raw)
    except RecursionError:
        return "nested too deeply to parse"
