"""Text shapes shared by the plain console, the log file and the live view.

Result lines keep ansible-playbook's shapes (``ok: [web1] => {...}``, ``fatal: [web2]:
FAILED! => {...}``) because scripts grep them. Result details are JSON, except that a
multi-line string (stdout, stderr, msg …) is shown as its real lines under ``key: |``,
never as one escaped JSON string.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from typing import Any

from ..events import HostResult, RunEnd, status_of
from ..templating.lines import Lines, blocks_of

HIDDEN_KEYS = (
    "stdout_lines",
    "stderr_lines",
    "_quiet",
    "ansible_loop_var",
    "_ansible_item_label",
    "diff",
)
BRIEF_KEYS = (
    "msg",
    "rc",
    "stdout",
    "stderr",
    "cmd",
    "assertion",
    "censored",
    "changed",
    "unreachable",
)
INCLUDES = ("include_tasks", "include_role")  # shown as Ansible shows them: `included: X for HOST`

STATUS_WORDS = {
    "ok": "ok",
    "changed": "changed",
    "skipped": "skipping",
    "unpredictable": "unpredictable",
}
RECAP_KEYS = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")
_BLOCK = re.compile(r'^(?P<head>\s*(?:".*": )?)"\\u0000(?P<n>\d+)\\u0000",?$')


def banner(title: str) -> str:
    return f"{title} " + "*" * max(3, 79 - len(title))


class ResultFormatter:
    """One host's result of one task as the lines ansible-playbook would print."""

    def __init__(self, verbosity: int = 0) -> None:
        self.verbosity = verbosity
        self._warned: set[str] = set()  # as Ansible, a module's warning is shown once a run

    def result(self, res: HostResult) -> str:
        lines = []
        for item in res.items:
            lines += self._warnings(item)
            lines += [render_diff(item.get("diff")), self._item_line(res, item)]
        lines += self._warnings(res.result)
        lines += [render_diff(res.result.get("diff")), self.line(res, res.result, res.status)]
        return "\n".join(line for line in lines if line)

    def _warnings(self, result: dict[str, Any]) -> list[str]:
        """``[WARNING]:`` lines for the module's ``warnings`` not shown yet in this run."""
        found = result.get("warnings")
        shown = [str(w) for w in found] if isinstance(found, list) else []
        fresh = [w for w in dict.fromkeys(shown) if w not in self._warned]
        self._warned.update(fresh)
        return [f"[WARNING]: {w}" for w in fresh]

    def _item_line(self, res: HostResult, item: dict[str, Any]) -> str:
        status = status_of(item)
        label = item.get("_ansible_item_label", item.get(item.get("ansible_loop_var", "item")))
        return self.line(res, item, status, f" => (item={compact(label)})")

    def line(self, res: HostResult, result: dict[str, Any], status: str, item: str = "") -> str:
        host = f"[{res.host}]"
        if status == "failed":
            word = "failed" if item else "fatal"
            text = f"{word}: {host}{item}: FAILED! => {self.details(result)}"
            return text + ("\n...ignoring" if res.ignored and not item else "")
        if status == "unreachable":
            text = f"fatal: {host}: UNREACHABLE! => {self.details(result)}"
            return text + ("\n...ignoring" if res.ignored and not item else "")
        if res.items and not item:
            return ""  # a loop's per-item lines already told the story
        if status == "ok" and res.action in INCLUDES and "include" in result:
            return f"included: {result['include']} for {res.host}{item}"
        detail = self.visible(res, result, status)
        return f"{STATUS_WORDS[status]}: {host}{item}" + (f" => {detail}" if detail else "")

    def visible(self, res: HostResult, result: dict[str, Any], status: str) -> str:
        """What an ok/changed/skipped line shows after ``=>`` ('' for nothing)."""
        if res.action == "debug" and status == "ok":
            return pretty({k: v for k, v in result.items() if k not in ("changed", "failed")})
        if res.action == "assert" and status == "ok" and not result.get("_quiet"):
            return pretty({"changed": False, "msg": result.get("msg")})
        if self.verbosity > 0 and status != "skipped":
            return pretty({k: v for k, v in result.items() if k not in HIDDEN_KEYS})
        return ""

    def details(self, result: dict[str, Any]) -> str:
        """A failure's details: the telling keys, or everything from -v on."""
        shown = {k: v for k, v in result.items() if k not in HIDDEN_KEYS}
        if self.verbosity == 0:
            shown = {k: v for k, v in shown.items() if k in BRIEF_KEYS and v not in ("", None)}
        return pretty(shown)


def recap_lines(end: RunEnd) -> list[str]:
    """``host : ok=3 changed=1 …`` lines, in the exact shape of ansible-playbook's recap."""
    return [
        f"{host:<26} : ok={s['ok']:<4} changed={s['changed']:<4} "
        f"unreachable={s['unreachable']:<4} failed={s['failed']:<4} "
        f"skipped={s['skipped']:<4} rescued={s['rescued']:<4} ignored={s['ignored']:<4}".rstrip()
        for host, s in sorted(end.stats.items())  # sorted by host, as ansible-playbook does
    ]


def command_lines(host: str, command: str) -> str:
    """A command sent to a host (-vv): one line, or the first line and the rest indented."""
    first, *rest = command.splitlines() or [""]
    return "\n".join([f"<{host}> EXEC: {first}", *(f"    {line}".rstrip() for line in rest)])


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
    text = "".join(
        difflib.unified_diff(
            str(before).splitlines(keepends=True),
            str(after).splitlines(keepends=True),
            fromfile=old,
            tofile=new,
        )
    )
    return text.rstrip("\n") if text else ""


def compact(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str, sort_keys=True)


def pretty(value: Any) -> str:
    """Indented JSON, except multi-line strings, which become ``|`` blocks of real lines."""
    blocks: list[str] = []
    text = json.dumps(_mark_blocks(value, blocks), indent=4, default=str, ensure_ascii=False)
    if not blocks:
        return text
    out = []
    for line in text.splitlines():
        match = _BLOCK.match(line)
        if match is None:
            out.append(line)
            continue
        indent = " " * (len(line) - len(line.lstrip()) + 4)
        out.append(f"{match['head']}|")
        out.append(_indented(blocks[int(match["n"])], indent))
    return "\n".join(out)


def _indented(text: str, indent: str) -> str:
    """Each line of ``text`` indented (and right-stripped), a block of lines at a time: a
    huge output never becomes a list of all its lines."""
    return "\n".join(
        "\n".join(f"{indent}{part}".rstrip() for part in block.splitlines())
        for block in blocks_of(text)
    )


def _mark_blocks(value: Any, blocks: list[str]) -> Any:
    """Swap each multi-line string for a NUL-delimited token that JSON escapes visibly."""
    if isinstance(value, str):
        if "\n" not in value.strip("\n"):
            return value
        blocks.append(value.rstrip("\n"))
        return f"\x00{len(blocks) - 1}\x00"
    if isinstance(value, Mapping):
        return {k: _mark_blocks(v, blocks) for k, v in value.items()}
    if isinstance(value, (list, tuple, Lines)):
        return [_mark_blocks(v, blocks) for v in value]
    return value
