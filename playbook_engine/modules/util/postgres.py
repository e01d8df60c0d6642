"""Talking to PostgreSQL with the host's own ``psql`` (no Python on the target).

The password never goes on a command line: it travels as the first line of stdin, which
the script stores as a private password file (mode 0600, ``PGPASSFILE``) for the one
command and removes; the SQL follows it on stdin. ``psql`` runs with ``-X`` (no psqlrc),
``ON_ERROR_STOP`` and unaligned, tab-separated, tuples-only output.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import ModuleError
from ...transport.base import CommandResult
from ...transport.shell import quote
from ..base import Arg, Module, ModuleContext

__all__ = ["LOGIN_ARGS", "PostgresModule", "ident", "literal", "rows"]

LOGIN_ARGS: dict[str, Arg] = {
    "login_user": Arg(
        "str", default="postgres", aliases=("login",), description="The role to connect as."
    ),
    "login_password": Arg(
        "str", secret=True, default="", description="Its password (never on a command line)."
    ),
    "login_host": Arg(
        "str",
        default="",
        aliases=("host",),
        description="The server's host; empty: the unix socket.",
    ),
    "login_port": Arg("int", default=5432, aliases=("port",), description="The port."),
    "login_unix_socket": Arg(
        "str",
        default="",
        aliases=("unix_socket",),
        description="Directory of the server's unix socket.",
    ),
    "ssl_mode": Arg(
        "str",
        default="prefer",
        choices=("allow", "disable", "prefer", "require", "verify-ca", "verify-full"),
        description="libpq's sslmode.",
    ),
    "ca_cert": Arg("str", aliases=("ssl_rootcert",), description="CA certificate."),
    "ssl_cert": Arg("path", description="Client certificate."),
    "ssl_key": Arg("path", description="Client key."),
    "connect_params": Arg("dict", default={}, description="More libpq parameters."),
    "session_role": Arg("str", description="SET ROLE to this role first."),
    "trust_input": Arg("bool", default=True, description="Accepted: every name is quoted."),
}


def ident(name: str) -> str:
    """A quoted identifier: double quotes, a double quote doubled."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A standard string literal: a single quote doubled."""
    if "\0" in value:
        raise ModuleError("a value must not contain a NUL character")
    return "'" + value.replace("'", "''") + "'"


def _passfile_line(password: str) -> str:
    if any(c in password for c in "\r\n\0"):
        raise ModuleError("login_password must not contain line breaks")
    return "*:*:*:*:" + password.replace("\\", "\\\\").replace(":", "\\:")


def tool_words(args: Mapping[str, Any], tool: str, db: str) -> str:
    """``tool`` (psql, pg_dump, pg_restore) with the connection's environment and options
    (no secret among them)."""
    host = args["login_unix_socket"] or args["login_host"]
    env = {
        "PGSSLMODE": args["ssl_mode"],
        "PGSSLROOTCERT": args["ca_cert"],
        "PGSSLCERT": args["ssl_cert"],
        "PGSSLKEY": args["ssl_key"],
    }
    env.update(
        {
            f"PG{k.upper()}": str(v)
            for k, v in args["connect_params"].items()
            if k.lower() in ("connect_timeout", "application_name", "sslmode")
        }
    )
    words = " ".join(f"{k}={quote(str(v))}" for k, v in env.items() if v)
    words += f" {tool} -d {quote(db)} -U {quote(args['login_user'])}"
    words += f" -p {int(args['login_port'])}"
    return words + (f" -h {quote(host)}" if host else "")


def psql_words(args: Mapping[str, Any], db: str, stop_on_error: bool = True) -> str:
    """psql reading SQL from stdin: tuples only, tab-separated."""
    stop = " -v ON_ERROR_STOP=1" if stop_on_error else ""
    return tool_words(args, f"psql -X -q -A -t -F \"$(printf '\\t')\"{stop}", db)


def client_script(args: Mapping[str, Any], command: str, label: str) -> tuple[str, bytes]:
    """Shell that stores stdin's first line as the password file, runs ``command``
    (``PGPASSFILE`` set) and removes the file; and the stdin that starts with that line."""
    script = (
        f"# {label}\n"
        '_m=$(umask); umask 077; _c=$(mktemp "${TMPDIR:-/tmp}/.pbe-pg.XXXXXXXXXX")'
        ' || exit 1; umask "$_m"\n'
        'IFS= read -r _l; [ -n "$_l" ] && printf \'%s\\n\' "$_l" > "$_c"\n'
        f'export PGPASSFILE="$_c"\n{command}\n_r=$?; rm -f "$_c"; exit "$_r"'
    )
    line = _passfile_line(args["login_password"]) if args["login_password"] else ""
    return script, (line + "\n").encode()


def rows(out: str) -> list[list[str]]:
    """psql's unaligned tuples: one row a line, fields tab-separated."""
    return [line.split("\t") for line in out.splitlines() if line]


class PostgresModule(Module):
    """Base for the postgresql_* modules: runs SQL with the task's login."""

    def sql(
        self,
        args: Mapping[str, Any],
        ctx: ModuleContext,
        db: str,
        statements: list[str],
        label: str,
        stop_on_error: bool = True,
    ) -> CommandResult:
        """Run ``statements`` in ``db`` (one round trip); ModuleError when psql cannot
        connect. ``stop_on_error=False``: a probe whose later parts may fail."""
        prefix = [f"SET ROLE {ident(args['session_role'])};"] if args["session_role"] else []
        words = psql_words(args, db, stop_on_error)
        script, stdin = client_script(args, words, f"{self.name}: {label}")
        res = ctx.run(script, stdin=stdin + ("\n".join(prefix + statements) + "\n").encode())
        if res.rc == 127:
            raise ModuleError(f"psql is not installed on the host: {res.err.strip()}")
        if res.rc == 2:  # psql: the connection failed
            raise ModuleError(f"unable to connect to database: {res.err.strip()}")
        return res


def failure(res: CommandResult) -> str:
    """psql's own words when a statement fails."""
    return (res.err or res.out).strip() or f"psql exited with status {res.rc}"
