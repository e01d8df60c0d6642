"""Secrets over real SSH: a become password templated from a vault-like variable is
resolved before the host's first task (so it is masked even where no task has used it yet),
really fed to sudo (the fleet's `nobody` rule asks for it), and never shown by any output
at -v/-vv/-vvv: console, json, jsonl, JUnit, --log, --profile, --retry-file, stderr."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from playbook_engine.cli import main
from playbook_engine.masking import MASK
from playbook_engine.testing.fleet import Fleet

pytestmark = pytest.mark.fleet

BOOK = """
- hosts: fleet
  gather_facts: false
  tasks:
    - name: before any become
      debug: {msg: "vault {{ vault_become }} ssh {{ ansible_password }}"}
    - name: become with the templated password
      command: id -un
      become: true
      become_user: nobody
      register: who
    - assert: {that: "who.stdout == 'nobody'"}
    - name: the password on a command line (-vv shows commands)
      shell: echo "{{ ansible_become_password }}" | sudo -S -p '' -u nobody id -un
      register: piped
    - assert: {that: "piped.stdout == 'nobody'"}
    - name: a hidden task whose keyword fails to convert
      command: "true"
      timeout: "{{ vault_become }}"
      no_log: true
      ignore_errors: true
"""


def pbe(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def project(fleet: Fleet, tmp_path: Path) -> tuple[Path, Path]:
    inv = tmp_path / "inv"
    (inv / "group_vars").mkdir(parents=True)
    (inv / "host_vars").mkdir()
    fleet.write_inventory(inv / "hosts.yml", hosts=["h01", "h02"])
    (inv / "group_vars" / "fleet.yml").write_text(
        f'ansible_become_password: "{{{{ vault_become }}}}"\nvault_become: "{fleet.password}"\n'
    )
    for host in ("h01", "h02"):  # key auth is tried first; the password is only a secret here
        (inv / "host_vars" / f"{host}.yml").write_text(
            f'ansible_password: "{{{{ vault_ssh }}}}"\nvault_ssh: "{fleet.password}"\n'
        )
    book = tmp_path / "site.yml"
    book.write_text(BOOK)
    return book, inv


@pytest.mark.parametrize("verbosity", ["-v", "-vv", "-vvv"])
def test_templated_become_password_works_and_never_shows(
    fleet: Fleet, project: tuple[Path, Path], tmp_path: Path, verbosity: str
) -> None:
    book, inv = project
    files = {n: tmp_path / n for n in ("junit.xml", "run.log", "retry.txt")}
    for fmt in ("human", "json", "jsonl"):
        code, out, err = pbe(
            "run",
            str(book),
            "-i",
            str(inv),
            verbosity,
            "--format",
            fmt,
            "--known-hosts",
            str(fleet.known_hosts),
            "--ssh-config",
            os.devnull,
            "--profile",
            "--junit",
            str(files["junit.xml"]),
            "--log",
            str(files["run.log"]),
            "--retry-file",
            str(files["retry.txt"]),
        )
        assert code == 0, out + err
        texts = [out, err, *(f.read_text() for f in files.values() if f.exists())]
        assert not [t for t in texts if fleet.password in t], (verbosity, fmt)
        assert "internal error" not in out + err
        if fmt == "json":
            tasks = json.loads(out)["plays"][0]["tasks"]
            first = tasks[0]["hosts"]["h01"]["result"]["msg"]
            assert first == f"vault {MASK} ssh {MASK}"
            assert tasks[-1]["hosts"]["h02"]["status"] == "failed"
            assert tasks[-1]["hosts"]["h02"]["ignored"] is True
        if fmt == "human" and verbosity != "-v":
            assert f'echo "{MASK}" | sudo -S' in out  # the command line, masked
