"""Progress of long work on the command line: a rich progress bar with counts and time left on a
terminal; a few plain lines when nobody watches (cron, Prefect, CI), so a log shows how far a
run came without one line per item. Both go to stderr, so what a command writes to stdout (a
feed, an export, its report) stays as it was."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from rich.console import Console

from kvalitetsloop.cli.common import err
from kvalitetsloop.work_progress import Progress


@contextlib.contextmanager
def progress_shown(console: Console = err) -> Iterator[Progress]:
    """A Progress for the use cases: a bar on a terminal, plain lines otherwise."""
    if console.is_terminal:
        with _bar(console) as report:
            yield report
    else:
        yield PlainProgress(console)


@contextlib.contextmanager
def _bar(console: Console) -> Iterator[Progress]:
    # Imported here: `kvalitetsloop --help` stays fast (rich.progress pulls in more of rich).
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress, TaskProgressColumn,
                               TextColumn, TimeElapsedColumn, TimeRemainingColumn)

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
               TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn())
    with RichProgress(*columns, console=console) as bar:
        tasks: dict[str, int] = {}

        def report(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = bar.add_task(what, total=total)
            bar.update(tasks[what], completed=done, total=total)

        yield report


class PlainProgress:
    """A few lines per piece of work: when it starts, when it ends (count and time taken), and in
    between at each quarter, but only once `interval` seconds have passed since the last line, so
    short work says two lines and long work at most five, with an estimate of the time left."""

    def __init__(self, console: Console, clock=time.monotonic, interval: float = 5.0):
        self.console, self.clock, self.interval = console, clock, interval
        self.started: dict[str, float] = {}
        self.said: dict[str, tuple[int, float]] = {}  # the quarter and time of the last line

    def __call__(self, what: str, done: int, total: int) -> None:
        now = self.clock()
        if what not in self.started:
            self.started[what] = now
            self._say(f"{what}: {done} of {total} ...")
            self.said[what] = (4 * done // total if total > 0 and done < total else 4, now)
            if done < total:
                return
        quarter, last = self.said[what]
        elapsed = now - self.started[what]
        if done >= total:
            if quarter < 5:
                self._say(f"{what}: {done} of {total} done in {_duration(elapsed)}")
                self.said[what] = (5, now)
            return
        current = 4 * done // total
        if current > quarter and now - last >= self.interval:
            left = elapsed * (total - done) / done
            self._say(f"{what}: {done} of {total} ({100 * done // total} %) after {_duration(elapsed)}, "
                      f"about {_duration(left)} left")
            self.said[what] = (current, now)

    def _say(self, line: str) -> None:
        self.console.print(line, markup=False, highlight=False)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
