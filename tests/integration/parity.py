"""The check-mode promise as one reusable assertion, and the fleet tests' small helpers.

``assert_check_predicts_run`` runs a playbook three times against the fleet: ``--check``
(nothing on disk may change), for real (the same tasks must report changed as the check
run predicted, host by host), and for real again (nothing changes). It returns the real
run's JSON document so the caller can assert the remote state it wants.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pwd
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from playbook_engine.cli import main
from playbook_engine.testing.fleet import Fleet


def snapshot(roots: Iterable[Path]) -> dict[str, tuple[str, ...]]:
    """Every path under ``roots`` with its type, mode, owner and content checksum."""
    out: dict[str, tuple[str, ...]] = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in sorted(dirnames + filenames):
                path = Path(dirpath) / name
                st = path.lstat()
                kind = "link" if path.is_symlink() else "dir" if path.is_dir() else "file"
                digest = ""
                if kind == "file":
                    digest = hashlib.sha1(path.read_bytes()).hexdigest()
                elif kind == "link":
                    digest = os.readlink(path)
                out[str(path)] = (
                    kind,
                    oct(st.st_mode & 0o7777),
                    str(st.st_uid),
                    str(st.st_gid),
                    digest,
                )
    return out


def pbe(fleet: Fleet, book: Path, inventory: Path, *extra: str) -> tuple[int, str, str]:
    """``pbe run`` in process against the fleet (its known_hosts, no ~/.ssh/config)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "run",
            str(book),
            "-i",
            str(inventory),
            "--known-hosts",
            str(fleet.known_hosts),
            "--ssh-config",
            os.devnull,
            *extra,
        ],
        out,
        err,
    )
    return code, out.getvalue(), err.getvalue()


def pbe_json(fleet: Fleet, book: Path, inventory: Path, *extra: str) -> tuple[int, Any, str]:
    code, out, err = pbe(fleet, book, inventory, "--format", "json", *extra)
    return code, json.loads(out) if out else None, err


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data)
    return path


def own(*paths: Path) -> None:
    """Hand setup files to the login user, as if it had made them (tests run as root)."""
    user = pwd.getpwnam(Fleet.user)
    for path in paths:
        os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)


def changed_map(doc: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """Per task (in order): host -> status, with ok/changed/failed kept apart."""
    rows = []
    for play in doc["plays"]:
        for task in play["tasks"]:
            rows.append((task["name"], {h: r["status"] for h, r in task["hosts"].items()}))
    return rows


def assert_check_predicts_run(
    fleet: Fleet,
    book: Path,
    inventory: Path,
    roots: Sequence[Path],
    *extra: str,
    expect_code: int = 0,
) -> dict[str, Any]:
    before = snapshot(roots)
    code, check_doc, err = pbe_json(fleet, book, inventory, "--check", *extra)
    assert code == expect_code, f"check run exit {code}: {err}\n{json.dumps(check_doc)[:3000]}"
    assert snapshot(roots) == before, "--check changed something on the hosts"
    code, real_doc, err = pbe_json(fleet, book, inventory, *extra)
    assert code == expect_code, f"real run exit {code}: {err}\n{json.dumps(real_doc)[:3000]}"
    predicted, actual = changed_map(check_doc), changed_map(real_doc)
    assert predicted == actual, _mismatch(predicted, actual)
    code, again_doc, err = pbe_json(fleet, book, inventory, *extra)
    assert code == expect_code, err
    changed_again = {h: s["changed"] for h, s in again_doc["stats"].items() if s["changed"]}
    assert changed_again == {}, f"second run changed something: {changed_map(again_doc)}"
    return dict(real_doc)


def _mismatch(predicted: list[Any], actual: list[Any]) -> str:
    lines = ["check-mode prediction differs from the real run:"]
    for (name, p), (_, a) in zip(predicted, actual, strict=False):
        if p != a:
            lines.append(f"  task {name!r}: predicted {p} but the run gave {a}")
    return "\n".join(lines)
