"""Where a host's Python is: ``ansible_python_interpreter``, else the usual places."""

from __future__ import annotations

from ..base import ModuleContext
from .facts.probe import ProbeOptions

__all__ = ["python_candidates"]

_AUTO = ("auto", "auto_silent", "auto_legacy", "auto_legacy_silent")


def python_candidates(ctx: ModuleContext) -> tuple[str, ...]:
    """``ansible_python_interpreter`` when set to a path, else where Python usually is."""
    try:
        chosen = str(ctx.render(ctx.variable("ansible_python_interpreter")))
    except KeyError:
        chosen = ""
    if chosen and chosen not in _AUTO:
        return (chosen,)
    return ProbeOptions().python
