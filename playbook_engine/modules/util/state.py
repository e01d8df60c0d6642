"""The shape of a module that converges a host to a state: probe → plan → apply.

``probe`` is one shell command that reads what the module needs; ``parse`` turns its output
into data (pure, unit-tested from recorded output); ``plan`` decides from that data alone
what must change (pure); ``apply`` is one shell command that makes the change. So a module
costs one round trip when the host is already in state and two when it is not, and check
mode is exact by construction: it runs ``probe`` and ``plan`` and stops.

A module fills in the four methods; ``run`` is shared::

    @register("example")
    class Example(StateModule[bool]):
        args = {"path": Arg("path", required=True)}

        def probe(self, args, ctx):            return f"test -e {quote(args['path'])}"
        def parse(self, args, res):            return res.rc == 0
        def plan(self, args, exists):          return None if exists else Change("add", "created")
        def apply(self, args, change, ctx):    return f"touch {quote(args['path'])}"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ...errors import ModuleError
from ...transport.base import CommandResult
from ..base import Module, ModuleContext
from ..result import Result

__all__ = ["Change", "StateModule"]

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class Change:
    """What ``plan`` decided: ``op`` for ``apply`` (the module's own word: "add", "remove"
    …), a message for the user (None where Ansible's module gives none), the return values
    of the changed state, and the ``diff`` (``before``/``after``, or a list of them, one per
    file) where there is one."""

    op: str
    msg: str | None
    values: dict[str, Any] = field(default_factory=dict)
    diff: dict[str, Any] | list[dict[str, Any]] | None = None


class StateModule(Module, Generic[S]):
    """probe → parse → plan → apply, one command each way."""

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        """The one command that reads the host's state."""
        raise NotImplementedError

    def parse(self, args: dict[str, Any], res: CommandResult) -> S:
        """The probe's output as data; ModuleError when it says the module can't work."""
        raise NotImplementedError

    def plan(self, args: dict[str, Any], state: S) -> Change | None:
        """What must change (None: nothing). Pure: the same state gives the same plan."""
        raise NotImplementedError

    def apply(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> str:
        """The one command that makes the change."""
        raise NotImplementedError

    def failed(self, args: dict[str, Any], change: Change, res: CommandResult) -> str:
        """The message when ``apply``'s command fails: by default the op, its exit status
        and the tool's own words."""
        return _failure(change, res)

    def values(self, args: dict[str, Any], state: S) -> dict[str, Any]:
        """Return values when nothing changes (the state as the module reports it)."""
        return {}

    def applied(self, args: dict[str, Any], change: Change, res: CommandResult) -> dict[str, Any]:
        """Return values after the change; ``res`` is what ``apply``'s command printed (a
        module may print the new state there, in the same round trip)."""
        return change.values

    def overlay(self, args: dict[str, Any], state: S, ctx: ModuleContext) -> S:
        """In a check run: ``state`` as earlier tasks of the run would have left it, for
        state other than files (accounts). Default: as probed."""
        return state

    def would_leave(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> None:
        """In a check run: note what ``change`` would leave, for later tasks' ``overlay``."""

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        state = self.parse(args, ctx.run(self.probe(args, ctx)))
        if ctx.check:
            state = self.overlay(args, state, ctx)
        change = self.plan(args, state)  # NotOnHost: see the executor's ``_run_module``
        if change is None:
            return Result(values=self.values(args, state))
        diff = change.diff if ctx.diff else None
        if ctx.check:
            self.would_leave(args, change, ctx)
            return Result(changed=True, msg=change.msg, values=change.values, diff=diff)
        res = ctx.run(self.apply(args, change, ctx))
        if res.rc != 0:
            raise ModuleError(self.failed(args, change, res))
        return Result(
            changed=True, msg=change.msg, values=self.applied(args, change, res), diff=diff
        )


def _failure(change: Change, res: CommandResult) -> str:
    detail = (res.err or res.out).strip() or f"exit status {res.rc}"
    return f"{change.op} failed (rc={res.rc}): {detail}"
