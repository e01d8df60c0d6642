"""One task's checks: its single module, that module's arguments, loops and templates.

A ``TaskChecker`` collects ``Problem``s for one task node; the playbook loader merges them.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from .. import modules
from ..errors import Problem
from ..modules.base import VARIABLE_PARAMS
from ..source import SourceLocation
from ..templating.lookups import known, lookup_table
from ..templating.templar import TemplateEngine
from ..templating.values import is_template, trust
from .catalog import windows_only
from .collection_modules import load_collection_module
from .library import missing as _missing
from .loader import YMap
from .validate import (
    LOOP_PREFIX,
    TASK_KEYWORDS,
    check_templates,
    did_you_mean,
    free_form_args,
    schema_problems,
    structure_problems,
    suggest,
)

_SYNTAX = "template syntax error"
_UNKNOWN = "unknown module `"
CONDITION_KEYS = ("when", "changed_when", "failed_when", "until")
ASYNC_KEYS = ("async", "poll")
_NO_ASYNC = ("include_tasks", "include_role")  # Ansible rejects the keywords on these
_BUILTIN = ("ansible.builtin", "ansible.legacy")  # a short name's own: pbe's modules


class TaskChecker:
    """Finds a task's module and checks everything about it, collecting problems."""

    def __init__(self, engine: TemplateEngine, collections: tuple[str, ...] = ()) -> None:
        self.engine = engine
        self.collections = collections  # searched for a short module name, in order
        self.problems: list[Problem] = []
        # Problems that are warnings in a file only included at run time (a module pbe
        # lacks, a template that does not compile): the task is still built, and fails
        # only if it runs, as Ansible finds them only then.
        self.deferrable: list[Problem] = []
        self._unsplit = False  # key=value text that could not be split: no argument checks
        self._split_error: Problem | None = None  # why, an argument problem like the others

    def check(self, node: YMap) -> tuple[str, dict[str, Any], str] | None:
        """(canonical module name, args, the name as written), or None when the task cannot
        be built. For a module pbe lacks, (its name, its args as written, its name): a task
        that fails if it runs."""
        self.problems += structure_problems(node, "task", node.loc)
        found = self._find_action(node)
        if found is None:
            return None
        action, args = found
        module = modules.get(self._searched(action))
        start = len(self.problems)
        args_end = start
        if module is not None and not self._unsplit:
            self._check_args(module, args, node, action)
            args_end = len(self.problems)
        self._check_keywords(node)
        if _expects_failure(node):
            # its argument problems and templates that do not compile fail it when it runs
            if self._split_error in self.problems:  # found before the other argument checks
                at = self.problems.index(self._split_error)
                self.problems[at] = _at_run_time(self._split_error)
            self.problems[start:] = [
                _at_run_time(p) if i < args_end or p.message.startswith(_SYNTAX) else p
                for i, p in enumerate(self.problems[start:], start)
            ]
        # a template that does not compile, or arguments the module refuses: Ansible finds
        # them when the task runs, so in a file included at run time they wait for that
        self.deferrable += [
            p
            for i, p in enumerate(self.problems[start:], start)
            if p.severity == "error" and (i < args_end or p.message.startswith(_SYNTAX))
        ]
        self._check_reserved(args, node, action)
        self._check_async(node, module.name if module else action)
        self._check_loops(node)
        if any(p.severity == "error" and p not in self.deferrable for p in self.problems):
            return None
        return (module.name if module else self._searched(action)), args, action

    def _searched(self, name: str) -> str:
        """The module a short name means under the ``collections`` keyword (the play's, or
        the role's meta and its own collection): the first listed collection that has it,
        else the name itself (pbe's, or ansible.builtin's), as Ansible searches."""
        if "." in name:
            return name
        for collection in self.collections:
            if collection not in _BUILTIN and _known(f"{collection}.{name}"):
                return f"{collection}.{name}"
        return name

    def error(self, message: str, loc: SourceLocation | None, hint: str | None = None) -> None:
        self.problems.append(Problem(message, loc, hint))

    def _find_action(self, node: YMap) -> tuple[str, dict[str, Any]] | None:
        """The task's one module key and its args; reports typos and double modules."""
        candidates = [
            k for k in node if k not in TASK_KEYWORDS and not str(k).startswith(LOOP_PREFIX)
        ]
        if "action" in node or "local_action" in node:
            return self._action_keyword(node, candidates)
        found = [k for k in candidates if _known(self._searched(str(k)))]
        missing = [] if found else [k for k in candidates if _missing(str(k))]
        for key in candidates:
            if key not in found:
                self._unknown_key(node, key, bool(found))
        if missing and len(candidates) == 1:
            return str(missing[0]), self._raw_args(node, missing[0])
        if not found and len(candidates) == 1 and self.problems[-1].message.startswith(_UNKNOWN):
            # a module no one here knows (a library path pbe does not read, a typo): in a
            # file included at run time a warning now, and the include fails when it runs
            # (Ansible resolves a file's modules then)
            self.deferrable.append(self.problems[-1])
            return str(candidates[0]), self._raw_args(node, candidates[0])
        if len(found) > 1:
            a, b = found[0], found[1]
            line_a, line_b = (getattr(node.key_loc(k), "line", "?") for k in (a, b))
            self.error(
                f"task has two modules, `{a}` (line {line_a}) and `{b}`"
                f" (line {line_b}); a task runs exactly one",
                node.key_loc(b),
                "is a `- ` missing to start a new task here?",
            )
            return None
        if not found:
            if len(candidates) == 0:
                self.error(
                    "task has no module to run",
                    node.loc,
                    "add one, e.g. `command: ...` or `debug: msg=...`",
                )
            return None
        return str(found[0]), self._args_of(node, found[0])

    def _unknown_key(self, node: YMap, key: Any, has_module: bool) -> None:
        loc = node.key_loc(key)
        if not has_module and self._missing_module(str(key), loc):
            return
        keyword = suggest(key, TASK_KEYWORDS)
        module = modules.suggest(str(key))
        if keyword and (has_module or not module):
            self.error(f"unknown task keyword `{key}`", loc, f"did you mean `{keyword}`?")
        elif module:
            self.error(f"unknown module `{key}`", loc, f"did you mean `{module}`?")
        elif has_module:
            self.error(f"unknown task keyword `{key}`", loc, None)
        else:
            self.error(f"unknown module `{key}`", loc, "`pbe modules` lists the modules")

    def _action_keyword(
        self, node: YMap, candidates: list[Any]
    ) -> tuple[str, dict[str, Any]] | None:
        key = "action" if "action" in node else "local_action"
        for extra in candidates:
            self._unknown_key(node, extra, True)
        value = node[key]
        if isinstance(value, dict):
            name = value.get("module")
            args = {k: v for k, v in value.items() if k not in ("module", "args")}
            if isinstance(value.get("args"), dict):  # `action: {module: x, args: {...}}`
                args = _merged(value["args"], args, loc=node.value_loc(key))
        else:
            name, rest = _split_action(str(value).strip())
            if "\n" in name:  # `action: "shell\necho a"`
                name, _, first = name.partition("\n")
                rest = f"{first} {rest}" if rest else first
            args = {"_free": rest}
        if is_template(str(name)) or str(name).startswith(("{{", "{%")):
            self.problems.append(
                Problem(
                    f"the module name is a template (`{str(name)[:60]}`): pbe checks the "
                    "task's arguments when it runs",
                    node.value_loc(key),
                    severity="warning",
                )
            )
            args = args if "_free" not in args else {"_raw_params": args["_free"]}
            return str(name), _merged(args, loc=node.value_loc(key))
        known = bool(name) and _known(self._searched(str(name)))
        if name and not known and self._missing_module(str(name), node.value_loc(key)):
            args = args if "_free" not in args else {"_raw_params": args["_free"]}
            return str(name), _merged(args, loc=node.value_loc(key))
        if not known:
            self.error(
                f"unknown module `{name}`",
                node.value_loc(key),
                did_you_mean(str(name), modules.REGISTRY),
            )
            return None
        if "_free" in args:
            args = self._free_form(self._searched(str(name)), args["_free"], node.value_loc(key))
        return str(name), args

    def _missing_module(self, name: str, loc: SourceLocation | None) -> bool:
        """Report a module pbe lacks that Ansible (or the project's library/) has; False
        for a name that is no module at all."""
        found = _missing(name)
        if found is None:
            return False
        message, hint, deferrable = found
        if deferrable and windows_only(name):
            note = "for Windows hosts, which pbe does not manage: an error only if this task runs"
            self.problems.append(Problem(f"{message} ({note})", loc, hint, "warning"))
            return True
        problem = Problem(message, loc, hint)
        self.problems.append(problem)
        if deferrable:
            self.deferrable.append(problem)
        return True

    def _raw_args(self, node: YMap, key: Any) -> dict[str, Any]:
        """A missing module's arguments as written (checked only by a module pbe has)."""
        value = node[key]
        extra = node.get("args") if isinstance(node.get("args"), dict) else {}
        if isinstance(value, dict):
            return _merged(extra, value, loc=node.value_loc(key))
        raw = {} if value is None else {"_raw_params": value}
        return _merged(extra, raw, loc=node.value_loc(key))

    def _args_of(self, node: YMap, key: Any) -> dict[str, Any]:
        value = node[key]
        extra = node.get("args") if isinstance(node.get("args"), dict) else {}
        loc = node.value_loc(key)
        if value is None:
            return _merged(extra, loc=loc)
        if isinstance(value, dict):
            return _merged(extra, value, loc=loc)
        text = value if isinstance(value, str) else str(value)
        return _merged(extra, self._free_form(self._searched(str(key)), text, loc), loc=loc)

    def _free_form(self, name: str, text: str, loc: SourceLocation | None) -> dict[str, Any]:
        module = modules.get(name)
        assert module is not None
        if module.free_form is None and _whole_template(text):
            self._unsplit = True  # known when it runs, as in Ansible (which warns of it)
            self.problems.append(
                Problem(
                    f"the arguments of `{name}` are a template (`{text.strip()[:60]}`): pbe "
                    "checks them when the task runs",
                    loc,
                    "write them out where you can: a template that gives the arguments is "
                    "unsafe where it holds data from a host",
                    "warning",
                )
            )
            return {VARIABLE_PARAMS: text}
        try:
            return trust(free_form_args(module, text))  # parsed from the author's text
        except ValueError as exc:
            self.error(f"{name}: {exc}", loc, "write the arguments as a mapping")
            self._split_error = self.problems[-1]
            self._unsplit = True
            return {}

    def _check_args(
        self, module: type[modules.Module], args: dict[str, Any], node: YMap, key: str
    ) -> None:
        loc = node.value_loc(key)
        if not isinstance(args, dict):
            return
        known = set(module.args) | {a for arg in module.args.values() for a in arg.aliases}
        for name in args:
            if name in known or module.open_args:
                continue
            hint = did_you_mean(name, known) or f"`pbe doc {module.name}` lists them"
            if name in TASK_KEYWORDS or str(name).startswith(LOOP_PREFIX):
                hint = (
                    f"`{name}` is a task keyword: indent it as the task's, beside "
                    f"`{module.name}:`, not under its arguments"
                )
            if module.ignores_unknown_args:
                message = f"`{module.name}` ignores argument `{name}`, as Ansible's does"
                self.problems.append(Problem(message, _arg_loc(args, name, loc), hint, "warning"))
            else:
                message = f"unsupported argument `{name}` for module `{module.name}`"
                self.error(message, _arg_loc(args, name, loc), hint)
        schema = module.json_schema()
        schema["additionalProperties"] = True  # unknown names reported above
        for problem in schema_problems(args, schema, node.key_loc(key)):
            self.problems.append(Problem(f"{module.name}: {problem.message}", problem.location))
        self._arg_rules(module, args, loc)
        if module.raw_args:
            for name in module.raw_args & set(args):
                self.problems += check_templates(args[name], self.engine, loc, bare=True)
        self.problems += check_templates(
            {k: v for k, v in args.items() if k not in module.raw_args}, self.engine, loc
        )

    def _check_reserved(self, args: Any, node: YMap, action: str) -> None:
        """Ansible reserves the ``_ansible_`` prefix: such an argument is refused when the
        playbook loads, whatever ``ignore_errors`` says."""
        for name in args if isinstance(args, dict) else ():
            if str(name).startswith("_ansible_"):
                self.error(
                    f"argument `{name}` of `{action}` begins with `_ansible_`, a prefix "
                    "reserved for internal use",
                    _arg_loc(args, name, node.value_loc(action)),
                )

    def _arg_rules(
        self, module: type[modules.Module], args: dict[str, Any], loc: SourceLocation | None
    ) -> None:
        given = set(module.canonical(args))
        fixed = {k for k, v in module.canonical(args).items() if not is_template(v)}
        for group in module.mutually_exclusive:  # a template may render to omit: run time
            both = [g for g in group if g in fixed]
            if len(both) > 1:
                self.error(
                    f"{module.name}: arguments are mutually exclusive: {', '.join(both)}", loc
                )
        for group in module.required_one_of:
            if not given & set(group):
                self.error(
                    f"{module.name}: one of these arguments is required: {', '.join(group)}", loc
                )

    def _check_loops(self, node: YMap) -> None:
        loops = [k for k in node if str(k).startswith(LOOP_PREFIX) or k == "loop"]
        if len(loops) > 1:
            self.error(
                f"a task has one loop; this one has {', '.join(map(str, loops))}",
                node.key_loc(loops[1]),
            )
        for key in loops:
            name = str(key)[len(LOOP_PREFIX) :]
            if key != "loop" and node[key] is None:  # as in Ansible (an empty `loop:` is no loop)
                self.error(f"you must specify a value when using {key}", node.key_loc(key))
            elif key != "loop" and not known(self.engine.env, name):  # plugins too
                names = lookup_table(self.engine.env)
                self.error(
                    f"unknown loop `{key}`",
                    node.key_loc(key),
                    did_you_mean(f"with_{name}", [f"with_{n}" for n in names]),
                )
        value = node.get("loop")  # `loop:` with no value is no loop, as in Ansible
        if value is not None and not isinstance(value, list) and not is_template(value):
            got = (
                "a mapping"
                if isinstance(value, dict)
                else "a string"
                if isinstance(value, str)
                else type(value).__name__
            )
            self.error(
                f"`loop` needs a list, got {got}",
                node.value_loc("loop"),
                "for a mapping, loop over `{{ mapping | dict2items }}`",
            )

    def _check_async(self, node: YMap, action: str) -> None:
        """``async``/``poll``: whole seconds, or a template (checked when it renders)."""
        for key in (k for k in ASYNC_KEYS if k in node):
            value = node[key]
            if action in _NO_ASYNC:
                self.error(
                    f"`{key}` is not a keyword of {action}",
                    node.key_loc(key),
                    "put it on the tasks it includes",
                )
            elif isinstance(value, str) and not is_template(value) and not value.isdigit():
                self.error(
                    f"`{key}` must be a non-negative integer (seconds), got {value!r}",
                    node.value_loc(key),
                )
            elif isinstance(value, int) and not isinstance(value, bool) and value < 0:
                self.error(
                    f"`{key}` must be a non-negative integer, got {value}", node.value_loc(key)
                )

    def _check_keywords(self, node: YMap) -> None:
        for key in CONDITION_KEYS:
            self.problems += check_templates(
                node.get(key), self.engine, node.value_loc(key), bare=True
            )
        for key in ("vars", "loop", "environment", "name"):
            self.problems += check_templates(node.get(key), self.engine, node.loc)


def _known(name: str) -> bool:
    """A module pbe has, or an installed collection's module it can run (registered now)."""
    return modules.get(name) is not None or load_collection_module(name)


def _whole_template(text: str) -> bool:
    """One ``{{ expression }}`` and nothing around it."""
    text = text.strip()
    return text.startswith("{{") and text.endswith("}}") and text.count("{{") == 1


def _expects_failure(node: YMap) -> bool:
    """The task says its failure is expected (a literal true ``ignore_errors``): Ansible
    checks arguments and compiles templates when the task runs, and tests of a module's
    own error handling rely on that, so such problems fail the task at run time instead."""
    flag = node.get("ignore_errors")
    return flag is True or (isinstance(flag, str) and flag.strip().lower() in ("yes", "true"))


def _at_run_time(problem: Problem) -> Problem:
    if problem.severity != "error":
        return problem
    note = " (the task has `ignore_errors`: it fails when it runs, as in Ansible)"
    return replace(problem, severity="warning", message=problem.message + note)


def _merged(*parts: Any, loc: SourceLocation | None = None) -> YMap:
    """Merge argument mappings, keeping each key's source position (``loc`` for keys
    from free-form text, which have none of their own)."""
    out = YMap()
    out.loc, out.key_locs, out.value_locs = None, {}, {}
    for part in parts:
        out.update(part)
        if isinstance(part, YMap):
            out.loc = out.loc or part.loc
            out.key_locs.update(part.key_locs)
            out.value_locs.update(part.value_locs)
    out.loc = out.loc or loc
    return out


def _arg_loc(
    args: dict[str, Any], name: str, fallback: SourceLocation | None
) -> SourceLocation | None:
    if isinstance(args, YMap):
        return args.key_loc(name)
    return fallback


_ACTION_NAME = re.compile(r"((?:\{\{.*?\}\}|\{%.*?%\}|[^ ])+) ?(.*)", re.S)


def _split_action(text: str) -> tuple[str, str]:
    """``action:`` text -> the module name (a ``{{ }}`` in it kept whole) and the rest."""
    found = _ACTION_NAME.fullmatch(text)
    return (found.group(1), found.group(2)) if found else (text, "")
