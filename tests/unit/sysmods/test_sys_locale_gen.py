"""locale_gen against this machine: Basque (eu_ES.UTF-8) generated and removed again;
/etc/locale.gen and the generated locales are put back as they were."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from syshelp import LOCAL, sh

from playbook_engine import run
from playbook_engine.testing.parity import check_predicts_run

CONF, ARCHIVE = Path("/etc/locale.gen"), Path("/usr/lib/locale/locale-archive")


def generated() -> list[str]:
    return sh("locale", "-a").stdout.split()


@pytest.fixture
def locales(root: None) -> Iterator[None]:
    if not CONF.exists() or shutil.which("locale-gen") is None:
        pytest.skip("needs glibc's locale-gen and /etc/locale.gen (the locales package)")
    if "eu_ES.utf8" in generated():
        pytest.skip("eu_ES.UTF-8 is already generated here")
    text, had_archive = CONF.read_text(), ARCHIVE.exists()
    yield
    if CONF.read_text() != text or "eu_ES.utf8" in generated():
        CONF.write_text(text)
        sh("locale-gen")
    if not had_archive and ARCHIVE.exists() and "eu_ES.utf8" not in generated():
        ARCHIVE.unlink(missing_ok=True)


def test_generated_then_removed(locales: None, book) -> None:
    before = CONF.read_text()
    real = check_predicts_run(
        book("- locale_gen: {name: eu_ES.UTF-8}\n  register: r"),
        LOCAL,
        unchanged=lambda: CONF.read_text() == before or pytest.fail("check mode edited locale.gen"),
    )
    assert real.results[0].result["mechanism"] == "glibc"
    assert "eu_ES.utf8" in generated()
    assert "\neu_ES.UTF-8 UTF-8\n" in CONF.read_text()
    check_predicts_run(
        book("- community.general.locale_gen: {name: [eu_ES.UTF-8], state: absent}"), LOCAL
    )
    assert "eu_ES.utf8" not in generated()
    assert "\n# eu_ES.UTF-8 UTF-8\n" in CONF.read_text()


def test_unsupported_locale_fails_before_any_change(locales: None, book) -> None:
    result = run(book("- locale_gen: {name: [eu_ES.UTF-8, eo.UTF-8, xx_PBE.UTF-8]}"), LOCAL)
    assert result.results[0].result["msg"] == (  # SUPPORTED has `eo UTF-8`: eo, not eo.UTF-8
        "locale(s) not available on the host: eo.UTF-8, xx_PBE.UTF-8 "
        "(see /usr/share/i18n/SUPPORTED)"
    )
    assert "eu_ES.utf8" not in generated()
