"""postgresql_schema: a schema exists in a PostgreSQL database with an owner and comment,
or not; with the host's own ``psql``."""

from __future__ import annotations

from typing import Any

from ..errors import ModuleError
from . import register
from .base import Arg, ModuleContext
from .result import Result
from .util.postgres import LOGIN_ARGS, PostgresModule, failure, ident, literal, rows


@register("postgresql_schema", "community.postgresql.postgresql_schema")
class PostgresqlSchema(PostgresModule):
    """Add, change or remove a PostgreSQL schema."""

    args = {
        "name": Arg("str", required=True, aliases=("schema",), description="The schema."),
        "login_db": Arg(
            "str",
            default="postgres",
            aliases=("db", "database"),
            description="The database it is in.",
        ),
        "owner": Arg("str", default="", description="Its owner."),
        "comment": Arg("str", description="Its comment."),
        "cascade_drop": Arg(
            "bool", default=False, description="absent: drop the objects in it too."
        ),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "present"),
            description="Whether it exists.",
        ),
        **LOGIN_ARGS,
    }
    returns = {"schema": "the schema", "queries": "the SQL run"}

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        name = args["name"]
        res = self.sql(
            args,
            ctx,
            args["login_db"],
            [
                "SELECT n.nspname, pg_get_userbyid(n.nspowner), "
                "coalesce(obj_description(n.oid, 'pg_namespace'), '') FROM pg_namespace n "
                f"WHERE n.nspname = {literal(name)};"
            ],
            "read schema",
        )
        if res.rc != 0:
            raise ModuleError(f"cannot read schema {name}: {failure(res)}")
        found = [row for row in rows(res.out) if len(row) == 3]
        statements = plan(args, found[0] if found else None)
        values = {"schema": name, "queries": statements}
        if not statements or ctx.check:
            return Result(changed=bool(statements), values=values)
        res = self.sql(args, ctx, args["login_db"], statements, "change schema")
        if res.rc != 0:
            raise ModuleError(f"Database query failed: {failure(res)}")
        return Result(changed=True, values=values)


def plan(args: dict[str, Any], row: list[str] | None) -> list[str]:
    name = ident(args["name"])
    if args["state"] == "absent":
        cascade = " CASCADE" if args["cascade_drop"] else ""
        return [] if row is None else [f"DROP SCHEMA {name}{cascade};"]
    out = []
    if row is None:
        owner = f" AUTHORIZATION {ident(args['owner'])}" if args["owner"] else ""
        out.append(f"CREATE SCHEMA {name}{owner};")
    elif args["owner"] and args["owner"] != row[1]:
        out.append(f"ALTER SCHEMA {name} OWNER TO {ident(args['owner'])};")
    if args["comment"] is not None and (row is None or row[2] != args["comment"]):
        out.append(f"COMMENT ON SCHEMA {name} IS {literal(args['comment'])};")
    return out
