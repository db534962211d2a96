"""Errors a use case raises for a mistake its user can fix, in the domain's words.

The sentence names the rule, the person, the date; never a command-line option or a web field.
Each entry point may add its own way out (the command line names `--force`, the web a button) by
the error's class.
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake the user can fix; the entry point shows it as one sentence."""


class NotFound(UserError):
    """A loop, event, unit or outbox row that does not exist."""


class NoOrganisation(UserError):
    """No organisation has been imported yet."""


class LoopExists(UserError):
    """A loop for this area and council date exists already."""

    def __init__(self, loop_id: str):
        super().__init__(f"a loop {loop_id} already exists")
        self.loop_id = loop_id


class CouncilYearRefused(UserError):
    """The council date is not in a year the area's council discusses quality."""


class WrongLoopStart(UserError):
    """A council date for a framework whose loop starts on a start date (it has no council), or a
    start date for one whose loop starts at a council meeting. `needs`: "council" or "start"."""

    def __init__(self, framework: str, needs: str):
        if needs == "start":
            text = (f"the framework '{framework}' has no council meeting to start a loop from, so a council date "
                    f"cannot be used: give the loop's start date")
        else:
            text = f"the framework '{framework}' starts each loop at a council meeting: give the council date"
        super().__init__(text)
        self.framework, self.needs = framework, needs


class CouncilDatePassed(UserError):
    """The council date lies before today; a loop for it is planned only when asked explicitly."""


class PastMilestones(UserError):
    """Some of the planned loop's events lie before today; the loop starts only when told how to
    treat them (held, or new dates)."""

    def __init__(self, today, events):
        listed = "; ".join(f"{e.start.date().isoformat()} {e.title}" for e in events[:10])
        more = f" and {len(events) - 10} more" if len(events) > 10 else ""
        super().__init__(f"{len(events)} of the loop's events lie before today ({today.isoformat()}): {listed}{more}")
        self.events = events


class PreviewChanged(UserError):
    """What a confirmation would do is no longer what its preview showed: nothing was stored."""


class NumberNeeded(UserError):
    """A unit has several deadlines of the kind, and the number that says which one is missing."""


class MoveRefused(UserError):
    """Moving the event would break the framework's rules."""

    def __init__(self, problems: list[str]):
        super().__init__(f"the move is refused because {'; and '.join(problems)}")
        self.problems = problems
