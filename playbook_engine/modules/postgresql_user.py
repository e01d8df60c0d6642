"""postgresql_user: a PostgreSQL role exists with a password, attribute flags, expiry,
connection limit and comment, or not; with the host's own ``psql``.

The password is compared on the controller with the stored verifier (md5 or SCRAM-SHA-256,
recomputed from its salt and iteration count), so a run with the same password changes
nothing; it reaches the host only on stdin, and ``queries`` shows it masked."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..masking import MASK
from . import register
from .base import Arg, ModuleContext
from .result import Result
from .util.postgres import LOGIN_ARGS, PostgresModule, failure, ident, literal, rows

FLAGS = {
    "SUPERUSER": 1,
    "INHERIT": 2,
    "CREATEROLE": 3,
    "CREATEDB": 4,
    "LOGIN": 5,
    "REPLICATION": 6,
    "BYPASSRLS": 7,
}  # column of the probe's row


@dataclass(frozen=True)
class Role:
    flags: dict[str, bool]
    conn_limit: str
    expires_matches: bool
    comment: str
    password: str | None  # the stored verifier ("": none); None: not readable


@register("postgresql_user", "community.postgresql.postgresql_user")
class PostgresqlUser(PostgresModule):
    """Add, change or remove a PostgreSQL role."""

    args = {
        "name": Arg("str", required=True, aliases=("user",), description="The role."),
        "password": Arg(
            "str", secret=True, description="Its password, plain or an md5/SCRAM verifier."
        ),
        "encrypted": Arg("bool", default=True, description="Accepted (always encrypted)."),
        "no_password_changes": Arg(
            "bool", default=False, description="Set a password only on a new role."
        ),
        "role_attr_flags": Arg(
            "str", default="", description="CREATEDB,NOSUPERUSER,… comma-separated."
        ),
        "expires": Arg("str", description="When the password expires (a timestamp, infinity)."),
        "conn_limit": Arg("int", description="Connection limit."),
        "comment": Arg("str", description="Its comment."),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "present"),
            description="Whether the role exists.",
        ),
        "fail_on_user": Arg(
            "bool",
            default=True,
            aliases=("fail_on_role",),
            description="Fail when the role cannot be removed.",
        ),
        "login_db": Arg(
            "str", default="", aliases=("db",), description="The database to connect to."
        ),
        "configuration": Arg("dict", default={}, description="Not supported yet."),
        "reset_unspecified_configuration": Arg("bool", default=False, description="Accepted."),
        "quote_configuration_values": Arg("bool", default=True, description="Accepted."),
        **LOGIN_ARGS,
    }
    returns = {"queries": "the SQL run, the password masked", "user": "the role"}

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        if args["configuration"]:
            raise ModuleError("postgresql_user: configuration is not supported by pbe yet")
        flags = parse_flags(args["role_attr_flags"])
        role = self.probe(args, ctx)
        name = ident(args["name"])
        if args["state"] == "absent":
            return self.finish(args, ctx, [] if role is None else [f"DROP ROLE {name};"])
        if role is None:
            return self.finish(args, ctx, [create(args, flags)] + _comment(args, None))
        return self.finish(args, ctx, update(args, flags, role))

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> Role | None:
        expires = (
            f"rolvaliduntil IS NOT DISTINCT FROM {literal(args['expires'])}::timestamptz"
            if args["expires"]
            else "true"
        )
        columns = (
            f"rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, "
            f"rolreplication, rolbypassrls, rolconnlimit, {expires}, "
            "coalesce(shobj_description(oid, 'pg_authid'), '')"
        )
        who = literal(args["name"])
        # pg_authid holds the password verifier, and only a superuser may read it: that
        # second statement may fail (then the password is not compared), so no
        # ON_ERROR_STOP for this probe
        sql = [
            f"SELECT {columns} FROM pg_roles WHERE rolname = {who};",
            f"SELECT 'P', coalesce(rolpassword, '') FROM pg_authid WHERE rolname = {who};",
        ]
        res = self.sql(
            args, ctx, args["login_db"] or "postgres", sql, "read role", stop_on_error=False
        )
        found = [row for row in rows(res.out) if len(row) == 11]
        stored = [row[1] for row in rows(res.out) if len(row) == 2 and row[0] == "P"]
        if res.rc != 0 or (
            not found and res.err.strip() and not stored and "permission denied" not in res.err
        ):
            raise ModuleError(f"cannot read role {args['name']}: {failure(res)}")
        return parse_role(found[0], stored[0] if stored else None) if found else None

    def finish(self, args: dict[str, Any], ctx: ModuleContext, statements: list[str]) -> Result:
        shown = [_mask(args, s) for s in statements]
        values = {"user": args["name"], "queries": shown}
        if not statements or ctx.check:
            return Result(changed=bool(statements), values=values)
        res = self.sql(args, ctx, args["login_db"] or "postgres", statements, "change role")
        if res.rc == 0:
            return Result(changed=True, values=values)
        if args["state"] == "absent" and not args["fail_on_user"]:
            return Result(
                values={**values, "queries": []},
                msg=f"Unable to remove user: {_mask(args, failure(res))}",
            )
        raise ModuleError(_mask(args, failure(res)))


def parse_role(row: list[str], stored: str | None) -> Role:
    """A pg_roles row and the stored verifier (None: pg_authid was not readable)."""
    flags = {flag: row[col] == "t" for flag, col in FLAGS.items()}
    return Role(flags, row[8], row[9] == "t", row[10], stored)


def parse_flags(text: str) -> dict[str, bool]:
    """``CREATEDB,NOSUPERUSER`` → {CREATEDB: True, SUPERUSER: False}."""
    out: dict[str, bool] = {}
    for word in filter(None, (w.strip().upper() for w in text.replace(" ", ",").split(","))):
        flag, value = (
            (word[2:], False) if word.startswith("NO") and word[2:] in FLAGS else (word, True)
        )
        if flag not in FLAGS:
            raise ModuleError(f"Invalid role_attr_flags specified: {word}")
        out[flag] = value
    return out


def _flag_words(flags: dict[str, bool]) -> list[str]:
    return [("" if on else "NO") + flag for flag, on in flags.items()]


def create(args: dict[str, Any], flags: dict[str, bool]) -> str:
    words = [f"CREATE USER {ident(args['name'])}"]
    words += _flag_words(flags)
    if args["password"]:
        words.append(f"PASSWORD {literal(args['password'])}")
    if args["expires"]:
        words.append(f"VALID UNTIL {literal(args['expires'])}")
    if args["conn_limit"] is not None:
        words.append(f"CONNECTION LIMIT {int(args['conn_limit'])}")
    return " ".join(words) + ";"


def update(args: dict[str, Any], flags: dict[str, bool], role: Role) -> list[str]:
    words = _flag_words({f: on for f, on in flags.items() if role.flags[f] != on})
    if _password_differs(args, role):
        words.append(
            f"PASSWORD {literal(args['password'])}" if args["password"] else "PASSWORD NULL"
        )
    if args["expires"] and not role.expires_matches:
        words.append(f"VALID UNTIL {literal(args['expires'])}")
    if args["conn_limit"] is not None and str(args["conn_limit"]) != role.conn_limit:
        words.append(f"CONNECTION LIMIT {int(args['conn_limit'])}")
    out = [f"ALTER USER {ident(args['name'])} " + " ".join(words) + ";"] if words else []
    return out + _comment(args, role)


def _comment(args: dict[str, Any], role: Role | None) -> list[str]:
    if args["comment"] is None or (role is not None and role.comment == args["comment"]):
        return []
    return [f"COMMENT ON ROLE {ident(args['name'])} IS {literal(args['comment'])};"]


def _password_differs(args: dict[str, Any], role: Role) -> bool:
    password = args["password"]
    if password is None or args["no_password_changes"] or role.password is None:
        return False  # None: only a superuser can read the verifier to compare
    if password == "":
        return role.password != ""
    return role.password == "" or not verifies(password, args["name"], role.password)


def verifies(password: str, user: str, stored: str) -> bool:
    """Whether ``password`` (plain, or itself a verifier) is what ``stored`` verifies."""
    if password == stored:
        return True
    if stored.startswith("md5"):
        return stored[3:] == hashlib.md5((password + user).encode()).hexdigest()  # noqa: S324
    if stored.startswith("SCRAM-SHA-256$"):
        return _scram_verifies(password, stored)
    return False


def _scram_verifies(password: str, stored: str) -> bool:
    """RFC 5802/7677 SCRAM-SHA-256 as PostgreSQL stores it:
    ``SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`` (base64)."""
    try:
        _, params, keys = stored.split("$")
        iterations, salt = params.split(":")
        stored_key, server_key = keys.split(":")
        salted = hashlib.pbkdf2_hmac(
            "sha256", password.encode(), base64.b64decode(salt), int(iterations)
        )
    except ValueError:
        return False
    client = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    server = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    return (
        base64.b64encode(hashlib.sha256(client).digest()).decode() == stored_key
        and base64.b64encode(server).decode() == server_key
    )


def _mask(args: dict[str, Any], text: str) -> str:
    if args["password"]:
        text = text.replace(literal(args["password"]), f"'{MASK}'")
        text = text.replace(args["password"], MASK)
    return text
