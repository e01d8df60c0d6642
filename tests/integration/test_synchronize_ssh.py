"""synchronize over the real sshd fleet: rsync on the controller pushes to and pulls from
each host over ssh with the host's own port, user and key; with delegate_to the host itself
it copies locally there. Check mode (rsync --dry-run) predicts the run, the second run
changes nothing, and the files arrive."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from parity import assert_check_predicts_run, own, write

from playbook_engine.testing.fleet import Fleet

pytestmark = pytest.mark.fleet


PKG_TOOLS = Path(__file__).resolve().parents[2] / ".ci" / "install-pkg-tools"


@pytest.fixture(autouse=True)
def _rsync() -> None:
    """rsync on the controller: installed once when missing, as the unit tests' need()
    does (this file runs before them); CI must not go green by skipping."""
    if shutil.which("rsync") is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["bash", str(PKG_TOOLS)], check=False, capture_output=True)
    if shutil.which("rsync") is None:
        reason = "needs rsync (bash .ci/install-pkg-tools installs it)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def test_push_pull_and_delegate_to_itself(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    write(tmp_path / "files" / "site" / "index.html", "<h1>hi</h1>\n")
    write(tmp_path / "files" / "site" / "css" / "a.css", "body {}\n")
    for name, path in host_dirs.items():
        own(write(path / "remote.txt", f"from {name}\n"))
        own(write(path / "data" / "keep.txt", "kept\n"), path / "data")
    # a directory per host: rsync's --delay-updates (synchronize's default) stages files in
    # one `.~tmp~` directory of the destination's, which concurrent pulls into the same
    # directory would share and remove under each other (Ansible's rsync races there too)
    pulled = tmp_path / "pulled"
    for name in host_dirs:
        (pulled / name).mkdir(parents=True)
    dirs = write(
        tmp_path / "dirs.json", json.dumps({"dirs": {h: str(p) for h, p in host_dirs.items()}})
    )
    book = write(
        tmp_path / "site.yml",
        f"""
- hosts: fleet
  gather_facts: false
  tasks:
    - ansible.posix.synchronize:
        src: site/
        dest: "{{{{ dirs[inventory_hostname] }}}}/site"
      register: pushed
    - synchronize:
        mode: pull
        src: "{{{{ dirs[inventory_hostname] }}}}/remote.txt"
        dest: "{pulled}/{{{{ inventory_hostname }}}}/remote.txt"
    - synchronize:
        src: "{{{{ dirs[inventory_hostname] }}}}/data/"
        dest: "{{{{ dirs[inventory_hostname] }}}}/copy"
        delete: true
      delegate_to: "{{{{ inventory_hostname }}}}"
""",
    )
    doc = assert_check_predicts_run(
        fleet, book, fleet_inventory, [*host_dirs.values(), pulled], "-e", f"@{dirs}"
    )
    for name, path in host_dirs.items():
        assert (path / "site" / "index.html").read_text() == "<h1>hi</h1>\n"
        assert (path / "site" / "css" / "a.css").read_text() == "body {}\n"
        assert (path / "copy" / "keep.txt").read_text() == "kept\n"
        assert (pulled / name / "remote.txt").read_text() == f"from {name}\n"
        assert (path / "site" / "index.html").stat().st_uid == (path / "remote.txt").stat().st_uid
    first = doc["plays"][0]["tasks"][0]["hosts"]["h01"]
    assert first["status"] == "changed"
    cmd = first["result"]["cmd"]
    assert f"pbetest@{fleet.host('h01').address}:" in cmd
    assert f"-o Port={fleet.host('h01').port}" in cmd
    assert "<f+++++++++ css/a.css" in first["result"]["stdout_lines"]
