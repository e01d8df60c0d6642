"""The threads of one task or one host's walk: bounded, interruptible, never losing a result."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from ..events import HostResult
from .state import RunState

logger = logging.getLogger(__name__)


class Workers:
    """Worker threads of one task (or one free-strategy play) and their results.

    Completion is counted under a condition rather than read from ``Thread.join``, so a
    Ctrl-C landing in the middle of a wait can never lose a result. A first Ctrl-C stops
    the run at the next task boundary; a second one cuts the connections so that even a
    hung remote command lets go.
    """

    def __init__(self, stop: threading.Event, state: RunState, abort: Callable[[], None]) -> None:
        self.stop, self.state, self.abort = stop, state, abort
        self.results: dict[str, HostResult] = {}
        self._done = threading.Condition()
        self._running = 0

    def start(self, target: Callable[..., None], *args: Any) -> None:
        def run() -> None:
            try:
                target(*args)
            finally:
                with self._done:
                    self._running -= 1
                    self._done.notify_all()

        with self._done:
            self._running += 1
        threading.Thread(target=run, name=f"pbe-{args[-1] if args else 'worker'}").start()

    def record(self, host: str, result: HostResult) -> None:
        with self._done:
            self.results[host] = result

    def interruptible(self, wait: Callable[[], Any]) -> bool:
        """Run a blocking wait; False if Ctrl-C came instead."""
        try:
            wait()
        except KeyboardInterrupt:
            self._interrupted()
            return False
        return True

    def wait(self) -> None:
        while True:
            try:
                with self._done:
                    while self._running:
                        self._done.wait(0.2)
                return
            except KeyboardInterrupt:
                self._interrupted()

    def _interrupted(self) -> None:
        if self.state.interrupted:
            self.abort()
        self.state.interrupted = True
        self.stop.set()


def truthy(value: object) -> bool:
    from ..modules.base import to_bool

    try:
        return value is not None and to_bool(value)
    except ValueError:
        return False
