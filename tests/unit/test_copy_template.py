"""Pure parts of copy/template/fetch: whitespace options against Jinja itself, newlines,
modes, payload hashing, content conversion, fetch's local paths, stat parsing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import jinja2
import pytest

from playbook_engine.errors import ModuleError
from playbook_engine.modules.copy import content_bytes
from playbook_engine.modules.fetch import local_path, sha1_of
from playbook_engine.modules.template import apply_whitespace_options, with_newlines
from playbook_engine.modules.util.filewriter import Payload, want_mode

TEMPLATES = [
    "{% for x in xs %}\n  {{ x }}\n{% endfor %}\n",
    "  {% if a %}\nyes\n  {% else %}\nno\n  {% endif %}\nend",
    "{# comment #}\nline\n    {# indented comment #}\nafter\n",
    "keep {%+ if a %}\nnext{% endif +%}\nafter\n",
    "strip {%- if a -%}\n  x  \n{%- endif %}\n",
    "{{ a }}\n{{ a }}\n\t{% set y = 1 %}\n{{ y }}\n",
    "no tags at all\n",
    "{% if a %}\r\nwindows\r\n{% endif %}\r\n",
]


@pytest.mark.parametrize("source", TEMPLATES)
@pytest.mark.parametrize(("trim", "lstrip"), [(True, False), (False, True), (True, True),
                                              (False, False)])
def test_whitespace_rewrite_matches_jinja(source: str, trim: bool, lstrip: bool) -> None:
    plain = jinja2.Environment(keep_trailing_newline=True)
    real = jinja2.Environment(keep_trailing_newline=True, trim_blocks=trim,
                              lstrip_blocks=lstrip)
    values = {"xs": [1, 2], "a": True}
    rewritten = apply_whitespace_options(source, trim, lstrip)
    assert plain.from_string(rewritten).render(values) == real.from_string(source).render(values)


def test_newline_sequence() -> None:
    assert with_newlines("a\nb\n", "\n") == "a\nb\n"
    assert with_newlines("a\nb\r\nc\rd", "\r\n") == "a\r\nb\r\nc\r\nd"
    assert with_newlines("a\nb", "\r") == "a\rb"


@pytest.mark.parametrize(("spec", "source", "base", "expected"), [
    (None, None, 0o644, "0644"),
    ("0600", None, 0o644, "0600"),
    ("600", None, 0o644, "0600"),
    ("u+x,g-r,o=", None, 0o644, "0700"),
    ("a+X", None, 0o644, "0644"),
    ("a+X", None, 0o744, "0755"),
    ("preserve", "0750", 0o644, "0750"),
    ("preserve", None, 0o640, "0640"),
])
def test_want_mode(spec: str | None, source: str | None, base: int, expected: str) -> None:
    assert want_mode(spec, source, base) == expected


def test_want_mode_rejects_garbage() -> None:
    with pytest.raises(ModuleError, match="invalid mode"):
        want_mode("u=banana", None, 0o644)


def test_payload_of_file_streams_the_same_sha1(tmp_path: Path) -> None:
    data = bytes(range(256)) * 9000  # > 2 chunks
    path = tmp_path / "blob"
    path.write_bytes(data)
    path.chmod(0o751)
    payload = Payload.of_file(path)
    assert payload.checksum == hashlib.sha1(data).hexdigest()
    assert payload.size == len(data) and payload.mode == "0751"
    with payload.open() as fh:
        assert fh.read() == data
    assert Payload.of_bytes(b"x").checksum == hashlib.sha1(b"x").hexdigest()
    assert sha1_of(path) == payload.checksum and sha1_of(tmp_path / "none") is None


def test_content_bytes() -> None:
    assert content_bytes("héllo\n") == "héllo\n".encode()
    assert content_bytes({"a": [1, 2]}) == b'{"a": [1, 2]}'
    assert content_bytes(42) == b"42"


@pytest.mark.parametrize(("dest", "src", "flat", "expected"), [
    ("out", "/etc/motd", False, "out/h01/etc/motd"),
    ("out/", "/etc/motd", False, "out/h01/etc/motd"),
    ("out", "rel/file", False, "out/h01/rel/file"),
    ("out/", "/etc/motd", True, "out/motd"),
    ("out/name.txt", "/etc/motd", True, "out/name.txt"),
])
def test_fetch_local_path(dest: str, src: str, flat: bool, expected: str) -> None:
    assert local_path(dest, src, "h01", flat) == Path(expected)


def test_fetch_local_path_never_escapes() -> None:
    with pytest.raises(ModuleError):
        local_path("out", "/etc/../../root/x", "h01", False)
