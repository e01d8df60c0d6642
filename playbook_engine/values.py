"""Where a string came from decides whether it may be a template.

Only text an author wrote — the playbook and its task files, roles, vars files, the
inventory, ``-e`` and the API's ``extra_vars`` — is ``TrustedStr`` and may be rendered.
Everything else is data: command output, facts, registered results, file contents, lookup
results, and *every* string a template or filter produces. Trust is never inherited: a
``str`` method, a filter or a concatenation returns a plain ``str``, so host data cannot
become template code on its way through ``trim``, ``split``, ``regex_findall``, a loop
item or ``set_fact``, whatever path it takes. Forgetting to trust something fails safe
(the text is shown as written); forgetting to distrust cannot happen, because nothing
needs to be.

``Unsafe`` is an author's explicit ``!unsafe``: data even though it sits in a playbook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["TrustedStr", "Unsafe", "author_text", "distrust", "is_template", "trust"]

_MARKERS = ("{{", "{%", "{#")


class TrustedStr(str):
    """Text from a source an author wrote: it may hold ``{{ }}`` to render."""

    __slots__ = ()


class Unsafe(str):
    """``!unsafe`` text: never rendered, though it came from a playbook."""

    __slots__ = ()


def is_template(value: Any) -> bool:
    """True for trusted text that holds Jinja markup; the only gate to rendering."""
    return isinstance(value, TrustedStr) and any(m in value for m in _MARKERS)


def trust(value: T) -> T:
    """Mark the plain strings in an author's data (keys and values, recursively) trusted.

    Strings that already have a type of their own (``TrustedStr``, ``Unsafe``, a loader's
    positioned string) keep it, so ``!unsafe`` survives. Unchanged containers are returned
    as they are (a loader's mapping keeps its positions)."""
    return _convert(value, _trust_str)  # type: ignore[no-any-return]


def author_text(value: Any) -> str:
    """``str(value)`` for a value an author wrote: trusted text (``!unsafe`` stays data)."""
    if isinstance(value, (TrustedStr, Unsafe)):
        return value
    return TrustedStr(value)


def distrust(value: T) -> T:
    """``value`` with every trusted string turned into data; the same object when there
    was none (results can be large: no copy unless something changes)."""
    return _convert(value, _distrust_str)  # type: ignore[no-any-return]


def _trust_str(text: str) -> str:
    return TrustedStr(text) if type(text) is str else text


def _distrust_str(text: str) -> str:
    return str(text) if isinstance(text, TrustedStr) else text


def _convert(value: Any, convert: Callable[[str], str]) -> Any:
    """Apply ``convert`` to every string in dicts, lists and tuples; copy only on change."""
    if isinstance(value, str):
        return convert(value)
    if isinstance(value, dict):
        pairs = [(_convert(k, convert), _convert(v, convert)) for k, v in value.items()]
        if all(a is k and b is v for (a, b), (k, v) in zip(pairs, value.items(), strict=True)):
            return value
        return dict(pairs)
    if isinstance(value, (list, tuple)):
        items = [_convert(v, convert) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return type(value)(items) if type(value) in (list, tuple) else items
    return value
