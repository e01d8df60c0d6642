"""An ansible-playbook stdout callback that writes what the equivalence suite compares.

Used only by ``record.py`` when recording expectations with a real ansible-core (it is loaded
by Ansible from this directory; pbe never imports it). It writes one JSON document to the
file named by ``PBE_EQUIVALENCE_OUT``: per play, per host, the tasks in the order the host
ran them with their status, and the recap counts per host. ansible-core 2.21 ships no JSON
callback of its own (``json`` lives in the ansible.posix collection), hence this file.
"""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
    name: equivalence
    type: stdout
    short_description: per-host task statuses for pbe's equivalence suite
    description: Writes per-play, per-host task statuses and the recap as JSON.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "equivalence"

    def __init__(self) -> None:
        super().__init__()
        self.plays: list[dict] = []
        self.handlers: set[str] = set()
        self.stats: dict[str, dict[str, int]] = {}

    def v2_playbook_on_play_start(self, play) -> None:
        # Ansible starts a play again for each serial batch: one entry per play all the same.
        if self.plays and self.plays[-1]["uuid"] == play._uuid:
            return
        self.plays.append({"uuid": play._uuid, "name": play.get_name().strip(), "hosts": {}})

    def v2_playbook_on_handler_task_start(self, task) -> None:
        self.handlers.add(task._uuid)

    def _record(self, result, status: str, ignored: bool = False) -> None:
        task = result._task
        entry = {"task": task.get_name().strip(), "status": status}  # `ROLE : NAME` as shown
        if task._uuid in self.handlers:
            entry["handler"] = True
        if ignored:
            entry["ignored"] = True
        self.plays[-1]["hosts"].setdefault(result._host.get_name(), []).append(entry)

    def v2_runner_on_ok(self, result) -> None:
        self._record(result, "changed" if result._result.get("changed") else "ok")

    def v2_runner_on_failed(self, result, ignore_errors: bool = False) -> None:
        self._record(result, "failed", ignored=ignore_errors)

    def v2_runner_on_skipped(self, result) -> None:
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result) -> None:
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats) -> None:
        for host in sorted(stats.processed):
            s = stats.summarize(host)
            self.stats[host] = {
                "ok": s["ok"],
                "changed": s["changed"],
                "unreachable": s["unreachable"],
                "failed": s["failures"],
                "skipped": s["skipped"],
                "rescued": s["rescued"],
                "ignored": s["ignored"],
            }
        out = os.environ["PBE_EQUIVALENCE_OUT"]
        plays = [{"name": p["name"], "hosts": p["hosts"]} for p in self.plays]
        with open(out, "w", encoding="utf-8") as fh:
            json.dump({"plays": plays, "stats": self.stats}, fh)
