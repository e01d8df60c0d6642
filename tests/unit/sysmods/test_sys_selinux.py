"""selinux and seboolean against this machine, which has no SELinux: disabled is in state,
a boolean fails clearly. Changing modes and booleans is covered by the recorded cases."""

from __future__ import annotations

from pathlib import Path

import pytest
from syshelp import LOCAL

from playbook_engine import run

pytestmark = pytest.mark.skipif(
    Path("/sys/fs/selinux/enforce").exists(), reason="this machine has SELinux"
)


def test_no_selinux_is_disabled_and_has_no_booleans(book) -> None:
    result = run(
        book("""
- ansible.posix.selinux: {state: disabled}
  register: mode
- ansible.posix.seboolean: {name: httpd_can_network_connect, state: true, persistent: true}
"""),
        LOCAL,
    )
    first, second = result.results
    assert first.status == "ok"
    assert first.result["reboot_required"] is False and first.result["msg"] == ""
    assert second.status == "failed"
    assert second.result["msg"] == "SELinux is disabled on this host"
