"""Ansible's Jinja2 tests (``x is succeeded``, ``v is version('2.0', '>=')``, ...).

Registered by ``filters.install`` under their short names and as ``ansible.builtin.<name>``.
Bad input raises ``TypeError``/``ValueError`` with a message naming the test; the templar
turns it into a ``TemplateError`` at the template's location.
"""

from __future__ import annotations

import functools
import math
import operator as op
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar
from urllib.parse import SplitResult, urlsplit

import jinja2

from .values import UnknownValue, Unpredictable, Vaulted

__all__ = ["TESTS", "install", "strict_bool", "version_compare", "volatile"]

T = TypeVar("T")


def volatile(func: Callable[..., T]) -> Callable[..., T]:
    """Mark a filter or test that reads the clock, randomness or the filesystem.

    Jinja folds calls with constant arguments at compile time, and compiled templates are
    cached for the whole run, so ``'/x' is exists`` would be frozen at its first answer.
    Jinja never folds a ``pass_context`` callable; the context itself is not used.
    """

    @jinja2.pass_context
    @functools.wraps(func)
    def call(_context: Any, *args: Any, **kwargs: Any) -> T:
        return func(*args, **kwargs)

    return call


_TRUE = frozenset({"y", "yes", "on", "1", "true", "t"})
_FALSE = frozenset({"n", "no", "off", "0", "false", "f"})


def strict_bool(value: Any) -> bool:
    """Ansible's strict boolean conversion; ``TypeError`` for values it cannot read."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, (str, int, float)) else None
    if text in _TRUE or value == 1:
        return True
    if text in _FALSE or value == 0:
        return False
    raise TypeError(f"the value {value!r} is not a valid boolean")


# -- registered task results ---------------------------------------------------------------


def _result(name: str, value: Any) -> Mapping[str, Any]:
    if isinstance(value, UnknownValue):  # a result check mode could not produce
        raise Unpredictable(f"`is {name}` of {value.what}")
    if not isinstance(value, Mapping):
        raise TypeError(
            f"the {name!r} test expects a registered task result (a dictionary),"
            f" got {type(value).__name__}"
        )
    return value


def failed(result: Any) -> bool:
    return bool(_result("failed", result).get("failed", False))


def succeeded(result: Any) -> bool:
    return not bool(_result("succeeded", result).get("failed", False))


def changed(result: Any) -> bool:
    res = _result("changed", result)
    if "changed" in res:
        return bool(res["changed"])
    loop = res.get("results")
    return isinstance(loop, list) and any(
        isinstance(r, Mapping) and bool(r.get("changed", False)) for r in loop
    )


def skipped(result: Any) -> bool:
    return bool(_result("skipped", result).get("skipped", False))


def unreachable(result: Any) -> bool:
    return bool(_result("unreachable", result).get("unreachable", False))


def reachable(result: Any) -> bool:
    return not bool(_result("reachable", result).get("unreachable", False))


def finished(result: Any) -> bool:
    """An async job's status; a result without ``finished`` counts as finished."""
    return bool(_result("finished", result).get("finished", 1) == 1)


def started(result: Any) -> bool:
    return bool(_result("started", result).get("started", 1) == 1)


# -- strings and collections ----------------------------------------------------------------


def regex(
    value: Any,
    pattern: str = "",
    ignorecase: bool = False,
    multiline: bool = False,
    match_type: str = "search",
) -> bool:
    if match_type not in ("match", "search", "fullmatch"):
        raise ValueError(f"regex: unknown match_type {match_type!r}")
    flags = (re.I if ignorecase else 0) | (re.M if multiline else 0)
    compiled = re.compile(pattern, flags)
    return getattr(compiled, match_type)(str(value)) is not None


def match(value: Any, pattern: str = "", ignorecase: bool = False, multiline: bool = False) -> bool:
    return regex(value, pattern, ignorecase, multiline, "match")


def search(
    value: Any, pattern: str = "", ignorecase: bool = False, multiline: bool = False
) -> bool:
    return regex(value, pattern, ignorecase, multiline, "search")


def subset(a: Iterable[Any], b: Iterable[Any]) -> bool:
    pool = list(b)
    return all(x in pool for x in a)


def superset(a: Iterable[Any], b: Iterable[Any]) -> bool:
    return subset(b, a)


def contains(seq: Any, value: Any) -> bool:
    return value in seq


def truthy(value: Any, convert_bool: bool = False) -> bool:
    if convert_bool:
        try:
            value = strict_bool(value)
        except TypeError:
            pass
    return bool(value)


def falsy(value: Any, convert_bool: bool = False) -> bool:
    return not truthy(value, convert_bool)


def is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def same_file(a: Any, b: Any) -> bool:
    return os.path.samefile(a, b)


def timedout(result: Any) -> bool:
    """The task ran out of its ``timeout:`` (Ansible records ``timedout.period``)."""
    info = _result("timedout", result).get("timedout")
    return bool(isinstance(info, Mapping) and info.get("period"))


def _scheme_ok(parts: SplitResult, schemes: Any) -> bool:
    return bool(parts.scheme) and (schemes is None or parts.scheme in schemes)


def is_uri(value: Any, schemes: Any = None) -> bool:
    """A string with a scheme (``mailto:``, ``urn:``, ``http://``...), one of ``schemes``."""
    return isinstance(value, str) and _scheme_ok(urlsplit(value), schemes)


def is_url(value: Any, schemes: Any = None) -> bool:
    """A URI that also names a location: a scheme and a host (``https://h/p``)."""
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return _scheme_ok(parts, schemes) and bool(parts.netloc)


def is_urn(value: Any) -> bool:
    return isinstance(value, str) and urlsplit(value).scheme.lower() == "urn"


_VAULT_HEADER = "$ANSIBLE_VAULT;"


def vault_encrypted(value: Any) -> bool:
    """A ``!vault`` value, or text that is Ansible Vault ciphertext."""
    if isinstance(value, Vaulted):
        return True
    return isinstance(value, str) and value.lstrip().startswith(_VAULT_HEADER)


def vaulted_file(path: Any) -> bool:
    """A file on the controller that holds Ansible Vault ciphertext; a file that cannot be
    read is an error, as in Ansible (no answer either way)."""
    try:
        with open(str(path), "rb") as handle:
            return handle.read(len(_VAULT_HEADER)) == _VAULT_HEADER.encode()
    except OSError as exc:
        raise ValueError(
            f"vaulted_file: cannot test whether {str(path)!r} is a vault: {exc.strerror}"
        ) from None


# -- versions ------------------------------------------------------------------------------

_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": op.eq,
    "=": op.eq,
    "eq": op.eq,
    "!=": op.ne,
    "<>": op.ne,
    "ne": op.ne,
    "<": op.lt,
    "lt": op.lt,
    "<=": op.le,
    "le": op.le,
    ">": op.gt,
    "gt": op.gt,
    ">=": op.ge,
    "ge": op.ge,
}
_LOOSE_PART = re.compile(r"(\d+|[a-z]+|\.)")
_STRICT = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?(?:([ab])(\d+))?")
_SEMVER = re.compile(r"v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?")


def _loose(text: str) -> tuple[int | str, ...]:
    """LooseVersion's parts, as Ansible compares them: ordering a number against a word
    (``1.0.1`` against ``1.0a``, a version against an error text) is an error there."""
    parts = (p for p in _LOOSE_PART.split(text) if p and p != ".")
    return tuple(int(p) if p.isdigit() else p for p in parts)


def _strict(text: str) -> tuple[Any, ...]:
    found = _STRICT.fullmatch(text)
    if not found:
        raise ValueError(f"invalid version number {text!r}")
    major, minor, patch, tag, num = found.groups()
    pre = (tag, int(num)) if tag else ("~", 0)  # a release sorts after its pre-releases
    return (int(major), int(minor), int(patch or 0), pre)


def _semver(text: str) -> tuple[Any, ...]:
    found = _SEMVER.fullmatch(text)
    if not found:
        raise ValueError(f"invalid semantic version {text!r}")
    major, minor, patch, pre = found.groups()
    idents = tuple((0, int(i), "") if i.isdigit() else (1, 0, i) for i in (pre or "").split("."))
    release = (1,) if pre is None else (0, idents)
    return (int(major), int(minor), int(patch), release)


def _pep440(text: str) -> Any:
    try:
        from packaging.version import Version
    except ImportError:  # pragma: no cover - packaging ships with pip/setuptools
        raise ValueError("version_type 'pep440' needs the 'packaging' library") from None
    return Version(text)


_PARSERS: dict[str, Callable[[str], Any]] = {
    "loose": _loose,
    "strict": _strict,
    "semver": _semver,
    "semantic": _semver,
    "pep440": _pep440,
}


def version_compare(
    value: Any,
    version: Any,
    operator: str = "eq",
    strict: bool | None = None,
    version_type: str | None = None,
) -> bool:
    """Compare two version strings; LooseVersion-style unless ``strict``/``version_type``
    (naming both is an error, even ``strict=false``: it is unclear which was meant)."""
    if strict is not None and version_type:
        raise ValueError("version: cannot specify both 'strict' and 'version_type'")
    if value in (None, ""):
        raise ValueError("version: input version value cannot be empty")
    if version in (None, ""):
        raise ValueError("version: version to compare against cannot be empty")
    compare = _OPERATORS.get(str(operator))
    if compare is None:
        raise ValueError(f"version: invalid operator {operator!r}")
    kind = "strict" if strict else (version_type or "loose")
    parse = _PARSERS.get(kind)
    if parse is None:
        raise ValueError(
            f"version: invalid version_type {kind!r}, expected one of {', '.join(_PARSERS)}"
        )
    try:
        left, right = parse(str(value)), parse(str(version))
        order = 0 if left == right else -1 if left < right else 1  # as LooseVersion's _cmp
        return compare(order, 0)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"version comparison failed: {exc}") from None


TESTS: dict[str, Callable[..., bool]] = {
    "failed": failed,
    "failure": failed,
    "succeeded": succeeded,
    "success": succeeded,
    "successful": succeeded,
    "changed": changed,
    "change": changed,
    "skipped": skipped,
    "skip": skipped,
    "unreachable": unreachable,
    "reachable": reachable,
    "finished": finished,
    "started": started,
    "match": match,
    "search": search,
    "regex": regex,
    "version": version_compare,
    "version_compare": version_compare,
    "subset": subset,
    "issubset": subset,
    "superset": superset,
    "issuperset": superset,
    "contains": contains,
    "any": any,
    "all": all,
    "truthy": truthy,
    "falsy": falsy,
    "nan": is_nan,
    "isnan": is_nan,
    "timedout": timedout,
    "uri": is_uri,
    "url": is_url,
    "urn": is_urn,
    "vault_encrypted": vault_encrypted,
    "vaulted_file": volatile(vaulted_file),
    "abs": os.path.isabs,
    "is_abs": os.path.isabs,
    "exists": volatile(os.path.exists),
    "link_exists": volatile(os.path.lexists),
    "file": volatile(os.path.isfile),
    "is_file": volatile(os.path.isfile),
    "directory": volatile(os.path.isdir),
    "is_dir": volatile(os.path.isdir),
    "link": volatile(os.path.islink),
    "is_link": volatile(os.path.islink),
    "mount": volatile(os.path.ismount),
    "is_mount": volatile(os.path.ismount),
    "same_file": volatile(same_file),
    "is_same_file": volatile(same_file),
}


def install(env: jinja2.Environment) -> None:
    """Register every test under its short name and as ``ansible.builtin.<name>``."""
    for name, test in TESTS.items():
        env.tests[name] = test
        env.tests[f"ansible.builtin.{name}"] = test
