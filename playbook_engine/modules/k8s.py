"""k8s: make Kubernetes objects exist as defined, or not, with the host's ``kubectl``.

One ``kubectl get -f - -o json`` reads every object the task names; each definition is
compared with its live object (``util/kube.has_fields``): only objects that are missing
or differ are sent to one ``kubectl apply`` (``replace``/``create`` with ``force``, or
``delete`` for ``state: absent``). So a task costs one round trip when everything is in
state and two when something changes (one more to read ``src``), and check mode is the
same comparison without the change.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..templating.values import Unpredictable
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util import kube
from .util.kube import Obj

_WAIT_MARK = "--- pbe: applied ---"
_UNSUPPORTED = {
    "template": "render it with the template lookup into resource_definition",
    "generate_name": "give metadata.name",
    "append_hash": "name the ConfigMap or Secret yourself",
    "delete_all": "name the objects to delete",
    "label_selectors": "name the objects",
}


@dataclass(slots=True)
class Step:
    """One object of the task: what it should be, what is there, what to do."""

    want: Obj
    live: Obj | None
    method: str
    change: bool
    result: Obj | None = None


@register("k8s", "kubernetes.core.k8s")
class K8s(Module):
    """Create, update or delete Kubernetes objects with kubectl on the host."""

    args = {
        "state": Arg(
            "str",
            default="present",
            choices=("present", "absent", "patched"),
            description="present: create or update; absent: delete; patched: update only "
            "objects that exist.",
        ),
        "resource_definition": Arg(
            "raw",
            aliases=("definition", "inline"),
            description="The object(s): a mapping, a list, or YAML text (several documents).",
        ),
        "src": Arg("path", description="A manifest file on the host (several documents)."),
        "api_version": Arg(
            "str",
            default="v1",
            aliases=("api", "version"),
            description="apiVersion of an object named by kind and name.",
        ),
        "kind": Arg("str", description="Kind of an object named without a definition."),
        "name": Arg("str", description="Name of an object named without a definition."),
        "namespace": Arg(
            "str", description="Namespace for namespaced objects whose definition has none."
        ),
        "force": Arg("bool", default=False, description="Replace existing objects that differ."),
        "apply": Arg("bool", default=False, description="Use `kubectl apply` (method `apply`)."),
        "server_side_apply": Arg(
            "dict",
            description="With apply: `field_manager` and `force_conflicts` for "
            "`kubectl apply --server-side`.",
        ),
        "wait": Arg(
            "bool",
            default=False,
            description="Wait for Deployments, DaemonSets and StatefulSets to roll out and Pods "
            "to be Ready (or for wait_condition); for deletion to finish.",
        ),
        "wait_condition": Arg(
            "dict", description="`type` and `status` of the condition to wait for."
        ),
        "wait_sleep": Arg("int", default=5, description="Accepted: kubectl watches instead."),
        "wait_timeout": Arg("int", default=120, description="Seconds to wait."),
        "delete_options": Arg(
            "dict",
            description="`gracePeriodSeconds` and `propagationPolicy` for deletion "
            "(`preconditions` is not supported).",
        ),
        "continue_on_error": Arg(
            "bool", default=False, description="Accepted and ignored: kubectl goes on anyway."
        ),
        "merge_type": Arg(
            "list",
            elements="str",
            description="Accepted and ignored: changes go through kubectl apply.",
        ),
        "validate": Arg("dict", description="Accepted and ignored: the server validates."),
        "hidden_fields": Arg(
            "list", elements="str", description="Dotted paths left out of the result."
        ),
        "template": Arg("raw", description="Not supported: use resource_definition."),
        "generate_name": Arg("str", description="Not supported."),
        "append_hash": Arg("bool", default=False, description="Not supported."),
        "delete_all": Arg("bool", default=False, aliases=("all",), description="Not supported."),
        "label_selectors": Arg("list", elements="str", description="Not supported."),
        **kube.CONNECTION_ARGS,
    }
    mutually_exclusive = (("resource_definition", "src", "template"), ("apply", "merge_type"))
    returns = {
        "method": "create, update, replace, apply or delete",
        "result": "the object as it is now ({} once deleted); with several objects, "
        "`results`: one {changed, method, result} each",
        "duration": "seconds waited (with wait)",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        for key, instead in _UNSUPPORTED.items():
            if args.get(key):
                raise ModuleError(f"{key} is not supported by pbe's k8s: {instead}")
        base = kube.kubectl(args)
        wanted = kube.objects_of(self._definition(args, ctx), args, _where(args))
        found = ctx.run(
            f"{base} get -f - -o json --ignore-not-found",
            stdin=kube.as_list([kube.identity(o) for o in wanted]),
        )
        live = _read(found, "kubectl get", ctx)
        steps = [_plan(args, want, kube.find(live, want)) for want in wanted]
        waited = None
        if not ctx.check:
            waited = self._change(args, base, steps, ctx)
        return _result(args, steps, waited, ctx.diff)

    def _definition(self, args: dict[str, Any], ctx: ModuleContext) -> Any:
        """The definition given, or the text of ``src`` (read from the host; in a check
        run, as earlier tasks would have left it)."""
        if args.get("src") is None:
            return args.get("resource_definition")
        try:
            return ctx.files.read(args["src"]).decode("utf-8", "replace")
        except ModuleError:
            if ctx.check and (why := ctx.files.assume(args["src"])) is not None:
                why = f"{args['src']}, missing now but maybe there after {why}"
                raise Unpredictable(why) from None
            raise

    def _change(
        self, args: dict[str, Any], base: str, steps: list[Step], ctx: ModuleContext
    ) -> float | None:
        """Run the changes (and the waits); returns the seconds waited, when asked to."""
        started = time.monotonic()
        groups = _groups(args, [s for s in steps if s.change])
        waits = _waits(args, base, steps)
        for index, (verb, group) in enumerate(groups):
            line = f"{base} {verb}"
            if waits and index == len(groups) - 1:  # after the last change, in its command
                line += f" && echo {quote(_WAIT_MARK)} && " + " && ".join(waits)
            _applied(group, ctx.run(line, stdin=kube.as_list([s.want for s in group])), verb)
        if waits and not groups:  # nothing changed: the wait alone
            _waited(ctx.run(" && ".join(waits)))
        return time.monotonic() - started if args["wait"] else None


def _where(args: dict[str, Any]) -> str:
    return f"src {args['src']}" if args.get("src") else "resource_definition"


def _read(res: CommandResult, what: str, ctx: ModuleContext) -> list[Obj]:
    """Live objects; in a check run, a kind the server does not know yet may be one an
    earlier task (a CustomResourceDefinition) would add."""
    if res.rc != 0 and ctx.check and "doesn't have a resource type" in res.err:
        raise Unpredictable(f"a kind the cluster does not know yet ({res.err.strip()})")
    return kube.parse_objects(res, what)


def _plan(args: dict[str, Any], want: Obj, live: Obj | None) -> Step:
    state = args["state"]
    if state == "absent":
        return Step(want, live, "delete", live is not None, {})
    if live is None:
        method = "apply" if args["apply"] else "create"
        return Step(want, None, method, state != "patched", want if state != "patched" else {})
    method = "apply" if args["apply"] else "replace" if args["force"] else "update"
    same = kube.has_fields(kube.stored(want), live)
    return Step(want, live, method, not same, live if same else kube.merged(live, want))


def _groups(args: dict[str, Any], todo: list[Step]) -> list[tuple[str, list[Step]]]:
    """The kubectl commands the changes take: one, or two with ``force`` (``create`` the
    missing objects, ``replace`` the others)."""
    if not todo:
        return []
    if args["state"] == "absent":
        return [(_delete(args), todo)]
    if args["force"] and not args["apply"]:
        missing = [s for s in todo if s.live is None]
        there = [s for s in todo if s.live is not None]
        pairs = [("create -f - -o json", missing), ("replace -f - -o json", there)]
        return [(verb, group) for verb, group in pairs if group]
    return [(_apply(args), todo)]


def _apply(args: dict[str, Any]) -> str:
    line = "apply -f - -o json"
    ssa = args.get("server_side_apply")
    if args["apply"] and ssa:
        line += " --server-side"
        if manager := ssa.get("field_manager"):
            line += f" --field-manager={quote(str(manager))}"
        if ssa.get("force_conflicts"):
            line += " --force-conflicts"
    return line


def _delete(args: dict[str, Any]) -> str:
    opts = args.get("delete_options") or {}
    line = "delete -f -"
    if args["wait"]:
        line += f" --wait=true --timeout={int(args['wait_timeout'])}s"
    else:
        line += " --wait=false"
    if (grace := opts.get("gracePeriodSeconds")) is not None:
        line += f" --grace-period={int(grace)}"
    if policy := opts.get("propagationPolicy"):
        line += f" --cascade={quote(str(policy).lower())}"
    return line


def _waits(args: dict[str, Any], base: str, steps: list[Step]) -> list[str]:
    """The waits of ``wait: true`` for objects that should exist."""
    if not args["wait"] or args["state"] == "absent":
        return []
    wanted = [s.want for s in steps if args["state"] != "patched" or s.live is not None]
    return kube.wait_commands(base, wanted, args)


def _applied(group: list[Step], res: CommandResult, verb: str) -> None:
    """The objects as the server returned them, into each step's result."""
    out, mark, _ = res.out.partition(_WAIT_MARK)
    if res.rc != 0 and not mark:
        raise ModuleError(kube.failure(f"kubectl {verb.split()[0]}", res))
    if not verb.startswith("delete"):
        done = kube.parse_objects(CommandResult(0, out.encode(), b""), f"kubectl {verb}")
        for step in group:
            step.result = kube.find(done, step.want) or step.result
    _waited(res)


def _waited(res: CommandResult) -> None:
    if res.rc != 0:
        said = (res.err or res.out).strip()
        raise ModuleError(f"timed out waiting on the resources: {said}")


def _result(args: dict[str, Any], steps: list[Step], waited: float | None, diff: bool) -> Result:
    """Ansible's shape: one object's values at the top; several under result.results."""
    each = [_one(args, step, waited, diff) for step in steps]
    changed = any(step.change for step in steps)
    if len(each) == 1:
        return Result.of({**each[0], "changed": changed})
    return Result(changed=changed, values={"result": {"results": each}})


def _one(args: dict[str, Any], step: Step, waited: float | None, diff: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "changed": step.change,
        "method": step.method,
        "result": kube.hide(step.result or {}, args.get("hidden_fields") or []),
    }
    if waited is not None:
        out["duration"] = int(waited)
    if diff and step.change and step.live is not None and step.method != "delete":
        out["diff"] = {"before": step.live, "after": step.result}
    if args["state"] == "patched" and step.live is None:
        kind, name = step.want["kind"], step.want["metadata"]["name"]
        del out["method"]  # nothing was done to it
        out["warnings"] = [f"{kind} {name} was not found; state patched does not create it"]
    return out
