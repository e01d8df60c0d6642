"""Integration fixtures: one fleet of real sshd daemons on loopback for the whole session.

Tests that use it are marked ``pytest.mark.fleet`` (``pytestmark`` at module level). Where
a fleet cannot run (not root, no sshd) they are skipped, except under CI (``CI`` set),
where that is a failure: CI must never go green by skipping the SSH tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from playbook_engine.testing.fleet import Fleet, fleet_available

INSTALL_SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "install-fleet-deps"


@pytest.fixture(scope="session")
def fleet() -> Iterator[Fleet]:
    """Five hosts, h01..h05 on 127.0.0.11..15, user ``pbetest``, key and password auth."""
    if fleet_available() and os.geteuid() == 0 and shutil.which("apt-get"):
        # A fresh machine: install OpenSSH's server once, as .ci/run does.
        subprocess.run(["bash", str(INSTALL_SCRIPT)], check=False)
    if reason := fleet_available():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the sshd fleet: {reason}")
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="pbe-fleet-"))  # pytest's tmp dirs are 0700
    try:
        with Fleet(root, size=5) as running:
            yield running
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def fleet_inventory(fleet: Fleet) -> Path:
    """An Ansible YAML inventory of all fleet hosts (group ``fleet``)."""
    return fleet.write_inventory(fleet.root / "inventory.yml")


@pytest.fixture
def host_dirs(fleet: Fleet, request: pytest.FixtureRequest) -> dict[str, Path]:
    """A fresh, empty, pbetest-owned directory per host for this test: name -> path."""
    return fleet.make_workdirs(request.node.name)
