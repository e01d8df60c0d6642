"""One host's walk through a play (block/rescue/always aware), and the order tasks line up in."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Sequence
from typing import Any

from ..events import HostResult
from ..language.model import Block, Task, TaskItem
from .executor import Scope
from .state import expands

Step = tuple[Task, Scope, tuple[int, ...]]
Walk = Generator[Step, HostResult, bool]


class HostIterator:
    """One host's walk through a play; ``send`` the result of each task to get the next.

    Each step carries a sort key (a tuple of positions) so the linear strategy can line
    hosts up on the same task even inside dynamic includes: an included task's key is the
    include's key plus its own position in the included file.
    """

    def __init__(
        self,
        items: Sequence[TaskItem],
        scope: Scope,
        on_rescue: Callable[[Task, Scope, HostResult], None],
        wanted: Callable[[Task, Scope], bool],
        expand: Callable[[Task], list[tuple[tuple[TaskItem, ...], dict[str, Any]]]],
        order_of: Callable[[Sequence[TaskItem]], dict[int, int]],
        roles_done: set[str] | None = None,
    ) -> None:
        self.rescued_last = False
        self.rescuable = False  # the pending task sits in a block that has a rescue
        self.lost = False  # unreachable: no rescue, no always
        self.cleared = False  # meta: clear_host_errors ran: the block's failure is forgiven
        self.in_always = False  # the pending task is in an always section (at any depth)
        self.ending_role = False  # meta: end_role ran: skip to the end of the current role
        self._always_depth = 0
        # roles (their keys) this host completed in the play: a task of theirs ran on it
        # (not skipped, not another host's run_once copy) and it reached their end
        self._roles_done = set() if roles_done is None else roles_done
        self._ran = 0  # tasks run on this host so far (counted results, not skipped)
        self._counted = True  # the result being sent is the host's own
        self._wanted = wanted
        self._on_rescue = on_rescue
        self._expand = expand
        self._order_of = order_of
        self._gen = self._items(items, scope, False, (), order_of(items))

    def first(self) -> Step | None:
        return self._advance(lambda: next(self._gen))

    def send(self, result: HostResult, counted: bool = True) -> Step | None:
        """The result of the pending step; ``counted``: the host's own (not a copy of
        another host's run_once result, nor a meta task's)."""
        self._counted = counted
        return self._advance(lambda: self._gen.send(result))

    def _advance(self, step: Callable[[], Step]) -> Step | None:
        self.rescued_last = False
        try:
            return step()
        except StopIteration:
            return None

    def _items(
        self,
        items: Iterable[TaskItem],
        scope: Scope,
        rescuable: bool,
        prefix: tuple[int, ...],
        order: dict[int, int],
    ) -> Walk:
        """Yield tasks in order; False once the host failed (a rescue may still catch it)."""
        for item in items:
            if isinstance(item, Block):
                if not (yield from self._block(item, scope.enter(item), rescuable, prefix, order)):
                    return False
                if self.ending_role:
                    return True
                continue
            if not self._wanted(item, scope):
                continue
            key = (*prefix, order[item.uid])
            self.rescuable = rescuable
            self.in_always = self._always_depth > 0
            result = yield (item, scope, key)
            self._ran += self._counted and result.status != "skipped"
            self.cleared |= item.meta == "clear_host_errors" and result.status == "ok"
            if item.meta == "end_role" and result.status == "ok":
                self.ending_role = True
                return True
            if not self._survived(item, scope, result, rescuable):
                return False
            included = expands(item.action) and result.status in ("ok", "changed")
            if included and not (yield from self._included(item, scope, rescuable, key)):
                return False
            if self.ending_role:
                return True
        return True

    def _survived(self, task: Task, scope: Scope, result: HostResult, rescuable: bool) -> bool:
        if result.status == "unreachable" and not result.ignored:
            self.lost = True
            return False
        if result.status == "failed" and not result.ignored:
            if rescuable:
                self.rescued_last = True
                self._on_rescue(task, scope, result)
            return False
        return True

    def _included(self, task: Task, scope: Scope, rescuable: bool, key: tuple[int, ...]) -> Walk:
        for n, (items, extra) in enumerate(self._expand(task)):
            inner = scope.with_params(extra)
            if not (
                yield from self._items(items, inner, rescuable, (*key, n), self._order_of(items))
            ):
                return False
            if self.ending_role:
                return True
        return True

    def _block(
        self,
        block: Block,
        scope: Scope,
        rescuable: bool,
        prefix: tuple[int, ...],
        order: dict[int, int],
    ) -> Walk:
        role = block.role
        if role is not None and role.dedupe and role.key in self._roles_done:
            return True  # a duplicate of a role this host completed: it runs once
        ran = self._ran
        ok = yield from self._role_or_block(block, scope, rescuable, prefix, order)
        if role is not None and ok and self._ran > ran:
            self._roles_done.add(role.key)
        return ok

    def _role_or_block(
        self,
        block: Block,
        scope: Scope,
        rescuable: bool,
        prefix: tuple[int, ...],
        order: dict[int, int],
    ) -> Walk:
        ok = yield from self._items(
            block.block, scope, rescuable or bool(block.rescue), prefix, order
        )
        if self._role_ended(block):
            return True
        if self.lost:
            return False
        if not ok and block.rescue:
            ok = yield from self._items(block.rescue, scope, rescuable, prefix, order)
        if self._role_ended(block):
            return True
        if self.lost:
            return False
        outer_cleared, self.cleared = self.cleared, False
        self._always_depth += 1
        try:
            always_ok = yield from self._items(block.always, scope, rescuable, prefix, order)
        finally:
            self._always_depth -= 1
        # cleared in this always section, at any depth (a block inside it too)
        cleared, self.cleared = self.cleared, outer_cleared or self.cleared
        if self._role_ended(block):
            return True
        return (ok or cleared) and always_ok  # cleared: the host goes on after always

    def _role_ended(self, block: Block) -> bool:
        """meta: end_role skips the rest of the innermost role (its blocks' rescue and
        always sections too); the walk goes on after that role's block."""
        if not self.ending_role:
            return False
        self.ending_role = block.role is None
        return True


def task_order(items: Iterable[TaskItem], out: dict[int, int] | None = None) -> dict[int, int]:
    """Position of every task (by uid) in play order, for the linear strategy."""
    order = {} if out is None else out
    for item in items:
        if isinstance(item, Task):
            order.setdefault(item.uid, len(order))
        else:
            task_order(item.block, order)
            task_order(item.rescue, order)
            task_order(item.always, order)
    return order
