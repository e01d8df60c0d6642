"""Inventory loading, variable precedence, host patterns and validation messages.

Expected behaviour is ansible-core's (YAML and INI inventory plugins, host_group_vars,
host patterns), so that existing Ansible inventories mean the same thing under pbe.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from playbook_engine.errors import InventoryError, NoHostsMatched, PbeError, ValidationFailed
from playbook_engine.inventory import (
    Host,
    Inventory,
    VarsDirs,
    empty_inventory,
    inventory_from_dict,
    load_inventory,
    load_vars_dirs,
)
from playbook_engine.inventory.ini import parse_value
from playbook_engine.inventory.patterns import HostRangeError, expand_host_range, parse_host_spec

DATA = Path(__file__).parent / "data" / "inventory"


def write(base: Path, name: str, text: str) -> Path:
    path = base / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def load(base: Path, name: str, text: str) -> Inventory:
    return load_inventory([write(base, name, text)])


def names(hosts: list[Host]) -> list[str]:
    return [h.name for h in hosts]


def failure(base: Path, name: str, text: str) -> tuple[Path, str]:
    """Load a broken inventory; return its path and the full error text."""
    path = write(base, name, text)
    with pytest.raises(ValidationFailed) as info:
        load_inventory([path])
    return path, str(info.value)


# --- YAML and INI mean the same thing --------------------------------------------------


@pytest.fixture(scope="module")
def both() -> tuple[Inventory, Inventory]:
    return load_inventory([DATA / "yaml" / "hosts.yml"]), load_inventory([DATA / "ini" / "hosts"])


def test_yaml_and_ini_give_the_same_hosts_in_the_same_order(both: tuple[Inventory, ...]) -> None:
    yaml_inv, ini_inv = both
    expected = [
        "bastion",
        "web01.example.com",
        "web02.example.com",
        "web03.example.com",
        "db-a",
        "db-b",
        "db-c",
    ]
    assert list(yaml_inv.hosts) == expected
    assert list(ini_inv.hosts) == expected


def test_yaml_and_ini_give_the_same_groups(both: tuple[Inventory, ...]) -> None:
    yaml_inv, ini_inv = both
    assert yaml_inv.groups_map() == ini_inv.groups_map()
    assert yaml_inv.groups_map() == {
        "all": list(yaml_inv.hosts),
        "ungrouped": ["bastion"],
        "web": ["web01.example.com", "web02.example.com", "web03.example.com"],
        "db": ["db-a", "db-b", "db-c"],
        "prod": [
            "web01.example.com",
            "web02.example.com",
            "web03.example.com",
            "db-a",
            "db-b",
            "db-c",
        ],
    }
    for inv in both:
        assert "prod" in inv.group("web").parents
        assert inv.group("prod").children == ["web", "db"]
        assert (inv.group("prod").depth, inv.group("web").depth) == (1, 2)


def test_yaml_and_ini_give_the_same_variables(both: tuple[Inventory, ...]) -> None:
    yaml_inv, ini_inv = both
    for host in yaml_inv.hosts:
        assert yaml_inv.host_vars(host) == ini_inv.host_vars(host), host
        assert yaml_inv.group_names(host) == ini_inv.group_names(host), host
        assert yaml_inv.hosts[host].groups == ini_inv.hosts[host].groups, host


def test_variables_follow_ansible_precedence(both: tuple[Inventory, ...]) -> None:
    inv = both[0]
    assert inv.host_vars("web02.example.com") == {
        "ntp_server": "ntp.internal",  # group_vars/all.yml beats inline all vars
        "role": "web",  # child group beats all
        "tier": "front-from-dir",  # group_vars/web/ beats inline web and prod vars
        "env": "prod",  # inherited from parent group
        "max_clients": 200,  # later file in group_vars/web/ wins
        "http_port": 8080,
    }
    assert inv.host_vars("db-a")["ansible_port"] == 2222  # from `db-[a:b]:2222`
    assert inv.host_vars("db-c")["primary"] is False  # host_vars/db-c beats inline
    assert inv.host_vars("db-c")["backup_window"] == "02:00"
    assert inv.host_vars("bastion") == {
        "ntp_server": "ntp.internal",
        "role": "generic",
        "ansible_host": "192.0.2.10",
    }


def test_host_groups_and_group_names(both: tuple[Inventory, ...]) -> None:
    inv = both[0]
    assert inv.hosts["web01.example.com"].groups == ("all", "prod", "web")
    assert inv.group_names("web01.example.com") == ["prod", "web"]
    # Ansible drops only `all`: an ungrouped host has group_names == ["ungrouped"].
    assert inv.group_names("bastion") == ["ungrouped"]


# --- YAML structure ---------------------------------------------------------------------


def test_host_in_several_groups_merges_its_vars(tmp_path: Path) -> None:
    inv = load(
        tmp_path,
        "hosts.yml",
        """
        web:
          hosts:
            h1: {a: 1, b: 1}
        db:
          hosts:
            h1: {b: 2, c: {x: 1}}
            h2:
        backup:
          hosts:
            h1: {c: {y: 2}}
    """,
    )
    assert inv.hosts["h1"].vars == {"a": 1, "b": 2, "c": {"y": 2}}  # dicts replaced, not merged
    assert inv.hosts["h1"].groups == ("all", "backup", "db", "web")
    assert inv.groups_map()["all"] == ["h1", "h2"]
    assert inv.groups_map()["ungrouped"] == []


def test_group_referenced_in_several_places_is_one_group(tmp_path: Path) -> None:
    inv = load(
        tmp_path,
        "hosts.yml",
        """
        all:
          children:
            eu:
              children:
                web:
                  hosts: {w1: }
            us:
              children:
                web:
                  hosts: {w2: }
        web:
          vars: {port: 80}
    """,
    )
    web = inv.group("web")
    assert web.hosts == ["w1", "w2"]
    assert web.parents == ["eu", "us"]
    assert web.vars == {"port": 80}
    assert inv.group("all").children == ["ungrouped", "eu", "us"]
    assert inv.hosts["w2"].groups == ("all", "eu", "us", "web")


def test_top_level_groups_become_children_of_all(tmp_path: Path) -> None:
    inv = load(
        tmp_path,
        "hosts.yml",
        """
        web:
          hosts: {w1: }
        all:
          hosts: {lone: }
        empty:
    """,
    )
    assert inv.group("all").children == ["ungrouped", "web", "empty"]
    assert inv.group("empty").parents == ["all"]
    assert inv.groups_map()["ungrouped"] == ["lone"]
    assert inv.groups_map()["empty"] == []


def test_string_shorthand_for_one_host_or_child(tmp_path: Path) -> None:
    inv = load(
        tmp_path,
        "hosts.yml",
        """
        prod:
          children: web
        web:
          hosts: w1
    """,
    )
    assert inv.groups_map()["prod"] == ["w1"]


def test_hosts_keep_file_order_within_a_group(tmp_path: Path) -> None:
    inv = load(
        tmp_path,
        "hosts.yml",
        """
        all:
          hosts: {first: }
          children:
            g:
              hosts: {zeta: , alpha: }
    """,
    )
    assert list(inv.hosts) == ["first", "zeta", "alpha"]
    assert names(inv.select("g")) == ["zeta", "alpha"]


def test_yaml_duplicate_keys_are_warnings(tmp_path: Path) -> None:
    inv = load(
        tmp_path,
        "hosts.yml",
        """
        web:
          hosts: {w1: }
        web:
          hosts: {w2: }
    """,
    )
    assert list(inv.hosts) == ["w2"]
    assert any("duplicate key `web`" in w.message for w in inv.warnings)


def test_from_dict_and_empty() -> None:
    inv = inventory_from_dict({"all": {"hosts": {"a": {"x": 1}}, "children": {"g": None}}})
    assert names(inv.select("all")) == ["a"]
    assert inv.host_vars("a") == {"x": 1}
    empty = empty_inventory()
    assert empty.groups_map() == {"all": [], "ungrouped": []}
    assert empty.select("all") == []


def test_from_dict_errors_name_the_source() -> None:
    with pytest.raises(ValidationFailed) as info:
        inventory_from_dict({"all": {"hosts": ["a"]}}, source="api")
    assert "api: `hosts` of group `all` must be a mapping of host names, not a list" in str(
        info.value
    )


# --- INI specifics ----------------------------------------------------------------------


def test_ini_sections_comments_and_inline_vars(tmp_path: Path) -> None:
    inv = load(
        tmp_path,
        "hosts.ini",
        """
        # comment
        ; another comment
        top1 a=1

        [web]  # trailing comment
        web1 port=8080 name="my web" flag=True opt=yes items='[1, 2]'  # ignored
        web1 extra=1

        [dbs:children]
        db

        [db]
        db1

        [dbs:vars]
        greeting = hello world
        count=3
    """,
    )
    assert inv.hosts["web1"].vars == {
        "port": 8080,
        "name": "my web",
        "flag": True,
        "opt": "yes",
        "items": [1, 2],
        "extra": 1,
    }
    assert inv.host_vars("db1") == {"greeting": "hello world", "count": 3}
    assert inv.groups_map()["ungrouped"] == ["top1"]
    assert inv.group("dbs").children == ["db"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("8080", 8080),
        ("3.5", 3.5),
        ("True", True),
        ("false", "false"),
        ("yes", "yes"),
        ("'quoted'", "quoted"),
        ('"42"', "42"),
        ("None", None),
        ("[1, 'a']", [1, "a"]),
        ("{'k': 1}", {"k": 1}),
        ("(1, 2)", [1, 2]),
        ("1.2.3.4", "1.2.3.4"),
        ("010", "010"),
        ("", ""),
        ("a b", "a b"),
        ("2j", "2j"),
        ("...", "..."),
        ("b'x'", "x"),
    ],
)
def test_ini_values_are_read_like_ansible(text: str, value: Any) -> None:
    assert parse_value(text) == value


def test_ini_children_may_be_declared_later_or_in_an_earlier_source(tmp_path: Path) -> None:
    first = write(tmp_path, "a.ini", "[web]\nw1\n")
    second = write(tmp_path, "b.ini", "[prod:children]\nweb\nlater\n[later]\nl1\n")
    inv = load_inventory([first, second])
    assert inv.groups_map()["prod"] == ["w1", "l1"]


def test_content_detection_without_extension(tmp_path: Path) -> None:
    yaml_inv = load(tmp_path, "inv1", "all:\n  hosts:\n    h1:\n")
    ini_inv = load(tmp_path, "inv2", "h1:2222\n")  # parses as YAML {h1: 2222}, but is INI
    assert list(yaml_inv.hosts) == ["h1"]
    assert ini_inv.hosts["h1"].vars == {"ansible_port": 2222}


# --- ranges, ports and host lists ---------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("web[01:03].example.com", ["web01.example.com", "web02.example.com", "web03.example.com"]),
        ("db-[a:c]", ["db-a", "db-b", "db-c"]),
        ("n[1:10:4]", ["n1", "n5", "n9"]),
        ("n[:2]", ["n0", "n1", "n2"]),
        ("r[1:2]c[a:b]", ["r1ca", "r1cb", "r2ca", "r2cb"]),
        ("n[8:11]", ["n8", "n9", "n10", "n11"]),
        ("plain", ["plain"]),
    ],
)
def test_host_ranges(spec: str, expected: list[str]) -> None:
    assert expand_host_range(spec) == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("web1:2222", (["web1"], 2222)),
        ("web[1:2]:22", (["web1", "web2"], 22)),
        ("192.0.2.1:22", (["192.0.2.1"], 22)),
        ("2001:db8::1", (["2001:db8::1"], None)),
        ("[2001:db8::1]:2200", (["2001:db8::1"], 2200)),
        ("web[1:2]", (["web1", "web2"], None)),
    ],
)
def test_host_spec_ports(spec: str, expected: tuple[list[str], int | None]) -> None:
    assert parse_host_spec(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("web[5:1]", "runs backwards"),
        ("web[01:5]", "equal length"),
        ("web[1:]", "no end value"),
        ("web[a:3]", "must be numbers"),
        ("web[1:3", "unclosed `[`"),
        ("web[1:2:0]", "step `0`"),
        ("web[1]", "must be [begin:end]"),
        ("web1:", "ends with `:`"),
        ("web1:99999", "invalid port"),
    ],
)
def test_bad_host_ranges(spec: str, message: str) -> None:
    with pytest.raises(HostRangeError, match=message.replace("[", r"\[")):
        parse_host_spec(spec)


def test_comma_separated_host_list() -> None:
    inv = load_inventory(["h1, h2:2222,"])
    assert list(inv.hosts) == ["h1", "h2"]
    assert inv.groups_map()["ungrouped"] == ["h1", "h2"]
    assert inv.hosts["h2"].vars == {"ansible_port": 2222}
    assert list(load_inventory(["solo,"]).hosts) == ["solo"]


# --- directories and vars dirs ----------------------------------------------------------


def test_directory_source_loads_every_inventory_file(tmp_path: Path) -> None:
    inv_dir = tmp_path / "inventory"
    write(inv_dir, "01-web.yml", "web:\n  hosts:\n    w1:\n")
    write(inv_dir, "02-db.ini", "[db]\nd1\n")
    write(inv_dir, "sub/03-more", "[web]\nw2\n")
    write(inv_dir, "README.md", "# not an inventory\n")
    write(inv_dir, ".hidden", "garbage [\n")
    write(inv_dir, "group_vars/web.yml", "port: 80\n")
    write(inv_dir, "host_vars/d1.yaml", "role: db\n")
    inv = load_inventory([inv_dir])
    assert list(inv.hosts) == ["w1", "d1", "w2"]
    assert inv.host_vars("w2") == {"port": 80}
    assert inv.host_vars("d1") == {"role": "db"}


def test_vars_dirs_first_found_name_wins(tmp_path: Path) -> None:
    write(tmp_path, "group_vars/web", "a: no-ext\n")
    write(tmp_path, "group_vars/web.yml", "a: yml\n")
    write(tmp_path, "group_vars/db.json", '{"a": "json"}\n')
    write(tmp_path, "host_vars/w1.example.com", "h: 1\n")
    write(tmp_path, "host_vars/w2.example.com.yml", "h: 2\n")
    write(tmp_path, "host_vars/w3/a.yml", "h: 3\nx: a\n")
    write(tmp_path, "host_vars/w3/b/c.yaml", "x: c\n")
    write(tmp_path, "host_vars/w3/notes.txt", "not: loaded\n")
    dirs = load_vars_dirs(tmp_path)
    assert dirs.group_vars == {"db": {"a": "json"}, "web": {"a": "no-ext"}}
    assert dirs.host_vars == {
        "w1.example.com": {"h": 1},
        "w2.example.com": {"h": 2},
        "w3": {"h": 3, "x": "c"},
    }


def test_load_vars_dirs_reports_bad_files(tmp_path: Path) -> None:
    bad = write(tmp_path, "group_vars/web.yml", "- a\n- b\n")
    write(tmp_path, "group_vars/db.yml", "$ANSIBLE_VAULT;1.1;AES256\n6162\n")
    with pytest.raises(ValidationFailed) as info:
        load_vars_dirs(tmp_path)
    text = str(info.value)
    assert f"{bad}:1:1: a vars file must be a mapping of variable names, not a list" in text
    assert "vault-encrypted vars files are not supported" in text


def test_vars_dir_naming_no_group_is_a_warning_with_suggestion(tmp_path: Path) -> None:
    write(tmp_path, "group_vars/webserver.yml", "a: 1\n")
    inv = load(tmp_path, "hosts.yml", "webservers:\n  hosts:\n    w1:\n")
    assert [str(w.message) for w in inv.warnings] == [
        "group_vars/webserver matches no group in the inventory"
    ]
    assert inv.warnings[0].hint == "did you mean `webservers`?"


def test_playbook_vars_layer_between_inventory_layers(tmp_path: Path) -> None:
    write(tmp_path, "group_vars/all.yml", "a: inv-all\nb: inv-all\n")
    write(tmp_path, "group_vars/web.yml", "b: inv-web\nc: inv-web\n")
    inv = load(tmp_path, "hosts.yml", "web:\n  hosts:\n    w1: {d: inline}\n")
    play = VarsDirs(
        {"all": {"a": "play-all", "b": "play-all"}, "web": {"c": "play-web"}},
        {"w1": {"d": "play-host"}},
    )
    assert inv.host_vars("w1", play) == {
        "a": "play-all",
        "b": "inv-web",
        "c": "play-web",
        "d": "play-host",
    }


# --- precedence ---------------------------------------------------------------------------


def test_child_beats_parent_and_host_beats_group(tmp_path: Path) -> None:
    inv = load(
        tmp_path,
        "hosts.yml",
        """
        all:
          vars: {v: all, w: all, x: all}
          children:
            parent:
              vars: {v: parent, w: parent}
              children:
                child:
                  vars: {v: child}
                  hosts:
                    h1: {x: host}
    """,
    )
    assert inv.host_vars("h1") == {"v": "child", "w": "parent", "x": "host"}


def test_same_depth_groups_merge_alphabetically(tmp_path: Path) -> None:
    inv = load(
        tmp_path,
        "hosts.yml",
        """
        zeta:
          vars: {v: zeta}
          hosts: {h1: }
        alpha:
          vars: {v: alpha}
          hosts: {h1: }
    """,
    )
    assert inv.host_vars("h1")["v"] == "zeta"


def test_ansible_group_priority_overrides_alphabetical_order(tmp_path: Path) -> None:
    inv = load(
        tmp_path,
        "hosts.yml",
        """
        zeta:
          vars: {v: zeta}
          hosts: {h1: }
        alpha:
          vars: {v: alpha, ansible_group_priority: 10}
          hosts: {h1: }
    """,
    )
    assert inv.host_vars("h1")["v"] == "alpha"
    assert inv.group("alpha").priority == 10
    assert "ansible_group_priority" not in inv.host_vars("h1")


def test_deeper_group_beats_higher_priority(tmp_path: Path) -> None:
    inv = load(
        tmp_path,
        "hosts.ini",
        """
        [parent]
        [parent:children]
        child
        [child]
        h1
        [parent:vars]
        v=parent
        ansible_group_priority=99
        [child:vars]
        v=child
    """,
    )
    assert inv.host_vars("h1")["v"] == "child"


def test_group_vars_dir_beats_inline_vars_of_a_deeper_group(tmp_path: Path) -> None:
    write(tmp_path, "group_vars/all.yml", "v: dir-all\n")
    inv = load(tmp_path, "hosts.yml", "web:\n  vars: {v: inline-web}\n  hosts:\n    w1:\n")
    assert inv.host_vars("w1")["v"] == "dir-all"  # Ansible: group_vars/all > inventory vars


def test_host_vars_dir_beats_inline_host_vars(tmp_path: Path) -> None:
    write(tmp_path, "host_vars/w1.yml", "v: dir\n")
    inv = load(tmp_path, "hosts.yml", "web:\n  hosts:\n    w1: {v: inline, u: inline}\n")
    assert inv.host_vars("w1") == {"v": "dir", "u": "inline"}
    assert inv.hosts["w1"].vars == {"v": "dir", "u": "inline"}


def test_later_source_overrides_earlier(tmp_path: Path) -> None:
    a = write(tmp_path, "a/hosts.yml", "web:\n  vars: {v: a}\n  hosts:\n    w1: {h: a}\n")
    b = write(tmp_path, "b/hosts.yml", "web:\n  vars: {v: b}\n  hosts:\n    w1: {h: b}\n")
    write(tmp_path, "a/group_vars/web.yml", "d: a\n")
    write(tmp_path, "b/group_vars/web.yml", "d: b\n")
    assert load_inventory([a, b]).host_vars("w1") == {"v": "b", "h": "b", "d": "b"}


# --- host patterns ----------------------------------------------------------------------


@pytest.fixture
def fleet(tmp_path: Path) -> Inventory:
    return load(
        tmp_path,
        "hosts.yml",
        """
        all:
          hosts:
            lone:
          children:
            web:
              hosts:
                web1.example.com:
                web2.example.com:
                web3.example.com:
            db:
              hosts:
                db1.example.com:
                db2.example.com:
            staging:
              hosts:
                web3.example.com:
                db2.example.com:
            webfarm:
              children:
                web:
    """,
    )


WEB = ["web1.example.com", "web2.example.com", "web3.example.com"]
DB = ["db1.example.com", "db2.example.com"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("all", ["lone", *WEB, *DB]),
        ("*", ["lone", *WEB, *DB]),
        ("web", WEB),
        ("db1.example.com", ["db1.example.com"]),
        ("web*", WEB),  # groups web, webfarm and hosts web*: each host once
        ("*.example.com", [*WEB, *DB]),
        ("db?.example.com", DB),
        (r"~web\d\.example", WEB),
        (r"~(web|db)[13]", ["web1.example.com", "web3.example.com", "db1.example.com"]),
        ("db:web", [*DB, *WEB]),  # union keeps term order, as Ansible does
        ("db,web", [*DB, *WEB]),
        ("db,lone", [*DB, "lone"]),
        ("web:&staging", ["web3.example.com"]),
        ("web:!staging", ["web1.example.com", "web2.example.com"]),
        ("!staging", ["lone", "web1.example.com", "web2.example.com", "db1.example.com"]),
        ("&staging", ["web3.example.com", "db2.example.com"]),
        # Unions first, then intersections, then exclusions, wherever they are written:
        ("web:!staging:db", ["web1.example.com", "web2.example.com", "db1.example.com"]),
        ("!web3.example.com:&staging:web", []),
        ("!web3.example.com:&staging:web:db", ["db2.example.com"]),
        ("web[0]", ["web1.example.com"]),
        ("web[-1]", ["web3.example.com"]),
        ("web[0:1]", ["web1.example.com", "web2.example.com"]),  # inclusive, as Ansible
        ("web[1:]", ["web2.example.com", "web3.example.com"]),
        ("web[:1]", ["web1.example.com", "web2.example.com"]),
        ("web[7]", []),
        ("web[1]:db[0]", ["web2.example.com", "db1.example.com"]),
        ("nosuch", []),
        ("nosuch:db", DB),
        ("Web", []),  # case-sensitive
    ],
)
def test_select(fleet: Inventory, pattern: str, expected: list[str]) -> None:
    assert names(fleet.select(pattern)) == expected


def test_unmatched_reports_terms_that_matched_nothing(fleet: Inventory) -> None:
    assert fleet.unmatched("web:nosuch:!nothere:&staging") == ["nosuch", "nothere"]
    assert fleet.unmatched("web,db") == []
    assert fleet.unmatched("localhost") == []  # the implicit localhost matches


def test_unmatched_ignores_empty_groups(tmp_path: Path) -> None:
    inv = load(tmp_path, "hosts.yml", "empty:\nweb:\n  hosts: {w1: }\n")
    assert inv.select("empty") == []
    assert inv.unmatched("empty") == []


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("", "empty host pattern ''"),
        (" : ", "empty host pattern ' : '"),
        ("web:&", "host pattern 'web:&' has `&` with no name"),
        ("web,!", "host pattern 'web,!' has `!` with no name"),
        ("~(web", "invalid regular expression `(web` in host pattern '~(web'"),
        ("~", "has `~` with no regular expression"),
        ("web[:]", "subscript `[:]`"),
    ],
)
def test_bad_patterns_raise_inventory_error(fleet: Inventory, pattern: str, message: str) -> None:
    with pytest.raises(InventoryError) as info:
        fleet.select(pattern)
    assert message in str(info.value)


# --- implicit localhost --------------------------------------------------------------------


def test_implicit_localhost(fleet: Inventory) -> None:
    (local,) = fleet.select("localhost")
    assert local.implicit
    assert local.groups == ()
    assert local.vars == {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
    }
    assert "localhost" not in fleet.hosts
    assert "localhost" not in fleet.groups_map()["all"]
    assert "localhost" not in names(fleet.select("*"))
    assert fleet.select("local*") == []
    assert fleet.group_names("localhost") == []
    assert names(fleet.select("web[0]:localhost")) == ["web1.example.com", "localhost"]
    assert fleet.select("localhost")[0] is local


def test_implicit_localhost_gets_all_vars_and_host_vars(tmp_path: Path) -> None:
    write(tmp_path, "host_vars/localhost.yml", "ansible_python_interpreter: /usr/bin/python3\n")
    inv = load(tmp_path, "hosts.yml", "all:\n  vars: {a: 1, ansible_connection: ssh}\n")
    assert inv.host_vars("localhost") == {
        "a": 1,
        "ansible_connection": "local",
        "ansible_python_interpreter": "/usr/bin/python3",
    }


def test_inventory_localhost_is_used_when_defined(tmp_path: Path) -> None:
    inv = load(
        tmp_path,
        "hosts.yml",
        """
        local:
          hosts:
            localhost: {ansible_connection: local, a: 1}
        web:
          hosts: {w1: }
    """,
    )
    (local,) = inv.select("localhost")
    assert not local.implicit
    assert local.groups == ("all", "local")
    assert names(inv.select("127.0.0.1")) == ["localhost"]
    assert names(inv.select("all:!127.0.0.1")) == ["w1"]
    assert names(inv.select("all")) == ["localhost", "w1"]


# --- --limit ------------------------------------------------------------------------------


def test_limit_pattern(fleet: Inventory) -> None:
    hosts = fleet.select("web:db")
    assert names(fleet.limit(hosts, "staging")) == ["web3.example.com", "db2.example.com"]
    assert names(fleet.limit(hosts, "db2*,web1*")) == ["web1.example.com", "db2.example.com"]
    assert names(fleet.limit(hosts, "all:!db")) == WEB


def test_limit_from_retry_file(fleet: Inventory, tmp_path: Path) -> None:
    retry = write(tmp_path, "site.retry", "web2.example.com\n\ndb1.example.com\n")
    hosts = fleet.select("all")
    assert names(fleet.limit(hosts, f"@{retry}")) == ["web2.example.com", "db1.example.com"]
    assert names(fleet.limit(hosts, f"@{retry}:lone")) == [
        "lone",
        "web2.example.com",
        "db1.example.com",
    ]


def test_limit_matching_nothing_raises(fleet: Inventory, tmp_path: Path) -> None:
    with pytest.raises(NoHostsMatched) as info:
        fleet.limit(fleet.select("web"), "db")
    assert str(info.value) == "--limit pattern 'db' matched no hosts"
    assert isinstance(info.value, KeyError)
    empty = write(tmp_path, "empty.retry", "\n")
    with pytest.raises(NoHostsMatched):
        fleet.limit(fleet.select("web"), f"@{empty}")


def test_limit_missing_file(fleet: Inventory, tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="cannot read --limit file"):
        fleet.limit(fleet.select("web"), f"@{tmp_path / 'nope.retry'}")


def test_limit_keeps_implicit_localhost(fleet: Inventory) -> None:
    candidates = fleet.select("all") + fleet.select("localhost")
    assert names(fleet.limit(candidates, "localhost")) == ["localhost"]


# --- malformed inventories: every problem, at its line, with a suggestion -----------------


def test_unknown_group_key_suggests_the_right_one(tmp_path: Path) -> None:
    path, text = failure(
        tmp_path,
        "hosts.yml",
        """
        all:
          host:
            web1:
          children:
            web:
              child:
                sub:
    """,
    )
    assert f"{path}:2:3: group `all` has unknown key `host`" in text
    assert "hint: did you mean `hosts`?" in text
    assert f"{path}:6:7: group `web` has unknown key `child`" in text
    assert "hint: did you mean `children`?" in text
    assert "2 error(s) found" in text


def test_group_written_without_children_key(tmp_path: Path) -> None:
    path, text = failure(
        tmp_path,
        "hosts.yml",
        """
        all:
          webservers:
            hosts:
              w1:
    """,
    )
    assert f"{path}:2:3: group `all` has unknown key `webservers`" in text
    assert "put it under `children:`" in text


def test_hosts_as_a_list(tmp_path: Path) -> None:
    path, text = failure(
        tmp_path,
        "hosts.yml",
        """
        web:
          hosts:
            - web1
            - web2
    """,
    )
    assert f"{path}:3:5: `hosts` of group `web` must be a mapping of host names, not a list" in text
    assert "not as a `- web1` item" in text


def test_vars_as_a_list(tmp_path: Path) -> None:
    path, text = failure(
        tmp_path,
        "hosts.yml",
        """
        web:
          hosts: {w1: }
          vars:
            - port: 80
    """,
    )
    assert f"{path}:4:5: `vars` of group `web` must be a mapping, not a list" in text
    assert "without a leading `- `" in text


def test_host_vars_not_a_mapping(tmp_path: Path) -> None:
    path, text = failure(
        tmp_path,
        "hosts.yml",
        """
        web:
          hosts:
            w1: ansible_host=10.0.0.1
            w2: [1, 2]
    """,
    )
    assert (
        f"{path}:3:9: variables of host `w1` in group `web` must be a mapping, not a string" in text
    )
    assert "not INI-style `key=value`" in text
    assert (
        f"{path}:4:9: variables of host `w2` in group `web` must be a mapping, not a list" in text
    )


def test_children_as_a_list(tmp_path: Path) -> None:
    path, text = failure(
        tmp_path,
        "hosts.yml",
        """
        prod:
          children:
            - web
    """,
    )
    assert f"{path}:3:5: `children` of group `prod` must be a mapping of group names" in text
    assert "(`web:`)" in text


def test_group_cycle_names_the_cycle(tmp_path: Path) -> None:
    path, text = failure(
        tmp_path,
        "hosts.yml",
        """
        a:
          children:
            b:
              children:
                c:
        c:
          children:
            a:
    """,
    )
    assert f"{path}:8:5: group cycle: a -> b -> c -> a" in text
    assert "remove `a` from the children of `c`" in text


def test_group_that_contains_itself(tmp_path: Path) -> None:
    path, text = failure(
        tmp_path,
        "hosts.ini",
        """
        [a:children]
        a
    """,
    )
    assert f"{path}:2:1: group cycle: a -> a" in text


def test_bad_range_and_non_string_host_in_yaml(tmp_path: Path) -> None:
    path, text = failure(
        tmp_path,
        "hosts.yml",
        """
        web:
          hosts:
            web[05:1]:
            1234:
    """,
    )
    assert f"{path}:3:5: zero-padded host range `[05:1]`" in text
    assert f"{path}:4:5: host name `1234` in group `web` must be a string" in text
    assert 'hint: quote it: "1234":' in text


def test_bad_group_priority(tmp_path: Path) -> None:
    path, text = failure(
        tmp_path,
        "hosts.yml",
        """
        web:
          vars:
            ansible_group_priority: high
    """,
    )
    assert f"{path}:3:5: ansible_group_priority of group `web` must be an integer" in text


def test_yaml_syntax_error_in_yaml_file(tmp_path: Path) -> None:
    path, text = failure(
        tmp_path,
        "hosts.yml",
        """
        all:
          hosts:
            web1:
           bad indent: [
    """,
    )
    assert f"{path}:" in text
    assert "YAML syntax error" in text


def test_yaml_inventory_that_is_not_a_mapping(tmp_path: Path) -> None:
    path, text = failure(tmp_path, "hosts.yaml", "- web1\n- web2\n")
    assert f"{path}:1:1: a YAML inventory must be a mapping of group names, not a list" in text


def test_plugin_config_is_rejected(tmp_path: Path) -> None:
    path, text = failure(tmp_path, "aws_ec2.yml", "plugin: amazon.aws.aws_ec2\n")
    assert f"{path}:1:1: inventory plugin configurations" in text


def test_ini_errors_are_all_reported_with_lines(tmp_path: Path) -> None:
    path, text = failure(
        tmp_path,
        "hosts.ini",
        """
        [web]
        web1 ansible_port=22 oops
        web2 x="unclosed
        web[3:1]

        [web:child]
        foo

        [db server]
        db1

        [prod:children]
        web
        nosuch

        [ghost:vars]
        a=1

        [web:vars]
        novalue
    """,
    )
    expected = [
        (2, 22, "expected key=value after host `web1`, got `oops`"),
        (3, 1, "cannot parse host line: No closing quotation"),
        (4, 1, "host range `[3:1]` in `web[3:1]` runs backwards"),
        (6, 1, "unknown section type `child` in `[web:child]`"),
        (9, 1, "invalid section header `[db server]`"),
        (14, 1, "`[prod:children]` includes group `nosuch`, which is never defined"),
        (16, 1, "section `[ghost:vars]` sets variables of group `ghost`, which is never defined"),
        (20, 1, "expected key=value in `[web:vars]`, got `novalue`"),
    ]
    for line, col, message in expected:
        assert f"{path}:{line}:{col}: {message}" in text
    assert "hint: did you mean `[web:children]`?" in text
    assert "hint: declare it with a `[nosuch]` section" in text
    assert f"{len(expected)} error(s) found" in text


def test_ini_yaml_marker_and_trailing_colon(tmp_path: Path) -> None:
    path, text = failure(tmp_path, "hosts.ini", "web1:\n---\n")
    assert f"{path}:1:1: host entry `web1:` ends with `:`" in text
    assert f"{path}:2:1: `---` starts a YAML document" in text


def test_inventory_script_is_rejected(tmp_path: Path) -> None:
    path, text = failure(tmp_path, "inventory.py", "#!/usr/bin/env python\nprint('{}')\n")
    assert f"{path}: inventory scripts are not supported" in text


def test_missing_source_is_an_inventory_error(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="inventory source not found"):
        load_inventory([tmp_path / "nope.yml"])


def test_problems_from_several_sources_are_reported_together(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yml", "web:\n  host:\n    w1:\n")
    b = write(tmp_path, "b.ini", "[db:kids]\n")
    with pytest.raises(ValidationFailed) as info:
        load_inventory([a, b])
    assert [p.location.line for p in info.value.problems if p.location] == [2, 1]
    assert f"{a}:2:3" in str(info.value)
    assert f"{b}:1:1" in str(info.value)


def test_lookup_errors_suggest_names(fleet: Inventory) -> None:
    with pytest.raises(InventoryError, match="unknown host `web1.example.co`") as info:
        fleet.host("web1.example.co")
    assert info.value.hint == "did you mean `web1.example.com`?"
    with pytest.raises(InventoryError, match="unknown group `stagin`"):
        fleet.group("stagin")


@pytest.mark.parametrize(
    "text",
    [
        "all:\n  hosts: [",
        "all:\n  hosts:\n    - a\n",
        "[web\nhost\n",
        "all:\n  children:\n    x:\n      children:\n        x:\n",
        "web:\n  hosts:\n    'w[1:':\n",
        "web:\n  hosts: {w1: 5}\n  vars: 3\n  other: 1\n",
        "all: 5\n",
        "[web]\nw1 a='1\n",
    ],
)
def test_malformed_inputs_raise_pbe_errors_only(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "hosts.yml" if ":" in text.split("\n")[0] else "hosts", text)
    with pytest.raises(PbeError) as info:
        load_inventory([path])
    assert str(path) in str(info.value)


def test_schema_is_valid_draft_2020_12() -> None:
    import json

    import jsonschema

    schema_path = Path(__file__).parents[2] / "schema" / "inventory.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"all": {"hosts": {"a": None}, "children": {"b": None}}})
    assert not validator.is_valid({"all": {"host": {"a": None}}})
    assert not validator.is_valid({"all": {"vars": []}})
