"""Ansible's host-pattern syntax, both halves of it.

* Inventory side: a host entry may carry ranges and a port (``web[01:05].example.com:2222``,
  ``db-[a:c]``); ``parse_host_spec`` turns one entry into host names.
* Play side: ``hosts:`` and ``--limit`` take patterns (``web:&prod:!web3``, ``~db\\d+``,
  ``webservers[0:2]``); ``split_pattern`` + ``evaluate`` resolve them against a ``Universe``.

Both follow ansible-core's observable behaviour so existing inventories and plays select the
same hosts, in the same order. Nothing here does I/O or knows about files.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..errors import InventoryError

__all__ = [
    "LOCALHOST_NAMES",
    "MAX_RANGE_HOSTS",
    "HostRangeError",
    "Selection",
    "Universe",
    "evaluate",
    "expand_host_range",
    "parse_host_spec",
    "split_pattern",
]

#: Names Ansible resolves to an implicit localhost when the inventory lacks them.
LOCALHOST_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})

_RANGE = re.compile(r"\[([^\]]*)\]")
_BRACKETED_V6 = re.compile(r"\[([0-9A-Fa-f:.%]+)\](?::(\d*))?")
_TERM = re.compile(r"(?:[^\s:\[\]]|\[[^\]]*\])+")
_SUBSCRIPT = re.compile(r"^(.+)\[(?:(-?[0-9]+)|([0-9]*):([0-9]*))\]$")
_GLOB_CHARS = frozenset(".?*[")
_MAX_DIGITS = 30

#: Most names one inventory host entry may expand to (``web[0:99999999]`` would exhaust
#: memory); inventory_load caps the whole inventory too. See docs/inventory.md.
MAX_RANGE_HOSTS = 100_000


class HostRangeError(ValueError):
    """A host entry that can't be expanded; the caller attaches the source location."""


# --- inventory side: ranges and ports ---------------------------------------------------


def parse_host_spec(spec: str) -> tuple[list[str], int | None]:
    """Split an optional ``:port`` off an inventory host entry and expand its ranges.

    Raises HostRangeError for a malformed range or port, so every caller (YAML, INI,
    ``-i h1,h2``) reports the same message.
    """
    name, port = _split_port(spec.strip())
    return expand_host_range(name), port


def _split_port(spec: str) -> tuple[str, int | None]:
    """``host:22`` -> (host, 22); IPv6 addresses keep their colons unless bracketed."""
    m = _BRACKETED_V6.fullmatch(spec)
    if m and ":" in m.group(1):
        return m.group(1), _port(spec, m.group(2)) if m.group(2) is not None else None
    colons = _outer_colons(spec)
    if _is_ip(spec) or len(colons) != 1:
        return spec, None
    head, tail = spec[: colons[0]], spec[colons[0] + 1 :]
    if not head:
        raise HostRangeError(f"host entry `{spec}` has no host name before the `:`")
    return head, _port(spec, tail)


def _outer_colons(spec: str) -> list[int]:
    """Positions of the colons outside ``[...]`` (those inside are range separators)."""
    depth, found = 0, []
    for i, char in enumerate(spec):
        depth += (char == "[") - (char == "]")
        if char == ":" and depth == 0:
            found.append(i)
    return found


def _port(spec: str, text: str) -> int:
    if not text:
        raise HostRangeError(
            f"host entry `{spec}` ends with `:`; a port number must follow it (`host:2222`)"
        )
    if not _is_number(text) or not 0 < int(text) < 65536:
        raise HostRangeError(f"invalid port `{text}` in host entry `{spec}`")
    return int(text)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def expand_host_range(spec: str) -> list[str]:
    """Expand every ``[begin:end(:step)]`` in a host name, left to right, ends inclusive.

    Raises HostRangeError when the entry would expand to more than ``MAX_RANGE_HOSTS``
    names, before building any of them.
    """
    if "[" not in spec:
        return [spec]
    parts: list[str | _Span] = []  # literal text and ranges, in order
    pos, count = 0, 1
    for m in _RANGE.finditer(spec):
        if "[" in spec[pos : m.start()]:
            break
        span = _span(m.group(1), spec)
        count *= len(span)
        if count > MAX_RANGE_HOSTS:
            raise HostRangeError(
                f"host entry `{spec}` expands to more than "
                f"{MAX_RANGE_HOSTS} hosts (pbe's limit per entry)"
            )
        parts += [spec[pos : m.start()], span]
        pos = m.end()
    if "[" in spec[pos:]:
        raise HostRangeError(f"unclosed `[` in host range `{spec}`")
    names = [""]
    for part in [*parts, spec[pos:]]:
        items = [part] if isinstance(part, str) else part.names()
        names = [name + item for name in names for item in items]
    return names


@dataclass(frozen=True)
class _Span:
    """One ``[begin:end:step]``: its size is known before any name is built."""

    first: int
    last: int
    step: int
    width: int = 0  # zero padding of numbers
    letters: bool = False

    def __len__(self) -> int:
        return len(range(self.first, self.last + 1, self.step))

    def names(self) -> list[str]:
        if self.letters:
            return list(string.ascii_letters[self.first : self.last + 1 : self.step])
        return [str(i).zfill(self.width) for i in range(self.first, self.last + 1, self.step)]


def _span(body: str, spec: str) -> _Span:
    """One range body: zero-padded numbers or single letters, like Ansible."""
    bounds = body.split(":")
    if len(bounds) not in (2, 3):
        raise HostRangeError(
            f"host range `[{body}]` in `{spec}` must be [begin:end] or [begin:end:step]"
        )
    begin, end = bounds[0] or "0", bounds[1]
    step = _step(bounds[2] if len(bounds) == 3 else "1", spec)
    if not end:
        raise HostRangeError(f"host range `[{body}]` in `{spec}` has no end value")
    if _is_number(begin) and _is_number(end):
        return _numeric_span(begin, end, step, spec)
    letters = string.ascii_letters
    if len(begin) == 1 == len(end) and begin in letters and end in letters:
        first, last = letters.index(begin), letters.index(end)
        _check_order(first, last, body, spec)
        return _Span(first, last, step, letters=True)
    raise HostRangeError(
        f"host range `[{body}]` in `{spec}` must be numbers in "
        "ASCII digits (`[01:10]`) or single letters (`[a:f]`)"
    )


def _is_number(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` is also true for ``²`` and ``٣``."""
    return text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS


def _numeric_span(begin: str, end: str, step: int, spec: str) -> _Span:
    width = len(begin) if begin.startswith("0") and len(begin) > 1 else 0
    if width and len(end) != width:
        raise HostRangeError(
            f"zero-padded host range `[{begin}:{end}]` in `{spec}` must have "
            "begin and end of equal length"
        )
    _check_order(int(begin), int(end), f"{begin}:{end}", spec)
    return _Span(int(begin), int(end), step, width)


def _step(text: str, spec: str) -> int:
    if not _is_number(text) or int(text) == 0:
        raise HostRangeError(f"host range step `{text}` in `{spec}` must be a positive integer")
    return int(text)


def _check_order(first: int, last: int, body: str, spec: str) -> None:
    if first > last:
        raise HostRangeError(
            f"host range `[{body}]` in `{spec}` runs backwards; begin must be <= end"
        )


# --- play side: target patterns -----------------------------------------------------------


@dataclass(frozen=True)
class Universe:
    """What a pattern is matched against: every host in inventory order, each group's
    hosts (``all`` first, as in ``groups_map``), and the inventory's own localhost-like
    host, which stands in for ``localhost``/``127.0.0.1``/``::1`` when they aren't hosts."""

    hosts: Sequence[str]
    groups: Mapping[str, Sequence[str]]
    localhost: str | None = None
    known: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "known", frozenset(self.hosts))


@dataclass(slots=True)
class Selection:
    """A resolved pattern: host names in selection order (a localhost-like name that is
    not in the inventory stands for the implicit localhost), and the terms that matched
    nothing, which Ansible warns about."""

    names: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)


def split_pattern(pattern: str) -> list[str]:
    """Split a pattern into terms: on commas if there are any, else on colons outside
    ``[...]`` (so ranges, subscripts and a bare IPv6 address survive), as Ansible does."""
    if "," in pattern:
        parts = pattern.split(",")
        for part in parts:
            _check_brackets(pattern, part)
    elif _is_ip(pattern.strip()):
        parts = [pattern]
    else:
        _check_brackets(pattern, pattern)
        parts = _TERM.findall(pattern)
    return [p.strip() for p in parts if p.strip()]


def _check_brackets(pattern: str, text: str) -> None:
    """Each ``[`` closed by a ``]``: ``web[0`` must not quietly become ``web`` and ``0``.
    Regular expressions (``~...``) are left to ``re``."""
    if "~" in text:
        return
    depth = 0
    for char in text:
        if char == "[":
            depth = 1
        elif char == "]" and not depth:
            raise InventoryError(f"host pattern {pattern!r} has a `]` with no `[` before it")
        elif char == "]":
            depth = 0
    if depth:
        raise InventoryError(
            f"host pattern {pattern!r} has an unclosed `[`",
            hint="a subscript is written `group[0]` or `group[1:3]`",
        )


def evaluate(pattern: str, terms: Sequence[str], universe: Universe) -> Selection:
    """Resolve terms: unions first, then ``&`` intersections, then ``!`` exclusions.

    A pattern made only of ``&``/``!`` terms starts from ``all``. Raises InventoryError
    (naming ``pattern``) for an empty pattern, a bare operator or an invalid regex.
    """
    if not terms:
        raise InventoryError(f"empty host pattern {pattern!r}", hint="use `all` for every host")
    selection = Selection()
    names: list[str] = []
    for term in _ordered(terms):
        op, body = (term[0], term[1:]) if term[0] in "&!" else ("", term)
        if not body:
            raise InventoryError(f"host pattern {pattern!r} has `{op}` with no name after it")
        matched = set(found := _match_term(pattern, body, universe, selection))
        if op == "!":
            names = [n for n in names if n not in matched]
        elif op == "&":
            names = [n for n in names if n in matched]
        else:
            seen = set(names)
            names += [n for n in _dedupe(found) if n not in seen]
    selection.names = names
    return selection


def _ordered(terms: Sequence[str]) -> list[str]:
    plain = [t for t in terms if t[0] not in "&!"] or ["all"]
    return plain + [t for t in terms if t[0] == "&"] + [t for t in terms if t[0] == "!"]


def _match_term(pattern: str, body: str, universe: Universe, sel: Selection) -> list[str]:
    """Hosts for one term (no operator); records the term in ``sel`` if it matched nothing."""
    if body in universe.known:
        return [body]
    expr, subscript = _split_subscript(pattern, body)
    regex = _compile(pattern, expr)
    groups = [g for g in universe.groups if regex.match(g)]
    found = [h for g in groups for h in universe.groups[g]]
    if not groups or expr[0] == "~" or _GLOB_CHARS.intersection(expr):
        found += [h for h in universe.hosts if regex.match(h)]
    found = _dedupe(found)
    if not found and expr in LOCALHOST_NAMES:
        found = [universe.localhost or expr]
    if not found and not groups and expr != "all":
        sel.unmatched.append(body)
    return _apply_subscript(found, subscript)


def _split_subscript(pattern: str, body: str) -> tuple[str, tuple[int, int | None] | None]:
    """``web[0]`` -> ('web', (0, None)); ``web[1:]`` -> ('web', (1, -1)); regexes untouched."""
    m = _SUBSCRIPT.match(body)
    if body[0] == "~" or m is None:
        return body, None
    expr, index, start, end = m.groups()
    if index is not None:
        return expr, (int(index), None)
    if not start and not end:
        raise InventoryError(f"host pattern {pattern!r}: subscript `[:]` needs a start or an end")
    return expr, (int(start or 0), int(end) if end else -1)


def _apply_subscript(hosts: list[str], subscript: tuple[int, int | None] | None) -> list[str]:
    """Ansible subscripts: a single index, or an inclusive ``[start:end]`` slice."""
    if subscript is None:
        return hosts
    start, end = subscript
    if end is None:
        return [hosts[start]] if -len(hosts) <= start < len(hosts) else []
    last = len(hosts) - 1 if end == -1 else end
    return hosts[start : last + 1]


def _compile(pattern: str, expr: str) -> re.Pattern[str]:
    """``~regex`` matches from the start of a name (re.match); anything else is an fnmatch
    glob over the whole name. Both are case-sensitive, like Ansible."""
    if expr[0] != "~":
        return re.compile(fnmatch.translate(expr))
    if len(expr) == 1:
        raise InventoryError(f"host pattern {pattern!r} has `~` with no regular expression")
    try:
        return re.compile(expr[1:])
    except re.error as exc:
        raise InventoryError(
            f"invalid regular expression `{expr[1:]}` in host pattern {pattern!r}: {exc}"
        ) from None


def _dedupe(names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(names))
