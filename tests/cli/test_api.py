"""The Python API a release pipeline embeds: `pbe.run` and `pbe.validate` (local connection).

Runs on two fleets of real SSH hosts at once are in tests/integration/test_pipeline_outputs.py.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

import playbook_engine as pbe
from playbook_engine.api import make_options
from playbook_engine.events import (
    Event,
    HostResult,
    PlayStart,
    RunEnd,
    RunStart,
    TaskEnd,
    TaskStart,
)

INVENTORY = {
    "all": {
        "vars": {"ansible_connection": "local"},
        "children": {
            "web": {"hosts": {"web1": None, "web2": {"port": 81}}},
            "db": {"hosts": {"db1": None}},
        },
    }
}

BOOK = """
- name: web
  hosts: web
  gather_facts: false
  tasks:
    - name: greet
      debug: msg="{{ inventory_hostname }} {{ greeting | default('hi') }}"
      tags: [greet]
    - name: change
      command: echo x
      notify: reload
      tags: [change]
    - name: fail web2
      fail: msg=boom
      when: inventory_hostname == 'web2' and (fail_web2 | default(false))
  handlers:
    - name: reload
      debug: msg=reloaded
- name: db
  hosts: db
  gather_facts: false
  tasks:
    - name: ping db
      ping:
"""


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "site.yml"
    path.write_text(BOOK)
    return path


def test_public_api_is_pinned() -> None:
    assert set(pbe.__all__) == {
        "Event",
        "ExitCode",
        "HostUnreachable",
        "Inventory",
        "ModuleError",
        "NoHostsMatched",
        "OptionsError",
        "PbeError",
        "Problem",
        "RunOptions",
        "RunResult",
        "TemplateError",
        "ValidationError",
        "ValidationFailed",
        "__version__",
        "empty_inventory",
        "events",
        "inventory_from_dict",
        "load_inventory",
        "run",
        "validate",
    }
    assert callable(pbe.run) and callable(pbe.validate)


def test_run_with_dict_inventory_and_keywords(
    book: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    result = pbe.run(
        book,
        INVENTORY,
        tags=["greet", "change"],
        limit=["web1", "db1"],
        extra_vars={"greeting": "hello"},
        forks=None,
        skip_tags="never",
    )
    assert result.ok and bool(result) and result.exit_code == pbe.ExitCode.OK
    assert list(result.stats) == ["web1"]  # db1's only task is not tagged
    greet = [r for r in result.results if r.task_name == "greet"]
    assert [(r.host, r.result["msg"]) for r in greet] == [("web1", "web1 hello")]
    assert result.failed_hosts == [] and result.unreachable_hosts == []
    assert capfd.readouterr() == ("", "")


def test_failed_hosts_and_exit_code(book: Path, capfd: pytest.CaptureFixture[str]) -> None:
    result = pbe.run(book, INVENTORY, extra_vars={"fail_web2": True})
    assert not result and result.exit_code == 2
    assert result.failed_hosts == ["web2"] and result.stats["web2"]["failed"] == 1
    assert result.stats["db1"]["ok"] == 1  # other plays go on
    assert capfd.readouterr() == ("", "")


def test_on_event_gets_every_event_in_order(book: Path) -> None:
    events: list[Event] = []
    result = pbe.run(book, INVENTORY, on_event=events.append)
    assert isinstance(events[0], RunStart) and isinstance(events[-1], RunEnd)
    assert [e.name for e in events if isinstance(e, PlayStart)] == ["web", "db"]
    # the events come as hosts finish; the result lists each task's hosts in inventory order
    rank = {"web1": 0, "web2": 1, "db1": 2}
    streamed = [e for e in events if isinstance(e, HostResult)]
    assert sorted(streamed, key=lambda r: (r.play, r.task, rank[r.host])) == result.results
    current: TaskStart | None = None
    for event in events:
        if isinstance(event, TaskStart):
            assert current is None
            current = event
        elif isinstance(event, HostResult):
            assert current is not None and event.task == current.index
            assert event.host in current.hosts
        elif isinstance(event, TaskEnd):
            assert current is not None and event.index == current.index
            current = None
    handlers = [e.name for e in events if isinstance(e, TaskStart) and e.is_handler]
    assert handlers == ["reload"]
    stamps = [e.at for e in events]
    assert stamps == sorted(stamps)
    end = events[-1]
    assert isinstance(end, RunEnd) and end.stats == result.stats


def test_two_runs_on_two_threads_do_not_interfere(tmp_path: Path) -> None:
    def inventory(prefix: str) -> dict[str, Any]:
        hosts = {f"{prefix}{i}": None for i in range(4)}
        return {"all": {"vars": {"ansible_connection": "local"}, "hosts": hosts}}

    book = tmp_path / "b.yml"
    book.write_text("""
- hosts: all
  gather_facts: false
  tasks:
    - set_fact: mine="{{ inventory_hostname }}-{{ tag }}"
    - command: sleep 0.2
    - debug: msg="{{ mine }}"
""")
    results: dict[str, pbe.RunResult] = {}
    seen: dict[str, set[str]] = {"a": set(), "b": set()}

    def go(prefix: str) -> None:
        def note(event: Event) -> None:
            if isinstance(event, HostResult):
                seen[prefix].add(event.host)

        results[prefix] = pbe.run(
            book, inventory(prefix), extra_vars={"tag": prefix}, on_event=note
        )

    threads = [threading.Thread(target=go, args=(p,)) for p in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for prefix, result in results.items():
        assert result.ok and sorted(result.stats) == [f"{prefix}{i}" for i in range(4)]
        assert seen[prefix] == set(result.stats)
        msgs = {r.host: r.result["msg"] for r in result.results if r.action == "debug"}
        assert msgs == {h: f"{h}-{prefix}" for h in result.stats}


def test_run_raises_for_invalid_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("- hosts: all\n  tasks:\n    - debgu: msg=x\n")
    with pytest.raises(pbe.ValidationFailed) as info:
        pbe.run(bad, INVENTORY)
    assert info.value.exit_code == 4 and "debgu" in str(info.value)
    with pytest.raises(pbe.OptionsError):
        pbe.run(bad, INVENTORY, forks=0)
    with pytest.raises(pbe.OptionsError, match="unknown run option"):
        pbe.run(bad, INVENTORY, colour=True)
    with pytest.raises(pbe.OptionsError, match="not both"):
        pbe.run(bad, INVENTORY, options=pbe.RunOptions(), check=True)


def test_keywords_become_run_options() -> None:
    opts = make_options(
        tags=["a,b", "c"],
        skip_tags="d",
        known_hosts=Path("/k"),
        limit=["web", "!web2"],
        forks=None,
        host_key_checking=False,
        private_key=Path("/id"),
        user="deploy",
        timeout=3,
    )
    assert opts.tags == ("a", "b", "c") and opts.skip_tags == ("d",)
    assert opts.known_hosts == ("/k",) and opts.limit == "web,!web2"
    assert opts.forks == 50 and opts.host_key_checking == "off"
    assert (opts.private_key, opts.user, opts.timeout) == ("/id", "deploy", 3)
    assert make_options(known_hosts=["/a", "/b"]).known_hosts == ("/a", "/b")


def test_validate_returns_problems_and_never_raises(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("- hosts: all\n  tasks:\n    - debgu: msg=x\n    - command: [unclosed\n")
    problems = pbe.validate(bad)
    assert problems and all(p.severity in ("error", "warning") for p in problems)
    first = problems[0]
    assert first.location is not None and first.location.file == str(bad)
    assert first.location.line >= 1
    assert pbe.validate(tmp_path / "missing.yml")[0].message.startswith("playbook not found")
    inv_problems = pbe.validate(tmp_path / "missing.yml", {"all": {"host": {"a": None}}})
    assert any("hosts" in (p.hint or p.message) for p in inv_problems[1:])
    assert pbe.validate(bad, tmp_path / "no-inventory.yml")[-1].severity == "error"


def test_validate_ok(book: Path) -> None:
    assert [p for p in pbe.validate(book, INVENTORY) if p.severity == "error"] == []
