"""postgresql_db: a PostgreSQL database exists with an owner, connection limit,
tablespace and comment, or not, or is renamed; with the host's own ``psql``."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .result import Result
from .util.postgres import (
    LOGIN_ARGS,
    PostgresModule,
    client_script,
    failure,
    ident,
    literal,
    rows,
    tool_words,
)

_COMPRESSORS = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz"}


@dataclass(frozen=True)
class Database:
    name: str
    owner: str
    encoding: str
    encoding_matches: bool
    lc_collate: str
    lc_ctype: str
    conn_limit: str
    tablespace: str
    comment: str


@register("postgresql_db", "community.postgresql.postgresql_db")
class PostgresqlDb(PostgresModule):
    """Add, change, rename or remove a PostgreSQL database."""

    args = {
        "name": Arg("str", required=True, aliases=("db",), description="The database."),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "dump", "present", "rename", "restore"),
            description="What to do with it.",
        ),
        "owner": Arg("str", default="", description="Its owner role."),
        "template": Arg("str", default="", description="Template of a new database."),
        "encoding": Arg("str", default="", description="Encoding of a new database."),
        "lc_collate": Arg("str", default="", description="LC_COLLATE of a new database."),
        "lc_ctype": Arg("str", default="", description="LC_CTYPE of a new database."),
        "icu_locale": Arg("str", default="", description="ICU locale of a new database."),
        "locale_provider": Arg("str", default="", description="Locale provider (libc/icu)."),
        "conn_limit": Arg("str", default="", description="Connection limit."),
        "tablespace": Arg("path", default="", description="Its default tablespace."),
        "comment": Arg("str", description="Its comment."),
        "maintenance_db": Arg("str", default="postgres", description="The database to connect to."),
        "target": Arg(
            "path", default="", description="rename: the new name; dump/restore: the file."
        ),
        "target_opts": Arg("str", default="", description="More pg_dump/pg_restore arguments."),
        "dump_extra_args": Arg("str", description="More pg_dump arguments."),
        "force": Arg(
            "bool", default=False, description="absent: drop even with sessions connected."
        ),
        **LOGIN_ARGS,
    }
    returns = {"executed_commands": "the SQL statements (or dump/restore command) run"}

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        state = args["state"]
        if state in ("dump", "restore"):
            return self.transfer(args, ctx)
        found = self.probe(args, ctx)
        if state == "rename":
            return self.finish(args, ctx, rename(args, found))
        current = found.get(args["name"])
        if state == "absent":
            force = " WITH (FORCE)" if args["force"] else ""
            return self.finish(
                args,
                ctx,
                [] if current is None else [f"DROP DATABASE {ident(args['name'])}{force};"],
            )
        if current is None:
            return self.finish(args, ctx, create(args))
        return self.finish(args, ctx, update(args, current))

    def transfer(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        """Dump or restore: always a change, as in Ansible."""
        if not args["target"]:
            raise ModuleError(f"with state={args['state']} target is required")
        command, shown = (dump_command if args["state"] == "dump" else restore_command)(args)
        if ctx.check:
            return Result(changed=True, values={"executed_commands": []})
        script, stdin = client_script(args, command, f"postgresql_db: {args['state']}")
        res = ctx.run(script, stdin=stdin)
        if res.rc != 0:
            raise ModuleError(failure(res))
        return Result(
            changed=True, msg=res.out.strip() or None, values={"executed_commands": [shown]}
        )

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> dict[str, Database]:
        names = ", ".join(literal(n) for n in {args["name"], args["target"]} if n)
        wanted = (
            f"d.encoding = pg_char_to_encoding({literal(args['encoding'])})"
            if args["encoding"]
            else "true"
        )
        res = self.sql(
            args,
            ctx,
            args["maintenance_db"],
            [
                "SELECT d.datname, r.rolname, pg_encoding_to_char(d.encoding), "
                f"{wanted}, d.datcollate, d.datctype, d.datconnlimit, t.spcname, "
                "coalesce(shobj_description(d.oid, 'pg_database'), '') FROM pg_database d "
                "JOIN pg_roles r ON r.oid = d.datdba "
                "JOIN pg_tablespace t ON t.oid = d.dattablespace "
                f"WHERE d.datname IN ({names});"
            ],
            "read database",
        )
        if res.rc != 0:
            raise ModuleError(f"cannot read databases: {failure(res)}")
        return {
            row[0]: Database(row[0], row[1], row[2], row[3] == "t", *row[4:9])
            for row in rows(res.out)
            if len(row) == 9
        }

    def finish(self, args: dict[str, Any], ctx: ModuleContext, statements: list[str]) -> Result:
        if not statements:
            return Result(values={"executed_commands": []})
        if ctx.check:
            return Result(changed=True, values={"executed_commands": []})
        res = self.sql(args, ctx, args["maintenance_db"], statements, "change database")
        if res.rc != 0:
            raise ModuleError(f"Database query failed: {failure(res)}")
        return Result(changed=True, values={"executed_commands": statements})


def create(args: dict[str, Any]) -> list[str]:
    parts = [f"CREATE DATABASE {ident(args['name'])}"]
    options = {
        "OWNER": ident(args["owner"]) if args["owner"] else "",
        "TEMPLATE": ident(args["template"]) if args["template"] else "",
        "ENCODING": literal(args["encoding"]) if args["encoding"] else "",
        "LC_COLLATE": literal(args["lc_collate"]) if args["lc_collate"] else "",
        "LC_CTYPE": literal(args["lc_ctype"]) if args["lc_ctype"] else "",
        "ICU_LOCALE": literal(args["icu_locale"]) if args["icu_locale"] else "",
        "LOCALE_PROVIDER": ident(args["locale_provider"]) if args["locale_provider"] else "",
        "CONNECTION LIMIT": str(_limit(args)) if args["conn_limit"] else "",
        "TABLESPACE": ident(args["tablespace"]) if args["tablespace"] else "",
    }
    parts += [f"{key} {value}" for key, value in options.items() if value]
    statements = [" ".join(parts) + ";"]
    if args["comment"] is not None:
        statements.append(
            f"COMMENT ON DATABASE {ident(args['name'])} IS {literal(args['comment'])};"
        )
    return statements


def update(args: dict[str, Any], db: Database) -> list[str]:
    """What makes an existing database right; a property PostgreSQL cannot change fails,
    as in Ansible."""
    for key, now in (("lc_collate", db.lc_collate), ("lc_ctype", db.lc_ctype)):
        if args[key] and args[key] != now:
            raise ModuleError(
                f"Changing {key.upper()} is not supported. Current {key.upper()}: {now}"
            )
    if args["encoding"] and not db.encoding_matches:
        raise ModuleError(
            f"Changing database encoding is not supported. Current encoding: {db.encoding}"
        )
    name, out = ident(args["name"]), []
    if args["owner"] and args["owner"] != db.owner:
        out.append(f"ALTER DATABASE {name} OWNER TO {ident(args['owner'])};")
    if args["conn_limit"] and str(_limit(args)) != db.conn_limit:
        out.append(f"ALTER DATABASE {name} CONNECTION LIMIT {_limit(args)};")
    if args["tablespace"] and args["tablespace"] != db.tablespace:
        out.append(f"ALTER DATABASE {name} SET TABLESPACE {ident(args['tablespace'])};")
    if args["comment"] is not None and args["comment"] != db.comment:
        out.append(f"COMMENT ON DATABASE {name} IS {literal(args['comment'])};")
    return out


def rename(args: dict[str, Any], found: dict[str, Database]) -> list[str]:
    name, target = args["name"], args["target"]
    if not target:
        raise ModuleError('The "target" option must be defined when the "rename" option is used.')
    if target == name:
        raise ModuleError('The "name/db" option and the "target" option cannot be the same.')
    if name in found and target in found:
        raise ModuleError(f"Both the source {name} and the target {target} databases exist.")
    if name in found:
        return [f"ALTER DATABASE {ident(name)} RENAME TO {ident(target)};"]
    if target in found:
        return []
    raise ModuleError(f"The source and the target databases do not exist: {name}, {target}")


def _limit(args: dict[str, Any]) -> int:
    try:
        return int(args["conn_limit"])
    except ValueError:
        raise ModuleError(f"conn_limit must be an integer, not {args['conn_limit']!r}") from None


def _compressor(target: str) -> str | None:
    return next((tool for ext, tool in _COMPRESSORS.items() if target.endswith(ext)), None)


def _extra(args: dict[str, Any]) -> str:
    words = shlex.split(args["target_opts"] or "") + shlex.split(args["dump_extra_args"] or "")
    return "".join(f" {quote(w)}" for w in words)


def dump_command(args: dict[str, Any]) -> tuple[str, str]:
    """pg_dump to ``target``: .tar and .pgc in pg_dump's tar and custom formats, .gz/.bz2/
    .xz plain SQL compressed, anything else plain SQL. (shell, as shown in the result)"""
    target, tool = args["target"], _compressor(args["target"])
    form = " -Ft" if target.endswith(".tar") else " -Fc" if target.endswith(".pgc") else ""
    client = tool_words(args, "pg_dump", args["name"]) + form + _extra(args)
    shown = f"pg_dump{form}{_extra(args)} {args['name']}"
    if tool is None:
        return f"{client} -f {quote(target)}", f"{shown} -f {target}"
    shell = (
        f'(umask 077; {client} > "$_c.d") && {tool} -c < "$_c.d" > {quote(target)};'
        ' _x=$?; rm -f "$_c.d"; (exit "$_x")'
    )
    return shell, f"{shown} | {tool} > {target}"


def restore_command(args: dict[str, Any]) -> tuple[str, str]:
    """The dump in ``target`` into the database: pg_restore for .tar/.pgc, psql for SQL
    (decompressed first for .gz/.bz2/.xz)."""
    target, tool = args["target"], _compressor(args["target"])
    missing = quote(f"target {target} does not exist on the host")
    check = f"[ -f {quote(target)} ] || {{ echo {missing} >&2; exit 2; }}; "
    if target.endswith((".tar", ".pgc")):
        client = tool_words(args, "pg_restore", args["name"]) + _extra(args)
        return (
            f"{check}{client} {quote(target)}",
            f"pg_restore{_extra(args)} -d {args['name']} {target}",
        )
    client = tool_words(args, "psql -X -q", args["name"]) + _extra(args)
    if tool is None:
        return f"{check}{client} -f {quote(target)}", f"psql -d {args['name']} -f {target}"
    return (
        f"{check}{tool} -dc {quote(target)} | {client}",
        f"{tool} -dc {target} | psql -d {args['name']}",
    )
