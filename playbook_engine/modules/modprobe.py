"""modprobe: load or unload a kernel module, and optionally make that last across reboots
(``/etc/modules-load.d/NAME.conf`` and ``options`` in ``/etc/modprobe.d/NAME.conf``).

One probe reads /proc/modules, the kernel's built-in list and, when ``persistent`` asks, the
two configuration directories; one command (un)loads and rewrites the files that change.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .util.hostedit import Edit, HostStateModule, need, section, sections, write_file
from .util.state import Change

LOAD_DIR, OPTIONS_DIR = "/etc/modules-load.d", "/etc/modprobe.d"
_FILE = "::pbe:file "
_MODPROBE_FAILED = 10
# where Ansible's get_bin_path looks besides PATH
_TOOL = "command -v modprobe >/dev/null || [ -x /sbin/modprobe ] || [ -x /usr/sbin/modprobe ]"


@dataclass(frozen=True, slots=True)
class Kernel:
    loaded: bool
    builtin: bool
    load_files: dict[str, str]  # path -> text, of modules-load.d
    option_files: dict[str, str]  # path -> text, of modprobe.d


@register("modprobe", "community.general.modprobe")
class ModprobeModule(HostStateModule[Kernel]):
    """Load or unload a kernel module (and its configuration for the next boot)."""

    args = {
        "name": Arg("str", required=True, description="The kernel module."),
        "state": Arg(
            "str", default="present", choices=("absent", "present"), description="Loaded or not."
        ),
        "params": Arg("str", default="", description="Its parameters (`numdummies=2`)."),
        "persistent": Arg(
            "str",
            default="disabled",
            choices=("disabled", "absent", "present"),
            description="Also configure (or unconfigure) it for the next boot.",
        ),
    }
    returns = {"name": "the module", "params": "its parameters", "state": "the state"}

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        if not args["name"].strip():
            raise ModuleError("name must not be empty")
        name = _name_pattern(args["name"])
        parts = [
            section("tool", _TOOL),
            section("loaded", f"grep -q -E {quote(f'^{name} ')} /proc/modules"),
            section(
                "builtin",
                f'grep -q -E {quote(f"/{name}[.]ko$")} "/lib/modules/$(uname -r)/modules.builtin"',
            ),
        ]
        if args["persistent"] != "disabled":
            parts += [
                section("load", _cat_dir(LOAD_DIR)),
                section("options", _cat_dir(OPTIONS_DIR)),
            ]
        return "; ".join(parts)

    def parse(self, args: dict[str, Any], res: CommandResult) -> Kernel:
        found = sections(res.out)
        if "tool" in found and found["tool"].rc != 0:  # check mode too, as Ansible's
            raise ModuleError('Failed to find required executable "modprobe"')
        persistent = args["persistent"] != "disabled"
        return Kernel(
            need(found, "loaded", res).rc == 0,
            need(found, "builtin", res).rc == 0,
            split_files(need(found, "load", res).text) if persistent else {},
            split_files(need(found, "options", res).text) if persistent else {},
        )

    def plan(self, args: dict[str, Any], state: Kernel) -> Edit | None:
        name, present = args["name"].strip(), args["state"] == "present"
        is_loaded = state.loaded or state.builtin
        steps = []
        if present and not is_loaded:
            words = " ".join(quote(w) for w in [name, *shlex.split(args["params"])])
            steps.append(f"{{ modprobe {words} 2>&1 || exit {_MODPROBE_FAILED}; }}")
        elif not present and state.loaded:
            steps.append(f"{{ modprobe -r {quote(name)} 2>&1 || exit {_MODPROBE_FAILED}; }}")
        writes = persistent_writes(args, state)
        for path, text in writes:
            steps.append(f"{{ printf %s {quote(text)} | {{ {write_file(path)}; }}; }}")
        if not steps:
            return None
        return Edit("modprobe", "", values=_values(args), writes=writes, command=" && ".join(steps))

    def apply(self, args: dict[str, Any], change: Any, ctx: ModuleContext) -> str:
        return str(change.command)

    def values(self, args: dict[str, Any], state: Kernel) -> dict[str, Any]:
        return _values(args)

    def failed(self, args: dict[str, Any], change: Change, res: CommandResult) -> str:
        if res.rc == _MODPROBE_FAILED:
            return (res.out + res.err).strip() or f"modprobe {args['name']} failed"
        return super().failed(args, change, res)


def _values(args: dict[str, Any]) -> dict[str, Any]:
    return {"name": args["name"].strip(), "params": args["params"], "state": args["state"]}


def _name_pattern(name: str) -> str:
    """An ERE matching the module's name as the kernel lists it (- and _ are the same)."""
    return "".join("[-_]" if ch in "-_" else re.escape(ch) for ch in name.strip())


def _cat_dir(directory: str) -> str:
    """Every *.conf of ``directory``, each after a ``::pbe:file PATH`` line."""
    return (
        f'for f in {directory}/*.conf; do [ -f "$f" ] || continue; '
        f'printf \'{_FILE}%s\\n\' "$f"; cat -- "$f"; echo; done'
    )


def split_files(text: str) -> dict[str, str]:
    """The files a ``_cat_dir`` section printed: path -> text."""
    files: dict[str, str] = {}
    path = None
    chunks: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.startswith(_FILE):
            if path is not None:
                files[path] = "".join(chunks)[:-1]
            path, chunks = line[len(_FILE) :].rstrip("\n"), []
        else:
            chunks.append(line)
    if path is not None:
        files[path] = "".join(chunks)[:-1]
    return files


def _same(a: str, b: str) -> bool:
    return a.replace("-", "_") == b.replace("-", "_")


def persistent_writes(args: dict[str, Any], state: Kernel) -> tuple[tuple[str, str], ...]:
    """The files to write for ``persistent`` (path, new text)."""
    name, params = args["name"].strip(), args["params"].strip()
    if args["persistent"] == "present":
        writes = []
        if not any(
            _same(line.strip(), name)
            for text in state.load_files.values()
            for line in text.splitlines()
        ):
            writes.append((f"{LOAD_DIR}/{name}.conf", f"{name}\n"))
        if params and not any(
            _options(line, name) == params
            for text in state.option_files.values()
            for line in text.splitlines()
        ):
            writes.append((f"{OPTIONS_DIR}/{name}.conf", f"options {name} {params}\n"))
        return tuple(writes)
    if args["persistent"] == "absent":
        return tuple(
            w
            for w in (
                *(
                    _commented(p, t, lambda line: _same(line.strip(), name))
                    for p, t in state.load_files.items()
                ),
                *(
                    _commented(p, t, lambda line: _options(line, name) is not None)
                    for p, t in state.option_files.items()
                ),
            )
            if w is not None
        )
    return ()


def _options(line: str, name: str) -> str | None:
    """The parameters of an uncommented ``options NAME …`` line for the module, else None."""
    words = line.split(None, 2)
    if len(words) >= 2 and words[0] == "options" and _same(words[1], name):
        return words[2].strip() if len(words) > 2 else ""
    return None


def _commented(path: str, text: str, matches: Any) -> tuple[str, str] | None:
    lines = text.splitlines()
    new = [f"#{line}" if matches(line) else line for line in lines]
    if new == lines:
        return None
    return path, "".join(f"{line}\n" for line in new)
