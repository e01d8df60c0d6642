"""YAML → plain Python values that remember where they came from.

Mappings, sequences and strings come back as ``YMap``/``YList``/``YStr``: subclasses of
``dict``/``list``/``str`` with a ``.loc``. Mappings also remember each key's location and
each value's location (``key_loc``/``value_loc``), so errors about ints and bools can still
point at their line. The C loader is used when PyYAML has it.

Hostile documents are refused before any node is built (see docs/validation.md, "Limits"):
nesting deeper than ``MAX_DEPTH`` (the C composer would overflow the C stack, the
constructor the Python one), aliases that would expand to more than ``MAX_ALIAS_NODES``
nodes (a "billion laughs" bomb is a few lines), and an alias inside its own anchor (a cycle
no later step could walk).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problem, ValidationError, YAMLSyntaxError
from ..source import SourceLocation
from ..templating.values import TrustedStr, Unsafe, Vaulted

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_DEPTH = 100  # nested mappings/sequences in one document
MAX_ALIAS_NODES = 100_000  # nodes that all aliases of one document may add when expanded


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
                    "while constructing a mapping",
                    node.start_mark,
                    "found unhashable key",
                    key_node.start_mark,
                )
            key_loc = _mark_loc(self.filename, key_node.start_mark)
            if key in data:
                self.duplicates.append(
                    Problem(
                        f"duplicate key `{key}`: the later value wins",
                        key_loc,
                        f"the first `{key}` is at line {data.key_locs[key].line}",
                        "warning",
                    )
                )
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


def _guarded(kind: str, construct: Any) -> Any:
    """A scalar constructor whose Python errors (``!!int abc``, ``2001-02-30``, an int of
    5,000 digits) become YAML errors at the scalar, like every other bad document."""

    def guarded(loader: _PositionLoader, node: yaml.ScalarNode) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError):
            value = str(node.value)
            shown = value if len(value) <= 40 else value[:37] + "..."
            raise yaml.constructor.ConstructorError(
                None, None, f"`{shown}` is not a valid {kind}", node.start_mark
            ) from None

    return guarded


def _guard_scalars() -> None:
    for kind in ("int", "float", "bool", "timestamp", "binary"):
        tag = f"tag:yaml.org,2002:{kind}"
        _PositionLoader.add_constructor(tag, _guarded(kind, _PositionLoader.yaml_constructors[tag]))


_guard_scalars()


class UnsafeYStr(Unsafe):
    """A ``!unsafe`` string: data, never rendered as a template."""

    loc: SourceLocation | None = None


def _construct_unsafe(loader: _PositionLoader, node: yaml.ScalarNode) -> Any:
    value = UnsafeYStr(loader.construct_scalar(node))
    value.loc = _mark_loc(loader.filename, node.start_mark)
    return value


_PositionLoader.add_constructor("!unsafe", _construct_unsafe)


def _construct_vault(loader: _PositionLoader, node: yaml.Node) -> Any:
    """A ``!vault`` scalar: kept as ciphertext, an error only where it is used."""
    if not isinstance(node, yaml.ScalarNode):
        raise yaml.constructor.ConstructorError(
            None, None, "a `!vault` value must be a string (the vault ciphertext)", node.start_mark
        )
    where = _mark_loc(loader.filename, node.start_mark)
    return Vaulted(str(loader.construct_scalar(node)), f"{where.file}:{where.line}")


_PositionLoader.add_constructor("!vault", _construct_vault)

_UNQUOTED_JINJA = re.compile(r"^\s*(-\s+)?[\w.\-\"']+\s*:\s*\{\{")


def _syntax_hint(filename: str, text: str, line: int) -> str | None:
    lines = text.splitlines()
    src = lines[line - 1] if 0 < line <= len(lines) else ""
    if _UNQUOTED_JINJA.match(src) or src.lstrip().startswith("- {{"):
        return 'a value that starts with "{{" must be quoted: key: "{{ var }}"'
    if "\t" in src[: len(src) - len(src.lstrip())]:
        return "YAML does not allow tabs for indentation"
    return None


class _Refused(yaml.MarkedYAMLError):
    """Valid YAML that pbe refuses to build: beyond a documented limit."""


def _refuse(problem: str, event: yaml.Event) -> _Refused:
    mark: Any = event.start_mark  # the C parser's Mark type differs; both have line/column
    return _Refused(problem=problem, problem_mark=mark)


class _Shape:
    """Depth and alias expansion of one document, measured from the parser's events alone
    (a flat loop: nothing here recurses or builds nodes, so nothing here can blow up)."""

    def __init__(self) -> None:
        self.open: list[list[Any]] = [[None, 0]]  # per open collection: [anchor, size]
        self.sizes: dict[str, int] = {}  # anchor -> expanded node count
        self.expanded = 0

    def feed(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.CollectionStartEvent):
            if len(self.open) > MAX_DEPTH:
                raise _refuse(f"nested more than {MAX_DEPTH} levels deep", event)
            self.open.append([event.anchor, 1])
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, size = self.open.pop()
            self._add(anchor, size)
        elif isinstance(event, yaml.ScalarEvent):
            self._add(event.anchor, 1)
        elif isinstance(event, yaml.AliasEvent):
            self._alias(event)

    def _add(self, anchor: str | None, size: int) -> None:
        if anchor is not None:
            self.sizes[anchor] = size
        self.open[-1][1] += size

    def _alias(self, event: yaml.AliasEvent) -> None:
        if any(frame[0] == event.anchor for frame in self.open):
            raise _refuse(f"alias *{event.anchor} is inside its own anchor (a cycle)", event)
        size = self.sizes.get(str(event.anchor), 0)  # undefined: the composer reports it
        self.expanded += size
        if self.expanded > MAX_ALIAS_NODES:
            raise _refuse(f"aliases expand to more than {MAX_ALIAS_NODES} nodes", event)
        self.open[-1][1] += size


def _check_shape(text: str) -> None:
    """Raise MarkedYAMLError for a document too deep or with an alias bomb or cycle."""
    parser = _BaseLoader(text)
    shape = _Shape()
    try:
        while parser.check_event():
            shape.feed(parser.get_event())
    finally:
        parser.dispose()


def load_text(text: str, filename: str = "<string>") -> tuple[Any, list[Problem]]:
    """Parse YAML text; return the data and warnings (duplicate keys). Raises YAMLSyntaxError."""
    loader = _PositionLoader(text)
    loader.filename = filename
    loader.duplicates = []
    try:
        _check_shape(text)
        data = loader.get_single_data()
    except _Refused as exc:
        raise YAMLSyntaxError(
            f"YAML refused: {exc.problem}",
            _mark_loc(filename, exc.problem_mark),
            "see the limits in docs/validation.md",
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.problem == "found unhashable key" and exc.context_mark:
            mark = exc.context_mark  # `key: {{ x }}`: point at the value, not inside it
        loc = _mark_loc(filename, mark) if mark else SourceLocation(filename)
        msg = " ".join(s for s in (exc.context, exc.problem) if s) or "invalid YAML"
        raise YAMLSyntaxError(
            f"YAML syntax error: {msg}", loc, _syntax_hint(filename, text, loc.line)
        ) from None
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
    except UnicodeDecodeError as exc:
        raise not_utf8(p, exc) from None
    except (OSError, ValueError) as exc:
        raise ValidationError(f"cannot read {p}: {exc}") from None
    return load_text(text, str(p))


def not_utf8(path: Path, exc: UnicodeDecodeError) -> ValidationError:
    """The error for a file that isn't UTF-8, at the first bad byte's line and column."""
    data = exc.object
    line_start = data.rfind(b"\n", 0, exc.start) + 1
    loc = SourceLocation(str(path), data.count(b"\n", 0, exc.start) + 1, exc.start - line_start + 1)
    return ValidationError(
        f"cannot read {path}: not UTF-8 text (byte {data[exc.start]:#04x})",
        loc,
        "save the file as UTF-8",
    )


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


def load_vars_file(path: str | Path, listed: bool = False) -> dict[str, Any]:
    """A vars file: a YAML mapping; ``listed`` (a play's ``vars_files``, as Ansible reads
    them): or a list of mappings, merged in order. Raises ValidationError with the
    position when it is neither."""
    data, _ = load_file(path)
    if data is None:
        return {}
    if listed and isinstance(data, list) and all(isinstance(d, dict) for d in data):
        merged: dict[str, Any] = {}
        for part in data:
            merged.update(part)
        return merged
    if not isinstance(data, dict):
        what = "a mapping of names to values" + (", or a list of them" if listed else "")
        raise ValidationError(f"a vars file must be {what}", loc_of(data))
    return dict(data)
