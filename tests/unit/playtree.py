"""Write a small playbook tree (playbook, roles, vars files) for a test to run."""

from __future__ import annotations

from pathlib import Path


def write(base: Path, files: dict[str, str]) -> Path:
    """``files``: relative path -> text, directories made as needed; returns site.yml."""
    for name, text in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return base / "site.yml"
