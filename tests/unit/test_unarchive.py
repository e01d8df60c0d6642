"""unarchive for real on this machine: archives the test builds (tar.gz, tar.xz, tar.bz2,
plain tar, zip), unpacked with the host's tar and unzip, from the controller, from the
host and from a URL on a local HTTP server; check mode predicts the run."""

from __future__ import annotations

import io
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from http_server import Site, serve

from playbook_engine.api import run
from playbook_engine.modules.unarchive import parse_probe
from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}
MEMBERS = {"app/one.txt": b"one\n", "app/sub/two.txt": b"two\n", "app/skip.log": b"log\n"}


def make_tar(path: Path, mode: str) -> Path:
    with tarfile.open(path, mode) as tar:
        for name, data in MEMBERS.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return path


def make_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in MEMBERS.items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def archives(tmp_path: Path) -> dict[str, Path]:
    src = tmp_path / "archives"
    src.mkdir()
    return {
        "gz": make_tar(src / "a.tar.gz", "w:gz"),
        "xz": make_tar(src / "a.tar.xz", "w:xz"),
        "bz2": make_tar(src / "a.tar.bz2", "w:bz2"),
        "tar": make_tar(src / "a.tar", "w"),
        "zip": make_zip(src / "a.zip"),
    }


@pytest.fixture
def site(archives: dict[str, Path]) -> Iterator[Site]:
    with serve({"a.zip": archives["zip"].read_bytes()}) as served:
        yield served


def dirs(tmp_path: Path, *names: str) -> list[Path]:
    out = []
    for name in names:
        (tmp_path / name).mkdir()
        out.append(tmp_path / name)
    return out


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_every_format_unpacks_once_and_check_mode_predicts(
    tmp_path: Path, archives: dict[str, Path]
) -> None:
    targets = dirs(tmp_path, *archives)
    tasks = "".join(
        f"""
    - unarchive: {{src: "{archives[k]}", dest: "{d}", remote_src: true, list_files: true}}
      register: {k}_out"""
        for k, d in zip(archives, targets, strict=True)
    )
    book = tmp_path / "site.yml"
    book.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:{tasks}\n")
    real = check_predicts_run(
        book,
        LOCAL,
        unchanged=lambda: (
            [t for t in targets if any(t.iterdir())] == [] or pytest.fail("check mode unpacked")
        ),
    )
    assert [r.status for r in real.results] == ["changed"] * 5
    for target in targets:
        assert tree(target) == MEMBERS
    handlers = [r.result["handler"] for r in real.results]
    assert handlers == ["TgzArchive", "TarXzArchive", "TarBzipArchive", "TarArchive", "ZipArchive"]
    assert "app/sub/two.txt" in real.results[4].result["files"]
    assert real.results[0].result["state"] == "directory"


def test_a_changed_member_is_restored_filters_and_modes(
    tmp_path: Path, archives: dict[str, Path]
) -> None:
    tgz, zipped = dirs(tmp_path, "tgz", "zipped")
    book = tmp_path / "site.yml"
    book.write_text(f"""
- hosts: all
  gather_facts: false
  tasks:
    - unarchive: {{src: "{archives["gz"]}", dest: "{tgz}", exclude: ["*.log"]}}
    - unarchive: {{src: "{archives["zip"]}", dest: "{zipped}", remote_src: true,
                  include: ["app/one.txt"], mode: "0600"}}
""")
    check_predicts_run(book, LOCAL)
    assert tree(tgz) == {k: v for k, v in MEMBERS.items() if not k.endswith(".log")}
    assert tree(zipped) == {"app/one.txt": b"one\n"}
    assert oct((zipped / "app/one.txt").stat().st_mode & 0o777) == "0o600"
    (tgz / "app/one.txt").write_bytes(b"edited\n")
    (zipped / "app/one.txt").chmod(0o644)
    real = check_predicts_run(
        book,
        LOCAL,
        unchanged=lambda: (
            (tgz / "app/one.txt").read_bytes() == b"edited\n" or pytest.fail("check restored")
        ),
    )
    assert [r.status for r in real.results] == ["changed", "changed"]
    assert (tgz / "app/one.txt").read_bytes() == b"one\n"
    assert oct((zipped / "app/one.txt").stat().st_mode & 0o777) == "0o600"


def test_url_source_and_creates(tmp_path: Path, site: Site) -> None:
    (dest,) = dirs(tmp_path, "web")
    book = tmp_path / "site.yml"
    book.write_text(f"""
- hosts: all
  gather_facts: false
  tasks:
    - unarchive: {{src: "{site.url("/a.zip")}", dest: "{dest}", remote_src: true}}
    - unarchive: {{src: "{site.url("/a.zip")}", dest: "{dest}", remote_src: true,
                  creates: "{dest}/app"}}
      register: skipped
""")
    real = check_predicts_run(book, LOCAL)
    assert [r.status for r in real.results] == ["changed", "skipped"]
    assert tree(dest) == MEMBERS
    assert real.results[1].result["msg"] == f"skipped, since {dest}/app exists"


def test_failures_say_why(tmp_path: Path, archives: dict[str, Path]) -> None:
    (dest,) = dirs(tmp_path, "d")
    text = tmp_path / "notes.txt"
    text.write_text("not an archive\n")
    book = tmp_path / "site.yml"
    book.write_text(f"""
- hosts: all
  gather_facts: false
  tasks:
    - unarchive: {{src: "{archives["gz"]}", dest: "{tmp_path}/none", remote_src: true}}
      ignore_errors: true
    - unarchive: {{src: "{tmp_path}/missing.tgz", dest: "{dest}", remote_src: true}}
      ignore_errors: true
    - unarchive: {{src: "{text}", dest: "{dest}", remote_src: true}}
      ignore_errors: true
""")
    result = run(book, LOCAL)
    msgs = [r.result["msg"] for r in result.results]
    assert msgs[0] == f"dest '{tmp_path}/none' must be an existing dir"
    assert msgs[1] == f"Source '{tmp_path}/missing.tgz' does not exist"
    assert msgs[2].startswith(f'Failed to find handler for "{text}".')
    assert "does not look like a tar archive" in msgs[2]
    assert list(dest.iterdir()) == []


def test_parse_probe_ignores_ownership_and_non_root_modes() -> None:
    out = (
        "H|gz|1000\nT|755|u|g|1000|1000|4096\n./a\n@@pbe-list-end@@\n"
        "./a: Mode differs\n./a: Uid differs\n@@pbe-list-end@@\n"
    )
    probe = parse_probe(out)
    assert probe.handler == "TgzArchive" and probe.members == ["./a"]
    assert not probe.changed()
    assert parse_probe(out.replace("H|gz|1000", "H|gz|0")).differences == ["./a: Mode differs"]
