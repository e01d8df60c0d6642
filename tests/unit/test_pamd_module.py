"""pamd on a pam.d directory under tmp_path holding Debian 12's real sshd service file:
the edits (pure), then real runs where check mode predicts the run and the second run
changes nothing."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from playbook_engine.api import run
from playbook_engine.modules.pamd import Pamd, plan
from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}
SSHD = (Path(__file__).parent / "data" / "pam-sshd").read_text()  # /etc/pam.d/sshd, Debian 12
SELINUX = "[success=ok ignore=ignore module_unknown=ignore default=bad]"


def edit(**args: object) -> tuple[str | None, int, str]:
    """(new text or None, change_count, failure message) of one edit of SSHD."""
    coerced = Pamd.coerce({"name": "sshd", **args})
    out = plan(coerced, SSHD.encode(), "/etc/pam.d/sshd")
    text = out.after.decode() if out.after is not None else None
    return text, int(out.extra.get("change_count", 0)), out.msg if out.failed else ""


def removed(old: str, new: str) -> list[str]:
    return [line for line in old.splitlines() if line not in new.splitlines()]


def added(old: str, new: str) -> list[str]:
    return [line for line in new.splitlines() if line not in old.splitlines()]


def test_absent_removes_every_matching_rule_and_nothing_else() -> None:
    text, count, _ = edit(
        type="session", control="optional", module_path="pam_motd.so", state="absent"
    )
    assert count == 2 and text is not None
    assert removed(SSHD, text) == [
        "session    optional     pam_motd.so  motd=/run/motd.dynamic",
        "session    optional     pam_motd.so noupdate",
    ]
    assert added(SSHD, text) == []


def test_updated_control_matches_a_bracketed_control_and_rewrites_those_rules() -> None:
    text, count, _ = edit(
        type="session", control=SELINUX, module_path="pam_selinux.so", new_control="required"
    )
    assert count == 2 and text is not None
    assert added(SSHD, text) == [
        "session    required pam_selinux.so close",
        "session    required pam_selinux.so open",
    ]


def test_args_present_adds_flags_and_replaces_values_in_place() -> None:
    text, count, _ = edit(
        type="session",
        control="required",
        module_path="pam_env.so",
        module_arguments="user_readenv=0 extra",
        state="args_present",
    )
    assert count == 2 and text is not None
    assert added(SSHD, text) == [
        "session    required pam_env.so # [1] extra user_readenv=0",
        "session    required pam_env.so user_readenv=0 envfile=/etc/default/locale extra",
    ]
    again = plan(
        Pamd.coerce(
            {
                "name": "sshd",
                "type": "session",
                "control": "required",
                "module_path": "pam_env.so",
                "module_arguments": "user_readenv=0 extra",
                "state": "args_present",
            }
        ),
        text.encode(),
        "x",
    )
    assert again.after is None and again.extra["change_count"] == 0


def test_before_and_after_insert_once_and_keep_the_comments() -> None:
    text, count, _ = edit(
        type="account",
        control="required",
        module_path="pam_nologin.so",
        state="before",
        new_type="auth",
        new_control="required",
        new_module_path="pam_wheel.so",
        module_arguments="use_uid",
    )
    assert count == 1 and text is not None
    lines = text.splitlines()
    at = lines.index("auth       required pam_wheel.so use_uid")
    assert lines[at - 1] == "# Disallow non-root logins when /etc/nologin exists."
    assert lines[at + 1] == "account    required     pam_nologin.so"
    text2, count2, _ = edit(
        type="session",
        control="required",
        module_path="pam_limits.so",
        state="after",
        new_type="session",
        new_control="optional",
        new_module_path="pam_x.so",
    )
    assert count2 == 1 and text2 is not None
    lines = text2.splitlines()
    assert lines[lines.index("session    required     pam_limits.so") + 1] == (
        "session    optional pam_x.so"
    )


def test_args_absent_and_bad_input() -> None:
    text, count, _ = edit(
        type="session",
        control="optional",
        module_path="pam_mail.so",
        module_arguments="noenv",
        state="args_absent",
    )
    assert count == 1 and added(SSHD, text or "") == [
        "session    optional pam_mail.so standard # [1]"
    ]
    _, _, msg = edit(
        type="session", control="required", module_path="pam_limits.so", new_control="maybe"
    )
    assert msg == "Rule control, maybe, is not valid in rule session    maybe pam_limits.so"
    assert edit(type="auth", control="required", module_path="pam_none.so", state="absent")[:2] == (
        None,
        0,
    )


@pytest.fixture
def pamdir(tmp_path: Path) -> Path:
    directory = tmp_path / "pam.d"
    directory.mkdir()
    (directory / "sshd").write_text(SSHD)
    return directory


def book(tmp: Path, tasks: str) -> Path:
    path = tmp / f"site-{uuid.uuid4().hex[:6]}.yml"
    path.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}")
    return path


def test_corpus_usage_removes_the_dynamic_motd_with_a_backup(pamdir: Path, tmp_path: Path) -> None:
    site = book(
        tmp_path,
        f"""\
    - community.general.pamd:
        name: sshd
        type: session
        control: optional
        module_path: pam_motd.so
        state: absent
        backup: true
        path: {pamdir}
      register: motd
    - pamd:
        name: sshd
        path: {pamdir}
        type: session
        control: required
        module_path: pam_env.so
        module_arguments: [user_readenv=0]
        state: args_present
""",
    )
    real = check_predicts_run(
        site,
        LOCAL,
        unchanged=lambda: (pamdir / "sshd").read_text() == SSHD or pytest.fail("check mode wrote"),
    )
    result = real.results[0].result
    assert result["change_count"] == 2 and result["changed"] is True
    assert Path(result["backupdest"]).read_text() == SSHD
    text = (pamdir / "sshd").read_text()
    assert "pam_motd.so" not in text
    assert "session    required pam_env.so user_readenv=0 envfile=/etc/default/locale" in text
    assert real.results[1].result["change_count"] == 2


def test_a_missing_service_file_fails(pamdir: Path, tmp_path: Path) -> None:
    site = book(
        tmp_path,
        f"""\
    - pamd: {{name: nosuch, path: {pamdir}, type: auth, control: required,
              module_path: pam_unix.so, state: absent}}
""",
    )
    result = run(site, LOCAL).results[0]
    assert result.status == "failed"
    assert result.result["msg"].startswith(f"Unable to open/read PAM module file {pamdir}/nosuch")


def test_before_needs_the_new_rule(pamdir: Path, tmp_path: Path) -> None:
    site = book(
        tmp_path,
        f"""\
    - pamd: {{name: sshd, path: {pamdir}, type: auth, control: required,
              module_path: pam_unix.so, state: before, new_type: auth}}
""",
    )
    result = run(site, LOCAL).results[0]
    assert result.result["msg"] == (
        "state is before but all of the following are missing: new_control, new_module_path"
    )
