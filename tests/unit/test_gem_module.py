"""gem: this machine has no Ruby, so the real run is the clear failure (and bad argument
combinations, refused before the host is touched); the planning is in the recorded cases
(tests/unit/modules/recorded/gem/) and the parsers here."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from playbook_engine.api import run
from playbook_engine.modules.gem import parse_list, parse_version

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}


def test_real_run_without_gem_and_bad_arguments(tmp_path: Path) -> None:
    if shutil.which("gem"):
        pytest.skip("this test is for a host without RubyGems")
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - community.general.gem: {name: bundler}\n      ignore_errors: true\n"
        "    - gem: {name: rake, install_dir: /opt/gems}\n      ignore_errors: true\n"
    )
    for check in (True, False):
        result = run(book, LOCAL, check=check)
        assert [r.status for r in result.results] == ["failed", "failed"]
        assert [r.result["msg"] for r in result.results] == [
            'Failed to find required executable "gem"',
            "install_dir requires user_install=false",
        ]


def test_parsers() -> None:
    text = (
        "\n*** LOCAL GEMS ***\n\nbundler (2.4.19, default: 2.3.26)\n"
        "bundler-audit (0.9.1)\nnokogiri (1.15.4 x86_64-linux, 1.14.0)\n"
    )
    assert parse_list(text, "bundler") == ("2.4.19", "2.3.26")
    assert parse_list(text, "nokogiri") == ("1.15.4", "1.14.0")
    assert parse_list(text, "rake") == ()
    assert parse_version("3.4.20\n") == (3, 4, 20)
    assert parse_version("") == (0, 0, 0)
