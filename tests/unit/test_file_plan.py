"""The file module's decisions (pure ``plan``) and the stat probe's parsing; then the probe
and the module end to end against a local ``sh``, counting round trips."""

from __future__ import annotations

import io
import os
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import playbook_engine as pbe
from playbook_engine.errors import ModuleError
from playbook_engine.modules.base import Module
from playbook_engine.modules.file import (
    Facts,
    File,
    Ids,
    Want,
    attrs,
    default_state,
    plan,
    same_inode,
    state_name,
)
from playbook_engine.modules.stat import Stat, stat_dict
from playbook_engine.modules.util.filestate import FileState, Prediction
from playbook_engine.modules.util.probe import (
    SUMS_MARK,
    Entry,
    Env,
    Node,
    Probe,
    ProbeCache,
    access_for,
    complete,
    parse_entry,
    parse_listing,
    resolve,
)
from playbook_engine.modules.util.remotefs import RemoteFiles
from playbook_engine.modules.util.selinux import SeContext
from playbook_engine.reporting.console import ConsoleSink
from playbook_engine.transport.base import CommandResult

USER = Env(uid=1001, gid=1001, groups=frozenset({1001, 50}), umask=0o022, user="me", group="me")
ROOT = Env(uid=0, gid=0, groups=frozenset({0}), umask=0o022, user="root", group="root")


def ent(
    path: str,
    kind: str = "file",
    mode: str = "0644",
    uid: int = 1001,
    gid: int = 1001,
    **extra: Any,
) -> Entry:
    fields = {k: extra.pop(k) for k in list(extra) if k in FileState.__dataclass_fields__}
    state = FileState(
        path,
        kind,
        mode=mode,
        uid=uid,
        gid=gid,
        owner="me" if uid else "root",
        group="me" if gid else "root",
        nlink=fields.pop("nlink", 1),
        **fields,
    )
    return Entry(state, **extra)


def absent(path: str) -> Entry:
    return Entry(FileState(path))


WRITABLE_DIR = ent("/w", "directory", "0755", access="rwx")


def facts(entry: Entry, env: Env = USER, **extra: Any) -> Facts:
    extra.setdefault("ancestors", (WRITABLE_DIR,))
    return Facts(entry, env, **extra)


def want(path: str = "/w/x", **kw: Any) -> Want:
    return Want(path, **kw)


# -- attributes -------------------------------------------------------------------------------


def test_attrs_octal_symbolic_and_noop() -> None:
    f = FileState("/f", "file", "0644", 1001, 1001)
    assert not attrs(f, "0644", Ids(), USER, "/f").changed
    assert not attrs(f, "u=rw,g=r,o=r", Ids(), USER, "/f").changed
    change = attrs(f, "g+w,o-r", Ids(), USER, "/f")
    assert change.chmod == "00660" and change.after.mode == "0660"
    assert change.before == {"mode": "0644"} and change.after_diff == {"mode": "0660"}


def test_attrs_capital_x_only_for_directories_and_executables() -> None:
    assert attrs(FileState("/f", "file", "0600", 1001), "a+X", Ids(), USER, "/f").chmod is None
    assert (
        attrs(FileState("/d", "directory", "0700", 1001), "a+X", Ids(), USER, "/d").chmod == "00711"
    )
    assert attrs(FileState("/e", "file", "0700", 1001), "go+X", Ids(), USER, "/e").chmod == "00711"


def test_chown_drops_setuid_like_the_kernel() -> None:
    f = FileState("/f", "file", "6755", 1001, 1001)
    change = attrs(f, None, Ids(uid=0, owner="root"), ROOT, "/f")
    assert change.chown == "0" and change.after.mode == "0755"
    kept = attrs(
        FileState("/f", "file", "2745", 1001, 1001), None, Ids(gid=0, group="root"), ROOT, "/f"
    )
    assert kept.chown == ":0" and kept.after.mode == "2745"  # setgid without g+x stays
    d = attrs(FileState("/d", "directory", "2755", 1001, 1001), None, Ids(uid=0), ROOT, "/d")
    assert d.after.mode == "2755"
    again = attrs(f, "6755", Ids(uid=0, owner="root"), ROOT, "/f")
    assert again.chmod == "06755", "the mode is compared with what chown left"


def test_non_root_permissions_are_decided_before_anything_runs() -> None:
    mine = FileState("/f", "file", "0644", 1001, 1001)
    with pytest.raises(ModuleError, match="Operation not permitted.*use become"):
        attrs(mine, None, Ids(uid=0, owner="root"), USER, "/f")
    with pytest.raises(ModuleError, match="member of the group"):
        attrs(mine, None, Ids(gid=0, group="root"), USER, "/f")
    assert attrs(mine, None, Ids(gid=50, group="staff"), USER, "/f").chown == ":50"
    theirs = FileState("/f", "file", "0644", 0, 0)
    with pytest.raises(ModuleError, match="does not own it"):
        attrs(theirs, "0600", Ids(), USER, "/f")
    assert attrs(theirs, "0600", Ids(), ROOT, "/f").chmod == "00600"


def test_default_state_and_state_name() -> None:
    assert default_state(absent("/x"), recurse=False) == "file"
    assert default_state(absent("/x"), recurse=True) == "directory"
    assert default_state(ent("/x", "link"), recurse=False) == "link"
    assert default_state(ent("/x", nlink=3), recurse=False) == "file"
    assert state_name(FileState("/x", "file", nlink=2)) == "hard"
    assert state_name(FileState("/x", "other")) == "file"


# -- states -----------------------------------------------------------------------------------


def test_directory_creates_each_missing_parent_top_down_with_the_mode() -> None:
    ancestors = (absent("/w/a/b"), absent("/w/a"), WRITABLE_DIR)
    result = plan(
        want("/w/a/b/c", state="directory", mode="u=rwx,g=rx,o="),
        facts(absent("/w/a/b/c"), ancestors=ancestors),
    )
    assert result.changed and result.state == "directory"
    mkdirs = [step.split()[5] for step in result.steps if step.startswith("if mkdir ")]
    assert mkdirs == ["/w/a", "/w/a/b", "/w/a/b/c"] and result.racy == 3
    assert result.steps[1].startswith("if mkdir -m 00750 -- /w/a ")  # born with its mode
    locked = plan(
        want("/w/a/b/c", state="directory", mode="0500"),
        facts(absent("/w/a/b/c"), ancestors=ancestors),
    )
    assert locked.steps[1].startswith("if mkdir -- /w/a ")  # a child could not be made in it
    assert result.steps[-1] == '{ [ $# = 0 ] || chmod 00750 -- "$@"; }'  # only those made
    assert [(s.path, s.mode, new) for s, new in result.records] == [
        ("/w/a", "0750", True),
        ("/w/a/b", "0750", True),
        ("/w/a/b/c", "0750", True),
    ]
    assert result.before == {"path": "/w/a/b/c", "state": "absent"}
    assert result.after == {"path": "/w/a/b/c", "state": "directory", "mode": "0750"}


def test_new_entries_take_a_setgid_parents_group() -> None:
    parent = ent("/s", "directory", "2775", uid=0, gid=50, access="rwx")
    parent = replace(parent, state=replace(parent.state, group="staff"))
    result = plan(want("/s/d", state="directory"), facts(absent("/s/d"), ancestors=(parent,)))
    new = result.records[0][0]
    assert (new.mode, new.gid, new.group, new.uid) == ("2755", 50, "staff", 1001)
    touched = plan(want("/s/f", state="touch"), facts(absent("/s/f"), ancestors=(parent,)))
    assert (touched.final.mode, touched.final.gid) == ("0644", 50)


def test_creating_needs_a_writable_directory() -> None:
    locked = ent("/l", "directory", "0755", uid=0, access="rx")
    with pytest.raises(ModuleError, match="Permission denied.*cannot write to /l"):
        plan(want("/l/x", state="directory"), facts(absent("/l/x"), ancestors=(locked,)))
    assert plan(
        want("/l/x", state="directory"), facts(absent("/l/x"), ROOT, ancestors=(locked,))
    ).changed
    a_file = ent("/w/f")
    with pytest.raises(ModuleError, match="/w/f is not a directory"):
        plan(want("/w/f/x", state="touch"), facts(absent("/w/f/x"), ancestors=(a_file,)))


def test_file_state_never_creates() -> None:
    with pytest.raises(ModuleError, match=r"file \(/w/x\) is absent, cannot continue"):
        plan(want(state="file"), facts(absent("/w/x")))
    with pytest.raises(ModuleError, match="is directory, cannot continue"):
        plan(want(state="file"), facts(ent("/w/x", "directory")))
    with pytest.raises(ModuleError, match="already exists as a file"):
        plan(want(state="directory"), facts(ent("/w/x")))
    assert not plan(want(), facts(ent("/w/x"))).changed


def test_src_asks_for_a_link_state_as_ansible() -> None:
    """Before anything else, whatever is at the path."""
    for entry in (absent("/w/x"), ent("/w/x")):
        for state in (None, "file", "touch", "directory"):
            with pytest.raises(ModuleError, match="src option requires state to be 'link' or"):
                plan(want(state=state, src="/etc/passwd"), facts(entry))


def test_file_follows_links_to_their_target() -> None:
    link = ent("/w/l", "link", "0777", target="t")
    target = replace(ent("/w/t", mode="0600"), real="/w/t")
    result = plan(want("/w/l", state="file", mode="0640"), facts(link, followed=target))
    assert result.steps == ["chmod 00640 -- /w/l"]
    assert [s.path for s, _ in result.records] == ["/w/t"]
    dangling = facts(link, followed=absent("/w/t"))
    with pytest.raises(ModuleError, match="symlink to a missing target"):
        plan(want("/w/l", state="file"), dangling)


def test_touch_changes_unless_both_times_are_preserved() -> None:
    existing = facts(ent("/w/x"))
    assert plan(want(state="touch"), existing).steps == ["touch -c -- /w/x"]
    kept = plan(want(state="touch", mtime="preserve", atime="preserve"), existing)
    assert not kept.changed and kept.steps == []
    only_m = plan(want(state="touch", atime="preserve"), existing)
    assert only_m.steps == ["touch -c -m -- /w/x"]
    new = plan(want(state="touch", mode="0600"), facts(absent("/w/x")))
    assert new.steps == ["touch -- /w/x", "chmod 00600 -- /w/x"]
    assert new.final.content == b"" and new.final.mode == "0600"


def test_absent_removes_trees_and_respects_sticky_directories() -> None:
    assert not plan(want(state="absent"), facts(absent("/w/x"))).changed
    tree = plan(want(state="absent"), facts(ent("/w/x", "directory")))
    assert tree.steps == ['if [ -e /w/x ] || [ -L /w/x ]; then rm -rf -- /w/x; else echo "n|"; fi']
    assert tree.records == [(FileState("/w/x"), False)]
    sticky = ent("/tmp", "directory", "1777", uid=0, access="rwx")
    with pytest.raises(ModuleError, match="sticky directory"):
        plan(want("/tmp/x", state="absent"), facts(ent("/tmp/x", uid=0), ancestors=(sticky,)))
    assert plan(want("/tmp/x", state="absent"), facts(ent("/tmp/x"), ancestors=(sticky,))).changed
    with pytest.raises(ModuleError, match="cannot empty /w/x/locked"):
        plan(want(state="absent"), facts(ent("/w/x", "directory"), blocker="/w/x/locked"))


def test_symlink_decisions() -> None:
    tgt = ent("/w/t")
    new = plan(want(state="link", src="t"), facts(absent("/w/x"), src=tgt))
    assert new.steps[0].startswith("{ ln -sT -- t /w/x 2>/dev/null || ")
    assert new.final.target == "t" and new.racy == 1
    assert new.extra == {"dest": "/w/x", "src": "t"} and new.final.size == 1
    same = plan(want(state="link", src="t"), facts(ent("/w/x", "link", target="t"), src=tgt))
    assert not same.changed
    moved = plan(
        want(state="link", src="u"), facts(ent("/w/x", "link", target="t"), src=ent("/w/u"))
    )
    assert "else ln -sT -- u /w/.x.pbe-" in moved.steps[0]
    assert "&& mv -fT -- /w/.x.pbe-" in moved.steps[0]
    assert moved.before["src"] == "t" and moved.after["src"] == "u"
    with pytest.raises(ModuleError, match="refusing to convert from file to symlink"):
        plan(want(state="link", src="t"), facts(ent("/w/x"), src=tgt))
    with pytest.raises(ModuleError, match="src file does not exist"):
        plan(want(state="link", src="nowhere"), facts(absent("/w/x"), src=absent("/w/nowhere")))
    assert plan(
        want(state="link", src="nowhere", force=True),
        facts(absent("/w/x"), src=absent("/w/nowhere")),
    ).changed
    full = facts(ent("/w/x", "directory", empty=False), src=tgt)
    with pytest.raises(ModuleError, match="not empty"):
        plan(want(state="link", src="t", force=True), full)
    empty = plan(
        want(state="link", src="t", force=True),
        facts(ent("/w/x", "directory", empty=True), src=tgt),
    )
    assert "rmdir -- /w/x" in empty.steps[0] and "mv -fT -- /w/.x.pbe-" in empty.steps[0]
    with pytest.raises(ModuleError, match="src is required"):
        plan(want(state="link"), facts(absent("/w/x")))


def test_symlink_attributes_go_to_the_target_or_the_link() -> None:
    tgt = replace(ent("/w/t", mode="0600"), real="/w/t")
    followed = plan(want(state="link", src="t", mode="0640"), facts(absent("/w/x"), src=tgt))
    assert followed.steps[-1] == "chmod 00640 -- /w/x"
    assert [s.path for s, _ in followed.records] == ["/w/x", "/w/t"]
    link = ent("/w/x", "link", "0777", target="t")
    own = plan(
        want(state="link", src="t", group="50", follow=False),
        facts(link, src=tgt, group=(50, "staff")),
    )
    assert own.steps == ["chown -h :50 -- /w/x"] and own.final.group == "staff"


def test_hard_link_decisions() -> None:
    src = ent("/w/s", inode=7, dev=1, nlink=1)
    parent = replace(WRITABLE_DIR, dev=1)
    new = plan(want(state="hard", src="/w/s"), facts(absent("/w/x"), src=src, ancestors=(parent,)))
    assert new.steps[0].startswith("{ ln -LT -- /w/s /w/x 2>/dev/null || ")
    assert new.final.nlink == 2
    assert [s.path for s, _ in new.records] == ["/w/x", "/w/s"]
    linked = replace(src, state=replace(src.state, path="/w/x", nlink=2))
    assert not plan(want(state="hard", src="/w/s"), facts(linked, src=src)).changed
    other = ent("/w/x", inode=8, dev=1)
    with pytest.raises(ModuleError, match="file exists at destination"):
        plan(want(state="hard", src="/w/s"), facts(other, src=src))
    forced = plan(want(state="hard", src="/w/s", force=True), facts(other, src=src))
    assert "&& mv -fT -- /w/.x.pbe-" in forced.steps[0]
    # another st_dev is no verdict: on overlayfs a file's is its layer's, not the mount's
    elsewhere = replace(parent, dev=2)
    across = plan(
        want(state="hard", src="/w/s"), facts(absent("/w/x"), src=src, ancestors=(elsewhere,))
    )
    assert across.steps[0].startswith("{ ln -LT -- /w/s /w/x 2>/dev/null || ")
    with pytest.raises(ModuleError, match="src does not exist"):
        plan(want(state="hard", src="/w/s"), facts(absent("/w/x"), src=absent("/w/s")))


def test_same_inode_of_predicted_entries_compares_recorded_states() -> None:
    a = Entry(FileState("/a", "file", "0644", nlink=2), predicted=True)
    b = Entry(FileState("/b", "file", "0644", nlink=2), predicted=True)
    assert same_inode(a, b)
    assert not same_inode(a, replace(b, state=replace(b.state, nlink=1)))


def test_recurse_groups_chmod_by_what_find_will_see() -> None:
    nodes = (
        Node("/w/x/d", "d", 0o700, 1001, 1001, "me", "me"),
        Node("/w/x/d/run", "f", 0o700, 1001, 1001, "me", "me"),
        Node("/w/x/d/data", "f", 0o600, 1001, 1001, "me", "me"),
        Node("/w/x/ok", "f", 0o640, 1001, 1001, "me", "me"),
        Node("/w/x/ln", "l", 0o777, 1001, 1001, "me", "me"),
    )
    result = plan(
        want(state="directory", recurse=True, mode="u=rwX,g=rX,o="),
        facts(ent("/w/x", "directory", "0750"), nodes=nodes),
    )
    assert result.changed
    assert result.steps == [
        r"find -H /w/x -mindepth 1 -depth ! -type l \( "
        r"\( ! -type d -perm 0600 -exec chmod 00640 -- {} + \) -o "
        r"\( ! -type d -perm 0700 -exec chmod 00750 -- {} + \) -o "
        r"\( -type d -perm 0700 -exec chmod 00750 -- {} + \) \)"
    ]
    assert sorted(s.path for s, _ in result.records) == ["/w/x/d", "/w/x/d/data", "/w/x/d/run"]
    right = tuple(n for n in nodes if n.path in ("/w/x/ok", "/w/x/ln"))
    assert not plan(
        want(state="directory", recurse=True, mode="u=rwX,g=rX,o="),
        facts(ent("/w/x", "directory", "0750"), nodes=right),
    ).changed


def test_recurse_chown_below_before_the_top() -> None:
    nodes = (Node("/w/x/f", "f", 0o4755, 1001, 1001, "me", "me"),)
    result = plan(
        want(state="directory", recurse=True, owner="0", mode="u+s"),
        facts(ent("/w/x", "directory", "0755"), ROOT, owner=(0, "root"), nodes=nodes),
    )
    assert result.steps == [
        r"find -H /w/x -mindepth 1 \( ! -uid 0 \) -exec chown -h 0 -- {} +",
        r"find -H /w/x -mindepth 1 -depth ! -type l \( "
        r"\( ! -type d -perm 0755 -exec chmod 04755 -- {} + \) \)",
        "chown 0 -- /w/x",
        "chmod 04755 -- /w/x",
    ]


def test_unknown_owner_and_group_fail_like_chown() -> None:
    with pytest.raises(ModuleError, match="failed to look up user nobody-here"):
        plan(want(owner="nobody-here"), facts(ent("/w/x")))
    with pytest.raises(ModuleError, match="failed to look up group nogroup-here"):
        plan(want(group="nogroup-here"), facts(ent("/w/x")))
    assert plan(want(owner="4242"), facts(ent("/w/x"), ROOT)).steps == ["chown 4242 -- /w/x"]


# -- parsing ----------------------------------------------------------------------------------


def test_parse_entry_decodes_link_targets_and_errors() -> None:
    rows = [
        [
            "st",
            "symbolic link",
            "777",
            "1001",
            "1001",
            "me",
            "me",
            "5",
            "1.5",
            "2.25",
            "3.0",
            "1",
            "99",
            "42",
        ],
        ["lnk", "61206e0a620a"],
        ["real", "2f782f610a"],
        ["acc", "rw"],
    ]
    entry = parse_entry("/l", rows)
    assert entry.state.target == "a n\nb" and entry.real == "/x/a"
    assert (entry.kind, entry.state.mode, entry.inode, entry.dev) == ("link", "0777", 99, 42)
    assert (entry.atime, entry.state.mtime, entry.access) == (1.5, 2.25, "rw")
    with pytest.raises(ModuleError, match="cannot stat /x: Permission denied"):
        parse_entry("/x", [["error", b"Permission denied".hex()]])


def test_parse_listing_maps_paths_and_checksums() -> None:
    data = (
        b"d|755|0|0|root|root|./rel/sub\0f|4755|1|2|a|b|./rel/sub/new\nline\0"
        + SUMS_MARK
        + b"a" * 40
        + b"  ./rel/sub/new\nline\0"
    )
    nodes = parse_listing("rel", data)
    assert [(n.path, n.kind, n.bits) for n in nodes] == [
        ("rel/sub", "d", 0o755),
        ("rel/sub/new\nline", "f", 0o4755),
    ]
    assert nodes[1].checksum == "a" * 40 and nodes[0].checksum is None
    assert parse_listing("/abs/", b"f|644|0|0|r|r|/abs/x\0")[0].path == "/abs/x"


def test_access_for_predicted_entries() -> None:
    f = FileState("/f", "file", "0640", 0, 50)
    assert access_for(f, USER) == "r"
    assert access_for(f, ROOT) == "rw"
    assert access_for(replace(f, mode="0750"), ROOT) == "rwx"
    assert access_for(FileState("/d", "directory", "0700", 0, 0), ROOT) == "rwx"
    assert access_for(FileState("/g"), USER) == ""


def test_complete_fills_what_another_modules_record_left_out() -> None:
    made = complete(FileState("/d", "directory"), USER)
    assert (made.mode, made.uid, made.gid, made.owner, made.group) == (
        "0755",
        1001,
        1001,
        "me",
        "me",
    )
    theirs = complete(FileState("/f", "file", owner="root", group="me"), USER)
    assert (theirs.mode, theirs.uid, theirs.gid) == ("0644", None, 1001)
    assert attrs(theirs, None, Ids(uid=0, owner="root"), ROOT, "/f").chown is None
    with pytest.raises(ModuleError, match="does not own it"):
        attrs(theirs, "0600", Ids(), USER, "/f")


def test_resolve_is_lexical_like_the_kernel_for_plain_paths() -> None:
    assert resolve("/a/b/link", "c/../d") == "/a/b/d"
    assert resolve("/a/b/link", "/x/y") == "/x/y"
    assert resolve("rel/link", "../t") == "t"


def test_stat_dict_has_ansibles_keys() -> None:
    entry = replace(
        ent("/f", mode="4750", checksum="c" * 40),
        ftype="regular file",
        access="rx",
        inode=1,
        dev=2,
        atime=1.0,
        ctime=3.0,
    )
    out = stat_dict(entry, follow=False)
    assert out["isreg"] and out["isuid"] and out["xgrp"] and not out["woth"]
    assert out["readable"] and not out["writeable"] and out["executable"]
    assert out["checksum"] == "c" * 40 and out["inode"] == 1 and "lnk_target" not in out
    assert stat_dict(Entry(FileState("/m")), follow=False) == {"exists": False}


# -- the probe and the module against a local sh -------------------------------------------------


class Counter:
    """A RemoteFiles runner executing scripts with the local /bin/sh, counting them."""

    def __init__(self) -> None:
        self.commands: list[str] = []

    def __call__(self, command: str, stdin: bytes | None = None, **_: Any) -> CommandResult:
        self.commands.append(command)
        proc = subprocess.run(
            ["/bin/sh", "-c", command], input=stdin or b"", capture_output=True, check=False
        )
        return CommandResult(proc.returncode, proc.stdout, proc.stderr)


class Ctx:
    """The little of ModuleContext the file and stat modules use."""

    def __init__(self, check: bool = False, prediction: Prediction | None = None) -> None:
        self.run_count = Counter()
        self.check = check
        self.diff = True
        self.files = RemoteFiles(self.run_count, lambda *a: None, check, prediction or Prediction())


def run(module: type[Module], ctx: Ctx, **args: Any) -> dict[str, Any]:
    return module().run(module.coerce(args), ctx).as_dict()  # type: ignore[arg-type]


def test_probe_reads_odd_names_in_one_command(tmp_path: Path) -> None:
    odd = tmp_path / "a\nb $(x) 'q'"
    odd.mkdir()
    (odd / "-f").write_text("data")
    os.symlink("-f", odd / "l\nk")
    ctx = Ctx()
    probe = Probe(ctx.files)
    probe.path("p", str(odd / "l\nk"), "A")
    probe.path("pf", str(odd / "l\nk"), "KLS")
    probe.ancestors(str(odd / "missing/deeper"))
    probe.listing(str(odd))
    answers = probe.run()
    assert len(ctx.run_count.commands) == 1
    assert answers.entries["p"].state.target == "-f"
    assert answers.entries["pf"].state.checksum == "a17c9aaa61e80a1bf71d0d850af4e5baa9800bbd"
    assert [a.state.path for a in answers.ancestors] == [str(odd / "missing"), str(odd)]
    assert answers.ancestors[-1].access == "rwx" and answers.env is not None
    assert sorted(n.path for n in answers.nodes) == [str(odd / "-f"), str(odd / "l\nk")]


class Canned:
    """The remote-files side of a probe, answering every query with one reply."""

    check = False

    def __init__(self, reply: str) -> None:
        self.reply = reply.encode()
        self.cache = ProbeCache()
        self.sent = 0

    def known(self, path: str) -> FileState | None:
        return None

    def query(self, script: str, stdin: bytes | None = None) -> CommandResult:
        self.sent += 1
        return CommandResult(0, self.reply, b"")


def test_probe_reads_selinux_contexts_and_one_id_line() -> None:
    """Where SELinux is on, the context lines reach the answers (they were dropped, so
    ``file``'s and ``stat``'s contexts read as 'SELinux off'); the user, groups and umask
    come from one ``id`` (a gid without a name stands as its number)."""
    ctx_line = "system_u:object_r:etc_t:s0"
    files = Canned(
        f"Zp|{ctx_line}|{ctx_line}\n"
        "env|0027|uid=1001(me) gid=1001(me) groups=1001(me),4(adm),4242 context=x:y:z\n"
    )
    probe = Probe(files)
    probe.selinux("p", "/etc/f")
    probe.env()
    answers = probe.run()
    assert answers.selinux == {"p": SeContext(ctx_line, ctx_line)}
    assert answers.env == Env(
        1001, 1001, frozenset({1001, 4, 4242}), 0o027, "me", "me", frozenset({"me", "adm", "4242"})
    )
    again = Probe(files)
    again.env()
    assert again.run().env == answers.env and files.sent == 1  # cached for the task


def test_file_costs_one_command_when_in_state_and_two_to_change(tmp_path: Path) -> None:
    target = tmp_path / "d"
    ctx = Ctx()
    assert run(File, ctx, path=str(target), state="directory", mode="0700")["changed"]
    assert len(ctx.run_count.commands) == 2 and target.stat().st_mode & 0o777 == 0o700
    ctx = Ctx()
    result = run(File, ctx, path=str(target), state="directory", mode="0700")
    assert not result["changed"] and len(ctx.run_count.commands) == 1
    assert result["mode"] == "0700" and result["state"] == "directory"


def test_check_run_records_what_later_tasks_see(tmp_path: Path) -> None:
    prediction = Prediction()
    ctx = Ctx(check=True, prediction=prediction)
    made = run(File, ctx, path=str(tmp_path / "a/b"), state="directory", mode="0750")
    assert made["changed"] and not (tmp_path / "a").exists()
    touched = run(File, Ctx(True, prediction), path=str(tmp_path / "a/b/f"), state="touch")
    assert touched["changed"] and touched["state"] == "file"
    stat = run(Stat, Ctx(True, prediction), path=str(tmp_path / "a/b/f"))["stat"]
    assert stat["exists"] and stat["isreg"] and stat["size"] == 0
    assert stat["checksum"] == "da39a3ee5e6b4b0d3255bfef95601890afd80709"
    assert run(Stat, Ctx(True, prediction), path=str(tmp_path / "a"))["stat"]["mode"] == "0750"
    assert run(Stat, Ctx(True, prediction), path=str(tmp_path / "a/zz"))["stat"] == {
        "exists": False
    }
    again = run(
        File, Ctx(True, prediction), path=str(tmp_path / "a/b"), state="directory", mode="0750"
    )
    assert not again["changed"]


def test_stat_of_a_predicted_file_with_unknown_bytes_is_unknown(tmp_path: Path) -> None:
    prediction = Prediction()
    prediction.record(FileState(str(tmp_path / "big"), "file", mode="0644"))
    ctx = Ctx(True, prediction)
    result = Stat().run(Stat.coerce({"path": str(tmp_path / "big")}), ctx)  # type: ignore[arg-type]
    assert result.unknown and result.values["stat"]["exists"]
    mime = Stat().run(Stat.coerce({"path": str(tmp_path / "big"), "get_checksum": False}), ctx)  # type: ignore[arg-type]
    assert mime.unknown  # `file` would need the bytes too
    known = Stat().run(
        Stat.coerce({"path": str(tmp_path / "big"), "get_checksum": False, "get_mime": False}), ctx
    )  # type: ignore[arg-type]
    assert not known.unknown


def test_probe_answers_are_cached_until_a_command_runs(tmp_path: Path) -> None:
    ctx = Ctx()
    target = str(tmp_path / "f")
    for _ in range(2):
        probe = Probe(ctx.files)
        probe.path("p", target, "S")
        assert not probe.run().entries["p"].state.exists
    assert len(ctx.run_count.commands) == 1  # the second probe asked nobody
    ctx.files.run(f"echo x > {target}")
    probe = Probe(ctx.files)
    probe.path("p", target, "S")
    assert probe.run().entries["p"].state.kind == "file"
    assert len(ctx.run_count.commands) == 3


def test_check_mode_creating_a_path_for_an_account_not_there_yet(tmp_path: Path) -> None:
    """As Ansible's check mode: a directory or file the run would create is `changed` even
    when its owner/group does not exist yet (a package installed earlier often brings it),
    with a warning that says the real run needs it; the rest of the check run assumes the
    account, as it assumes the path made. Before that, an existing path fails as chown
    would; the real run fails each time."""
    user, group = "pbe-nosuchuser", "pbe-nosuchgroup"
    (tmp_path / "there").mkdir()
    there = f"file: {{path: {tmp_path}/there, state: directory, group: {group}}}"
    tasks = [
        there,
        f"file: {{path: {tmp_path}/new/sub, state: directory, owner: {user}, group: {group}}}",
        f"file: {{path: {tmp_path}/touched, state: touch, group: {group}}}",
        f"file: {{path: {tmp_path}/new, state: directory, group: {group}}}",
        there,
    ]
    site = tmp_path / "site.yml"
    site.write_text(
        "- hosts: a\n  gather_facts: false\n  tasks:\n"
        + "".join(f"    - {t}\n      ignore_errors: true\n" for t in tasks)
    )
    inventory = {"all": {"hosts": {"a": {"ansible_connection": "local"}}}}
    out = io.StringIO()
    checked = pbe.run(site, inventory, check=True, sinks=[ConsoleSink(out)])
    statuses = [r.status for r in checked.results]
    assert statuses == ["failed", "changed", "changed", "ok", "changed"]
    assert checked.results[0].result["msg"] == f"chgrp failed: failed to look up group {group}"
    warned = f"user {user} and group {group} does not exist on the host yet: the real run "
    assert checked.results[1].result["warnings"] == [
        warned + "fails unless an earlier task creates it"
    ]
    assert "warnings" not in checked.results[2].result
    assert f"[WARNING]: {warned}" in out.getvalue()
    assert not (tmp_path / "new").exists() and not (tmp_path / "touched").exists()
    real = pbe.run(site, inventory)
    assert [r.status for r in real.results] == ["failed"] * 5
    assert real.results[1].result["msg"] == f"chown failed: failed to look up user {user}"


def test_check_mode_link_to_a_source_an_earlier_task_may_make(tmp_path: Path) -> None:
    """A link whose source is missing fails in a check run as in Ansible's; after a task
    check mode did not run (which may make it), the message says the real run may not."""
    src, link = tmp_path / "bin", tmp_path / "link"
    site = tmp_path / "site.yml"
    site.write_text(
        "- hosts: a\n  gather_facts: false\n  tasks:\n"
        f"    - file: {{src: {src}, dest: {link}, state: link}}\n      ignore_errors: true\n"
        f"    - command: touch {src}\n"
        f"    - file: {{src: {src}, dest: {link}, state: link}}\n"
    )
    inventory = {"all": {"hosts": {"a": {"ansible_connection": "local"}}}}
    checked = pbe.run(site, inventory, check=True)
    missing = (
        f'src file does not exist, use "force: true" if you really want to create the link: {src}'
    )
    assert [r.result.get("msg") for r in checked.results if r.action == "file"] == [
        missing,
        f"{missing} (check mode: it may come with a command check mode did not run; "
        "the real run may find it)",
    ]
    real = pbe.run(site, inventory)
    assert [r.status for r in real.results] == ["failed", "changed", "changed"]
    assert os.readlink(link) == str(src)
