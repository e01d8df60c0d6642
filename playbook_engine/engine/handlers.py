"""Which handlers a notification reaches, and in which order handlers run, as in Ansible.

A notify names a handler or a listen topic. By name it reaches one handler: the first found
searching the handler groups (the play's own handlers, each role's) from the last loaded to
the first, in definition order within a group; so the play's own handler wins over a role's
of the same name, a later role's over an earlier one's, and of two in the same list the
first. By topic it reaches every handler listening to it, but of handlers sharing a name
only the first found that way. A role's handler also answers to ``role : name`` and
``role : topic`` (the role's short name or its collection name). Names are rendered with
the play's and the handler's role vars and the extra vars; one that cannot be rendered
answers to its name as written. Listen topics are taken as written: Ansible does not
template them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..language.model import Block, Play, Task
from ..language.roles import role_qualified

Render = Callable[[str, Task, int], str]


class HandlerIndex:
    """The play's handlers by name and topic, and their run order (``order``); handlers
    of roles read only at run time (a templated include_role) are ``add``ed then."""

    def __init__(self, play: Play, render: Render) -> None:
        # include_role brings its role's in (again: last) when it runs
        self._included = {
            task: [i for i, h in enumerate(play.handlers) if h.uid in uids]
            for task, uids in play.included_handlers.items()
        }
        self.order = [i for i, h in enumerate(play.handlers) if h.uid not in play.late_handlers]
        self.handlers: list[Task] = []
        self._uids: set[int] = set()  # of `handlers`: an include's are added once
        self._render = render
        self._names: list[set[str]] = []
        self._topics: list[set[str]] = []
        self._group: list[int] = []  # the uid of the handler's role block, 0: the play's own
        for handler in play.handlers:
            self._index(handler, play.handler_role(handler))

    def _index(self, handler: Task, block: Block | None) -> int:
        index = len(self.handlers)
        self.handlers.append(handler)
        self._uids.add(handler.uid)
        role = block.role.name if block is not None and block.role else None
        names = {handler.name} if handler.name else set()
        names |= {self._render(n, handler, index) for n in names}
        self._names.append(role_qualified(sorted(names), role))
        self._topics.append(role_qualified(handler.listen, role))
        self._group.append(block.uid if block is not None else 0)
        return index

    def add(self, handler: Task, blocks: tuple[Block, ...]) -> int | None:
        """A handler a run-time include brought: searched and run after the others, once
        however many hosts loaded it; its index, None when it was known already."""
        if handler.uid in self._uids:
            return None
        role = next((b for b in reversed(blocks) if b.role is not None), None)
        index = self._index(handler, role)
        self.order.append(index)
        return index

    def include(self, task: Task) -> None:
        """An include_role ran: the handlers it (re)loads now run, and are searched, last."""
        moved = self._included.get(task.uid, [])
        self.order = [i for i in self.order if i not in moved] + moved

    def reached(self, name: str) -> list[int]:
        """The handlers a notify of ``name`` reaches, in run order."""
        search = self._search_order()
        found = [i for i in search if name in self._names[i]][:1]
        seen: set[Any] = set()
        for index in search:
            handler = self.handlers[index]
            if name in self._topics[index] and (handler.name is None or handler.name not in seen):
                seen.add(handler.name)
                found.append(index)
        return [i for i in self.order if i in found]

    def _search_order(self) -> list[int]:
        groups: list[list[int]] = []
        for index in self.order:
            if groups and self._group[groups[-1][0]] == self._group[index]:
                groups[-1].append(index)
            else:
                groups.append([index])
        return [i for group in reversed(groups) for i in group]
