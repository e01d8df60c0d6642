"""any_errors_fatal, max_fail_percentage, serial, run_once, delegate_to, throttle, order."""

from __future__ import annotations

from pathlib import Path

import playbook_engine as pbe

HOSTS = {f"h{i}": None for i in range(1, 7)}
INVENTORY = {"all": {"hosts": HOSTS, "vars": {"ansible_connection": "local"}}}


def run(tmp_path: Path, text: str, **kw: object) -> pbe.RunResult:
    book = tmp_path / "site.yml"
    book.write_text(text)
    return pbe.run(book, INVENTORY, **kw)  # type: ignore[arg-type]


def ran(result: pbe.RunResult, task: str) -> list[str]:
    return [r.host for r in result.results if r.task_name == task]


def test_any_errors_fatal_stops_everyone(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
- hosts: all
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - name: boom
      fail: msg=boom
      when: inventory_hostname == 'h2'
    - name: after
      debug: msg=after
- hosts: all
  gather_facts: false
  tasks:
    - name: next play
      debug: msg=never
""",
    )
    assert result.exit_code == 2
    assert ran(result, "after") == [] and ran(result, "next play") == []
    assert result.failed_hosts == ["h2"]


def test_max_fail_percentage_with_serial(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
- hosts: all
  gather_facts: false
  serial: 3
  max_fail_percentage: 30
  tasks:
    - name: flaky
      fail: msg=x
      when: inventory_hostname == 'h1'
    - name: after
      debug: msg=after
""",
    )
    # 1 of 3 = 33% > 30%: the first batch stops and the second never starts
    assert result.exit_code == 2
    assert ran(result, "flaky") == ["h1", "h2", "h3"]
    assert ran(result, "after") == []


def test_serial_batches_run_whole_play_per_batch(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
- hosts: all
  gather_facts: false
  serial: [1, "50%"]
  tasks:
    - name: one
      debug: msg=1
    - name: two
      debug: msg=2
""",
    )
    order = [(r.task_name, r.host) for r in result.results]
    assert order[:2] == [("one", "h1"), ("two", "h1")]
    assert [h for t, h in order[2:5]] == ["h2", "h3", "h4"]  # 50% of 6 = 3
    assert len(order) == 12


def test_run_once_registers_for_all(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
- hosts: all
  gather_facts: false
  tasks:
    - name: once
      command: echo {{ inventory_hostname }}
      run_once: true
      register: r
    - name: everyone sees it
      debug: msg="{{ r.stdout }}"
""",
    )
    assert result.ok
    assert ran(result, "once") == ["h1"]
    assert {r.result["msg"] for r in result.results if r.task_name == "everyone sees it"} == {"h1"}
    assert result.stats["h1"]["changed"] == 1 and result.stats["h2"]["changed"] == 0


def test_delegate_to_localhost_uses_delegating_hosts_vars(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        f"""
- hosts: h1,h2
  gather_facts: false
  tasks:
    - command: touch {tmp_path}/from-{{{{ inventory_hostname }}}}
      delegate_to: localhost
""",
    )
    assert result.ok
    assert (tmp_path / "from-h1").exists() and (tmp_path / "from-h2").exists()


def test_throttle_and_order(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
- hosts: all
  gather_facts: false
  order: reverse_sorted
  tasks:
    - name: t
      debug: msg=x
      throttle: 1
""",
    )
    assert result.ok
    assert ran(result, "t") == ["h6", "h5", "h4", "h3", "h2", "h1"]


def test_free_strategy_lets_fast_hosts_run_ahead(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        f"""
- hosts: h1,h2
  gather_facts: false
  strategy: free
  tasks:
    - name: slow on h1
      shell: "{{{{ 'sleep 0.6' if inventory_hostname == 'h1' else 'true' }}}}"
    - name: mark
      shell: echo {{{{ inventory_hostname }}}} >> {tmp_path}/order
    - name: fail h2
      fail: msg=x
      when: inventory_hostname == 'h2'
""",
    )
    assert result.exit_code == 2
    # h2 finished all its tasks while h1 was still sleeping in the first one
    assert (tmp_path / "order").read_text().split() == ["h2", "h1"]
    assert result.failed_hosts == ["h2"]
    assert result.stats["h1"]["changed"] == 2 and result.stats["h1"]["skipped"] == 1


def test_start_at_task(tmp_path: Path) -> None:
    text = """
- hosts: h1,h2
  gather_facts: false
  tasks:
    - name: first
      debug: msg=1
    - name: second step
      debug: msg=2
- hosts: h1
  gather_facts: false
  tasks:
    - name: third
      debug: msg=3
"""
    result = run(tmp_path, text, start_at_task="second*")
    assert [(r.task_name, r.host) for r in result.results] == [
        ("second step", "h1"),
        ("second step", "h2"),
        ("third", "h1"),
    ]


def test_start_at_task_with_fact_gathering(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
- hosts: h1
  gather_facts: true
  tasks:
    - name: first
      debug: msg=1
    - name: second
      debug: msg=2
""",
        start_at_task="second",
    )
    assert [r.task_name for r in result.results] == ["Gathering Facts", "second"]


def test_free_strategy_run_once_throttle_and_max_fail(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        f"""
- hosts: all
  gather_facts: false
  strategy: free
  max_fail_percentage: 50
  tasks:
    - name: once
      command: touch {tmp_path}/once-{{{{ inventory_hostname }}}}
      run_once: true
      register: once
    - name: one at a time
      shell: "mkdir {tmp_path}/lock && sleep 0.05 && rmdir {tmp_path}/lock"
      throttle: 1
    - name: one host fails
      fail: msg=x
      when: inventory_hostname == 'h3'
    - name: others go on
      debug: msg="{{{{ once.changed }}}}"
""",
    )
    assert len(list(tmp_path.glob("once-*"))) == 1
    assert result.failed_hosts == ["h3"]  # the lock dir never collided: throttle held
    assert len([r for r in result.results if r.task_name == "others go on"]) == 5


def test_a_play_whose_every_host_failed_ends_the_run(tmp_path: Path) -> None:
    """As ansible-playbook: once no host of a batch is left, the later batches and plays
    do not run, even for other hosts."""
    result = run(
        tmp_path,
        """
- hosts: h1,h2
  gather_facts: false
  serial: 1
  tasks:
    - fail: {msg: boom}
- hosts: h3
  gather_facts: false
  tasks:
    - debug: {msg: never}
""",
    )
    assert sorted(r.host for r in result.results) == ["h1"]
    assert result.exit_code == 2 and result.failed_hosts == ["h1"]
    partial = run(
        tmp_path,
        """
- hosts: h1,h2
  gather_facts: false
  tasks:
    - fail: {msg: boom}
      when: inventory_hostname == 'h1'
- hosts: h3
  gather_facts: false
  tasks:
    - debug: {msg: still}
""",
    )
    assert ran(partial, "debug") == ["h3"]  # a host was left: the run goes on


def test_a_delegated_task_sees_the_delegates_connection_variables(tmp_path: Path) -> None:
    """As ansible-core 2.21 shows it: `ansible_host`, `ansible_port` and `ansible_user` are
    the delegate's (its name when it has no address); the task's other variables stay."""
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: a\n  gather_facts: false\n  tasks:\n"
        "    - debug:\n"
        "        msg: \"{{ ansible_host }} {{ ansible_port | default('-') }} "
        "{{ custom | default('-') }} {{ ansible_delegated_vars[ansible_host] is defined }}\"\n"
        "      delegate_to: '{{ item }}'\n      loop: [far, near]\n"
    )
    inventory = {
        "all": {
            "hosts": {
                "a": {"ansible_connection": "local", "custom": "mine"},
                "far": {"ansible_host": "10.9.9.9", "ansible_port": 2222, "custom": "theirs"},
                "near": None,
            }
        }
    }
    items = pbe.run(book, inventory).results[0].result["results"]
    assert [i["msg"] for i in items] == ["10.9.9.9 2222 mine False", "near - mine True"]
