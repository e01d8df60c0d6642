"""The host's Python, for the few things that need it (fact probes may ask it, ``expect``
and a project's Ansible modules run under it): ``ansible_python_interpreter`` when set
to a command, else the first of the usual places."""

from __future__ import annotations

import shlex

from ...transport.shell import quote
from ..base import ModuleContext
from .facts.probe import ProbeOptions

__all__ = ["NO_PYTHON", "NO_PYTHON_SAID", "chosen_python", "python_candidates", "run_python"]

NO_PYTHON = 127  # what run_python's command exits with when there is no Python
NO_PYTHON_SAID = "pbe: no python3 on the host"  # and what it says on stderr
_AUTO = ("auto", "auto_silent", "auto_legacy", "auto_legacy_silent")


def chosen_python(ctx: ModuleContext) -> str | None:
    """``ansible_python_interpreter`` when it names one (not ``auto``)."""
    try:
        chosen = str(ctx.render(ctx.variable("ansible_python_interpreter")) or "")
    except KeyError:
        return None
    return chosen if chosen and chosen not in _AUTO else None


def python_candidates(ctx: ModuleContext) -> tuple[str, ...]:
    """``ansible_python_interpreter`` when set to a path, else where Python usually is."""
    chosen = chosen_python(ctx)
    return (chosen,) if chosen else ProbeOptions().python


def run_python(ctx: ModuleContext, args: str) -> str:
    """The command that runs the host's Python with ``args`` (quoted for sh): the words of
    ``ansible_python_interpreter``, else the first of the usual places there is; without
    one it says NO_PYTHON_SAID on stderr and exits NO_PYTHON."""
    if chosen := chosen_python(ctx):
        return f"exec {' '.join(quote(w) for w in shlex.split(chosen))} {args}"
    tries = " ".join(quote(p) for p in ProbeOptions().python)
    return (
        f'for p in {tries}; do command -v "$p" >/dev/null 2>&1 && exec "$p" {args}; done; '
        f"echo {quote(NO_PYTHON_SAID)} >&2; exit {NO_PYTHON}"
    )
