"""Talking to MySQL/MariaDB with the host's own ``mysql`` client (no Python on the target).

Nothing secret goes on a command line: the login (user, password, host, port, socket,
TLS files) travels on stdin as an option file, which the script stores in a private temp
file (mode 0600) for the one command and removes; the SQL follows it on stdin. The option
file ``!include``\\ s the user's ``config_file`` (``~/.my.cnf`` by default) when that exists,
so its settings apply and the login arguments given to the task override them, as in
Ansible. ``--defaults-file`` makes the client read that file only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import ModuleError
from ...transport.base import CommandResult
from ...transport.shell import quote
from ..base import Arg, Module, ModuleContext

__all__ = ["LOGIN_ARGS", "MysqlModule", "ident", "literal", "rows"]

LOGIN_ARGS: dict[str, Arg] = {
    "login_user": Arg("str", description="The user to connect as (else the config file's)."),
    "login_password": Arg(
        "str", secret=True, description="Its password (never on a command line)."
    ),
    "login_host": Arg("str", default="localhost", description="The server's host."),
    "login_port": Arg("int", default=3306, description="The server's TCP port."),
    "login_unix_socket": Arg("str", description="The server's unix socket."),
    "config_file": Arg(
        "path", default="~/.my.cnf", description="An option file read first, when it exists."
    ),
    "connect_timeout": Arg("int", default=30, description="Seconds to wait to connect."),
    "ca_cert": Arg("path", aliases=("ssl_ca",), description="CA certificate for TLS."),
    "client_cert": Arg("path", aliases=("ssl_cert",), description="Client certificate."),
    "client_key": Arg("path", aliases=("ssl_key",), description="Client key."),
    "check_hostname": Arg("bool", description="Verify the server's certificate's name."),
    "check_implicit_admin": Arg(
        "bool", default=False, description="Accepted: the given login is used."
    ),
    "config_overrides_defaults": Arg(
        "bool", default=False, description="Let config_file's host/port win."
    ),
    "sql_log_bin": Arg(
        "bool", default=True, description="False: keep changes out of the binary log."
    ),
}

_CONNECT_FAILURES = ("ERROR 1045", "ERROR 2002", "ERROR 2003", "ERROR 2005", "ERROR 1698")


def ident(name: str) -> str:
    """A quoted identifier: backticks, a backtick doubled."""
    return "`" + name.replace("`", "``") + "`"


def literal(value: str) -> str:
    """A quoted string literal (backslashes and quotes escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _option(value: str) -> str:
    """An option file value: double quotes, backslash escapes."""
    if any(c in value for c in "\r\n\0"):
        raise ModuleError("login values must not contain line breaks")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _home_path(path: str) -> str:
    """``path`` as a shell word with a leading ``~/`` taken from the target's $HOME."""
    if path == "~" or path.startswith("~/"):
        return '"$HOME"' + quote(path[1:]) if len(path) > 1 else '"$HOME"'
    return quote(path)


def option_lines(args: Mapping[str, Any]) -> list[str]:
    """The [client] section the task's login arguments make (secrets included)."""
    lines = ["[client]"]
    values = {
        "user": args["login_user"],
        "password": args["login_password"],
        "connect-timeout": args["connect_timeout"],
        "ssl-ca": args["ca_cert"],
        "ssl-cert": args["client_cert"],
        "ssl-key": args["client_key"],
    }
    if args["login_unix_socket"]:
        values["socket"] = args["login_unix_socket"]
        values["host"] = "localhost"
    elif not args["config_overrides_defaults"]:
        values["host"], values["port"] = args["login_host"], args["login_port"]
    lines += [f"{key}={_option(str(v))}" for key, v in values.items() if v not in (None, "")]
    if args["check_hostname"]:
        lines.append("ssl-verify-server-cert")
    return lines


def client_script(args: Mapping[str, Any], command: str, label: str) -> tuple[str, bytes]:
    """Shell that writes the option file from stdin, runs ``command`` (which names it
    ``"$_c"``) and removes it; and the stdin that starts with the option file. ``label``
    (a comment line) says what the command is for, in logs and recorded tests."""
    lines = option_lines(args)
    config = _home_path(args["config_file"] or "")
    script = (
        f"# {label}\n"
        '_m=$(umask); umask 077; _c=$(mktemp "${TMPDIR:-/tmp}/.pbe-my.XXXXXXXXXX")'
        ' || exit 1; umask "$_m"\n'
        f'_f={config}; [ -f "$_f" ] && [ -r "$_f" ] && printf \'!include %s\\n\' "$_f"'
        ' > "$_c"\n'
        f'_i=0; while [ "$_i" -lt {len(lines)} ] && IFS= read -r _l; do'
        ' printf \'%s\\n\' "$_l" >> "$_c"; _i=$((_i+1)); done\n'
        f'{command}\n_r=$?; rm -f "$_c"; exit "$_r"'
    )
    return script, ("\n".join(lines) + "\n").encode()


def mysql_command(force: bool = False) -> str:
    """The ``mysql`` client reading SQL from the rest of stdin, plain tab-separated rows;
    ``force``: go on after a failing statement (a probe whose parts may fail)."""
    tail = " --force" if force else ""
    return f'mysql --defaults-file="$_c" --batch --skip-column-names{tail}'


def rows(out: str) -> list[list[str]]:
    """``mysql --batch`` rows: tab-separated fields, ``\\t``/``\\n``/``\\\\`` escaped."""
    unescape = {"t": "\t", "n": "\n", "\\": "\\", "0": "\0"}
    parsed = []
    for line in out.splitlines():
        fields = []
        for field in line.split("\t"):
            text, i = [], 0
            while i < len(field):
                if field[i] == "\\" and i + 1 < len(field):
                    text.append(unescape.get(field[i + 1], field[i + 1]))
                    i += 2
                else:
                    text.append(field[i])
                    i += 1
            fields.append("".join(text))
        parsed.append(fields)
    return parsed


class MysqlModule(Module):
    """Base for the mysql_* modules: runs SQL with the task's login."""

    def sql(
        self,
        args: Mapping[str, Any],
        ctx: ModuleContext,
        statements: list[str],
        label: str,
        force: bool = False,
        client: str | None = None,
    ) -> CommandResult:
        """Run ``statements`` (one round trip); ModuleError when the login fails.
        ``client``: another mysql command line than ``mysql_command``'s."""
        prefix = [] if args.get("sql_log_bin", True) else ["SET SQL_LOG_BIN=0;"]
        script, stdin = client_script(args, client or mysql_command(force), f"{self.name}: {label}")
        body = "\n".join(prefix + statements) + "\n"
        res = ctx.run(script, stdin=stdin + body.encode())
        if res.rc == 127:
            raise ModuleError(f"the mysql client is not installed on the host: {res.err.strip()}")
        if res.rc != 0 and _cannot_connect(res.err):
            raise ModuleError(connect_failure(args, res.err))
        return res


def _cannot_connect(err: str) -> bool:
    return any(mark in err for mark in _CONNECT_FAILURES)


def connect_failure(args: Mapping[str, Any], err: str) -> str:
    return (
        "unable to connect to database, check login_user and login_password are correct "
        f"or {args['config_file']} has the credentials. Exception message: {err.strip()}"
    )


def failure(res: CommandResult) -> str:
    """The client's own words when a statement fails."""
    return (res.err or res.out).strip() or f"mysql exited with status {res.rc}"
