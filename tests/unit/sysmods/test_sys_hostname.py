"""hostname against this machine, without renaming it (other work shares it): the name it
has is in state; a new name in check mode is predicted and nothing changes. Renaming is
covered by the recorded cases."""

from __future__ import annotations

import socket
from pathlib import Path

from syshelp import LOCAL

from playbook_engine import run
from playbook_engine.modules.hostname import _FILE_STYLES, file_text, permanent_name
from playbook_engine.modules.util.hostedit import TextFile


def test_current_name_is_in_state_and_a_new_one_only_predicted(root: None, book) -> None:
    name = socket.gethostname()
    before = Path("/etc/hostname").read_text()
    result = run(
        book(f"""
- hostname: {{name: {name}}}
  register: same
- hostname: {{name: pbe-never-set}}
  check_mode: true
  register: other
- assert:
    that:
      - not same.changed
      - same.ansible_facts.ansible_hostname == '{name.split(".")[0]}'
      - other.changed
      - other.ansible_facts.ansible_nodename == 'pbe-never-set'
"""),
        LOCAL,
    )
    assert [r.status for r in result.results] == ["ok", "changed", "ok"]
    assert socket.gethostname() == name
    assert Path("/etc/hostname").read_text() == before


def test_shared_files_keep_their_other_lines() -> None:
    redhat = _FILE_STYLES["redhat"]
    file = TextFile("/etc/sysconfig/network", 'NETWORKING=yes\nHOSTNAME="old"\nHOSTNAME=x\n')
    assert permanent_name(redhat, file) == "old"
    assert file_text(redhat, file, "new") == "NETWORKING=yes\nHOSTNAME=new\n"
    openrc = _FILE_STYLES["openrc"]
    assert file_text(openrc, TextFile("/etc/conf.d/hostname", None), "n1") == 'hostname="n1"\n'
    assert permanent_name(openrc, TextFile("p", "# c\nhostname='n1'\n")) == "n1"
