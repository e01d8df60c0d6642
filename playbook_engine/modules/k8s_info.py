"""k8s_info: read Kubernetes objects with the host's ``kubectl get -o json``."""

from __future__ import annotations

from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util import kube
from .util.kube import Obj

_MARK = "--- pbe: waited ---"


@register("k8s_info", "kubernetes.core.k8s_info")
class K8sInfo(Module):
    """Read Kubernetes objects of a kind (by name, namespace, labels or fields) with kubectl."""

    args = {
        "kind": Arg("str", required=True, description="The kind to read."),
        "api_version": Arg(
            "str", default="v1", aliases=("api", "version"), description="Its apiVersion."
        ),
        "name": Arg("str", description="Just this object."),
        "namespace": Arg(
            "str", description="Only this namespace; without it (and name), every namespace."
        ),
        "label_selectors": Arg(
            "list",
            elements="str",
            default=[],
            description="Label selectors (`-l`).",
        ),
        "field_selectors": Arg(
            "list",
            elements="str",
            default=[],
            description="Field selectors (`--field-selector`), all must match.",
        ),
        "metadata_only": Arg(
            "bool", default=False, description="Return only apiVersion, kind and metadata."
        ),
        "hidden_fields": Arg(
            "list", elements="str", description="Dotted paths left out of each object."
        ),
        "wait": Arg(
            "bool",
            default=False,
            description="With name: wait for a rollout, a Pod to be Ready, or wait_condition "
            "first.",
        ),
        "wait_condition": Arg(
            "dict", description="`type` and `status` of the condition to wait for."
        ),
        "wait_sleep": Arg("int", default=5, description="Accepted: kubectl watches instead."),
        "wait_timeout": Arg("int", default=120, description="Seconds to wait."),
        **kube.CONNECTION_ARGS,
    }
    returns = {
        "api_found": "whether the cluster knows the kind",
        "resources": "the objects found (empty when none)",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        base = kube.kubectl(args)
        waits = _waits(base, args)
        line = _get(base, args)
        if waits:
            line = " && ".join(waits) + f" && echo {quote(_MARK)} && {line}"
        res = ctx.run(line)
        if waits and _MARK not in res.out:
            said = (res.err or res.out).strip()
            raise ModuleError(f"timed out waiting on the resource: {said}")
        if res.rc != 0 and "doesn't have a resource type" in res.err:
            return Result(values={"api_found": False, "resources": []})
        got = CommandResult(res.rc, res.stdout.split(_MARK.encode())[-1], res.stderr)
        found = kube.parse_objects(got, "kubectl get")
        return Result(values={"api_found": True, "resources": [_shown(o, args) for o in found]})


def _waits(base: str, args: dict[str, Any]) -> list[str]:
    """With ``wait`` and a name: what to wait for before reading the object."""
    if not args["wait"] or not args.get("name"):
        return []
    meta = {"name": args["name"], "namespace": args.get("namespace")}
    obj = {"apiVersion": args["api_version"], "kind": args["kind"], "metadata": meta}
    return kube.wait_commands(base, [obj], args)


def _get(base: str, args: dict[str, Any]) -> str:
    what = kube.resource(args["api_version"], args["kind"])
    if args.get("name"):
        what += f"/{args['name']}"
    words = [base, "get", quote(what), "-o", "json"]
    if args.get("namespace"):
        words += ["-n", quote(args["namespace"])]
    elif not args.get("name"):
        words.append("--all-namespaces")
    words += [f"-l {quote(str(s))}" for s in args["label_selectors"]]
    words += [f"--field-selector={quote(str(s))}" for s in args["field_selectors"]]
    if args.get("name"):
        words.append("--ignore-not-found")
    return " ".join(words)


def _shown(obj: Obj, args: dict[str, Any]) -> Obj:
    if args["metadata_only"]:
        obj = {k: obj[k] for k in ("apiVersion", "kind", "metadata") if k in obj}
    return kube.hide(obj, args.get("hidden_fields") or [])
