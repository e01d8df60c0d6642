"""Human output in plain lines, shaped like ansible-playbook's where scripts parse it.

Results of one task are printed when the task ends, in inventory order, so the output
does not depend on thread timing.
"""

from __future__ import annotations

import difflib
import json
from typing import Any, TextIO

from ..events import (
    Event,
    HostResult,
    PlayStart,
    RunEnd,
    RunStart,
    RunWarning,
    TaskEnd,
    TaskStart,
)

_HIDDEN_KEYS = ("stdout_lines", "stderr_lines", "_quiet", "ansible_loop_var",
                "_ansible_item_label", "diff")


def _banner(title: str) -> str:
    return f"{title} " + "*" * max(3, 79 - len(title))


class ConsoleSink:
    def __init__(self, out: TextIO, verbosity: int = 0) -> None:
        self.out = out
        self.verbosity = verbosity
        self._buffer: list[HostResult] = []
        self._hosts: tuple[str, ...] = ()
        self._results = 0
        self._unknown = 0

    def handle(self, event: Event) -> None:
        if isinstance(event, PlayStart):
            self._write(f"\n{_banner(f'PLAY [{event.name}]')}")
        elif isinstance(event, TaskStart):
            self._hosts = event.hosts
            self._buffer = []
            kind = "RUNNING HANDLER" if event.is_handler else "TASK"
            self._write(f"\n{_banner(f'{kind} [{event.name}]')}")
        elif isinstance(event, HostResult):
            self._buffer.append(event)
            self._results += 1
            self._unknown += event.unknown
        elif isinstance(event, TaskEnd):
            rank = {h: i for i, h in enumerate(self._hosts)}
            for res in sorted(self._buffer, key=lambda r: rank.get(r.host, len(rank))):
                self._write(self.format_result(res))
            self._buffer = []
        elif isinstance(event, RunWarning):
            where = f"{event.loc}: " if event.loc else ""
            self._write(f"[WARNING]: {where}{event.message}")
        elif isinstance(event, RunEnd):
            self._write(self.recap(event))
        elif isinstance(event, RunStart) and event.check:
            self._write("(check mode: no changes will be made)")

    def close(self) -> None:
        self.out.flush()

    def _write(self, text: str) -> None:
        self.out.write(text + "\n")

    def format_result(self, res: HostResult) -> str:
        lines = []
        for item in res.items:
            lines += [render_diff(item.get("diff")), self._item_line(res, item)]
        lines += [render_diff(res.result.get("diff")), self._line(res, res.result, res.status)]
        return "\n".join(line for line in lines if line)

    def _item_line(self, res: HostResult, item: dict[str, Any]) -> str:
        from ..executor import status_of

        status = status_of(item)
        label = item.get("_ansible_item_label", item.get(item.get("ansible_loop_var", "item")))
        return self._line(res, item, status, f" => (item={_compact(label)})")

    def _line(self, res: HostResult, result: dict[str, Any], status: str,
              item: str = "") -> str:
        host = f"[{res.host}]"
        if status == "failed":
            word = "failed" if item else "fatal"
            text = f"{word}: {host}{item}: FAILED! => {self._details(result, True)}"
            return text + ("\n...ignoring" if res.ignored and not item else "")
        if status == "unreachable":
            return f"fatal: {host}: UNREACHABLE! => {self._details(result, True)}"
        if res.items and not item:
            return ""  # a loop's per-item lines already told the story
        word = {"ok": "ok", "changed": "changed", "skipped": "skipping",
                "unpredictable": "unpredictable"}[status]
        detail = self._visible(res, result, status)
        return f"{word}: {host}{item}" + (f" => {detail}" if detail else "")

    def _visible(self, res: HostResult, result: dict[str, Any], status: str) -> str:
        if res.action == "debug" and status == "ok":
            return _pretty({k: v for k, v in result.items() if k not in ("changed",)})
        if res.action == "assert" and status == "ok" and not result.get("_quiet"):
            return _pretty({"changed": False, "msg": result.get("msg")})
        if self.verbosity > 0 and status != "skipped":
            return _pretty({k: v for k, v in result.items() if k not in _HIDDEN_KEYS})
        return ""

    def _details(self, result: dict[str, Any], failed: bool) -> str:
        shown = {k: v for k, v in result.items() if k not in _HIDDEN_KEYS}
        if self.verbosity == 0:
            keep = ("msg", "rc", "stdout", "stderr", "cmd", "assertion", "censored",
                    "changed", "unreachable")
            shown = {k: v for k, v in shown.items() if k in keep and v not in ("", None)}
        return _pretty(shown)

    def recap(self, end: RunEnd) -> str:
        lines = ["", _banner("PLAY RECAP")]
        for host, s in end.stats.items():
            lines.append(
                f"{host:<26} : ok={s['ok']:<4} changed={s['changed']:<4} "
                f"unreachable={s['unreachable']:<4} failed={s['failed']:<4} "
                f"skipped={s['skipped']:<4} rescued={s['rescued']:<4} ignored={s['ignored']:<4}"
                .rstrip())
        if end.check:
            lines.append(f"\ncheck mode: {self._results - self._unknown} task result(s) "
                         f"predicted, {self._unknown} could not be predicted (commands check "
                         "mode does not run, and tasks that depend on their results)")
        if end.interrupted:
            lines.append("\ninterrupted: stopped at a task boundary")
        return "\n".join(lines)


def render_diff(diff: Any) -> str:
    """A module's ``diff`` (a dict or a list of them) as unified diff text."""
    if not diff:
        return ""
    parts = diff if isinstance(diff, list) else [diff]
    return "\n".join(_one_diff(d) for d in parts if isinstance(d, dict))


def _one_diff(d: dict[str, Any]) -> str:
    before, after = d.get("before", ""), d.get("after", "")
    old = f"before: {d.get('before_header', '')}".rstrip(": ")
    new = f"after: {d.get('after_header', '')}".rstrip(": ")
    if isinstance(before, dict) or isinstance(after, dict):
        b, a = before or {}, after or {}
        lines = [f"--- {old}", f"+++ {new}"]
        for key in sorted(set(b) | set(a)):
            if b.get(key) != a.get(key):
                lines += [f"-{key}: {b.get(key)}", f"+{key}: {a.get(key)}"]
        return "\n".join(lines)
    text = "".join(difflib.unified_diff(
        str(before).splitlines(keepends=True), str(after).splitlines(keepends=True),
        fromfile=old, tofile=new))
    return text.rstrip("\n") if text else ""


def _compact(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str, sort_keys=True)


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=4, default=str, ensure_ascii=False)
