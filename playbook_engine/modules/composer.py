"""composer: run a Composer command in a PHP project (or globally) with the host's own
``php`` and ``composer``.

One command asks composer which options the command takes (``help --format=json``), as
Ansible does, so an option the command lacks is left out rather than refused; the second
runs it. Whether it changed anything is composer's own word: its output says "Nothing to
install, update or remove" when it did nothing. ``config`` is judged by the project's
``composer.json``/``auth.json`` checksums, before and after, in the same command.

A check run asks composer itself: the command runs with ``--dry-run`` where composer offers
that, and its output decides the prediction; a command without it is skipped and reported
as not predictable (Ansible skips it).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..templating.values import Unpredictable
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result

_DEFAULT_OPTIONS = ("no-ansi", "no-interaction", "no-progress")
_FLAGS = {  # argument: composer option, added when true and the command takes it
    "prefer_source": "prefer-source",
    "prefer_dist": "prefer-dist",
    "no_dev": "no-dev",
    "no_scripts": "no-scripts",
    "no_plugins": "no-plugins",
    "apcu_autoloader": "apcu-autoloader",
    "optimize_autoloader": "optimize-autoloader",
    "classmap_authoritative": "classmap-authoritative",
    "ignore_platform_reqs": "ignore-platform-reqs",
}
_NOTHING = ("Nothing to install or update", "Nothing to install, update or remove")
_ROOT = "Do not run Composer as root/super user"
_CONFIG_MARK = "@@pbe-config|"


@dataclass(frozen=True, slots=True)
class Project:
    """What the probe found: whether composer.json exists in working_dir, and the
    options the command takes."""

    has_json: bool
    options: frozenset[str]


@register("composer", "community.general.composer")
class Composer(Module):
    """Run composer install, update, require, create-project … in a PHP project."""

    args = {
        "command": Arg("str", default="install", description="The composer command."),
        "arguments": Arg(
            "str", default="", description="Its arguments (packages, versions …), shell-split."
        ),
        "executable": Arg("path", aliases=("php_path",), description="The php to run it with."),
        "working_dir": Arg(
            "path", description="The project's directory (required unless global_command)."
        ),
        "global_command": Arg(
            "bool", default=False, description="Run it as `composer global COMMAND`."
        ),
        "prefer_source": Arg("bool", default=False, description="--prefer-source."),
        "prefer_dist": Arg("bool", default=False, description="--prefer-dist."),
        "no_dev": Arg("bool", default=True, description="--no-dev: skip require-dev."),
        "no_scripts": Arg("bool", default=False, description="--no-scripts."),
        "no_plugins": Arg("bool", default=False, description="--no-plugins."),
        "apcu_autoloader": Arg("bool", default=False, description="--apcu-autoloader."),
        "optimize_autoloader": Arg("bool", default=True, description="--optimize-autoloader."),
        "classmap_authoritative": Arg(
            "bool", default=False, description="--classmap-authoritative."
        ),
        "ignore_platform_reqs": Arg("bool", default=False, description="--ignore-platform-reqs."),
        "force": Arg(
            "bool",
            default=False,
            description="create-project: run even when working_dir has a composer.json.",
        ),
        "composer_executable": Arg("path", description="The composer to run (else PATH's)."),
    }
    returns = {
        "msg": "composer's output, whitespace collapsed",
        "stdout": "composer's output (stdout, then stderr)",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        check_args(args)
        project = parse_probe(ctx.run(probe_command(args)))
        if args["command"] == "create-project" and not args["force"] and project.has_json:
            msg = "composer.json already exists in working_dir, skipping create-project"
            return Result(msg=msg)
        dry = ctx.check
        if dry and "dry-run" not in project.options:
            # Ansible skips it ("does not support check mode"); pbe says it cannot know
            raise Unpredictable(f"what `composer {args['command']}` does (it has no --dry-run)")
        config = args["command"] == "config" and not dry
        res = ctx.run(run_command(args, options(args, project, dry), config))
        return outcome(res, config)


def check_args(args: dict[str, Any]) -> None:
    """Ansible's refusals: a command with spaces, no working_dir for a local command."""
    if re.search(r"\s", args["command"]):
        raise ModuleError("Use the 'arguments' param for passing arguments with the 'command'")
    if not args["global_command"] and not args["working_dir"]:
        raise ModuleError(
            "global_command is False but all of the following are missing: working_dir"
        )


def _tools(args: dict[str, Any]) -> str:
    """Shell that finds php and composer (PATH, then /usr/local/bin) as ``$_php``/``$_cp``."""
    php = quote(args["executable"]) if args["executable"] else "$(command -v php)"
    comp = args["composer_executable"]
    composer = quote(comp) if comp else "$(command -v composer)"
    return (
        "export LANGUAGE=C LC_ALL=C; PATH=$PATH:/usr/local/bin; "
        f'_php={php}; _cp={composer}; for _t in php composer; do eval "_v=\\$_$_t"; '
        f'[ "$_t" = composer ] && _v=$_cp; [ -n "$_v" ] || {{ echo "Failed to find required '
        f'executable \\"$_t\\" in paths: $PATH" >&2; exit 127; }}; done'
    )


def _base(args: dict[str, Any]) -> str:
    if args["global_command"]:
        return '"$_php" "$_cp" global'
    return f'"$_php" "$_cp" --working-dir={quote(args["working_dir"])}'


def probe_command(args: dict[str, Any]) -> str:
    """composer.json present? and the command's options, as composer's help JSON."""
    json_file = f"{args['working_dir']}/composer.json" if args["working_dir"] else ""
    has = f"[ -f {quote(json_file)} ]" if json_file else "false"
    return (
        f"{_tools(args)}\n"
        f"if {has}; then echo 'json|1'; else echo 'json|0'; fi\n"
        f"{_base(args)} help {quote(args['command'])} --no-interaction --format=json"
    )


def parse_probe(res: CommandResult) -> Project:
    """The probe's output as a Project; composer's own words when help fails."""
    first, _, rest = res.out.partition("\n")
    if res.rc != 0 or not first.startswith("json|"):
        raise ModuleError(collapse(res.err or res.out) or f"composer exited {res.rc}")
    try:
        options = json.loads(rest)["definition"]["options"]
    except (ValueError, KeyError, TypeError):
        raise ModuleError(f"composer help gave no options: {collapse(rest)[:200]}") from None
    return Project(first == "json|1", frozenset(options))


def options(args: dict[str, Any], project: Project, dry: bool) -> list[str]:
    """The options given, the ones the command takes, in Ansible's order."""
    out = [f"--{o}" for o in _DEFAULT_OPTIONS if o in project.options]
    out += [f"--{o}" for key, o in _FLAGS.items() if args[key] and o in project.options]
    return [*out, "--dry-run"] if dry else out


def run_command(args: dict[str, Any], opts: list[str], config: bool) -> str:
    words = [args["command"], *opts, *shlex.split(args["arguments"])]
    command = f"{_base(args)} {' '.join(quote(w) for w in words)}"
    if not config:
        return f"{_tools(args)}\n{command}"
    files = _config_files(args)
    sums = f'for _f in {files}; do [ -f "$_f" ] && sha256sum "$_f"; done'
    return (
        f"{_tools(args)}\n{_config_home(args)}_b=$({sums}); {command}; _r=$?; "
        f'_a=$({sums}); [ "$_a" = "$_b" ] && _s=same || _s=changed; '
        f"printf '\\n{_CONFIG_MARK}%s\\n' \"$_s\" >&2; exit $_r"
    )


def _config_home(args: dict[str, Any]) -> str:
    if not args["global_command"]:
        return ""
    return '_h=$("$_php" "$_cp" config --global --no-interaction home 2>/dev/null); '


def _config_files(args: dict[str, Any]) -> str:
    if args["global_command"]:
        return '"$_h/composer.json" "$_h/auth.json"'
    wd = args["working_dir"]
    return f"{quote(wd + '/composer.json')} {quote(wd + '/auth.json')}"


def outcome(res: CommandResult, config: bool) -> Result:
    """Ansible's result from composer's output: failed with its stderr, else changed
    unless it says it had nothing to do (``config``: unless the files are the same)."""
    err, config_changed = _strip_mark(res.err) if config else (res.err, None)
    warnings = [collapse(line) for line in err.splitlines() if _ROOT in line]
    extra: dict[str, Any] = {"warnings": warnings} if warnings else {}
    if res.rc != 0:
        return Result(failed=True, msg=collapse(err), values={"stdout": err, **extra})
    text = collapse(res.out + err)
    changed = config_changed if config_changed is not None else not any(n in text for n in _NOTHING)
    return Result(changed=changed, msg=text, values={"stdout": res.out + err, **extra})


def _strip_mark(err: str) -> tuple[str, bool | None]:
    head, mark, tail = err.rpartition(f"\n{_CONFIG_MARK}")
    if not mark:
        return err, None
    return head, tail.strip() == "changed"


def collapse(text: str) -> str:
    """Whitespace runs as one space, trimmed: Ansible's msg."""
    return re.sub(r"\s+", " ", text).strip()
