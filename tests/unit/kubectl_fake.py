"""A small stand-in for ``kubectl`` with a cluster in a JSON file, for k8s's end-to-end test.

This machine has kubectl but no cluster. The test puts a ``kubectl`` that runs this file
first on PATH; it appends each argv (and whether stdin carried a manifest) to
``$FAKE_KUBE_LOG`` and keeps the objects in ``$FAKE_KUBE_STATE``, answering in kubectl's
documented formats: ``-o json`` prints one object, or a ``List`` for several; errors go to
stderr as ``Error from server (NotFound): …`` with exit status 1. Like an API server it
adds what a client never sends (uid, resourceVersion, creationTimestamp, the default
namespace, Secret ``stringData`` as base64 ``data``, a Service port's ``protocol`` and
``targetPort``, a Deployment's ``replicas``), so a module that compared definitions with
live objects naively would see a change every time.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import sys
import uuid
from typing import Any

CLUSTER = {"Namespace", "Node", "ClusterRole", "ClusterRoleBinding", "PersistentVolume"}
KNOWN = CLUSTER | {
    "ConfigMap",
    "Secret",
    "Service",
    "Deployment",
    "Pod",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "APIService",
}


def main(argv: list[str]) -> int:
    words = [w for w in argv if not w.startswith("--")]
    with open(os.environ["FAKE_KUBE_LOG"], "a") as log:
        log.write(json.dumps(argv) + "\n")
    state = _load()
    verb = words[0]
    if verb in ("rollout", "wait"):
        print(f"{words[2] if verb == 'rollout' else words[1]} ready")
        return 0
    if verb == "get" and "-f" not in words:
        return _read(state, words)
    items = _manifest(sys.stdin.read())
    unknown = [o["kind"] for o in items if o["kind"] not in KNOWN]
    if unknown:
        print(f'error: the server doesn\'t have a resource type "{unknown[0]}"', file=sys.stderr)
        return 1
    code, out = VERBS[verb](state, items)
    if out is not None:
        print(json.dumps(out if len(out) != 1 else out[0]) if "json" in argv else "\n".join(out))
    _save(state)
    return code


def _manifest(text: str) -> list[dict[str, Any]]:
    doc = json.loads(text)
    items = doc["items"] if doc.get("kind") == "List" else [doc]
    for obj in items:
        meta = obj.setdefault("metadata", {})
        if obj["kind"] not in CLUSTER:
            meta.setdefault("namespace", "default")
    return items


def _key(obj: dict[str, Any]) -> str:
    meta = obj["metadata"]
    return f"{obj['kind']}/{meta.get('namespace', '')}/{meta['name']}"


def _get(state: dict[str, Any], items: list[dict[str, Any]]) -> tuple[int, Any]:
    found = [state[_key(o)] for o in items if _key(o) in state]
    if not found:
        return 0, None
    if len(items) == 1:
        return 0, found
    return 0, [{"apiVersion": "v1", "kind": "List", "items": found, "metadata": {}}]


def _read(state: dict[str, Any], words: list[str]) -> int:
    """``get KIND[.version.group][/NAME] [-n NS] [-l k=v]``, as k8s_info asks."""
    what, _, name = words[1].partition("/")
    kind = what.split(".")[0]
    if kind not in {k.lower() for k in KNOWN}:
        print(f'error: the server doesn\'t have a resource type "{kind}"', file=sys.stderr)
        return 1
    namespace = words[words.index("-n") + 1] if "-n" in words else None
    labels = dict(words[words.index("-l") + 1].split("=", 1) for _ in [0] if "-l" in words)
    found = [
        obj
        for obj in state.values()
        if obj["kind"].lower() == kind
        and (not name or obj["metadata"]["name"] == name)
        and (namespace is None or obj["metadata"].get("namespace") == namespace)
        and labels.items() <= (obj["metadata"].get("labels") or {}).items()
    ]
    if name:
        if found:
            print(json.dumps(found[0]))
        return 0
    print(json.dumps({"apiVersion": "v1", "kind": "List", "items": found, "metadata": {}}))
    return 0


def _stored(obj: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    meta = obj["metadata"]
    meta["uid"] = old["metadata"]["uid"] if old else str(uuid.uuid4())
    meta["creationTimestamp"] = old["metadata"]["creationTimestamp"] if old else "2026-01-01T00:00Z"
    meta["resourceVersion"] = str(int(old["metadata"]["resourceVersion"]) + 1 if old else 1)
    if obj["kind"] == "Secret" and "stringData" in obj:
        data = obj.setdefault("data", {})
        for k, v in obj.pop("stringData").items():
            data[k] = base64.b64encode(v.encode()).decode()
    if obj["kind"] == "Service":
        for port in obj.get("spec", {}).get("ports", []):
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port["port"])
        obj["spec"].setdefault("type", "ClusterIP")
    if obj["kind"] == "Deployment":
        obj["spec"].setdefault("replicas", 1)
        obj["status"] = {"observedGeneration": 1}
    return obj


def _merge(live: Any, want: Any) -> Any:
    if isinstance(live, dict) and isinstance(want, dict):
        return {**live, **{k: _merge(live.get(k), v) for k, v in want.items()}}
    return want


def _apply(state: dict[str, Any], items: list[dict[str, Any]]) -> tuple[int, Any]:
    out = []
    for obj in items:
        old = state.get(_key(obj))
        state[_key(obj)] = _stored(_merge(old, obj) if old else obj, old)
        out.append(state[_key(obj)])
    return 0, out if len(out) == 1 else [{"apiVersion": "v1", "kind": "List", "items": out}]


def _create(state: dict[str, Any], items: list[dict[str, Any]]) -> tuple[int, Any]:
    for obj in items:
        if _key(obj) in state:
            name = obj["metadata"]["name"]
            print(f'Error from server (AlreadyExists): "{name}" already exists', file=sys.stderr)
            return 1, None
    return _apply(state, items)


def _replace(state: dict[str, Any], items: list[dict[str, Any]]) -> tuple[int, Any]:
    out = []
    for obj in items:
        old = state.get(_key(obj))
        if old is None:
            _not_found(obj)
            return 1, None
        state[_key(obj)] = _stored(obj, old)
        out.append(state[_key(obj)])
    return 0, out if len(out) == 1 else [{"apiVersion": "v1", "kind": "List", "items": out}]


def _delete(state: dict[str, Any], items: list[dict[str, Any]]) -> tuple[int, Any]:
    lines = []
    for obj in items:
        if state.pop(_key(obj), None) is None:
            _not_found(obj)
            return 1, None
        lines.append(f'{obj["kind"].lower()} "{obj["metadata"]["name"]}" deleted')
    return 0, lines


def _not_found(obj: dict[str, Any]) -> None:
    name = obj["metadata"]["name"]
    print(f'Error from server (NotFound): "{name}" not found', file=sys.stderr)


VERBS = {"get": _get, "apply": _apply, "create": _create, "replace": _replace, "delete": _delete}


def _load() -> dict[str, Any]:
    path = os.environ["FAKE_KUBE_STATE"]
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        state: dict[str, Any] = json.load(f)
    return state


def _save(state: dict[str, Any]) -> None:
    with open(os.environ["FAKE_KUBE_STATE"], "w") as f:
        json.dump(state, f)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
