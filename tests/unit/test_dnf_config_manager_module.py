"""dnf_config_manager against this machine's real dnf (no repositories are configured here
and dnf-plugins-core is absent, so only the probe runs for real: the switching is covered
by the recorded cases in tests/unit/modules/recorded/dnf_config_manager/)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from playbook_engine.api import run
from playbook_engine.modules.dnf_config_manager import DnfConfigManager
from playbook_engine.modules.util.state import Change
from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}
pytestmark = pytest.mark.skipif(shutil.which("dnf") is None, reason="needs dnf")


def test_no_names_reads_the_real_repolist(tmp_path: Path) -> None:
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - community.general.dnf_config_manager: {name: []}\n"
        "      register: out\n"
    )
    real = check_predicts_run(book, LOCAL)
    result = real.results[0].result
    assert real.results[0].status == "ok"
    assert result["changed_repos"] == []
    assert set(result["repo_states_post"]) == {"enabled", "disabled"}


def test_unknown_repository_fails_in_ansibles_words(tmp_path: Path) -> None:
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - dnf_config_manager: {name: pbe-tnosuch, state: disabled}\n"
    )
    real = run(book, LOCAL)
    assert real.results[0].status == "failed"
    assert real.results[0].result["msg"] == (
        "did not find repo with ID 'pbe-tnosuch' in dnf repolist --all"
    )


def test_switch_command_is_valid_sh_with_odd_ids() -> None:
    change = Change("disabled", None, values={"changed_repos": ["crb", "it's odd"]})
    command = DnfConfigManager().apply({}, change, None)  # type: ignore[arg-type]
    assert subprocess.run(["sh", "-n", "-c", command], check=False).returncode == 0
    assert "--set-disabled crb 'it'\"'\"'s odd'" in command
    assert "setopt crb.enabled=0 'it'\"'\"'s odd.enabled=0'" in command
