"""mysql_db: databases on a MySQL/MariaDB server exist or not, are dumped or imported,
with the host's own ``mysql``/``mysqldump`` clients (see ``util/mysql``)."""

from __future__ import annotations

import shlex
from typing import Any

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .result import Result
from .util.mysql import LOGIN_ARGS, MysqlModule, client_script, failure, ident, literal, rows

_COMPRESSORS = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zst": "zstd"}


@register("mysql_db", "community.mysql.mysql_db", "ansible.mysql.mysql_db")
class MysqlDb(MysqlModule):
    """Add, remove, dump or import MySQL/MariaDB databases."""

    args = {
        "name": Arg(
            "list",
            required=True,
            elements="str",
            aliases=("db",),
            description="The database(s); 'all' for every one (dump, import).",
        ),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "dump", "import", "present"),
            description="What to do with them.",
        ),
        "collation": Arg("str", default="", description="Collation of a new database."),
        "encoding": Arg("str", default="", description="Character set of a new database."),
        "target": Arg(
            "path",
            description="The dump file (dump, import); .gz/.bz2/.xz/.zst are (de)compressed.",
        ),
        "chdir": Arg("path", description="Directory to run dump/import in."),
        "dump_extra_args": Arg("str", description="More mysqldump arguments."),
        "force": Arg("bool", default=False, description="Import: go on after SQL errors."),
        "hex_blob": Arg("bool", default=False, description="Dump binary columns as hex."),
        "ignore_tables": Arg(
            "list", default=[], elements="str", description="db.table names not to dump."
        ),
        "master_data": Arg(
            "int", default=0, choices=(0, 1, 2), description="Dump: record the binary log position."
        ),
        "pipefail": Arg(
            "bool",
            default=True,
            description="Accepted (the dump is written to a file first, then compressed).",
        ),
        "quick": Arg("bool", default=True, description="Dump row by row (--quick)."),
        "restrict_config_file": Arg(
            "bool", default=False, description="Accepted: only config_file is read anyway."
        ),
        "single_transaction": Arg("bool", default=False, description="Dump in one transaction."),
        "skip_lock_tables": Arg("bool", default=False, description="Dump without locking."),
        "unsafe_login_password": Arg(
            "bool", default=False, description="Accepted: the password is never on a command line."
        ),
        "use_shell": Arg("bool", default=False, description="Accepted (always a shell)."),
        **LOGIN_ARGS,
    }
    returns = {
        "db": "the database names, space-separated",
        "db_list": "the names as a list",
        "executed_commands": "the SQL or client commands run (no secrets)",
        "msg": "dump/import: what the client printed",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        names = [str(n) for n in args["name"]]
        if not names or any(not n for n in names):
            raise ModuleError("name must not be empty")
        state, every = args["state"], names == ["all"]
        if every and state in ("present", "absent"):
            raise ModuleError(
                "name is not allowed to equal 'all' unless state equals import, or dump."
            )
        if state in ("dump", "import") and not args["target"]:
            raise ModuleError(f"with state={state} target is required")
        if state == "import" and len(names) > 1:
            raise ModuleError("Multiple databases are not supported with state=import")
        base = {"db": " ".join(names), "db_list": names}
        existing = set() if every else self.existing(args, ctx, names)
        if state == "present":
            return self.create(args, ctx, [n for n in names if n not in existing], base)
        if state == "absent":
            return self.drop(args, ctx, [n for n in names if n in existing], base)
        if state == "dump":
            missing = [n for n in names if n not in existing and not every]
            if missing:
                raise ModuleError(f"Cannot dump database(s) {', '.join(missing)!r} - not found")
            return self.transfer(args, ctx, [], base, dump_command(args, names))
        create = [] if every or names[0] in existing else names
        return self.transfer(args, ctx, create, base, import_command(args, names))

    def existing(self, args: dict[str, Any], ctx: ModuleContext, names: list[str]) -> set[str]:
        wanted = ", ".join(literal(n) for n in names)
        res = self.sql(
            args,
            ctx,
            [
                "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA "
                f"WHERE SCHEMA_NAME IN ({wanted});"
            ],
            "list databases",
        )
        if res.rc != 0:
            raise ModuleError(f"cannot list databases: {failure(res)}")
        return {row[0] for row in rows(res.out) if row}

    def create(
        self, args: dict[str, Any], ctx: ModuleContext, missing: list[str], base: dict[str, Any]
    ) -> Result:
        if not missing:
            return Result(values={**base, "executed_commands": []})
        if ctx.check:
            return Result(changed=True, values=base)
        statements = create_statements(args, missing)
        res = self.sql(args, ctx, statements, "create")
        if res.rc != 0:
            raise ModuleError(f"error creating database: {failure(res)}")
        return Result(changed=True, values={**base, "executed_commands": statements})

    def drop(
        self, args: dict[str, Any], ctx: ModuleContext, present: list[str], base: dict[str, Any]
    ) -> Result:
        if not present:
            return Result(values={**base, "executed_commands": []})
        if ctx.check:
            return Result(changed=True, values=base)
        statements = [f"DROP DATABASE {ident(n)};" for n in present]
        res = self.sql(args, ctx, statements, "drop")
        if res.rc != 0:
            raise ModuleError(f"error deleting database: {failure(res)}")
        return Result(changed=True, values={**base, "executed_commands": statements})

    def transfer(
        self,
        args: dict[str, Any],
        ctx: ModuleContext,
        create: list[str],
        base: dict[str, Any],
        command: tuple[str, str],
    ) -> Result:
        """Dump or import (always a change, as in Ansible); an import first creates its
        missing database."""
        if ctx.check:
            return Result(changed=True, values=base)
        executed = []
        if create:
            executed = create_statements(args, create)
            res = self.sql(args, ctx, executed, "create")
            if res.rc != 0:
                raise ModuleError(f"error creating database: {failure(res)}")
        shell, shown = command
        script, stdin = client_script(args, shell, f"mysql_db: {args['state']}")
        res = ctx.run(script, stdin=stdin)
        if res.rc != 0:
            raise ModuleError(failure(res))
        return Result(
            changed=True,
            msg=res.out.strip(),
            values={**base, "executed_commands": [*executed, shown]},
        )


def create_statements(args: dict[str, Any], names: list[str]) -> list[str]:
    tail = ""
    if args["encoding"]:
        tail += f" CHARACTER SET {literal(args['encoding'])}"
    if args["collation"]:
        tail += f" COLLATE {literal(args['collation'])}"
    return [f"CREATE DATABASE {ident(n)}{tail};" for n in names]


def _compressor(target: str) -> str | None:
    return next((tool for ext, tool in _COMPRESSORS.items() if target.endswith(ext)), None)


def _cd(args: dict[str, Any]) -> str:
    return f"cd {quote(args['chdir'])} && " if args["chdir"] else ""


def dump_command(args: dict[str, Any], names: list[str]) -> tuple[str, str]:
    """The dump as shell (the client reads ``"$_c"``), and as shown in the result."""
    opts = [
        flag
        for flag, on in (
            ("--quick", args["quick"]),
            ("--single-transaction", args["single_transaction"]),
            ("--skip-lock-tables", args["skip_lock_tables"]),
            ("--hex-blob", args["hex_blob"]),
        )
        if on
    ]
    if args["master_data"]:
        opts.append(f"--master-data={args['master_data']}")
    opts += [f"--ignore-table={t}" for t in args["ignore_tables"]]
    opts += shlex.split(args["dump_extra_args"] or "")
    if names == ["all"]:
        opts.append("--all-databases")
    elif len(names) > 1:
        opts += ["--databases", *names]
    else:
        opts += ["--", names[0]]
    words = " ".join(quote(o) for o in opts)
    target, tool = quote(args["target"]), _compressor(args["target"])
    client = f'mysqldump --defaults-file="$_c" {words}'
    if tool is None:
        return f"{_cd(args)}{client} > {target}", f"mysqldump {words} > {target}"
    shell = (
        f'{_cd(args)}(umask 077; {client} > "$_c.d") && {tool} -c < "$_c.d" > {target};'
        ' _x=$?; rm -f "$_c.d"; (exit "$_x")'
    )
    return shell, f"mysqldump {words} | {tool} > {target}"


def import_command(args: dict[str, Any], names: list[str]) -> tuple[str, str]:
    target, tool = quote(args["target"]), _compressor(args["target"])
    words = ("--force " if args["force"] else "") + ("" if names == ["all"] else quote(names[0]))
    missing = quote(f"target {args['target']} does not exist on the host")
    check = f"[ -f {target} ] || {{ echo {missing} >&2; exit 2; }}; "
    client = f'mysql --defaults-file="$_c" {words}'.rstrip()
    if tool is None:
        return f"{_cd(args)}{check}{client} < {target}", f"mysql {words} < {target}".strip()
    return (
        f"{_cd(args)}{check}{tool} -dc {target} | {client}",
        f"{tool} -dc {target} | mysql {words}".rstrip(),
    )
