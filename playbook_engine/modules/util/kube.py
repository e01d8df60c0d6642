"""Kubernetes objects for ``k8s``/``k8s_info``, driven with the host's ``kubectl``.

Pure helpers: the connection flags a task's arguments give ``kubectl``, the objects a task
names (from ``resource_definition``, a manifest's text or ``kind``/``name``), what
``kubectl get -o json`` printed as a list of objects, and whether a live object already
has every field a definition asks for (the comparison that decides ``changed``).
Manifests always travel on ``kubectl``'s stdin (``-f -``): a Secret's data never appears
on a command line.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Mapping
from typing import Any

import yaml

from ...errors import ModuleError
from ...transport.base import CommandResult
from ...transport.shell import quote
from ..base import Arg

__all__ = [
    "CONNECTION_ARGS",
    "Obj",
    "as_list",
    "failure",
    "find",
    "has_fields",
    "hide",
    "identity",
    "kubectl",
    "load_manifest",
    "merged",
    "objects_of",
    "parse_objects",
    "ref",
    "stored",
    "wait_commands",
]

Obj = dict[str, Any]

# Kinds that live outside namespaces: a task's `namespace` is not added to them.
CLUSTER_KINDS = frozenset(
    {
        "APIService",
        "CSIDriver",
        "CSINode",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "ComponentStatus",
        "CustomResourceDefinition",
        "FlowSchema",
        "IngressClass",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)

_ROLLOUT = frozenset({"Deployment", "DaemonSet", "StatefulSet"})
_REFUSED = "pbe never puts it on a command line; put the credentials in a kubeconfig"
CONNECTION_ARGS: dict[str, Arg] = {
    "kubeconfig": Arg(
        "raw",
        description="The kubeconfig file (several joined by `:`); default: kubectl's own "
        "(`$KUBECONFIG`, `~/.kube/config`). A mapping is not supported.",
    ),
    "context": Arg("str", description="The kubeconfig context to use (`--context`)."),
    "host": Arg("str", description="The API server's URL (`--server`)."),
    "api_key": Arg("str", description=f"Not supported: {_REFUSED}."),
    "username": Arg("str", description=f"Not supported: {_REFUSED}."),
    "password": Arg("str", description=f"Not supported: {_REFUSED}."),
    "ca_cert": Arg(
        "path", aliases=("ssl_ca_cert",), description="CA certificate file on the host."
    ),
    "client_cert": Arg(
        "path", aliases=("cert_file",), description="Client certificate file on the host."
    ),
    "client_key": Arg("path", aliases=("key_file",), description="Client key file on the host."),
    "validate_certs": Arg(
        "bool",
        aliases=("verify_ssl",),
        description="False skips the server certificate check (`--insecure-skip-tls-verify`).",
    ),
    "proxy": Arg("str", description="HTTP proxy URL (`HTTPS_PROXY` for kubectl)."),
    "no_proxy": Arg("str", description="Hosts not to reach through the proxy (`NO_PROXY`)."),
    "proxy_headers": Arg("dict", description="Not supported (kubectl has no such option)."),
    "persist_config": Arg("bool", description="Accepted and ignored: kubectl keeps its tokens."),
    "impersonate_user": Arg("str", description="User to act as (`--as`)."),
    "impersonate_groups": Arg(
        "list", elements="str", description="Groups to act as (`--as-group`)."
    ),
}
_FLAGS = {
    "context": "--context",
    "host": "--server",
    "ca_cert": "--certificate-authority",
    "client_cert": "--client-certificate",
    "client_key": "--client-key",
    "impersonate_user": "--as",
}


def kubectl(args: Mapping[str, Any]) -> str:
    """``kubectl`` with the connection flags (and environment) the arguments ask for."""
    for key in ("api_key", "username", "password", "proxy_headers"):
        if args.get(key):
            raise ModuleError(f"{key} is not supported: {_REFUSED}")
    env = _env(args)
    words = ["kubectl"]
    config = args.get("kubeconfig")
    if isinstance(config, Mapping):
        raise ModuleError("kubeconfig as a mapping is not supported: give the file's path")
    if config and ":" in str(config):
        env.append(f"KUBECONFIG={quote(str(config))}")
    elif config:
        words.append(f"--kubeconfig={quote(str(config))}")
    words += [f"{flag}={quote(str(args[k]))}" for k, flag in _FLAGS.items() if args.get(k)]
    words += [f"--as-group={quote(str(g))}" for g in args.get("impersonate_groups") or []]
    if args.get("validate_certs") is False:
        words.append("--insecure-skip-tls-verify=true")
    return " ".join([*env, *words])


def _env(args: Mapping[str, Any]) -> list[str]:
    env = []
    if proxy := args.get("proxy"):
        env += [f"HTTPS_PROXY={quote(str(proxy))}", f"HTTP_PROXY={quote(str(proxy))}"]
    if no_proxy := args.get("no_proxy"):
        env.append(f"NO_PROXY={quote(str(no_proxy))}")
    return env


def load_manifest(text: str, where: str) -> list[Any]:
    """The documents of a YAML manifest (empty ones dropped)."""
    try:
        return [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError as exc:
        raise ModuleError(f"cannot read the resource definition in {where}: {exc}") from None


def objects_of(definition: Any, args: Mapping[str, Any], where: str) -> list[Obj]:
    """The objects a task names, each with apiVersion, kind and metadata.name (from the
    task's ``api_version``/``kind``/``name`` where the definition has none) and the task's
    ``namespace`` where it has none and is namespaced."""
    if definition is None:
        docs: list[Any] = [{}]
    elif isinstance(definition, str):
        docs = load_manifest(definition, where)
    elif isinstance(definition, list):
        docs = [d for d in definition if d is not None]
    else:
        docs = [definition]
    out = []
    for doc in docs:
        if not isinstance(doc, Mapping):
            raise ModuleError(f"{where}: a resource definition must be a mapping, got {doc!r}")
        if str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list):
            out += [_completed(item, args, where) for item in doc.get("items") or []]
        else:
            out.append(_completed(doc, args, where))
    return out


def _completed(doc: Mapping[str, Any], args: Mapping[str, Any], where: str) -> Obj:
    obj: Obj = json.loads(json.dumps(dict(doc), default=str))  # plain data, a copy
    obj.setdefault("apiVersion", args.get("api_version") or "v1")
    if not obj.get("kind") and args.get("kind"):
        obj["kind"] = args["kind"]
    meta = obj.setdefault("metadata", {})
    if not isinstance(meta, dict):
        raise ModuleError(f"{where}: metadata must be a mapping")
    if not meta.get("name") and args.get("name"):
        meta["name"] = args["name"]
    if not obj.get("kind") or not meta.get("name"):
        raise ModuleError(
            f"{where}: every object needs a kind and a metadata.name (or the task's kind and name)"
        )
    if not meta.get("namespace") and args.get("namespace") and obj["kind"] not in CLUSTER_KINDS:
        meta["namespace"] = args["namespace"]
    return obj


def identity(obj: Mapping[str, Any]) -> Obj:
    """Just what names the object: enough for ``kubectl get``/``delete -f -``."""
    meta = {k: obj["metadata"][k] for k in ("name", "namespace") if obj["metadata"].get(k)}
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": meta}


def as_list(objs: list[Obj]) -> bytes:
    """Objects as one manifest for ``-f -`` (a v1 List: JSON is YAML)."""
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}).encode()


def parse_objects(res: CommandResult, what: str) -> list[Obj]:
    """What ``kubectl … -o json`` printed: nothing, one object, or a List of them."""
    if res.rc != 0:
        raise ModuleError(failure(what, res))
    text = res.out.strip()
    if not text:
        return []
    try:
        found = json.loads(text)
    except ValueError:
        raise ModuleError(f"{what}: kubectl printed no JSON: {text[:200]}") from None
    if isinstance(found, dict) and found.get("kind", "").endswith("List") and "items" in found:
        return [o for o in found["items"] or [] if isinstance(o, dict)]
    return [found] if isinstance(found, dict) else []


def failure(what: str, res: CommandResult) -> str:
    said = (res.err or res.out).strip() or f"exit status {res.rc}"
    if res.rc == 127 and "not found" in said:
        return f"{what}: k8s drives kubectl on the host, and there is none there: {said}"
    return f"{what} failed (rc={res.rc}): {said}"


def key(obj: Mapping[str, Any]) -> tuple[str, str, str]:
    meta = obj.get("metadata") or {}
    return str(obj.get("kind", "")).lower(), str(meta.get("name")), str(meta.get("namespace", ""))


def find(live: list[Obj], want: Mapping[str, Any]) -> Obj | None:
    """The live object a definition names (by kind, name and, where it says, namespace)."""
    kind, name, namespace = key(want)
    for obj in live:
        k, n, ns = key(obj)
        if (k, n) == (kind, name) and (not namespace or ns == namespace):
            return obj
    return None


def has_fields(want: Any, live: Any) -> bool:
    """Whether ``live`` has every field ``want`` sets, to the same value: mappings
    recursively, lists item by item (same length), scalars equal as text (``cpu: 1`` is
    ``"1"`` once stored); an empty or null wanted value matches an absent one."""
    if isinstance(want, Mapping):
        if not isinstance(live, Mapping):
            return not want and live is None
        return all(has_fields(v, live.get(k)) if k in live else _empty(v) for k, v in want.items())
    if isinstance(want, list):
        if not isinstance(live, list):
            return not want and live is None
        return len(want) == len(live) and all(map(has_fields, want, live))
    if want is None or isinstance(want, bool) or isinstance(live, bool):
        return want == live or (want is None and _empty(live))
    return want == live or str(want) == str(live)


def _empty(value: Any) -> bool:
    return value is None or value == {} or value == []


def stored(obj: Obj) -> Obj:
    """A definition as the server stores it, where that is known: a Secret's
    ``stringData`` becomes base64 ``data``."""
    if obj.get("kind") != "Secret" or not isinstance(obj.get("stringData"), Mapping):
        return obj
    out = dict(obj)
    data = dict(out.get("data") or {})
    for k, v in out.pop("stringData").items():
        data[k] = base64.b64encode(str(v).encode()).decode()
    out["data"] = data
    return out


def merged(live: Any, want: Any) -> Any:
    """``want`` laid over ``live``: what the object looks like after the change."""
    if isinstance(live, Mapping) and isinstance(want, Mapping):
        out = dict(live)
        for k, v in want.items():
            out[k] = merged(live.get(k), v)
        return out
    return want


def wait_commands(base: str, objs: list[Obj], args: Mapping[str, Any]) -> list[str]:
    """``kubectl rollout status`` for Deployments, DaemonSets and StatefulSets, ``kubectl
    wait`` for a Pod to be Ready, or for ``wait_condition`` on any object."""
    timeout = f"--timeout={int(args['wait_timeout'])}s"
    cond = args.get("wait_condition") or {}
    out = []
    for obj in objs:
        name, where = ref(obj)
        if cond.get("type"):
            wanted = f"condition={cond['type']}={cond.get('status') or 'True'}"
            out.append(f"{base} wait --for={quote(wanted)} {name}{where} {timeout}")
        elif obj["kind"] in _ROLLOUT:
            out.append(f"{base} rollout status {name}{where} {timeout}")
        elif obj["kind"] == "Pod":
            out.append(f"{base} wait --for=condition=Ready {name}{where} {timeout}")
    return out


def resource(api_version: str, kind: str) -> str:
    """How kubectl names a kind of an API group: ``deployment.v1.apps``; ``pod`` in core."""
    if "/" not in api_version:
        return kind.lower()
    group, version = api_version.split("/", 1)
    return f"{kind.lower()}.{version}.{group}"


def ref(obj: Obj) -> tuple[str, str]:
    """``kind[.version.group]/name`` and `` -n namespace`` for kubectl's commands."""
    meta = obj["metadata"]
    where = f" -n {quote(meta['namespace'])}" if meta.get("namespace") else ""
    return quote(f"{resource(str(obj['apiVersion']), str(obj['kind']))}/{meta['name']}"), where


def hide(obj: Obj, paths: list[str]) -> Obj:
    """The object without the dotted ``hidden_fields`` paths."""
    if not paths:
        return obj
    obj = copy.deepcopy(obj)
    for path in paths:
        *parents, last = str(path).split(".")
        node: Any = obj
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(last, None)
    return obj
