"""postgresql_ext: an extension is installed in a PostgreSQL database (at a version, in a
schema), or not; with the host's own ``psql``."""

from __future__ import annotations

from typing import Any

from ..errors import ModuleError
from . import register
from .base import Arg, ModuleContext
from .result import Result
from .util.postgres import LOGIN_ARGS, PostgresModule, failure, ident, literal, rows


@register("postgresql_ext", "community.postgresql.postgresql_ext")
class PostgresqlExt(PostgresModule):
    """Install, update or remove a PostgreSQL extension."""

    args = {
        "name": Arg("str", required=True, aliases=("ext",), description="The extension."),
        "login_db": Arg("str", aliases=("db",), description="The database."),
        "schema": Arg("str", description="The schema to install it in."),
        "version": Arg("str", description="Its version; 'latest' for the newest."),
        "cascade": Arg(
            "bool", default=False, description="Also install/drop what it depends on/what needs it."
        ),
        "comment": Arg("str", description="Its comment."),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "present"),
            description="Whether it is installed.",
        ),
        **LOGIN_ARGS,
    }
    returns = {
        "queries": "the SQL run",
        "prev_version": "the version before",
        "version": "the version after",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        name = literal(args["name"])
        res = self.sql(
            args,
            ctx,
            args["login_db"] or "postgres",
            [
                "SELECT 'I', e.extversion, coalesce(obj_description(e.oid, 'pg_extension'), '') "
                f"FROM pg_extension e WHERE e.extname = {name};",
                f"SELECT 'A', default_version FROM pg_available_extensions WHERE name = {name};",
            ],
            "read extension",
        )
        if res.rc != 0:
            raise ModuleError(f"cannot read extension {args['name']}: {failure(res)}")
        got = {row[0]: row[1:] for row in rows(res.out) if row[0] in ("I", "A")}
        installed = got["I"][0] if "I" in got else ""
        statements, version = plan(args, got.get("I"), (got.get("A") or [""])[0])
        values = {"queries": statements, "prev_version": installed, "version": version}
        if not statements or ctx.check:
            return Result(changed=bool(statements), values=values)
        res = self.sql(args, ctx, args["login_db"] or "postgres", statements, "change extension")
        if res.rc != 0:
            raise ModuleError(f"Management of PostgreSQL extension failed: {failure(res)}")
        return Result(changed=True, values=values)


def plan(args: dict[str, Any], installed: list[str] | None, default: str) -> tuple[list[str], str]:
    """The statements, and the version the extension will be at ("" when absent)."""
    name, cascade = ident(args["name"]), " CASCADE" if args["cascade"] else ""
    if args["state"] == "absent":
        return ([] if installed is None else [f"DROP EXTENSION {name}{cascade};"]), ""
    if installed is None and not default:
        raise ModuleError(f"Extension {args['name']} is not available")
    wanted = args["version"]
    target = default if wanted in (None, "latest") else wanted
    out: list[str] = []
    now = installed[0] if installed is not None else target
    if installed is None:
        schema = f" SCHEMA {ident(args['schema'])}" if args["schema"] else ""
        version = f" VERSION {literal(wanted)}" if wanted not in (None, "latest") else ""
        out.append(f"CREATE EXTENSION {name}{schema}{version}{cascade};")
    elif wanted is not None and installed[0] != target:
        out.append(f"ALTER EXTENSION {name} UPDATE TO {literal(target)};")
        now = target
    if args["comment"] is not None and (installed is None or installed[1] != args["comment"]):
        out.append(f"COMMENT ON EXTENSION {name} IS {literal(args['comment'])};")
    return out, now
