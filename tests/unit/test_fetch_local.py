"""fetch on the local connection: destination errors name the real reason, and with
become the file streams to disk instead of passing through memory."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import playbook_engine as pbe
from playbook_engine.testing.processes import peak_rss

LOCAL = {"all": {"hosts": {"h": None}, "vars": {"ansible_connection": "local"}}}


def fetch_play(
    tmp_path: Path, src: Path, dest: str, flat: bool = True, become: bool = False
) -> Path:
    book = tmp_path / "fetch.yml"
    book.write_text(f"""
- hosts: all
  gather_facts: false
  tasks:
    - name: fetch
      fetch: {{src: "{src}", dest: "{dest}", flat: {str(flat).lower()}}}
      become: {str(become).lower()}
""")
    return book


def fetch_message(tmp_path: Path, dest: str, flat: bool = True) -> str:
    src = tmp_path / "src.txt"
    src.write_text("data\n")
    result = pbe.run(fetch_play(tmp_path, src, dest, flat), LOCAL)
    assert result.exit_code == 2
    (res,) = [r for r in result.results if r.task_name == "fetch"]
    assert res.status == "failed"
    return str(res.result["msg"])


def test_a_file_where_a_directory_should_be(tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("in the way\n")
    assert fetch_message(tmp_path, f"{blocker}/sub/copy") == (
        f"cannot create directory {blocker}/sub on the controller: {blocker} is not a directory"
    )
    assert fetch_message(tmp_path, f"{blocker}/copy") == (
        f"cannot create directory {blocker} on the controller: {blocker} is not a directory"
    )
    assert fetch_message(tmp_path, str(blocker), flat=False) == (
        f"cannot create directory {blocker}/h{tmp_path} on the controller: "
        f"{blocker} is not a directory"
    )
    assert blocker.read_text() == "in the way\n"


def test_a_read_only_destination(tmp_path: Path) -> None:
    """A read-only file system (a private mount: root ignores mode bits) in a subprocess."""
    if (
        shutil.which("unshare") is None
        or subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False).returncode
        != 0
    ):
        pytest.skip("needs `unshare -m` (root, mount namespaces) for a read-only mount")
    src, ro = tmp_path / "src.txt", tmp_path / "ro"
    src.write_text("data\n")
    ro.mkdir()
    book = fetch_play(tmp_path, src, f"{ro}/")
    script = (
        f"mount -t tmpfs -o ro none {ro} && exec {sys.executable} -m playbook_engine "
        f"run {book} -i localhost, -e ansible_connection=local"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run(
        ["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert (
        f'"msg": "cannot write {ro}/src.txt on the controller: Read-only file system (in {ro})"'
    ) in proc.stdout
    assert "internal error" not in proc.stdout + proc.stderr


def test_fetch_with_become_streams_the_file(tmp_path: Path) -> None:
    if shutil.which("sudo") is None or os.geteuid() != 0:
        pytest.skip("become on the local connection needs sudo, run as root")
    src = tmp_path / "big.bin"
    with src.open("wb") as fh:  # 96 MB that do not compress into anything smaller
        for _ in range(96):
            fh.write(os.urandom(1 << 20))
    book = fetch_play(tmp_path, src, f"{tmp_path}/out/", become=True)
    code, peak = peak_rss(
        ["run", str(book), "-i", "localhost,", "-e", "ansible_connection=local"],
        tmp_path / "stdout.txt",
    )
    assert code == 0, (tmp_path / "stdout.txt").read_text()
    copy = tmp_path / "out" / "big.bin"
    assert hashlib.sha1(copy.read_bytes()).digest() == hashlib.sha1(src.read_bytes()).digest()
    assert peak < 90, f"peak RSS {peak:.0f} MB fetching a 96 MB file"
