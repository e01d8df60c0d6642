"""capabilities against this machine's getcap/setcap (libcap2-bin, installed by
.ci/install-pkg-tools when missing) on a copy of a binary under tmp_path: check mode
predicts the run, the second run changes nothing, and getcap shows what was asked."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from pkgrepos import LOCAL, need

from playbook_engine import run
from playbook_engine.testing.parity import check_predicts_run


def sh(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, check=False)


@pytest.fixture
def book(tmp_path: Path) -> Callable[[str], Path]:
    def write(tasks: str) -> Path:
        path = tmp_path / f"site-{uuid.uuid4().hex[:6]}.yml"
        body = "\n".join("    " + line for line in tasks.strip("\n").splitlines())
        path.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{body}\n")
        return path

    return write


def getcap(path: Path) -> str:
    return sh("getcap", str(path)).stdout.strip()[len(str(path)) :].strip()


@pytest.fixture
def binary(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        pytest.skip("setcap needs root (the suite runs as root in CI)")
    need("getcap", "setcap")
    path = tmp_path / "my tool"
    shutil.copy("/bin/true", path)
    return path


def test_set_then_one_of_two_removed(binary: Path, book) -> None:
    site = book(f"""
- capabilities: {{path: "{binary}", capability: CAP_NET_BIND_SERVICE+ep, state: present}}
- community.general.capabilities: {{path: "{binary}", cap: cap_net_raw+ep}}
""")
    real = check_predicts_run(
        site, LOCAL, unchanged=lambda: getcap(binary) == "" or pytest.fail("check mode set caps")
    )
    assert [r.status for r in real.results] == ["changed", "changed"]
    assert real.results[0].result["msg"] == "capabilities changed"
    assert getcap(binary) == "cap_net_bind_service,cap_net_raw=ep"
    site = book(f"- capabilities: {{key: '{binary}', capability: cap_net_raw, state: absent}}")
    check_predicts_run(site, LOCAL)
    assert getcap(binary) == "cap_net_bind_service=ep"


def test_another_flag_of_the_same_capability_replaces_it(binary: Path, book) -> None:
    sh("setcap", "cap_net_raw=ep", str(binary))
    site = book(f"- capabilities: {{path: '{binary}', capability: cap_net_raw=p}}")
    check_predicts_run(site, LOCAL)
    assert getcap(binary) == "cap_net_raw=p"


def test_a_missing_file_fails_with_getcaps_words(binary: Path, book) -> None:
    site = book(f"- capabilities: {{path: '{binary}.none', capability: cap_net_raw+ep}}")
    result = run(site, LOCAL).results[0]
    assert result.status == "failed"
    assert result.result["msg"] == (
        f"Unable to get capabilities of {binary}.none: {binary}.none (No such file or directory)"
    )
