"""mysql_replication: read or steer MySQL/MariaDB replication with the host's own ``mysql``
client (the login as in ``util/mysql``: on stdin, never on a command line).

One command reads the server's version and the status the mode needs (``SHOW REPLICA
STATUS``, falling back to ``SLAVE`` on servers that predate the word; ``SHOW MASTER
STATUS``, falling back to ``BINARY LOG STATUS`` on MySQL 8.4). The get modes stop there.
Start and stop compare the replica's threads first, so they change only what is not so
already and a check run knows the outcome; the change and reset modes always act, as in
Ansible. Statements use the terms the server's version takes (``START REPLICA`` or
``START SLAVE``, ``CHANGE REPLICATION SOURCE TO`` on MySQL 8.0.23 and later).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import ModuleError
from ..masking import MASK
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .result import Result
from .util.mysql import LOGIN_ARGS, MysqlModule, failure, literal, rows

MODES = (
    "changeprimary", "changereplication", "getprimary", "getreplica", "startreplica",
    "stopreplica", "resetprimary", "resetreplica", "resetreplicaall",
)  # fmt: skip
# the names community.mysql used before 3.0, which roles still write
OLD_MODES = {
    "getmaster": "getprimary",
    "getslave": "getreplica",
    "changemaster": "changeprimary",
    "startslave": "startreplica",
    "stopslave": "stopreplica",
    "resetmaster": "resetprimary",
    "resetslave": "resetreplica",
    "resetslaveall": "resetreplicaall",
}
_MSG = {  # mode: (message when changed, message when not)
    "startreplica": ("Replica started ", "Replica already started (Or cannot be started)"),
    "stopreplica": ("Replica stopped", "Replica already stopped"),
    "resetprimary": ("Primary reset", "Primary already reset"),
    "resetreplica": ("Replica reset", "Replica already reset"),
    "resetreplicaall": ("Replica reset", "Replica already reset"),
}
# (argument, MASTER_ name, SOURCE_ name, how the value is written)
_CHANGE = (
    ("primary_host", "MASTER_HOST", "SOURCE_HOST", "str"),
    ("primary_user", "MASTER_USER", "SOURCE_USER", "str"),
    ("primary_password", "MASTER_PASSWORD", "SOURCE_PASSWORD", "secret"),
    ("primary_port", "MASTER_PORT", "SOURCE_PORT", "int"),
    ("primary_connect_retry", "MASTER_CONNECT_RETRY", "SOURCE_CONNECT_RETRY", "int"),
    ("primary_log_file", "MASTER_LOG_FILE", "SOURCE_LOG_FILE", "str"),
    ("primary_log_pos", "MASTER_LOG_POS", "SOURCE_LOG_POS", "int"),
    ("primary_delay", "MASTER_DELAY", "SOURCE_DELAY", "int"),
    ("relay_log_file", "RELAY_LOG_FILE", "RELAY_LOG_FILE", "str"),
    ("relay_log_pos", "RELAY_LOG_POS", "RELAY_LOG_POS", "int"),
    ("primary_ssl", "MASTER_SSL", "SOURCE_SSL", "bool"),
    ("primary_ssl_ca", "MASTER_SSL_CA", "SOURCE_SSL_CA", "str"),
    ("primary_ssl_capath", "MASTER_SSL_CAPATH", "SOURCE_SSL_CAPATH", "str"),
    ("primary_ssl_cert", "MASTER_SSL_CERT", "SOURCE_SSL_CERT", "str"),
    ("primary_ssl_key", "MASTER_SSL_KEY", "SOURCE_SSL_KEY", "str"),
    ("primary_ssl_cipher", "MASTER_SSL_CIPHER", "SOURCE_SSL_CIPHER", "str"),
    (
        "primary_ssl_verify_server_cert",
        "MASTER_SSL_VERIFY_SERVER_CERT",
        "SOURCE_SSL_VERIFY_SERVER_CERT",
        "bool",
    ),
)


@dataclass(frozen=True, slots=True)
class Server:
    """What the probe read: the server's version and the status the mode asked for (one
    row as column -> value; empty when the server has none)."""

    version: str
    status: dict[str, str] = field(default_factory=dict)

    @property
    def mariadb(self) -> bool:
        return "mariadb" in self.version.lower()

    def at_least(self, *wanted: int) -> bool:
        numbers = tuple(int(n) for n in re.findall(r"\d+", self.version)[:3])
        return numbers >= wanted

    @property
    def replica_word(self) -> str:
        """REPLICA from MariaDB 10.5.1 and MySQL 8.0.22 on, SLAVE before."""
        new = self.at_least(10, 5, 1) if self.mariadb else self.at_least(8, 0, 22)
        return "REPLICA" if new else "SLAVE"

    @property
    def source_words(self) -> bool:
        """MySQL 8.0.23 and later: CHANGE REPLICATION SOURCE TO, SOURCE_* options."""
        return not self.mariadb and self.at_least(8, 0, 23)


def _args() -> dict[str, Arg]:
    spec = {
        "mode": Arg(
            "str",
            default="getreplica",
            choices=MODES + tuple(OLD_MODES),
            description="What to do; the old names (getmaster, getslave, changemaster, "
            "startslave, stopslave, resetmaster, resetslave, resetslaveall) are taken too.",
        ),
        "channel": Arg("str", description="The replication channel (MySQL multi-source)."),
        "connection_name": Arg(
            "str", description="The primary connection's name (MariaDB multi-source)."
        ),
        "fail_on_error": Arg(
            "bool", default=False, description="Fail when a start, stop or reset fails."
        ),
        "primary_auto_position": Arg(
            "bool",
            default=False,
            aliases=("master_auto_position",),
            description="GTID-based replication (MASTER_AUTO_POSITION=1).",
        ),
        "primary_use_gtid": Arg(
            "str",
            choices=("current_pos", "replica_pos", "disabled"),
            aliases=("master_use_gtid",),
            description="MariaDB's MASTER_USE_GTID.",
        ),
    }
    kinds = {"str": "str", "secret": "str", "int": "int", "bool": "bool"}
    for name, master, _, kind in _CHANGE:
        aliases = (name.replace("primary_", "master_"),) if name.startswith("primary_") else ()
        what = "hidden from results" if kind == "secret" else f"CHANGE MASTER's {master}"
        spec[name] = Arg(kinds[kind], aliases=aliases, description=f"{master} ({what}).")
    return {**spec, **LOGIN_ARGS}


@register(
    "mysql_replication", "community.mysql.mysql_replication", "ansible.mysql.mysql_replication"
)
class MysqlReplication(MysqlModule):
    """Read or steer MySQL/MariaDB replication: status, change primary, start, stop."""

    args = _args()
    mutually_exclusive = (("channel", "connection_name"),)
    returns = {
        "queries": "the statements run that change the server (the password masked)",
        "Is_Primary": "getprimary: whether binary logging is on",
        "Is_Replica": "getreplica: whether the server is a replica",
        "File": "getprimary: the current binary log (and the other status columns)",
        "Position": "getprimary: the position in it",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        mode = OLD_MODES.get(args["mode"], args["mode"])
        server = self.probe(args, ctx, mode)
        if mode == "getprimary":
            return Result(values={"queries": [], **primary_values(server)})
        if mode == "getreplica":
            return Result(values={"queries": [], **replica_values(server)})
        statements, shown = plan(args, mode, server)
        if not statements:
            # a replica a check run would configure earlier may start: not known here
            unknown = ctx.check and mode == "startreplica" and not running(server)[0]
            return Result(msg=_MSG[mode][1], values={"queries": []}, unknown=unknown)
        changed_msg = _MSG[mode][0] if mode in _MSG else None
        if ctx.check:
            return Result(changed=True, msg=changed_msg, values={"queries": shown})
        res = self.sql(args, ctx, [f"{s};" for s in statements], mode)
        if res.rc == 0:
            return Result(changed=True, msg=changed_msg, values={"queries": shown})
        if mode in ("changeprimary", "changereplication") or args["fail_on_error"]:
            raise ModuleError(f"{shown[-1]} failed: {server_error(res.err) or failure(res)}")
        return Result(msg=_MSG[mode][1], values={"queries": shown})

    def probe(self, args: dict[str, Any], ctx: ModuleContext, mode: str) -> Server:
        """The version and the mode's status, in one command."""
        if mode == "getprimary":
            first, then = "SHOW MASTER STATUS", "SHOW BINARY LOG STATUS"
        else:
            first = replica_statement(args, "SHOW", "REPLICA", "STATUS")
            then = replica_statement(args, "SHOW", "SLAVE", "STATUS")
        client = 'mysql --defaults-file="$_c" --batch'
        command = (
            f"_v=$({client} --skip-column-names -e 'SELECT VERSION()') && "
            "{ printf 'version\\t%s\\n' \"$_v\"; "
            f"{client} -e {quote(first)} 2>/dev/null || {client} -e {quote(then)}; }}"
        )
        res = self.sql(args, ctx, [], f"{mode}: status", client=command)
        if res.rc != 0:
            raise ModuleError(f"cannot read the replication status: {failure(res)}")
        return parse_status(res.out)


def server_error(err: str) -> str:
    """The server's ``ERROR …`` line, without the statement the client echoes above it."""
    return next((line for line in reversed(err.splitlines()) if line.startswith("ERROR")), "")


def replica_statement(args: dict[str, Any], verb: str, word: str, tail: str = "") -> str:
    """``VERB REPLICA|SLAVE ['name'] TAIL [FOR CHANNEL 'x']``."""
    parts = [verb, word]
    if args["connection_name"]:
        parts.append(literal(args["connection_name"]))
    if tail:
        parts.append(tail)
    if args["channel"]:
        parts.append(f"FOR CHANNEL {literal(args['channel'])}")
    return " ".join(parts)


def parse_status(out: str) -> Server:
    """The probe's output: ``version<TAB>V``, then the status as a header and one row."""
    lines = out.splitlines()
    if not lines or not lines[0].startswith("version\t"):
        raise ModuleError(f"cannot read the replication status: unexpected reply {out!r}")
    version = lines[0].split("\t", 1)[1]
    table = rows("\n".join(lines[1:]))
    if len(table) < 2:
        return Server(version)
    return Server(version, dict(zip(table[0], table[1], strict=False)))


def primary_values(server: Server) -> dict[str, Any]:
    status: dict[str, Any] = dict(server.status)
    if "File" in status and "Position" in status:
        status["Position"] = _number(status["Position"])
        return {**status, "Is_Primary": True}
    return {
        "Is_Primary": False,
        "msg": "Server is not configured as mysql primary. Meaning: Binary logs are disabled",
    }


def replica_values(server: Server) -> dict[str, Any]:
    status: dict[str, Any] = {k: _number(v) for k, v in server.status.items()}
    if "Slave_IO_Running" in status or "Replica_IO_Running" in status:
        return {**status, "Is_Replica": True}
    return {"Is_Replica": False, "msg": "Server is not configured as mysql replica"}


def _number(value: str) -> Any:
    """Numeric status columns as numbers, as the Python driver returns them."""
    return int(value) if value.isdigit() else value


def running(server: Server) -> tuple[bool, bool]:
    """(whether the replica is configured, whether any of its threads runs)."""
    status = server.status
    io = status.get("Slave_IO_Running", status.get("Replica_IO_Running"))
    sql = status.get("Slave_SQL_Running", status.get("Replica_SQL_Running"))
    if io is None:
        return False, False
    return True, io != "No" or sql != "No"


def plan(args: dict[str, Any], mode: str, server: Server) -> tuple[list[str], list[str]]:
    """The statements to run (empty: nothing to do) and how they are reported."""
    word = server.replica_word
    configured, active = running(server)
    if mode == "startreplica":
        # an unconfigured replica cannot start: not a change, unless the error is wanted
        idle = configured and not _all_running(server)
        start = idle or (not configured and args["fail_on_error"])
        return _same([replica_statement(args, "START", word)] if start else [])
    if mode == "stopreplica":
        return _same([replica_statement(args, "STOP", word)] if active else [])
    if mode == "resetreplica":
        return _same([replica_statement(args, "RESET", word)])
    if mode == "resetreplicaall":
        return _same([replica_statement(args, "RESET", word, "ALL")])
    if mode == "resetprimary":
        modern = not server.mariadb and server.at_least(8, 4)
        return _same(["RESET BINARY LOGS AND GTIDS" if modern else "RESET MASTER"])
    return change_statement(args, server, source=mode == "changereplication")


def _all_running(server: Server) -> bool:
    status = server.status
    io = status.get("Slave_IO_Running", status.get("Replica_IO_Running"))
    sql = status.get("Slave_SQL_Running", status.get("Replica_SQL_Running"))
    return io != "No" and sql != "No"


def _same(statements: list[str]) -> tuple[list[str], list[str]]:
    return statements, list(statements)


def change_statement(
    args: dict[str, Any], server: Server, source: bool
) -> tuple[list[str], list[str]]:
    """CHANGE MASTER TO (or CHANGE REPLICATION SOURCE TO) with the options given; the
    shown copy has the password masked."""
    if source and not server.source_words:
        raise ModuleError("changereplication needs MySQL 8.0.23 or later")
    source = source or server.source_words
    real, shown = [], []
    for name, master, src, kind in _CHANGE:
        if (value := args[name]) is None:
            continue
        key = src if source else master
        text = _value(value, kind)
        real.append(f"{key}={text}")
        shown.append(f"{key}={literal(MASK) if kind == 'secret' else text}")
    if args["primary_auto_position"]:
        auto = "SOURCE_AUTO_POSITION=1" if source else "MASTER_AUTO_POSITION=1"
        real.append(auto)
        shown.append(auto)
    if (gtid := args["primary_use_gtid"]) is not None:
        gtid = "slave_pos" if gtid == "replica_pos" and not server.at_least(10, 5, 1) else gtid
        real.append(f"MASTER_USE_GTID={'no' if gtid == 'disabled' else gtid}")
        shown.append(real[-1])
    head = "CHANGE REPLICATION SOURCE TO" if source else "CHANGE MASTER TO"
    if args["connection_name"]:
        head = f"CHANGE MASTER {literal(args['connection_name'])} TO"
    tail = f" FOR CHANNEL {literal(args['channel'])}" if args["channel"] else ""
    return [f"{head} {','.join(real)}{tail}"], [f"{head} {','.join(shown)}{tail}"]


def _value(value: Any, kind: str) -> str:
    if kind == "int":
        return str(int(value))
    if kind == "bool":
        return "1" if value else "0"
    return literal(str(value))
