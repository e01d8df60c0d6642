"""pam_limits: the edit (pure) on Debian's limits.conf layout, then real runs on a dest
under tmp_path where check mode predicts the run and the second run changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from playbook_engine.api import run
from playbook_engine.modules.pam_limits import PamLimits, edit
from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}
DEBIAN = (
    "# /etc/security/limits.conf\n#\n"
    "*               soft    core            0\n"
    "joe hard nofile 100 # build box\n"
    "@adm - nproc 50\n"
    "joe hard nofile 120\n"
    "# End of file\n"
)


def _edit(text: str | None, **given: object) -> tuple[str | None, str]:
    args = PamLimits.coerce(
        {"domain": "joe", "limit_type": "hard", "limit_item": "nofile", **given}
    )
    new, line = edit(args, None if text is None else text.encode())
    return (None if new is None else new.decode()), line


def test_every_line_of_the_limit_gets_the_value_and_keeps_its_comment() -> None:
    new, line = _edit(DEBIAN, value="4096")
    assert new is not None
    assert new.splitlines() == [
        "# /etc/security/limits.conf",
        "#",
        "*               soft    core            0",
        "joe\thard\tnofile\t4096\t# build box",
        "@adm - nproc 50",
        "joe\thard\tnofile\t4096",
        "# End of file",
    ]
    assert line == "joe\thard\tnofile\t4096\t# build box\n"


def test_use_max_and_use_min_keep_the_files_value_where_it_wins() -> None:
    assert _edit(DEBIAN, value="10", use_max=True)[0] is None
    assert _edit("joe hard nofile unlimited\n", value="10", use_max=True)[0] is None
    assert _edit("joe hard nofile -1\n", value="infinity", use_max=True)[0] is None
    assert _edit("joe hard nofile 100\n", value="-1", use_max=True)[0] == "joe\thard\tnofile\t-1\n"
    assert _edit("joe hard nofile 100\n", value="7", use_min=True)[0] == "joe\thard\tnofile\t7\n"
    assert _edit("joe hard nofile 100\n", value="unlimited", use_min=True)[0] is None
    nice = {"limit_item": "nice", "use_max": True}
    assert _edit("joe hard nice -1\n", value="-5", **nice)[0] is None  # -1 is a value here
    assert _edit("joe hard nice -10\n", value="-5", **nice)[0] == "joe\thard\tnice\t-5\n"


def test_a_new_limit_is_appended_and_an_unterminated_last_line_ended() -> None:
    new, line = _edit("# x\njoe soft nofile 1", value="9", comment="db")
    assert new == "# x\njoe soft nofile 1\njoe\thard\tnofile\t9\t#db\n"
    assert line == "joe\thard\tnofile\t9\t#db\n"
    assert _edit(None, value="9") == ("joe\thard\tnofile\t9\n", "joe\thard\tnofile\t9\n")


def test_domains_are_compared_exactly_and_odd_lines_are_kept() -> None:
    text = "JOE hard nofile 9\njoe hard nofile\njoe  hard  nofile  9  extra\n"
    new, _ = _edit(text, value="9")
    assert new == text + "joe\thard\tnofile\t9\n"


def _book(tmp_path: Path, dest: Path, **limit: object) -> Path:
    task = {"dest": str(dest), **limit}
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        f"    - community.general.pam_limits: {task!r}\n      register: out\n"
        "    - copy: {content: '{{ out.msg }}', dest: " + str(tmp_path / "msg") + "}\n"
    )
    return book


def test_devsec_hardcore_conf_is_created_and_check_predicts_it(tmp_path: Path) -> None:
    dest = tmp_path / "limits.d" / "10.hardcore.conf"
    dest.parent.mkdir()
    book = _book(
        tmp_path,
        dest,
        domain="*",
        limit_type="hard",
        limit_item="core",
        value="0",
        comment="Prevent core dumps for all users.",
    )
    check_predicts_run(book, LOCAL, lambda: _absent(dest))
    assert dest.read_text() == "*\thard\tcore\t0\t#Prevent core dumps for all users.\n"
    assert (tmp_path / "msg").read_text() == dest.read_text()


def _absent(path: Path) -> None:
    assert not path.exists()


def test_an_existing_file_is_edited_in_place_with_a_backup(tmp_path: Path) -> None:
    dest = tmp_path / "limits.conf"
    dest.write_text(DEBIAN)
    book = _book(
        tmp_path,
        dest,
        domain="joe",
        limit_type="hard",
        limit_item="nofile",
        value="65536",
        use_max=True,
        backup=True,
    )
    check_predicts_run(book, LOCAL, lambda: _unchanged(dest))
    assert dest.read_text().splitlines()[3:6] == [
        "joe\thard\tnofile\t65536\t# build box",
        "@adm - nproc 50",
        "joe\thard\tnofile\t65536",
    ]
    backups = [p for p in tmp_path.iterdir() if p.name.startswith("limits.conf.")]
    assert len(backups) == 1 and backups[0].read_text() == DEBIAN


def _unchanged(path: Path) -> None:
    assert path.read_text() == DEBIAN


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ({"value": "0", "dest_dir": "nodir"}, "is not writable (check presence"),
        ({"value": "20", "limit_item": "priority"}, "in the range -20 to 19 inclusive"),
    ],
)
def test_bad_input_fails_the_task_with_the_reason(
    tmp_path: Path, limit: dict[str, str], message: str
) -> None:
    dest = tmp_path / limit.pop("dest_dir", "") / "limits.conf"
    args = {"domain": "joe", "limit_type": "soft", "limit_item": "nofile", **limit}
    result = run(_book(tmp_path, dest, **args), LOCAL)
    assert result.exit_code == 2
    failed = [r for r in result.results if r.status == "failed"]
    assert len(failed) == 1 and message in str(failed[0].result.get("msg"))
    assert not dest.exists()
