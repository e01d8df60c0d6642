"""Helpers for the system modules' tests against this machine."""

from __future__ import annotations

import shutil
import subprocess

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}


def sh(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, check=False)


def remove_account(name: str) -> None:
    """The account, its crontab, home, mail spool and its own group."""
    if shutil.which("crontab"):
        sh("crontab", "-r", "-u", name)
    home = sh("getent", "passwd", name).stdout.split(":")
    sh("userdel", "-f", "-r", name)
    if len(home) > 5 and home[5].startswith(("/home/pbe-t", "/tmp/")):
        shutil.rmtree(home[5], ignore_errors=True)
    sh("groupdel", name)
