"""What a module is: an argument spec, a docstring, and ``run(args, ctx) -> result``.

A module runs on the controller and drives the target through ``ctx.run()`` (POSIX sh).
Its ``Arg`` spec is declared once and serves validation (as a JSON Schema, before any host
is contacted), coercion of rendered values at run time, ``pbe doc`` and check mode.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, ClassVar, Protocol

from ..errors import ModuleError
from ..masking import NO_LOG_VALUE, mask_url_credentials
from ..templating.lines import Lines
from ..templating.values import type_name
from .result import Result
from .util.modes import ModeError, parse_mode

if TYPE_CHECKING:
    from pathlib import Path

    from ..transport.base import CommandResult, Connection
    from .util.remotefs import RemoteFiles

_JSON_TYPES = {
    "str": "string",
    "path": "string",
    "bool": "boolean",
    "int": "integer",
    "float": "number",
    "list": "array",
    "dict": "object",
    "raw": None,
    "mode": None,
}
TRUE_STRINGS = frozenset({"yes", "on", "true", "1", "y", "t"})
FALSE_STRINGS = frozenset({"no", "off", "false", "0", "n", "f", ""})


@dataclass(frozen=True, slots=True)
class Arg:
    type: str = "str"  # str | path | bool | int | float | list | dict | raw | mode
    required: bool = False
    default: Any = None
    choices: tuple[Any, ...] | None = None
    aliases: tuple[str, ...] = ()
    elements: str | None = None
    description: str = ""
    # its value is a secret (Ansible's ``no_log`` option): masked on every output of the
    # run from the moment the task renders it, and in ``invocation``
    secret: bool = False

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {}
        if jtype := _JSON_TYPES[self.type]:
            schema["type"] = jtype
        if self.type == "mode":
            schema["type"] = ["string", "integer"]
        if self.type in ("str", "path"):  # Ansible turns scalars into strings for these
            schema["type"] = ["string", "number", "boolean"]
        if self.type == "list":  # splits a string at commas; a number is a one-item list
            schema["type"] = ["array", "string", "number"]
        if self.choices is not None:
            schema["enum"] = list(self.choices)
        if self.type == "list" and self.elements in _JSON_TYPES and _JSON_TYPES[self.elements]:
            # an element takes what an argument of its type takes (`ports: [80]`)
            schema["items"] = Arg(self.elements).json_schema()
        if self.description:
            schema["description"] = self.description
        return schema


@dataclass(frozen=True, slots=True)
class Detached:
    """The one command a module's work is, to run as an async job on the host
    (``Module.detach``). ``shown`` is the result's ``cmd``; ``strip`` strips trailing
    newlines from the output."""

    module: str
    shown: Any
    command: str
    stdin: bytes | None = None
    strip: bool = True


class JobStatus(Protocol):
    def status(self) -> dict[str, Any]:
        """Ansible's async_status result for the job."""
        ...


class AsyncJobs(Protocol):
    """The run's controller-side async jobs, by host and jid (what async_status reads)."""

    def get(self, host: str, jid: str) -> JobStatus | None: ...

    def forget(self, host: str, jid: str) -> bool: ...


class ModuleContext(Protocol):
    """What a module may use of the world while it runs on one host.

    ``check``: compute and report the change, apply nothing. ``files`` does that for file
    operations by itself (and feeds the check run's prediction, so later tasks plan against
    the state this one would leave). ``diff``: include a ``diff`` in the result.
    """

    host: str
    check: bool
    diff: bool

    @property
    def jobs(self) -> AsyncJobs:
        """The run's controller-side async jobs (async_status reads them)."""
        ...

    @property
    def files(self) -> RemoteFiles: ...

    @property
    def connection(self) -> Connection: ...

    def run(
        self,
        command: str,
        *,
        stdin: bytes | None = None,
        timeout: float | None = None,
        stdout: IO[bytes] | None = None,
        light: bool = False,
    ) -> CommandResult: ...

    def find_file(self, kind: str, name: str) -> Path: ...

    def render(self, value: Any) -> Any: ...

    def render_text(self, source: str, extra: Mapping[str, Any] | None = None) -> str: ...

    def evaluate(self, condition: Any) -> bool: ...

    def set_facts(self, facts: Mapping[str, Any], template: bool = False) -> None: ...

    def variable(self, name: str) -> Any: ...

    def sleep(self, seconds: float) -> bool:
        """Wait; True when the run is being stopped (then return at once)."""
        ...

    def reconnect(self, connect_timeout: float | None = None) -> None:
        """Drop the host's connection and open a new one; HostUnreachable when it fails."""
        ...


# A module's arguments given as one template (`copy: "{{ copy_args }}"`), rendered when
# the task runs; Ansible's name for it.
VARIABLE_PARAMS = "_variable_params"


class Module:
    """Base for modules; subclasses set the ClassVars and implement ``run``."""

    name: ClassVar[str]
    args: ClassVar[dict[str, Arg]] = {}
    free_form: ClassVar[str | None] = None  # key that takes `module: free text`
    # True: in free text, `NAME=value` of the free-form key itself is taken too
    # (`include_tasks: file=x.yml`, as Ansible parses its non-command modules).
    free_form_kv: ClassVar[bool] = False
    mutually_exclusive: ClassVar[tuple[tuple[str, ...], ...]] = ()
    required_one_of: ClassVar[tuple[tuple[str, ...], ...]] = ()
    supports_check: ClassVar[bool] = True  # False: skipped in check mode
    # Arguments without which a check run skips the task whatever their values (command's
    # `creates`/`removes`: `would_run`); None: check mode runs the module.
    check_skips_unless: ClassVar[tuple[str, ...] | None] = None
    # True: every file a check-run change of this module would make is recorded in the
    # prediction (file, copy, ...). A change by any other module (a package, a service)
    # may create files check mode does not know of: later tasks then assume missing
    # directories may exist, as Ansible's check mode does.
    predicts_files: ClassVar[bool] = False
    needs_connection: ClassVar[bool] = True
    returns: ClassVar[dict[str, str]] = {}
    # Args whose strings are templates evaluated by the module itself (assert's `that`).
    raw_args: ClassVar[frozenset[str]] = frozenset()
    # True for modules whose keys are user data (set_fact): unknown keys pass through.
    open_args: ClassVar[bool] = False
    # True for a module that takes a URL and reports it (get_url, unarchive ...): the user
    # and password in URLs are masked in its result, as Ansible's modules mask them.
    masks_url_credentials: ClassVar[bool] = False
    # True where Ansible's action takes any other argument and ignores it (fetch, raw):
    # validation warns, the run drops it. Elsewhere an unknown argument is an error.
    ignores_unknown_args: ClassVar[bool] = False
    # Hooks the engine reads instead of knowing modules by name:
    # the engine expands the task per host into more tasks (include_tasks, include_role);
    expands_at_run: ClassVar[bool] = False
    # the result's facts are host variables the module set (set_fact, include_vars), not
    # gathered facts, so they are not added as ``ansible_*`` facts.
    sets_variables: ClassVar[bool] = False
    # False where the result's keys echo variables (debug ``var=ansible_facts``): an
    # ``ansible_facts`` key in it is then a value shown, not facts to set.
    returns_facts: ClassVar[bool] = True
    # the result asks the engine to change the inventory (``add_host``/``add_group``).
    changes_inventory: ClassVar[bool] = False
    # path arguments that name controller files (host files when ``remote_src`` is true):
    # a leading ``~`` in the others is the host user's home (``util/home.py``).
    local_paths: ClassVar[frozenset[str]] = frozenset()
    # the task runs once per batch, on its first host, not once per host (add_host, pause):
    # only that host gets (and registers) the result, as in Ansible.
    bypass_host_loop: ClassVar[bool] = False
    # the task may be `async:` (False where Ansible's action refuses it: debug, copy …).
    supports_async: ClassVar[bool] = True
    # modules whose `module_defaults` this one takes too, below its own (gather_facts: setup)
    defaults_from: ClassVar[tuple[str, ...]] = ()

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        raise NotImplementedError

    def detach(self, args: dict[str, Any], ctx: ModuleContext) -> Result | Detached | None:
        """Under ``async:``: the one command this module's work is, to run detached on the
        host (``job_result`` reads its output back); a Result when the module decides
        without it (``creates`` exists); None (the default) to run the whole module as a
        job on the controller."""
        return None

    @classmethod
    def job_result(
        cls, shown: Any, strip: bool, output: CommandResult, started: float, ended: float
    ) -> Result:
        """The result of a finished detached job (see ``detach``)."""
        raise NotImplementedError

    @classmethod
    def skip_reason(cls, args: Mapping[str, Any], verbosity: int) -> str | None:
        """Why the task is skipped without running, given the run's ``-v`` level (debug's
        ``verbosity``); None to run it."""
        return None

    @classmethod
    def summary(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The argument schema: used before the run, and by ``pbe doc``."""
        props: dict[str, Any] = {}
        for key, arg in cls.args.items():
            props[key] = arg.json_schema()
            for alias in arg.aliases:
                props[alias] = arg.json_schema()
        schema: dict[str, Any] = {
            "type": "object",
            "properties": props,
            "additionalProperties": cls.open_args,
            "required": [k for k, a in cls.args.items() if a.required and not a.aliases],
        }
        return schema

    @classmethod
    def controller_paths(cls, args: Mapping[str, Any]) -> frozenset[str]:
        """The path arguments of this call that name controller files."""
        return frozenset() if args.get("remote_src") else cls.local_paths

    @classmethod
    def secret_args(cls) -> tuple[str, ...]:
        return tuple(key for key, arg in cls.args.items() if arg.secret)

    @classmethod
    def shown_args(cls, args: Mapping[str, Any]) -> dict[str, Any]:
        """The arguments as a result's ``invocation`` shows them: secrets replaced, as
        Ansible replaces the values of its ``no_log`` options."""
        hidden = cls.secret_args()
        return {
            k: NO_LOG_VALUE if k in hidden and v is not None else mask_url_credentials(v)
            for k, v in args.items()
        }

    @classmethod
    def canonical(cls, args: Mapping[str, Any]) -> dict[str, Any]:
        """Map aliases to canonical names."""
        alias_of = {alias: key for key, arg in cls.args.items() for alias in arg.aliases}
        return {alias_of.get(k, k): v for k, v in args.items()}

    @classmethod
    def merged(cls, args: Mapping[str, Any]) -> Mapping[str, Any]:
        """``module: "{{ mapping }}"``: the mapping's arguments, the task's own winning."""
        if VARIABLE_PARAMS not in args:
            return args
        given = args[VARIABLE_PARAMS]
        if not isinstance(given, Mapping):
            raise ModuleError(
                f"{cls.name}: its arguments must be a mapping, got {type_name(given)}"
            )
        return {**given, **{k: v for k, v in args.items() if k != VARIABLE_PARAMS}}

    @classmethod
    def coerce(cls, args: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults, aliases and type conversion of rendered args; ModuleError when wrong."""
        values = cls.canonical(cls.merged(args))
        cls._check_names(values)
        out: dict[str, Any] = {}
        for key, arg in cls.args.items():
            if key not in values or values[key] is None:
                if arg.required:
                    raise ModuleError(f"missing required argument: {key}")
                out[key] = arg.default
                continue
            out[key] = _convert(key, values[key], arg)
        for group in cls.mutually_exclusive:  # validation skips templated values: check here
            given = [key for key in group if values.get(key) is not None]
            if len(given) > 1:
                raise ModuleError(f"parameters are mutually exclusive: {'|'.join(given)}")
        if cls.open_args:
            out.update((k, v) for k, v in values.items() if k not in cls.args)
        return out

    @classmethod
    def _check_names(cls, values: Mapping[str, Any]) -> None:
        """What validation reports, again at run time, in Ansible's words: a task whose
        failure is expected (``ignore_errors``) is built with its argument problems."""
        extra = sorted(k for k in values if k not in cls.args)
        if extra and not cls.open_args and not cls.ignores_unknown_args:
            raise ModuleError(f"Unsupported parameters for ({cls.name}) module: {', '.join(extra)}")
        for group in cls.required_one_of:
            if all(values.get(key) is None for key in group):
                raise ModuleError(f"one of the following is required: {', '.join(group)}")


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE_STRINGS | FALSE_STRINGS:
        return value.strip().lower() in TRUE_STRINGS
    raise ValueError(f"{value!r} is not a valid boolean")


def _to_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, Lines):
        return list(value)
    if isinstance(value, str):
        return [v.strip() for v in value.split(",")] if value else []
    return [value]


def _to_str(value: Any) -> str:
    if isinstance(value, (dict, list, Lines)):
        kind = "list" if isinstance(value, Lines) else type(value).__name__
        raise ValueError(f"expected a string, got {kind}")
    return value if isinstance(value, str) else str(value)  # keeps an author's text trusted


def _to_mode(value: Any) -> str:
    if isinstance(value, int):  # YAML 0644 is the int 420; Ansible reads it as octal bits
        return format(value, "04o")
    text = str(value)
    if text != "preserve":  # a mode is checked before anything runs, as Ansible checks it
        try:
            parse_mode(text)
        except ModeError:
            raise ModuleError(
                "mode must be in octal or symbolic form",
                fields={"details": f"bad symbolic permission for mode: {text}"},
            ) from None
    return text


def _to_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    raise ValueError(f"expected a mapping, got {type(value).__name__}")


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "str": _to_str,
    "path": _to_str,
    "bool": to_bool,
    "int": int,
    "float": float,
    "list": _to_list,
    "dict": _to_dict,
    "raw": lambda v: v,
    "mode": _to_mode,
}


def _convert(key: str, value: Any, arg: Arg) -> Any:
    try:
        converted = _CONVERTERS[arg.type](value)
        if arg.type == "list" and arg.elements in _ELEMENT_CONVERTERS:
            convert = _ELEMENT_CONVERTERS[arg.elements]
            converted = [convert(v) if isinstance(v, (str, int, float)) else v for v in converted]
    except (TypeError, ValueError) as exc:
        raise ModuleError(f"argument {key}: {exc}") from None
    if arg.choices is not None and converted not in arg.choices:
        choices = ", ".join(map(str, arg.choices))
        raise ModuleError(f"argument {key}: {converted!r} is not one of: {choices}")
    return converted


def _scalar_text(value: Any) -> Any:
    """A number or boolean element of a list of strings, as text (Ansible converts them)."""
    return str(value) if isinstance(value, (int, float)) else value


# list elements converted at run time: scalars only (a module reads dict elements itself)
_ELEMENT_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "str": _scalar_text,
    "path": _scalar_text,
    "int": int,
    "float": float,
    "bool": to_bool,
}
