"""gather_facts: the fact gathering a play does before its tasks, as a task of its own.

Ansible runs its fact modules (``setup`` here) through it: ``module_defaults`` of both
``gather_facts`` and ``setup`` apply, ``gather_facts``' winning. pbe has one fact module
and gathers every host in parallel anyway, so ``parallel`` changes nothing.
"""

from __future__ import annotations

from typing import ClassVar

from . import register
from .base import Arg
from .setup import Setup


@register("gather_facts")
class GatherFacts(Setup):
    """Gather facts about the host, as the play's fact gathering does (runs ``setup``)."""

    args = {
        **Setup.args,
        "parallel": Arg("bool", description="Accepted for Ansible; pbe gathers in parallel."),
    }
    defaults_from: ClassVar[tuple[str, ...]] = ("setup",)
