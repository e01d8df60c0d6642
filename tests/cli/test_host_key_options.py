"""Host key checking from PBE_HOST_KEY_CHECKING / ANSIBLE_HOST_KEY_CHECKING: only an
explicit false value turns it off; an empty or unknown value is an options error."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from playbook_engine.cli import build_parser, main, options_from_args
from playbook_engine.errors import OptionsError

VARS = ("PBE_HOST_KEY_CHECKING", "ANSIBLE_HOST_KEY_CHECKING")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARS:
        monkeypatch.delenv(name, raising=False)


def mode(*flags: str) -> str:
    return options_from_args(build_parser().parse_args(["run", "x.yml", *flags])).host_key_checking


@pytest.mark.parametrize("var", VARS)
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", "strict"),
        ("YES", "strict"),
        ("on", "strict"),
        ("1", "strict"),
        ("y", "strict"),
        ("T", "strict"),
        ("TRUE ", "strict"),
        (" On\t", "strict"),
        ("false", "off"),
        ("No", "off"),
        ("OFF", "off"),
        ("0", "off"),
        (" n ", "off"),
        ("F", "off"),
        ("strict", "strict"),
        ("Accept-New", "accept-new"),
        (" off ", "off"),
    ],
)
def test_accepted_spellings(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(var, value)
    assert mode() == expected


@pytest.mark.parametrize("var", VARS)
@pytest.mark.parametrize("value", ["", "   ", "maybe", "2", "disable", "accept_new", "ask"])
def test_empty_or_unknown_value_is_exit_5_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, var: str, value: str
) -> None:
    book = tmp_path / "site.yml"
    book.write_text("- hosts: all\n  tasks: [{ping: }]\n")
    monkeypatch.setenv(var, value)
    out, err = io.StringIO(), io.StringIO()

    code = main(["run", str(book), "-i", "h1,"], out, err)

    assert code == 5
    assert err.getvalue() == (
        f"ERROR: {var}={value!r} is not a host key checking setting; use strict, accept-new, "
        "off, or a boolean: true/yes/on/1/y/t (checking on) or false/no/off/0/n/f (off)\n"
    )
    assert "PLAY" not in out.getvalue()


def test_pbe_variable_wins_even_when_set_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANSIBLE_HOST_KEY_CHECKING", "false")
    monkeypatch.setenv("PBE_HOST_KEY_CHECKING", "accept-new")
    assert mode() == "accept-new"
    monkeypatch.setenv("PBE_HOST_KEY_CHECKING", "")
    with pytest.raises(OptionsError, match="PBE_HOST_KEY_CHECKING=''"):
        mode()


def test_flag_wins_and_default_is_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    assert mode() == "strict"
    monkeypatch.setenv("ANSIBLE_HOST_KEY_CHECKING", "false")
    assert mode("--host-key-checking", "strict") == "strict"
