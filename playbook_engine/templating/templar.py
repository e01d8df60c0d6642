"""Sandboxed Jinja2 rendering with native types, lazy variables and unsafe host data.

- A value that is one whole ``{{ expression }}`` keeps its native type (``"{{ 3 }}"`` → 3).
- Undefined variables are errors naming the variable.
- Variables are rendered lazily when a template reads them, so ``a: "{{ b }}"`` works.
- Only trusted text (``values.TrustedStr``: what an author wrote) is ever rendered; host
  data and everything a template produces is plain data (see ``values``).
- In a check run, a variable computed from *predicted* host state is ``Predicted``: read
  as its value, but a task that acts on the real host may not read it (``PredictionReads``).
"""

from __future__ import annotations

import datetime
import difflib
import functools
import re
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.lexer import TOKEN_STRING, Lexer, Token, get_lexer
from jinja2.nativetypes import NativeCodeGenerator
from jinja2.sandbox import (
    ImmutableSandboxedEnvironment,
    SandboxedEnvironment,
    modifies_known_mutable,
)
from jinja2.utils import missing

from .. import settings
from ..errors import PbeError, TemplateError, UndefinedVariable
from ..source import SourceLocation
from . import filters, lookups
from .inline import WithInline, compile_condition
from .lines import Lines
from .lookup_base import FINDER, LookupFailed
from .lookup_base import template_files as template_files  # where the template module finds it
from .lookup_base import template_vars as template_vars  # likewise
from .plugins import FoundOnDemand
from .values import (
    Predicted,
    TrustedStr,
    UnknownValue,
    Unpredictable,
    Vaulted,
    is_template,
    note_prediction,
    trust,
)


class _LazyUndefined(jinja2.StrictUndefined):
    """As in Ansible 2.19: an undefined value fails where it is used (printed, iterated,
    compared, judged true or false), not where it is reached, so ``x.y | default('d')``,
    ``x.y is defined`` and a filter over it in the branch ``ternary`` does not take are
    fine. Its attributes and items are itself: the error still names the missing ``x``."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__":
            raise AttributeError(name)
        return self

    def __getitem__(self, key: Any) -> Any:
        return self


# Filters that look at an undefined value themselves; every other passes it on untouched.
_SEE_UNDEFINED = frozenset({"default", "d", "mandatory"})


# Jinja's filters that give a generator: a list instead, as Ansible 2.19+ gives one, so
# `(users | selectattr("admin"))[0]` indexes it and it can be used twice.
_GENERATING = ("select", "reject", "selectattr", "rejectattr", "map", "batch", "slice")


def _listed(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)  # keeps Jinja's pass_context mark
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        value = func(*args, **kwargs)
        return list(value) if isinstance(value, types.GeneratorType) else value

    return wrapper


def _passing_undefined(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` that returns an undefined value it is given instead of failing on it."""
    index = 0 if getattr(func, "jinja_pass_arg", None) is None else 1  # after the context

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if len(args) > index and isinstance(args[index], jinja2.Undefined):
            return args[index]
        return func(*args, **kwargs)

    return wrapper


def _finalize(value: Any) -> Any:
    if (undefined := _undefined_in(value)) is not None:  # `{{ [x.missing] }}` too
        undefined._fail_with_undefined_error()
    if isinstance(value, Vaulted):  # what an expression gives is used: ciphertext is not
        raise value.locked()
    return value


def _undefined_in(value: Any) -> jinja2.Undefined | None:
    """The first undefined value in ``value`` or the lists and dicts it holds (a template's
    result is used whole: an undefined part of it is as wrong as an undefined result)."""
    if isinstance(value, jinja2.Undefined):
        return value
    if not isinstance(value, (list, tuple, dict, set, frozenset)):
        return None
    stack, seen = [value], set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        for part in item.values() if isinstance(item, dict) else item:
            if isinstance(part, jinja2.Undefined):
                return part
            if isinstance(part, (list, tuple, dict, set, frozenset)):
                stack.append(part)
    return None


def _now(utc: bool = False, fmt: str | None = None) -> Any:
    """The ``now()`` global: the current time (naive; UTC with ``utc``), as text with ``fmt``."""
    moment = datetime.datetime.now(datetime.timezone.utc if utc else None).replace(tzinfo=None)
    return moment.strftime(fmt) if fmt else moment


def _undef(hint: str | None = None) -> jinja2.Undefined:
    """The ``undef()`` global: an undefined value, failing with ``hint`` where it is used."""
    if hint is not None and not isinstance(hint, str):
        raise TypeError(f"undef: hint must be a string, got {type(hint).__name__}")
    return _LazyUndefined(hint=hint or None)


class _CodeGenerator(NativeCodeGenerator):
    """Native output without constant folding: jinja's native generator folds constant
    expressions into strings (``{{ 3 }}`` → '3') and expects a literal_eval afterwards,
    which we don't do, so only literal template text may be folded.

    A list or dict a template writes (``{% set seen = [] %}``) is the template's own: it
    may change it in place (``seen.append(x)``), as Ansible allows (see ``_Owned``)."""

    def _output_child_to_const(self, node: nodes.Expr, frame: Any, finalize: Any) -> Any:
        if isinstance(node, nodes.TemplateData):
            return node.as_const(frame.eval_ctx)
        raise nodes.Impossible()

    def visit_List(self, node: nodes.List, frame: Any) -> None:
        self._owned(lambda: super(_CodeGenerator, self).visit_List(node, frame))

    def visit_Dict(self, node: nodes.Dict, frame: Any) -> None:
        self._owned(lambda: super(_CodeGenerator, self).visit_Dict(node, frame))

    def visit_Const(self, node: nodes.Const, frame: Any) -> None:
        if isinstance(node.value, (list, dict)):  # a folded literal: all of it is new
            self._owned(lambda: super(_CodeGenerator, self).visit_Const(node, frame), deep=True)
        else:
            super().visit_Const(node, frame)

    def _owned(self, write: Callable[[], None], deep: bool = False) -> None:
        self.write(f"environment.owned(deep={deep}, value=")
        write()
        self.write(")")


class _Owned:
    """The containers one render made (literals, copies), which it may change in place.

    Ansible lets a template call ``update``/``append``/... on anything, because every
    host's task renders against copies of the variables. pbe shares variables between hosts
    and tasks (no copy per render), so only what the render itself made may change; a
    variable's own value stays read-only, with a message saying to copy it first."""

    current: ContextVar[dict[int, Any] | None] = ContextVar("pbe_owned", default=None)

    @classmethod
    def add(cls, value: Any, deep: bool = False) -> Any:
        found = cls.current.get()
        if found is not None and isinstance(value, (list, dict, set)):
            found[id(value)] = value  # kept alive: its id stays its own during the render
            if deep:
                for item in value.values() if isinstance(value, dict) else value:
                    cls.add(item, deep=True)
        return value

    @classmethod
    def holds(cls, value: Any) -> bool:
        found = cls.current.get()
        return found is not None and id(value) in found


class _RawStringLexer(Lexer):
    """Jinja string literals whose backslashes are characters, not escapes: in a template
    written in the playbook (a YAML value) Ansible keeps them, so ``'\\1'`` reaches
    ``regex_replace`` as a group reference, not as the character ``\\x01``, and ``'a\\nb'``
    stays four characters. Template files keep Jinja's escapes, as in Ansible."""

    def wrap(
        self,
        stream: Iterable[tuple[int, str, str]],
        name: str | None = None,
        filename: str | None = None,
    ) -> Iterator[Token]:
        def doubled() -> Iterator[tuple[int, str, str]]:
            for lineno, token, value in stream:
                if token == TOKEN_STRING and "\\" in value:
                    value = value[0] + value[1:-1].replace("\\", "\\\\") + value[-1]
                yield lineno, token, value

        return super().wrap(doubled(), name, filename)


class _Layers(Mapping[str, Any]):
    """Mappings read as one, the first that has a name winning, without reading the
    others: a template's own variables over the task's lazily rendered ones."""

    def __init__(self, *layers: Mapping[str, Any]) -> None:
        self.layers = layers

    def __getitem__(self, key: str) -> Any:
        for layer in self.layers:
            if key in layer:
                return layer[key]
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return any(key in layer for layer in self.layers)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(k for layer in self.layers for k in layer))

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _Context(jinja2.runtime.Context):
    """``{% include %}`` hands the included template every variable: Jinja copies them into
    a dict, which would render each one (an unused ``"{{ undefined }}"`` would fail the
    task, as it does not in Ansible); layered, only those read are rendered."""

    def get_all(self) -> Any:
        if not self.vars:
            return self.parent
        return _Layers(self.vars, self.parent)

    def resolve_or_missing(self, key: str) -> Any:
        """A variable whose own template reads an undefined one is undefined itself, failing
        where it is used (as in Ansible since 2.14): Jinja resolves every name a template
        mentions before it runs, so ``a or b`` and ``b | default(1)`` must not fail on
        ``b`` there."""
        try:
            return super().resolve_or_missing(key)
        except UndefinedVariable as exc:
            why = exc.message.removeprefix("undefined variable: ")
            return self.environment.undefined(hint=why, name=key)


class _Template(jinja2.Template):
    def new_context(
        self,
        vars: Any = None,  # noqa: A002 - Jinja's name
        shared: bool = False,
        locals: Mapping[str, Any] | None = None,  # noqa: A002
    ) -> jinja2.runtime.Context:
        if shared and locals and isinstance(vars, _Layers | _LazyVars):
            own = {k: v for k, v in locals.items() if v is not missing}
            layered: Any = _Layers(own, vars)  # Jinja only reads it, as a mapping
            return self.environment.context_class(
                self.environment, layered, self.name, self.blocks, globals=self.globals
            )
        return super().new_context(vars, shared, locals)


class _Environment(ImmutableSandboxedEnvironment):
    """Where a template reads a registered ``stdout_lines``, it gets a real list.

    Results keep output lines as compact ``Lines`` (memory); filters, tests, lookups and
    plugins are written for lists, so the one place a template can reach them converts.
    Huge outputs (over ``LINES_AS_LIST`` lines) stay ``Lines``: a list of millions of small
    strings costs gigabytes, and pbe's own filters and lookups accept ``Lines``."""

    code_generator_class = _CodeGenerator
    context_class = _Context
    template_class = _Template

    @staticmethod
    def owned(value: Any, deep: bool = False) -> Any:
        """Called by compiled templates on each list and dict literal (``_Owned``)."""
        return _Owned.add(value, deep)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not SandboxedEnvironment.is_safe_attribute(self, obj, attr, value):
            return False
        return not modifies_known_mutable(obj, attr) or _Owned.holds(obj)

    def unsafe_undefined(self, obj: Any, attribute: str) -> jinja2.Undefined:
        if not modifies_known_mutable(obj, attribute):
            return super().unsafe_undefined(obj, attribute)
        kind = type(obj).__name__
        return self.undefined(
            f"a template may change only a {kind} it made itself, not a variable's "
            f"(`.{attribute}`): change a copy (`{{% set mine = value.copy() %}}`)",
            name=attribute,
            obj=obj,
            exc=SecurityError,
        )

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        """A copy the template makes (``x.copy()``, ``dict(...)``, ``list(...)``) is its own."""
        result = super().call(__context, __obj, *args, **kwargs)
        if getattr(__obj, "__name__", None) == "copy" or any(__obj is t for t in (dict, list, set)):
            _Owned.add(result)
        return result

    @staticmethod
    def concat(parts: Iterable[Any]) -> str:  # native values too
        """What a macro, a `{% set %}` block or `caller()` renders: text, whatever native
        values its expressions gave (`{% macro hi(n) %}hi {{ n }}{% endmacro %}` with 42)."""
        return "".join(str(p) for p in parts)

    raw_strings = False  # the overlay for templates written in the playbook sets it

    @property
    def lexer(self) -> Lexer:
        if not self.raw_strings:
            return get_lexer(self)
        found = self.__dict__.get("_raw_lexer")
        if found is None:
            found = self.__dict__["_raw_lexer"] = _RawStringLexer(self)
        return found

    def getitem(self, obj: Any, argument: Any) -> Any:
        return _as_list(super().getitem(obj, argument))

    def getattr(self, obj: Any, attribute: str) -> Any:
        return _as_list(super().getattr(obj, attribute))


LINES_AS_LIST = 100_000


def _as_list(value: Any) -> Any:
    if isinstance(value, Lines) and len(value) <= LINES_AS_LIST:
        return list(value)
    return value


def _without_last_newline(text: str) -> str:
    """An included file loses one trailing newline, as in Ansible (whose Jinja drops it):
    ``Hello {% include 'world.txt' %}!`` is ``Hello world!``, not ``Hello world\n!``."""
    for end in ("\r\n", "\n", "\r"):
        if text.endswith(end):
            return text[: -len(end)]
    return text


def _stale() -> bool:
    return False


class _TemplateFiles(jinja2.BaseLoader):
    """Loads what a template file includes, through the finder set for this thread; never
    cached by name (two roles may both have a ``header.j2``)."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        find = FINDER.get()
        if find is None:  # a template string in a playbook: no files to include from
            raise jinja2.TemplateNotFound(template)
        try:
            path = find(template)
            return _without_last_newline(path.read_text(encoding="utf-8")), str(path), _stale
        except (OSError, UnicodeDecodeError, PbeError, LookupFailed):
            raise jinja2.TemplateNotFound(template) from None


class TemplateEngine:
    """One per run: the sandboxed environment and a cache of compiled templates."""

    def __init__(self) -> None:
        self.env = _Environment(
            undefined=_LazyUndefined,
            finalize=_finalize,
            keep_trailing_newline=True,
            autoescape=False,
            loader=_TemplateFiles(),
            cache_size=0,
            extensions=[  # the `jinja2_extensions` setting: Jinja's own ones only
                e
                for e in settings.current()["DEFAULT_JINJA2_EXTENSIONS"]
                if e in settings.JINJA_EXTENSIONS
            ],
        )
        filters.install(self.env)
        lookups.install(self.env)
        self.env.globals.update(now=_now, undef=_undef)
        for name in _GENERATING:
            self.env.filters[name] = _listed(self.env.filters[name])
        for name, func in list(self.env.filters.items()):
            if name.removeprefix("ansible.builtin.") not in _SEE_UNDEFINED:
                self.env.filters[name] = _passing_undefined(func)
        # what the loader finds on demand: an installed collection's plugin, by its FQCN
        self.find_plugin: Callable[[str, str], Any] | None = None
        self.env.filters = FoundOnDemand(self.env.filters, self._finding("filter_plugins"))
        self.env.tests = FoundOnDemand(self.env.tests, self._finding("test_plugins"))
        self.env.pbe_lookups = FoundOnDemand(  # type: ignore[attr-defined]
            self.env.pbe_lookups,  # type: ignore[attr-defined]
            self._finding("lookup_plugins"),
        )
        # templates written in the playbook: string literals keep their backslashes
        self.values = self.env.overlay()
        self.values.raw_strings = True
        self.compile = functools.lru_cache(maxsize=2048)(self.values.from_string)
        self.compile_file = functools.lru_cache(maxsize=256)(self.env.from_string)
        self._dialects: dict[tuple[tuple[str, Any], ...], jinja2.Environment] = {}
        self.inline = functools.lru_cache(maxsize=512)(
            functools.partial(compile_condition, self.env)
        )

    def compile_in(
        self, source: str, syntax: Mapping[str, Any] | None, raw: bool = False
    ) -> jinja2.Template:
        """``source`` compiled with other Jinja syntax options (delimiters, trim_blocks):
        an overlay of the run's environment, same filters, tests and sandbox. ``raw``: a
        template written in the playbook (see ``_RawStringLexer``), else a template file."""
        if not syntax:
            return self.compile(source) if raw else self.compile_file(source)
        key = tuple(sorted(syntax.items()))
        if key not in self._dialects:  # a benign race: both threads build the same overlay
            self._dialects[key] = self.env.overlay(**dict(key))
        return self._dialects[key].from_string(source)

    def templar(self, variables: Mapping[str, Any], loc: SourceLocation | None = None) -> Templar:
        return Templar(self, variables, loc)

    def check_syntax(self, source: str, raw: bool = False) -> str | None:
        """The syntax error in a template, or None; used by validation. ``raw``: a value
        written in the playbook, whose string literals keep their backslashes."""
        try:
            (self.values if raw else self.env).parse(source)
        except jinja2.TemplateSyntaxError as exc:
            return exc.message or "syntax error"
        return None

    def _finding(self, kind: str) -> Callable[[str], Any]:
        return lambda name: None if self.find_plugin is None else self.find_plugin(kind, name)

    def unknown_names(self, source: str, raw: bool = False) -> list[tuple[str, str]]:
        """(kind, name) of each filter and test a parsable template uses that this
        environment lacks: a warning at validation, since a plugin may provide it later."""
        try:
            tree = (self.values if raw else self.env).parse(source)
            found = [
                ("filter", n.name)
                for n in tree.find_all(nodes.Filter)
                if n.name not in self.env.filters
            ]
            found += [
                ("test", n.name) for n in tree.find_all(nodes.Test) if n.name not in self.env.tests
            ]
        except (jinja2.TemplateSyntaxError, RecursionError):  # reported by check_syntax
            return []
        return list(dict.fromkeys(found))


def _joined(parts: list[Any]) -> Any:
    """One part keeps its type (a whole ``{{ expr }}``); several are text."""
    if len(parts) == 1:
        return parts[0]
    return "".join(str(p) for p in parts)


class Templar:
    """Renders values for one host and task against a variables mapping."""

    def __init__(
        self,
        engine: TemplateEngine,
        variables: Mapping[str, Any],
        loc: SourceLocation | None = None,
    ) -> None:
        self.engine = engine
        self.env = engine.env
        self.loc = loc
        self.vars = _LazyVars(self, variables)

    def render(self, value: Any) -> Any:
        """Render strings inside ``value`` (recursively); other values pass through."""
        if isinstance(value, str):
            return self.render_str(value) if is_template(value) else value
        if isinstance(value, UnknownValue):
            return value
        if isinstance(value, Vaulted):
            raise TemplateError(str(value.locked()), self.loc)
        if isinstance(value, dict):
            return {self.render(k): self.render(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.render(v) for v in value]
        return value

    def render_text(
        self,
        source: str,
        syntax: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        """Render as text even when the template is one expression (template files),
        optionally with ``extra`` variables (``template_path`` ...) and other Jinja
        ``syntax`` options (the template lookup's)."""
        if extra:
            return self.vars.render_text(source, syntax, extra)
        return "".join(str(p) for p in self._parts(source, syntax))

    def render_str(self, source: str) -> Any:
        return _joined(self._parts(source, raw=True))

    def _expression(self, source: str) -> Any:
        """A condition's value (Jinja's escapes in its string literals)."""
        return _joined(self._parts(source))

    def _parts(
        self, source: str, syntax: Mapping[str, Any] | None = None, raw: bool = False
    ) -> list[Any]:
        return self._run(lambda: self.engine.compile_in(source, syntax, raw), self.vars, source)

    def _run(
        self,
        compile_: Callable[[], jinja2.Template],
        variables: Mapping[str, Any],
        source: str,
    ) -> list[Any]:
        owned = _Owned.current.set({}) if _Owned.current.get() is None else None
        try:
            template = compile_()
            # shared=True: jinja reads our lazy mapping directly instead of copying it
            ctx = template.new_context(variables, shared=True)  # type: ignore[arg-type]
            parts = list(template.root_render_func(ctx))
        except jinja2.UndefinedError as exc:
            raise UndefinedVariable(
                f"undefined variable: {exc.message}", self.loc, f"in template: {source.strip()}"
            ) from None
        except jinja2.TemplateSyntaxError as exc:
            message, hint = describe_syntax_error(self.env, exc)
            raise TemplateError(
                message, self.loc, f"{hint + '; ' if hint else ''}in template: {source.strip()}"
            ) from None
        except (TemplateError, Unpredictable):
            raise
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(
                f"template `{exc.name}` (included) not found beside the template or in templates/",
                self.loc,
            ) from None
        except Exception as exc:  # a filter or test raising: the template's fault
            raise TemplateError(
                f"template error: {_error_text(exc)}", self.loc, f"in template: {source.strip()}"
            ) from None
        finally:
            if owned is not None:
                _Owned.current.reset(owned)
        return parts

    def evaluate(self, condition: Any) -> bool:
        """A ``when``-style condition: a bare expression (or a bool)."""
        if isinstance(condition, bool):
            return condition
        if condition is None:  # `when: null` is no condition (Ansible runs the task)
            return True
        if not isinstance(condition, str):
            if broken_allowed():
                return bool(condition)
            raise TemplateError(
                f"Conditional expressions must be strings (or true/false), got {condition!r}",
                self.loc,
            )
        if not isinstance(condition, TrustedStr):  # data is never evaluated as code
            raise TemplateError(
                f"the condition {condition!r} is an untrusted template or expression (data, "
                "not the playbook's text) and is not evaluated",
                self.loc,
            )
        # a condition is an expression: Jinja's escapes apply in its string literals, as in
        # ansible-core 2.21 (where `{{ }}` templates in values keep their backslashes)
        if not is_template(condition):
            return self._judge(condition, self._expression("{{ (" + condition.strip() + ") }}"))
        if (inline := self.engine.inline(condition)) is None:
            return self._judge(condition, self._expression(condition))
        template, constants = inline
        variables = WithInline(self.vars, constants, lambda text: self.render_text(trust(text)))
        parts = self._run(lambda: template, variables, condition)
        return self._judge(condition, parts[0] if len(parts) == 1 else "".join(map(str, parts)))

    def _judge(self, condition: str, result: Any) -> bool:
        """Ansible 2.19's rule: a condition must come out True or False. Anything else
        (a string, a number, a list...) fails, since its truth is a guess that hides
        mistakes (is the string "no" false?); ``ANSIBLE_ALLOW_BROKEN_CONDITIONALS`` restores
        the guess."""
        if isinstance(result, (bool, UnknownValue)) or broken_allowed():
            return truthy(result)
        kind = next((k.__name__ for k in _PLAIN if isinstance(result, k)), "NoneType")
        if result is not None and kind == "NoneType":
            kind = type(result).__name__
        raise TemplateError(
            f"Conditional result ({truthy(result)}) was derived from value of type '{kind}' "
            f"in `{condition.strip()}`. Conditionals must have a boolean result.",
            self.loc,
            "compare or convert it (`| bool`, `| length > 0`, `is defined`); "
            "ANSIBLE_ALLOW_BROKEN_CONDITIONALS=true allows it",
        )


_UNKNOWN_NAME = re.compile(r"^No (filter|test) named '([^']+)'")
_PACKAGE = str(Path(__file__).resolve().parents[1])


def describe_syntax_error(
    env: jinja2.Environment, exc: jinja2.TemplateSyntaxError
) -> tuple[str, str | None]:
    """(message, hint) for a template that does not compile: an unknown filter or test is
    named as such (it is no syntax error; a plugin may be missing), with a suggestion."""
    text = exc.message or "syntax error"
    if found := _UNKNOWN_NAME.match(text):
        kind, name = found.groups()
        known = env.filters if kind == "filter" else env.tests
        close = difflib.get_close_matches(name, list(known), n=1)
        return f"unknown {kind} `{name}`", f"did you mean `{close[0]}`?" if close else None
    return f"template syntax error: {text}", None


def _error_text(exc: Exception) -> str:
    """A filter's, test's or lookup's error for the user: pbe's own words without its class
    name (an internal detail); another's (a plugin, Python itself) with the class name."""
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last, tb = tb.tb_frame.f_code.co_filename, tb.tb_next
    if last is not None and Path(last).resolve().is_relative_to(_PACKAGE):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


_PLAIN = (str, int, float, list, dict, tuple, set)  # the names a user knows, not ours


def broken_allowed() -> bool:
    """Ansible's ALLOW_BROKEN_CONDITIONALS setting (only asked when a condition is broken)."""
    return bool(settings.current()["ALLOW_BROKEN_CONDITIONALS"])


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        low = value.strip().lower()
        return low not in ("false", "no", "off", "0", "n", "")
    return bool(value)


class _LazyVars(Mapping[str, Any]):
    """Variables as a template sees them: rendered on first read, cached per Templar."""

    def __init__(self, templar: Templar, data: Mapping[str, Any]) -> None:
        self._templar = templar
        self._data = data
        self._globals = templar.env.globals
        self._done: dict[str, Any] = {}
        self._active: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        raw = self._data.get(key)
        if isinstance(raw, Predicted):  # noted on every read: the task may act for real later
            note_prediction(raw.what)
            raw = raw.value
        if key in self._done:
            return self._done[key]
        if isinstance(raw, Vaulted):  # carried as it is: `x is vault_encrypted` may test it
            return raw
        if key not in self._data:
            if key == "vars":  # Ansible's `vars`: every variable, by (computed) name
                return self
            return self._globals[key]
        if key in self._active:
            raise TemplateError(f"recursive loop detected in variable {key!r}", self._templar.loc)
        self._active.add(key)
        try:
            value = self._templar.render(raw)
        finally:
            self._active.discard(key)
        self._done[key] = value
        return value

    def __contains__(self, key: object) -> bool:
        return key in self._data or key in self._globals or key == "vars"

    def render_text(
        self,
        source: str,
        syntax: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        """Render a template file's text with these variables (the `template` lookup),
        plus ``extra`` ones (its ``template_vars``), with other Jinja ``syntax`` options."""
        templar = self._templar
        if extra:
            templar = Templar(templar.engine, {**self._data, **extra}, templar.loc)
        return "".join(str(p) for p in templar._parts(source, syntax))

    def __iter__(self) -> Iterator[str]:
        """The variables, not Jinja's globals (``range``, ``lookup`` …): what ``vars``
        lists and ``debug: var=vars`` shows."""
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)
