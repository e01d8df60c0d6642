"""Every module's planning, from recorded host output: tests/unit/modules/recorded/<module>/.

Each case file gives the module, its arguments, check/diff mode, what each command the
module runs answers (``host``), and what is expected: the registered result's keys (only
those given are compared) and how many commands ran (the round-trip budget). A command the
case did not foresee fails the case.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from playbook_engine.testing.recorded import load_case, run_case

CASES = sorted((Path(__file__).parent / "recorded").glob("*/*.yaml"))


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_recorded_case(path: Path) -> None:
    case = load_case(path)
    result, host = run_case(case)
    expect: dict[str, Any] = case["expect"]
    shown = {k: result.get(k, "<missing>") for k in expect.get("result", {})}
    assert shown == expect.get("result", {}), f"{case['description']}\n{result}"
    if "commands" in expect:
        assert len(host.commands) == expect["commands"], host.commands
    assert not host.answers, f"answers never asked for: {host.answers}"
