"""Hostile inputs for ``validate``: seeded mutations of this repository's own playbooks and
inventories, plus generators for the input classes that once crashed it or blew up
(deep nesting, wrong types in keyword positions, huge names, non-ASCII digits, alias bombs,
huge host ranges, huge free-form arguments).

``generate(seed, count)`` yields ``Case``s, the same ones for the same seed; ``Case.write``
lays one out on disk next to symlinks to the seed tree, so its roles and includes resolve.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from playbook_engine import modules
from playbook_engine.language.validate import PLAY_KEYWORDS, TASK_KEYWORDS

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
ROOT = Path(__file__).resolve().parents[2]
SEED_TREE = ROOT / "tests" / "equivalence" / "playbooks"
PLAYBOOK_SEEDS = (
    sorted(SEED_TREE.glob("*.yml"))
    + [ROOT / "playbooks" / "site.yml"]
    + sorted((ROOT / "tests" / "unit" / "data" / "invalid").glob("*.yml"))
)
TASK_SEEDS = sorted(
    p.relative_to(SEED_TREE) for p in SEED_TREE.glob("**/*.yml") if p.parent != SEED_TREE
)
INVENTORY_SEEDS = [
    ROOT / "tests" / "equivalence" / "inventory.yml",
    ROOT / "playbooks" / "hosts.yml",
    ROOT / "tests" / "unit" / "data" / "inventory" / "yaml" / "hosts.yml",
    ROOT / "tests" / "unit" / "data" / "inventory" / "ini" / "hosts",
]

_ARG_NAMES = sorted({a for m in modules.REGISTRY.values() for a in m.args})
KEYS = sorted(PLAY_KEYWORDS | TASK_KEYWORDS | set(modules.REGISTRY)) + _ARG_NAMES
DIGITS = ["0", "9", "\u00b2", "\u0663", "\u0660", "\uff11", "\u096a", "\U0001d7d9", "\u2463"]
_ODD_TEXT = [
    "",
    " ",
    "abc",
    "yes",
    "no",
    "~",
    "-1",
    "1e400",
    "0x1F",
    "0o17",
    "{{",
    "}}",
    "{{ x }}",
    "{% if %}",
    "{#",
    "{{ x | nope(",
    "a=b c='d e'",
    "k=",
    "=v",
    "'",
    '"',
    "\\",
    "\x00",
    "\t",
    "\r\n",
    "\u2028",
    "\u200b\u202e",
    "ü\u00b2\u0663",
    "web[0",
    "h[0:\u00b2]",
    "h[\u0660:\u0663]",
    "h[0:99999999]",
    "/",
    "..",
    ".",
    "/dev/null",
    "~root",
    "a/../../b",
    "-",
    "--",
    "&",
    "*",
    "!",
    "@x",
    "%x",
]
# Raw YAML put in place of a ZZRAWnZZ marker after dumping: what yaml.safe_dump can't write.
_RAW = [
    "!!binary aGVsbG8=",
    "!!set {a: null, b: null}",
    "!unsafe '{{ x }}'",
    "!!omap [{a: 1}, {b: 2}]",
    "!!timestamp 2001-12-14",
    ".nan",
    "-.inf",
    "2020-01-01",
    "!!python/object:os.system ls",
    "!nosuchtag x",
    "*nosuchanchor",
    "&r [*r]",
    "&m {k: *m}",
    "{? [a, b]: c}",
    "[a, [b, [c, [d]]]]",
    "!!str",
    "!!int 12",
    "!!float 1e9999",
    "!!null ''",
    "!!bool yes",
    "{<<: {a: 1}, b: 2}",
    "{<<: [1]}",
    "!!map []",
    "!!seq {}",
    "2001-02-30",
    "!!int 0x",
    "1" + "0" * 5000,
    "!!bool maybe",
]


@dataclass
class Case:
    """One input: files (relative path -> text or bytes) over the seed tree."""

    kind: str
    files: dict[str, str | bytes]
    playbook: str = "site.yml"
    inventory: str | None = None
    notes: list[str] = field(default_factory=list)

    def write(self, root: Path) -> tuple[Path, str | None]:
        """Lay the case out under ``root``; the inventory is a path or an ``h1,h2,`` list."""
        _overlay(SEED_TREE, root, self.files)
        inventory = self.inventory
        if inventory is not None and inventory in self.files:
            inventory = str(root / inventory)
        return root / self.playbook, inventory


def _overlay(seed: Path, dest: Path, files: dict[str, str | bytes]) -> None:
    """Write ``files`` under ``dest``; each other directory of ``seed`` becomes a symlink
    (its playbooks import none of their siblings, and symlinks are slow to make)."""
    dest.mkdir(parents=True, exist_ok=True)
    below: dict[str, dict[str, str | bytes]] = {}
    for rel, content in files.items():
        head, _, rest = rel.partition("/")
        if rest:
            below.setdefault(head, {})[rest] = content
        else:
            target = dest / head
            target.write_bytes(
                content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass")
            )
    for entry in sorted(seed.iterdir()) if seed.is_dir() else []:
        if entry.is_dir() and entry.name not in below and not (dest / entry.name).exists():
            (dest / entry.name).symlink_to(entry)
    for head, sub in below.items():
        _overlay(seed / head, dest / head, sub)


# --- values and mutations ------------------------------------------------------------------


class _Raw:
    """Collects raw YAML snippets while a value is built; markers are swapped in at dump."""

    def __init__(self) -> None:
        self.snippets: list[str] = []

    def add(self, text: str) -> str:
        self.snippets.append(text)
        return f"ZZRAW{len(self.snippets) - 1}ZZ"

    def dump(self, data: Any) -> str:
        text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1 << 20)
        for i, snippet in reversed(list(enumerate(self.snippets))):
            text = text.replace(f"ZZRAW{i}ZZ", snippet)
        return text


def deep_flow(depth: int, kind: str = "[") -> str:
    if kind == "[":
        return "[" * depth + "x" + "]" * depth
    return "{a: " * depth + "x" + "}" * depth


def deep_template(rng: random.Random, depth: int) -> str:
    shapes = [
        ("(" * depth + "x" + ")" * depth),
        ("[" * depth + "1" + "]" * depth),
        ("x" + " | default(" * depth + "1" + ")" * depth),
        ("-" * depth + "1"),
        ("not " * depth + "x"),
        ("x" + ".a" * depth),
        ("{" * depth + "}" * depth),
    ]
    expr = rng.choice(shapes)
    if rng.random() < 0.3:
        return "{% if x %}" * depth + "y" + "{% endif %}" * depth
    return "{{ " + expr + " }}"


def billion_laughs(levels: int, fanout: int) -> str:
    parts = ["&a0 [" + ", ".join(["lol"] * fanout) + "]"]
    for i in range(1, levels):
        parts.append(f"&a{i} [" + ", ".join([f"*a{i - 1}"] * fanout) + "]")
    return "[" + ", ".join(parts) + "]"


def odd_scalar(rng: random.Random) -> Any:
    pick = rng.random()
    if pick < 0.25:
        return rng.choice([None, True, False, 0, -1, 1.5, 2**70, 10**400 % 997, 0.0])
    if pick < 0.8:
        return rng.choice(_ODD_TEXT)
    if pick < 0.9:
        return "".join(
            rng.choice(string.printable + "äü\u00b2\u0663\U0001f600")
            for _ in range(rng.randint(1, 40))
        )
    return rng.choice(
        ["x" * rng.choice([255, 256, 300, 4097, 70000]), "{{ x }}" * 500, "a=b " * 2000]
    )


def odd_value(rng: random.Random, raw: _Raw, depth: int = 0) -> Any:
    pick = rng.random()
    if pick < 0.55 or depth > 2:
        return odd_scalar(rng)
    if pick < 0.7:
        return [odd_value(rng, raw, depth + 1) for _ in range(rng.randint(0, 3))]
    if pick < 0.85:
        return {
            rng.choice(KEYS + ["", "x"]): odd_value(rng, raw, depth + 1)
            for _ in range(rng.randint(0, 3))
        }
    if pick < 0.93:
        return raw.add(rng.choice(_RAW))
    if pick < 0.97:
        return raw.add(deep_flow(rng.choice([99, 100, 101, 150, 400, 3000]), rng.choice("[{")))
    return raw.add(billion_laughs(rng.randint(2, 9), rng.randint(2, 10)))


def _slots(data: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) pair in ``data``, iteratively."""
    out: list[tuple[Any, Any]] = []
    todo = [data]
    while todo:
        node = todo.pop()
        items = (
            list(node.items())
            if isinstance(node, dict)
            else list(enumerate(node))
            if isinstance(node, list)
            else []
        )
        for key, value in items:
            out.append((node, key))
            todo.append(value)
    return out


def _containers(data: Any) -> list[Any]:
    found = [c for c, _ in _slots(data)]
    return [data, *found] if isinstance(data, (dict, list)) else found


def mutate_data(rng: random.Random, data: Any, raw: _Raw, rounds: int) -> Any:
    for _ in range(rounds):
        slots = _slots(data)
        op = rng.random()
        if not slots or op < 0.15:
            data = _insert(rng, data, raw)
        elif op < 0.65:
            node, key = rng.choice(slots)
            node[key] = odd_value(rng, raw)
        elif op < 0.8:
            node, key = rng.choice(slots)
            del node[key]
        elif op < 0.9:
            node, key = rng.choice(slots)
            node[key] = rng.choice([[node[key]], {"block": [node[key]]}, {"x": node[key]}])
        else:
            node, key = rng.choice(slots)
            if isinstance(node, dict):
                node[odd_scalar(rng) if rng.random() < 0.5 else rng.choice(KEYS)] = node.pop(key)
    return data


def _insert(rng: random.Random, data: Any, raw: _Raw) -> Any:
    containers = _containers(data)
    if not containers:
        return odd_value(rng, raw)
    node = rng.choice(containers)
    if isinstance(node, dict):
        node[rng.choice(KEYS)] = odd_value(rng, raw)
    else:
        node.insert(rng.randint(0, len(node)), odd_value(rng, raw))
    return data


_CHARS = ":-[]{}&*!|>'\"%@`#,?\t\n \u00a0\u2028\ufeffx0"


def mutate_text(rng: random.Random, text: str, rounds: int) -> str:
    lines = text.splitlines(keepends=True) or [""]
    for _ in range(rounds):
        op, i = rng.random(), rng.randrange(len(lines))
        if op < 0.2 and len(lines) > 1:
            del lines[i]
        elif op < 0.35:
            lines.insert(i, lines[i])
        elif op < 0.5:
            lines[i] = rng.choice(["  ", "", " "]) + lines[i]
        elif op < 0.65:
            lines[i] = lines[i].lstrip(" ")[: rng.randint(0, 2)] + lines[i].lstrip(" ")
        else:
            pos = rng.randint(0, len(lines[i]))
            lines[i] = lines[i][:pos] + rng.choice(_CHARS) + lines[i][pos:]
    text = "".join(lines)
    if rng.random() < 0.05:
        text = text[: rng.randint(0, len(text))]
    return text


# --- generators ---------------------------------------------------------------------------


def _seed_data(path: Path) -> Any:
    """The seed's data, a fresh copy each time; None when the seed is not valid YAML."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError:
        return None


def gen_mutated_playbook(rng: random.Random) -> Case:
    seed = rng.choice(PLAYBOOK_SEEDS)
    raw = _Raw()
    if rng.random() < 0.3 or _seed_data(seed) is None:
        text = mutate_text(rng, seed.read_text(encoding="utf-8"), rng.randint(1, 4))
    else:
        text = raw.dump(mutate_data(rng, _seed_data(seed), raw, rng.randint(1, 4)))
    return Case("mutated-playbook", {"site.yml": text}, notes=[seed.name])


def gen_mutated_task_file(rng: random.Random) -> Case:
    rel = rng.choice(TASK_SEEDS)
    raw = _Raw()
    data = _seed_data(SEED_TREE / rel)
    text = raw.dump(mutate_data(rng, data, raw, rng.randint(1, 3)))
    books = [p for p in PLAYBOOK_SEEDS if p.parent == SEED_TREE]
    playbook = rng.choice(books).read_text(encoding="utf-8")
    return Case("mutated-task-file", {"site.yml": playbook, str(rel): text}, notes=[str(rel)])


def gen_mutated_inventory(rng: random.Random) -> Case:
    seed = rng.choice(INVENTORY_SEEDS)
    raw = _Raw()
    name = "hosts.yml" if seed.suffix else "hosts"
    if not seed.suffix or rng.random() < 0.3:
        text = mutate_text(rng, seed.read_text(encoding="utf-8"), rng.randint(1, 5))
    else:
        text = raw.dump(mutate_data(rng, _seed_data(seed), raw, rng.randint(1, 4)))
    return Case(
        "mutated-inventory", {"site.yml": _MINIMAL, name: text}, inventory=name, notes=[seed.name]
    )


_MINIMAL = "- hosts: all\n  tasks:\n    - debug: msg=hi\n"


def _play(rng: random.Random, **overrides: Any) -> dict[str, Any]:
    task: dict[str, Any] = {"name": "t", "debug": {"msg": "hi"}}
    play: dict[str, Any] = {
        "hosts": "all",
        "gather_facts": False,
        "tasks": [task],
        "handlers": [{"name": "h", "debug": {"msg": "h"}}],
    }
    play.update(overrides)
    return play


def gen_keyword_types(rng: random.Random) -> Case:
    """A wrong-typed value in every kind of keyword position."""
    raw = _Raw()
    where = rng.choice(["play", "task", "block", "handler", "role"])
    key = rng.choice(
        sorted(PLAY_KEYWORDS if where == "play" else TASK_KEYWORDS)
        + ["vars", "name", "notify", "listen", "when", "loop"]
    )
    value = odd_value(rng, raw)
    play = _play(rng)
    if where == "play":
        play[key] = value
    elif where == "task":
        play["tasks"][0][key] = value
    elif where == "block":
        play["tasks"] = [{"block": [{"debug": "msg=x"}], key: value}]
    elif where == "handler":
        play["handlers"][0][key] = value
        play["tasks"][0]["notify"] = rng.choice(["h", value, [value]])
    else:
        play["roles"] = [
            rng.choice(
                [
                    {"role": "common", key: value},
                    value,
                    {"role": value},
                    {"name": "common", "vars": value},
                ]
            )
        ]
    return Case(f"keyword-types/{where}", {"site.yml": raw.dump([play])}, notes=[key])


def gen_deep(rng: random.Random) -> Case:
    depth = rng.choice([60, 99, 100, 101, 200, 1000, 3000, 20000, 200000])
    flow = deep_flow(depth, rng.choice("[{"))
    spot = rng.choice(
        [
            "vars",
            "arg",
            "when",
            "tasks",
            "blocks",
            "inventory",
            "block-text",
            "hostvars",
            "children",
            "ini-children",
            "group_vars",
        ]
    )
    files: dict[str, str | bytes] = {"site.yml": _MINIMAL}
    inventory = None
    nblocks = min(depth, 400)
    if spot == "vars":
        files["site.yml"] = f"- hosts: all\n  vars:\n    v: {flow}\n  tasks: []\n"
    elif spot == "arg":
        files["site.yml"] = f"- hosts: all\n  tasks:\n    - debug:\n        msg: {flow}\n"
    elif spot == "when":
        files["site.yml"] = f"- hosts: all\n  tasks:\n    - debug: msg=x\n      when: {flow}\n"
    elif spot == "tasks":
        files["site.yml"] = f"- hosts: all\n  tasks: {flow}\n"
    elif spot == "blocks":
        inner = "{block: [" * nblocks + "{debug: {msg: x}}" + "]}" * nblocks
        files["site.yml"] = f"- hosts: all\n  tasks: [{inner}]\n"
    elif spot == "block-text":
        levels = min(depth, 1500)
        files["site.yml"] = "".join(" " * i + "a:\n" for i in range(levels))
    elif spot in ("inventory", "hostvars"):
        inventory = "hosts.yml"
        files[inventory] = (
            f"all:\n  vars: {{v: {flow}}}\n"
            if spot == "inventory"
            else f"all:\n  hosts:\n    h1: {{v: {flow}}}\n"
        )
    elif spot == "group_vars":
        inventory = "inv/hosts.yml"
        files[inventory] = "all:\n  hosts:\n    h1:\n"
        files["inv/group_vars/all.yml"] = f"v: {flow}\n"
    elif spot == "children":
        chain = min(depth, 5000)
        inventory = "hosts.yml"
        files[inventory] = (
            "all:\n  children: "
            + "".join(f"{{g{i}: {{children: " for i in range(chain))
            + "{leaf: {hosts: {h1: null}}}"
            + "}}" * chain
            + "\n"
        )
    else:
        chain = min(depth, 3000)
        inventory = "hosts"
        files[inventory] = (
            "".join(f"[g{i}:children]\ng{i + 1}\n" for i in range(chain)) + f"[g{chain}]\nh1\n"
        )
    return Case(f"deep/{spot}", files, inventory=inventory, notes=[str(depth)])


def gen_deep_template(rng: random.Random) -> Case:
    depth = rng.choice([10, 50, 100, 300, 1000, 3000])
    tmpl = deep_template(rng, depth).replace("'", "''")
    spot = rng.choice(["msg", "when", "vars", "name", "loop", "shell", "hosts"])
    text = {
        "msg": f"- hosts: all\n  tasks:\n    - debug:\n        msg: '{tmpl}'\n",
        "when": f"- hosts: all\n  tasks:\n    - debug: msg=x\n      when: '{tmpl}'\n",
        "vars": f"- hosts: all\n  vars:\n    v: '{tmpl}'\n  tasks: []\n",
        "name": f"- hosts: all\n  tasks:\n    - name: '{tmpl}'\n      debug: msg=x\n",
        "loop": f"- hosts: all\n  tasks:\n    - debug: msg=x\n      loop: '{tmpl}'\n",
        "shell": f"- hosts: all\n  tasks:\n    - shell: '{tmpl}'\n",
        "hosts": f"- hosts: '{tmpl}'\n  tasks: []\n",
    }[spot]
    return Case(f"deep-template/{spot}", {"site.yml": text}, notes=[str(depth)])


def gen_alias_bomb(rng: random.Random) -> Case:
    bomb = billion_laughs(rng.randint(3, 12), rng.randint(5, 10))
    spot = rng.choice(["vars", "args", "inventory", "group_vars", "recursive", "tasks"])
    files: dict[str, str | bytes] = {"site.yml": _MINIMAL}
    inventory = None
    if spot == "vars":
        files["site.yml"] = f"- hosts: all\n  vars:\n    lol: {bomb}\n  tasks: []\n"
    elif spot == "args":
        files["site.yml"] = f"- hosts: all\n  tasks:\n    - debug:\n        msg: {bomb}\n"
    elif spot == "tasks":
        files["site.yml"] = f"- hosts: all\n  tasks: {bomb}\n"
    elif spot == "recursive":
        files["site.yml"] = rng.choice(
            [
                "- hosts: all\n  vars:\n    a: &a [*a]\n  tasks: []\n",
                "- &p {hosts: all, tasks: [*p]}\n",
                "- hosts: all\n  tasks: &t [{block: *t}]\n",
            ]
        )
    elif spot == "inventory":
        inventory = "hosts.yml"
        files[inventory] = f"all:\n  vars:\n    lol: {bomb}\n  hosts:\n    h1:\n"
    else:
        inventory = "inv/hosts.yml"
        files[inventory] = "all:\n  hosts:\n    h1:\n"
        files["inv/host_vars/h1.yml"] = f"lol: {bomb}\n"
    return Case(f"alias-bomb/{spot}", files, inventory=inventory)


def gen_names(rng: random.Random) -> Case:
    """Huge, odd or impossible names wherever a name becomes a path or a key."""
    name = rng.choice(
        [
            "r" * rng.choice([255, 256, 300, 5000]),
            "a\x00b",
            "..",
            ".",
            "",
            "/",
            "/dev/null",
            "/proc/self/fd",
            "~nosuchuser/x",
            "roles",
            "common/../common",
            "é" * 200,
            "x/" * 600,
            "{{ r }}",
            " ",
            "\u202e",
        ]
    )
    quoted = '"' + name.replace("\\", "\\\\").replace('"', '\\"').replace("\x00", "\\0") + '"'
    spot = rng.choice(
        [
            "role",
            "import_role",
            "include_role",
            "import_tasks",
            "include_tasks",
            "import_playbook",
            "vars_files",
            "template",
            "dependency",
            "handler",
            "host",
            "group",
        ]
    )
    files: dict[str, str | bytes] = {"site.yml": _MINIMAL}
    inventory = None
    body = "- hosts: all\n  tasks:\n"
    if spot == "role":
        files["site.yml"] = f"- hosts: all\n  roles: [{quoted}]\n"
    elif spot in ("import_role", "include_role"):
        files["site.yml"] = body + f"    - {spot}: {{name: {quoted}}}\n"
    elif spot in ("import_tasks", "include_tasks"):
        files["site.yml"] = body + f"    - {spot}: {quoted}\n"
    elif spot == "import_playbook":
        files["site.yml"] = f"- import_playbook: {quoted}\n"
    elif spot == "vars_files":
        files["site.yml"] = f"- hosts: all\n  vars_files: [{quoted}]\n  tasks: []\n"
    elif spot == "template":
        files["site.yml"] = body + f"    - template: {{src: {quoted}, dest: /tmp/x}}\n"
    elif spot == "dependency":
        files["site.yml"] = "- hosts: all\n  roles: [dep]\n"
        files["roles/dep/meta/main.yml"] = f"dependencies: [{quoted}, {{role: {quoted}}}]\n"
        files["roles/dep/tasks/main.yml"] = "- debug: msg=x\n"
    elif spot == "handler":
        files["site.yml"] = (
            body + f"    - debug: msg=x\n      notify: {quoted}\n"
            f"  handlers:\n    - name: {quoted}\n      debug: msg=x\n"
        )
    else:
        inventory = "hosts.yml"
        files[inventory] = (
            f"all:\n  hosts:\n    {quoted}:\n"
            if spot == "host"
            else f"all:\n  children:\n    {quoted}:\n      hosts: {{h1: null}}\n"
        )
    return Case(f"names/{spot}", files, inventory=inventory, notes=[name[:40]])


def gen_role_deps(rng: random.Random) -> Case:
    raw = _Raw()
    dep = rng.choice(
        [
            {"role": "common", "vars": odd_value(rng, raw)},
            {"role": odd_value(rng, raw)},
            odd_value(rng, raw),
            {"role": "common", "when": odd_value(rng, raw)},
            {"name": "common", **{rng.choice(KEYS): odd_value(rng, raw)}},
        ]
    )
    meta = raw.dump({"dependencies": rng.choice([[dep], dep, [dep, dep]])})
    files: dict[str, str | bytes] = {
        "site.yml": "- hosts: all\n  roles: [dep]\n",
        "roles/dep/meta/main.yml": meta,
        "roles/dep/tasks/main.yml": "- debug: msg=x\n",
    }
    return Case("role-deps", files)


def gen_host_range(rng: random.Random) -> Case:
    def bound() -> str:
        return "".join(
            rng.choice(DIGITS + ["0", "1", "a", "z", "-", " "]) for _ in range(rng.randint(0, 3))
        )

    if rng.random() < 0.02:  # the largest range allowed: 100,000 real hosts, slow to build
        return Case(
            "host-range/largest",
            {"site.yml": _MINIMAL, "hosts": "[web]\nh[0:99999]\n"},
            inventory="hosts",
        )
    body = rng.choice(
        [
            f"{bound()}:{bound()}",
            f"{bound()}:{bound()}:{bound()}",
            "0:99999999",
            "0:100000",
            "0:99999:1000",
            "1:10:0",
            "a:Z",
            "00:99999999",
            "0:9][0:9][0:9][0:9][0:9][0:9][0:9][0:9",
            "0:1",
            "0",
            "",
            "0:",
            ":5",
            "0:2:1:1",
            "\u0660:\u0663",
            "0:\u00b2",
            "0:9" * 3,
        ]
    )
    spec = rng.choice(
        [
            f"h[{body}]",
            f"h[{body}]x[{body}]",
            f"h[{body}",
            f"h{body}]",
            f"h[{body}]:22",
            f"h[{body}]:{bound()}",
            f"[{body}]",
        ]
    )
    form = rng.choice(["yaml", "ini", "list"])
    if form == "yaml":
        quoted = '"' + spec.replace('"', '\\"') + '"'
        return Case(
            "host-range/yaml",
            {"site.yml": _MINIMAL, "hosts.yml": f"all:\n  hosts:\n    {quoted}:\n"},
            inventory="hosts.yml",
            notes=[spec],
        )
    if form == "ini":
        return Case(
            "host-range/ini",
            {"site.yml": _MINIMAL, "hosts": f"[web]\n{spec} x=1\n"},
            inventory="hosts",
            notes=[spec],
        )
    return Case("host-range/list", {"site.yml": _MINIMAL}, inventory=f"{spec},h2,", notes=[spec])


def gen_free_form(rng: random.Random) -> Case:
    size = rng.choice([10, 1000, 100_000, 300_000])
    alphabet = rng.choice(["ab =", "a'\" b=c ", "{{ x }} ", "{{", "a\n#b\n c=d", "\\'\""])
    text = "".join(rng.choice(alphabet) for _ in range(size // 4)) * 4
    module = rng.choice(
        ["command", "shell", "raw", "debug", "set_fact", "include_tasks", "script", "file", "copy"]
    )
    quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    book = f"- hosts: all\n  tasks:\n    - {module}: {quoted}\n"
    return Case(f"free-form/{module}", {"site.yml": book}, notes=[str(size)])


def gen_empty(rng: random.Random) -> Case:
    text = rng.choice(
        [
            "",
            "---\n",
            "[]\n",
            "~\n",
            "null\n",
            "{}\n",
            "# only a comment\n",
            "---\n...\n",
            "--- []\n",
            "- \n",
            "---\n---\n",
            "\ufeff",
            "\n\n\n",
            "- hosts: all\n---\n- hosts: all\n",
            "''\n",
            "0\n",
        ]
    )
    where = rng.choice(["site.yml", "tasks", "inventory", "vars_file", "import"])
    files: dict[str, str | bytes] = {"site.yml": text}
    inventory = None
    if where == "tasks":
        files = {"site.yml": "- hosts: all\n  tasks:\n    - import_tasks: t.yml\n", "t.yml": text}
    elif where == "inventory":
        files = {"site.yml": _MINIMAL, "hosts.yml": text}
        inventory = "hosts.yml"
    elif where == "vars_file":
        files = {"site.yml": "- hosts: all\n  vars_files: [v.yml]\n  tasks: []\n", "v.yml": text}
    elif where == "import":
        files = {"site.yml": "- import_playbook: other.yml\n", "other.yml": text}
    return Case(f"empty/{where}", files, inventory=inventory, notes=[repr(text)])


def gen_bytes(rng: random.Random) -> Case:
    seed = rng.choice(PLAYBOOK_SEEDS).read_bytes()
    pos = rng.randint(0, len(seed))
    junk = rng.choice(
        [
            b"\xff\xfe",
            b"\x00",
            b"\xc3",
            b"\r",
            b"\r\n",
            b"\xef\xbb\xbf",
            b"\xed\xa0\x80",
            b"\x1b[31m",
            b"\x85",
        ]
    )
    return Case("bytes", {"site.yml": seed[:pos] + junk + seed[pos:]})


def gen_vars_files(rng: random.Random) -> Case:
    raw = _Raw()
    entries = [
        rng.choice(
            [
                "vars/common.yml",
                "vars/nope.yml",
                "{{ x }}.yml",
                "vars",
                "/nonexistent/x.yml",
                odd_value(rng, raw),
                ["vars/nope.yml", "vars/common.yml"],
            ]
        )
        for _ in range(rng.randint(1, 3))
    ]
    book = raw.dump(
        [{"hosts": "all", "vars_files": rng.choice([entries, entries[0]]), "tasks": []}]
    )
    return Case("vars-files", {"site.yml": book})


_STRUCTURAL = [
    "import_tasks",
    "include_tasks",
    "import_role",
    "include_role",
    "action",
    "local_action",
    "args",
    "apply",
    "with_items",
    "loop_control",
    "block",
    "include_vars",
    "set_fact",
    "assert",
    "template",
    "copy",
    "debug",
]


def gen_task_shapes(rng: random.Random) -> Case:
    """Tasks built from the keys that make the loader open files or build structure, each
    given a random value or mapping of random values."""
    raw = _Raw()
    task: dict[str, Any] = {}
    for _ in range(rng.randint(1, 3)):
        key = rng.choice(_STRUCTURAL)
        task[key] = rng.choice(
            [
                odd_value(rng, raw),
                {
                    rng.choice(
                        [
                            "file",
                            "name",
                            "role",
                            "apply",
                            "module",
                            "tasks_from",
                            "src",
                            "msg",
                            "that",
                            "when",
                            "tags",
                        ]
                    ): odd_value(rng, raw)
                },
            ]
        )
    play = {"hosts": "all", "gather_facts": False, "tasks": [task]}
    return Case("task-shapes", {"site.yml": raw.dump([play])}, notes=sorted(map(str, task)))


GENERATORS: list[tuple[Callable[[random.Random], Case], int]] = [
    (gen_mutated_playbook, 30),
    (gen_mutated_task_file, 8),
    (gen_mutated_inventory, 14),
    (gen_keyword_types, 14),
    (gen_deep, 6),
    (gen_deep_template, 4),
    (gen_alias_bomb, 3),
    (gen_names, 6),
    (gen_role_deps, 4),
    (gen_host_range, 6),
    (gen_free_form, 2),
    (gen_empty, 2),
    (gen_bytes, 2),
    (gen_vars_files, 3),
    (gen_task_shapes, 6),
]


def generate(seed: int, count: int) -> Iterator[Case]:
    rng = random.Random(seed)
    funcs = [f for f, _ in GENERATORS]
    weights = [w for _, w in GENERATORS]
    for _ in range(count):
        yield rng.choices(funcs, weights)[0](rng)
