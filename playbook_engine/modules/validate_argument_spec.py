"""validate_argument_spec: check variables (or given arguments) against an argument spec.

A role with ``meta/argument_specs.yml`` gets this as its implicit first task (the loader
adds it, as Ansible does); it can also be written as a task of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ModuleError
from . import register
from .base import Arg, Module, ModuleContext
from .controller import plain_data
from .result import Result
from .util.argspec import validate_arguments


@register("validate_argument_spec")
class ValidateArgumentSpec(Module):
    """Fail unless variables (or provided_arguments) conform to an argument spec."""

    args = {
        "argument_spec": Arg(
            "dict",
            required=True,
            description="Option name -> its spec (type, required, default, choices, "
            "elements, options, aliases, no_log), as in a role's argument_specs `options`.",
        ),
        "provided_arguments": Arg(
            "dict",
            description="The values to check; without it, the task's variables named in "
            "argument_spec.",
        ),
        "validate_args_context": Arg(
            "dict",
            default={},
            description="Returned as given; a role's implicit task names the role and entry "
            "point here.",
        ),
    }
    needs_connection = False
    returns = {
        "argument_errors": "on failure: one message per problem",
        "argument_spec_data": "on failure: the spec checked against",
        "validate_args_context": "the context given",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        spec = args["argument_spec"]
        if bad := [str(k) for k, v in spec.items() if not isinstance(v, Mapping)]:
            raise ModuleError(f"argument_spec: the spec of {', '.join(bad)} is not a mapping")
        given = args["provided_arguments"]
        provided = dict(given) if given is not None else _from_variables(spec, ctx)
        errors = validate_arguments(spec, provided)
        context = args["validate_args_context"] or {}
        if errors:
            return Result.fail(
                "Validation of arguments failed:\n" + "\n".join(errors),
                argument_errors=errors,
                argument_spec_data=spec,
                validate_args_context=context,
            )
        return Result(
            msg="The arg spec validation passed", values={"validate_args_context": context}
        )


def _from_variables(spec: Mapping[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    """The variables the spec names that are defined for this host and task, rendered (one
    a check run could not know makes the task unpredictable)."""
    defined = set(ctx.variable("vars"))  # the variables, not Jinja's globals
    return {str(name): plain_data(ctx.variable(str(name))) for name in spec if name in defined}
