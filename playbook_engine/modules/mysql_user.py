"""mysql_user: a MySQL/MariaDB account exists with a password and privileges, or not,
with the host's own ``mysql`` client (see ``util/mysql``; privileges in ``mysqlprivs``).

One command reads the account's hosts, whether the password matches (compared by the
server: the password travels on stdin, never on a command line) and its grants; one more
makes the change."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import ModuleError
from ..masking import MASK
from . import register
from .base import Arg, ModuleContext
from .result import Result
from .util.mysql import LOGIN_ARGS, MysqlModule, failure, literal, rows
from .util.mysqlprivs import Privs, covers, grants, parse_priv, quote_object

_NATIVE_HASH = "CONCAT('*', UPPER(SHA1(UNHEX(SHA1({}))))) "
# Salted hashes the server cannot recompute from a plain password in SQL.
_UNVERIFIABLE = ("caching_sha2_password", "sha256_password")


@dataclass
class Account:
    """What the probe found: the user's hosts, per host whether the password is right
    (None: nothing to compare), and its grants on the hosts asked about."""

    hosts: list[str] = field(default_factory=list)
    password_ok: dict[str, bool | None] = field(default_factory=dict)
    privs: dict[str, Privs] = field(default_factory=dict)


@register("mysql_user", "community.mysql.mysql_user", "ansible.mysql.mysql_user")
class MysqlUser(MysqlModule):
    """Add or remove a MySQL/MariaDB user; set its password and privileges."""

    args = {
        "name": Arg("str", required=True, description="The user name."),
        "host": Arg("str", default="localhost", description="The host part of the account."),
        "host_all": Arg(
            "bool", default=False, description="Apply to every existing host of the user."
        ),
        "password": Arg("str", secret=True, description="Its password (hidden from results)."),
        "encrypted": Arg(
            "bool", default=False, description="password is already a mysql_native_password hash."
        ),
        "update_password": Arg(
            "str",
            default="always",
            choices=("always", "on_create", "on_new_username"),
            description="always: set a password that differs.",
        ),
        "priv": Arg("raw", description="db.table:PRIV,PRIV/db2.*:ALL, or a mapping."),
        "append_privs": Arg("bool", default=False, description="Add priv to what the user has."),
        "subtract_privs": Arg(
            "bool", default=False, description="Revoke priv from what the user has."
        ),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "present"),
            description="Whether the user exists.",
        ),
        "plugin": Arg("str", description="Authentication plugin of a new user."),
        "plugin_auth_string": Arg(
            "str", secret=True, description="Its authentication string (plain)."
        ),
        "plugin_hash_string": Arg(
            "str", secret=True, description="Its authentication string (hashed)."
        ),
        "salt": Arg("str", description="Accepted; not supported."),
        "column_case_sensitive": Arg("bool", default=True, description="Accepted."),
        "force_context": Arg("bool", default=False, description="Accepted."),
        "locked": Arg("bool", description="Accepted; not supported."),
        "attributes": Arg("dict", description="Accepted; not supported."),
        "resource_limits": Arg("dict", description="Accepted; not supported."),
        "session_vars": Arg("dict", description="Accepted; not supported."),
        "tls_requires": Arg("dict", description="Accepted; not supported."),
        "password_expire": Arg(
            "str",
            choices=("now", "never", "default", "interval"),
            description="Accepted; not supported.",
        ),
        "password_expire_interval": Arg("int", description="Accepted; not supported."),
        **LOGIN_ARGS,
    }
    mutually_exclusive = (("append_privs", "subtract_privs"),)
    returns = {
        "user": "the user name",
        "msg": "what was done",
        "password_changed": "whether the password was set",
        "attributes": "always null (attributes are not supported)",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        _refuse_unsupported(args)
        wanted = None if args["priv"] is None else parse_priv(args["priv"])
        account = self.probe(args, ctx, wanted is not None)
        if args["state"] == "absent":
            hosts = _targets(args, account)
            statements = [f"DROP USER {_who(args, h)};" for h in hosts]
            msg = "User deleted" if hosts else "User doesn't exist"
            return self.finish(args, ctx, statements, msg, False)
        if args["host"] not in account.hosts and not args["host_all"]:
            return self.finish(
                args, ctx, self.create(args, wanted), "User added", args["password"] is not None
            )
        if not account.hosts:
            raise ModuleError("host_all parameter cannot be used when adding a user")
        return self.modify(args, ctx, account, wanted)

    def probe(self, args: dict[str, Any], ctx: ModuleContext, privs: bool) -> Account:
        user = literal(args["name"])
        statements = [f"SELECT 'H', host FROM mysql.user WHERE user = {user};"]
        if args["password"] is not None:
            given = literal(args["password"])
            expect = given if args["encrypted"] else _NATIVE_HASH.format(given)
            statements.append(
                f"SELECT 'P', host, plugin, authentication_string = {expect}"
                f"FROM mysql.user WHERE user = {user};"
            )
        if privs and not args["host_all"]:
            statements.append(f"SHOW GRANTS FOR {_who(args, args['host'])};")
        res = self.sql(args, ctx, statements, "read user", force=True)
        account = parse_account(res.out)
        if privs and args["host_all"] and account.hosts:
            shows = [f"SHOW GRANTS FOR {_who(args, h)};" for h in account.hosts]
            more = self.sql(args, ctx, shows, "read grants", force=True)
            account.privs = grants(more.out.splitlines())
        if not account.hosts and res.rc != 0 and "ERROR 1141" not in res.err:
            raise ModuleError(_hide(args, f"cannot read user {args['name']}: {failure(res)}"))
        return account

    def create(self, args: dict[str, Any], wanted: Privs | None) -> list[str]:
        who = _who(args, args["host"])
        statements = [f"CREATE USER {who}{_identified(args)};"]
        if wanted and not args["subtract_privs"]:
            statements += [_grant(who, obj, privs) for obj, privs in wanted.items()]
        return statements

    def modify(
        self, args: dict[str, Any], ctx: ModuleContext, account: Account, wanted: Privs | None
    ) -> Result:
        statements, msg, password_changed = [], "User unchanged", False
        for host in _targets(args, account):
            who = _who(args, host)
            if _password_differs(args, account, host):
                statements.append(f"ALTER USER {who}{_identified(args)};")
                msg, password_changed = "Password updated", True
            if wanted is not None:
                changes = privilege_changes(args, who, account.privs.get(host, {}), wanted)
                if changes:
                    statements += changes
                    msg = "Privileges updated"
        return self.finish(args, ctx, statements, msg, password_changed)

    def finish(
        self,
        args: dict[str, Any],
        ctx: ModuleContext,
        statements: list[str],
        msg: str,
        password_changed: bool,
    ) -> Result:
        values = {
            "user": args["name"],
            "password_changed": password_changed and bool(statements),
            "attributes": None,
        }
        if not statements or ctx.check:
            return Result(changed=bool(statements), msg=msg, values=values)
        res = self.sql(args, ctx, statements, "change user")
        if res.rc != 0:
            raise ModuleError(_hide(args, failure(res)))
        return Result(changed=True, msg=msg, values=values)


def parse_account(out: str) -> Account:
    """The probe's rows: ``H host``, ``P host plugin matches``, then SHOW GRANTS lines."""
    account, lines = Account(), []
    for row in rows(out):
        if row[0] == "H" and len(row) == 2:
            account.hosts.append(row[1])
        elif row[0] == "P" and len(row) == 4:
            verifiable = row[2] not in _UNVERIFIABLE
            account.password_ok[row[1]] = (row[3] == "1") if verifiable else None
        elif row[0].startswith("GRANT "):
            lines.append(row[0])
    account.privs = grants(lines)
    return account


def privilege_changes(args: dict[str, Any], who: str, have: Privs, wanted: Privs) -> list[str]:
    """GRANT/REVOKE statements that take ``have`` to ``wanted`` (or add/subtract it)."""
    out: list[str] = []
    for obj, want in wanted.items():
        current = have.get(obj, set())
        if args["subtract_privs"]:
            drop = {p for p in want if p in current or "ALL" in current}
            out += [_revoke(who, obj, drop)] if drop and current - {"USAGE"} else []
        elif args["append_privs"]:
            out += [] if covers(current, want) else [_grant(who, obj, want - current)]
        elif not (covers(current, want) and covers(want, current)):
            out += _revoke_all(who, obj, current) + [_grant(who, obj, want)]
    if not (args["append_privs"] or args["subtract_privs"]):
        for obj, current in have.items():
            if obj not in wanted and current - {"USAGE"}:
                out += _revoke_all(who, obj, current)
    return out


def _grant(who: str, obj: str, privs: set[str]) -> str:
    plain = sorted(privs - {"GRANT"}) or ["USAGE"]
    option = " WITH GRANT OPTION" if "GRANT" in privs else ""
    return f"GRANT {', '.join(plain)} ON {quote_object(obj)} TO {who}{option};"


def _revoke(who: str, obj: str, privs: set[str]) -> str:
    words = sorted(p for p in privs if p not in ("GRANT", "USAGE"))
    words += ["GRANT OPTION"] if "GRANT" in privs else []
    return f"REVOKE {', '.join(words)} ON {quote_object(obj)} FROM {who};"


def _revoke_all(who: str, obj: str, current: set[str]) -> list[str]:
    if not current - {"USAGE"}:
        return []
    out = [f"REVOKE GRANT OPTION ON {quote_object(obj)} FROM {who};"] if "GRANT" in current else []
    if current - {"USAGE", "GRANT"}:
        out.append(f"REVOKE ALL PRIVILEGES ON {quote_object(obj)} FROM {who};")
    return out


def _who(args: dict[str, Any], host: str) -> str:
    return f"{literal(args['name'])}@{literal(host)}"


def _identified(args: dict[str, Any]) -> str:
    plugin, password = args["plugin"], args["password"]
    if plugin:
        if args["plugin_hash_string"]:
            return f" IDENTIFIED WITH {plugin} AS {literal(args['plugin_hash_string'])}"
        auth = args["plugin_auth_string"] or password
        return f" IDENTIFIED WITH {plugin}" + (f" BY {literal(auth)}" if auth else "")
    if password is None:
        return ""
    if args["encrypted"]:
        return f" IDENTIFIED WITH mysql_native_password AS {literal(password)}"
    return f" IDENTIFIED BY {literal(password)}"


def _password_differs(args: dict[str, Any], account: Account, host: str) -> bool:
    if args["password"] is None or args["update_password"] != "always":
        return False
    return account.password_ok.get(host) is False


def _targets(args: dict[str, Any], account: Account) -> list[str]:
    if args["host_all"]:
        return account.hosts
    return [args["host"]] if args["host"] in account.hosts else []


def _hide(args: dict[str, Any], text: str) -> str:
    """The server's words with the secrets it may quote back (``near 'IDENTIFIED BY …'``)
    masked."""
    for key in ("password", "plugin_auth_string", "plugin_hash_string"):
        if args[key]:
            text = text.replace(args[key], MASK).replace(literal(args[key])[1:-1], MASK)
    return text


def _refuse_unsupported(args: dict[str, Any]) -> None:
    """Options pbe accepts in playbooks but cannot honour: say so rather than ignore."""
    given = [
        k
        for k in (
            "salt",
            "locked",
            "attributes",
            "resource_limits",
            "session_vars",
            "tls_requires",
            "password_expire",
            "password_expire_interval",
        )
        if args[k] not in (None, {}, False)
    ]
    if given:
        raise ModuleError(f"mysql_user: {', '.join(given)} not supported by pbe yet")
