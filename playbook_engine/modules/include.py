"""include_*/import_*: how a playbook pulls in more tasks (include_vars: ``include_vars``).

``import_tasks``/``import_role`` are resolved when the playbook is loaded (they never run);
``include_tasks``/``include_role`` are expanded by the executor for each host at run time.
Their argument specs live here so validation and ``pbe doc`` treat them like any module.
"""

from __future__ import annotations

from typing import Any

from ..errors import ModuleError
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result

_ROLE_ARGS = {
    "name": Arg("str", required=True, aliases=("role",), description="The role to run."),
    "tasks_from": Arg("str", default="main", description="Task file in the role's tasks/."),
    "vars_from": Arg("str", default="main", description="File in the role's vars/."),
    "defaults_from": Arg("str", default="main", description="File in the role's defaults/."),
    "handlers_from": Arg("str", default="main", description="File in the role's handlers/."),
    "apply": Arg("dict", description="Keywords applied to the role's tasks (include_role)."),
    "public": Arg("bool", default=False, description="Accepted for compatibility."),
    "allow_duplicates": Arg(
        "bool", default=True, description="False: bring nothing in if the role already ran."
    ),
    "rolespec_validate": Arg(
        "bool", default=True, description="False: no argument check for the role."
    ),
    "rescuable": Arg(
        "bool",
        default=True,
        description="include_role: false makes a role that cannot be found an error at "
        "validation, as an import_role's is, instead of a failure of the task when it runs.",
    ),
}


class _Structural(Module):
    needs_connection = False

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        raise ModuleError(f"{self.name} is expanded by the engine, not run")


@register("include_tasks")
class IncludeTasks(_Structural):
    """Include a task file for each host at run time (templated names, loops, when)."""

    supports_async = False  # Ansible's action refuses async too

    expands_at_run = True

    free_form = "file"
    free_form_kv = True
    args = {
        "file": Arg("str", required=True, description="Task file, relative to this one."),
        "apply": Arg("dict", description="Keywords applied to the included tasks."),
    }


@register("import_tasks")
class ImportTasks(_Structural):
    """Insert a task file's tasks here when the playbook is loaded."""

    supports_async = False  # Ansible's action refuses async too

    free_form = "file"
    free_form_kv = True
    args = {"file": Arg("str", required=True, description="Task file, relative to this one.")}


@register("include_role")
class IncludeRole(_Structural):
    """Run a role's tasks here, per host at run time."""

    supports_async = False  # Ansible's action refuses async too

    expands_at_run = True

    args = _ROLE_ARGS


@register("import_role")
class ImportRole(_Structural):
    """Insert a role's tasks here when the playbook is loaded."""

    supports_async = False  # Ansible's action refuses async too

    args = _ROLE_ARGS
