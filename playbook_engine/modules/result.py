"""What a module returns: Ansible's flags, typed, and the module's own return values.

A ``Result`` is the one thing ``Module.run`` returns. Its flags are the ones Ansible's
callbacks and ``register`` read (``changed``, ``failed``, ``skipped``, ``msg``, ``diff``,
``ansible_facts``); ``values`` are the module's documented return values (``rc``, ``path``,
``stat`` …), which keep Ansible's names so a registered result looks like Ansible's.

``unknown`` says that check mode could not know the outcome (a command it did not run): the
task is counted as could-not-be-predicted and whatever registers it reads as unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Result"]


@dataclass(slots=True)
class Result:
    """One module run on one host (or what it would do, in check mode)."""

    changed: bool = False
    failed: bool = False
    skipped: bool = False
    msg: Any = None  # text, or any value (debug's msg)
    values: dict[str, Any] = field(default_factory=dict)
    diff: Any = None
    facts: Mapping[str, Any] | None = None
    unknown: bool = False

    @classmethod
    def fail(cls, msg: Any, **values: Any) -> Result:
        return cls(failed=True, msg=msg, values=values)

    @classmethod
    def skip(cls, msg: Any, **values: Any) -> Result:
        """Not run; ``unknown`` is for check mode, where it would have run."""
        return cls(skipped=True, msg=msg, values=values)

    @classmethod
    def of(cls, result: Mapping[str, Any], *, unknown: bool = False) -> Result:
        """A result from Ansible's registered shape (flags among the values), for modules
        whose helpers build that shape."""
        values = dict(result)
        facts = values.pop("ansible_facts", None)
        return cls(
            changed=bool(values.pop("changed", False)),
            failed=bool(values.pop("failed", False)),
            skipped=bool(values.pop("skipped", False)),
            msg=values.pop("msg", None),
            values=values,
            diff=values.pop("diff", None),
            facts=facts,
            unknown=unknown,
        )

    @property
    def ok(self) -> bool:
        return not self.failed

    def __bool__(self) -> bool:
        return self.ok

    def as_dict(self) -> dict[str, Any]:
        """The result as Ansible registers it: ``changed``, the values, then the flags."""
        out: dict[str, Any] = {"changed": self.changed, **self.values}
        if self.msg is not None:
            out["msg"] = self.msg
        if self.failed:
            out["failed"] = True
        if self.skipped:
            out["skipped"] = True
        if self.diff is not None:
            out["diff"] = self.diff
        if self.facts is not None:
            out["ansible_facts"] = dict(self.facts)
        return out
