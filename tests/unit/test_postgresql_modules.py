"""postgresql_db/_user/_privs against a real, private PostgreSQL server started for these
tests (tests/unit/pgserver.py): check mode predicts the run, the second run changes
nothing, and the server really is in the state asked for."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pgserver
import pytest

from playbook_engine.api import run
from playbook_engine.modules.postgresql_db import PostgresqlDb
from playbook_engine.modules.util.postgres import client_script, psql_words
from playbook_engine.testing.parity import check_predicts_run

pytestmark = pytest.mark.skipif(not pgserver.available(), reason="no PostgreSQL installed")
LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}


@pytest.fixture(scope="module")
def sock() -> Iterator[Path]:
    with pgserver.server() as path:
        yield path


def _book(tmp_path: Path, sock: Path, tasks: str) -> Path:
    book = tmp_path / "site.yml"
    book.write_text(f"""
- hosts: all
  gather_facts: false
  vars:
  tasks:
{tasks}
""")
    return book


def test_postgresql_db_is_created_changed_renamed_and_dropped(tmp_path: Path, sock: Path) -> None:
    login = f'login_unix_socket: "{sock}"\n        login_port: {pgserver.PORT}'
    book = _book(
        tmp_path,
        sock,
        f"""
    - community.postgresql.postgresql_db:
        name: shop
        encoding: UTF-8
        template: template0
        conn_limit: "20"
        comment: the shop's "data"
        {login}
      register: made
""",
    )
    check_predicts_run(book, LOCAL, unchanged=lambda: _no_db(sock, "shop"))
    row = pgserver.query(
        sock,
        "SELECT pg_encoding_to_char(encoding), datconnlimit, "
        "shobj_description(oid, 'pg_database') FROM pg_database "
        "WHERE datname = 'shop'",
    )
    assert row == 'UTF8|20|the shop\'s "data"'
    book = _book(
        tmp_path,
        sock,
        f"""
    - postgresql_db:
        name: shop
        state: rename
        target: shop2
        {login}
""",
    )
    real = check_predicts_run(
        book, LOCAL, unchanged=lambda: pgserver.query(sock, "SELECT 1", "shop")
    )
    assert real.results[0].result["executed_commands"] == [
        'ALTER DATABASE "shop" RENAME TO "shop2";'
    ]
    book = _book(
        tmp_path,
        sock,
        f"""
    - postgresql_db:
        name: shop2
        state: absent
        {login}
""",
    )
    check_predicts_run(book, LOCAL, unchanged=lambda: pgserver.query(sock, "SELECT 1", "shop2"))
    _no_db(sock, "shop")
    _no_db(sock, "shop2")


def _no_db(sock: Path, name: str) -> None:
    assert pgserver.query(sock, f"SELECT count(*) FROM pg_database WHERE datname = '{name}'") == "0"


def test_postgresql_user_password_flags_and_owner(tmp_path: Path, sock: Path) -> None:
    login = f'login_unix_socket: "{sock}"\n        login_port: {pgserver.PORT}'
    book = _book(
        tmp_path,
        sock,
        f"""
    - community.postgresql.postgresql_user:
        name: app
        password: "pw:'Zq81"
        role_attr_flags: CREATEDB,NOSUPERUSER
        expires: infinity
        conn_limit: 5
        comment: the app
        {login}
      register: made
    - postgresql_db:
        name: appdb
        owner: app
        {login}
""",
    )
    real = check_predicts_run(book, LOCAL, unchanged=lambda: _no_role(sock, "app"))
    assert real.results[0].result["queries"][0] == (
        "CREATE USER \"app\" CREATEDB NOSUPERUSER PASSWORD '********' "
        "VALID UNTIL 'infinity' CONNECTION LIMIT 5;"
    )
    assert "Zq81" not in repr([r.result for r in real.results])
    assert (
        pgserver.query(
            sock,
            "SELECT rolcreatedb, rolsuper, rolconnlimit, "
            "shobj_description(oid, 'pg_authid') FROM pg_roles "
            "WHERE rolname = 'app'",
        )
        == "t|f|5|the app"
    )
    assert (
        pgserver.query(
            sock, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'appdb'"
        )
        == "app"
    )
    stored = pgserver.query(sock, "SELECT rolpassword FROM pg_authid WHERE rolname = 'app'")
    assert stored.startswith("SCRAM-SHA-256$")
    book = _book(
        tmp_path,
        sock,
        f"""
    - postgresql_user:
        name: app
        password: other
        role_attr_flags: NOCREATEDB
        {login}
""",
    )
    check_predicts_run(book, LOCAL)
    assert pgserver.query(sock, "SELECT rolcreatedb FROM pg_roles WHERE rolname = 'app'") == "f"
    assert pgserver.query(sock, "SELECT rolpassword FROM pg_authid WHERE rolname = 'app'") != stored
    book = _book(
        tmp_path,
        sock,
        f"""
    - postgresql_db: {{name: appdb, state: absent, {login.replace(chr(10) + "        ", ", ")}}}
    - postgresql_user: {{name: app, state: absent, {login.replace(chr(10) + "        ", ", ")}}}
""",
    )
    check_predicts_run(book, LOCAL)
    _no_role(sock, "app")


def _no_role(sock: Path, name: str) -> None:
    assert pgserver.query(sock, f"SELECT count(*) FROM pg_roles WHERE rolname = '{name}'") == "0"


def test_postgresql_privs_on_database_and_every_table(tmp_path: Path, sock: Path) -> None:
    pgserver.query(sock, "CREATE ROLE reader; CREATE ROLE owner_r")
    pgserver.query(sock, "CREATE DATABASE privdb")
    pgserver.query(
        sock,
        'CREATE TABLE t1 (i int); CREATE TABLE "odd ""t" (i int); CREATE SEQUENCE s1',
        "privdb",
    )
    login = f'login_unix_socket: "{sock}"\n        login_port: {pgserver.PORT}'
    book = _book(
        tmp_path,
        sock,
        f"""
    - community.postgresql.postgresql_privs:
        type: database
        login_db: privdb
        roles: owner_r
        privs: ALL
        grant_option: true
        {login}
    - postgresql_privs:
        db: privdb
        roles: reader,PUBLIC
        objs: ALL_IN_SCHEMA
        privs: SELECT
        {login}
""",
    )
    real = check_predicts_run(book, LOCAL)
    assert real.results[0].result["queries"] == [
        'GRANT CONNECT, CREATE, TEMPORARY ON DATABASE "privdb" TO "owner_r" WITH GRANT OPTION;'
    ]
    acl = pgserver.query(sock, "SELECT datacl FROM pg_database WHERE datname = 'privdb'")
    assert "owner_r=C*T*c*/postgres" in acl
    for table in ("t1", '"odd ""t"'):
        assert (
            pgserver.query(
                sock,
                f"SELECT has_table_privilege('reader', '{table}', "
                "'SELECT'), has_table_privilege('reader', "
                f"'{table}', 'INSERT')",
                "privdb",
            )
            == "t|f"
        )
    book = _book(
        tmp_path,
        sock,
        f"""
    - postgresql_privs:
        db: privdb
        roles: reader
        objs: t1
        privs: SELECT
        state: absent
        {login}
""",
    )
    check_predicts_run(book, LOCAL)
    assert (
        pgserver.query(sock, "SELECT has_table_privilege('reader', 't1', 'SELECT')", "privdb")
        == "t"
    )  # PUBLIC still has it
    assert "reader" not in pgserver.query(
        sock, "SELECT relacl FROM pg_class WHERE relname = 't1'", "privdb"
    )


def test_postgresql_schema_and_ext(tmp_path: Path, sock: Path) -> None:
    pgserver.query(sock, "CREATE ROLE schema_owner")
    pgserver.query(sock, "CREATE DATABASE extdb")
    login = f'login_unix_socket: "{sock}"\n        login_port: {pgserver.PORT}'
    book = _book(
        tmp_path,
        sock,
        f"""
    - community.postgresql.postgresql_schema:
        db: extdb
        name: app
        owner: schema_owner
        comment: app tables
        {login}
    - community.postgresql.postgresql_ext:
        db: extdb
        name: citext
        schema: app
        {login}
      register: ext
""",
    )
    real = check_predicts_run(book, LOCAL)
    assert (
        pgserver.query(
            sock,
            "SELECT pg_get_userbyid(nspowner), "
            "obj_description(oid, 'pg_namespace') FROM pg_namespace "
            "WHERE nspname = 'app'",
            "extdb",
        )
        == "schema_owner|app tables"
    )
    assert (
        pgserver.query(
            sock,
            "SELECT n.nspname, e.extversion FROM pg_extension e JOIN "
            "pg_namespace n ON n.oid = e.extnamespace WHERE "
            "extname = 'citext'",
            "extdb",
        )
        == f"app|{real.results[1].result['version']}"
    )
    assert real.results[1].result["prev_version"] == ""
    flow = login.replace("\n        ", ", ")
    book = _book(
        tmp_path,
        sock,
        f"""
    - postgresql_ext: {{db: extdb, name: citext, state: absent, {flow}}}
    - postgresql_schema: {{db: extdb, name: app, state: absent, {flow}}}
""",
    )
    check_predicts_run(book, LOCAL)
    assert (
        pgserver.query(sock, "SELECT count(*) FROM pg_namespace WHERE nspname = 'app'", "extdb")
        == "0"
    )


@pytest.mark.parametrize("suffix", ["sql.gz", "pgc", "sql"])
def test_postgresql_db_dump_and_restore(tmp_path: Path, sock: Path, suffix: str) -> None:
    db = "dump_" + suffix.replace(".", "_")
    pgserver.query(sock, f"CREATE DATABASE {db}")
    pgserver.query(sock, "CREATE TABLE t (v text); INSERT INTO t VALUES ('kept')", db)
    target = tmp_path / f"dump.{suffix}"
    login = f'login_unix_socket: "{sock}"\n        login_port: {pgserver.PORT}'
    book = _book(
        tmp_path,
        sock,
        f"""
    - postgresql_db:
        name: {db}
        state: dump
        target: {target}
        {login}
""",
    )
    real = check_predicts_run_always_changed(book)
    assert target.stat().st_size > 0
    assert real.results[0].result["executed_commands"][0].startswith("pg_dump")
    pgserver.query(sock, f"DROP DATABASE {db}")
    pgserver.query(sock, f"CREATE DATABASE {db}")
    book.write_text(book.read_text().replace("state: dump", "state: restore"))
    check_predicts_run_always_changed(book)
    assert pgserver.query(sock, "SELECT v FROM t", db) == "kept"


def check_predicts_run_always_changed(book: Path) -> Any:
    """dump and restore are a change every time (as in Ansible): check mode says so and
    leaves no file; the run does it."""
    checked = run(book, LOCAL, check=True)
    assert [r.status for r in checked.results] == ["changed"]
    real = run(book, LOCAL)
    assert [r.status for r in real.results] == ["changed"], real.results[0].result
    return real


def test_login_password_rides_in_a_private_passfile(tmp_path: Path) -> None:
    """No server needed: a stand-in psql shows what the real one would be given."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "psql").write_text(
        '#!/bin/sh\nstat -c %a "$PGPASSFILE"; cat "$PGPASSFILE"\n'
        'echo "$PGPASSFILE" > "$OUT"; echo "$@" >> "$OUT"\n'
    )
    (bin_dir / "psql").chmod(0o755)
    args = PostgresqlDb.coerce({"name": "x", "login_password": "p:w\\Zq81"})
    script, stdin = client_script(args, psql_words(args, "x"), "test")
    assert "Zq81" not in script
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "OUT": str(tmp_path / "out"),
        "TMPDIR": str(tmp_path),
    }
    proc = subprocess.run(
        ["sh", "-c", script], input=stdin, env=env, capture_output=True, check=True
    )
    assert proc.stdout.decode().splitlines() == ["600", "*:*:*:*:p\\:w\\\\Zq81"]
    passfile, argv = (tmp_path / "out").read_text().splitlines()
    assert "Zq81" not in argv and not Path(passfile).exists()
