"""Arguments the file-writing modules share (``copy``, ``template``, ``lineinfile``,
``blockinfile``, ``file``), declared once so their descriptions cannot drift apart."""

from __future__ import annotations

from ..base import Arg
from .selinux import PARTS

__all__ = ["SE_ARGS", "UNSAFE_WRITES", "VALIDATE"]

_PART_NAMES = {
    "seuser": "user",
    "serole": "role",
    "setype": "type",
    "selevel": "level (the MLS/MCS range)",
}
SE_ARGS: dict[str, Arg] = {
    key: Arg(
        "str",
        description=f"The SELinux {_PART_NAMES[key]} of the file's context, set "
        "with chcon where SELinux is on and ignored elsewhere, as "
        "Ansible does; `_default` takes it from the policy's context "
        "for the path (matchpathcon).",
    )
    for key in PARTS
}
VALIDATE = Arg(
    "str",
    description="A command that must accept the new file before it replaces "
    "the old one; `%s` stands for the file (e.g. `visudo -cf "
    "%s`). Run without a shell, its words expanded like "
    "`command`'s; when it fails the task fails and the old file "
    "stays. Not run in check mode, nor when the content is "
    "unchanged.",
)
UNSAFE_WRITES = Arg(
    "bool",
    default=False,
    description="Accepted for Ansible compatibility; writes are always atomic.",
)
