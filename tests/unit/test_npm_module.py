"""npm for real: this machine's npm installs packages the test builds, served by a tiny
registry on 127.0.0.1 (no network), into a temp project directory and a temp global
prefix; check mode predicts every run."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import tarfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from playbook_engine.api import run
from playbook_engine.modules.npm import parse_ls, parse_outdated
from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}
VERSIONS = {"pbe-tnpm-a": ["1.0.0", "1.1.0"], "pbe-tnpm-b": ["1.0.0"]}

pytestmark = pytest.mark.skipif(shutil.which("npm") is None, reason="no npm here")


def tarball(name: str, version: str) -> bytes:
    manifest = json.dumps({"name": name, "version": version, "main": "index.js"}).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for path, data in (
            ("package/package.json", manifest),
            ("package/index.js", f"module.exports = '{version}';\n".encode()),
        ):
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class Registry(BaseHTTPRequestHandler):
    """Answers an npm registry's two requests: a package's document and its tarballs."""

    files: dict[str, bytes] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = self.files.get(self.path.split("?")[0])
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body or b'{"error": "not found"}')

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def registry() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Registry)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    files: dict[str, bytes] = {}
    for name, versions in VERSIONS.items():
        doc: dict[str, object] = {
            "name": name,
            "dist-tags": {"latest": versions[-1]},
            "versions": {},
        }
        for version in versions:
            data = tarball(name, version)
            files[f"/{name}/-/{name}-{version}.tgz"] = data
            sha512 = base64.b64encode(hashlib.sha512(data).digest()).decode()
            doc["versions"][version] = {  # type: ignore[index]
                "name": name,
                "version": version,
                "dist": {
                    "tarball": f"{url}/{name}/-/{name}-{version}.tgz",
                    "shasum": hashlib.sha1(data).hexdigest(),  # noqa: S324 - npm's own
                    "integrity": f"sha512-{sha512}",
                },
            }
        files[f"/{name}"] = json.dumps(doc).encode()
    Registry.files = files
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()
    server.server_close()


def play(tmp_path: Path, registry: str, tasks: list[str], *, ignore: bool = False) -> Path:
    env = {
        "npm_config_cache": str(tmp_path / "cache"),
        "npm_config_audit": "false",
        "npm_config_fund": "false",
        "npm_config_update_notifier": "false",
        "NPM_CONFIG_PREFIX": str(tmp_path / "prefix"),
    }
    extra = "      ignore_errors: true\n" if ignore else ""
    body = "".join(
        f"    - community.general.npm: {{{t}, registry: '{registry}'}}\n{extra}" for t in tasks
    )
    book = tmp_path / "site.yml"
    book.write_text(
        f"- hosts: all\n  gather_facts: false\n  environment: {json.dumps(env)}\n  tasks:\n{body}"
    )
    return book


def version(folder: Path, name: str) -> str | None:
    manifest = folder / "node_modules" / name / "package.json"
    return json.loads(manifest.read_text())["version"] if manifest.exists() else None


def test_project_install_pin_latest_and_remove(tmp_path: Path, registry: str) -> None:
    project = tmp_path / "app"
    book = play(
        tmp_path,
        registry,
        [
            f"name: pbe-tnpm-a, version: '1.0.0', path: '{project}'",
            f"name: pbe-tnpm-b, path: '{project}'",
        ],
    )
    real = check_predicts_run(
        book,
        LOCAL,
        unchanged=lambda: project.exists() and pytest.fail("check mode made the project directory"),
    )
    assert [r.status for r in real.results] == ["changed", "changed"]
    assert (version(project, "pbe-tnpm-a"), version(project, "pbe-tnpm-b")) == ("1.0.0", "1.0.0")
    manifest = json.loads((project / "package.json").read_text())
    manifest["dependencies"]["pbe-tnpm-a"] = "^1.0.0"
    (project / "package.json").write_text(json.dumps(manifest))
    latest = play(tmp_path, registry, [f"name: pbe-tnpm-a, path: '{project}', state: latest"])
    real = check_predicts_run(
        latest,
        LOCAL,
        unchanged=lambda: (
            version(project, "pbe-tnpm-a") == "1.0.0" or pytest.fail("check mode updated")
        ),
    )
    assert real.results[0].status == "changed"
    assert version(project, "pbe-tnpm-a") == "1.1.0"
    gone = play(
        tmp_path,
        registry,
        [
            f"name: pbe-tnpm-a, path: '{project}', state: absent",
            f"name: pbe-tnpm-zz, path: '{project}', state: absent",
        ],
    )
    real = check_predicts_run(gone, LOCAL)
    assert [r.status for r in real.results] == ["changed", "ok"]
    assert version(project, "pbe-tnpm-a") is None
    assert version(project, "pbe-tnpm-b") == "1.0.0"


def test_path_installs_package_json_and_global(tmp_path: Path, registry: str) -> None:
    project = tmp_path / "app"
    project.mkdir()
    (project / "package.json").write_text(
        json.dumps({"name": "app", "version": "1.0.0", "dependencies": {"pbe-tnpm-b": "^1.0.0"}})
    )
    book = play(tmp_path, registry, [f"path: '{project}'", "name: pbe-tnpm-a, global: true"])
    real = check_predicts_run(book, LOCAL)
    assert [r.status for r in real.results] == ["changed", "changed"]
    assert version(project, "pbe-tnpm-b") == "1.0.0"
    assert version(tmp_path / "prefix" / "lib", "pbe-tnpm-a") == "1.1.0"


def test_failures_are_clear(tmp_path: Path, registry: str) -> None:
    (tmp_path / "file").write_text("")
    book = play(
        tmp_path,
        registry,
        [
            "name: pbe-tnpm-a",
            f"name: pbe-tnpm-a, path: '{tmp_path}/file'",
            f"path: '{tmp_path}/x', state: absent",
            f"name: pbe-tnpm-none, path: '{tmp_path}/y'",
        ],
        ignore=True,
    )
    result = run(book, LOCAL)
    assert [r.status for r in result.results] == ["failed"] * 4
    msgs = [r.result["msg"] for r in result.results]
    assert msgs[:3] == [
        "path must be specified when not using global",
        f"path {tmp_path}/file is not a directory",
        "uninstalling a package is only available for named packages",
    ]
    assert msgs[3].startswith("npm install failed (rc=1): ")
    assert "pbe-tnpm-none" in msgs[3] and "404" in msgs[3]


def test_pure_parts() -> None:
    text = json.dumps(
        {
            "dependencies": {
                "a": {"version": "1.0.0"},
                "b": {"required": "^1", "missing": True},
                "c": {"version": "2.0.0", "invalid": "x"},
            }
        }
    )
    assert parse_ls(text) == (frozenset({"a", "a@1.0.0"}), ("b", "c"))
    assert parse_ls("{}") == (frozenset(), ())
    outdated = json.dumps(
        {
            "a": {"current": "1.0.0", "wanted": "1.1.0", "latest": "2.0.0"},
            "b": {"current": "2.0.0", "wanted": "2.0.0", "latest": "3.0.0"},
        }
    )
    assert parse_outdated(outdated, None) == ("a",)
    assert parse_outdated(outdated, "b") == ()
