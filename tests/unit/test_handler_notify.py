"""Which handlers a notify reaches and when they run, as ansible-core 2.21 does: role-name
qualified names, collection roles, one handler per name, listen topics as written, a
templated notify giving a list, include_role's handlers, and notify loops across flushes."""

from __future__ import annotations

from pathlib import Path

from playtree import write

import playbook_engine as pbe

INVENTORY = {"all": {"hosts": {"a": None}, "vars": {"ansible_connection": "local"}}}


def ran(result: pbe.RunResult) -> list[str]:
    """The ``msg`` of every debug that ran on host a, in order."""
    return [
        str(r.result.get("msg"))
        for r in result.results
        if r.host == "a" and r.action == "debug" and r.status in ("ok", "changed")
    ]


def play(tasks: str, handlers: str, roles: str = "") -> str:
    head = "- hosts: all\n  gather_facts: false\n"
    return head + roles + "  tasks:\n" + tasks + "  handlers:\n" + handlers


def test_a_role_handler_is_reached_by_role_and_collection_qualified_names(
    tmp_path: Path,
) -> None:
    col = "collections/ansible_collections/ns/col/roles/web"
    site = write(
        tmp_path,
        {
            "roles/web/tasks/main.yml": "- debug: msg=web\n",
            "roles/web/handlers/main.yml": (
                "- name: restart\n  debug: msg=web-restart\n"
                "- name: reload\n  debug: msg=web-reload\n  listen: topic\n"
            ),
            f"{col}/handlers/main.yml": "- name: col\n  debug: msg=col-topic\n  listen: ctopic\n",
            "site.yml": play(
                "    - command: 'true'\n      notify: ['web : restart', 'web : topic']\n"
                "    - meta: flush_handlers\n"
                "    - command: 'true'\n      notify: ['web : ctopic', 'ns.col.web : ctopic']\n",
                "    - name: restart\n      debug: msg=play-restart\n",
                "  roles: [web, ns.col.web]\n",
            ),
        },
    )
    result = pbe.run(site, INVENTORY)
    assert result.exit_code == 0, result.error
    # the second notify list names the collection's listener twice: it runs once
    assert ran(result) == ["web", "web-restart", "web-reload", "col-topic"]


def test_a_name_reaches_one_handler_a_topic_every_listener(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "roles/r/tasks/main.yml": "- debug: msg=role\n",
            "roles/r/handlers/main.yml": "- name: restart\n  debug: msg=role-restart\n",
            "site.yml": play(
                "    - command: 'true'\n      notify: restart\n",
                "    - name: restart\n      debug: msg=first\n"
                "    - name: restart\n      debug: msg=second\n"
                "    - name: other\n      debug: msg=listener\n      listen: restart\n",
                "  roles: [r]\n",
            ),
        },
    )
    result = pbe.run(site, INVENTORY)
    assert result.exit_code == 0, result.error
    # the play's own handler wins over the role's of the same name; of two, the first
    assert ran(result) == ["role", "first", "listener"]


def test_listen_topics_are_not_templated_and_a_notify_may_render_to_a_list(
    tmp_path: Path,
) -> None:
    site = write(
        tmp_path,
        {
            "site.yml": (
                "- hosts: all\n  gather_facts: false\n  force_handlers: true\n"
                "  vars: {topic: t, names: [h1, h2]}\n"
                "  tasks:\n"
                "    - command: 'true'\n      notify: '{{ names }}'\n"
                "    - name: topic\n      command: 'true'\n      notify: '{{ topic }}'\n"
                "  handlers:\n"
                "    - name: templated listen\n      debug: msg=never\n"
                "      listen: '{{ topic }}'\n"
                "    - name: h1\n      debug: msg=one\n"
                "    - name: h2\n      debug: msg=two\n"
            )
        },
    )
    result = pbe.run(site, INVENTORY)
    assert ran(result) == ["one", "two"]
    # `t` is no topic (`{{ topic }}` is one, as written): Ansible stops there with an error
    topic = [r for r in result.results if r.task_name == "topic" and r.host == "a"]
    assert [(r.status, r.message) for r in topic] == [
        ("failed", "notify names no handler of this play: `t`")
    ]


def test_include_role_handlers_answer_once_it_has_run(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "roles/outer/tasks/main.yml": "- import_role:\n    name: inner\n",
            "roles/inner/tasks/main.yml": (
                "- command: 'true'\n  notify: h\n- meta: flush_handlers\n"
            ),
            "roles/inner/handlers/main.yml": "- name: h\n  debug: msg=inner-h\n",
            "site.yml": play(
                "    - command: 'true'\n      notify: h\n"
                "    - meta: flush_handlers\n"
                "    - include_role:\n        name: outer\n",
                "    - name: h\n      debug: msg=play-h\n",
            ),
        },
    )
    result = pbe.run(site, INVENTORY)
    assert result.exit_code == 0, result.error
    # before the include_role the play's `h` is the only one; after it, the role's
    # (loaded last, by the role's own import_role) is found first
    assert ran(result) == ["play-h", "inner-h"]


def test_a_handler_notifying_itself_or_an_earlier_one_runs_at_the_next_flush(
    tmp_path: Path,
) -> None:
    site = write(
        tmp_path,
        {
            "site.yml": play(
                "    - command: 'true'\n      notify: h2\n"
                "    - meta: flush_handlers\n"
                "    - debug: msg=between\n"
                "  post_tasks:\n    - debug: msg=post\n",
                "    - name: h1\n      debug: msg=h1\n      changed_when: true\n      notify: h1\n"
                "    - name: h2\n      debug: msg=h2\n      changed_when: true\n      notify: h1\n",
            )
        },
    )
    result = pbe.run(site, INVENTORY)
    assert result.exit_code == 0, result.error
    # h1 loops on itself: once per flush point, and the play ends the loop
    assert ran(result) == ["h2", "between", "h1", "post", "h1"]


def errors(site: Path) -> list[str]:
    return [f"{p.location.line}: {p.message}" for p in pbe.validate(site) if p.severity == "error"]


def test_what_cannot_be_a_handler_is_a_located_validation_error(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "more.yml": (
                "- name: grouped\n  block:\n    - debug: msg=fine\n"
                "    - block:\n        - debug: msg=nested\n"
            ),
            "roles/r/tasks/main.yml": "- debug: msg=r\n",
            "roles/r/handlers/main.yml": "- name: flush\n  meta: flush_handlers\n",
            "site.yml": play(
                "    - command: 'true'\n      notify: [role, flush]\n",
                "    - name: role\n      include_role:\n        name: r\n"
                "    - import_tasks: more.yml\n",
                "  roles: [r]\n",
            ),
        },
    )
    assert errors(site) == [
        "8: `include_role` can't be a handler (Ansible rejects it too)",
        "4: a block inside a handler's block can't be a handler (Ansible rejects it too)",
    ]
    top = write(
        tmp_path / "top",
        {
            "site.yml": play(
                "    - command: 'true'\n      notify: a\n",
                "    - block:\n        - name: a\n          debug: msg=a\n",
            )
        },
    )
    assert errors(top) == []
    assert ran(pbe.run(top, INVENTORY)) == ["a"]


def test_a_flush_handler_fails_only_if_notified(tmp_path: Path) -> None:
    """lablabs.rke2's handlers carry a `meta: flush_handlers` nothing notifies: Ansible
    runs the play; notified, it fails there."""
    site = write(
        tmp_path,
        {
            "site.yml": play(
                "    - debug: msg=ran\n"
                "    - command: 'true'\n      notify: '{{ flush_it | default(\"none\") }}'\n",
                "    - name: Flush handlers\n      meta: flush_handlers\n"
                "    - name: none\n      debug: msg=none\n",
            )
        },
    )
    problems = pbe.validate(site)
    assert [p.severity for p in problems] == ["warning"]
    assert "fails if notified" in problems[0].message
    assert pbe.run(site, INVENTORY).exit_code == 0
    failed = pbe.run(site, INVENTORY, extra_vars={"flush_it": "Flush handlers"})
    assert failed.exit_code == 2
    assert failed.results[-1].result["msg"] == "flush_handlers cannot be used as a handler"


def test_a_meta_handler_is_not_shown_and_a_failed_host_flushes_in_always(tmp_path: Path) -> None:
    inventory = {"all": {"hosts": {"a": None, "b": None}, "vars": {"ansible_connection": "local"}}}
    site = write(
        tmp_path,
        {
            "site.yml": play(
                "    - command: 'true'\n      notify: noop\n"
                "    - block:\n"
                "        - fail: {msg: boom}\n          when: inventory_hostname == 'a'\n"
                "      always:\n"
                "        - command: 'true'\n          notify: in always\n"
                "        - meta: flush_handlers\n",
                "    - name: noop\n      meta: noop\n"
                "    - name: in always\n      debug: msg=always-handler\n",
            )
        },
    )
    result = pbe.run(site, inventory)
    assert result.exit_code == 2
    shown = [(r.task_name, r.host) for r in result.results if r.status != "skipped"]
    assert [h for name, h in shown if name == "noop"] == []  # b ran it: not shown, not counted
    assert result.stats["b"]["ok"] == 3
    # host a failed in the block, and still runs the handler its always section flushes
    assert [h for name, h in shown if name == "in always"] == ["a", "b"]


def test_an_imported_roles_handlers_inherit_the_import_lines_keywords(tmp_path: Path) -> None:
    """``import_role`` with ``delegate_to``: its tasks and its handlers are delegated (the
    handler's parent is the import line in Ansible); a plain role's handlers are not."""
    inventory = {
        "all": {
            "hosts": {"a": None, "d": None},
            "vars": {"ansible_connection": "local"},
        }
    }
    site = write(
        tmp_path,
        {
            "roles/r/tasks/main.yml": (
                "- command: 'true'\n  notify: h\n"
                "- debug: msg='task {{ ansible_delegated_vars is defined }}'\n"
            ),
            "roles/r/handlers/main.yml": (
                "- name: h\n  debug: msg='handler {{ ansible_delegated_vars is defined }}'\n"
            ),
            "roles/s/tasks/main.yml": "- command: 'true'\n  notify: hs\n",
            "roles/s/handlers/main.yml": (
                "- name: hs\n  debug: msg='plain {{ ansible_delegated_vars is defined }}'\n"
            ),
            "site.yml": (
                "- hosts: a\n  gather_facts: false\n  tasks:\n"
                "    - import_role: {name: r}\n      delegate_to: d\n"
                "    - import_role: {name: s}\n"
            ),
        },
    )
    result = pbe.run(site, inventory)
    assert result.exit_code == 0
    assert ran(result) == ["task True", "handler True", "plain False"]


def test_names_are_rendered_with_the_roles_defaults(tmp_path: Path) -> None:
    """A role's task and handler names may use its defaults (`restart {{ svc }}`), as
    Ansible shows and matches them; an imported file's tasks too."""
    site = write(
        tmp_path,
        {
            "roles/r/defaults/main.yml": "svc: web\n",
            "roles/r/tasks/main.yml": "- import_tasks: more.yml\n",
            "roles/r/tasks/more.yml": (
                "- name: 'configure {{ svc }}'\n  command: 'true'\n  notify: restart web\n"
            ),
            "roles/r/handlers/main.yml": "- name: 'restart {{ svc }}'\n  debug: msg=restarted\n",
            "site.yml": "- hosts: all\n  gather_facts: false\n  roles: [r]\n",
        },
    )
    result = pbe.run(site, INVENTORY)
    assert [(r.task_name, r.status) for r in result.results] == [
        ("r : configure web", "changed"),
        ("r : restart web", "ok"),
    ]
    assert ran(result) == ["restarted"]


def test_handlers_of_roles_read_at_run_time_answer_their_notify(tmp_path: Path) -> None:
    """A templated include_role, or a role a templated include_tasks file includes, brings
    its handlers when it runs, as in Ansible (they never ran before: nothing had them)."""
    site = write(
        tmp_path,
        {
            "roles/dyn/tasks/main.yml": "- command: 'true'\n  notify: dyn handler\n",
            "roles/dyn/handlers/main.yml": "- name: dyn handler\n  debug: msg=dyn\n",
            "roles/deep/tasks/main.yml": "- command: 'true'\n  notify: deep handler\n",
            "roles/deep/handlers/main.yml": "- name: deep handler\n  debug: msg=deep\n",
            "more.yml": "- include_role: {name: deep}\n",
            "site.yml": (
                "- hosts: all\n  gather_facts: false\n  strategy: STRATEGY\n"
                "  vars: {r: dyn, f: more}\n  tasks:\n"
                "    - include_role: {name: '{{ r }}'}\n"
                "    - include_tasks: '{{ f }}.yml'\n"
            ),
        },
    )
    two = {"all": {"hosts": {"a": None, "b": None}, "vars": {"ansible_connection": "local"}}}
    text = site.read_text()
    for strategy in ("linear", "free"):
        site.write_text(text.replace("STRATEGY", strategy))
        result = pbe.run(site, two)
        assert result.exit_code == 0, strategy
        handled = sorted(
            (r.host, r.result.get("msg")) for r in result.results if r.action == "debug"
        )
        assert handled == [("a", "deep"), ("a", "dyn"), ("b", "deep"), ("b", "dyn")], strategy


def test_with_force_handlers_a_failed_handler_ends_the_hosts_handlers(tmp_path: Path) -> None:
    """roots/trellis (force_handlers = True): the task fails, the notified handlers run,
    and the first one failing ends that host's handlers, as ansible-core 2.21 does."""
    site = write(
        tmp_path,
        {
            "site.yml": play(
                "    - command: 'true'\n      changed_when: true\n      notify: [first, second]\n"
                "    - fail: msg=task\n",
                "    - name: first\n      fail: msg=first fails\n"
                "    - name: second\n      debug: msg=second ran\n",
                "  force_handlers: true\n",
            )
        },
    )
    result = pbe.run(site, INVENTORY)
    assert [(r.task_name, r.status) for r in result.results] == [
        ("command", "changed"),
        ("fail", "failed"),
        ("first", "failed"),
    ]
