"""`async:`/`poll:` and async_status over SSH on the fleet: detached jobs on every host
(the default ~/.ansible_async and a set ansible_async_dir, become too), polling that ends
a job at its limit, and a controller-side job of another module."""

from __future__ import annotations

import json
import pwd
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from parity import pbe_json

from playbook_engine.testing.fleet import Fleet
from playbook_engine.testing.processes import unique_duration, wait_gone

pytestmark = pytest.mark.fleet

WAIT = "until: st.finished\n      retries: 30\n      delay: 1\n"


def results(doc: dict[str, Any], task: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for play in doc["plays"]:
        for t in play["tasks"]:
            if t["name"] == task:
                out.update({h: r["result"] for h, r in t["hosts"].items()})
    return out


def book(tmp_path: Path, host_dirs: dict[str, Path], tasks: str, home_dir: str) -> Path:
    """A play on the fleet; h01 keeps its jobs under ``~/<home_dir>``, the others in
    their own test directory."""
    dirs = tmp_path / "dirs.json"
    dirs.write_text(json.dumps({"dirs": {h: str(p) for h, p in host_dirs.items()}}))
    path = tmp_path / "site.yml"
    path.write_text(f"""
- hosts: fleet
  gather_facts: false
  vars_files: [{dirs}]
  vars:
    base: "{{{{ dirs[inventory_hostname] }}}}"
    ansible_async_dir: >-
      {{{{ '~/{home_dir}' if inventory_hostname == 'h01' else base + '/jobs' }}}}
  tasks:
{tasks}""")
    return path


def test_fire_and_forget_jobs_on_every_host_then_status_and_cleanup(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    home_dir = f".pbe-async-{uuid.uuid4().hex[:8]}"
    tasks = f"""
    - name: start
      shell: sleep 2; echo done > {{{{ base }}}}/out; id -un
      async: 45
      poll: 0
      register: job
    - name: wait
      async_status: jid={{{{ job.ansible_job_id }}}}
      register: st
      {WAIT}
    - name: as root
      command: id -u
      become: true
      async: 30
      poll: 0
      register: rootjob
    - name: wait root
      async_status: jid={{{{ rootjob.ansible_job_id }}}}
      become: true
      register: st
      {WAIT}
    - name: cleanup
      async_status: jid={{{{ job.ansible_job_id }}}} mode=cleanup
"""
    home = pwd.getpwnam(Fleet.user).pw_dir
    try:
        code, doc, err = pbe_json(
            fleet, book(tmp_path, host_dirs, tasks, home_dir), fleet_inventory
        )
    finally:
        shutil.rmtree(f"{home}/{home_dir}", ignore_errors=True)
    assert code == 0, err
    started = results(doc, "start")
    assert len({r["ansible_job_id"] for r in started.values()}) == 5
    assert all((r["started"], r["finished"]) == (True, False) for r in started.values())
    assert started["h01"]["results_file"].startswith(f"{home}/{home_dir}/j")
    assert started["h02"]["results_file"].startswith(f"{host_dirs['h02']}/jobs/j")
    done = results(doc, "wait")
    assert {h: (r["rc"], r["stdout"]) for h, r in done.items()} == {
        h: (0, Fleet.user) for h in host_dirs
    }
    assert all((p / "out").read_text() == "done\n" for p in host_dirs.values())
    assert {r["stdout"] for r in results(doc, "wait root").values()} == {"0"}
    for h, res in results(doc, "cleanup").items():
        assert res["erased"] == started[h]["results_file"]
        assert not Path(res["erased"]).exists()


def test_poll_ends_jobs_past_their_limit_and_runs_other_modules_on_the_controller(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    duration = unique_duration()
    tasks = f"""
    - name: slow
      command: sleep {duration}
      async: 2
      poll: 1
      ignore_errors: true
    - name: touch
      file: path={{{{ base }}}}/touched state=touch
      async: 30
      poll: 0
      register: job
    - name: wait
      async_status: jid={{{{ job.ansible_job_id }}}}
      register: st
      {WAIT}
"""
    code, doc, err = pbe_json(fleet, book(tmp_path, host_dirs, tasks, "unused"), fleet_inventory)
    assert code == 0, err
    for res in results(doc, "slow").values():
        assert res["msg"] == "async task did not complete within the requested time - 2s"
        assert isinstance(res["child_pid"], int)
    assert wait_gone("sleep", duration) == []
    started = results(doc, "touch")
    assert all(re.match(r"^j\d{12}\.\d+$", r["ansible_job_id"]) for r in started.values())
    assert all("results_file" not in r for r in started.values())  # held by the run
    assert {r["state"] for r in results(doc, "wait").values()} == {"file"}
    owner = pwd.getpwnam(Fleet.user).pw_uid
    assert all((p / "touched").stat().st_uid == owner for p in host_dirs.values())
