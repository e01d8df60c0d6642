"""A few ``ansible.*`` names for the user's plugin files, when Ansible is not installed.

Filter, test and lookup plugins written for Ansible import a handful of its names:
``ansible.errors.AnsibleFilterError``, ``ansible.plugins.lookup.LookupBase``,
``ansible.module_utils.common.text.converters.to_text``, ``ansible.utils.display.Display``,
``ansible.module_utils.six.string_types``. ``shimmed()`` provides those (and only those)
while one plugin file is imported, then puts back what was there, so nothing else in the
process sees a fake ``ansible``. A plugin that needs more of Ansible fails to load with a
warning that names the missing module.
"""

from __future__ import annotations

import logging
import sys
import threading
import types
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from .lookup_base import LookupFailed, search

__all__ = ["LookupBase", "shimmed"]

logger = logging.getLogger("playbook_engine.templating.plugins")
_LOCK = threading.RLock()


class AnsibleError(Exception):
    """Ansible's base error; ``message`` as Ansible's has it."""

    def __init__(self, message: Any = "", *args: Any, **kwargs: Any) -> None:
        super().__init__(message)
        self.message = str(message)


class AnsibleFilterError(AnsibleError):
    pass


class AnsibleFilterTypeError(AnsibleFilterError, TypeError):
    pass


class AnsibleLookupError(AnsibleError):
    pass


class AnsibleParserError(AnsibleError):
    pass


class AnsibleRuntimeError(AnsibleError):
    pass


class AnsibleOptionsError(AnsibleError):
    pass


class AnsibleTemplateError(AnsibleError):
    pass


class AnsibleUndefinedVariable(AnsibleTemplateError):
    pass


def to_text(
    obj: Any, encoding: str = "utf-8", errors: str | None = None, nonstring: str = "simplerepr"
) -> str:
    if isinstance(obj, bytes):
        return obj.decode(encoding, "replace" if errors is None else "strict")
    return str(obj)


def to_bytes(
    obj: Any, encoding: str = "utf-8", errors: str | None = None, nonstring: str = "simplerepr"
) -> bytes:
    return obj if isinstance(obj, bytes) else str(obj).encode(encoding)


class Display:
    """Ansible's console printer, sent to pbe's log instead."""

    def display(self, msg: str, *args: Any, **kwargs: Any) -> None:
        logger.info("%s", msg)

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None:
        logger.warning("%s", msg)

    def deprecated(self, msg: str, *args: Any, **kwargs: Any) -> None:
        logger.warning("deprecated: %s", msg)

    def error(self, msg: str, *args: Any, **kwargs: Any) -> None:
        logger.error("%s", msg)

    def _debug(self, msg: str, *args: Any, **kwargs: Any) -> None:
        logger.debug("%s", msg)

    debug = v = vv = vvv = vvvv = vvvvv = vvvvvv = _debug


class LookupBase:
    """What lookup plugins subclass: ``run(terms, variables, **kwargs)`` returns a list.

    Options: ``set_options(direct=kwargs)`` then ``get_option(name)``, with defaults from
    the plugin's ``DOCUMENTATION`` when it has one."""

    _defaults: Mapping[str, Any] = {}

    def __init__(self, loader: Any = None, templar: Any = None, **kwargs: Any) -> None:
        self._loader = loader
        self._templar = templar
        self._options: dict[str, Any] = dict(self._defaults)
        self._display = Display()

    def run(self, terms: list[Any], variables: Any = None, **kwargs: Any) -> list[Any]:
        raise NotImplementedError

    def set_options(
        self,
        task_keys: Any = None,
        var_options: Any = None,
        direct: Mapping[str, Any] | None = None,
    ) -> None:
        self._options.update(direct or {})

    def get_option(self, option: str, hostvars: Any = None) -> Any:
        if option not in self._options:
            raise KeyError(f"Requested entry ({option}) was not defined in configuration")
        return self._options[option]

    def get_options(self, hostvars: Any = None) -> dict[str, Any]:
        return dict(self._options)

    def set_option(self, option: str, value: Any) -> None:
        self._options[option] = value

    def find_file_in_search_path(
        self, myvars: Mapping[str, Any], subdir: str, needle: str, ignore_missing: bool = False
    ) -> str | None:
        try:
            return str(search(myvars, subdir, needle))
        except LookupFailed:
            if ignore_missing:
                return None
            raise AnsibleLookupError(f"could not find {needle} in {subdir}") from None

    def get_basedir(self, variables: Mapping[str, Any]) -> str:
        """Where relative names start: the role's directory, else the playbook's."""
        return str(variables.get("role_path") or variables.get("playbook_dir") or ".")

    @staticmethod
    def _flatten(terms: Any) -> list[Any]:
        out: list[Any] = []
        for term in terms:
            out.extend(term if isinstance(term, (list, tuple)) else [term])
        return out


def _module(name: str, **attrs: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    if not name.count(".") or name.endswith(("plugins", "module_utils", "utils", "common", "text")):
        module.__path__ = []  # a package, so its submodules import
    return module


def _six() -> dict[str, Any]:
    return {
        "PY2": False,
        "PY3": True,
        "string_types": (str,),
        "text_type": str,
        "binary_type": bytes,
        "integer_types": (int,),
        "iteritems": lambda d, **kw: iter(d.items(**kw)),
        "iterkeys": lambda d, **kw: iter(d.keys(**kw)),
        "itervalues": lambda d, **kw: iter(d.values(**kw)),
    }


def _shim_modules() -> dict[str, types.ModuleType]:
    errors = {
        name: obj
        for name, obj in globals().items()
        if isinstance(obj, type) and issubclass(obj, AnsibleError)
    }
    text = {"to_text": to_text, "to_native": to_text, "to_bytes": to_bytes}
    names: dict[str, dict[str, Any]] = {
        "ansible": {},
        "ansible.errors": errors,
        "ansible.plugins": {},
        "ansible.plugins.lookup": {"LookupBase": LookupBase},
        "ansible.plugins.filter": {},
        "ansible.plugins.test": {},
        "ansible.module_utils": {},
        "ansible.module_utils._text": text,
        "ansible.module_utils.common": {},
        "ansible.module_utils.common.text": {},
        "ansible.module_utils.common.text.converters": text,
        "ansible.module_utils.six": _six(),
        "ansible.utils": {},
        "ansible.utils.display": {"Display": Display},
    }
    return {name: _module(name, **attrs) for name, attrs in names.items()}


@contextmanager
def shimmed() -> Iterator[None]:
    """While importing one plugin file: the shim ``ansible`` modules, then whatever was in
    ``sys.modules`` before. Used even when Ansible is installed: its ``LookupBase`` only
    works inside Ansible's plugin loader. One import at a time (workers load roles too)."""
    with _LOCK:
        modules = _shim_modules()
        saved = {name: sys.modules[name] for name in modules if name in sys.modules}
        sys.modules.update(modules)
        try:
            yield
        finally:
            for name in modules:
                sys.modules.pop(name, None)
            sys.modules.update(saved)
