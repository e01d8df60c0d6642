"""`validate` on a few thousand hostile inputs (issue 8 item 10): seeded, so a failure is
reproducible with ``fuzzcases.generate(SEED, CASES)`` and the index it reports.

Every case must come back as a list of problems (or none), each error with a location, and
within a time and memory bound: before the limits in docs/validation.md, such inputs raised
15 kinds of uncaught exceptions, ran for minutes or ate gigabytes. The bounds are generous
(a case takes milliseconds); they catch blow-ups, not slowness.
"""

from __future__ import annotations

import io
import os
import resource
import tempfile
import time
import traceback
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from fuzzcases import Case, generate

import playbook_engine as pbe
from playbook_engine.cli import main
from playbook_engine.errors import Problem
from playbook_engine.reporting import problems as fmt

SEED = 20240608
CASES = 2000
SECONDS_PER_CASE = 15.0  # the slowest case (a 100,000-host range) takes about a second
PEAK_BYTES_PER_CASE = 400 << 20
# Cases whose memory is traced one by one (tracing every case would triple the run time);
# the growth of the process's peak RSS over the whole run bounds all the others.
TRACED = ("alias-bomb", "deep/", "host-range", "free-form", "names", "role-deps")
RSS_GROWTH = 1 << 30
CLI_EVERY = 20  # also run `pbe validate` on every 20th case


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss << 10  # KiB on Linux


def _check(case: Case, root: Path) -> tuple[str | None, float, int]:
    """(what went wrong or None, seconds, peak traced bytes) for one case."""
    book, inventory = case.write(root)
    traced = case.kind.startswith(TRACED)
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    try:
        problems = pbe.validate(book, inventory)
        fmt.as_human(problems), fmt.as_json(str(book), problems), fmt.as_github(problems)
    except Exception as exc:  # the point of the test: nothing may escape
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        return (
            (
                f"{type(exc).__name__}: {str(exc)[:200]} at {Path(frame.filename).name}:"
                f"{frame.lineno}"
            ),
            0.0,
            0,
        )
    finally:
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if traced else 0
        tracemalloc.stop()
    return _judge(problems), seconds, peak


def _cli_exit(case: Case, root: Path) -> str | None:
    """``pbe validate`` itself on the same files: exit 0 or 4, never a traceback or 250."""
    book, inventory = case.write(root)
    out, err = io.StringIO(), io.StringIO()
    code = main(["validate", str(book), *(["-i", inventory] if inventory else [])], out, err)
    if code not in (0, 4) or "internal error" in err.getvalue():
        return f"pbe validate exited {code}: {err.getvalue()[-300:]}"
    return None


def _judge(problems: object) -> str | None:
    if not isinstance(problems, list) or not all(isinstance(p, Problem) for p in problems):
        return f"validate returned {type(problems).__name__}, not a list of Problem"
    unlocated = [p.message for p in problems if p.severity == "error" and p.location is None]
    return f"errors without a location: {unlocated[:3]}" if unlocated else None


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    """Where the cases are written: a RAM disk when there is one (thousands of small
    files and symlinks cost seconds on a real disk), else pytest's tmp_path."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(dir=shm, prefix="pbe-fuzz-") as name:
        yield Path(name)


def test_validate_survives_hostile_input(scratch: Path) -> None:
    failures: list[str] = []
    rss_before = _peak_rss()
    for index, case in enumerate(generate(SEED, CASES)):
        wrong, seconds, peak = _check(case, scratch / str(index))
        where = f"case {index} ({case.kind} {case.notes[:1]})"
        if wrong:
            failures.append(f"{where}: {wrong}")
        if seconds > SECONDS_PER_CASE:
            failures.append(f"{where}: took {seconds:.1f}s")
        if peak > PEAK_BYTES_PER_CASE:
            failures.append(f"{where}: peak memory {peak >> 20} MB")
        if index % CLI_EVERY == 0 and (wrong := _cli_exit(case, scratch / str(index))):
            failures.append(f"{where}: {wrong}")
        if _peak_rss() - rss_before > RSS_GROWTH:
            failures.append(f"{where}: the process grew past {RSS_GROWTH >> 20} MB")
            break
    assert not failures, "\n".join(failures[:30])


def test_the_generators_cover_every_class() -> None:
    kinds = {case.kind.split("/")[0] for case in generate(SEED, CASES)}
    assert kinds == {
        "mutated-playbook",
        "mutated-task-file",
        "mutated-inventory",
        "keyword-types",
        "deep",
        "deep-template",
        "alias-bomb",
        "names",
        "role-deps",
        "host-range",
        "free-form",
        "empty",
        "bytes",
        "vars-files",
        "task-shapes",
    }
