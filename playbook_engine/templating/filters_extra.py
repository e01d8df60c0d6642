"""Ansible's less common builtin filters: controller paths, Windows paths, URL decoding and
``rekey_on_member``; ``install(env)`` registers them (``filters.install`` calls it).

Like every pbe filter they return plain data (never trusted text), and bad input raises a
``TypeError``/``ValueError`` naming the filter, which the templar reports at the task.
"""

from __future__ import annotations

import glob
import ntpath
import os.path
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import unquote_plus

import jinja2

from .jinja_tests import volatile

__all__ = ["FILTERS", "install"]


def urldecode(value: Any) -> str:
    """Percent escapes decoded, and ``+`` read as a space (HTML form values)."""
    return unquote_plus(str(value))


def fileglob(pattern: Any) -> list[str]:
    """The controller's files (not directories) matching ``pattern``, in glob order."""
    return [p for p in glob.glob(str(pattern)) if os.path.isfile(p)]


def commonpath(paths: Any) -> str:
    if not isinstance(paths, Iterable) or isinstance(paths, (str, Mapping)):
        raise TypeError(f"commonpath: expects a list of paths, got {type(paths).__name__}")
    return os.path.commonpath([str(p) for p in paths])


def normpath(path: Any) -> str:
    return os.path.normpath(str(path))


def win_basename(path: Any) -> str:
    return ntpath.basename(str(path))


def win_dirname(path: Any) -> str:
    return ntpath.dirname(str(path))


def win_splitdrive(path: Any) -> list[str]:
    return list(ntpath.splitdrive(str(path)))


def _members(data: Any) -> Iterable[Any]:
    if isinstance(data, Mapping):
        return data.values()
    if isinstance(data, (list, tuple, set, frozenset)):
        return data
    raise TypeError(
        f"rekey_on_member: Type is not a valid list, set, or dict: {type(data).__name__}"
    )


def rekey_on_member(data: Any, key: Any, duplicates: str = "error") -> dict[Any, Any]:
    """A list (or the values of a dict) of mappings, as a dict keyed by each one's ``key``."""
    if duplicates not in ("error", "overwrite"):
        raise ValueError(
            f"rekey_on_member: the duplicates parameter to rekey_on_member has unknown value "
            f"{duplicates!r} (error or overwrite)"
        )
    out: dict[Any, Any] = {}
    for item in _members(data):
        if not isinstance(item, Mapping):
            raise TypeError(f"rekey_on_member: List item is not a valid dict: {item!r}")
        if key not in item:
            raise ValueError(f"rekey_on_member: key {key!r} was not found in {item!r}")
        if item[key] in out and duplicates == "error":
            raise ValueError(
                f"rekey_on_member: key {item[key]!r} is not unique, cannot convert to dict"
            )
        out[item[key]] = item
    return out


FILTERS: dict[str, Callable[..., Any]] = {
    "urldecode": urldecode,
    "fileglob": volatile(fileglob),
    "commonpath": commonpath,
    "normpath": normpath,
    "win_basename": win_basename,
    "win_dirname": win_dirname,
    "win_splitdrive": win_splitdrive,
    "rekey_on_member": rekey_on_member,
}


def install(env: jinja2.Environment) -> None:
    for name, func in FILTERS.items():
        env.filters[name] = func
        env.filters[f"ansible.builtin.{name}"] = func
