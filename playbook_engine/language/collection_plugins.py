"""Filter, test and lookup plugins of installed collections, named by their FQCN.

A template may use ``bodsch.core.type`` or ``lookup('community.general.foo', ...)``: when
such a name is first looked for, the collection is found where its modules are
(``collections/`` beside the playbook, ``ANSIBLE_COLLECTIONS_PATH``, ...) and its
``plugins/filter`` (``test``, ``lookup``) files are loaded as the user's own plugins are
(``templating/plugins``: run on the controller, with the few ``ansible.*`` names pbe
provides, their results data). Short names stay pbe's and the playbook's own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from ..templating.plugins import load_plugin_folder
from ..templating.templar import TemplateEngine
from .catalog import is_fqcn
from .collection_modules import installed_roots

__all__ = ["find_collection_plugins"]

logger = logging.getLogger(__name__)

_loading = threading.Lock()
_FOLDERS = {"filter_plugins": "filter", "test_plugins": "test", "lookup_plugins": "lookup"}


def find_collection_plugins(engine: TemplateEngine) -> None:
    """Let ``engine``'s filters, tests and lookups find collection plugins by FQCN."""
    if engine.find_plugin is None:
        engine.find_plugin = _finder(engine)


def _finder(engine: TemplateEngine) -> Callable[[str, str], Any]:
    env = engine.env

    def find(kind: str, name: str) -> Any:
        if not is_fqcn(name) or name.startswith(("ansible.builtin.", "ansible.legacy.")):
            return None
        tables = {
            "filter_plugins": env.filters,
            "test_plugins": env.tests,
            "lookup_plugins": env.pbe_lookups,  # type: ignore[attr-defined]
        }
        ns, col, _ = name.split(".", 2)
        with _loading:  # another worker may be loading the folder: wait for all of it
            for root in installed_roots():
                folder = root / "ansible_collections" / ns / col / "plugins" / _FOLDERS[kind]
                for problem in load_plugin_folder(env, kind, folder, f"{ns}.{col}.", root):
                    logger.warning("%s", problem)  # the name stays unknown, and says so
                if dict.__contains__(tables[kind], name):
                    return dict.__getitem__(tables[kind], name)
        return None

    return find
