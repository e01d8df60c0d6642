"""Concurrency stress: a playbook gives the same per-host results whatever the threads do.

The equivalence playbooks (tests/equivalence/) and a language playbook full of shared state
(templated includes, handlers, end_host, run_once, delegate_to, block/rescue) run once with
forks=1, then with many forks and a random, seeded delay before each task on each host
(``executor.before_task``, a test-only hook): each equivalence case once more, the
language playbook five times. Every run must give the same status for every task on every
host, the same recap and the same exit code; under both strategies where the result does
not depend on timing by design. The local connection only; a failure names the seed of its
delays. Against the code before issue 8's fixes it fails in the language playbook (both
strategies) and in 05_handlers under the free strategy.
"""

from __future__ import annotations

import importlib.util
import random
import shutil
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import playbook_engine as pbe
from playbook_engine.engine import executor
from playbook_engine.events import Event, HostResult, TaskStart
from playbook_engine.language.model import Task

EQUIVALENCE = Path(__file__).resolve().parents[1] / "equivalence"
ROUNDS = 1  # jittered runs per equivalence case and strategy (plus the forks=1 one)
LANGUAGE_ROUNDS = 5  # the language playbook has the shared state the races were in: more
MAX_DELAY = 0.004  # seconds, per task and host

# Free strategy: these compare only under linear. With free, any_errors_fatal and
# max_fail_percentage stop the other hosts wherever they happen to be, and which host
# runs (and is counted for) a run_once task is the first to get there; what hostvars
# shows of another host depends on how far that host got.
FREE_TIMING_DEPENDENT = {
    "09_variables",
    "10_serial",
    "11_max_fail",
    "12_any_errors_fatal",
    "13_fatal_rescue",
}
SLOW_UNDER_FREE = {"19_files"}  # many file tasks, no shared state: linear is enough


def _cases_module() -> ModuleType:
    """tests/equivalence/equivalence_cases.py (that directory is not a package)."""
    if (loaded := sys.modules.get("equivalence_cases")) is not None:
        return loaded
    spec = importlib.util.spec_from_file_location(
        "equivalence_cases", EQUIVALENCE / "equivalence_cases.py"
    )
    assert spec is not None and spec.loader is not None
    module = sys.modules["equivalence_cases"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASES = _cases_module().CASES


@dataclass(frozen=True)
class Outcome:
    """What must not depend on threads: per play and host, each task's status in order;
    the recap; the exit code."""

    exit_code: int
    hosts: dict[tuple[int, str], list[tuple[str, str, bool, bool]]]
    stats: dict[str, dict[str, int]]


class _Recorder:
    def __init__(self) -> None:
        self.handlers: set[tuple[int, int]] = set()
        self.hosts: dict[tuple[int, str], list[tuple[str, str, bool, bool]]] = {}
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        if isinstance(event, TaskStart) and event.is_handler:
            self.handlers.add((event.play, event.index))
        elif isinstance(event, HostResult):
            entry = (
                event.task_name,
                event.status,
                (event.play, event.task) in self.handlers,
                event.ignored,
            )
            with self._lock:
                self.hosts.setdefault((event.play, event.host), []).append(entry)


class Jitter:
    """Sleeps before each task a delay drawn from one seeded generator per host, so a run's
    interleaving is random yet each host's own delays are reproducible from the seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._rngs: dict[str, random.Random] = {}
        self._lock = threading.Lock()

    def __call__(self, host: str, task: Task) -> None:
        with self._lock:
            rng = self._rngs.setdefault(host, random.Random(f"{self.seed}/{host}"))
            delay = rng.uniform(0, MAX_DELAY)
        time.sleep(delay)


@pytest.fixture
def jitter(monkeypatch: pytest.MonkeyPatch) -> Callable[[int | None], None]:
    def use(seed: int | None) -> None:
        monkeypatch.setattr(executor, "before_task", None if seed is None else Jitter(seed))

    return use


def run(book: Path, inventory: Any, base: Path, forks: int, **kwargs: Any) -> Outcome:
    if base.exists():
        shutil.rmtree(base)
    base.mkdir(parents=True)
    recorder = _Recorder()
    extra = {"base": str(base), **kwargs.pop("extra_vars", {})}
    result = pbe.run(book, inventory, forks=forks, extra_vars=extra, on_event=recorder, **kwargs)
    return Outcome(int(result.exit_code), recorder.hosts, result.stats)


def assert_same(expected: Outcome, actual: Outcome, what: str) -> None:
    assert actual.exit_code == expected.exit_code, f"{what}: exit code"
    for key in sorted(set(expected.hosts) | set(actual.hosts)):
        assert actual.hosts.get(key) == expected.hosts.get(key), f"{what}: play/host {key}"
    assert actual.stats == expected.stats, f"{what}: recap"


def compare(
    run_once: Callable[[int], Outcome],
    jitter: Callable[[int | None], None],
    rounds: int,
    forks: int,
    label: str,
) -> Outcome:
    """Run with forks=1, then ``rounds`` times with ``forks`` and jitter: all the same."""
    jitter(None)
    baseline = run_once(1)
    for _ in range(rounds):
        seed = random.randrange(1 << 30)
        jitter(seed)
        assert_same(baseline, run_once(forks), f"{label}, forks={forks}, seed={seed}")
    jitter(None)
    return baseline


# -- the equivalence playbooks ------------------------------------------------------------


@pytest.fixture(scope="module")
def free_playbooks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The equivalence playbooks with ``strategy: free`` on every play."""
    root = tmp_path_factory.mktemp("free") / "playbooks"
    shutil.copytree(EQUIVALENCE / "playbooks", root)
    for book in root.glob("*.yml"):
        lines = book.read_text().splitlines(keepends=True)
        out: list[str] = []
        for line in lines:
            out.append(line)
            if line.startswith("- ") and not line.startswith("- import_playbook"):
                out.append("  strategy: free\n")
        book.write_text("".join(out))
    return root


def _free_applies(case: Any) -> bool:
    """Free-strategy variants worth running: not the ones whose results depend on timing by
    design, nor variants (they only select other tasks) and slow ones the linear run covers."""
    return not (
        case.playbook in FREE_TIMING_DEPENDENT or case.playbook in SLOW_UNDER_FREE or case.variant
    )


STRESS = [pytest.param(case, "linear", id=f"{case.id}-linear") for case in CASES] + [
    pytest.param(case, "free", id=f"{case.id}-free") for case in CASES if _free_applies(case)
]


@pytest.mark.parametrize(("case", "strategy"), STRESS)
def test_equivalence_playbooks_do_not_depend_on_threads(
    case: Any,
    strategy: str,
    free_playbooks: Path,
    tmp_path: Path,
    jitter: Callable[[int | None], None],
) -> None:
    book = case.playbook_path if strategy == "linear" else free_playbooks / case.playbook_path.name
    inventory = str(EQUIVALENCE / "inventory.yml")

    def once(forks: int) -> Outcome:
        return run(
            book,
            inventory,
            tmp_path / "base",
            forks,
            tags=case.tags or None,
            skip_tags=case.skip_tags or None,
            check=case.check,
            extra_vars=dict(case.extra_vars),
        )

    compare(once, jitter, ROUNDS, 8, f"{case.id} ({strategy})")


# -- a language playbook with the shared state the races were in ---------------------------

LANGUAGE = """
- hosts: all
  gather_facts: false
  strategy: {strategy}
  vars: {{which: inner}}
  tasks:
    - name: templated include, the same file on every host at once
      include_tasks: "tasks/{{{{ which }}}}.yml"
    - name: stop some hosts
      meta: end_host
      when: inventory_hostname in ['h03', 'h07']
    - name: change and notify
      command: "true"
      notify: [handler one, handler two]
      when: inventory_hostname != 'h05'
    - name: flush here
      meta: flush_handlers
    - name: a block that fails on some hosts
      block:
        - name: maybe fail
          command: "{{{{ 'false' if inventory_hostname in ['h01', 'h09'] else 'true' }}}}"
      rescue:
        - name: rescued
          set_fact: {{rescued: true}}
      always:
        - name: always
          debug: msg=always
    - name: on the controller for each host
      command: echo {{{{ inventory_hostname }}}}
      delegate_to: localhost
      register: delegated
      changed_when: false
    - name: loop with register
      command: "echo {{{{ item }}}}"
      loop: [1, 2, 3]
      register: looped
      changed_when: item == 2
    - name: read what was registered
      assert:
        that:
          - looped.results | length == 3
          - delegated.stdout == inventory_hostname
    - name: a real failure
      fail: msg=boom
      when: inventory_hostname in ['h02', 'h10']
    - name: after the failure
      debug: msg=after
  handlers:
    - name: handler one
      debug: msg=one
    - name: handler two
      command: "true"
"""

INNER = "".join(
    f'- name: inner {i}\n  debug: msg="{i} {{{{ inventory_hostname }}}}"\n'
    f"  when: inventory_hostname != 'h00' or {i} % 2 == 0\n"
    for i in range(40)
)


@pytest.mark.parametrize("strategy", ["linear", "free"])
def test_language_playbook_does_not_depend_on_threads(
    strategy: str, tmp_path: Path, jitter: Callable[[int | None], None]
) -> None:
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "inner.yml").write_text(INNER)
    book = tmp_path / "site.yml"
    book.write_text(LANGUAGE.format(strategy=strategy))
    inventory = {
        "all": {
            "hosts": {f"h{i:02}": None for i in range(12)},
            "vars": {"ansible_connection": "local"},
        }
    }

    def once(forks: int) -> Outcome:
        return run(book, inventory, tmp_path / "base", forks)

    outcome = compare(once, jitter, LANGUAGE_ROUNDS, 12, f"language ({strategy})")
    assert outcome.exit_code == 2
    assert sorted(h for h, s in outcome.stats.items() if s["failed"]) == ["h02", "h10"]
    assert sorted(h for h, s in outcome.stats.items() if s["rescued"]) == ["h01", "h09"]
