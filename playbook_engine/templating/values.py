"""Where a string came from decides whether it may be a template.

Only text an author wrote — the playbook and its task files, roles, vars files, the
inventory, ``-e`` and the API's ``extra_vars`` — is ``TrustedStr`` and may be rendered.
Everything else is data: command output, facts, registered results, file contents, lookup
results, and *every* string a template or filter produces. Trust is never inherited: a
``str`` method, a filter or a concatenation returns a plain ``str``, so host data cannot
become template code on its way through ``trim``, ``split``, ``regex_findall``, a loop
item or ``set_fact``, whatever path it takes. Forgetting to trust something fails safe
(the text is shown as written); forgetting to distrust cannot happen, because nothing
needs to be.

``Unsafe`` is an author's explicit ``!unsafe``: data even though it sits in a playbook.
``Vaulted`` is an author's ``!vault`` value: Ansible Vault ciphertext, which pbe cannot
decrypt (it has no vault password), so using it is an error where it is used, not where
it is read.

The other values here stand for what only a real run can know, in a check run:
``UnknownValue`` (the result of a task check mode could not run; any use unwinds the task
as ``Unpredictable``) and ``Predicted`` (a value computed from the check run's prediction of
the host's files, which a task acting on the real host may not read).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = [
    "Predicted",
    "PredictionReads",
    "TrustedStr",
    "UnknownValue",
    "Unpredictable",
    "Unsafe",
    "Vaulted",
    "acting_for_real",
    "author_text",
    "distrust",
    "is_template",
    "note_prediction",
    "trust",
]

_MARKERS = ("{{", "{%", "{#")


class TrustedStr(str):
    """Text from a source an author wrote: it may hold ``{{ }}`` to render."""

    __slots__ = ()


class Unsafe(str):
    """``!unsafe`` text: never rendered, though it came from a playbook."""

    __slots__ = ()


class VaultLocked(ValueError):
    """A ``!vault`` value was used: pbe cannot decrypt it."""


class Vaulted:
    """A ``!vault`` scalar: Ansible Vault ciphertext. pbe has no vault password, so the
    value may be carried and tested (``x is vault_encrypted``, ``x is defined``) but any
    use of its text (printing, comparing, a module argument) fails with a clear error,
    never a silent use of the ciphertext as if it were the secret."""

    __slots__ = ("ciphertext", "where")

    def __init__(self, ciphertext: str, where: str = "") -> None:
        self.ciphertext = ciphertext
        self.where = where

    def locked(self) -> VaultLocked:
        at = f" (from {self.where})" if self.where else ""
        return VaultLocked(
            f"cannot use a vault-encrypted value{at}: pbe does not decrypt Ansible Vault "
            "data (there is no vault password)"
        )

    def _use(self, *_: Any, **__: Any) -> Any:
        raise self.locked()

    __str__ = __int__ = __float__ = __bool__ = __iter__ = __len__ = _use
    __getitem__ = __eq__ = __ne__ = __lt__ = __gt__ = __le__ = __ge__ = __contains__ = _use
    __add__ = __radd__ = __mul__ = __mod__ = _use
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "<vault-encrypted value>"


def type_name(value: Any) -> str:
    """The builtin type a value is, as messages name it (a loader's positioned string is a
    ``str``, never its internal class)."""
    for kind in (bool, int, float, str, list, dict):
        if isinstance(value, kind):
            return kind.__name__
    return "NoneType" if value is None else type(value).__name__


def is_template(value: Any) -> bool:
    """True for trusted text that holds Jinja markup; the only gate to rendering."""
    return isinstance(value, TrustedStr) and any(m in value for m in _MARKERS)


def trust(value: T) -> T:
    """Mark the plain strings in an author's data (keys and values, recursively) trusted.

    Strings that already have a type of their own (``TrustedStr``, ``Unsafe``, a loader's
    positioned string) keep it, so ``!unsafe`` survives. Unchanged containers are returned
    as they are (a loader's mapping keeps its positions)."""
    return _convert(value, _trust_str)  # type: ignore[no-any-return]


def author_text(value: Any) -> str:
    """``str(value)`` for a value an author wrote: trusted text (``!unsafe`` stays data)."""
    if isinstance(value, (TrustedStr, Unsafe)):
        return value
    return TrustedStr(value)


def distrust(value: T) -> T:
    """``value`` with every trusted string turned into data; the same object when there
    was none (results can be large: no copy unless something changes)."""
    return _convert(value, _distrust_str)  # type: ignore[no-any-return]


def _trust_str(text: str) -> str:
    return TrustedStr(text) if type(text) is str else text


def _distrust_str(text: str) -> str:
    return str(text) if isinstance(text, TrustedStr) else text


def _convert(value: Any, convert: Callable[[str], str]) -> Any:
    """Apply ``convert`` to every string in dicts, lists and tuples; copy only on change."""
    if isinstance(value, str):
        return convert(value)
    if isinstance(value, dict):
        pairs = [(_convert(k, convert), _convert(v, convert)) for k, v in value.items()]
        if all(a is k and b is v for (a, b), (k, v) in zip(pairs, value.items(), strict=True)):
            return value
        return dict(pairs)
    if isinstance(value, (list, tuple)):
        items = [_convert(v, convert) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return type(value)(items) if type(value) in (list, tuple) else items
    return value


# -- values only a real run can know (check mode) ---------------------------------------


class Unpredictable(Exception):  # noqa: N818 - it is a state, raised to unwind
    """A check run read a value that only a real run could produce."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class UnknownValue:
    """A variable whose value only a real run could know: the registered result of a task
    check mode could not run, or a fact set from one. It is defined, but any use of it
    unwinds the task as unpredictable instead of computing with a wrong value."""

    __slots__ = ("what",)

    def __init__(self, what: str) -> None:
        self.what = what

    def _unknown(self, *_: Any, **__: Any) -> Any:
        raise Unpredictable(self.what)

    __str__ = __int__ = __float__ = __bool__ = __iter__ = __len__ = _unknown
    __getitem__ = __eq__ = __ne__ = __lt__ = __gt__ = __le__ = __ge__ = __contains__ = _unknown
    __add__ = __radd__ = __mul__ = __sub__ = _unknown
    __hash__ = None  # type: ignore[assignment]

    def __getattr__(self, name: str) -> Any:
        raise Unpredictable(self.what)


class Predicted:
    """A variable a check run computed from predicted, not real, host state: the ``stat``
    of a file an earlier task would create, a result planned against such a file, a fact set
    from either. Templates read it as its value (it is what the real run will see), but a
    task that acts on the real host during the check run may not: that host does not have
    the predicted state, so acting on it would be wrong (see ``PredictionReads``)."""

    __slots__ = ("value", "what")

    def __init__(self, value: Any, what: str) -> None:
        self.value = value
        self.what = what


class PredictionReads:
    """What one task of a check run read of predicted state. Once the task acts on the real
    host (``check_mode: false``), reading predicted state makes it unpredictable."""

    def __init__(self) -> None:
        self.read: dict[str, None] = {}  # in the order first read
        self.real = False

    @property
    def first(self) -> str:
        return next(iter(self.read))

    def note(self, what: str) -> None:
        if self.real:
            raise Unpredictable(what)
        self.read.setdefault(what)

    @contextmanager
    def tracking(self) -> Iterator[PredictionReads]:
        """Make this the current task's record (per thread) while the block runs."""
        token = _READS.set(self)
        try:
            yield self
        finally:
            _READS.reset(token)


_READS: ContextVar[PredictionReads | None] = ContextVar("pbe_prediction_reads", default=None)


def note_prediction(what: str) -> None:
    """Predicted state was read (a ``Predicted`` variable, or the check run's prediction of
    the host's files): recorded for the current task, or Unpredictable if it acts for real."""
    if (reads := _READS.get()) is not None:
        reads.note(what)


def acting_for_real() -> None:
    """The current task acts on the real host from now on: any predicted state it read
    already (in ``when``, ``loop``) makes it unpredictable, and so does any it reads later."""
    if (reads := _READS.get()) is not None:
        reads.real = True
        if reads.read:
            raise Unpredictable(reads.first)
