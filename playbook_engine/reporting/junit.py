"""``--junit FILE``: JUnit XML, in the common shape Jenkins, GitLab and GitHub reporters read.

One ``<testsuite>`` per play, one ``<testcase>`` per host and task (handlers too), named
``[host] task`` with the play as ``classname``. A failed task is a ``<failure>``, an
unreachable host an ``<error>``, a skipped task (or one check mode could not predict)
``<skipped>``; an ignored failure passes, with its message in ``<system-out>``.
The file is written once, when the run ends.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from ..events import Event, HostResult, PlayStart, RunEnd, RunStart, TaskEnd, TaskStart
from .text import ResultFormatter

# XML 1.0 cannot carry most control characters (terminal escapes in command output).
_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_formatter = ResultFormatter()


@dataclass
class _Suite:
    name: str
    started: float
    ended: float
    cases: list[ET.Element] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    )


class JUnitSink:
    def __init__(self, target: str | Path | IO[bytes]) -> None:
        """``target``: a path, or a binary file the caller opened (and closes)."""
        self.target = target
        self.name = "pbe"
        self.suites: list[_Suite] = []
        self._hosts: tuple[str, ...] = ()
        self._pending: list[HostResult] = []
        self._duration = 0.0

    def handle(self, event: Event) -> None:
        if isinstance(event, RunStart):
            self.name = event.playbook
        elif isinstance(event, PlayStart):
            self.suites.append(_Suite(event.name, event.at, event.at))
        elif isinstance(event, TaskStart):
            self._hosts, self._pending = event.hosts, []
        elif isinstance(event, HostResult):
            self._pending.append(event)
        elif isinstance(event, TaskEnd) and self.suites:
            self._task_end(self.suites[-1], event)
        elif isinstance(event, RunEnd):
            self._duration = event.duration

    def _task_end(self, suite: _Suite, event: TaskEnd) -> None:
        rank = {h: i for i, h in enumerate(self._hosts)}
        for res in sorted(self._pending, key=lambda r: rank.get(r.host, len(rank))):
            suite.cases.append(self._case(suite, res))
        suite.ended = event.at
        self._pending = []

    def _case(self, suite: _Suite, res: HostResult) -> ET.Element:
        case = ET.Element(
            "testcase",
            name=_clean(f"[{res.host}] {res.task_name}"),
            classname=_clean(suite.name),
            time=f"{res.duration:.3f}",
        )
        suite.counts["tests"] += 1
        message = _clean(_message(res))
        if res.status == "failed" and not res.ignored:
            suite.counts["failures"] += 1
            _child(case, "failure", _details(res), message=message, type="failed")
        elif res.status == "unreachable" and not res.ignored:
            suite.counts["errors"] += 1
            _child(case, "error", _details(res), message=message, type="unreachable")
        elif res.status in ("skipped", "unpredictable"):
            suite.counts["skipped"] += 1
            reason = res.result.get("skip_reason") or res.result.get("msg") or res.status
            _child(case, "skipped", "", message=_clean(str(reason)))
        elif res.ignored:
            _child(case, "system-out", f"ignored failure: {res.message}\n{_details(res)}")
        return case

    def document(self) -> ET.Element:
        totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
        root = ET.Element("testsuites", name=_clean(self.name))
        for suite in self.suites:
            attrs = {
                "name": _clean(suite.name),
                **{k: str(v) for k, v in suite.counts.items()},
                "time": f"{suite.ended - suite.started:.3f}",
                "timestamp": _iso(suite.started),
            }
            node = ET.SubElement(root, "testsuite", attrs)
            node.extend(suite.cases)
            for key in totals:
                totals[key] += suite.counts[key]
        root.attrib.update({k: str(v) for k, v in totals.items()})
        root.set("time", f"{self._duration:.3f}")
        return root

    def close(self) -> None:
        tree = ET.ElementTree(self.document())
        ET.indent(tree)
        target = str(self.target) if isinstance(self.target, Path) else self.target
        tree.write(target, encoding="utf-8", xml_declaration=True)
        if not isinstance(target, str):
            target.flush()


def _child(parent: ET.Element, tag: str, text: str, **attrs: Any) -> None:
    node = ET.SubElement(parent, tag, attrs)
    if text:
        node.text = _clean(text)


def _message(res: HostResult) -> str:
    """The failure's message, with the last line of stderr when the message lacks it."""
    message = res.message or res.status
    stderr = str(res.result.get("stderr") or "").strip()
    if stderr and stderr not in message:
        message = f"{message.rstrip('.')}: {stderr.splitlines()[-1]}"
    return message


def _details(res: HostResult) -> str:
    return _formatter.result(res)


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _iso(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
