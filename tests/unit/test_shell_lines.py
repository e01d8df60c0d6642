"""Command lines pbe builds keep the text they quote byte for byte: runs of spaces in a
become command (a script's aligned output, an awk pattern), in an archive's name or in a
package spec are data, not layout to tidy."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

import playbook_engine as pbe
from playbook_engine import modules
from playbook_engine.modules.util.pkgmgr_dnf import DnfBackend
from playbook_engine.transport.shell import become, words

SCRIPT = "printf '%s\\n' \"a  b\"\nawk '/^  Candidate:/'  /dev/null\n"


@pytest.mark.parametrize(
    ("method", "flags"), [("sudo", ""), ("sudo", "-E"), ("su", ""), ("su", "-l")]
)
def test_become_passes_the_command_untouched(method: str, flags: str) -> None:
    line = become(SCRIPT, method=method, user="root", flags=flags)
    argv = shlex.split(line)
    if method == "su":  # su USER -c "sh -c ... pbe SCRIPT"
        argv = shlex.split(argv[-1])
    assert argv[-1] == SCRIPT
    head = line[: line.index(" -c ")]  # the become program's own words
    assert "  " not in head and not head.endswith(" ")  # no empty flags left


def test_words_leaves_out_empty_parts_only() -> None:
    assert words("tar", "", "-f", "'a  b.tar'", "") == "tar -f 'a  b.tar'"


def test_dnf_specs_keep_their_spaces() -> None:
    dnf = modules.get("dnf")
    assert dnf is not None and issubclass(dnf, DnfBackend)
    line = dnf().dnf(dnf.coerce({"name": ["x"]}), "install", ["/tmp/a  b.rpm"], dry=True)
    assert shlex.split(line)[-1] == "/tmp/a  b.rpm"
    assert "  " not in line.replace(shlex.quote("/tmp/a  b.rpm"), "")


def test_an_archive_whose_name_has_two_spaces_is_extracted(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("inside\n")
    archive = tmp_path / "a  b.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "x.txt", arcname="x.txt")
    (tmp_path / "out").mkdir()
    site = tmp_path / "site.yml"
    site.write_text(
        "- hosts: a\n  gather_facts: false\n  tasks:\n"
        f"    - unarchive: {{src: '{archive}', dest: '{tmp_path}/out', remote_src: true}}\n"
    )
    result = pbe.run(site, {"all": {"hosts": {"a": {"ansible_connection": "local"}}}})
    assert [r.status for r in result.results] == ["changed"], result.results[0].result
    assert (tmp_path / "out" / "x.txt").read_text() == "inside\n"


def _sudo_works() -> bool:
    if shutil.which("sudo") is None:
        return False
    return subprocess.run(["sudo", "-n", "true"], capture_output=True, check=False).returncode == 0


@pytest.mark.skipif(not _sudo_works(), reason="no password-less sudo here")
def test_a_become_task_prints_what_it_would_without_become(tmp_path: Path) -> None:
    site = tmp_path / "site.yml"
    site.write_text(
        "- hosts: a\n  gather_facts: false\n  become: true\n  tasks:\n"
        '    - shell: |\n        printf \'%s\\n\' "a  b"\n        echo "x   y"\n'
    )
    result = pbe.run(site, {"all": {"hosts": {"a": {"ansible_connection": "local"}}}})
    assert result.results[0].result["stdout"] == "a  b\nx   y"
