"""postgresql_privs: roles hold (or not) privileges on databases, schemas, tables and
sequences; with the host's own ``psql``.

One command reads the objects' access lists as the server expands them (``aclexplode``,
the owner's defaults included) and which roles exist; one more grants or revokes what
differs."""

from __future__ import annotations

from typing import Any

from ..errors import ModuleError
from . import register
from .base import Arg, ModuleContext
from .result import Result
from .util.postgres import LOGIN_ARGS, PostgresModule, failure, ident, literal, rows

# type: (every privilege ALL means, the catalog query of (object name, acl, owner) rows
# for the names asked, the SQL keyword of the object kind)
_KINDS: dict[str, tuple[frozenset[str], str]] = {
    "database": (frozenset({"CREATE", "CONNECT", "TEMPORARY"}), "DATABASE"),
    "schema": (frozenset({"CREATE", "USAGE"}), "SCHEMA"),
    "table": (
        frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"}),
        "TABLE",
    ),
    "sequence": (frozenset({"USAGE", "SELECT", "UPDATE"}), "SEQUENCE"),
}
_ALIASES = {"TEMP": "TEMPORARY", "ALL PRIVILEGES": "ALL"}
Acl = dict[tuple[str, str], dict[str, bool]]  # (object, role) → {privilege: grantable}


@register("postgresql_privs", "community.postgresql.postgresql_privs")
class PostgresqlPrivs(PostgresModule):
    """Grant or revoke privileges on PostgreSQL databases, schemas, tables, sequences."""

    args = {
        "login_db": Arg(
            "str",
            required=True,
            aliases=("db", "database"),
            description="The database to connect to.",
        ),
        "roles": Arg(
            "str",
            required=True,
            aliases=("role",),
            description="Roles to grant to / revoke from, comma-separated (PUBLIC).",
        ),
        "privs": Arg("str", aliases=("priv",), description="Privileges, comma-separated; ALL."),
        "type": Arg(
            "str",
            default="table",
            choices=(
                "database",
                "default_privs",
                "foreign_data_wrapper",
                "foreign_server",
                "function",
                "group",
                "language",
                "table",
                "tablespace",
                "schema",
                "sequence",
                "type",
                "procedure",
                "parameter",
            ),
            description="The kind of object (database, schema, table, sequence).",
        ),
        "objs": Arg(
            "str",
            aliases=("obj",),
            description="The objects, comma-separated; ALL_IN_SCHEMA for tables/sequences.",
        ),
        "schema": Arg("str", description="The schema of tables and sequences (public)."),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "present"),
            description="Whether the roles hold the privileges.",
        ),
        "grant_option": Arg(
            "bool", aliases=("admin_option",), description="Whether they may grant them on."
        ),
        "target_roles": Arg("str", description="Not supported (default_privs)."),
        "fail_on_role": Arg("bool", default=True, description="Fail when a role does not exist."),
        **LOGIN_ARGS,
    }
    returns = {"queries": "the GRANT/REVOKE statements run"}

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        kind = args["type"]
        if kind not in _KINDS:
            raise ModuleError(f"postgresql_privs: type={kind} is not supported by pbe yet")
        if not args["privs"]:
            raise ModuleError(f"privs is required for type={kind}")
        wanted = expand(args["privs"], kind)
        roles = _split(args["roles"])
        objs = _split(args["objs"] or "") or ([args["login_db"]] if kind == "database" else [])
        if not objs:
            raise ModuleError(f"objs is required for type={kind}")
        acl, found, known = self.probe(args, ctx, kind, objs, roles)
        missing_roles = [r for r in roles if r.upper() != "PUBLIC" and r not in known]
        if missing_roles and args["fail_on_role"]:
            raise ModuleError(f"Role {missing_roles[0]} does not exist")
        roles = [r for r in roles if r not in missing_roles]
        absent = [o for o in objs if o != "ALL_IN_SCHEMA" and o not in found]
        if absent:
            raise ModuleError(f"Cannot execute SQL: {kind} {absent[0]} does not exist")
        targets = found if objs == ["ALL_IN_SCHEMA"] else objs
        statements = plan(args, kind, wanted, targets, roles, acl)
        if not statements or ctx.check:
            return Result(changed=bool(statements), values={"queries": statements})
        res = self.sql(args, ctx, args["login_db"], statements, "change privileges")
        if res.rc != 0:
            raise ModuleError(f"Cannot execute SQL: {failure(res)}")
        return Result(changed=True, values={"queries": statements})

    def probe(
        self, args: dict[str, Any], ctx: ModuleContext, kind: str, objs: list[str], roles: list[str]
    ) -> tuple[Acl, list[str], set[str]]:
        names = ", ".join(literal(r) for r in roles) or "NULL"
        statements = [
            catalog_query(kind, objs, args["schema"] or "public"),
            f"SELECT 'R', rolname FROM pg_roles WHERE rolname IN ({names});",
        ]
        res = self.sql(args, ctx, args["login_db"], statements, "read privileges")
        if res.rc != 0:
            raise ModuleError(f"Cannot execute SQL: {failure(res)}")
        acl: Acl = {}
        found: list[str] = []
        known: set[str] = set()
        for row in rows(res.out):
            if len(row) == 2 and row[0] == "R":
                known.add(row[1])
            elif len(row) == 5 and row[0] == "A":
                _, obj, grantee, priv, grantable = row
                found += [] if obj in found else [obj]
                if grantee:
                    acl.setdefault((obj, grantee), {})[priv] = grantable == "t"
        return acl, found, known


def catalog_query(kind: str, objs: list[str], schema: str) -> str:
    """Rows ``A, object, grantee (PUBLIC), privilege, grantable`` for the objects; an
    object whose list is empty still gives one row with no grantee."""
    grantee = (
        "CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END, "
        "a.privilege_type, a.is_grantable"
    )
    names = ", ".join(literal(o) for o in objs)
    if kind == "database":
        return (
            f"SELECT 'A', d.datname, {grantee} FROM pg_database d LEFT JOIN LATERAL "
            "aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a ON true "
            f"WHERE d.datname IN ({names});"
        )
    if kind == "schema":
        return (
            f"SELECT 'A', n.nspname, {grantee} FROM pg_namespace n LEFT JOIN LATERAL "
            "aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a ON true "
            f"WHERE n.nspname IN ({names});"
        )
    relkinds = "'S'" if kind == "sequence" else "'r', 'v', 'm', 'f', 'p'"
    which = "" if objs == ["ALL_IN_SCHEMA"] else f" AND c.relname IN ({names})"
    letter = "s" if kind == "sequence" else "r"
    return (
        f"SELECT 'A', c.relname, {grantee} FROM pg_class c JOIN pg_namespace n ON "
        f"n.oid = c.relnamespace LEFT JOIN LATERAL aclexplode(coalesce(c.relacl, "
        f"acldefault('{letter}', c.relowner))) a ON true WHERE n.nspname = "
        f"{literal(schema)} AND c.relkind IN ({relkinds}){which};"
    )


def expand(privs: str, kind: str) -> set[str]:
    every = _KINDS[kind][0]
    out: set[str] = set()
    for word in _split(privs):
        name = _ALIASES.get(" ".join(word.upper().split()), " ".join(word.upper().split()))
        if name == "ALL":
            out |= every
        elif name in every:
            out.add(name)
        else:
            raise ModuleError(f"Invalid privileges specified: {word} (for type {kind})")
    return out


def plan(
    args: dict[str, Any], kind: str, wanted: set[str], objs: list[str], roles: list[str], acl: Acl
) -> list[str]:
    keyword, schema, out = _KINDS[kind][1], args["schema"] or "public", []
    option = args["grant_option"]
    for obj in objs:
        target = ident(obj) if kind in ("database", "schema") else f"{ident(schema)}.{ident(obj)}"
        for role in roles:
            held = acl.get((obj, "PUBLIC" if role.upper() == "PUBLIC" else role), {})
            who = "PUBLIC" if role.upper() == "PUBLIC" else ident(role)
            out += _changes(args["state"], option, wanted, held, f"ON {keyword} {target}", who)
    return out


def _changes(
    state: str, option: bool | None, wanted: set[str], held: dict[str, bool], on: str, who: str
) -> list[str]:
    """The GRANT/REVOKE for one object and role."""
    if state == "absent":
        if option:  # revoke only the right to grant on
            drop = sorted(p for p in wanted if held.get(p))
            return [f"REVOKE GRANT OPTION FOR {', '.join(drop)} {on} FROM {who};"] if drop else []
        drop = sorted(p for p in wanted if p in held)
        return [f"REVOKE {', '.join(drop)} {on} FROM {who};"] if drop else []
    grant = sorted(p for p in wanted if p not in held or (option and not held[p]))
    out = (
        [f"GRANT {', '.join(grant)} {on} TO {who}{' WITH GRANT OPTION' if option else ''};"]
        if grant
        else []
    )
    strip = sorted(p for p in wanted if held.get(p)) if option is False else []
    if strip:
        out.append(f"REVOKE GRANT OPTION FOR {', '.join(strip)} {on} FROM {who};")
    return out


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]
