"""The reporter: one non-daemon thread drains the event queue into every sink, in order.

Workers never print. They put events on a ``queue.Queue``; the reporter hands each event
to the sinks (console, JSON, a user's callback) so no two threads write at once and no
event is lost at exit: ``close()`` drains the queue before returning. Each event passes
through ``redact`` once, before the first sink sees it (see ``playbook_engine.redact``).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Protocol

from ..events import Event

logger = logging.getLogger(__name__)


class Sink(Protocol):
    def handle(self, event: Event) -> None:
        """Called on the reporter thread, in event order."""

    def close(self) -> None:
        """Called once, after the last event."""


_STOP = object()


class Reporter:
    def __init__(self, sinks: list[Sink], redact: Callable[[Event], Event] | None = None) -> None:
        self.sinks = sinks
        self._redact = redact
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(target=self._drain, name="pbe-reporter", daemon=False)
        self.errors: list[BaseException] = []
        self._closed = False
        self._thread.start()

    def emit(self, event: Event) -> None:
        self._queue.put(event)

    def close(self) -> None:
        """Drain every queued event, then close the sinks once; idempotent."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join()
        for sink in self.sinks:
            try:
                sink.close()
            except BrokenPipeError:
                pass
            except Exception as exc:  # a sink must not hide the run's result
                logger.exception("output sink failed while closing")
                self.errors.append(exc)

    def _drain(self) -> None:
        while True:
            event = self._queue.get()
            if event is _STOP:
                return
            if self._redact is not None:
                try:
                    event = self._redact(event)  # type: ignore[arg-type]
                except Exception as exc:  # never hand on what could not be redacted
                    logger.exception("redaction failed on %s", type(event).__name__)
                    self.errors.append(exc)
                    continue
            for sink in list(self.sinks):
                try:
                    sink.handle(event)  # type: ignore[arg-type]
                except BrokenPipeError:  # `pbe run … | head`: that reader is gone, run on
                    self.sinks.remove(sink)
                except Exception as exc:
                    logger.exception("output sink failed on %s", type(event).__name__)
                    self.errors.append(exc)


class CallbackSink:
    """Hands every event to a user's ``on_event`` callable (the Python API)."""

    def __init__(self, callback: object) -> None:
        self._callback = callback

    def handle(self, event: Event) -> None:
        self._callback(event)  # type: ignore[operator]

    def close(self) -> None:
        pass
