"""mysql_info: facts about a MySQL/MariaDB server (version, settings, status, databases)
with the host's own ``mysql`` client, in one round trip (see ``util/mysql``)."""

from __future__ import annotations

from typing import Any

from ..errors import ModuleError
from . import register
from .base import Arg, ModuleContext
from .result import Result
from .util.mysql import LOGIN_ARGS, MysqlModule, failure, rows

_MARK = "@@pbe-s@@"
_SUBSETS = {
    "settings": ["SHOW GLOBAL VARIABLES;"],
    "global_status": ["SHOW GLOBAL STATUS;"],
    "databases": [
        "SELECT s.SCHEMA_NAME, coalesce(SUM(t.DATA_LENGTH + t.INDEX_LENGTH), 0), "
        "COUNT(t.TABLE_NAME) FROM information_schema.SCHEMATA s LEFT JOIN "
        "information_schema.TABLES t ON t.TABLE_SCHEMA = s.SCHEMA_NAME "
        "GROUP BY s.SCHEMA_NAME;"
    ],
}
_UNSUPPORTED = ("engines", "users", "users_info", "master_status", "slave_status", "slave_hosts")


@register("mysql_info", "community.mysql.mysql_info", "ansible.mysql.mysql_info")
class MysqlInfo(MysqlModule):
    """Gather facts about a MySQL/MariaDB server."""

    args = {
        "filter": Arg(
            "list", elements="str", description="Subsets to return; !name to leave one out."
        ),
        "exclude_fields": Arg("list", elements="str", description="Accepted (db_size)."),
        "return_empty_dbs": Arg(
            "bool", default=False, description="Also list databases without tables."
        ),
        "login_db": Arg("str", description="Accepted."),
        **{k: v for k, v in LOGIN_ARGS.items() if k != "sql_log_bin"},
    }
    returns = {
        "version": "major, minor, release, suffix, full",
        "settings": "global variables",
        "global_status": "global status",
        "databases": "name → size",
        "server_engine": "MySQL or MariaDB",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        wanted = subsets(args["filter"] or [])
        queries = {"settings" if name == "version" else name for name in wanted}
        statements = []
        for name in sorted(queries | {"settings"}):
            statements += [f"SELECT '{_MARK}', '{name}';", *_SUBSETS[name]]
        res = self.sql(args, ctx, statements, "read server")
        if res.rc != 0:
            raise ModuleError(f"cannot read the server's information: {failure(res)}")
        found = parse_sections(res.out)
        settings = {k: _convert(v[0]) for k, v in found.get("settings", {}).items()}
        full = str(settings.get("version", ""))
        info: dict[str, Any] = {
            "version": version(full),
            "settings": settings,
            "global_status": {k: _convert(v[0]) for k, v in found.get("global_status", {}).items()},
            "databases": {
                name: {"size": int(v[0])}
                for name, v in found.get("databases", {}).items()
                if args["return_empty_dbs"] or v[1] != "0"
            },
        }
        values = {k: v for k, v in info.items() if k in wanted}
        values["server_engine"] = "MariaDB" if "mariadb" in full.lower() else "MySQL"
        return Result(values=values)


def subsets(filter_: list[str]) -> set[str]:
    known = {"version", *_SUBSETS}
    for name in filter_:
        if name.lstrip("!") in _UNSUPPORTED:
            raise ModuleError(f"mysql_info: filter {name.lstrip('!')} is not supported by pbe yet")
    include = {f for f in filter_ if not f.startswith("!") and f in known}
    exclude = {f[1:] for f in filter_ if f.startswith("!")}
    return (include or known) - exclude


def parse_sections(out: str) -> dict[str, dict[str, list[str]]]:
    """Marker rows name the section the following ``name value…`` rows belong to."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for row in rows(out):
        if row[0] == _MARK and len(row) == 2:
            current = sections.setdefault(row[1], {})
        elif len(row) >= 2:
            current[row[0]] = row[1:]
    return sections


def version(full: str) -> dict[str, Any]:
    """``10.11.6-MariaDB-0+deb12u1`` → major 10, minor 11, release 6, suffix the rest."""
    parts = full.split(".", 2)
    if len(parts) < 3:
        return {"major": 0, "minor": 0, "release": 0, "suffix": "", "full": full}
    release, _, suffix = parts[2].partition("-")
    return {
        "major": _int(parts[0]),
        "minor": _int(parts[1]),
        "release": _int(release),
        "suffix": suffix,
        "full": full,
    }


def _int(text: str) -> int:
    return int(text) if text.isdigit() else 0


def _convert(value: str) -> Any:
    try:
        return int(value)
    except ValueError:
        return value
