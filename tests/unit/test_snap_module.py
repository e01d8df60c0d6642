"""snap: this machine has no snapd, so the real run is the clear failure (and options
that need a single snap, refused before the host is touched); the planning is in the
recorded cases (tests/unit/modules/recorded/snap/) and the parsers here."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from playbook_engine.api import run
from playbook_engine.errors import ModuleError
from playbook_engine.modules.snap import channel_of, parse_list, parse_options

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}


def test_real_run_without_snapd_and_bad_arguments(tmp_path: Path) -> None:
    if shutil.which("snap"):
        pytest.skip("this test is for a host without snapd")
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - snap: {name: certbot, classic: true}\n      ignore_errors: true\n"
        "    - community.general.snap: {name: [a, b], channel: edge}\n"
        "      ignore_errors: true\n"
    )
    for check in (True, False):
        result = run(book, LOCAL, check=check)
        assert [r.status for r in result.results] == ["failed", "failed"]
        assert [r.result["msg"] for r in result.results] == [
            'Failed to find required executable "snap"',
            "channel can only be used with a single snap",
        ]


def test_parsers() -> None:
    text = (
        "Name    Version  Rev   Tracking       Publisher   Notes\n"
        "hello   2.10     42    latest/edge    canonical✓  disabled,devmode\n"
        "local   1.0      x1    -              -           -\n"
    )
    found = parse_list(text)
    assert (found["hello"].revision, found["hello"].tracking) == ("42", "latest/edge")
    assert found["hello"].notes == {"disabled", "devmode"}
    assert found["local"].notes == frozenset()
    assert parse_list("No snaps are installed yet. Try 'snap install hello-world'.\n") == {}
    assert channel_of("edge") == "latest/edge" and channel_of("5.0/stable") == "5.0/stable"
    assert parse_options(["a=1", "x:b.c=2"], ["s", "t"]) == {
        "s": {"a": "1"},
        "t": {"a": "1"},
        "x": {"b.c": "2"},
    }
    with pytest.raises(ModuleError, match="'nokey' is not in the format"):
        parse_options(["nokey"], ["s"])
