"""A private PostgreSQL server for tests: initdb in a fresh temp dir, listening on a unix
socket in that dir only (no TCP), trust authentication, run as the ``postgres`` user (the
server refuses root). Never touches a system cluster; removed at the end."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PORT = 5432  # no TCP listener: the port only names the socket file in the private dir


def available() -> bool:
    return bool(
        shutil.which("initdb")
        and shutil.which("pg_ctl")
        and shutil.which("psql")
        and shutil.which("runuser")
    )


def _as_postgres(*argv: str) -> None:
    subprocess.run(
        ["runuser", "-u", "postgres", "--", *argv], check=True, capture_output=True, timeout=120
    )


@contextmanager
def server() -> Iterator[Path]:
    """Yields the socket directory (``login_unix_socket``)."""
    root = Path(tempfile.mkdtemp(prefix="pbe-pg-"))
    shutil.chown(root, "postgres", "postgres")
    data, sock = root / "data", root / "sock"
    _as_postgres("mkdir", str(sock))
    _as_postgres(
        "initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C"
    )
    options = f"-k {sock} -c listen_addresses= -p {PORT} -c fsync=off"
    _as_postgres("pg_ctl", "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start")
    root.chmod(0o755)
    try:
        yield sock
    finally:
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                "pg_ctl",
                "-D",
                str(data),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(root, ignore_errors=True)


def query(sock: Path, sql: str, db: str = "postgres") -> str:
    """One query's unaligned, tuples-only output (the test's own view of the server)."""
    res = subprocess.run(
        [
            "psql",
            "-X",
            "-A",
            "-t",
            "-h",
            str(sock),
            "-p",
            str(PORT),
            "-U",
            "postgres",
            "-d",
            db,
            "-c",
            sql,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return res.stdout.strip()
