"""timezone against this machine (no systemd as PID 1: /etc/timezone and /etc/localtime).
The zone is switched between two names of the same zone (Etc/UTC and UTC), so no clock
reading changes for anything else running here, and put back afterwards."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from syshelp import LOCAL

from playbook_engine import run
from playbook_engine.testing.parity import check_predicts_run

TZ, LOCALTIME = Path("/etc/timezone"), Path("/etc/localtime")


@pytest.fixture
def utc(root: None) -> Iterator[str]:
    """The machine's zone, when it is one of UTC's names and kept as a link; restored."""
    if not (TZ.exists() and LOCALTIME.is_symlink()):
        pytest.skip("needs /etc/timezone and a /etc/localtime link")
    text, target = TZ.read_text(), os.readlink(LOCALTIME)
    if text.strip() not in ("Etc/UTC", "UTC"):
        pytest.skip("the machine's zone is not UTC")
    yield text.strip()
    TZ.write_text(text)
    LOCALTIME.unlink()
    LOCALTIME.symlink_to(target)


def test_zone_renamed_in_both_places(utc: str, book) -> None:
    other = "UTC" if utc == "Etc/UTC" else "Etc/UTC"
    before = TZ.read_text(), os.readlink(LOCALTIME)
    check_predicts_run(
        book(f"- timezone: {{name: {other}}}"),
        LOCAL,
        unchanged=lambda: (
            (TZ.read_text(), os.readlink(LOCALTIME)) == before
            or pytest.fail("check mode changed the zone")
        ),
    )
    assert TZ.read_text() == f"{other}\n"
    assert os.readlink(LOCALTIME) == f"/usr/share/zoneinfo/{other}"


def test_unknown_zone_fails_and_changes_nothing(utc: str, book) -> None:
    result = run(book("- community.general.timezone: {name: Nowhere/Pbe}"), LOCAL)
    assert result.results[0].result["msg"] == (
        'timezone "Nowhere/Pbe" is not available on the host (no /usr/share/zoneinfo/Nowhere/Pbe)'
    )
    assert TZ.read_text().strip() == utc
