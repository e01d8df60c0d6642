"""setup: gather facts in one remote command (POSIX sh, no Python needed on the target).

The collectors chosen by ``gather_subset`` (and narrowed to what ``filter`` can keep) each
add their part to one probe script; its output is split and parsed on the controller by the
pure functions in ``facts/``. Names, types and values follow Ansible's ``setup``.
"""

from __future__ import annotations

import calendar
import time
from typing import Any

from ..errors import ModuleError
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.facts import collect, probe
from .util.interpreter import python_candidates


@register("setup")
class Setup(Module):
    """Gather facts about the host: OS, distribution, hardware, network, user, environment."""

    args = {
        "gather_subset": Arg(
            "list",
            default=["all"],
            elements="str",
            description="Collectors to run: all, min, hardware, network, "
            "virtual, a collector or fact name; `!name` excludes.",
        ),
        "filter": Arg(
            "list",
            default=[],
            elements="str",
            description="Only facts whose name matches one of these globs (`ansible_` optional).",
        ),
        "gather_timeout": Arg("int", default=10, description="Seconds the whole probe may take."),
        "fact_path": Arg(
            "path",
            default="/etc/ansible/facts.d",
            description="Directory of local facts (`*.fact`) for ansible_local.",
        ),
    }
    returns = {
        "ansible_facts": "the facts by their variable names (`ansible_os_family`); "
        "templates read them as `ansible_facts.os_family` too"
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        subset = [str(item) for item in args["gather_subset"]]
        patterns = [str(p) for p in args["filter"] if str(p)]
        collectors = collect.needed(collect.select(subset), patterns)
        nonce = probe.new_nonce()
        options = probe.ProbeOptions(
            python=python_candidates(ctx), fact_path=args["fact_path"], year_edges=_year_edges()
        )
        res = ctx.run(probe.build(collectors, nonce, options), timeout=args["gather_timeout"])
        probed = probe.split(res.out, nonce)
        if not probed.sections and not probed.files:  # not even `done`: no sh ran it
            raise ModuleError(f"fact probe failed (rc={res.rc}): {res.err.strip()}")
        facts = collect.facts_for(probed, collectors)
        facts.update(gather_subset=subset, module_setup=True)
        if patterns:
            facts = {k: v for k, v in facts.items() if collect.matches(k, patterns)}
        return Result(facts={collect.ansible_name(k): v for k, v in facts.items()})


def _year_edges() -> tuple[int, int]:
    """1 January and 1 July of this year: the probe asks the zone's name at both (tz_dst)."""
    year = time.gmtime().tm_year
    return calendar.timegm((year, 1, 1, 0, 0, 0)), calendar.timegm((year, 7, 1, 0, 0, 0))
