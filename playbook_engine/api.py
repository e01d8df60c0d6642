"""The Python API: ``run()`` a playbook and ``validate()`` one, for release pipelines.

    import playbook_engine as pbe

    problems = pbe.validate("site.yml", "hosts.yml")
    result = pbe.run("site.yml", {"all": {"hosts": {"web1": None}}}, check=True,
                     on_event=print)
    if not result:
        print(result.exit_code, result.failed_hosts, result.unreachable_hosts)

Neither prints or exits; every run has its own state, so runs on several threads at once
don't interfere. Diagnostics go to the ``playbook_engine`` logger (stdlib ``logging``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from .engine import run as _run
from .errors import OptionsError, PbeError, Problem, ValidationFailed
from .events import Event
from .inventory import load_inventory
from .options import RunOptions
from .reporting import Sink
from .source import SourceLocation

__all__ = ["run", "validate"]

_OPTION_NAMES = frozenset(f.name for f in fields(RunOptions))


def run(
    playbook: str | Path,
    inventory: Any = None,
    *,
    check: bool = False,
    diff: bool | None = None,
    limit: str | Sequence[str] | None = None,
    tags: str | Iterable[str] | None = None,
    skip_tags: str | Iterable[str] | None = None,
    extra_vars: Mapping[str, Any] | None = None,
    forks: int | None = None,
    on_event: Callable[[Event], None] | None = None,
    sinks: Sequence[Sink] = (),
    stop: threading.Event | None = None,
    options: RunOptions | None = None,
    **connection: Any,
) -> _run.RunResult:
    """Run a playbook against an inventory and return what happened.

    ``inventory``: a path, a list of paths, ``"h1,h2,"``, an ``Inventory``, or a dict
    shaped like a YAML inventory. ``limit`` and tags take a string (``"web,db"``) or a
    list. ``on_event`` is called with every event, in order, on the reporter thread;
    ``sinks`` (e.g. ``ConsoleSink(sys.stdout)``) are how to ask for output. ``stop``: set
    it to stop at the next task boundary. ``connection``: the other ``RunOptions`` fields,
    as the CLI has them: ``user``, ``private_key``, ``password``, ``become_password``,
    ``timeout``, ``command_timeout``, ``host_key_checking`` ("strict", "accept-new", "off",
    or a bool), ``known_hosts``, ``ssh_config``, ``strict``, ``verbosity``. ``options``: a
    ready ``RunOptions`` instead of all the keywords.

    Raises:
        ValidationFailed: the playbook or inventory is invalid (no host was contacted).
        OptionsError: an option is wrong.
        NoHostsMatched: ``limit`` matched no host.
    """
    given = dict(
        connection,
        check=check,
        diff=diff,
        limit=limit,
        tags=tags,
        skip_tags=skip_tags,
        extra_vars=extra_vars,
        forks=forks,
    )
    if options is None:
        options = make_options(**given)
    elif (
        any(connection)
        or check
        or diff
        or any(v is not None for v in (limit, tags, skip_tags, extra_vars, forks))
    ):
        raise OptionsError("give either options= or option keywords, not both")
    return _run.run(playbook, inventory, options=options, on_event=on_event, sinks=sinks, stop=stop)


def make_options(**given: Any) -> RunOptions:
    """``RunOptions`` from API keywords: lists become tuples, ``None`` means the default."""
    unknown = sorted(set(given) - _OPTION_NAMES)
    if unknown:
        raise OptionsError(f"unknown run option(s): {', '.join(unknown)}")
    values = {k: v for k, v in given.items() if v is not None}
    for key in ("tags", "skip_tags"):
        if key in values:
            values[key] = _words(values[key])
    if "known_hosts" in values:
        known = values["known_hosts"]
        values["known_hosts"] = (
            (str(known),) if isinstance(known, (str, Path)) else tuple(str(k) for k in known)
        )
    if isinstance(values.get("limit"), (list, tuple)):
        values["limit"] = ",".join(str(p) for p in values["limit"])
    if isinstance(values.get("host_key_checking"), bool):
        values["host_key_checking"] = "strict" if values["host_key_checking"] else "off"
    for key in ("private_key", "ssh_config"):
        if isinstance(values.get(key), Path):
            values[key] = str(values[key])
    if "extra_vars" in values:
        values["extra_vars"] = dict(values["extra_vars"])
    return RunOptions(**values)


def _words(value: str | Iterable[str]) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else list(value)
    return tuple(w.strip() for item in items for w in str(item).split(",") if w.strip())


def validate(playbook: str | Path, inventory: Any = None) -> list[Problem]:
    """Every problem in a playbook (and the files it includes) and, if given, an inventory.

    Contacts no host and never raises for bad input: a missing file or a YAML error is a
    ``Problem`` too. Each carries ``message``, ``location`` (file, line, col), ``hint`` and
    ``severity`` ("error" or "warning"); no "error" means the playbook is valid.
    """
    from .language.playbook import PlaybookLoader

    problems: list[Problem] = []
    path = Path(playbook)
    if not path.is_file():
        problems.append(Problem(f"playbook not found: {playbook}", SourceLocation(str(path))))
    else:
        loader = None
        try:
            loader = PlaybookLoader()  # reads ansible.cfg: a bad one is a problem too
            loader.load(path)
        except ValidationFailed:
            pass
        except PbeError as exc:
            problems.append(_problem(exc))
        problems += loader.problems if loader is not None else []
    if inventory is not None:
        problems += _inventory_problems(inventory)
    return problems


def _inventory_problems(inventory: Any) -> list[Problem]:
    try:
        loaded = load_inventory(inventory)
    except ValidationFailed as exc:
        return list(exc.problems)
    except PbeError as exc:
        return [_problem(exc)]
    except OSError as exc:
        return [Problem(f"cannot read inventory: {exc}")]
    return list(getattr(loaded, "warnings", []))


def _problem(exc: PbeError) -> Problem:
    return Problem(exc.message, exc.location, exc.hint)
