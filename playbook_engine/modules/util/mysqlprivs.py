"""MySQL privileges as mysql_user writes them (``db.*:SELECT,INSERT/db2.t:ALL``) and as
``SHOW GRANTS`` prints them, both as {object: {PRIVILEGE, ...}} with the same keys, so
the two can be compared. Objects are kept unquoted (``shop.*``, ``*.*``,
``PROCEDURE shop.p``); ``ALL PRIVILEGES`` is ``ALL``; ``WITH GRANT OPTION`` is ``GRANT``.
"""

from __future__ import annotations

import re
from typing import Any

from ...errors import ModuleError
from .mysql import ident

__all__ = ["ALL_LEVEL", "Privs", "covers", "grants", "parse_priv", "quote_object", "split_privs"]

Privs = dict[str, set[str]]

# What MySQL 8 lists instead of ALL for a user that has everything on a database: holding
# these on an object counts as ALL there.
ALL_LEVEL = frozenset(
    {
        "SELECT",
        "INSERT",
        "UPDATE",
        "DELETE",
        "CREATE",
        "DROP",
        "REFERENCES",
        "INDEX",
        "ALTER",
        "CREATE TEMPORARY TABLES",
        "LOCK TABLES",
        "EXECUTE",
        "CREATE VIEW",
        "SHOW VIEW",
        "CREATE ROUTINE",
        "ALTER ROUTINE",
        "EVENT",
        "TRIGGER",
    }
)
_GRANT = re.compile(r"^GRANT (?P<privs>.+?) ON (?P<obj>.+?) TO (?P<who>\S+)(?P<rest>.*)$")
_KINDS = ("FUNCTION", "PROCEDURE", "TABLE")


def split_privs(text: str) -> set[str]:
    """``SELECT (a, b), INSERT`` → {``SELECT (A, B)``, ``INSERT``}: commas inside
    parentheses belong to a column list."""
    out: set[str] = set()
    depth, word = 0, list[str]()
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            out.add(_priv("".join(word)))
            word = []
        else:
            word.append(char)
    if "".join(word).strip():
        out.add(_priv("".join(word)))
    return out


def _priv(word: str) -> str:
    name = " ".join(word.split()).upper()
    return "ALL" if name == "ALL PRIVILEGES" else name


def _parts(obj: str) -> list[str]:
    """``db.t`` / `` `d.b`.`t` `` split at the dot outside backticks, unquoted."""
    parts, word, quoted, i = [], [], False, 0
    while i < len(obj):
        char = obj[i]
        if char == "`":
            if quoted and obj[i + 1 : i + 2] == "`":
                word.append("`")
                i += 1
            else:
                quoted = not quoted
        elif char == "." and not quoted:
            parts.append("".join(word))
            word = []
        else:
            word.append(char)
        i += 1
    parts.append("".join(word))
    return parts


def normalize_object(obj: str) -> str:
    """The comparison key of an object: unquoted, its kind (PROCEDURE …) upper-case."""
    obj = obj.strip()
    kind = ""
    head = obj.split(None, 1)
    if len(head) == 2 and head[0].upper() in _KINDS:
        kind, obj = head[0].upper() + " ", head[1]
    parts = _parts(obj)
    if len(parts) != 2:
        raise ModuleError(f"invalid privileges string: {obj!r} is not db.table")
    return kind + ".".join(parts)


def quote_object(key: str) -> str:
    """A normalized object as SQL: `db`.* , *.* , PROCEDURE `db`.`p`."""
    kind, _, obj = key.rpartition(" ") if key.split(" ", 1)[0] in _KINDS else ("", "", key)
    db, table = _parts(obj)
    sql = ".".join(p if p == "*" else ident(p) for p in (db, table))
    return f"{kind} {sql}" if kind else sql


def parse_priv(priv: Any) -> Privs:
    """mysql_user's ``priv``: the string form or a mapping of object → privileges."""
    items: list[tuple[str, str]] = []
    if isinstance(priv, dict):
        items = [(str(k), ",".join(v) if isinstance(v, list) else str(v)) for k, v in priv.items()]
    elif isinstance(priv, str):
        for part in filter(None, (p.strip() for p in priv.split("/"))):
            obj, sep, privs = part.rpartition(":")
            if not sep or not obj:
                raise ModuleError(f"invalid privileges string: {part!r} (want db.table:PRIV)")
            items.append((obj, privs))
    else:
        raise ModuleError(f"priv parameter must be str or dict but {type(priv)} was passed")
    out: Privs = {}
    for obj, privs in items:
        wanted = split_privs(privs)
        if not wanted:
            raise ModuleError(f"invalid privileges string: no privileges for {obj!r}")
        out.setdefault(normalize_object(obj), set()).update(wanted)
    return out


def grants(lines: list[str]) -> dict[str, Privs]:
    """``SHOW GRANTS`` lines → {host: privileges}; role grants (no ON) are skipped."""
    out: dict[str, Privs] = {}
    for line in lines:
        match = _GRANT.match(line.strip())
        if not match:
            continue
        host = _host(match["who"])
        privs = split_privs(match["privs"])
        if "WITH GRANT OPTION" in match["rest"]:
            privs.add("GRANT")
        out.setdefault(host, {}).setdefault(normalize_object(match["obj"]), set()).update(privs)
    return out


def _host(who: str) -> str:
    """`u`@`h` or 'u'@'h' → h."""
    quote = who[-1]
    if quote in "`'":
        start = who.rfind(quote, 0, len(who) - 1)
        return who[start + 1 : -1].replace(quote * 2, quote)
    return who.rsplit("@", 1)[-1]


def covers(have: set[str], want: set[str]) -> bool:
    """Whether holding ``have`` on an object gives everything in ``want``."""
    plain = have - {"GRANT"}
    has_all = "ALL" in plain or plain >= ALL_LEVEL
    rest = {p for p in want if p != "ALL" and not (has_all and p != "GRANT")}
    return ("ALL" not in want or has_all) and rest <= have
