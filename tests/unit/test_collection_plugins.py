"""Filter, test and lookup plugins of an installed collection, named by FQCN in templates,
load from the collection (its own module_utils imports too), as Ansible loads them."""

from __future__ import annotations

import uuid
from pathlib import Path

from playtree import write

import playbook_engine as pbe

INVENTORY = {"all": {"hosts": {"a": None}, "vars": {"ansible_connection": "local"}}}


def test_a_collections_filters_tests_and_lookups_by_fqcn(tmp_path: Path) -> None:
    ns = f"pbe{uuid.uuid4().hex[:8]}"
    plugins = f"collections/ansible_collections/{ns}/tools/plugins"
    site = write(
        tmp_path,
        {
            f"{plugins}/module_utils/shout.py": (
                "def shout(text):\n    return str(text).upper() + '!'\n"
            ),
            f"{plugins}/filter/words.py": (
                "from ansible.errors import AnsibleFilterError\n"
                f"from ansible_collections.{ns}.tools.plugins.module_utils.shout import shout\n\n"
                "class FilterModule(object):\n"
                "    def filters(self):\n"
                "        return {'shout': shout, 'kind': lambda v: type(v).__name__,\n"
                "                'braces': lambda v: '{{ ' + v + ' }}'}\n"
            ),
            f"{plugins}/test/odd.py": (
                "class TestModule(object):\n"
                "    def tests(self):\n"
                "        return {'odd': lambda v: int(v) % 2 == 1}\n"
            ),
            f"{plugins}/lookup/twice.py": (
                "from ansible.plugins.lookup import LookupBase\n\n"
                "class LookupModule(LookupBase):\n"
                "    def run(self, terms, variables=None, **kwargs):\n"
                "        return [t * 2 for t in terms]\n"
            ),
            "site.yml": (
                "- hosts: all\n  gather_facts: false\n  vars: {secret: s3}\n  tasks:\n"
                f"    - debug:\n        msg: \"{{{{ 'hi' | {ns}.tools.shout }}}} "
                f"{{{{ [1] | {ns}.tools.kind }}}} {{{{ 3 is {ns}.tools.odd }}}} "
                f"{{{{ lookup('{ns}.tools.twice', 'ab') }}}}\"\n"
                f"    - debug:\n        msg: \"{{{{ 'secret' | {ns}.tools.braces }}}}\"\n"
                "    - debug:\n        msg: \"{{ 'hi' | shout | default('short names: no') }}\"\n"
                "      ignore_errors: true\n"
            ),
        },
    )
    problems = [p.message for p in pbe.validate(site)]
    assert problems == ["unknown filter `shout`"]  # only the short name: not a collection's
    result = pbe.run(site, INVENTORY)
    messages = [r.result.get("msg") for r in result.results]
    assert messages[:2] == [
        "HI! list True abab",
        "{{ secret }}",  # what a plugin returns is data: never rendered again
    ]
    assert result.results[2].status == "failed"
