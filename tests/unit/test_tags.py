"""Tag selection follows Ansible's rules for always/never/tagged/untagged/all."""

from __future__ import annotations

import pytest

from playbook_engine.engine.tags import selected


@pytest.mark.parametrize(
    ("tags", "only", "skip", "runs"),
    [
        ((), (), (), True),
        (("web",), (), (), True),
        (("never",), (), (), False),
        (("never", "debug"), ("debug",), (), True),
        (("web",), ("db",), (), False),
        (("web", "db"), ("db",), (), True),
        (("always",), ("db",), (), True),
        (("always",), (), ("always",), False),
        (("always",), (), ("all",), True),
        (("always",), (), ("all", "always"), False),
        ((), ("untagged",), (), True),
        (("web",), ("untagged",), (), False),
        (("web",), ("tagged",), (), True),
        ((), ("tagged",), (), False),
        (("web",), (), ("web",), False),
        (("web",), (), ("tagged",), False),
        ((), (), ("untagged",), False),
        (("web",), ("all",), ("web",), False),
    ],
)
def test_selected(
    tags: tuple[str, ...], only: tuple[str, ...], skip: tuple[str, ...], runs: bool
) -> None:
    assert selected(tags, only, skip) is runs
