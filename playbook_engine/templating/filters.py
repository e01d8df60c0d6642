"""Ansible's common Jinja2 filters, written for pbe; ``install(env)`` registers them.

Every filter is registered under its short name and as ``ansible.builtin.<name>``; Jinja's
own ``default``/``d``, ``int``, ``float``, ``min``, ``max`` and friends stay as they are,
while ``unique`` and ``random`` are replaced by Ansible's versions. Bad input raises
``TypeError``/``ValueError`` naming the filter, which the templar reports as a
``TemplateError``. Combinatorial filters (``zip``, ``product``, ``subelements``, ...)
return lists of lists, never tuples or iterators, so results compare equal to YAML data.
"""

from __future__ import annotations

import base64
import datetime
import functools
import hashlib
import itertools
import json
import math
import os.path
import random as _random
import re
import shlex
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit as _urlsplit

import jinja2
import yaml
from jinja2.filters import ignore_case, make_attrgetter

from . import cryptpw, filters_extra, filters_net, jinja_tests
from .jinja_tests import volatile
from .lines import Lines, json_default

__all__ = ["FILTERS", "install"]

# -- types and serialisation ---------------------------------------------------------------


def to_bool(value: Any) -> bool | None:
    """Ansible's ``bool`` filter: yes/on/1/true (any case) are True, anything else False."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        value = value.strip().lower()
    return value in ("yes", "on", "1", "true", 1)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return dict(obj)
    if isinstance(obj, (datetime.date, datetime.time)):
        return obj.isoformat()
    if isinstance(obj, (set, frozenset, Lines)):
        return list(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def to_json(value: Any, *args: Any, **kw: Any) -> str:
    kw.setdefault("default", _json_default)
    return json.dumps(value, *args, **kw)


def to_nice_json(value: Any, indent: int = 4, sort_keys: bool = True, **kw: Any) -> str:
    return to_json(value, indent=indent, sort_keys=sort_keys, separators=(",", ": "), **kw)


def _keep_unsafe(source: Any, value: Any) -> Any:
    """Give the strings in ``value`` the str subclass of ``source`` (keeps host data unsafe)."""
    cls = type(source)
    if not isinstance(source, str) or cls is str:
        return value
    if isinstance(value, str):
        return cls(value)
    if isinstance(value, dict):
        return {_keep_unsafe(source, k): _keep_unsafe(source, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_keep_unsafe(source, v) for v in value]
    return value


def from_json(value: Any, **kw: Any) -> Any:
    return _keep_unsafe(value, json.loads(value, **kw))


class _Dumper(yaml.SafeDumper):
    """SafeDumper that also writes str subclasses (``Unsafe``), mappings and tuples."""

    def ignore_aliases(self, data: Any) -> bool:
        return True  # repeated objects are written out again, never as &id001 anchors


def _represent_other(dumper: _Dumper, data: Any) -> yaml.Node:
    if isinstance(data, str):
        return dumper.represent_str(data)
    if isinstance(data, Mapping):
        return dumper.represent_dict(data)
    if isinstance(data, (list, tuple, Lines)):
        return dumper.represent_list(data)
    return dumper.represent_undefined(data)


_Dumper.add_multi_representer(object, _represent_other)


def to_yaml(value: Any, **kw: Any) -> str:
    kw.setdefault("default_flow_style", None)
    text: str = yaml.dump(value, Dumper=_Dumper, allow_unicode=True, **kw)
    return text


def to_nice_yaml(value: Any, indent: int = 4, **kw: Any) -> str:
    kw.setdefault("default_flow_style", False)
    return to_yaml(value, indent=indent, **kw)


def from_yaml(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return _keep_unsafe(value, yaml.safe_load(value))


def from_yaml_all(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return _keep_unsafe(value, list(yaml.safe_load_all(value)))


# -- regular expressions -------------------------------------------------------------------


def _flags(ignorecase: bool, multiline: bool) -> int:
    return (re.I if ignorecase else 0) | (re.M if multiline else 0)


def regex_replace(
    value: Any = "",
    pattern: str = "",
    replacement: str = "",
    ignorecase: bool = False,
    multiline: bool = False,
    count: int = 0,
    mandatory_count: int = 0,
) -> str:
    compiled = re.compile(pattern, _flags(ignorecase, multiline))
    result, done = compiled.subn(replacement, str(value), count=count)
    if mandatory_count and done != mandatory_count:
        raise ValueError(
            f"regex_replace: expected {mandatory_count} replacement(s) of {pattern!r}, made {done}"
        )
    return result


_GROUP_REF = re.compile(r"\\(?:(\d+)|g<(\w+)>)")


def regex_search(
    value: Any, pattern: str, *groups: str, ignorecase: bool = False, multiline: bool = False
) -> Any:
    """The match, or the listed groups (``'\\1'``, ``'\\g<name>'``), or None."""
    refs: list[int | str] = []
    for group in groups:
        ref = _GROUP_REF.fullmatch(str(group))
        if ref is None:
            raise ValueError(
                f"regex_search: unknown argument {group!r}, expected '\\\\N' or '\\\\g<name>'"
            )
        refs.append(int(ref[1]) if ref[1] else ref[2])
    found = re.search(pattern, str(value), _flags(ignorecase, multiline))
    if found is None:
        return None
    return [found.group(r) for r in refs] if refs else found.group()


def regex_findall(
    value: Any, pattern: str, multiline: bool = False, ignorecase: bool = False
) -> list[Any]:
    found = re.findall(pattern, str(value), _flags(ignorecase, multiline))
    return [list(f) if isinstance(f, tuple) else f for f in found]


def regex_escape(value: Any, re_type: str = "python") -> str:
    if re_type == "python":
        return re.escape(str(value))
    if re_type == "posix_basic":
        return re.sub(r"([\\^$.*\[\]])", r"\\\1", str(value))
    raise ValueError(f"regex_escape: unsupported re_type {re_type!r}")


# -- dictionaries --------------------------------------------------------------------------

_LIST_MERGES = ("replace", "keep", "append", "prepend", "append_rp", "prepend_rp")


def _merge_lists(old: list[Any], new: list[Any], mode: str) -> list[Any]:
    if mode == "keep":
        return old
    if mode == "append":
        return old + new
    if mode == "prepend":
        return new + old
    if mode == "append_rp":
        return [x for x in old if x not in new] + new
    if mode == "prepend_rp":
        return new + [x for x in old if x not in new]
    return new


def _merge(
    base: Mapping[Any, Any], patch: Mapping[Any, Any], recursive: bool, list_merge: str
) -> dict[Any, Any]:
    out = dict(base)
    for key, new in patch.items():
        old = out.get(key)
        if recursive and isinstance(old, Mapping) and isinstance(new, Mapping):
            out[key] = _merge(old, new, recursive, list_merge)
        elif key in out and isinstance(old, list) and isinstance(new, list):
            out[key] = _merge_lists(old, new, list_merge)
        else:
            out[key] = new
    return out


def combine(*terms: Any, recursive: bool = False, list_merge: str = "replace") -> dict[Any, Any]:
    """Merge dicts left to right; ``[a, b] | combine`` works as ``a | combine(b)``."""
    if list_merge not in _LIST_MERGES:
        raise ValueError(f"combine: list_merge must be one of {', '.join(_LIST_MERGES)}")
    dicts = flatten(terms, levels=1)
    result: dict[Any, Any] = {}
    for term in dicts:
        if not isinstance(term, Mapping):
            raise TypeError(f"combine expects dictionaries, got {type(term).__name__}")
        result = _merge(result, term, recursive, list_merge)
    return result


def dict2items(value: Any, key_name: str = "key", value_name: str = "value") -> list[Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"dict2items requires a dictionary, got {type(value).__name__}")
    return [{key_name: k, value_name: v} for k, v in value.items()]


def items2dict(value: Any, key_name: str = "key", value_name: str = "value") -> dict[Any, Any]:
    if not isinstance(value, list):
        raise TypeError(f"items2dict requires a list, got {type(value).__name__}")
    try:
        return {item[key_name]: item[value_name] for item in value}
    except (KeyError, TypeError, IndexError):
        raise TypeError(
            f"items2dict requires a list of dictionaries with the keys "
            f"{key_name!r} and {value_name!r}"
        ) from None


@jinja2.pass_environment
def extract(env: jinja2.Environment, item: Any, container: Any, morekeys: Any = None) -> Any:
    keys = [] if morekeys is None else morekeys if isinstance(morekeys, list) else [morekeys]
    value = container
    for key in [item, *keys]:
        value = env.getitem(value, key)
    return value


def subelements(value: Any, subelements: Any, skip_missing: bool = False) -> list[Any]:
    """Pair every element with each item of its (nested) list ``subelements``."""
    elements = list(value.values()) if isinstance(value, Mapping) else value
    if not isinstance(elements, list):
        raise TypeError("subelements: the input must be a list or a dictionary")
    keys = subelements.split(".") if isinstance(subelements, str) else subelements
    if not isinstance(keys, list) or not keys:
        raise TypeError("subelements: the key must be a string or a list of strings")
    pairs: list[Any] = []
    for element in elements:
        items = element
        for key in keys:
            if not isinstance(items, Mapping) or key not in items:
                if skip_missing:
                    break
                raise ValueError(f"subelements: could not find {key!r} in {element!r}")
            items = items[key]
        else:
            if not isinstance(items, list):
                raise TypeError(
                    f"subelements: the key {'.'.join(keys)!r} should point "
                    f"to a list, got {type(items).__name__}"
                )
            pairs.extend([element, item] for item in items)
    return pairs


# -- lists and sets ------------------------------------------------------------------------


def _dedupe(items: Iterable[Any], key: Callable[[Any], Any] = lambda x: x) -> list[Any]:
    """Keep first occurrences, comparing by ``key``; unhashable items are fine."""
    hashed: set[Any] = set()
    others: list[Any] = []
    out = []
    for item in items:
        k = key(item)
        try:
            if k in hashed:
                continue
            hashed.add(k)
        except TypeError:
            if k in others:
                continue
            others.append(k)
        out.append(item)
    return out


@jinja2.pass_environment
def unique(
    env: jinja2.Environment,
    value: Iterable[Any],
    case_sensitive: bool | None = None,
    attribute: str | int | None = None,
) -> list[Any]:
    """Jinja's ``unique`` (case-insensitive by default, by ``attribute``), as in Ansible;
    items that cannot be hashed (dicts, lists) are compared as they are, which has no
    notion of case or attribute, so asking for either with such items is an error."""
    items = list(value)
    postprocess = None if case_sensitive else ignore_case
    key = make_attrgetter(env, attribute, postprocess=postprocess)
    try:
        for item in items:
            hash(key(item))
    except TypeError:
        if case_sensitive is not None or attribute is not None:
            raise TypeError(
                "unique: cannot fall back to comparing unhashable items (dicts, lists) "
                "when case_sensitive or attribute is given"
            ) from None
        return _dedupe(items)
    return _dedupe(items, key)


def flatten(value: Iterable[Any], levels: int | None = None, skip_nulls: bool = True) -> list[Any]:
    out: list[Any] = []
    for item in value:
        if skip_nulls and (item is None or item in ("None", "null")):
            continue
        if isinstance(item, (list, tuple, Lines)) and (levels is None or levels >= 1):
            deeper = None if levels is None else int(levels) - 1
            out.extend(flatten(item, deeper, skip_nulls))
        else:
            out.append(item)
    return out


def difference(a: Iterable[Any], b: Iterable[Any]) -> list[Any]:
    other = list(b)
    return _dedupe(x for x in a if x not in other)


def intersect(a: Iterable[Any], b: Iterable[Any]) -> list[Any]:
    other = list(b)
    return _dedupe(x for x in a if x in other)


def union(a: Iterable[Any], b: Iterable[Any]) -> list[Any]:
    return _dedupe(itertools.chain(a, b))


def symmetric_difference(a: Iterable[Any], b: Iterable[Any]) -> list[Any]:
    left, right = list(a), list(b)
    both = intersect(left, right)
    return [x for x in union(left, right) if x not in both]


def zip_(*lists: Iterable[Any]) -> list[list[Any]]:
    return [list(t) for t in zip(*lists, strict=False)]


def zip_longest(*lists: Iterable[Any], fillvalue: Any = None) -> list[list[Any]]:
    return [list(t) for t in itertools.zip_longest(*lists, fillvalue=fillvalue)]


def product(*lists: Iterable[Any], repeat: int = 1) -> list[list[Any]]:
    return [list(t) for t in itertools.product(*lists, repeat=repeat)]


def permutations(value: Iterable[Any], r: int | None = None) -> list[list[Any]]:
    return [list(t) for t in itertools.permutations(value, r)]


def combinations(value: Iterable[Any], r: int) -> list[list[Any]]:
    return [list(t) for t in itertools.combinations(value, r)]


def _rng(seed: Any) -> _random.Random:
    return _random.SystemRandom() if seed is None else _random.Random(seed)


def random(end: Any, start: int | None = None, step: int | None = None, seed: Any = None) -> Any:
    """A number in ``range(start, end, step)`` for an int, else a random item."""
    if isinstance(end, int) and not isinstance(end, bool):
        return _rng(seed).randrange(start or 0, end, step or 1)
    if start or step:
        raise ValueError("random: start and step can only be used with integers")
    if not isinstance(end, Iterable):
        raise TypeError("random can only be used on sequences and integers")
    return _rng(seed).choice(list(end))


def shuffle(value: Any, seed: Any = None) -> Any:
    if not isinstance(value, Iterable):
        return value
    items = list(value)
    _rng(seed or None).shuffle(items)
    return items


# -- strings, paths and hashes -------------------------------------------------------------


def b64encode(value: Any, encoding: str = "utf-8") -> str:
    return base64.b64encode(str(value).encode(encoding)).decode("ascii")


def b64decode(value: Any, encoding: str = "utf-8") -> str:
    text: str = _keep_unsafe(value, base64.b64decode(str(value)).decode(encoding))
    return text


def quote(value: Any) -> str:
    return shlex.quote("" if value is None else str(value))


def path_join(paths: Any) -> str:
    if isinstance(paths, str):
        return paths
    if isinstance(paths, (list, tuple)):
        return os.path.join(*[str(p) for p in paths])
    raise TypeError(f"path_join expects a string or a list of strings, got {type(paths).__name__}")


def splitext(path: Any) -> list[str]:
    return list(os.path.splitext(str(path)))


def split(value: Any, sep: str | None = None, maxsplit: int = -1) -> list[str]:
    return str(value).split(sep, maxsplit)


def urlsplit(value: Any, query: str = "") -> Any:
    parts = _urlsplit(str(value))
    fields = {
        name: getattr(parts, name)
        for name in (
            "fragment",
            "hostname",
            "netloc",
            "password",
            "path",
            "port",
            "query",
            "scheme",
            "username",
        )
    }
    if not query:
        return fields
    if query not in fields:
        raise ValueError(f"urlsplit: unknown URL component {query!r}")
    return fields[query]


def hash_(value: Any, hashtype: str = "sha1") -> str:
    try:
        digest = hashlib.new(hashtype)
    except ValueError:
        raise ValueError(f"hash: unsupported hash type {hashtype!r}") from None
    digest.update(value if isinstance(value, bytes) else str(value).encode("utf-8"))
    return digest.hexdigest()


def checksum(value: Any) -> str:
    return hash_(value, "sha1")


def md5(value: Any) -> str:
    return hash_(value, "md5")


def to_uuid(value: Any, namespace: Any = "361E6D51-FAEC-444A-9079-341386DA8E2E") -> str:
    ns = namespace if isinstance(namespace, uuid.UUID) else uuid.UUID(str(namespace))
    return str(uuid.uuid5(ns, str(value)))


def type_debug(value: Any) -> str:
    """The builtin type name (an ``Unsafe`` string reports ``str``, ``Lines`` ``list``)."""
    if isinstance(value, Lines):
        return "list"
    return next(t.__name__ for t in type(value).__mro__ if t.__module__ == "builtins")


_COMMENT_STYLES: dict[str, dict[str, str]] = {
    "plain": {"decoration": "# "},
    "erlang": {"decoration": "% "},
    "c": {"decoration": "// "},
    "cblock": {"beginning": "/*", "decoration": " * ", "end": " */"},
    "xml": {"beginning": "<!--", "decoration": " - ", "end": "-->"},
}
_COMMENT_DEFAULTS: dict[str, Any] = {
    "newline": "\n",
    "beginning": "",
    "prefix": None,
    "prefix_count": 1,
    "decoration": "",
    "postfix": None,
    "postfix_count": 1,
    "end": "",
}


def comment(text: Any, style: str = "plain", **kw: Any) -> str:
    """Turn ``text`` into a comment block in one of Ansible's styles."""
    if style not in _COMMENT_STYLES:
        raise ValueError(
            f"comment: unknown style {style!r}, expected one of {', '.join(_COMMENT_STYLES)}"
        )
    unknown = set(kw) - set(_COMMENT_DEFAULTS)
    if unknown:
        raise TypeError(f"comment: unexpected keyword argument(s) {', '.join(sorted(unknown))}")
    p = {**_COMMENT_DEFAULTS, **_COMMENT_STYLES[style], **kw}
    deco, newline = str(p["decoration"]), str(p["newline"])
    prefix = deco.rstrip() if p["prefix"] is None else str(p["prefix"])
    postfix = deco.rstrip() if p["postfix"] is None else str(p["postfix"])
    lines = [p["beginning"]] if p["beginning"] else []
    lines += [prefix] * int(p["prefix_count"]) if prefix else []
    lines += [deco + line if line else deco.rstrip() for line in str(text).split(newline)]
    lines += [postfix] * int(p["postfix_count"]) if postfix else []
    lines += [p["end"]] if p["end"] else []
    return newline.join(lines)


# -- sizes, numbers and time ---------------------------------------------------------------

_SIZE_UNITS = "BKMGTPEZY"


def human_readable(size: Any, isbits: bool = False, unit: str | None = None) -> str:
    """``1024 | human_readable`` is ``'1.00 KB'``; ``isbits`` writes Kb, Mb, ..."""
    try:
        number = float(size)
    except (TypeError, ValueError):
        raise ValueError(f"human_readable() failed on bad input: {size!r} is no number") from None
    base = "bits" if isbits else "Bytes"
    if unit:
        power = _SIZE_UNITS.find(unit[0].upper())
        if power < 0:
            raise ValueError(f"human_readable: unknown unit {unit!r}")
    else:
        power = max((p for p in range(len(_SIZE_UNITS)) if number >= 1 << 10 * p), default=0)
    suffix = base if power == 0 else _SIZE_UNITS[power] + base[0]
    return f"{number / (1 << 10 * power):.2f} {suffix}"


_HUMAN_SIZE = re.compile(r"\s*(\d+\.?\d*|\.\d+)\s*([A-Za-z]+)?\s*")


def human_to_bytes(size: Any, default_unit: str | None = None, isbits: bool = False) -> int:
    """``'1.5 KB' | human_to_bytes`` is 1536; with ``isbits`` units are Kb, Mb, ..."""
    found = _HUMAN_SIZE.fullmatch(str(size))
    if found is None:
        raise ValueError(f"human_to_bytes: cannot interpret {size!r} as a size")
    number, unit = float(found[1]), found[2] or default_unit
    if not unit:
        return round(number)
    power = _SIZE_UNITS.find(unit[0].upper())
    kind, letter = ("bit", "b") if isbits else ("byte", "B")
    if power < 0:
        raise ValueError(
            f"human_to_bytes: unknown unit in {size!r}, expected one of {', '.join(_SIZE_UNITS)}"
        )
    if len(unit) > 1 and kind not in unit.lower() and unit[1] != letter:
        raise ValueError(f"human_to_bytes: {size!r} is not a {kind} size")
    return round(number * (1 << 10 * power))


def _numeric(name: str, func: Callable[..., float]) -> Callable[..., float]:
    """``func`` whose type errors say which filter wanted numbers."""

    @functools.wraps(func)
    def checked(*args: Any) -> float:
        try:
            return func(*args)
        except TypeError as exc:
            raise TypeError(f"{name}() can only be used on numbers: {exc}") from None

    return checked


def log(value: Any, base: float = math.e) -> float:
    return math.log10(value) if base == 10 else math.log(value, base)


def power(value: Any, exponent: Any) -> float:
    return math.pow(value, exponent)


def root(value: Any, base: float = 2) -> float:
    return math.sqrt(value) if base == 2 else math.pow(value, 1.0 / float(base))


def strftime(string_format: str, second: Any = None, utc: bool = False) -> str:
    convert = time.gmtime if utc else time.localtime
    try:
        when = None if second is None else float(second)
    except (TypeError, ValueError):
        raise ValueError(f"strftime: invalid epoch value {second!r}") from None
    return time.strftime(string_format, convert(when))


def to_datetime(value: Any, format: str = "%Y-%m-%d %H:%M:%S") -> datetime.datetime:
    return datetime.datetime.strptime(str(value), format)


# -- control -------------------------------------------------------------------------------


def mandatory(value: Any, msg: str | None = None) -> Any:
    """Fail with an undefined-variable error naming the variable."""
    if isinstance(value, jinja2.Undefined):
        name = getattr(value, "_undefined_name", None)
        text = msg or f"Mandatory variable {'' if name is None else repr(name) + ' '}not defined."
        raise jinja2.UndefinedError(text)
    return value


def ternary(value: Any, true_val: Any, false_val: Any, none_val: Any = None) -> Any:
    if value is None and none_val is not None:
        return none_val
    return true_val if value else false_val


FILTERS: dict[str, Callable[..., Any]] = {
    # types and serialisation
    "bool": to_bool,
    "to_json": to_json,
    "to_nice_json": to_nice_json,
    "from_json": from_json,
    "to_yaml": to_yaml,
    "to_nice_yaml": to_nice_yaml,
    "from_yaml": from_yaml,
    "from_yaml_all": from_yaml_all,
    "type_debug": type_debug,
    # regular expressions
    "regex_replace": regex_replace,
    "regex_search": regex_search,
    "regex_findall": regex_findall,
    "regex_escape": regex_escape,
    # dictionaries
    "combine": combine,
    "dict2items": dict2items,
    "items2dict": items2dict,
    "extract": extract,
    "subelements": subelements,
    # lists and sets
    "unique": unique,
    "flatten": flatten,
    "difference": difference,
    "intersect": intersect,
    "union": union,
    "symmetric_difference": symmetric_difference,
    "zip": zip_,
    "zip_longest": zip_longest,
    "product": product,
    "permutations": permutations,
    "combinations": combinations,
    "random": volatile(random),
    "shuffle": volatile(shuffle),
    # strings, paths and hashes
    "b64encode": b64encode,
    "b64decode": b64decode,
    "quote": quote,
    "split": split,
    "comment": comment,
    "urlsplit": urlsplit,
    "to_uuid": to_uuid,
    "hash": hash_,
    "checksum": checksum,
    "sha1": checksum,
    "md5": md5,
    "password_hash": volatile(cryptpw.password_hash),  # a random salt when none is given
    "basename": os.path.basename,
    "dirname": os.path.dirname,
    "splitext": splitext,
    "path_join": path_join,
    "expanduser": volatile(os.path.expanduser),
    "expandvars": volatile(os.path.expandvars),
    "realpath": volatile(os.path.realpath),
    "relpath": volatile(os.path.relpath),
    # sizes, numbers and time
    "human_readable": human_readable,
    "human_to_bytes": human_to_bytes,
    "log": _numeric("log", log),
    "pow": _numeric("pow", power),
    "root": _numeric("root", root),
    "strftime": volatile(strftime),
    "to_datetime": to_datetime,
    # control
    "mandatory": mandatory,
    "ternary": ternary,
    "version_compare": jinja_tests.version_compare,
}


def install(env: jinja2.Environment) -> None:
    """Register pbe's filters and tests on ``env``, short names and ``ansible.builtin.*``."""
    for name, func in FILTERS.items():
        env.filters[name] = func
        env.filters[f"ansible.builtin.{name}"] = func
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "default": json_default}  # tojson
    jinja_tests.install(env)
    filters_net.install(env)
    filters_extra.install(env)
