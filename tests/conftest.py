"""Every test starts from pbe's defaults: no ansible.cfg or /etc/ansible/hosts of this
machine or user and no ``ANSIBLE_*`` setting of the shell that started pytest (they would
change what a run does). ``ANSIBLE_CONFIG`` names an empty file and ``ANSIBLE_INVENTORY``
is empty; a test that wants a configuration sets its own (``monkeypatch``). Subprocesses
the tests start inherit the same."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from playbook_engine import settings

for _name in settings.ENV_NAMES:
    os.environ.pop(_name, None)
_EMPTY = Path(tempfile.mkdtemp(prefix="pbe-tests-")) / "ansible.cfg"
_EMPTY.write_text("")
os.environ["ANSIBLE_CONFIG"] = str(_EMPTY)
os.environ["ANSIBLE_INVENTORY"] = ""  # not this machine's /etc/ansible/hosts either


def pytest_sessionfinish(session: pytest.Session) -> None:
    _EMPTY.unlink(missing_ok=True)
    _EMPTY.parent.rmdir()
