"""Every module has a reference page whose Arguments table is what its spec generates
(``python -m playbook_engine.reporting.moddoc docs/modules`` rewrites them), so the pages
cannot drift from what validation accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from playbook_engine.modules import REGISTRY
from playbook_engine.reporting.moddoc import sync_page

PAGES = Path(__file__).resolve().parents[2] / "docs" / "modules"
# written like modules, documented with the language (docs/playbooks.md)
STRUCTURE = {"import_role", "import_tasks", "include_role", "include_tasks", "include_vars"}
SHARED = {"dnf5": "dnf"}  # documented on another module's page


@pytest.mark.parametrize("name", sorted(set(REGISTRY) - STRUCTURE - set(SHARED)))
def test_page_matches_the_spec(name: str) -> None:
    page = PAGES / f"{name}.md"
    assert page.exists(), f"docs/modules/{name}.md is missing"
    text = page.read_text()
    assert sync_page(text, REGISTRY[name]) == text, (
        f"docs/modules/{name}.md drifted from the spec: run "
        "`python -m playbook_engine.reporting.moddoc docs/modules`"
    )
    assert f"]({name}.md)" in (PAGES / "index.md").read_text()


def test_a_table_is_regenerated_keeping_prose() -> None:
    module = REGISTRY["stat"]
    page = (
        "# sysctl\n\n## Arguments\n\n| Argument | Type | Default | Description |\n"
        "|--|--|--|--|\n| `path` | int | 3 | Hand-written. Aliases: `old`. |\n"
        "| `gone` | str | | Not in the spec. |\n\n## Return values\n"
    )
    new = sync_page(page, module)
    rows = [line for line in new.splitlines() if line.startswith("| `")]
    assert [r.split("`")[1] for r in rows] == list(module.args)
    assert rows[0] == "| `path` | path | required | Hand-written. Aliases: `dest`, `name`. |"
    assert new.endswith("\n\n## Return values\n") and sync_page(new, module) == new


def test_the_table_of_the_next_section_is_never_taken_for_the_arguments() -> None:
    """A page whose Arguments section is prose gets its table there; the Return values
    table after it stays (the generator overwrote it on two pages); a module without
    arguments keeps its prose."""
    page = (
        "# stat\n\n## Arguments\n\nSee `pbe doc stat`.\n\n## Return values\n\n"
        "| Key | Description |\n|--|--|\n| `stat` | what is there |\n"
    )
    new = sync_page(page, REGISTRY["stat"])
    arguments, returns = new.split("## Return values")
    assert "| `path` |" in arguments and "See `pbe doc stat`." in arguments
    assert "| `stat` | what is there |" in returns and "| `path` |" not in returns
    assert sync_page(new, REGISTRY["stat"]) == new
    bare = "# service_facts\n\n## Arguments\n\nNone.\n\n## Return values\n\n| Key |\n|--|\n"
    assert sync_page(bare, REGISTRY["service_facts"]) == bare
