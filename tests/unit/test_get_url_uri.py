"""get_url and uri for real: this machine's curl (and wget, with curl hidden from PATH)
against an HTTP server the test starts on 127.0.0.1; the pure helpers on their own."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from http_server import Site, serve

from playbook_engine.api import run
from playbook_engine.errors import ModuleError
from playbook_engine.modules.get_url import parse_checksum
from playbook_engine.modules.uri import encode_body, follows
from playbook_engine.modules.util.download import parse_sums
from playbook_engine.testing.parity import check_predicts_run
from playbook_engine.transport import local

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}
DATA = b"hello from the test server\n"
BIG = bytes(range(256)) * 512


@pytest.fixture
def site() -> Iterator[Site]:
    sums = f"{hashlib.sha256(BIG).hexdigest()}  big.bin\n0000  other.bin\n".encode()
    with serve({"a.txt": DATA, "big.bin": BIG, "SHA256SUMS": sums}) as served:
        yield served


@pytest.fixture
def no_curl(tmp_path: Path) -> str:
    """A PATH with this machine's tools but no curl, so the host falls back to wget."""
    bin_dir = tmp_path / "bin-no-curl"
    bin_dir.mkdir()
    for folder in ("/usr/local/bin", "/usr/bin", "/bin"):
        for entry in os.scandir(folder):
            if entry.name != "curl" and not (bin_dir / entry.name).exists():
                (bin_dir / entry.name).symlink_to(entry.path)
    return str(bin_dir)


def play(tmp_path: Path, tasks: str) -> Path:
    book = tmp_path / "site.yml"
    book.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}")
    return book


def leftovers() -> set[str]:
    tmp = os.environ.get("TMPDIR", "/tmp")
    return {p.name for p in Path(tmp).glob(".pbe-get.*")}


def test_get_url_downloads_then_asks_if_modified(tmp_path: Path, site: Site) -> None:
    dest = tmp_path / "out" / "a.txt"
    dest.parent.mkdir()
    sha = hashlib.sha256(BIG).hexdigest()
    book = play(
        tmp_path,
        f"""
    - get_url: {{url: "{site.url("/a.txt")}", dest: "{dest}", mode: "0600"}}
      register: first
    - get_url: {{url: "{site.url("/named")}", dest: "{dest.parent}/"}}
    - get_url: {{url: "{site.url("/big.bin")}", dest: "{dest.parent}/big.bin",
                 checksum: "sha256:{sha}"}}
    - get_url: {{url: "{site.url("/big.bin")}", dest: "{dest.parent}/listed.bin",
                 checksum: "sha256:{site.url("/SHA256SUMS")}"}}
""",
    )
    before = leftovers()
    real = check_predicts_run(
        book,
        LOCAL,
        unchanged=lambda: (
            None if not any(dest.parent.iterdir()) else pytest.fail("check mode wrote a file")
        ),
    )
    assert [r.status for r in real.results] == ["changed"] * 4
    assert dest.read_bytes() == DATA
    assert oct(dest.stat().st_mode & 0o777) == "0o600"
    assert (dest.parent / "given.txt").read_bytes() == DATA  # Content-Disposition's name
    assert (dest.parent / "big.bin").read_bytes() == BIG
    assert (dest.parent / "listed.bin").read_bytes() == BIG
    first = real.results[0].result
    assert first["status_code"] == 200
    assert first["checksum_src"] == hashlib.sha1(DATA).hexdigest()
    assert first["checksum_dest"] is None
    assert first["msg"] == f"OK ({len(DATA)} bytes)"
    # the second real run (inside check_predicts_run) asked If-Modified-Since: 304
    conditional = [
        r for r in site.requests if r["path"] == "/a.txt" and "If-Modified-Since" in r["headers"]
    ]
    assert conditional
    assert leftovers() == before, "temp downloads were left on the host"


def test_get_url_force_replaces_changed_content_and_backs_up(tmp_path: Path, site: Site) -> None:
    dest = tmp_path / "a.txt"
    dest.write_bytes(b"old\n")
    book = play(
        tmp_path,
        f"""
    - get_url: {{url: "{site.url("/a.txt")}", dest: "{dest}", force: true, backup: true}}
      register: got
""",
    )
    real = check_predicts_run(
        book,
        LOCAL,
        unchanged=lambda: (
            dest.read_bytes() == b"old\n" or pytest.fail("check mode replaced the file")
        ),
    )
    got = real.results[0].result
    assert dest.read_bytes() == DATA
    assert got["checksum_dest"] == hashlib.sha1(b"old\n").hexdigest()
    assert Path(got["backup_file"]).read_bytes() == b"old\n"


def test_get_url_failures_leave_dest_alone(tmp_path: Path, site: Site) -> None:
    dest = tmp_path / "x.bin"
    book = play(
        tmp_path,
        f"""
    - get_url: {{url: "{site.url("/big.bin")}", dest: "{dest}", checksum: "sha1:{"0" * 40}"}}
      ignore_errors: true
    - get_url: {{url: "{site.url("/missing")}", dest: "{dest}"}}
      ignore_errors: true
    - get_url: {{url: "http://127.0.0.1:1/none", dest: "{dest}", timeout: 3}}
      ignore_errors: true
""",
    )
    before = leftovers()
    result = run(book, LOCAL)
    msgs = [r.result["msg"] for r in result.results]
    assert [r.status for r in result.results] == ["failed"] * 3
    assert msgs[0] == (
        f"The checksum for {site.url('/big.bin')} did not match {'0' * 40}; "
        f"it was {hashlib.sha1(BIG).hexdigest()}."
    )
    assert msgs[1] == "HTTP Error 404: Not Found"
    assert result.results[1].result["status_code"] == 404
    assert msgs[2].startswith("Request failed: curl: (7)")
    assert not dest.exists()
    assert leftovers() == before


def test_get_url_falls_back_to_wget(tmp_path: Path, site: Site, no_curl: str) -> None:
    dest = tmp_path / "w.txt"
    book = play(
        tmp_path,
        f"""
    - get_url: {{url: "{site.url("/redirect/a.txt")}", dest: "{dest}"}}
      environment: {{PATH: "{no_curl}"}}
      register: got
""",
    )
    result = run(book, LOCAL)
    assert result.results[0].status == "changed", result.results[0].result
    assert dest.read_bytes() == DATA
    assert result.results[0].result["status_code"] == 200
    assert site.requests[-1]["headers"]["User-Agent"] == "ansible-httpget"


def test_uri_json_post_auth_and_redirects(tmp_path: Path, site: Site) -> None:
    book = play(
        tmp_path,
        f"""
    - uri:
        url: "{site.url("/echo")}"
        method: POST
        body_format: json
        body: {{name: web, ports: [80, 443]}}
        headers: {{X-Trace: t1}}
      register: posted
    - uri: {{url: "{site.url("/auth")}", url_username: alice, url_password: "s3cret pass",
            force_basic_auth: true}}
      register: authed
    - uri: {{url: "{site.url("/redirect/a.txt")}", return_content: true}}
      register: followed
    - uri: {{url: "{site.url("/redirect/a.txt")}", method: POST, status_code: [302]}}
      register: kept
    - uri: {{url: "{site.url("/auth")}"}}
      register: refused
      ignore_errors: true
""",
    )
    result = run(book, LOCAL)
    posted, authed, followed, kept, refused = (r.result for r in result.results)
    sent = posted["json"]
    assert sent["method"] == "POST"
    assert json.loads(sent["body"]) == {"name": "web", "ports": [80, 443]}
    assert sent["headers"]["Content-Type"] == "application/json"
    assert sent["headers"]["X-Trace"] == "t1"
    assert posted["cookies"] == {"sid": "abc123"}
    assert posted["content_type"] == "application/json"
    assert "content" not in posted
    assert authed["json"] == {"user": "alice"}
    assert followed["content"] == DATA.decode()
    assert followed["redirected"] is True
    assert followed["url"] == site.url("/a.txt")
    assert kept["status"] == 302 and kept["location"] == "/a.txt"
    assert refused["msg"] == "Status code was 401 and not [200]: HTTP Error 401: Unauthorized"
    assert [r.status for r in result.results] == ["ok"] * 4 + ["failed"]


def test_uri_secrets_never_reach_a_command_line(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = play(
        tmp_path,
        f"""
    - uri: {{url: "{site.url("/auth")}", url_username: alice, url_password: "s3cret pass",
            force_basic_auth: true, headers: {{Authorization-Extra: "tok-XYZ"}}}}
""",
    )
    seen: list[str] = []

    original = local.LocalConnection.run

    def spy(self: local.LocalConnection, command: str, *args: object, **kwargs: object) -> object:
        seen.append(command)
        return original(self, command, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(local.LocalConnection, "run", spy)
    result = run(book, LOCAL)
    assert result.results[0].status == "ok"
    assert seen and not [c for c in seen if "s3cret" in c or "tok-XYZ" in c]


def test_uri_dest_creates_and_skips(tmp_path: Path, site: Site) -> None:
    dest = tmp_path / "saved.bin"
    book = play(
        tmp_path,
        f"""
    - uri: {{url: "{site.url("/big.bin")}", dest: "{dest}"}}
      register: saved
    - uri: {{url: "{site.url("/big.bin")}", dest: "{dest}"}}
      register: again
    - uri: {{url: "{site.url("/a.txt")}", creates: "{dest}"}}
      register: skipped
""",
    )
    result = run(book, LOCAL)
    assert [r.status for r in result.results] == ["changed", "ok", "skipped"]
    assert dest.read_bytes() == BIG
    assert result.results[0].result["path"] == str(dest)
    assert result.results[2].result["msg"] == f"{dest} already exists"
    checked = run(book, LOCAL, check=True)
    assert [r.status for r in checked.results] == ["skipped"] * 3  # as Ansible: no check mode


def test_pure_helpers() -> None:
    assert parse_checksum("SHA256:ABC") == ("sha256", "ABC")
    assert parse_checksum("") == (None, None)
    with pytest.raises(ModuleError, match="unsupported algorithm 'crc'"):
        parse_checksum("crc:1")
    assert parse_sums("abc  ./pkg.tgz\ndef *other\n", "pkg.tgz") == "abc"
    assert parse_sums("ABCDEF\n", "whatever") == "abcdef"
    assert parse_sums("abc  pkg\n", "missing") is None
    headers: dict[str, str] = {}
    assert encode_body({"a": [1, 2]}, "form-urlencoded", headers) == b"a=1&a=2"
    assert headers == {"Content-Type": "application/x-www-form-urlencoded"}
    assert encode_body([1], "json", {"content-type": "x"}) == b"[1]"
    assert follows("safe", "GET") and not follows("safe", "POST")
    assert follows("all", "POST") and not follows("none", "GET")


def test_curl_is_there() -> None:
    """The real-run tests above use this machine's curl: say so plainly when it is missing
    (this test asserted nothing and skipped itself before)."""
    assert shutil.which("curl"), "the real-run tests in this file need curl on this machine"


def test_wget_config_with_the_password_is_private(tmp_path: Path, site: Site, no_curl: str) -> None:
    mark = tmp_path / "config-mode"
    wrapper = Path(no_curl) / "wget"
    wrapper.unlink()
    wrapper.write_text(
        "#!/bin/sh\nfor a; do case $a in --config=*) "
        f'stat -c %a "${{a#--config=}}" > {mark};; esac; done\n'
        'exec /usr/bin/wget "$@"\n'
    )
    wrapper.chmod(0o755)
    book = play(
        tmp_path,
        f"""
    - uri: {{url: "{site.url("/auth")}", url_username: alice, url_password: "s3cret pass",
            force_basic_auth: true}}
      environment: {{PATH: "{no_curl}"}}
      register: authed
""",
    )
    result = run(book, LOCAL)
    assert result.results[0].result["json"] == {"user": "alice"}
    assert mark.read_text().strip() == "600"
