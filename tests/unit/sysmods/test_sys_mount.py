"""mount against this machine: a tmpfs on a temp directory, configured in a private fstab
(the fstab argument), mounted, remounted with new options, unmounted and removed; check
mode predicts every step. Skipped where this container may not mount."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from syshelp import LOCAL, sh

from playbook_engine import run
from playbook_engine.testing.parity import check_predicts_run


def mounts(path: Path) -> list[list[str]]:
    return [
        line.split()
        for line in Path("/proc/self/mounts").read_text().splitlines()
        if line.split()[1] == str(path).replace(" ", "\\040")
    ]


@pytest.fixture
def point(root: None, tmp_path: Path) -> Iterator[Path]:
    """A mount point under tmp_path (not created), unmounted again after the test."""
    probe = tmp_path / "probe"
    probe.mkdir()
    if sh("mount", "-t", "tmpfs", "-o", "size=1m", "pbe-probe", str(probe)).returncode:
        pytest.skip("this machine may not mount a tmpfs")
    sh("umount", str(probe))
    path = tmp_path / "mnt point"
    yield path
    while mounts(path):
        sh("umount", str(path))


def test_mounted_remounted_unmounted_absent(point: Path, tmp_path: Path, book) -> None:
    fstab = tmp_path / "fstab"
    fstab.write_text("# private fstab\n")
    src = f"pbe-t{uuid.uuid4().hex[:8]}"
    task = (
        f"mount: {{path: '{point}', src: {src}, fstype: tmpfs, fstab: {fstab}, "
        "opts: 'size=1m', state: mounted}"
    )
    check_predicts_run(
        book(f"- {task}"),
        LOCAL,
        unchanged=lambda: mounts(point) and pytest.fail("check mode mounted"),
    )
    escaped = str(point).replace(" ", "\\040")
    assert fstab.read_text() == f"# private fstab\n{src} {escaped} tmpfs size=1m 0 0\n"
    assert [m[:3] for m in mounts(point)] == [[src, escaped, "tmpfs"]]
    check_predicts_run(book(f"- {task.replace('size=1m', 'size=2m')}"), LOCAL)
    assert "size=2048k" in mounts(point)[-1][3]
    check_predicts_run(
        book(f"- mount: {{path: '{point}', fstab: {fstab}, state: unmounted}}"), LOCAL
    )
    assert not mounts(point) and point.is_dir()
    assert f"{src} {escaped} tmpfs size=2m 0 0" in fstab.read_text()
    absent = book(
        f"- mount: {{path: '{point}', fstab: {fstab}, state: absent, backup: true}}\n"
        "  register: gone"
    )
    real = check_predicts_run(absent, LOCAL)
    assert fstab.read_text() == "# private fstab\n" and not point.exists()
    backup = real.results[0].result["backup_file"]
    assert Path(backup).read_text().endswith("size=2m 0 0\n")


def test_ephemeral_mount_ignores_fstab_and_refuses_another_source(point: Path, book) -> None:
    result = run(
        book(f"""
- mount: {{path: '{point}', src: pbe-eph, fstype: tmpfs, opts: 'size=1m', state: ephemeral}}
- mount: {{path: '{point}', src: pbe-other, fstype: tmpfs, state: ephemeral}}
"""),
        LOCAL,
    )
    assert [r.status for r in result.results] == ["changed", "failed"]
    assert result.results[1].result["msg"].startswith(f"{point} is already mounted from pbe-eph")
    assert mounts(point)[0][0] == "pbe-eph"
    assert "pbe-eph" not in Path("/etc/fstab").read_text()


def test_mount_failure_names_the_mount_point(point: Path, tmp_path: Path, book) -> None:
    result = run(
        book(
            f"- mount: {{path: '{point}', src: /dev/pbe-none, fstype: ext4, "
            f"fstab: {tmp_path / 'fstab'}, state: mounted}}"
        ),
        LOCAL,
    )
    msg = result.results[0].result["msg"]
    assert msg.startswith(f"Error mounting {point}: mount: ") and "pbe-none" in msg
