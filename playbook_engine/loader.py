"""YAML → plain Python values that remember where they came from.

Mappings, sequences and strings come back as ``YMap``/``YList``/``YStr``: subclasses of
``dict``/``list``/``str`` with a ``.loc``. Mappings also remember each key's location and
each value's location (``key_loc``/``value_loc``), so errors about ints and bools can still
point at their line. The C loader is used when PyYAML has it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem, ValidationError, YAMLSyntaxError
from .source import SourceLocation
from .values import TrustedStr, Unsafe

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YStr(TrustedStr):
    """Text from a file an author wrote: trusted, so it may be a template."""

    loc: SourceLocation | None = None


class YList(list):  # type: ignore[type-arg]
    loc: SourceLocation | None = None
    item_locs: list[SourceLocation]


class YMap(dict):  # type: ignore[type-arg]
    loc: SourceLocation | None = None
    key_locs: dict[Any, SourceLocation]
    value_locs: dict[Any, SourceLocation]

    def key_loc(self, key: Any) -> SourceLocation | None:
        return getattr(self, "key_locs", {}).get(key, self.loc)

    def value_loc(self, key: Any) -> SourceLocation | None:
        return getattr(self, "value_locs", {}).get(key, self.key_loc(key))


def loc_of(value: Any) -> SourceLocation | None:
    return getattr(value, "loc", None)


def _mark_loc(filename: str, mark: Any) -> SourceLocation:
    return SourceLocation(filename, mark.line + 1, mark.column + 1)


class _PositionLoader(_BaseLoader):  # type: ignore[misc]
    """SafeLoader whose containers and strings carry their source position."""

    filename = "<string>"
    duplicates: list[Problem]

    def construct_yaml_map(self, node: yaml.MappingNode) -> Any:
        data = YMap()
        data.loc = _mark_loc(self.filename, node.start_mark)
        data.key_locs, data.value_locs = {}, {}
        yield data
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    "found unhashable key", key_node.start_mark,
                )
            key_loc = _mark_loc(self.filename, key_node.start_mark)
            if key in data:
                self.duplicates.append(Problem(
                    f"duplicate key `{key}`: the later value wins", key_loc,
                    f"the first `{key}` is at line {data.key_locs[key].line}", "warning",
                ))
            data[key] = self.construct_object(value_node, deep=True)
            data.key_locs[key] = key_loc
            data.value_locs[key] = _mark_loc(self.filename, value_node.start_mark)

    def construct_yaml_seq(self, node: yaml.SequenceNode) -> Any:
        data = YList()
        data.loc = _mark_loc(self.filename, node.start_mark)
        data.item_locs = [_mark_loc(self.filename, n.start_mark) for n in node.value]
        yield data
        data.extend(self.construct_sequence(node, deep=True))

    def construct_yaml_str(self, node: yaml.ScalarNode) -> Any:
        value = YStr(self.construct_scalar(node))
        value.loc = _mark_loc(self.filename, node.start_mark)
        return value


_PositionLoader.add_constructor("tag:yaml.org,2002:map", _PositionLoader.construct_yaml_map)
_PositionLoader.add_constructor("tag:yaml.org,2002:seq", _PositionLoader.construct_yaml_seq)
_PositionLoader.add_constructor("tag:yaml.org,2002:str", _PositionLoader.construct_yaml_str)
class UnsafeYStr(Unsafe):
    """A ``!unsafe`` string: data, never rendered as a template."""

    loc: SourceLocation | None = None


def _construct_unsafe(loader: _PositionLoader, node: yaml.ScalarNode) -> Any:
    value = UnsafeYStr(loader.construct_scalar(node))
    value.loc = _mark_loc(loader.filename, node.start_mark)
    return value


_PositionLoader.add_constructor("!unsafe", _construct_unsafe)

_UNQUOTED_JINJA = re.compile(r"^\s*(-\s+)?[\w.\-\"']+\s*:\s*\{\{")


def _syntax_hint(filename: str, text: str, line: int) -> str | None:
    lines = text.splitlines()
    src = lines[line - 1] if 0 < line <= len(lines) else ""
    if _UNQUOTED_JINJA.match(src) or src.lstrip().startswith("- {{"):
        return 'a value that starts with "{{" must be quoted: key: "{{ var }}"'
    if "\t" in src[: len(src) - len(src.lstrip())]:
        return "YAML does not allow tabs for indentation"
    return None


def load_text(text: str, filename: str = "<string>") -> tuple[Any, list[Problem]]:
    """Parse YAML text; return the data and warnings (duplicate keys). Raises YAMLSyntaxError."""
    loader = _PositionLoader(text)
    loader.filename = filename
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.problem == "found unhashable key" and exc.context_mark:
            mark = exc.context_mark  # `key: {{ x }}`: point at the value, not inside it
        loc = _mark_loc(filename, mark) if mark else SourceLocation(filename)
        msg = " ".join(s for s in (exc.context, exc.problem) if s) or "invalid YAML"
        raise YAMLSyntaxError(f"YAML syntax error: {msg}", loc,
                              _syntax_hint(filename, text, loc.line)) from None
    except yaml.YAMLError as exc:
        raise YAMLSyntaxError(f"YAML error: {exc}", SourceLocation(filename)) from None
    finally:
        loader.dispose()
    return data, loader.duplicates


def load_file(path: str | Path) -> tuple[Any, list[Problem]]:
    """Read and parse a YAML file; a missing or unreadable file is a ValidationError."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError(f"file not found: {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"cannot read {p}: {exc}") from None
    return load_text(text, str(p))


def plain(value: Any) -> Any:
    """Strip position types recursively (for JSON output and jsonschema)."""
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, Unsafe):  # stays data: never rendered as a template
        return Unsafe(value)
    if isinstance(value, str):
        return str(value)
    return value
