"""Framework comparisons of meeting hours, made beside the request rather than in it.

Comparing a loop's meeting hours under another framework plans the whole organisation under both
frameworks (kvalitetsloop.reports.compare): a third of a second for a municipality, about ten
seconds for a national organisation of 4,400 units. A page must answer within a second, so the
comparison runs in a thread of its own: the page waits for it a little (most finish in time),
and otherwise says it is under way and reloads itself until it is ready. A comparison is kept
for its loop, its framework file and the plans' fingerprint, so it is made once per state.
"""

from __future__ import annotations

import threading
from typing import Callable

# How long a page waits for a comparison before it says it is under way.
WAIT_SECONDS = 0.8
# Comparisons kept (the newest): a few loops times a few frameworks.
KEPT = 16


class Comparisons:
    def __init__(self):
        self._lock = threading.Lock()
        self._done: dict[tuple, object] = {}
        self._running: dict[tuple, threading.Event] = {}

    def ask(self, key: tuple, compute: Callable[[], object], wait: float = WAIT_SECONDS):
        """The comparison for `key`, or None while it is being made (started by the first ask).
        An error it ended with is raised again, to every ask, until the state changes."""
        with self._lock:
            if key in self._done:
                return self._result(self._done[key])
            ready = self._running.get(key)
            if ready is None:
                ready = self._running[key] = threading.Event()
                threading.Thread(target=self._make, args=(key, compute, ready), daemon=True,
                                 name="comparison").start()
        if not ready.wait(wait):
            return None
        with self._lock:
            return self._result(self._done[key])

    def _make(self, key: tuple, compute: Callable[[], object], ready: threading.Event) -> None:
        try:
            result = compute()
        except Exception as exc:  # kept and raised to the page, which says it in a sentence
            result = exc
        with self._lock:
            self._done[key] = result
            while len(self._done) > KEPT:
                self._done.pop(next(iter(self._done)))
            self._running.pop(key, None)
        ready.set()

    @staticmethod
    def _result(result):
        if isinstance(result, Exception):
            raise result
        return result
