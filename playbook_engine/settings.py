"""Ansible's configuration: ``ansible.cfg`` and the ``ANSIBLE_*`` variables.

A project's ``ansible.cfg`` says where its inventory and roles are, who to log in as and
whether to become root; without it the same playbook targets no host or fails to find a
role. pbe reads the one file Ansible reads (the first of ``$ANSIBLE_CONFIG``,
``./ansible.cfg`` unless the working directory is world-writable, ``~/.ansible.cfg``,
``/etc/ansible/ansible.cfg``); an environment variable beats the file, a command-line flag
beats both. Relative paths in the file are relative to the file, as in Ansible.

Only the settings in ``SETTINGS`` are read. Those that change results but that pbe does
not implement (``UNSUPPORTED``) are warned about when set; the rest of the file (output
callbacks, ssh arguments, fact caches) is ignored.
"""

from __future__ import annotations

import configparser
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import OptionsError, Problem
from .source import SourceLocation

# Ansible's boolean spellings (any case), for settings and for the options' checks
TRUE_WORDS = ("true", "yes", "on", "1", "y", "t")
FALSE_WORDS = ("false", "no", "off", "0", "n", "f")


@dataclass(frozen=True)
class Setting:
    name: str  # Ansible's name: what lookup('config', ...) takes
    key: str  # in the ini file
    env: tuple[str, ...]  # the first one set wins
    kind: str  # bool, int, float, str, list, path, pathspec (a:b), pathlist (a,b)
    default: Any  # what pbe does when nothing sets it
    section: str = "defaults"
    choices: tuple[str, ...] = ()


def _s(name: str, key: str, kind: str, default: Any, *more_env: str, **kw: Any) -> Setting:
    return Setting(name, key, (*more_env, f"ANSIBLE_{key.upper()}"), kind, default, **kw)


_HOME = Path("~/.ansible").expanduser()
_ETC = Path("/etc/ansible/ansible.cfg")

SETTINGS: tuple[Setting, ...] = (
    # where things are
    Setting(
        "DEFAULT_HOST_LIST",
        "inventory",
        ("ANSIBLE_INVENTORY",),
        "pathlist",
        (Path("/etc/ansible/hosts"),),  # read only when it exists, as in Ansible
    ),
    _s(
        "DEFAULT_ROLES_PATH",
        "roles_path",
        "pathspec",
        (_HOME / "roles", Path("/usr/share/ansible/roles"), Path("/etc/ansible/roles")),
        "PBE_ROLES_PATH",
    ),
    Setting(
        "COLLECTIONS_PATHS",
        "collections_path",
        ("ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_COLLECTIONS_PATHS"),
        "pathspec",
        (_HOME / "collections", Path("/usr/share/ansible/collections")),
    ),
    _s("COLLECTIONS_SCAN_SYS_PATH", "collections_scan_sys_path", "bool", True),
    Setting("DEFAULT_MODULE_PATH", "library", ("ANSIBLE_LIBRARY",), "pathspec", ()),
    _s("DEFAULT_FILTER_PLUGIN_PATH", "filter_plugins", "pathspec", ()),
    _s("DEFAULT_TEST_PLUGIN_PATH", "test_plugins", "pathspec", ()),
    _s("DEFAULT_LOOKUP_PLUGIN_PATH", "lookup_plugins", "pathspec", ()),
    _s("ASYNC_DIR", "async_dir", "str", None),  # the shell's option: a path on the host
    # connecting
    _s("DEFAULT_REMOTE_USER", "remote_user", "str", None),
    _s("DEFAULT_REMOTE_PORT", "remote_port", "int", None),
    _s("DEFAULT_PRIVATE_KEY_FILE", "private_key_file", "path", None),
    _s("HOST_KEY_CHECKING", "host_key_checking", "str", None, "PBE_HOST_KEY_CHECKING"),
    _s("DEFAULT_TRANSPORT", "transport", "str", None),
    _s("DEFAULT_TIMEOUT", "timeout", "float", 10.0),
    _s("DEFAULT_FORKS", "forks", "int", 50),  # Ansible's is 5
    _s("DEFAULT_ASK_PASS", "ask_pass", "bool", False),
    # becoming
    _s("DEFAULT_BECOME", "become", "bool", False, section="privilege_escalation"),
    _s("DEFAULT_BECOME_USER", "become_user", "str", None, section="privilege_escalation"),
    _s("DEFAULT_BECOME_METHOD", "become_method", "str", None, section="privilege_escalation"),
    _s("DEFAULT_BECOME_ASK_PASS", "become_ask_pass", "bool", False, section="privilege_escalation"),
    # how a run goes
    _s(
        "DEFAULT_GATHERING",
        "gathering",
        "str",
        "implicit",
        choices=("implicit", "explicit", "smart"),
    ),
    _s("DEFAULT_STRATEGY", "strategy", "str", "linear"),
    _s("DEFAULT_FORCE_HANDLERS", "force_handlers", "bool", False),
    _s("ANY_ERRORS_FATAL", "any_errors_fatal", "bool", False),
    _s("ERROR_ON_MISSING_HANDLER", "error_on_missing_handler", "bool", True),
    _s("DEFAULT_NO_LOG", "no_log", "bool", False),
    _s("ALLOW_BROKEN_CONDITIONALS", "allow_broken_conditionals", "bool", False),
    Setting("DIFF_ALWAYS", "always", ("ANSIBLE_DIFF_ALWAYS",), "bool", False, section="diff"),
    _s("DEFAULT_JINJA2_EXTENSIONS", "jinja2_extensions", "list", ()),
    Setting("DEFAULT_MANAGED_STR", "ansible_managed", (), "str", "Ansible managed"),
    # fixed in pbe: read so that a project setting them is told (UNSUPPORTED)
    _s("DEFAULT_HASH_BEHAVIOUR", "hash_behaviour", "str", "replace"),
    _s("DEFAULT_PRIVATE_ROLE_VARS", "private_role_vars", "bool", False),
    Setting(
        "DEFAULT_UNDEFINED_VAR_BEHAVIOR",
        "error_on_undefined_vars",
        ("ANSIBLE_ERROR_ON_UNDEFINED_VARS",),
        "bool",
        True,
    ),
    Setting(
        "INJECT_FACTS_AS_VARS", "inject_facts_as_vars", ("ANSIBLE_INJECT_FACT_VARS",), "bool", True
    ),
    _s("DEFAULT_JINJA2_NATIVE", "jinja2_native", "bool", True),
    _s("TASK_TIMEOUT", "task_timeout", "int", 0),
)

BY_NAME: Mapping[str, Setting] = {s.name: s for s in SETTINGS}

# Settings pbe keeps at their default, and what a project that changes one gets instead.
UNSUPPORTED: Mapping[str, str] = {
    "DEFAULT_HASH_BEHAVIOUR": "variables are replaced, never merged",
    "DEFAULT_PRIVATE_ROLE_VARS": "a role's vars stay visible to later roles",
    "DEFAULT_UNDEFINED_VAR_BEHAVIOR": "an undefined variable is an error",
    "INJECT_FACTS_AS_VARS": "facts are also plain variables (ansible_os_family ...)",
    "DEFAULT_JINJA2_NATIVE": "templates give native types",
    "TASK_TIMEOUT": "tasks have no time limit (use the `timeout` keyword)",
}

# Jinja's own extensions: the only kind `jinja2_extensions` may name in pbe.
JINJA_EXTENSIONS = ("jinja2.ext.do", "jinja2.ext.loopcontrols", "jinja2.ext.debug")


@dataclass(frozen=True)
class Settings:
    """The settings in force: each by Ansible's name, with where its value came from."""

    values: Mapping[str, Any]
    origins: Mapping[str, str]  # "ansible.cfg:3", "ANSIBLE_FORKS" (absent: the default)
    file: Path | None = None
    problems: tuple[Problem, ...] = ()

    def __getitem__(self, name: str) -> Any:
        return self.values[name]


def config_file(environ: Mapping[str, str], cwd: Path) -> tuple[Path | None, list[Problem]]:
    """The file Ansible would read, and the warning when ``./ansible.cfg`` is skipped."""
    problems: list[Problem] = []
    given = environ.get("ANSIBLE_CONFIG")
    if given:
        path = _named(given)
        if not path.is_file():
            raise OptionsError(f"ANSIBLE_CONFIG={given!r}: no such file")
        return path, problems
    local = cwd / "ansible.cfg"
    if local.is_file():
        if _world_writable(cwd):
            problems.append(
                Problem(
                    f"the working directory {cwd} is world-writable: its ansible.cfg is "
                    "ignored, as Ansible does (anyone could have put it there)",
                    SourceLocation(str(local)),
                    severity="warning",
                )
            )
        else:
            return local, problems
    for path in (Path("~/.ansible.cfg").expanduser(), _ETC):
        if path.is_file():
            return path, problems
    return None, problems


def _named(given: str) -> Path:
    """The file ``ANSIBLE_CONFIG`` names: itself, or ``ansible.cfg`` in the directory."""
    path = Path(os.path.expandvars(given)).expanduser()
    return path / "ansible.cfg" if path.is_dir() else path


def _world_writable(directory: Path) -> bool:
    try:
        return bool(directory.stat().st_mode & stat.S_IWOTH)
    except OSError:
        return False


def load(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Settings:
    """The settings for a run started in ``cwd`` with ``environ``.

    Raises:
        OptionsError: the file cannot be read or parsed, or a value is not of its type;
            the message names the file and line, or the variable.
    """
    environ = os.environ if environ is None else environ
    cwd = _cwd() if cwd is None else cwd
    path, problems = config_file(environ, cwd)
    ini = _read(path) if path is not None else None
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for setting in SETTINGS:
        raw, origin, base = _raw(setting, environ, ini, path)
        if raw is None:
            values[setting.name] = setting.default
            continue
        try:
            values[setting.name] = _convert(setting, raw, base or cwd)
        except ValueError as exc:
            raise OptionsError(f"{origin}: {setting.key}: {exc}") from None
        origins[setting.name] = origin
    for name, instead in UNSUPPORTED.items():
        if name in origins and values[name] != BY_NAME[name].default:
            problems.append(
                warning(
                    f"{BY_NAME[name].key} = {values[name]} is not supported by pbe and has "
                    f"no effect: {instead}",
                    origins[name],
                )
            )
    for extension in values["DEFAULT_JINJA2_EXTENSIONS"]:
        if extension not in JINJA_EXTENSIONS:
            problems.append(
                warning(
                    f"jinja2_extensions: `{extension}` is not loaded (pbe loads Jinja's own "
                    f"{', '.join(JINJA_EXTENSIONS)})",
                    origins["DEFAULT_JINJA2_EXTENSIONS"],
                )
            )
    return Settings(values, origins, path, tuple(problems))


def warning(message: str, origin: str) -> Problem:
    """A warning about the setting that came from ``origin`` (file:line, or a variable)."""
    file, _, line = origin.rpartition(":")
    if file and line.isdigit():
        return Problem(message, SourceLocation(file, int(line), 1), severity="warning")
    return Problem(f"{origin}: {message}", None, severity="warning")


class _Ini:
    """An ini file as Ansible reads it: ``#`` and ``;`` start a comment line, only ``;``
    an inline one; no ``%`` interpolation; keys without case; a value in quotes loses
    them. Line numbers for messages."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.parser = configparser.ConfigParser(inline_comment_prefixes=(";",))
        self.lines = text.splitlines()
        try:
            self.parser.read_string(text, str(path))
        except configparser.Error as exc:
            raise OptionsError(f"cannot read {path}: {_one_line(exc)}") from None

    def get(self, section: str, key: str) -> tuple[str, int] | None:
        if not self.parser.has_option(section, key):
            return None
        line = self._line(section, key)
        return _unquote(self.parser.get(section, key, raw=True)), line

    def _line(self, section: str, key: str) -> int:
        current = None
        pattern = re.compile(rf"\s*{re.escape(key)}\s*[=:]", re.IGNORECASE)
        for number, text in enumerate(self.lines, 1):
            header = re.match(r"\s*\[([^\]]+)\]", text)
            if header:
                current = header.group(1).strip()
            elif current == section and pattern.match(text):
                return number
        return 0


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _read(path: Path) -> _Ini:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OptionsError(f"cannot read {path}: {exc}") from None
    return _Ini(path, text)


def _raw(
    setting: Setting, environ: Mapping[str, str], ini: _Ini | None, path: Path | None
) -> tuple[str | None, str, Path | None]:
    """The text that sets ``setting``, where it came from and the base of its relative
    paths (the file's directory; the working directory for a variable)."""
    for name in setting.env:
        if name in environ:
            return environ[name], name, None
    if ini is not None and path is not None:
        found = ini.get(setting.section, setting.key)
        if found is not None:
            return found[0], f"{path}:{found[1]}", path.parent
    return None, "", None


def _convert(setting: Setting, raw: str, base: Path) -> Any:
    text = raw.strip()
    kind = setting.kind
    if kind == "bool":
        return to_bool(text)
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
    if kind == "float":
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
    if kind == "path":
        return _path(text, base) if text else None
    if kind == "pathspec":
        return tuple(_path(p, base) for p in text.split(os.pathsep) if p.strip())
    if kind == "pathlist":
        return tuple(_path(p.strip(), base) for p in text.split(",") if p.strip())
    if kind == "list":
        return tuple(_unquote(p) for p in text.split(",") if p.strip())
    if setting.choices and text.lower() not in setting.choices:
        raise ValueError(f"{text!r} is not one of {', '.join(setting.choices)}")
    return text.lower() if setting.choices else raw  # as given: an error shows it so


def _path(text: str, base: Path) -> Path:
    path = Path(os.path.expandvars(text.strip())).expanduser()
    return path if path.is_absolute() else base / path


def to_bool(text: str) -> bool:
    """Ansible's boolean spellings, any case, an empty value false; anything else is an
    error."""
    low = text.strip().lower()
    if low in TRUE_WORDS:
        return True
    if low in FALSE_WORDS or not low:
        return False
    raise ValueError(f"{text!r} is not a boolean (true/false, yes/no, on/off, 1/0)")


# -- the settings in force ----------------------------------------------------------------

_cache: dict[tuple[Any, ...], Settings] = {}
ENV_NAMES = ("ANSIBLE_CONFIG", *(name for s in SETTINGS for name in s.env))


def current() -> Settings:
    """The settings for this process's working directory and environment, read again when
    either or the file changes (a long-lived program may run in several projects)."""
    cwd = _cwd()
    env = os.environ
    key = (cwd, *(env.get(name) for name in ENV_NAMES), *_stamps(cwd, env.get("ANSIBLE_CONFIG")))
    found = _cache.get(key)
    if found is None:
        found = load(env, cwd)
        if len(_cache) > 16:
            _cache.clear()
        _cache[key] = found
    return found


def _cwd() -> Path:
    """The working directory; one that was removed has no ansible.cfg (``/nonexistent``)."""
    try:
        return Path.cwd()
    except OSError:
        return Path("/nonexistent")


def _stamps(cwd: Path, given: str | None) -> tuple[Any, ...]:
    out: list[Any] = []
    candidates = [cwd / "ansible.cfg", Path("~/.ansible.cfg").expanduser(), _ETC]
    if given:
        candidates.append(_named(given))
    for path in candidates:
        try:
            info = path.stat()
            out.append((info.st_mtime_ns, info.st_size))
        except OSError:
            out.append(None)
    return tuple(out)
