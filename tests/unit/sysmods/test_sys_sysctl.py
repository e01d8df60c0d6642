"""sysctl against this machine: a private sysctl file and one harmless kernel limit
(fs.inotify.max_user_instances, raised by one and restored afterwards)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from syshelp import LOCAL, sh

from playbook_engine import run
from playbook_engine.testing.parity import check_predicts_run

KEY = "fs.inotify.max_user_instances"


def live() -> str:
    return sh("sysctl", "-n", KEY).stdout.strip()


@pytest.fixture
def original(root: None) -> Iterator[int]:
    """The key's value before the test, put back after it."""
    value = live()
    if not value.isdigit() or sh("sysctl", "-w", f"{KEY}={value}").returncode != 0:
        pytest.skip(f"{KEY} cannot be set here")
    yield int(value)
    sh("sysctl", "-w", f"{KEY}={value}")


def test_value_set_written_and_reloaded(original: int, tmp_path: Path, book) -> None:
    conf = tmp_path / "99-pbe.conf"
    conf.write_text("# pbe test\n  fs.file-max = 9999999 \n")
    raised = original + 1
    path = book(f"""
- sysctl: {{name: {KEY}, value: '{raised}', sysctl_file: {conf}, sysctl_set: true,
           reload: false}}
""")
    check_predicts_run(
        path,
        LOCAL,
        unchanged=lambda: live() == str(original) or pytest.fail("check mode set the value"),
    )
    assert live() == str(raised)
    assert conf.read_text() == f"# pbe test\nfs.file-max=9999999\n{KEY}={raised}\n"
    sh("sysctl", "-w", f"{KEY}={original}")
    conf.write_text(f"{KEY}={raised}\n")
    path = book(f"- sysctl: {{name: {KEY}, value: '{raised}', sysctl_file: {conf}}}")
    real = check_predicts_run(path, LOCAL)  # file right, kernel not: reload (sysctl -p)
    assert real.results[0].status == "changed"
    assert live() == str(raised)


def test_absent_removes_every_setting_of_the_key(original: int, tmp_path: Path, book) -> None:
    conf = tmp_path / "99-pbe.conf"
    conf.write_text(f"{KEY}={original}\n# keep\n{KEY} = {original}\n")
    path = book(f"- sysctl: {{name: {KEY}, state: absent, sysctl_file: {conf}}}")
    check_predicts_run(path, LOCAL)
    assert conf.read_text() == "# keep\n"
    assert live() == str(original)


def test_unknown_key_fails_the_reload_unless_ignored(root: None, tmp_path: Path, book) -> None:
    conf = tmp_path / "new.conf"
    result = run(
        book(f"- sysctl: {{name: pbe.no.such.key, value: '1', sysctl_file: {conf}}}"), LOCAL
    )
    assert (
        result.results[0]
        .result["msg"]
        .startswith("Failed to reload sysctl: sysctl: cannot stat /proc/sys/pbe/no/such/key")
    )
    assert conf.read_text() == "pbe.no.such.key=1\n"  # written before the reload, as Ansible
    result = run(
        book(
            f"- sysctl: {{name: pbe.no.such.key, value: '1', sysctl_file: {conf}, "
            "ignoreerrors: true}"
        ),
        LOCAL,
    )
    assert result.results[0].status == "changed"  # the kernel has no such value: reloaded
