"""k8s end to end on this machine, against a fake ``kubectl`` first on PATH (this machine
has no cluster): the commands it receives, the objects it ends with, check mode's
prediction and a second run that changes nothing."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from playbook_engine.api import run
from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}
FAKE = Path(__file__).with_name("kubectl_fake.py")


class Cluster:
    """The fake's state and argv log, and a play that runs with it first on PATH."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.state = root / "cluster.json"
        self.log = root / "kubectl.log"
        bin_dir = root / "bin"
        bin_dir.mkdir()
        kubectl = bin_dir / "kubectl"
        kubectl.write_text(f'#!/bin/sh\nexec {sys.executable} {FAKE} "$@"\n')
        kubectl.chmod(0o755)
        self.env = {
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "FAKE_KUBE_STATE": str(self.state),
            "FAKE_KUBE_LOG": str(self.log),
        }

    def play(self, tasks: str, name: str = "site.yml") -> Path:
        env = json.dumps(self.env)
        book = self.root / name
        book.write_text(
            f"- hosts: all\n  gather_facts: false\n  environment: {env}\n  tasks:\n{tasks}"
        )
        return book

    def objects(self) -> dict[str, Any]:
        return json.loads(self.state.read_text()) if self.state.exists() else {}

    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def forget_calls(self) -> None:
        self.log.unlink(missing_ok=True)


@pytest.fixture
def cluster(tmp_path: Path) -> Cluster:
    return Cluster(tmp_path)


MANIFEST = """---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: hunter2}
"""


def test_a_manifest_is_created_then_in_state(cluster: Cluster) -> None:
    (cluster.root / "app.yml").write_text(MANIFEST)
    book = cluster.play(f"""
    - k8s:
        src: {cluster.root}/app.yml
        namespace: shop
        kubeconfig: /etc/kube/admin.conf
        context: prod
      register: made
""")
    real = check_predicts_run(book, LOCAL, unchanged=lambda: _empty(cluster))
    assert [r.status for r in real.results] == ["changed"]
    objects = cluster.objects()
    assert sorted(objects) == [
        "Deployment/shop/web",
        "Namespace//shop",
        "Secret/shop/creds",
        "Service/shop/web",
    ]
    secret = objects["Secret/shop/creds"]["data"]["password"]
    assert base64.b64decode(secret) == b"hunter2"
    results = real.results[0].result["result"]["results"]
    assert [r["method"] for r in results] == ["create"] * 4
    assert results[1]["result"]["metadata"]["uid"]  # as the server returned it
    calls = cluster.calls()
    # check: get; run: get, apply; run again: get
    verbs = [[w for w in c if not w.startswith("-")][0] for c in calls]
    assert verbs == ["get", "get", "apply", "get"]
    assert all("--kubeconfig=/etc/kube/admin.conf" in c and "--context=prod" in c for c in calls)
    assert not any("hunter2" in " ".join(c) for c in calls)  # manifests go on stdin


def _empty(cluster: Cluster) -> None:
    assert cluster.objects() == {}


def test_a_changed_field_is_applied_and_force_replaces(cluster: Cluster) -> None:
    book = cluster.play("""
    - k8s:
        definition:
          apiVersion: v1
          kind: ConfigMap
          metadata: {name: settings, namespace: default}
          data: {mode: fast}
    - k8s:
        definition:
          apiVersion: v1
          kind: ConfigMap
          metadata: {name: legacy, namespace: default}
          data: {old: "1"}
""")
    assert run(book, LOCAL).exit_code == 0
    cluster.forget_calls()
    book = cluster.play(
        """
    - k8s:
        definition:
          apiVersion: v1
          kind: ConfigMap
          metadata: {name: settings, namespace: default}
          data: {mode: safe}
      register: moved
    - k8s:
        force: true
        definition:
          apiVersion: v1
          kind: ConfigMap
          metadata: {name: legacy, namespace: default}
          data: {new: "2"}
      register: replaced
""",
        "change.yml",
    )
    real = check_predicts_run(book, LOCAL)
    assert [r.status for r in real.results] == ["changed", "changed"]
    moved, replaced = (r.result for r in real.results)
    assert moved["method"] == "update" and moved["result"]["data"] == {"mode": "safe"}
    assert replaced["method"] == "replace"
    assert cluster.objects()["ConfigMap/default/settings"]["data"] == {"mode": "safe"}
    assert cluster.objects()["ConfigMap/default/legacy"]["data"] == {"new": "2"}  # old gone
    run_verbs = [[w for w in c if not w.startswith("-")][0] for c in cluster.calls()]
    assert run_verbs.count("replace") == 1 and run_verbs.count("apply") == 1


def test_absent_deletes_once_and_wait_waits(cluster: Cluster) -> None:
    book = cluster.play("""
    - k8s:
        wait: true
        wait_timeout: 30
        definition:
          apiVersion: apps/v1
          kind: Deployment
          metadata: {name: api, namespace: default}
          spec: {template: {spec: {containers: [{name: api, image: "api:1"}]}}}
      register: up
""")
    real = check_predicts_run(book, LOCAL)
    assert real.results[0].result["duration"] >= 0
    waits = [c for c in cluster.calls() if "rollout" in c]
    assert waits and waits[0][-4:] == ["deployment.v1.apps/api", "-n", "default", "--timeout=30s"]
    book = cluster.play(
        """
    - k8s: {state: absent, api_version: apps/v1, kind: Deployment, name: api,
            namespace: default}
      register: gone
""",
        "absent.yml",
    )
    cluster.forget_calls()
    real = check_predicts_run(book, LOCAL)
    assert real.results[0].result == {
        "changed": True,
        "method": "delete",
        "result": {},
        "failed": False,
    }
    assert cluster.objects() == {}
    deletes = [c for c in cluster.calls() if "delete" in c]
    assert deletes == [["delete", "-f", "-", "--wait=false"]]


def test_errors_are_the_tools_words(cluster: Cluster) -> None:
    book = cluster.play("""
    - k8s:
        definition: {apiVersion: example.com/v1, kind: Widget, metadata: {name: w}}
      ignore_errors: true
    - k8s: {kind: ConfigMap}
      ignore_errors: true
    - k8s: {name: x, kind: Secret, api_key: abc}
      ignore_errors: true
""")
    widget, nameless, token = (r.result for r in run(book, LOCAL).results)
    assert widget["msg"] == (
        'kubectl get failed (rc=1): error: the server doesn\'t have a resource type "Widget"'
    )
    assert "every object needs a kind and a metadata.name" in nameless["msg"]
    assert token["msg"].startswith("api_key is not supported")


def test_k8s_info_reads_what_k8s_made(cluster: Cluster) -> None:
    book = cluster.play("""
    - k8s:
        definition:
          - {apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: one,
             labels: {tier: web}}, data: {k: v}}
          - {apiVersion: v1, kind: ConfigMap, metadata: {name: b, namespace: two}}
          - {apiVersion: apps/v1, kind: Deployment, metadata: {name: web, namespace: one},
             spec: {template: {spec: {containers: [{name: w, image: "w:1"}]}}}}
    - kubernetes.core.k8s_info: {kind: ConfigMap}
      register: every
    - k8s_info: {kind: ConfigMap, label_selectors: ["tier=web"], metadata_only: true}
      register: labelled
    - k8s_info: {kind: Deployment, api_version: apps/v1, name: web, namespace: one,
                 wait: true, hidden_fields: [spec.template]}
      register: waited
    - k8s_info: {kind: ConfigMap, name: nothing, namespace: one}
      register: missing
    - k8s_info: {kind: Widget, api_version: example.com/v1}
      register: unknown
""")
    result = run(book, LOCAL)
    assert result.exit_code == 0, result.error
    every, labelled, waited, missing, unknown = (r.result for r in result.results[1:])
    assert sorted(o["metadata"]["name"] for o in every["resources"]) == ["a", "b"]
    assert [o["metadata"]["name"] for o in labelled["resources"]] == ["a"]
    assert "data" not in labelled["resources"][0]
    assert waited["resources"][0]["spec"] == {"replicas": 1}
    assert missing == {"changed": False, "api_found": True, "resources": [], "failed": False}
    assert unknown["api_found"] is False and unknown["resources"] == []
    reads = [c for c in cluster.calls() if c[0] in ("get", "rollout")]
    assert ["get", "configmap", "-o", "json", "--all-namespaces"] in reads
    assert ["rollout", "status", "deployment.v1.apps/web", "-n", "one", "--timeout=120s"] in reads
