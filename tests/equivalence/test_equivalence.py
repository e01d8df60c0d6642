"""pbe gives the per-task results ansible-playbook gave for the same playbooks.

Each case of ``equivalence_cases.CASES`` runs through ``playbook_engine.run()`` with the
inventory, tags, ``--check`` and extra vars its expectation was recorded with (by
``record.py``, with a real ansible-core), and the per-host task statuses, the recap counts
and the exit code must be identical. Ansible is not needed here: only ``expected/*.json``.

Normalisation on pbe's side: ``unpredictable`` (a check run could not know the outcome,
which pbe counts as skipped in the recap) compares as ``skipped``, the status Ansible
reports for a module it cannot run in check mode; meta tasks report nothing on either side.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import pytest
from equivalence_cases import CASES, INVENTORY, STATS_KEYS, Case, dumps

import playbook_engine as pbe
from playbook_engine.events import Event, HostResult, PlayStart, TaskStart

# Cases where pbe differs from ansible-playbook today: case id -> what pbe does wrong.
# Each is a strict xfail: when pbe is fixed the test XPASSes and fails; remove the entry.
KNOWN_DIFFERENCES: dict[str, str] = {
    "15_check_mode.check": (
        "design difference: stat sees a directory a check-mode `file` task would create "
        "(pbe plans later tasks against the predicted state, see "
        "16_check_predictions.check); Ansible looks at the real host"
    ),
    "16_check_predictions.check": (
        "design difference: pbe's check mode shows later tasks the predicted file state "
        "(lineinfile/blockinfile/link/absent on a file an earlier check-mode task would "
        "create report changed, stat says it exists); Ansible looks at the real host: "
        "those fail with 'does not exist' (or are ok), stat says missing"
    ),
}


class Recorder:
    """Builds the expectation document's shape from pbe's events."""

    def __init__(self) -> None:
        self.plays: list[dict[str, Any]] = []
        self.handlers: set[tuple[int, int]] = set()
        self.messages: dict[tuple[int, str, int], str] = {}  # for the report, not compared

    def __call__(self, event: Event) -> None:
        if isinstance(event, PlayStart):
            self.plays.append({"name": event.name, "hosts": {}})
        elif isinstance(event, TaskStart):
            key = (event.play, event.index)
            if event.is_handler:
                self.handlers.add(key)
            else:
                self.handlers.discard(key)
        elif isinstance(event, HostResult):
            self._result(event)

    def _result(self, res: HostResult) -> None:
        status = "skipped" if res.status == "unpredictable" else res.status
        entry: dict[str, Any] = {"task": res.task_name, "status": status}
        if (res.play, res.task) in self.handlers:
            entry["handler"] = True
        if res.ignored:
            entry["ignored"] = True
        tasks = self.plays[-1]["hosts"].setdefault(res.host, [])
        if res.status == "failed":
            self.messages[(len(self.plays) - 1, res.host, len(tasks))] = res.message
        tasks.append(entry)


def run_pbe(case: Case, base: Path) -> dict[str, Any]:
    recorder = Recorder()
    try:
        result = pbe.run(
            case.playbook_path,
            str(INVENTORY),
            tags=case.tags or None,
            skip_tags=case.skip_tags or None,
            check=case.check,
            extra_vars={"base": str(base), **case.extra_vars},
            on_event=recorder,
        )
    except pbe.PbeError as exc:  # refused before the run: no play, no recap
        return {
            "case": case.describe(),
            "exit_code": int(exc.exit_code),
            "plays": [],
            "stats": {},
            "error": str(exc),
        }
    stats = {host: {k: counts[k] for k in STATS_KEYS} for host, counts in result.stats.items()}
    return {
        "case": case.describe(),
        "exit_code": int(result.exit_code),
        "plays": recorder.plays,
        "stats": stats,
        "error": result.error,
        "messages": recorder.messages,
    }


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Readable differences: play, host, task, ansible vs pbe."""
    out: list[str] = []
    if expected["exit_code"] != actual["exit_code"]:
        out.append(f"exit code: ansible {expected['exit_code']}, pbe {actual['exit_code']}")
    exp_plays, act_plays = expected["plays"], actual["plays"]
    if [p["name"] for p in exp_plays] != [p["name"] for p in act_plays]:
        out.append(
            f"plays: ansible {[p['name'] for p in exp_plays]}, pbe {[p['name'] for p in act_plays]}"
        )
    for n, (exp, act) in enumerate(zip(exp_plays, act_plays, strict=False)):
        for host in sorted(set(exp["hosts"]) | set(act["hosts"])):
            messages = {
                i: m for (p, h, i), m in actual.get("messages", {}).items() if (p, h) == (n, host)
            }
            out += _host_diff(
                f"play {n + 1} `{exp['name']}`, {host}",
                exp["hosts"].get(host, []),
                act["hosts"].get(host, []),
                messages,
            )
    for host in sorted(set(expected["stats"]) | set(actual["stats"])):
        e, a = expected["stats"].get(host), actual["stats"].get(host)
        if e != a:
            out.append(f"recap {host}: ansible {e}, pbe {a}")
    return out


def _label(entry: dict[str, Any]) -> str:
    flags = "".join(f" ({k})" for k in ("handler", "ignored") if entry.get(k))
    return f"{entry['task']!r}: {entry['status']}{flags}"


def _host_diff(
    where: str,
    expected: list[dict[str, Any]],
    actual: list[dict[str, Any]],
    messages: dict[int, str],
) -> list[str]:
    """One host's task list, as a diff; pbe's failure messages follow its failed tasks."""
    exp, act = [_label(e) for e in expected], [_label(a) for a in actual]
    if exp == act:
        return []
    lines = [f"{where}:"]
    matcher = difflib.SequenceMatcher(a=exp, b=act, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        lines += [f"    ansible only  {x}" for x in exp[i1:i2]]
        for j in range(j1, j2):
            why = f"  <- {messages[j][:300]}" if j in messages else ""
            lines.append(f"    pbe only      {act[j]}{why}")
    return lines


def _param(case: Case) -> Any:
    reason = KNOWN_DIFFERENCES.get(case.id)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_pbe_matches_ansible(case: Case, tmp_path: Path) -> None:
    expected = json.loads(case.expected_path.read_text())
    assert expected["case"] == case.describe(), "the case changed: re-run record.py"
    actual = run_pbe(case, tmp_path)
    problems = differences(expected, actual)
    if problems:
        error = f"\npbe's error: {actual['error']}" if actual.get("error") else ""
        pytest.fail(
            f"{case.id}: pbe differs from ansible-playbook:\n  " + "\n  ".join(problems) + error,
            pytrace=False,
        )


def test_every_case_has_an_expectation() -> None:
    missing = [c.id for c in CASES if not c.expected_path.exists()]
    assert not missing, f"run tests/equivalence/record.py for: {missing}"


def test_expectation_files_are_in_canonical_form() -> None:
    """Hand edits would show up here: expectations come from record.py only."""
    for case in CASES:
        text = case.expected_path.read_text()
        assert text == dumps(json.loads(text)), case.id
