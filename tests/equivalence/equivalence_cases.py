"""The equivalence cases: which playbook, run how. Shared by ``record.py`` and the test.

A case is one ansible-playbook run: a playbook of ``playbooks/`` plus a variant (tag
selection, ``--check``, extra vars). Its expectation lives in ``expected/<case id>.json``:

    {"case": {...}, "exit_code": 2,
     "plays": [{"name": "...", "hosts": {"web1": [{"task": "...", "status": "ok"}, ...]}}],
     "stats": {"web1": {"ok": 3, "changed": 1, ...}}}

Per play, each host's tasks are listed in the order that host ran them, with a status
(ok, changed, skipped, failed, unreachable) and ``"ignored": true`` for an ignored
failure, ``"handler": true`` for a handler. Comparing per host keeps the suite independent
of how the two engines interleave hosts (Ansible runs a dynamically included file once per
host when the include's variables differ); the order of one host's tasks is compared
exactly. ``stats`` are the recap's counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PLAYBOOKS = HERE / "playbooks"
EXPECTED = HERE / "expected"
INVENTORY = HERE / "inventory.yml"
STATS_KEYS = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")


@dataclass(frozen=True)
class Case:
    playbook: str
    variant: str = ""
    tags: tuple[str, ...] = ()
    skip_tags: tuple[str, ...] = ()
    check: bool = False
    extra_vars: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.playbook}.{self.variant}" if self.variant else self.playbook

    @property
    def playbook_path(self) -> Path:
        return PLAYBOOKS / f"{self.playbook}.yml"

    @property
    def expected_path(self) -> Path:
        return EXPECTED / f"{self.id}.json"

    def describe(self) -> dict[str, Any]:
        """The run's parameters as recorded in the expectation file (for readers)."""
        return {
            "playbook": f"playbooks/{self.playbook}.yml",
            "tags": list(self.tags),
            "skip_tags": list(self.skip_tags),
            "check": self.check,
            "extra_vars": dict(self.extra_vars),
        }


def _tags(variant: str, tags: str = "", skip: str = "") -> Case:
    return Case(
        "14_tags",
        variant,
        tags=tuple(filter(None, tags.split(","))),
        skip_tags=tuple(filter(None, skip.split(","))),
    )


CASES: tuple[Case, ...] = (
    Case("01_conditionals"),
    Case("02_loops"),
    Case("03_until"),
    Case("04_results"),
    Case("05_handlers"),
    Case("06_blocks"),
    Case("07_includes"),
    Case("08_roles"),
    Case("09_variables"),
    Case("10_serial"),
    Case("11_max_fail"),
    Case("12_any_errors_fatal"),
    Case("13_fatal_rescue"),
    Case("14_tags"),
    _tags("tags-deploy", tags="deploy"),
    _tags("tags-imported", tags="imported"),
    _tags("tags-included", tags="included"),
    _tags("tags-applied", tags="applied"),
    _tags("tags-inner", tags="inner"),
    _tags("tags-debug_only", tags="debug_only"),
    _tags("tags-never", tags="never"),
    _tags("tags-tagged", tags="tagged"),
    _tags("tags-untagged", tags="untagged"),
    _tags("tags-roletag-own", tags="roletag,own"),
    _tags("skip-always", skip="always"),
    _tags("skip-deploy-blocktag", skip="deploy,blocktag"),
    _tags("tags-deploy-skip-config", tags="deploy", skip="config"),
    Case("15_check_mode"),
    Case("15_check_mode", "check", check=True, extra_vars={"expect_check": True}),
    Case("16_check_predictions"),
    Case("16_check_predictions", "check", check=True),
    Case("17_filters"),
    Case("18_lookups"),
    Case("19_files"),
    Case("20_role_handler_order"),
)


def dumps(document: dict[str, Any]) -> str:
    """JSON with one task per line: readable in review, stable in diffs."""
    lines = [
        "{",
        f'  "case": {json.dumps(document["case"])},',
        f'  "exit_code": {document["exit_code"]},',
        '  "plays": [',
    ]
    for p, play in enumerate(document["plays"]):
        lines.append(f'    {{"name": {json.dumps(play["name"])}, "hosts": {{')
        hosts = sorted(play["hosts"])
        for h, host in enumerate(hosts):
            lines.append(f"      {json.dumps(host)}: [")
            tasks = play["hosts"][host]
            lines += [
                f"        {json.dumps(t)}" + ("," if i < len(tasks) - 1 else "")
                for i, t in enumerate(tasks)
            ]
            lines.append("      ]" + ("," if h < len(hosts) - 1 else ""))
        lines.append("    }}" + ("," if p < len(document["plays"]) - 1 else ""))
    lines.append("  ],")
    lines.append('  "stats": {')
    stats = sorted(document["stats"])
    lines += [
        f"    {json.dumps(h)}: {json.dumps(document['stats'][h])}"
        + ("," if i < len(stats) - 1 else "")
        for i, h in enumerate(stats)
    ]
    lines += ["  }", "}", ""]
    return "\n".join(lines)
