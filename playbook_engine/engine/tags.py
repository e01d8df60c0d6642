"""``--tags`` / ``--skip-tags`` selection, with Ansible's special tags.

``always`` runs unless skipped by name; ``never`` runs only when one of its other tags is
asked for; ``tagged`` / ``untagged`` / ``all`` select by whether a task has tags at all.
Tags are inherited: a task carries its play's and enclosing blocks' tags too.
"""

from __future__ import annotations

from collections.abc import Collection


def _wanted(tags: frozenset[str], only: frozenset[str]) -> bool:
    if "always" in tags:
        return True
    if "all" in only and "never" not in tags:
        return True
    if tags & only:
        return True
    if "tagged" in only and tags and "never" not in tags:
        return True
    return "untagged" in only and not tags


def _skipped(tags: frozenset[str], skip: frozenset[str]) -> bool:
    if "all" in skip:
        return "always" not in tags or "always" in skip
    if tags & skip:
        return True
    if "tagged" in skip and tags:
        return True
    return "untagged" in skip and not tags


def selected(tags: Collection[str], only: Collection[str] = (), skip: Collection[str] = ()) -> bool:
    """Whether a task with ``tags`` (inherited ones included) runs."""
    task_tags = frozenset(tags)
    if not _wanted(task_tags, frozenset(only) or frozenset({"all"})):
        return False
    return not (skip and _skipped(task_tags, frozenset(skip)))
