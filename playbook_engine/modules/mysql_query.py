"""mysql_query: run SQL on a MySQL/MariaDB server with the host's own ``mysql`` client and
return the rows (see ``util/mysql`` for the login).

Each query is followed by a marker row carrying ``ROW_COUNT()``, so one round trip gives
every query's result set and row count apart."""

from __future__ import annotations

import re
from typing import Any

from ..errors import ModuleError
from . import register
from .base import Arg, ModuleContext
from .result import Result
from .util.mysql import LOGIN_ARGS, MysqlModule, failure, ident, literal, rows

_MARK = "@@pbe-q@@"
_DML = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_DDL = ("CREATE", "DROP", "ALTER", "RENAME", "TRUNCATE")


@register("mysql_query", "community.mysql.mysql_query", "ansible.mysql.mysql_query")
class MysqlQuery(MysqlModule):
    """Run SQL queries on MySQL/MariaDB and return their rows."""

    args = {
        "query": Arg("raw", required=True, description="A query, or a list of them."),
        "login_db": Arg("str", description="The database to run them in."),
        "positional_args": Arg("list", description="Values for %s placeholders."),
        "named_args": Arg("dict", description="Values for %(name)s placeholders."),
        "single_transaction": Arg(
            "bool", default=False, description="Run them in one transaction."
        ),
        "session_vars": Arg("dict", description="Session variables to set first."),
        **{k: v for k, v in LOGIN_ARGS.items() if k != "sql_log_bin"},
    }
    mutually_exclusive = (("positional_args", "named_args"),)
    supports_check = False
    returns = {
        "executed_queries": "the queries as run",
        "query_result": "per query, its rows as column → value mappings",
        "rowcount": "per query, rows returned or affected",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        queries = [bind(q, args) for q in _queries(args["query"])]
        statements = _prelude(args)
        for query in queries:
            statements += [query.rstrip().rstrip(";") + ";", f"SELECT '{_MARK}', ROW_COUNT();"]
        if args["single_transaction"]:
            statements = ["START TRANSACTION;", *statements, "COMMIT;"]
        res = self.sql(args, ctx, statements, "run", client='mysql --defaults-file="$_c" --batch')
        if res.rc != 0:
            raise ModuleError(f"Cannot execute SQL: {failure(res)}")
        results, counts = parse_results(res.out)
        changed = any(_changed(q, n) for q, n in zip(queries, counts, strict=False))
        return Result(
            changed=changed,
            values={"executed_queries": queries, "query_result": results, "rowcount": counts},
        )


def _queries(query: Any) -> list[str]:
    if isinstance(query, str):
        return [query]
    if isinstance(query, list) and all(isinstance(q, str) for q in query):
        return list(query)
    raise ModuleError("query must be a string or a list of strings")


def _prelude(args: dict[str, Any]) -> list[str]:
    out = [f"USE {ident(args['login_db'])};"] if args["login_db"] else []
    for name, value in (args["session_vars"] or {}).items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(name)):
            raise ModuleError(f"invalid session variable name: {name!r}")
        out.append(f"SET SESSION {name} = {_value(value)};")
    return out


def _value(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return str(value)
    return literal(str(value))


def bind(query: str, args: dict[str, Any]) -> str:
    """The query with its placeholders replaced by quoted values (as the Python driver
    does it, client-side)."""
    if args["positional_args"] is not None:
        values = iter(args["positional_args"])
        try:
            query = re.sub(r"%s", lambda _: _value(next(values)), query)
        except StopIteration:
            raise ModuleError("not enough positional_args for the query") from None
    elif args["named_args"] is not None:
        named = args["named_args"]
        try:
            query = re.sub(r"%\((\w+)\)s", lambda m: _value(named[m[1]]), query)
        except KeyError as exc:
            raise ModuleError(f"named_args has no {exc}") from None
    else:
        return query
    return query.replace("%%", "%")


def parse_results(out: str) -> tuple[list[list[dict[str, Any]]], list[int]]:
    """Result sets (a header line, then rows) split at the marker rows."""
    results: list[list[dict[str, Any]]] = []
    counts: list[int] = []
    block: list[list[str]] = []
    for row in rows(out):
        if row and row[0] == _MARK:
            if row[1:] == ["ROW_COUNT()"]:  # the marker's own header line
                continue
            found = (
                [dict(zip(block[0], map(_typed, r), strict=False)) for r in block[1:]]
                if block
                else []
            )
            results.append(found)
            counts.append(len(found) if block else max(int(row[1]), 0))
            block = []
        else:
            block.append(row)
    return results, counts


def _typed(text: str) -> Any:
    if text == "NULL":
        return None
    return int(text) if re.fullmatch(r"-?\d+", text) else text


def _changed(query: str, count: int) -> bool:
    head = query.lstrip()[:8].upper()
    return any(k in head for k in _DDL) or (any(k in head for k in _DML) and count > 0)
