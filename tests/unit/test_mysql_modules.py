"""mysql_db/mysql_user's client script, run for real by sh against a stand-in ``mysql``.

No mysqld/mariadbd is installed on this machine (and none may be), so the stand-in client
records what the real one would get: its argv, the option file (content and mode) and the
SQL on its stdin. That proves the login travels in a private file, never on a command line,
and that the file is gone afterwards.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from playbook_engine.modules.mysql_db import MysqlDb, dump_command
from playbook_engine.modules.mysql_user import MysqlUser
from playbook_engine.modules.util.mysql import client_script, mysql_command, rows
from playbook_engine.testing.recorded import Answer, RecordedHost

FAKE = """#!/bin/sh
out=$FAKE_OUT
printf '%s\\n' "$@" > "$out/argv"
f=${1#--defaults-file=}
cp "$f" "$out/cnf"; stat -c %a "$f" > "$out/mode"; echo "$f" > "$out/path"
cat > "$out/stdin"
printf 'shop\\tx\\\\ty\\n'
"""


@pytest.fixture
def fake(tmp_path: Path) -> dict[str, str]:
    bin_dir, out, home = tmp_path / "bin", tmp_path / "out", tmp_path / "home"
    for d in (bin_dir, out, home):
        d.mkdir()
    (bin_dir / "mysql").write_text(FAKE)
    (bin_dir / "mysql").chmod(0o755)
    (home / ".my.cnf").write_text("[client]\nuser=fromfile\n")
    return {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "FAKE_OUT": str(out),
        "HOME": str(home),
        "TMPDIR": str(tmp_path),
    }


def _args(**given: object) -> dict[str, object]:
    return MysqlDb.coerce({"name": "shop", **given})


def test_login_rides_in_a_private_option_file_never_on_the_command_line(
    fake: dict[str, str], tmp_path: Path
) -> None:
    args = _args(login_user="app", login_password='s3cr"et\\x', login_port=3307)
    script, stdin = client_script(args, mysql_command(), "test")
    assert "s3cr" not in script and "app" not in script
    proc = subprocess.run(
        ["sh", "-c", script],
        input=stdin + b"SELECT 1;\n",
        env=fake,
        capture_output=True,
        check=False,
    )
    out = tmp_path / "out"
    assert proc.returncode == 0, proc.stderr
    assert rows(proc.stdout.decode()) == [["shop", "x\ty"]]
    assert (out / "mode").read_text().strip() == "600"
    cnf = (out / "cnf").read_text().splitlines()
    assert cnf[0] == f"!include {fake['HOME']}/.my.cnf"
    assert cnf[1:] == [
        "[client]",
        'user="app"',
        'password="s3cr\\"et\\\\x"',
        'connect-timeout="30"',
        'host="localhost"',
        'port="3307"',
    ]
    assert "s3cr" not in (out / "argv").read_text()
    assert (out / "stdin").read_text() == "SELECT 1;\n"
    assert not Path((out / "path").read_text().strip()).exists()  # removed afterwards


def test_a_missing_config_file_is_not_included(fake: dict[str, str], tmp_path: Path) -> None:
    args = _args(config_file="/nonexistent/my.cnf", login_unix_socket="/run/my.sock")
    script, stdin = client_script(args, mysql_command(), "test")
    subprocess.run(["sh", "-c", script], input=stdin, env=fake, check=True, capture_output=True)
    cnf = (tmp_path / "out" / "cnf").read_text().splitlines()
    assert cnf == ["[client]", 'connect-timeout="30"', 'socket="/run/my.sock"', 'host="localhost"']


@pytest.mark.parametrize("state", ["present", "absent"])
def test_mysql_user_password_is_on_no_command_line_nor_in_the_result(state: str) -> None:

    host = RecordedHost(
        [
            Answer(
                "# mysql_user: read user",
                stdout="H\tlocalhost\nP\tlocalhost\tmysql_native_password\t0\n",
            ),
            Answer("# mysql_user: change user"),
        ]
    )
    args = MysqlUser.coerce(
        {"name": "app", "password": "pw-Zq81", "state": state, "login_password": "root-Zq81"}
    )
    result = MysqlUser().run(args, host).as_dict()  # type: ignore[arg-type]
    assert result["changed"] is True
    assert not any("Zq81" in c for c in host.commands)
    assert "Zq81" not in repr(result)


FAKE_DUMP = """#!/bin/sh
printf '%s\\n' "$@" > "$FAKE_OUT/dump_argv"
echo "-- dump"
"""


def test_dump_to_gz_runs_mysqldump_then_gzip_and_leaves_no_temp_file(
    fake: dict[str, str], tmp_path: Path
) -> None:
    dump = Path(fake["PATH"].split(":")[0]) / "mysqldump"
    dump.write_text(FAKE_DUMP)
    dump.chmod(0o755)
    target = tmp_path / "all.sql.gz"
    args = MysqlDb.coerce(
        {"name": ["a", "b"], "state": "dump", "target": str(target), "login_password": "pw-Zq81"}
    )
    shell, shown = dump_command(args, ["a", "b"])
    script, stdin = client_script(args, shell, "test")
    proc = subprocess.run(
        ["sh", "-c", script], input=stdin, env=fake, capture_output=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert (
        subprocess.run(
            ["gzip", "-dc", str(target)], capture_output=True, text=True, check=True
        ).stdout
        == "-- dump\n"
    )
    argv = (tmp_path / "out" / "dump_argv").read_text().splitlines()
    assert argv[0].startswith("--defaults-file=") and argv[1:] == [
        "--quick",
        "--databases",
        "a",
        "b",
    ]
    assert shown == f"mysqldump --quick --databases a b | gzip > {target}"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pbe-my")]
