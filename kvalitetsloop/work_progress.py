"""The port through which long work tells how far it has come.

A use case (or an adapter it drives, like the CalDAV publisher) that works through many items
takes a `progress` callable and calls it as it goes: `progress(what, done, total)`. It does not
know who listens: the command line shows a progress bar on a terminal and a few plain lines in a
log (kvalitetsloop/cli/progress.py); a flow or a test passes nothing. Nothing here imports rich.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def __call__(self, what: str, done: int, total: int) -> None:
        """`done` of `total` items of the work named `what` are finished (0 when it starts)."""


def silent(what: str, done: int, total: int) -> None:
    """Nobody listens."""
