"""pip: Python packages on the host, with the host's own pip (in a virtualenv or not).

One probe finds pip (``executable``, the virtualenv's, or ``pip3``/``pip`` on PATH), says
whether the virtualenv exists and lists what is installed (``pip list --format=freeze``).
Named packages with or without version specifiers are decided from that list (pure
``plan``); what cannot be decided from it (``latest``, ``requirements``, URLs and paths)
asks pip itself: a check run uses ``pip install --dry-run``, a real run compares the
installed list before and after, as Ansible does.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..templating.values import Unpredictable
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.filestate import FileState

_END = "@@pbe-pip-end@@"
_SPEC = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")
_OP = re.compile(r"^\s*(~=|===|==|!=|<=|>=|<|>)\s*([^\s,;]+)\s*$")
_NO_PIP = 30


def canonical(name: str) -> str:
    """PEP 503 name normalisation: case and runs of -_. do not matter."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _release(version: str) -> tuple[tuple[int, ...], str]:
    match = re.match(r"^v?(\d+(?:\.\d+)*)(.*)$", version.strip())
    if not match:
        return (), version
    numbers = tuple(int(n) for n in match.group(1).split("."))
    while numbers and numbers[-1] == 0:
        numbers = numbers[:-1]
    return numbers, match.group(2)


def _compare(a: str, b: str) -> int:
    """-1/0/1 for release numbers; a pre-release suffix sorts before the release."""
    ra, rb = _release(a), _release(b)
    if ra[0] != rb[0]:
        return -1 if ra[0] < rb[0] else 1
    if ra[1] == rb[1]:
        return 0
    if not ra[1] or not rb[1]:
        return 1 if not ra[1] else -1
    return -1 if ra[1] < rb[1] else 1


def satisfies(version: str, specifier: str) -> bool:
    """Whether ``version`` meets a specifier such as ``>=1.2,<2`` (pure; unit-tested)."""
    for part in filter(None, (p.strip() for p in specifier.split(","))):
        match = _OP.match(part)
        if not match:
            raise ModuleError(f"cannot read the version specifier {part!r}")
        op, wanted = match.groups()
        if not _holds(op, version, wanted.removesuffix(".*"), wanted.endswith(".*")):
            return False
    return True


def _holds(op: str, version: str, wanted: str, prefix: bool) -> bool:
    if prefix and op in ("==", "!="):
        same = _release(version)[0][: len(_release(wanted)[0])] == _release(wanted)[0]
        return same if op == "==" else not same
    cmp = _compare(version, wanted)
    if op == "~=":
        head = _release(wanted)[0][:-1]
        return cmp >= 0 and _release(version)[0][: len(head)] == head
    return {
        "==": cmp == 0,
        "===": version == wanted,
        "!=": cmp != 0,
        "<=": cmp <= 0,
        ">=": cmp >= 0,
        "<": cmp < 0,
        ">": cmp > 0,
    }[op]


@dataclass(frozen=True, slots=True)
class Want:
    """One entry of ``name``: a package and its specifier, or something only pip can
    read (a URL, a path)."""

    text: str
    name: str | None
    specifier: str

    @classmethod
    def parse(cls, text: str, version: str | None) -> Want:
        if version is not None:
            text = f"{text}=={version}"
        match = _SPEC.match(text)
        if (
            not match
            or "/" in text
            or ":" in text
            or (match.group(3) and match.group(3)[0] not in "<>=!~[")
        ):
            return cls(text, None, "")
        return cls(text, canonical(match.group(1)), match.group(3).split(";")[0].strip())

    def installed_ok(self, have: dict[str, str]) -> bool | None:
        """True/False from the installed list; None when only pip can tell."""
        if self.name is None:
            return None
        if self.name not in have:
            return False
        return satisfies(have[self.name], self.specifier)


def parse_freeze(text: str) -> dict[str, str]:
    """``pip list --format=freeze`` output as canonical name -> version."""
    out = {}
    for line in text.splitlines():
        name, sep, version = line.partition("==")
        if sep:
            out[canonical(name.strip())] = version.strip()
    return out


def would_install(text: str) -> bool:
    """Whether ``pip install --dry-run`` output plans to install anything."""
    return any(line.startswith("Would install ") for line in text.splitlines())


@register("pip")
class Pip(Module):
    """Install, upgrade or remove Python packages with the host's pip."""

    args = {
        "name": Arg(
            "list",
            elements="str",
            description="Packages (with specifiers, e.g. 'requests>=2'), URLs or paths.",
        ),
        "version": Arg("str", description="The version of the single package in name."),
        "requirements": Arg(
            "str", description="A requirements file on the host (relative to chdir)."
        ),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "forcereinstall", "latest", "present"),
            description="present, latest (upgrade), absent or forcereinstall.",
        ),
        "virtualenv": Arg("path", description="Work in this virtualenv (created when missing)."),
        "virtualenv_command": Arg(
            "path", default="virtualenv", description="How to create it, e.g. 'python3 -m venv'."
        ),
        "virtualenv_python": Arg(
            "str", description="The Python for a new virtualenv (virtualenv's -p)."
        ),
        "virtualenv_site_packages": Arg(
            "bool", default=False, description="Let the virtualenv see the system's packages."
        ),
        "extra_args": Arg("str", description="More arguments for pip."),
        "editable": Arg("bool", default=False, description="Install in editable mode (-e)."),
        "chdir": Arg("path", description="Run pip in this directory."),
        "executable": Arg("path", description="The pip program (not with virtualenv)."),
        "umask": Arg("str", description="umask for pip (octal, e.g. '0022')."),
        "break_system_packages": Arg(
            "bool", default=False, description="Allow pip to change an externally managed Python."
        ),
    }
    mutually_exclusive = (("name", "requirements"), ("executable", "virtualenv"))
    required_one_of = (("name", "requirements"),)
    returns = {
        "cmd": "the pip command",
        "name": "the packages",
        "version": "the version asked",
        "requirements": "the requirements file",
        "virtualenv": "the virtualenv",
        "stdout": "pip's output",
        "stderr": "pip's errors",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        if args["version"] is not None and len(args["name"] or []) != 1:
            raise ModuleError(
                "version is incompatible with more than one name or with requirements"
            )
        wants = [Want.parse(n, args["version"]) for n in args["name"] or []]
        probe = ctx.run(self._probe(args, ctx.check))
        if probe.rc == _NO_PIP:
            if args["executable"]:
                raise ModuleError(f"Unable to find pip executable {args['executable']}")
            raise ModuleError("Unable to find any of pip3, pip to use. pip needs to be installed.")
        made_env = "V|new" in probe.out
        base = {
            "name": args["name"],
            "version": args["version"],
            "requirements": args["requirements"],
            "virtualenv": args["virtualenv"],
            "state": args["state"],
        }
        if made_env and ctx.check:
            return self._predict_env(ctx, args["virtualenv"], base)
        pip, listing = self._parse(probe.out)
        have = parse_freeze(listing)
        cmd, decided = self._command(args, wants, have, pip)
        if cmd is None:
            return Result(changed=made_env, values={**base, "cmd": ""})
        if ctx.check:
            changed = decided if decided is not None else self._dry_run(ctx, args, cmd)
            return Result(changed=changed or made_env, values={**base, "cmd": cmd})
        return self._apply(args, ctx, cmd, base, listing, made_env)

    def _predict_env(self, ctx: ModuleContext, env: str, base: dict[str, Any]) -> Result:
        """Check mode, no virtualenv yet: this task makes it (a change), unless an earlier
        task of the check run does; then what is in it is not known here."""
        if (known := ctx.files.known(env)) is not None and known.exists:
            raise Unpredictable(f"the virtualenv {env}, which an earlier task would create")
        ctx.files.record(FileState(env, "directory"), new_dir=True)
        return Result(changed=True, values={**base, "cmd": ""})

    # -- the probe ----------------------------------------------------------------------

    def _pip(self, args: dict[str, Any]) -> str:
        """Shell that sets $p to the pip command (exit _NO_PIP when there is none)."""
        if args["executable"]:
            return (
                f'p={quote(args["executable"])}; command -v "$p" >/dev/null 2>&1 || exit {_NO_PIP}'
            )
        if args["virtualenv"]:
            env = quote(args["virtualenv"])
            return (
                f"if [ -x {env}/bin/pip ]; then p={env}/bin/pip; "
                f"elif [ -x {env}/bin/pip3 ]; then p={env}/bin/pip3; "
                f'else p="{env}/bin/python -m pip"; fi'
            )
        return (
            "if command -v pip3 >/dev/null 2>&1; then p=pip3; "
            f"elif command -v pip >/dev/null 2>&1; then p=pip; else exit {_NO_PIP}; fi"
        )

    def _probe(self, args: dict[str, Any], check: bool) -> str:
        steps = []
        if args["virtualenv"]:
            steps.append(self._make_env(args, check))
        if args["chdir"]:
            steps.append(f"cd {quote(args['chdir'])} || exit 1")
        steps += [
            self._pip(args),
            'echo "P|$p"',
            f"echo {_END}",
            "$p list --format=freeze --disable-pip-version-check 2>/dev/null || :",
        ]
        return "\n".join(steps)

    def _make_env(self, args: dict[str, Any], check: bool) -> str:
        """Create a missing virtualenv (a check run only says it is missing, and stops)."""
        env = quote(args["virtualenv"])
        words = shlex.split(args["virtualenv_command"])
        if args["virtualenv_site_packages"]:
            words.append("--system-site-packages")
        if args["virtualenv_python"] and "venv" not in words[-1:]:
            words += ["-p", args["virtualenv_python"]]
        create = " ".join(map(quote, words)) + f" {env}"
        if check:
            create = "exit 0"
        return (
            f"if [ ! -x {env}/bin/python ] && [ ! -x {env}/bin/python3 ]; then "
            f"echo 'V|new'; {create} >&2 || exit 1; fi"
        )

    def _parse(self, out: str) -> tuple[str, str]:
        head, _, listing = out.partition(_END + "\n")
        pip = next(line[2:] for line in head.splitlines() if line.startswith("P|"))
        return pip, listing

    # -- the decision ---------------------------------------------------------------------

    def _command(
        self, args: dict[str, Any], wants: list[Want], have: dict[str, str], pip: str
    ) -> tuple[str | None, bool | None]:
        """The pip command to run (None: nothing to do) and whether it changes something
        (None: only pip can tell)."""
        state = args["state"]
        extra = args["extra_args"] or ""
        if args["break_system_packages"]:
            extra += " --break-system-packages"
        if state == "absent":
            gone = [w.text for w in wants if w.name is None or w.name in have]
            if not gone:
                return None, False
            return f"{pip} uninstall -y {extra} {' '.join(map(quote, gone))}".strip(), True
        targets = self._targets(args, wants)
        flags = {"latest": " -U", "forcereinstall": " -U --force-reinstall"}.get(state, "")
        command = f"{pip} install --disable-pip-version-check{flags} {extra} {targets}"
        if state == "forcereinstall":
            return command, True
        if state == "present" and not args["requirements"] and not args["editable"]:
            verdicts = [w.installed_ok(have) for w in wants]
            if all(v is True for v in verdicts):
                return None, False
            if all(v is not None for v in verdicts):
                return command, True
        return command, None

    def _targets(self, args: dict[str, Any], wants: list[Want]) -> str:
        if args["requirements"]:
            return f"-r {quote(args['requirements'])}"
        words = [quote(w.text) for w in wants]
        if args["editable"]:
            words = [f"-e {w}" for w in words]
        return " ".join(words)

    def _prefix(self, args: dict[str, Any]) -> str:
        steps = []
        if args["umask"]:
            steps.append(f"umask {quote(args['umask'])}")
        if args["chdir"]:
            steps.append(f"cd {quote(args['chdir'])} || exit 1")
        return "".join(f"{s}\n" for s in steps)

    def _dry_run(self, ctx: ModuleContext, args: dict[str, Any], cmd: str) -> bool:
        res = ctx.run(self._prefix(args) + cmd.replace(" install ", " install --dry-run ", 1))
        if res.rc != 0:
            raise ModuleError(f"pip install --dry-run failed: {res.err.strip()[-2000:]}")
        return would_install(res.out)

    def _apply(
        self,
        args: dict[str, Any],
        ctx: ModuleContext,
        cmd: str,
        base: dict[str, Any],
        before: str,
        made_env: bool,
    ) -> Result:
        pip = cmd.split(" install ")[0].split(" uninstall ")[0]
        after_list = (
            f"; r=$?\necho {_END}\n{pip} list --format=freeze --disable-pip-version-check; exit $r"
        )
        res = ctx.run(self._prefix(args) + cmd + after_list)
        out, _, after = res.out.partition(_END + "\n")
        values = {**base, "cmd": cmd, "stdout": out, "stderr": res.err}
        if res.rc != 0:
            return Result.fail(f"Error installing with pip: {res.err.strip()[-2000:]}", **values)
        changed = args["state"] == "forcereinstall" or parse_freeze(before) != parse_freeze(after)
        return Result(changed=changed or made_env, values=values)
