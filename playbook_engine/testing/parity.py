"""The check-mode promise as one assertion, for any module test (local or fleet hosts).

``check_predicts_run`` runs a playbook three times through the Python API: ``check=True``,
for real, and for real again. The real run's per-task, per-host statuses must equal what
the check run predicted (``unpredictable`` excepted: check mode said it could not know),
and the second real run must change nothing. The caller asserts the host state it wants
between the check run and the real one (nothing changed) and after.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..api import run
from ..engine.run import RunResult

__all__ = ["check_predicts_run", "statuses"]


def statuses(result: RunResult) -> list[tuple[str, str, str]]:
    """(task, host, status) of every result, in order."""
    return [(r.task_name, r.host, r.status) for r in result.results]


def check_predicts_run(
    book: str | Path, inventory: Any, unchanged: Callable[[], None] = lambda: None, **options: Any
) -> RunResult:
    """Check, run, run again; returns the first real run. ``unchanged`` is called after the
    check run to assert the host is as it was."""
    checked = run(book, inventory, check=True, **options)
    assert checked.exit_code in (0, 2), checked.error
    unchanged()
    real = run(book, inventory, **options)
    predicted = statuses(checked)
    actual = statuses(real)
    mismatch = [
        (p, a)
        for p, a in zip(predicted, actual, strict=False)
        if p != a and p[2] != "unpredictable"
    ]
    assert len(predicted) == len(actual), f"check mode predicted {predicted}\nthe run did {actual}"
    assert not mismatch, f"check mode predicted {predicted}\nthe run did {actual}"
    again = run(book, inventory, **options)
    changed = [s for s in statuses(again) if s[2] == "changed"]
    assert not changed, f"a second run changed {changed}"
    return real
