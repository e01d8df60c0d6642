"""Fixtures for the system modules' tests against this machine (the suite runs as root):
unique throw-away accounts and files, removed again even when a test fails."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from syshelp import remove_account


@pytest.fixture
def root() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root (the suite runs as root in CI)")


@pytest.fixture
def account(root: None) -> Iterator[str]:
    """A unique account name; whatever a test made of it is removed afterwards."""
    name = f"pbe-t{uuid.uuid4().hex[:10]}"
    yield name
    remove_account(name)
    shutil.rmtree(f"/home/{name}", ignore_errors=True)


@pytest.fixture
def book(tmp_path: Path) -> Callable[[str], Path]:
    """Write a one-play playbook of these tasks (YAML text, indented as a task list)."""

    def write(tasks: str) -> Path:
        path = tmp_path / f"site-{uuid.uuid4().hex[:6]}.yml"
        body = "\n".join("    " + line for line in tasks.strip("\n").splitlines())
        path.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{body}\n")
        return path

    return write
