"""File modes as chmod reads them: octal (``0644``, ``644``, YAML's int 420) or symbolic
(``u=rw,g+r,o-rwx``, ``a+X``). Pure functions, so check mode can predict a chmod exactly."""

from __future__ import annotations

import re

_WHO = {"u": 0o4700, "g": 0o2070, "o": 0o1007, "a": 0o7777}
_PERM_BITS = {"r": 0o444, "w": 0o222, "x": 0o111, "s": 0o6000, "t": 0o1000}
# a clause: who, then one or more operations (`u+rwX-x`, as chmod takes them)
_CLAUSE = re.compile(r"^([ugoa]*)((?:[-+=](?:[rwxXst]*|[ugo]))+)$")
_ACTION = re.compile(r"([-+=])([rwxXst]*|[ugo])")


# stat's and find's rusr, wusr, ... isgid: each key is whether its mode bit is set
PERMISSION_FLAGS = (
    ("rusr", 0o400),
    ("wusr", 0o200),
    ("xusr", 0o100),
    ("rgrp", 0o040),
    ("wgrp", 0o020),
    ("xgrp", 0o010),
    ("roth", 0o004),
    ("woth", 0o002),
    ("xoth", 0o001),
    ("isuid", 0o4000),
    ("isgid", 0o2000),
)


class ModeError(ValueError):
    pass


def is_octal(mode: str) -> bool:
    return bool(re.fullmatch(r"0?[0-7]{3,4}", mode))


def parse_mode(mode: str | int, current: int = 0, is_dir: bool = False) -> int:
    """The permission bits ``chmod MODE`` would leave on a file whose bits are ``current``."""
    if isinstance(mode, int):
        return mode & 0o7777
    text = str(mode).strip()
    if is_octal(text):
        return int(text, 8)
    result = current & 0o7777
    for clause in text.split(","):
        result = _apply_clause(clause, result, is_dir)
    return result


def _apply_clause(clause: str, current: int, is_dir: bool) -> int:
    match = _CLAUSE.match(clause)
    if not match:
        raise ModeError(f"invalid mode clause {clause!r}")
    who, actions = match.groups()
    if who and "a" in who and len(who) > 1:  # `ao=r`: Ansible refuses it, chmod would not
        raise ModeError(f"invalid mode clause {clause!r}")
    mask = 0
    for w in who or "a":
        mask |= _WHO[w]
    for op, perms in _ACTION.findall(actions):
        if perms in ("u", "g", "o"):
            bits = _copy_bits(current, perms)
        else:
            bits = _perm_bits(perms, current, is_dir)
        bits &= mask  # no `who` means `a` (chmod would also spare umask bits; we don't)
        if op == "+":
            current |= bits
        elif op == "-":
            current &= ~bits
        else:
            current = (current & ~mask) | bits
    return current


def _perm_bits(perms: str, current: int, is_dir: bool) -> int:
    bits = 0
    for p in perms:
        if p == "X":
            if is_dir or current & 0o111:
                bits |= 0o111
        else:
            bits |= _PERM_BITS[p]
    return bits


def _copy_bits(current: int, source: str) -> int:
    shift = {"u": 6, "g": 3, "o": 0}[source]
    three = (current >> shift) & 0o7
    return three << 6 | three << 3 | three


def format_mode(bits: int) -> str:
    return format(bits & 0o7777, "04o")
