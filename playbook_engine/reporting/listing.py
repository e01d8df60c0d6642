"""``--list-hosts`` / ``--list-tasks``: what a run would touch, without touching it."""

from __future__ import annotations

from collections.abc import Iterable

from ..inventory.model import Inventory
from ..language.model import Block, Playbook, TaskItem
from ..options import RunOptions


def _tasks(items: Iterable[TaskItem], depth: int = 0) -> list[str]:
    lines: list[str] = []
    for item in items:
        if isinstance(item, Block):
            lines += _tasks(item.block + item.rescue + item.always, depth)
        else:
            tags = ", ".join(item.tags)
            lines.append(f"      {item.display_name}\tTAGS: [{tags}]")
    return lines


def list_plays(
    playbook: Playbook, inventory: Inventory, options: RunOptions, hosts: bool, tasks: bool
) -> str:
    allowed = None
    if options.limit:
        candidates = inventory.select("all") + inventory.select("localhost")
        allowed = {h.name for h in inventory.limit(candidates, options.limit)}
    lines = [f"\nplaybook: {playbook.path}"]
    for index, play in enumerate(playbook.plays, 1):
        lines.append(
            f"\n  play #{index} ({play.hosts}): {play.display_name}\tTAGS: [{', '.join(play.tags)}]"
        )
        if hosts:
            names = [
                h.name for h in inventory.select(play.hosts) if allowed is None or h.name in allowed
            ]
            lines.append(f"    pattern: {[play.hosts]}")
            lines.append(f"    hosts ({len(names)}):")
            lines += [f"      {name}" for name in names]
        if tasks:
            lines.append("    tasks:")
            lines += _tasks(play.all_tasks())
    return "\n".join(lines) + "\n"
