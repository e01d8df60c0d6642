"""The ini, csvfile, password and url lookups (expected values checked against
ansible-core 2.21 where it documents the behaviour)."""

from __future__ import annotations

import base64
import gc
import http.server
import stat
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import playbook_engine as pbe
from playbook_engine.errors import TemplateError
from playbook_engine.templating.cryptpw import crypt_hash
from playbook_engine.templating.templar import TemplateEngine
from playbook_engine.templating.values import TrustedStr, trust

INI = """\
[global]
user = root
name = Joe Bloggs
[integration]
user = yourname
User2 = Cap
port: 8080
empty =
multi = a
  b
percent = 50%
[section1]
key1 = a
key2 = b
other = c
"""
PROPERTIES = "user.name=robert\nuser.pass: s3cret\n# comment\nkey with spaces = v\n"
CSV = 'Symbol,Atomic Number,Atomic Mass\nH,1,1.008\nLi,3,6.94\n"Na, x",11,22.98\n'
TSV = "a\t1\t2\nb\t3\t4\n"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "users.ini").write_text(INI)
    (tmp_path / "files" / "noval.ini").write_text("[s]\nnoval\nk = v\n")
    (tmp_path / "user.properties").write_text(PROPERTIES)
    (tmp_path / "files" / "elements.csv").write_text(CSV)
    (tmp_path / "ansible.csv").write_text(TSV)
    (tmp_path / "ansible.ini").write_text("[global]\nk = default-file\n")
    return tmp_path


def render(where: Path, source: str, **variables: Any) -> Any:
    engine = TemplateEngine()
    return engine.templar({"playbook_dir": str(where), **variables}).render(trust(source))


LOOKUP_CASES = [
    ("{{ lookup('ini', 'user section=integration file=users.ini') }}", "yourname"),
    ("{{ lookup('ini', 'user', section='integration', file='users.ini') }}", "yourname"),
    ("{{ lookup('ini', 'user file=users.ini') }}", "root"),
    ("{{ lookup('ini', 'name file=users.ini') }}", "Joe Bloggs"),
    ("{{ lookup('ini', 'k') }}", "default-file"),
    ("{{ lookup('ini', 'nokey file=users.ini') }}", ""),
    ("{{ lookup('ini', 'nokey file=users.ini default=dflt') }}", "dflt"),
    ("{{ query('ini', 'key.* section=section1 file=users.ini re=true') }}", ["a", "b"]),
    ("{{ lookup('ini', 'user section=integration file=users.ini re=true') }}", "yourname,Cap"),
    ("{{ lookup('ini', 'USER section=integration file=users.ini') }}", "yourname"),
    ("{{ lookup('ini', 'User2 section=integration file=users.ini case_sensitive=true') }}", "Cap"),
    ("{{ lookup('ini', 'user2 section=integration file=users.ini case_sensitive=true') }}", ""),
    ("{{ lookup('ini', 'port section=integration file=users.ini') }}", "8080"),
    ("{{ lookup('ini', 'empty section=integration file=users.ini') }}", ""),
    ("{{ lookup('ini', 'multi section=integration file=users.ini') }}", "a\nb"),
    (
        "{{ lookup('ini', 'percent section=integration file=users.ini interpolation=false') }}",
        "50%",
    ),
    ("{{ lookup('ini', 'noval section=s file=noval.ini allow_no_value=true') }}", None),
    ("{{ lookup('ini', 'k section=s file=noval.ini allow_none=true') }}", "v"),
    ("{{ query('ini', 'user', 'name', file='users.ini') }}", ["root", "Joe Bloggs"]),
    ("{{ lookup('ini', 'user.name type=properties file=user.properties') }}", "robert"),
    ("{{ lookup('ini', 'user.pass type=properties file=user.properties') }}", "s3cret"),
    ("{{ lookup('ini', 'key with spaces type=properties file=user.properties') }}", "v"),
    ("{{ lookup('ini', 'user section=\"integration\" file=users.ini') }}", "yourname"),
    ("{{ lookup('csvfile', 'Li file=elements.csv delimiter=,') }}", "3"),
    ("{{ lookup('csvfile', 'Li file=elements.csv delimiter=, col=2') }}", "6.94"),
    ("{{ lookup('csvfile', 'Li', file='elements.csv', delimiter=',', col=2) }}", "6.94"),
    ("{{ query('csvfile', 'Xx file=elements.csv delimiter=,') }}", []),
    ("{{ lookup('csvfile', 'Xx file=elements.csv delimiter=, default=nope') }}", "nope"),
    ("{{ lookup('csvfile', 'Na, x file=elements.csv delimiter=,') }}", "11"),
    ("{{ lookup('csvfile', 'a') }}", "1"),
    ("{{ lookup('csvfile', 'b col=2') }}", "4"),
    ("{{ lookup('csvfile', '3 keycol=1 col=0') }}", "b"),
    ("{{ lookup('csvfile', 'a delimiter=TAB') }}", "1"),
    ("{{ lookup('csvfile', 'a delimiter=\\t') }}", "1"),  # a playbook's backslash-t
    ("{{ query('csvfile', 'a', 'b') }}", ["1", "3"]),
]


@pytest.mark.parametrize(("source", "expected"), LOOKUP_CASES)
def test_ini_and_csvfile(files: Path, source: str, expected: Any) -> None:
    assert render(files, source) == expected


ERROR_CASES = [
    ("{{ lookup('ini', 'user section=nosec file=users.ini') }}", "no section [nosec] in"),
    ("{{ lookup('ini', 'user bogus=1 file=users.ini') }}", "ini: `bogus` is not a valid option"),
    ("{{ lookup('ini', 'user', bogus=1) }}", "ini: `bogus` is not a valid option"),
    ("{{ lookup('ini', 'user file=nofile.ini') }}", "could not find `nofile.ini`"),
    (
        "{{ lookup('ini', 'percent section=integration file=users.ini') }}",
        "interpolation=false reads values with % as written",
    ),
    ("{{ lookup('ini', 'k section=s file=noval.ini') }}", "cannot parse"),
    ("{{ lookup('ini', 'x re=maybe file=users.ini') }}", "re must be a boolean"),
    ("{{ lookup('ini', 'user type=toml file=users.ini') }}", "type must be ini or properties"),
    ("{{ lookup('ini', 'user section=\"open file=users.ini') }}", "cannot parse"),
    (
        "{{ lookup('csvfile', 'Li file=elements.csv delimiter=, col=9') }}",
        "has no column 9 (it has 3)",
    ),
    ("{{ lookup('csvfile', 'a col=x') }}", "col must be an integer, got 'x'"),
    ("{{ lookup('csvfile', 'a delimiter=ab') }}", "the delimiter must be one character"),
]


@pytest.mark.parametrize(("source", "message"), ERROR_CASES)
def test_bad_ini_and_csvfile_input(files: Path, source: str, message: str) -> None:
    with pytest.raises(TemplateError) as info:
        render(files, source)
    assert message in str(info.value)


# -- password -----------------------------------------------------------------------------

DEFAULT_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:-_")


def test_password_is_created_once_and_kept(tmp_path: Path) -> None:
    first = render(tmp_path, "{{ lookup('password', 'creds/db') }}")
    stored = tmp_path / "creds" / "db"
    assert stored.read_text() == first + "\n"
    assert len(first) == 20 and set(first) <= DEFAULT_CHARS
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
    assert render(tmp_path, "{{ lookup('password', 'creds/db length=5') }}") == first
    assert [p.name for p in stored.parent.iterdir()] == ["db"]  # no temp files left


@pytest.mark.parametrize(
    ("term", "kwargs", "check"),
    [
        ("/dev/null length=8 chars=digits", "", lambda p: len(p) == 8 and p.isdigit()),
        (
            "/dev/null",
            ", length=6, chars=['digits', 'ab']",
            lambda p: set(p) <= set("0123456789ab"),
        ),
        ("/dev/null chars=,, length=4", "", lambda p: p == ",,,,"),
        (
            "/dev/null chars=ascii_lowercase,,,digits length=40",
            "",
            lambda p: set(p) <= set("abcdefghijklmnopqrstuvwxyz,0123456789"),
        ),
        ("/dev/null length=5 seed=x", "", lambda p: p == "O9iX6"),  # ansible-core 2.21's answer
    ],
)
def test_password_options(tmp_path: Path, term: str, kwargs: str, check: Any) -> None:
    password = render(tmp_path, f"{{{{ lookup('password', '{term}'{kwargs}) }}}}")
    assert check(password), password


def test_password_encrypt_stores_a_salt_and_returns_the_hash(tmp_path: Path) -> None:
    stored = tmp_path / "pw"
    stored.write_text("plaintext\n")
    hashed = render(tmp_path, "{{ lookup('password', 'pw encrypt=sha512_crypt') }}")
    content = stored.read_text()
    assert content.startswith("plaintext salt=") and content.endswith("\n")
    salt = content.strip().split("salt=")[1]
    assert len(salt) == 16
    assert hashed == crypt_hash("plaintext", "sha512", salt)
    assert hashed.startswith(f"$6$rounds=656000${salt}$")
    assert render(tmp_path, "{{ lookup('password', 'pw', encrypt='sha512_crypt') }}") == hashed
    assert render(tmp_path, "{{ lookup('password', 'pw') }}") == "plaintext"
    md5 = render(tmp_path, "{{ lookup('password', 'new encrypt=md5_crypt') }}")
    plain, salt = (tmp_path / "new").read_text().strip().split(" salt=")
    assert md5 == crypt_hash(plain, "md5", salt) and len(salt) == 8


@pytest.mark.parametrize(
    ("term", "message"),
    [
        ("pw bogus=1", "password: `bogus` is not a valid option"),
        ("pw length=8 extra", "unexpected `extra` after the key=value options"),
        ("pw length=x", "length must be an integer, got 'x'"),
        ("pw length=0", "length must be at least 1"),
        ("pw encrypt=bcrypt", "bcrypt needs passlib"),
        ("pw chars=", "chars gives no characters"),
    ],
)
def test_bad_password_options(tmp_path: Path, term: str, message: str) -> None:
    with pytest.raises(TemplateError) as info:
        render(tmp_path, f"{{{{ lookup('password', '{term}') }}}}")
    assert message in str(info.value)
    assert not (tmp_path / "pw").exists()


def test_every_host_gets_the_same_new_password(tmp_path: Path) -> None:
    hosts = {f"h{i}": None for i in range(6)}
    book = tmp_path / "site.yml"
    book.write_text("""
- hosts: all
  gather_facts: false
  tasks:
    - debug: {msg: "{{ lookup('password', 'shared length=12') }}"}
""")
    result = pbe.run(
        book, {"all": {"hosts": hosts, "vars": {"ansible_connection": "local"}}}, forks=6
    )
    assert result.exit_code == 0
    assert {r.result["msg"] for r in result.results} == {(tmp_path / "shared").read_text().strip()}


# -- url ------------------------------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        routes = {
            "/text": self._text,
            "/echo": self._echo,
            "/auth": self._auth,
            "/slow": self._slow,
            "/moved": self._moved,
        }
        routes.get(self.path, self._missing)()

    def _send(self, code: int, body: str, **headers: str) -> None:
        data = body.encode()
        self.send_response(code)
        for name, value in {"Content-Length": str(len(data)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _text(self) -> None:
        self._send(200, "line one\nline two\n", **{"Content-Type": "text/plain"})

    def _echo(self) -> None:
        self._send(
            200,
            f"{self.headers['User-Agent']}\n{self.headers.get('X-Test')}\n"
            f"{self.headers.get('Cache-Control')}",
        )

    def _auth(self) -> None:
        token = base64.b64encode(b"alice:s3cret").decode()
        if self.headers.get("Authorization") == f"Basic {token}":
            self._send(200, "welcome")
        else:
            self._send(401, "no", **{"WWW-Authenticate": 'Basic realm="test"'})

    def _slow(self) -> None:
        time.sleep(2)
        self._send(200, "late")

    def _moved(self) -> None:
        self._send(302, "", Location="/text")

    def _missing(self) -> None:
        self._send(404, "missing")

    def log_message(self, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the client of /slow gives up first: a broken pipe here is expected


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ lookup('url', base ~ '/text') }}", "line one,line two"),
        ("{{ query('url', base ~ '/text') }}", ["line one", "line two"]),
        ("{{ lookup('url', base ~ '/text', split_lines=False) }}", "line one\nline two\n"),
        ("{{ lookup('url', base ~ '/moved', wantlist=True) }}", ["line one", "line two"]),
        (
            "{{ query('url', base ~ '/echo', headers={'X-Test': 'yes'}, force=True) }}",
            ["ansible-httpget", "yes", "no-cache"],
        ),
        ("{{ query('url', base ~ '/echo', http_agent='pbe') }}", ["pbe", "None", "None"]),
        ("{{ lookup('url', base ~ '/auth', username='alice', password='s3cret') }}", "welcome"),
        (
            "{{ lookup('url', base ~ '/auth', username='alice', password='s3cret', "
            "force_basic_auth=True) }}",
            "welcome",
        ),
        (
            "{{ query('url', base ~ '/text', base ~ '/auth', username='alice', password='s3cret',"
            " use_proxy=False, validate_certs=False) }}",
            ["line one", "line two", "welcome"],
        ),
    ],
)
def test_url(tmp_path: Path, server: str, source: str, expected: Any) -> None:
    assert render(tmp_path, source, base=server) == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ lookup('url', base ~ '/nothing') }}", "/nothing answered HTTP 404"),
        (
            "{{ lookup('url', base ~ '/auth', username='alice', password='wrong') }}",
            "answered HTTP 401",
        ),
        ("{{ lookup('url', base ~ '/slow', timeout=0.2) }}", "timed out after 0.2 seconds"),
        ("{{ lookup('url', base ~ '/moved', follow_redirects='none') }}", "answered HTTP 302"),
        ("{{ lookup('url', 'gopher://x') }}", "is not an http(s), ftp or file URL"),
        ("{{ lookup('url', base ~ '/text', headers='x') }}", "headers must be a mapping"),
        (
            "{{ lookup('url', base ~ '/text', use_gssapi=True) }}",
            "does not support the `use_gssapi`",
        ),
        ("{{ lookup('url', base ~ '/text', bogus=1) }}", "url: `bogus` is not a valid option"),
    ],
)
def test_url_errors(tmp_path: Path, server: str, source: str, message: str) -> None:
    with pytest.raises(TemplateError) as info:
        render(tmp_path, source, base=server)
    assert message in str(info.value)
    with warnings.catch_warnings():  # urllib leaves a timed-out request's socket to the GC
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def test_url_to_a_closed_port_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"url: cannot fetch http://127\.0\.0\.1:9/"):
        render(tmp_path, "{{ lookup('url', 'http://127.0.0.1:9/', timeout=2) }}")


def test_lookup_results_are_data(files: Path) -> None:
    (files / "files" / "t.ini").write_text("[global]\nk = {{ 7 * 6 }}\n")
    value = render(files, "{{ lookup('ini', 'k file=t.ini', interpolation=False) }}")
    assert value == "{{ 7 * 6 }}" and not isinstance(value, TrustedStr)


def test_first_found_in_a_role_searches_its_tasks_dir(tmp_path: Path) -> None:
    """As Ansible (lean_delivery.java picks its fetch task file with with_first_found): a
    role's lookups also search the role's tasks/, where the task's own file is."""
    tasks = tmp_path / "roles" / "dep" / "tasks"
    tasks.mkdir(parents=True)
    (tasks / "x.txt").write_text("x\n")
    (tasks / "other.yml").write_text("- debug: msg=other\n")
    (tasks / "main.yml").write_text(
        "- debug: msg=\"{{ lookup('first_found', 'x.txt') }}\"\n"
        "- include_tasks: '{{ f }}'\n  with_first_found: [sub/missing.yml, other.yml]\n"
        "  loop_control: {loop_var: f}\n"
    )
    book = tmp_path / "site.yml"
    book.write_text("- hosts: all\n  gather_facts: false\n  roles: [dep]\n")
    result = pbe.run(book, {"all": {"hosts": {"h": {"ansible_connection": "local"}}}})
    assert result.exit_code == 0
    assert [r.result.get("msg") for r in result.results if r.action == "debug"] == [
        str(tasks / "x.txt"),
        "other",
    ]
