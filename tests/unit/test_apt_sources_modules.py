"""apt_repository and deb822_repository against this machine, in a private apt configuration
(``aptrepo.py``): the sources files they write are in the test's directory, and the
``apt-get update`` they run reads only the test's own file-based repository. Each step is
checked with ``check_predicts_run`` and by reading the files.
"""

from __future__ import annotations

import os
import shutil
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aptrepo import LOCAL, AptRepo

from playbook_engine.api import run
from playbook_engine.testing.parity import check_predicts_run

pytestmark = pytest.mark.skipif(
    not shutil.which("apt-get") or os.geteuid() != 0, reason="needs apt-get and root"
)

KEY = """-----BEGIN PGP PUBLIC KEY BLOCK-----

mDMEYCQjIxYJKwYBBAHaRw8BAQdAD/P5Nvvnvk66SxBBHDbhRml9ORg1WV5CvzKY
=IE0r
-----END PGP PUBLIC KEY BLOCK-----"""


@pytest.fixture
def repo(tmp_path: Path) -> AptRepo:
    """The test repository, with no sources configured yet."""
    built = AptRepo(tmp_path / "apt").build()
    (built.root / "etc" / "sources.list").write_text("")
    return built


def book(path: Path, repo: AptRepo, tasks: str) -> Path:
    path.write_text(f"""
- hosts: all
  gather_facts: false
  environment:
    APT_CONFIG: {repo.config}
  tasks:
{tasks}""")
    return path


def registered(result: Any, index: int = 0) -> dict[str, Any]:
    return dict(result.results[index].result)


def test_apt_repository_adds_updates_enables_and_removes(tmp_path: Path, repo: AptRepo) -> None:
    line = f"deb [trusted=yes] file://{repo.root / 'repo'} ./"
    parts = repo.root / "etc" / "sources.list.d"
    added = parts / "pbe-test.list"
    lists = repo.root / "state" / "lists"
    play = book(
        tmp_path / "site.yml",
        repo,
        f"    - apt_repository: {{repo: '{line}', filename: pbe-test, mode: '0640'}}\n",
    )
    real = check_predicts_run(play, LOCAL, unchanged=lambda: _missing(added))
    assert added.read_text() == line + "\n"
    assert stat.S_IMODE(added.stat().st_mode) == 0o640
    assert registered(real)["sources_added"] == [str(added)]
    assert list(lists.glob("*Packages*")), "apt-get update ran with the new source"

    main = repo.root / "etc" / "sources.list"
    main.write_text("#deb   http://example.invalid/debian bookworm main  # kept\n# a comment\n")
    play = book(
        play,
        repo,
        "    - apt_repository: {repo: 'deb http://example.invalid/debian "
        "bookworm main', update_cache: false}\n",
    )
    check_predicts_run(play, LOCAL, unchanged=lambda: _starts(main, "#deb   http"))
    assert main.read_text() == (
        "deb http://example.invalid/debian bookworm main # kept\n# a comment\n"
    ), "the disabled line is enabled in place"
    assert sorted(p.name for p in parts.iterdir()) == ["pbe-test.list"]

    play = book(
        play,
        repo,
        f"    - apt_repository: {{repo: '{line}', state: absent, update_cache: false}}\n",
    )
    real = check_predicts_run(play, LOCAL, unchanged=added.stat)
    assert not added.exists(), "a file left empty is removed"
    assert registered(real)["sources_removed"] == [str(added)]


def test_apt_repository_puts_the_files_back_when_the_update_fails(
    tmp_path: Path, repo: AptRepo
) -> None:
    main = repo.root / "etc" / "sources.list"
    main.write_text(f"deb [trusted=yes] file://{repo.root / 'repo'} ./\n")
    before = main.read_text()
    play = book(
        tmp_path / "site.yml",
        repo,
        "    - apt_repository: {repo: 'deb [trusted=yes] file:///nonexistent-pbe ./', "
        "filename: broken, update_cache_retries: 1}\n",
    )
    result = run(play, LOCAL)
    message = registered(result)["msg"]
    assert message.startswith("Failed to update apt cache after 1 retries: E: Failed to fetch")
    assert not (repo.root / "etc" / "sources.list.d" / "broken.list").exists()
    assert main.read_text() == before


def test_apt_repository_rejects_a_line_that_is_no_source(tmp_path: Path, repo: AptRepo) -> None:
    play = book(
        tmp_path / "site.yml",
        repo,
        "    - apt_repository: {repo: 'http://example.invalid/debian main'}\n",
    )
    for check in (True, False):
        assert (
            registered(run(play, LOCAL, check=check))["msg"]
            == "Invalid repository string: http://example.invalid/debian main"
        )


@pytest.fixture
def keyring_name() -> Iterator[str]:
    name = f"pbe-t-{uuid.uuid4().hex[:10]}"
    try:
        yield name
    finally:
        for ext in ("asc", "gpg"):
            Path(f"/etc/apt/keyrings/{name}.{ext}").unlink(missing_ok=True)


def test_deb822_repository_file_key_and_removal(
    tmp_path: Path, repo: AptRepo, keyring_name: str
) -> None:
    key_source = tmp_path / "key.asc"
    key_source.write_text(KEY + "\n")
    dest = repo.root / "etc" / "sources.list.d" / f"{keyring_name}.sources"
    key = Path(f"/etc/apt/keyrings/{keyring_name}.asc")
    play = book(
        tmp_path / "site.yml",
        repo,
        f"""    - deb822_repository:
        name: {keyring_name}
        uris: file://{repo.root / "repo"}
        suites: ./
        trusted: true
        signed_by: file://{key_source}
""",
    )
    real = check_predicts_run(play, LOCAL, unchanged=lambda: _missing(dest))
    assert dest.read_text() == (
        f"X-Repolib-Name: {keyring_name}\nSigned-By: {key}\n"
        f"Suites: ./\nTrusted: yes\nTypes: deb\n"
        f"URIs: file://{repo.root / 'repo'}\n"
    )
    assert stat.S_IMODE(dest.stat().st_mode) == 0o644
    assert key.read_text() == KEY + "\n"
    assert registered(real)["key_filename"] == str(key)

    inline = book(
        tmp_path / "inline.yml",
        repo,
        f"""    - deb822_repository:
        name: {keyring_name}
        uris: [file://{repo.root / "repo"}]
        suites: ./
        signed_by: "{KEY.replace(chr(10), chr(92) + "n")}"
        mode: '0600'
""",
    )
    check_predicts_run(inline, LOCAL, unchanged=lambda: _starts(dest, "X-Repolib-Name"))
    assert (
        "Signed-By:\n    -----BEGIN PGP PUBLIC KEY BLOCK-----\n    .\n    mDMEY" in dest.read_text()
    )
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600

    gone = book(
        tmp_path / "gone.yml",
        repo,
        f"    - deb822_repository: {{name: {keyring_name}, state: absent}}\n",
    )
    check_predicts_run(gone, LOCAL, unchanged=dest.stat)
    assert not dest.exists()
    assert not key.exists()


def _missing(path: Path) -> None:
    assert not path.exists(), f"check mode wrote {path}"


def _starts(path: Path, text: str) -> None:
    assert path.read_text().startswith(text), f"check mode changed {path}"
