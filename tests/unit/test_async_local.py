"""`async:`/`poll:` and async_status on the local connection: fire-and-forget jobs that
outlive the task and the run, polling that ends a job at its limit, controller-side jobs
of other modules, loops, check mode and validation."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import pytest

import playbook_engine as pbe
from playbook_engine.errors import ValidationFailed
from playbook_engine.testing.processes import unique_duration, wait_gone

LOCAL = {"all": {"hosts": {"a": None}, "vars": {"ansible_connection": "local"}}}
JID = re.compile(r"^j\d{12}\.\d+$")
WAIT = "until: st.finished\n      retries: 30\n      delay: 1"


def run(tmp_path: Path, tasks: str, **kwargs: Any) -> pbe.RunResult:
    """The tasks on host `a`, jobs under tmp_path/jobs (not the user's ~/.ansible_async)."""
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: a\n  gather_facts: false\n"
        f"  vars: {{base: '{tmp_path}', ansible_async_dir: '{tmp_path}/jobs'}}\n"
        f"  tasks:\n{tasks}"
    )
    return pbe.run(book, LOCAL, **kwargs)


def result_of(result: pbe.RunResult, task: str) -> dict[str, Any]:
    (found,) = [r for r in result.results if r.task_name == task]
    return dict(found.result)


def group_alive(pgid: int) -> list[int]:
    """Live (not zombie) processes of process group ``pgid``."""
    alive = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if entry.name.isdigit() and int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(entry.name))
    return alive


def mentioning(text: str, within: float = 5.0) -> list[int]:
    """Live processes whose command line holds ``text``, once there are none (or when
    ``within`` seconds have passed)."""
    deadline = time.monotonic() + within
    while True:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except (OSError, ValueError):
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_poll_zero_returns_a_started_job_and_async_status_sees_it_finish(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
    - name: start
      shell: sleep 2; echo done > {{ base }}/out; echo said
      async: 45
      poll: 0
      register: job
    - name: wait
      async_status: jid={{ job.ansible_job_id }}
      register: st
      """
        + WAIT,
    )
    assert result.exit_code == 0
    start = result_of(result, "start")
    assert JID.match(start["ansible_job_id"])
    assert (start["started"], start["finished"], start["changed"]) == (True, False, True)
    assert start["results_file"] == f"{tmp_path}/jobs/{start['ansible_job_id']}"
    assert "rc" not in start  # it did not wait for the command
    done = result_of(result, "wait")
    assert (done["finished"], done["rc"], done["stdout"], done["changed"]) == (
        True,
        0,
        "said",
        True,
    )
    assert done["cmd"] == "sleep 2; echo done > {{ base }}/out; echo said".replace(
        "{{ base }}", str(tmp_path)
    )
    assert done["ansible_job_id"] == start["ansible_job_id"]
    assert (tmp_path / "out").read_text() == "done\n"


def test_a_fire_and_forget_job_outlives_the_run(tmp_path: Path) -> None:
    first = run(
        tmp_path,
        """
    - name: start
      shell: sleep 2; echo late > {{ base }}/late
      async: 60
      poll: 0
      register: job
""",
    )
    jid = result_of(first, "start")["ansible_job_id"]
    second = run(
        tmp_path,
        f"""
    - name: wait
      async_status: jid={jid}
      register: st
      """
        + WAIT,
    )
    assert result_of(second, "wait")["rc"] == 0
    assert (tmp_path / "late").read_text() == "late\n"


def test_poll_ends_a_job_that_outlives_async_and_its_processes(tmp_path: Path) -> None:
    duration = unique_duration()
    result = run(
        tmp_path,
        f"""
    - name: slow
      shell: sleep {duration}; touch {{{{ base }}}}/never
      async: 2
      poll: 1
""",
    )
    res = result_of(result, "slow")
    assert result.exit_code == 2
    assert res["msg"] == "async task did not complete within the requested time - 2s"
    assert res["async_result"]["finished"] is False
    assert wait_gone("sleep", duration) == []
    assert group_alive(res["child_pid"]) == []
    assert not (tmp_path / "never").exists()


def test_poll_returns_the_module_result_and_removes_the_job_files(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
    - name: quick
      command: echo hi
      async: 30
      poll: 1
""",
    )
    res = result_of(result, "quick")
    assert (res["stdout"], res["rc"], res["finished"], res["changed"]) == ("hi", 0, True, True)
    assert JID.match(res["ansible_job_id"])
    assert os.listdir(tmp_path / "jobs") == []


def test_the_watchdog_ends_a_fire_and_forget_job_at_its_limit(tmp_path: Path) -> None:
    duration = unique_duration()
    result = run(
        tmp_path,
        f"""
    - name: start
      command: sleep {duration}
      async: 1
      poll: 0
      register: job
    - name: wait
      async_status: jid={{{{ job.ansible_job_id }}}}
      register: st
      ignore_errors: true
      """
        + WAIT,
    )
    res = result_of(result, "wait")
    assert (res["failed"], res["finished"], res["msg"]) == (True, True, "Timeout exceeded")
    assert wait_gone("sleep", duration) == []
    assert group_alive(res["child_pid"]) == []


def test_a_controller_side_job_of_another_module(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
    - name: touch
      file: path={{ base }}/touched state=touch
      async: 30
      poll: 0
      register: job
    - name: wait
      async_status: jid={{ job.ansible_job_id }}
      register: st
      """
        + WAIT
        + """
    - name: stat polled
      stat: path={{ base }}/touched
      async: 30
      poll: 1
""",
    )
    start = result_of(result, "touch")
    assert (start["started"], start["finished"], start["changed"]) == (True, False, True)
    assert JID.match(start["ansible_job_id"])
    done = result_of(result, "wait")
    assert (done["finished"], done["state"], done["changed"]) == (True, "file", True)
    assert (tmp_path / "touched").is_file()
    polled = result_of(result, "stat polled")
    assert (polled["stat"]["exists"], polled["finished"]) == (True, True)


def test_a_controller_job_past_its_limit_has_its_commands_ended(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
    - name: wait for a file that never comes
      wait_for: path={{ base }}/never timeout=60
      async: 2
      poll: 1
""",
    )
    res = result_of(result, "wait for a file that never comes")
    assert res["msg"] == "async task did not complete within the requested time - 2s"
    assert "child_pid" not in res  # no process group of its own: its commands were ended
    assert mentioning(f"{tmp_path}/never") == []


def test_loop_starts_one_job_per_item(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
    - name: start
      command: echo {{ item }}
      async: 30
      poll: 0
      loop: [one, two]
      register: jobs
    - name: wait
      async_status: jid={{ item.ansible_job_id }}
      loop: "{{ jobs.results }}"
      register: st
      """
        + WAIT,
    )
    started = result_of(result, "start")["results"]
    assert [r["item"] for r in started] == ["one", "two"]
    assert len({r["ansible_job_id"] for r in started}) == 2
    done = result_of(result, "wait")["results"]
    assert [(r["stdout"], r["finished"]) for r in done] == [("one", True), ("two", True)]


def test_stdin_chdir_and_creates_work_in_a_job(tmp_path: Path) -> None:
    (tmp_path / "exists").touch()
    result = run(
        tmp_path,
        """
    - name: start
      shell: cat; pwd
      args: {stdin: hello, chdir: "{{ base }}"}
      async: 30
      poll: 0
      register: job
    - name: skipped
      command: touch {{ base }}/nope
      args: {creates: "{{ base }}/exists"}
      async: 30
      poll: 0
      register: skip
    - name: wait
      async_status: jid={{ job.ansible_job_id }}
      register: st
      """
        + WAIT
        + """
    - name: wait skipped
      async_status: jid={{ skip.ansible_job_id }}
      register: st2
""",
    )
    assert result_of(result, "wait")["stdout"] == f"hello\n{tmp_path}"
    skipped = result_of(result, "wait skipped")
    assert (skipped["finished"], skipped["changed"], skipped["rc"]) == (True, False, 0)
    assert skipped["msg"] == f"skipped, since {tmp_path}/exists exists"
    assert not (tmp_path / "nope").exists()


def test_cleanup_erases_the_job_and_a_later_status_cannot_find_it(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
    - name: start
      command: "true"
      async: 30
      poll: 0
      register: job
    - name: wait
      async_status: jid={{ job.ansible_job_id }}
      register: st
      """
        + WAIT
        + """
    - name: cleanup
      async_status: jid={{ job.ansible_job_id }} mode=cleanup
    - name: gone
      async_status: jid={{ job.ansible_job_id }}
      ignore_errors: true
""",
    )
    jid = result_of(result, "start")["ansible_job_id"]
    assert result_of(result, "cleanup")["erased"] == f"{tmp_path}/jobs/{jid}"
    assert not (tmp_path / "jobs" / jid).exists()
    gone = result_of(result, "gone")
    assert (gone["failed"], gone["msg"], gone["finished"]) == (True, "could not find job", True)


def test_check_mode_runs_the_module_in_check_mode_as_a_job(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
    - name: start
      command: touch {{ base }}/made
      async: 30
      poll: 0
      register: job
    - name: wait
      async_status: jid={{ job.ansible_job_id }}
      register: st
      """
        + WAIT
        + """
    - name: file polled
      file: path={{ base }}/made2 state=touch
      async: 30
      poll: 5
""",
        check=True,
    )
    start = result_of(result, "start")
    assert (start["started"], start["finished"], start["changed"]) == (True, False, True)
    wait = [r for r in result.results if r.task_name == "wait"][0]
    assert wait.status == "skipped"
    assert wait.result["msg"] == "Command would have run if not in check mode"
    polled = [r for r in result.results if r.task_name == "file polled"][0]
    assert (polled.status, polled.result["finished"]) == ("changed", True)
    assert not (tmp_path / "made").exists() and not (tmp_path / "made2").exists()
    assert not (tmp_path / "jobs").exists()


def test_modules_ansible_refuses_async_for_fail_the_task(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
    - name: debug
      debug: msg=hi
      async: 5
      ignore_errors: true
    - name: copy
      copy: content=x dest={{ base }}/copied
      async: 5
      poll: 0
      ignore_errors: true
    - name: async zero runs synchronously
      command: echo sync
      async: 0
      poll: 0
""",
    )
    assert result_of(result, "debug")["msg"] == "This action (debug) does not support async."
    assert result_of(result, "copy")["msg"] == "This action (copy) does not support async."
    assert not (tmp_path / "copied").exists()
    sync = result_of(result, "async zero runs synchronously")
    assert (sync["stdout"], "ansible_job_id" in sync) == ("sync", False)


def test_a_templated_async_must_render_to_an_integer(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
    - name: bad
      command: echo hi
      async: "{{ 'soon' }}"
      poll: 0
      ignore_errors: true
    - name: good
      command: echo hi
      async: "{{ 10 }}"
      poll: "{{ '1' }}"
""",
    )
    assert result_of(result, "bad")["msg"] == (
        "`async` must be a non-negative integer; `{{ 'soon' }}` gave a string"
    )
    assert result_of(result, "good")["stdout"] == "hi"


def test_bad_async_and_poll_are_validation_errors(tmp_path: Path) -> None:
    (tmp_path / "inc.yml").write_text("- debug: msg=x\n")
    with pytest.raises(ValidationFailed) as caught:
        run(
            tmp_path,
            """
    - command: echo hi
      async: ten
      poll: -1
    - block:
        - debug: msg=x
      async: 10
    - include_tasks: inc.yml
      poll: 0
    - async_status: {}
""",
        )
    found = [(p.message, p.location.line if p.location else 0) for p in caught.value.problems]
    assert found == [
        ("`async` must be a non-negative integer (seconds), got 'ten'", 7),
        ("`poll` must be a non-negative integer, got -1", 8),
        ("`async` is a task keyword, not valid on a block", 11),
        ("`poll` is not a keyword of include_tasks", 13),
        ("async_status: `jid` is a required argument", 14),
    ]


def test_a_job_directory_with_broken_files_is_a_clear_failure(tmp_path: Path) -> None:
    first = run(
        tmp_path,
        """
    - name: start
      command: "true"
      async: 30
      poll: 0
      register: job
    - name: wait
      async_status: jid={{ job.ansible_job_id }}
      register: st
      """
        + WAIT,
    )
    jid = result_of(first, "start")["ansible_job_id"]
    (tmp_path / "jobs" / jid / "rc").write_text("garbage\n")
    second = run(
        tmp_path,
        f"""
    - name: read
      async_status: jid={jid}
      ignore_errors: true
""",
    )
    assert result_of(second, "read")["msg"] == (
        f"async job {jid}: unreadable files in {tmp_path}/jobs/{jid}"
    )
