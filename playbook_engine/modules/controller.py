"""Modules that run on the controller only: debug, set_fact, assert, fail."""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from typing import Any

from ..errors import ModuleError, TemplateError, UndefinedVariable
from ..templating.values import TrustedStr, UnknownValue, Unpredictable, type_name
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result


@register("debug")
class Debug(Module):
    """Print a message or a variable's value."""

    supports_async = False  # Ansible's action refuses async too
    returns_facts = False  # `var: ansible_facts` shows the facts, it sets none

    args = {
        "msg": Arg("raw", description="The message (any value) to print."),
        "var": Arg("str", description="A variable name or expression to print."),
        "verbosity": Arg("int", default=0, description="Only print at this -v level or above."),
    }
    mutually_exclusive = (("msg", "var"),)
    raw_args = frozenset({"var"})
    needs_connection = False
    returns = {"msg": "the message", "<var>": "the variable's value, under its own name"}

    @classmethod
    def skip_reason(cls, args: Mapping[str, Any], verbosity: int) -> str | None:
        return (
            "Verbosity threshold not met." if int(args.get("verbosity") or 0) > verbosity else None
        )

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        if args.get("var") is None:
            msg = args["msg"] if args.get("msg") is not None else "Hello world!"
            return Result(msg=msg)
        var = args["var"]
        if not isinstance(var, TrustedStr):  # only an author's expression is evaluated
            raise ModuleError(
                f"debug var: {var!r} is an untrusted template or expression (data, not the "
                "playbook's text) and is not evaluated"
            )
        expr = var.strip()
        if expr.startswith("{{"):
            expr = expr.strip("{} ")
        try:
            value = ctx.render(TrustedStr("{{ " + expr + " }}"))
        except UndefinedVariable:
            value = "VARIABLE IS NOT DEFINED!"
        return Result(values={str(args["var"]): plain_data(value)})


_RESERVED = frozenset({"true", "false", "none", "True", "False", "None"})  # Jinja's literals


def valid_name(name: str) -> bool:
    """A name a variable may have, as Ansible checks it: an identifier, not a keyword, not
    a literal of the template language (`true`)."""
    return name.isidentifier() and not keyword.iskeyword(name) and name not in _RESERVED


@register("set_fact")
class SetFact(Module):
    """Set host variables for the rest of the run (above inventory and play vars)."""

    supports_async = False  # Ansible's action refuses async too

    args = {"cacheable": Arg("bool", default=False, description="Accepted; pbe has no cache.")}
    open_args = True
    sets_variables = True
    needs_connection = False
    returns = {"ansible_facts": "the variables set"}

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        facts = {k: v for k, v in args.items() if k != "cacheable"}
        for name in facts:
            if not isinstance(name, str):
                raise ModuleError(
                    f"Invalid variable name {str(name)!r} of type {type_name(name)!r}."
                )
            if not valid_name(name):
                raise ModuleError(f"Invalid variable name {name!r}.")
        if not facts:
            raise ModuleError("set_fact needs at least one key=value")
        ctx.set_facts(facts)
        return Result(facts=facts)


_WHOLE_TEMPLATE = re.compile(r"\{\{(?:(?!\}\}).)*\}\}", re.S)  # one `{{ expr }}`, nothing else


@register("assert")
class Assert(Module):
    """Fail unless every expression in `that` is true."""

    supports_async = False  # Ansible's action refuses async too

    args = {
        "that": Arg("raw", required=True, description="Expressions that must all be true."),
        "fail_msg": Arg("raw", aliases=("msg",), description="Message when one is false."),
        "success_msg": Arg("raw", description="Message when all are true."),
        "quiet": Arg("bool", default=False, description="Shorter output on success."),
    }
    raw_args = frozenset({"that"})
    needs_connection = False
    returns = {"assertion": "the failing expression", "evaluated_to": "its value"}

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        that = args["that"]
        if isinstance(that, str) and _WHOLE_TEMPLATE.fullmatch(that.strip()):
            # `that: "{{ checks }}"`: Ansible renders the argument first; a list that
            # comes out is the expressions to assert (each still must be the author's)
            try:
                rendered = ctx.render(that)
            except TemplateError:
                rendered = None  # evaluated below as a condition, with its own message
            if isinstance(rendered, list):
                that = rendered
        for condition in that if isinstance(that, list) else [that]:
            try:
                ok = ctx.evaluate(condition)
            except TemplateError as exc:
                raise ModuleError(
                    f"assertion `{condition}` could not be evaluated: {exc.message}"
                ) from None
            if not ok:
                msg = args.get("fail_msg") or "Assertion failed"
                return Result.fail(msg, assertion=condition, evaluated_to=False)
        msg = args.get("success_msg") or "All assertions passed"
        return Result(msg=msg, values={"_quiet": args["quiet"]})


@register("fail")
class Fail(Module):
    """Fail the task with a message."""

    supports_async = False  # Ansible's action refuses async too

    args = {
        "msg": Arg(
            "raw", default="Failed as requested from task", description="The failure message."
        )
    }
    needs_connection = False

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        return Result.fail(args["msg"])


@register("meta")
class Meta(Module):
    """Control the run itself: flush handlers now, end the play or this host's play."""

    free_form = "action"
    args = {
        "action": Arg(
            "str",
            required=True,
            choices=(
                "flush_handlers",
                "end_play",
                "end_host",
                "noop",
                "clear_facts",
                "reset_connection",
                "clear_host_errors",
                "refresh_inventory",
                "end_batch",
                "end_role",
            ),
            description="What to do; the scheduler carries out the flow-control ones.",
        )
    }
    needs_connection = False

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        return Result(msg=f"meta: {args['action']}")


def plain_data(value: Any, seen: frozenset[int] = frozenset()) -> Any:
    """A value as data a result can carry: lazy variable views (``vars``, ``hostvars``)
    become dicts, read now; a view met again inside itself is shown by name, not followed.
    A value only a real run could know makes the task unpredictable, as any other use does."""
    if isinstance(value, UnknownValue):
        raise Unpredictable(value.what)
    if isinstance(value, Mapping) and not isinstance(value, dict):
        if id(value) in seen:
            return f"<{type(value).__name__.lstrip('_')}>"
        seen = seen | {id(value)}
        return {k: plain_data(v, seen) for k, v in value.items()}
    if isinstance(value, dict):
        return {k: plain_data(v, seen) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_data(v, seen) for v in value]
    return value
