"""Framework comparisons of meeting hours, made beside the request rather than in it.

Comparing a loop's meeting hours under another framework plans the whole organisation under both
frameworks (kvalitetsloop.reports.compare): a third of a second for a municipality, about ten
seconds for a national organisation of 4,400 units. A page must answer within a second, so the
comparison runs in a thread of its own: the page waits for it a little (most finish in time),
and otherwise says it is under way and reloads itself until it is ready. A comparison is kept
for its loop, its framework file and the plans' fingerprint, so it is made once per state.
"""

from __future__ import annotations

import copy
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from cycle.framework import FrameworkError
from kvalitetsloop.errors import UserError

# How long a page waits for a comparison before it says it is under way: with the reading of
# the state (about 0.1 s at national scale) the page still answers within a second.
WAIT_SECONDS = 0.6
# Comparisons kept (the newest): a few loops times a few frameworks.
KEPT = 16


class Comparisons:
    """One comparison at a time (each is seconds of CPU at national scale), in one worker thread;
    what they ended with, kept per key. An answer to a mistake (a framework without the loop's
    area) is kept like a result; any other failure is not, so the next ask tries again."""

    def __init__(self):
        self._lock = threading.Lock()
        self._done: dict[tuple, object] = {}
        self._running: dict[tuple, threading.Event] = {}
        self._failed: dict[tuple, Exception] = {}
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="comparison")

    def ask(self, key: tuple, compute: Callable[[], object], wait: float = WAIT_SECONDS):
        """The comparison for `key`, or None while it is being made (started by the first ask)."""
        with self._lock:
            if key in self._done:
                return self._result(self._done[key])
            ready = self._running.get(key)
            if ready is None:
                ready = self._running[key] = threading.Event()
                self._worker.submit(self._make, key, compute, ready)
        if not ready.wait(wait):
            return None
        with self._lock:
            if key in self._failed:
                raise self._failed.pop(key)  # to the ask that waited for it; the next tries again
            if key not in self._done:
                return None  # pushed out by newer ones: the next ask makes it again
            return self._result(self._done[key])

    def _make(self, key: tuple, compute: Callable[[], object], ready: threading.Event) -> None:
        try:
            result, keep = compute(), True
        except (UserError, FrameworkError) as exc:
            result, keep = exc, True
        except Exception as exc:  # a busy database, say: said once, tried again on the next ask
            result, keep = exc, False
        with self._lock:
            self._running.pop(key, None)
            if keep:
                self._done[key] = result
                while len(self._done) > KEPT:
                    self._done.pop(next(iter(self._done)))
            else:
                self._failed[key] = result
        ready.set()

    @staticmethod
    def _result(result):
        if isinstance(result, Exception):
            raise copy.copy(result)
        return result
