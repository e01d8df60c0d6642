"""Pure parts of copy/template/fetch: template options (delimiters, whitespace, newlines)
against Jinja itself, modes, payload hashing, content conversion, fetch's local paths."""

from __future__ import annotations

import hashlib
from pathlib import Path

import jinja2
import pytest

from playbook_engine.errors import ModuleError
from playbook_engine.modules.copy import content_bytes
from playbook_engine.modules.fetch import local_path, sha1_of
from playbook_engine.modules.template import Template, translate
from playbook_engine.modules.util.filewriter import Payload, want_mode
from playbook_engine.templating.lines import with_trailing_newlines

TEMPLATES = [
    "{% for x in xs %}\n  {{ x }}\n{% endfor %}\n",
    "  {% if a %}\nyes\n  {% else %}\nno\n  {% endif %}\nend",
    "{# comment #}\nline\n    {# indented comment #}\nafter\n",
    "keep {%+ if a %}\nnext{% endif +%}\nafter\n",
    "strip {%- if a -%}\n  x  \n{%- endif %}\n",
    "{{ a }}\n{{ a }}\n\t{% set y = 1 %}\n{{ y }}\n",
    "no tags at all\n",
    "{% if a %}\r\nwindows\r\n{% endif %}\r\n",
    "  {% raw %}\n  {% if %} {{ x }}\n  {% endraw %}\nafter\n",
    "{{ 'a\nb' }} {{ v }}\n\n",
    "{% if a %}\nA\n{% endif %}\n",
]
DEFAULTS = {
    "block_start_string": "{%",
    "block_end_string": "%}",
    "variable_start_string": "{{",
    "variable_end_string": "}}",
    "comment_start_string": "{#",
    "comment_end_string": "#}",
    "trim_blocks": True,
    "lstrip_blocks": False,
    "newline_sequence": "\n",
    "keep_trailing_newline": None,
}
CUSTOM = {
    "block_start_string": "[%",
    "block_end_string": "%]",
    "variable_start_string": "[[",
    "variable_end_string": "]]",
    "comment_start_string": "<#",
    "comment_end_string": "#>",
}


def _custom(source: str) -> str:
    for key, value in CUSTOM.items():
        source = source.replace(DEFAULTS[key], value)
    return source


def _as_ansible(source: str, syntax: dict[str, object]) -> str:
    """What Jinja configured with the options renders, padded with trailing newlines as
    Ansible pads them."""
    options = {k: v for k, v in syntax.items() if k != "keep_trailing_newline"}
    real = jinja2.Environment(
        keep_trailing_newline=bool(syntax["keep_trailing_newline"]), **options
    )  # type: ignore[arg-type]
    text = real.from_string(source).render(VALUES)
    return with_trailing_newlines(text, source, str(syntax["newline_sequence"]))


VALUES = {"xs": [1, 2], "a": True, "v": "x\n"}


@pytest.mark.parametrize("source", TEMPLATES)
@pytest.mark.parametrize(
    ("trim", "lstrip", "newline"),
    [(True, False, "\n"), (False, True, "\n"), (True, True, "\r\n"), (False, False, "\r")],
)
@pytest.mark.parametrize("custom", [False, True])
def test_translation_renders_what_jinja_with_the_options_renders(
    source: str, trim: bool, lstrip: bool, newline: str, custom: bool
) -> None:
    syntax = {
        **DEFAULTS,
        "trim_blocks": trim,
        "lstrip_blocks": lstrip,
        "newline_sequence": newline,
        **(CUSTOM if custom else {}),
    }
    if custom:
        source = _custom(source)
    plain = jinja2.Environment(keep_trailing_newline=True)
    ours = with_trailing_newlines(
        plain.from_string(translate(source, syntax)).render(VALUES), source, newline
    )
    assert ours == _as_ansible(source, syntax)


def test_custom_delimiters_leave_the_standard_ones_as_text() -> None:
    syntax = {**DEFAULTS, **CUSTOM}
    source = "[% if a %]{{ a }} {% raw %} [[ v ]]<# c #>\n[% endif %]"
    plain = jinja2.Environment(keep_trailing_newline=True)
    assert plain.from_string(translate(source, syntax)).render(VALUES) == "{{ a }} {% raw %} x\n"


@pytest.mark.parametrize(
    ("source", "text", "newline", "expected"),
    [
        ("x={{ v }}\n", "x=a\n", "\n", "x=a\n"),  # seen from ansible-core 2.21
        ("x={{ v }}\n\n\n", "x=a\n\n", "\n", "x=a\n\n\n"),
        ("x={{ v }}\n\n\n", "x=a\n\r\n", "\r\n", "x=a\n\r\n\r\n\r\n"),
        ("A{{ x }}\n", "A1", "\n", "A1\n"),
        ("\n\n", "\n", "\n", "\n\n"),
    ],
)
def test_trailing_newlines_as_ansible_pads_them(
    source: str, text: str, newline: str, expected: str
) -> None:
    assert with_trailing_newlines(text, source, newline) == expected


def test_jinja2_header_overrides_the_task() -> None:
    body, syntax = Template.syntax(
        '#jinja2: variable_start_string: "[[", variable_end_string: "]]", trim_blocks: False'
        "\n{% if 1 %}\n[[ x ]]\n",
        {**DEFAULTS, "trim_blocks": True},
    )
    assert body == "{% if 1 %}\n[[ x ]]\n"
    assert syntax["variable_start_string"] == "[[" and syntax["trim_blocks"] is False
    with pytest.raises(ModuleError, match="#jinja2: header"):
        Template.syntax("#jinja2: no_such_option: 1\n", DEFAULTS)
    with pytest.raises(ModuleError, match="not a Python literal"):
        Template.syntax("#jinja2: trim_blocks: maybe\n", DEFAULTS)


def test_newline_sequence_accepts_both_spellings() -> None:
    for spelling, sequence in (("\\r\\n", "\r\n"), ("\r\n", "\r\n"), ("\\r", "\r")):
        assert (
            Template.syntax("", {**DEFAULTS, "newline_sequence": spelling})[1]["newline_sequence"]
            == sequence
        )


@pytest.mark.parametrize(
    ("spec", "source", "base", "expected"),
    [
        (None, None, 0o644, "0644"),
        ("0600", None, 0o644, "0600"),
        ("600", None, 0o644, "0600"),
        ("u+x,g-r,o=", None, 0o644, "0700"),
        ("a+X", None, 0o644, "0644"),
        ("a+X", None, 0o744, "0755"),
        ("preserve", "0750", 0o644, "0750"),
        ("preserve", None, 0o640, "0640"),
    ],
)
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


@pytest.mark.parametrize(
    ("dest", "src", "flat", "expected"),
    [
        ("out", "/etc/motd", False, "out/h01/etc/motd"),
        ("out/", "/etc/motd", False, "out/h01/etc/motd"),
        ("out", "rel/file", False, "out/h01/rel/file"),
        ("out/", "/etc/motd", True, "out/motd"),
        ("out/name.txt", "/etc/motd", True, "out/name.txt"),
    ],
)
def test_fetch_local_path(dest: str, src: str, flat: bool, expected: str) -> None:
    assert local_path(dest, src, "h01", flat) == Path(expected)


def test_fetch_local_path_never_escapes() -> None:
    with pytest.raises(ModuleError):
        local_path("out", "/etc/../../root/x", "h01", False)


def test_a_template_includes_and_imports_files_beside_it_and_from_templates(
    tmp_path: Path,
) -> None:
    """`{% include %}`/`{% import %}` in a template file (oefenweb.haproxy's haproxy.cfg.j2
    includes its parts): the file's own directory first, then templates/ as for `src`;
    two roles' files of the same name never mix (no cache by name)."""
    import playbook_engine as pbe

    for role, word in (("a", "alpha"), ("b", "beta")):
        base = tmp_path / "roles" / role / "templates"
        (base / "etc").mkdir(parents=True)
        (base / "etc" / "main.j2").write_text(
            'top\n{% include "part.j2" %}\n{% import "macros.j2" as m %}{{ m.hi(v) }}\n'
        )
        (base / "etc" / "part.j2").write_text(f"{word} {{{{ v }}}}\n")
        (base / "macros.j2").write_text("{% macro hi(n) %}hi {{ n }}{% endmacro %}\n")
        (tmp_path / "roles" / role / "tasks").mkdir()
        (tmp_path / "roles" / role / "tasks" / "main.yml").write_text(
            f"- template: {{src: etc/main.j2, dest: {tmp_path}/{role}.out}}\n"
        )
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "bad.j2").write_text('{% include "nope.j2" %}\n')
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: all\n  gather_facts: false\n  vars: {v: 42}\n  roles: [a, b]\n"
        f"  tasks:\n    - template: {{src: bad.j2, dest: {tmp_path}/bad}}\n"
    )
    result = pbe.run(book, {"all": {"hosts": {"h": {"ansible_connection": "local"}}}})
    # an included file loses its last newline, and trim_blocks the one after the tag (Ansible)
    assert (tmp_path / "a.out").read_text() == "top\nalpha 42hi 42\n"
    assert (tmp_path / "b.out").read_text() == "top\nbeta 42hi 42\n"
    assert result.results[-1].status == "failed" and not (tmp_path / "bad").exists()
    assert "template `nope.j2` (included) not found" in result.results[-1].result["msg"]
