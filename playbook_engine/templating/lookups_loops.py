"""The lookups behind Ansible's older loop forms: ``with_together``, ``with_nested``,
``with_subelements``, ``with_indexed_items``, ``with_flattened``, ``with_random_choice``,
``with_lines``, and ``varnames``.

Each also works as ``query('together', a, b)``. They only reshape what they are given (or,
for ``lines``, run a command on the controller), so what they return is data like their input.
"""

from __future__ import annotations

import copy
import difflib
import random
import re
import subprocess
from collections.abc import Iterable, Mapping
from typing import Any

from .lookup_base import LookupFailed, lookup
from .values import type_name

__all__: list[str] = []


def _as_list(term: Any, name: str) -> list[Any]:
    """One term as a list: a string or a mapping is one item, other iterables their items."""
    if isinstance(term, (str, bytes, Mapping)):
        return [term]
    if isinstance(term, Iterable):
        return list(term)
    raise LookupFailed(f"{name}: every term must be a list, got {type(term).__name__} {term!r}")


def _flat(value: Any) -> list[Any]:
    """One level of flattening: ``[1, [2, 3]]`` → ``[1, 2, 3]``."""
    out: list[Any] = []
    for item in value if isinstance(value, (list, tuple)) else [value]:
        out.extend(item if isinstance(item, (list, tuple)) else [item])
    return out


@lookup("together")
def _together(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    """Items of the lists side by side; shorter lists are padded with None."""
    lists = [_as_list(t, "together") for t in terms]
    if not lists:
        raise LookupFailed("with_together requires at least one element in each list")
    length = max(len(items) for items in lists)
    padded = [items + [None] * (length - len(items)) for items in lists]
    return [_flat(list(row)) for row in zip(*padded, strict=True)]


@lookup("nested")
def _nested(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    """Every combination of one item from each list, in order (a cartesian product)."""
    lists = [_as_list(t, "nested") for t in terms]
    if not lists:
        raise LookupFailed("with_nested needs at least one list")
    combos: list[Any] = lists[0]
    for items in lists[1:]:
        combos = [_flat([left, right]) for left in combos for right in items]
    return [_flat(combo) for combo in combos]


@lookup("indexed_items")
def _indexed_items(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    """``[index, item]`` pairs of the (one level flattened) items."""
    return [[index, item] for index, item in enumerate(_flat(terms))]


def _flatten_deep(items: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, (list, tuple)):
            out.extend(_flatten_deep(item))
        else:
            out.append(item)
    return out


@lookup("flattened")
def _flattened(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    """Lists of lists, flattened at every depth; nulls are dropped."""
    return _flatten_deep(terms)


lookup("community.general.flattened")(_flattened)


@lookup("random_choice")
def _random_choice(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    """One of the terms, chosen at random (nothing for no terms)."""
    return [random.SystemRandom().choice(terms)] if terms else []


@lookup("lines")
def _lines(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    """The output lines of each command, run by the shell on the controller."""
    out: list[Any] = []
    for term in terms:
        proc = subprocess.run(
            str(term),
            shell=True,
            capture_output=True,  # noqa: S602
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise LookupFailed(
                f"lines lookup `{term}` failed (rc={proc.returncode}): {proc.stderr.strip()}"
            )
        out.extend(proc.stdout.splitlines())
    return out


@lookup("varnames")
def _varnames(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    """Names of the variables matching each regular expression (``re.search``)."""
    names = [str(n) for n in getattr(variables, "_data", variables)]  # not template globals
    out: list[Any] = []
    for term in terms:
        if not isinstance(term, str):
            raise LookupFailed(
                f"varnames: Invalid setting identifier, {term!r} is not a string "
                f"(a pattern must be one, this is a {type(term).__name__})"
            )
        try:
            pattern = re.compile(term)
        except re.error as exc:
            raise LookupFailed(
                f"varnames: Unable to use {term!r} as a search parameter: {exc}"
            ) from None
        out += [name for name in names if pattern.search(name)]
    return out


# -- subelements ---------------------------------------------------------------------------


@lookup("subelements")
def _subelements(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    """``[element, subitem]`` for every item of each element's list ``key`` (``a.b`` for a
    nested key); the element comes without that key, as in Ansible."""
    elements, keys, skip_missing = _subelements_terms(terms, kw)
    pairs: list[Any] = []
    for element in elements:
        if not isinstance(element, Mapping):
            raise LookupFailed(f"subelements expects dictionaries, got {element!r}")
        if element.get("skipped"):  # a registered loop result that was skipped
            continue
        found = _sublist(element, keys, skip_missing)
        if found is None:
            continue
        trimmed = copy.deepcopy(dict(element))
        parent = trimmed
        for key in keys[:-1]:
            parent = parent[key]
        del parent[keys[-1]]
        pairs += [[trimmed, item] for item in found]
    return pairs


def _subelements_terms(terms: list[Any], kw: dict[str, Any]) -> tuple[list[Any], list[str], bool]:
    if len(terms) not in (2, 3):
        raise LookupFailed(
            f"subelements expects a list of two or three items (got {len(terms)}): a list "
            "(or dictionary) of dictionaries, the name of their list key, and optionally "
            "{skip_missing: true}"
        )
    if not isinstance(terms[1], str):
        raise LookupFailed(
            "subelements expects first a dict or a list, second a string pointing to the "
            f"subkey; the second is a {type_name(terms[1])}"
        )
    flags = dict(kw)
    if len(terms) == 3:
        if not isinstance(terms[2], Mapping):
            raise LookupFailed(
                "subelements: the optional third item must be a dict with flags "
                f"(skip_missing), got {terms[2]!r}"
            )
        flags.update(terms[2])
    # Ansible ignores other flags (bertvv.bind writes a `flags:` key); a misspelt
    # skip_missing would silently do nothing, so that one is refused
    typos = sorted(str(k) for k in flags if k != "skip_missing" and _near(str(k), "skip_missing"))
    if typos:
        raise LookupFailed(
            f"subelements: unknown flag(s) {', '.join(typos)} (the only flag is skip_missing)"
        )
    elements = terms[0]
    if isinstance(elements, Mapping):  # a skipped task's registered result: nothing
        elements = [] if elements.get("skipped") is True else list(elements.values())
    if not isinstance(elements, list):
        raise LookupFailed(
            "subelements expects first a dict or a list, second a string pointing to the "
            f"subkey; the first is a {type_name(elements)}"
        )
    return elements, terms[1].split("."), _truthy(flags.get("skip_missing", False))


def _near(word: str, target: str) -> bool:
    return difflib.SequenceMatcher(None, word, target).ratio() >= 0.8


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("yes", "true", "on", "1", "y")
    return bool(value)


def _sublist(element: Mapping[str, Any], keys: list[str], skip_missing: bool) -> list[Any] | None:
    value: Any = element
    for depth, key in enumerate(keys):
        if not isinstance(value, Mapping):
            if skip_missing:
                return None
            raise LookupFailed(
                f"subelements: the key {'.'.join(keys[:depth])!r} should point to a "
                f"dictionary, got {value!r}"
            )
        if key not in value:
            if skip_missing:
                return None
            raise LookupFailed(
                f"subelements: could not find {key!r} key in iterated item {dict(value)!r} "
                f"(looking for {'.'.join(keys)!r})"
            )
        value = value[key]
    if not isinstance(value, list):
        raise LookupFailed(
            f"subelements: the key {'.'.join(keys)!r} should point to a list, got {value!r}"
        )
    return value
