"""The framework: everything municipality-specific, as validated data.

A framework file (YAML) is parsed by the caller and handed here as a dict; this module validates
it with pydantic so every error names the key and what is wrong. Nothing here reads files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SECTORS = ("dagtilbud", "skole", "fu")
Sector = Literal["dagtilbud", "skole", "fu"]

# Roles a person can have towards a unit (SPEC 2.1). The optional participant lists map to the
# last eight roles.
Role = Literal[
    "chief",
    "leader",
    "board",
    "pedagogical_leader",
    "employee_rep",
    "consultant",
    "youth_rep",
    "dept_leader_rep",
    "deputy_leader",
    "leisure_centre_leader",
    "youth_school_coordinator",
]


# Aarhus's words, the defaults of every framework that names none of its own [000].
AARHUS_ROLE_LABELS: dict[str, str] = {
    "chief": "Børn og Unge-chef",
    "leader": "leder",
    # The FU table's words [000: "FU-leder • FU-Viceleder • Fritidscenterledere •
    # Ungdomsskolekoordinatorer"]; a deputy leader is an FU role in Aarhus.
    "deputy_leader": "FU-viceleder",
    "leisure_centre_leader": "fritidscenterleder",
    "youth_school_coordinator": "ungdomsskolekoordinator",
    "pedagogical_leader": "pædagogisk leder",
    "employee_rep": "medarbejderrepræsentant",
    # From the FU adjustments of 003, not the 000 table: "Der tilføjes ”afdelingslederrepræsentant”."
    "dept_leader_rep": "afdelingslederrepræsentant",
    "board": "bestyrelsen",
    "youth_rep": "ungerepræsentant",
    "consultant": "faglig konsulent",
}
# "Datagrundlag for læringsamtaler" A-E [000].
AARHUS_DATA_BASIS: tuple[str, ...] = (
    "Kvantitative datapakker",
    "Systematisk opsamlede data fra egen praksis",
    "Input fra 1:1 ledelsesopfølgninger",
    "Input fra forældre og bestyrelse",
    "Input fra børnene og de unge",
)


# The time zone of a framework that names none, of texts rendered without a framework, and of a
# time given on the command line without an offset.
DEFAULT_TIMEZONE = "Europe/Copenhagen"


# The loop's phases in order (cycle.phases describes them; a framework may name them).
LOOP_PHASES = ("themes", "council", "talk-1", "follow-up-talks", "one-to-ones", "report-back", "supervision")


class FrameworkError(ValueError):
    """A framework file that does not validate; the message names the keys."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AreaRule(_Strict):
    sectors: list[Sector] = Field(min_length=1)
    # The council discusses the area in odd or even years [000]; "any" for municipalities
    # without such a rule.
    council_year_parity: Literal["odd", "even", "any"] = "any"


class WorkingHours(_Strict):
    start: dt.time
    end: dt.time
    weekdays: list[int] = Field(default=[1, 2, 3, 4, 5], min_length=1)  # ISO: Monday = 1

    @model_validator(mode="after")
    def _ordered(self) -> "WorkingHours":
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if any(d < 1 or d > 7 for d in self.weekdays):
            raise ValueError("weekdays are ISO numbers 1 (Monday) to 7 (Sunday)")
        return self


class Durations(_Strict):
    learning_talk: int = Field(gt=0, description="minutes")
    one_to_one: int = Field(gt=0)
    network_meeting: int = Field(gt=0)
    # The chief's follow-up meeting with a self-owned daycare's board about its supervision
    # report [000]. No seed gives its length: 90 minutes, as a one-to-one, is an assumption.
    supervision_meeting: int = Field(default=90, gt=0)


class CouncilMeeting(_Strict):
    start: dt.time = dt.time(16, 0)
    duration_minutes: int = Field(default=240, gt=0)


class NetworkMeetings(_Strict):
    # When the theme meetings are: weeks before the council that starts the loop [000], or, for a
    # framework without a council, weeks after the loop's start date (Albertslund [004]).
    weeks_before_council: list[int] = Field(default_factory=list)
    weeks_after_start: list[int] = Field(default_factory=list)
    # "sector": one network per sector of the area [000]; "fixed_groups": the leaders split into
    # N fixed groups across the area (Albertslund [004]).
    grouping: Literal["sector", "fixed_groups"] = "sector"
    groups: int = Field(default=1, ge=1)
    attendees: list[Role] = Field(default=["leader", "chief"], min_length=1)
    # How far from the target date a meeting may move to find a free working day.
    search_days: int = Field(default=10, ge=0)

    @field_validator("weeks_before_council")
    @classmethod
    def _positive_descending(cls, v: list[int]) -> list[int]:
        if any(w <= 0 for w in v):
            raise ValueError("every offset must be a positive number of weeks before the council")
        return sorted(v, reverse=True)

    @field_validator("weeks_after_start")
    @classmethod
    def _ascending(cls, v: list[int]) -> list[int]:
        if any(w < 0 for w in v):
            raise ValueError("every offset must be a number of weeks after the loop's start (0 or more)")
        return sorted(v)

    @model_validator(mode="after")
    def _one_anchor(self) -> "NetworkMeetings":
        if bool(self.weeks_before_council) == bool(self.weeks_after_start):
            raise ValueError("give weeks_before_council or weeks_after_start (exactly one of them)")
        return self


class SeasonWindow(_Strict):
    """A recurring window inside a year, e.g. spring 02-01..06-15."""

    name: str
    start: str  # MM-DD
    end: str  # MM-DD

    @field_validator("start", "end")
    @classmethod
    def _mmdd(cls, v: str) -> str:
        try:
            dt.date.fromisoformat(f"2000-{v}")
        except ValueError:
            raise ValueError(f"'{v}' is not a month-day like 02-01") from None
        return v

    @model_validator(mode="after")
    def _ordered(self) -> "SeasonWindow":
        if self.end <= self.start:
            raise ValueError("end must be after start within the same year")
        return self

    def in_year(self, year: int) -> tuple[dt.date, dt.date]:
        return dt.date.fromisoformat(f"{year}-{self.start}"), dt.date.fromisoformat(f"{year}-{self.end}")


class WeeksWindow(_Strict):
    """A talk window counted in weeks from the loop's start (its council or start date)."""

    start_weeks_after_start: int = Field(ge=0)
    end_weeks_after_start: int = Field(gt=0)
    name: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> "WeeksWindow":
        if self.end_weeks_after_start <= self.start_weeks_after_start:
            raise ValueError("end_weeks_after_start must be after start_weeks_after_start")
        return self


class Participant(_Strict):
    role: Role
    # Talk numbers this role is invited to; None means every talk.
    talks: list[int] | None = None
    # Instead of fixed talk numbers: this many talks in each loop-year (council date to its
    # anniversary, and the second year), the first ones of the year the unit holds, e.g. the
    # FU youth representative's "1 årlig læringssamtale" [003].
    per_loop_year: int | None = Field(default=None, ge=1, le=12)

    @model_validator(mode="after")
    def _one_rule(self) -> "Participant":
        if self.per_loop_year is not None and self.talks is not None:
            raise ValueError("give talks or per_loop_year, not both")
        return self


class FirstTalkWindow(_Strict):
    start_weeks_after_council: int = Field(ge=0)
    end_weeks_after_council: int = Field(gt=0)
    # "a window that meets the summer holiday continues after it" (SPEC 3).
    extend_over_summer: bool = True

    @model_validator(mode="after")
    def _ordered(self) -> "FirstTalkWindow":
        if self.end_weeks_after_council <= self.start_weeks_after_council:
            raise ValueError("end_weeks_after_council must be after start_weeks_after_council")
        return self


class Talks(_Strict):
    count: int = Field(ge=1, le=12)
    first_window: FirstTalkWindow
    # Talks 2..count: one in each following window, cycling through this list [000 table] ...
    later_windows: list[SeasonWindow] = Field(default_factory=list)
    # ... or one fixed window per talk 2..count, in weeks from the loop's start (Albertslund's
    # evaluation of the learning plan at the end of the loop's two years [004]).
    later_weeks: list[WeeksWindow] = Field(default_factory=list)
    participants: dict[Sector, list[Participant]]
    # Which role's contact hosts the talk; self-owned daycares' boards host their own [000, 003].
    self_owned_host: Role = "board"
    # Danish names per talk number where a talk is more than "Læringssamtale N", e.g. the
    # two-yearly evaluation of the pedagogical learning plan in Albertslund [004].
    labels: dict[int, str] = Field(default_factory=dict)
    # What every talk builds on, shown as A, B, C ... in the invitations. Default: Aarhus's
    # "Datagrundlag for læringsamtaler" A-E [000].
    data_basis: list[str] = Field(default_factory=lambda: list(AARHUS_DATA_BASIS), max_length=26)

    @model_validator(mode="after")
    def _later(self) -> "Talks":
        if bool(self.later_windows) == bool(self.later_weeks):
            raise ValueError("give later_windows or later_weeks (exactly one of them)")
        if self.later_weeks:
            if len(self.later_weeks) != self.count - 1:
                raise ValueError(f"later_weeks needs one window for each of talks 2 to {self.count} "
                                 f"({self.count - 1}), not {len(self.later_weeks)}")
            ends = [self.first_window.end_weeks_after_council] + [w.end_weeks_after_start for w in self.later_weeks]
            starts = [w.start_weeks_after_start for w in self.later_weeks]
            if any(s < e for s, e in zip(starts, ends)):
                raise ValueError("each window of later_weeks must start after the window before it ends")
        return self


class DataPackages(_Strict):
    available_working_days_before_talk: int = Field(ge=1, le=60)
    trigger_working_days_before_available: int = Field(ge=0, le=60)
    notify: list[Role] = Field(default=["leader", "board"])


class OneToOnes(_Strict):
    per_gap: int = Field(ge=0, le=12)
    # At least this many in each loop-year (council date to its anniversary, and the second year);
    # None: per_gap in each gap and no yearly count.
    per_year: int | None = Field(default=None, ge=1, le=52)
    after_last_talk: bool = True
    min_days_from_talk: int = Field(default=14, ge=0)
    attendees: list[Role] = Field(default=["chief", "leader"], min_length=1)


class NextLayerFollowups(_Strict):
    """The leader's follow-up with the unit's next leadership layer [003: "Samme type opfølgning
    afholdes også mellem tilbuddets leder og næste ledelseslag f.eks. den pædagogiske leder i
    skoler og dagtilbud og fritidscentrets leder på FU-området"]. One meeting of the leader with
    the layer's people together; a unit whose organisation row names nobody in the layer gets none."""

    enabled: bool = False
    # The roles that make up the next layer, per sector (the 003 passage's examples).
    layer: dict[Sector, list[Role]] = Field(default_factory=lambda: {
        "dagtilbud": ["pedagogical_leader"], "skole": ["pedagogical_leader"], "fu": ["leisure_centre_leader"]})
    # In each loop-year; 003 gives no number ("samme type opfølgning" as the chief's six a year).
    per_year: int = Field(default=6, ge=1, le=52)
    duration_minutes: int = Field(default=90, gt=0)

    @field_validator("layer")
    @classmethod
    def _not_leaders(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for sector, roles in v.items():
            if not roles or {"chief", "leader", "board"} & set(roles):
                raise ValueError(f"layer.{sector} must name the roles below the leader (e.g. pedagogical_leader)")
        return v


class BoardStatements(_Strict):
    # The talks whose board takes part either by a written statement or by attending [000:
    # "enten i form af en udtalelse eller ved deltagelse"]; each board chooses per talk [003].
    talks: list[int]
    # What a board that has not chosen does; a recorded choice overrides it per unit and talk.
    default_choice: Literal["statement", "attendance"] = "statement"
    due_working_days_before_talk: int = Field(ge=1, le=60)
    reminder_days_before_due: list[int] = Field(default=[21, 10, 3])
    escalate_to: list[Role] = Field(default=["leader", "chief"])


class YouthInput(_Strict):
    sectors: list[Sector]
    talks: list[int] = Field(default=[1])
    due_working_days_before_talk: int = Field(ge=1, le=60)
    reminder_days_before_due: list[int] = Field(default=[14, 3])


class FollowupForm(_Strict):
    due_working_days_after_talk: int = Field(ge=1, le=60)
    reminder_every_days: int = Field(default=3, ge=1)
    # What the form records, per talk number, in the title "Opfølgningsskema efter ... (WHAT)";
    # a talk left out gets `subject`. Defaults: Aarhus's (talk 1 chooses the focus areas and how
    # the children's perspective is included [000]).
    subjects: dict[int, str] = Field(default_factory=lambda: {1: "fokusområder og børnenes perspektiv"})
    subject: str = "beslutninger"
    # The recorded form goes back to the unit's board this many working days after it is due
    # [000: "herunder tilbageløb fra læringsamtaler"]; None: not sent to the board.
    to_board_working_days_after_due: int | None = Field(default=None, ge=0, le=60)


class CommitteeOverview(_Strict):
    # The overview goes to the first committee meeting at least this many working days after the
    # last talk 1, so the talks' follow-up forms (the focus areas) are in.
    working_days_after_last_first_talk: int = Field(ge=0)
    # The committee's meeting calendar (frameworks/committees or imported); None: no calendar,
    # the overview is due on that working day.
    calendar: str | None = None


class ReportBack(_Strict):
    # Each unit's report-back is due this many weeks before the next loop's first network meeting.
    weeks_before_next_network_meeting: int = Field(ge=0)
    reminder_days_before_due: list[int] = Field(default=[21, 7])
    aggregated_working_days_after_due: int = Field(default=10, ge=0)
    # Talks must end this many days before the report-back is due, so the last talk can feed it.
    last_talk_days_before_due: int = Field(default=7, ge=0)


class SupervisionReport(_Strict):
    """Self-owned daycares' yearly written supervision report [000, 003]."""

    due_weeks_after_council: list[int] = Field(min_length=1)
    reminder_days_before_due: list[int] = Field(default=[21, 7])


class Invitations(_Strict):
    lead_days: int = Field(default=28, ge=0)


class Links(_Strict):
    """The web links in reminders (statement, follow-up form, supervision report)."""

    # A link keeps working this many days after its due date, so a late answer is still taken;
    # a statement's link ends with its talk's day at the latest.
    grace_days: int = Field(default=14, ge=0, le=365)


def _mmdd(v: str) -> str:
    try:
        dt.date.fromisoformat(f"2000-{v}")
    except ValueError:
        raise ValueError(f"'{v}' is not a month-day like 12-24") from None
    return v


class Bodies(_Strict):
    """The bodies the texts name (invitations, feeds). Defaults: Aarhus's [000]."""

    # Who sends the invitations, e.g. on a self-owned daycare's board's behalf.
    administration: str = "Børn og Unge"
    # The political committee that receives the overview of the units' local focus areas.
    committee: str = "Børn og Unge-udvalget"
    # The council whose discussion starts the loop (definite form), and what it discusses.
    council: str = "byrådet"
    report: str = "kvalitetsrapporten"


class CalendarTexts(_Strict):
    """The prose of invitations and feeds (calendars/texts.py). Anything left out gets the
    standard text, which is Aarhus's [000, 003]."""

    # What a talk is for, per talk number (like talks.labels, a number beyond talks.count is
    # simply unused, so a copy with fewer talks stays valid).
    talk_purposes: dict[int, str] = Field(default_factory=dict)
    # How every talk works (Aarhus: the learning circle).
    talk_method: str | None = None
    one_to_one_purpose: str | None = None
    one_to_one_agenda: list[str] | None = None
    network_purpose: str | None = None
    # What each unit reports back on (Aarhus: "det lokale arbejde med fokusområderne"), and what
    # the overview to the committee covers (Aarhus: "tilbuddenes lokale fokusområder").
    report_back_subject: str | None = None
    committee_overview_subject: str | None = None


def _week_run(v: list[int], key: str) -> list[int]:
    if v and (sorted(v) != list(range(min(v), min(v) + len(v))) or not 1 <= min(v) <= max(v) <= 52):
        raise ValueError(f"{key} must be consecutive ISO week numbers between 1 and 52, like [29, 30]")
    return sorted(v)


class SummerRule(_Strict):
    """The Danish summer, which talks, one-to-ones and network meetings avoid in every sector
    (issue 9; DOMAIN "Calendar facts": July is the holiday month for staff, leaders and parents).
    The seeds give no summer rule: this is a default of the system, set per municipality."""

    # The holiday calendar whose summer holiday (its longest period touching July) holds for
    # every sector, e.g. the school summer holiday.
    calendar: str | None = None
    # Or ISO weeks every year, for a municipality whose framework ships no school calendar.
    weeks: list[int] = Field(default_factory=list)
    # A sector narrowed to its own closing weeks (e.g. daycares' weeks 29-30): it avoids only these.
    closing_weeks: dict[Sector, list[int]] = Field(default_factory=dict)

    @field_validator("weeks")
    @classmethod
    def _weeks(cls, v: list[int]) -> list[int]:
        return _week_run(v, "weeks")

    @field_validator("closing_weeks")
    @classmethod
    def _closing(cls, v: dict[str, list[int]]) -> dict[str, list[int]]:
        return {sector: _week_run(weeks, f"closing_weeks.{sector}") for sector, weeks in v.items()}


class HolidayRules(_Strict):
    country: str = "DK"
    language: str = "da"
    # Days every unit is closed although they are no public holiday, as MM-DD with a Danish name.
    closed_days: dict[str, str] = Field(default_factory=dict)
    # Per sector, the names of the school-holiday calendar that applies (see frameworks/holidays).
    school_holidays: dict[Sector, str] = Field(default_factory=dict)
    # The summer holiday every sector's meetings avoid; None: only each sector's own calendar.
    summer: SummerRule | None = None

    @field_validator("closed_days")
    @classmethod
    def _days(cls, v: dict[str, str]) -> dict[str, str]:
        for key in v:
            _mmdd(key)
        return v


class ObservationVisits(_Strict):
    """Colleagues from other units visit a unit for a working day to observe and talk about its
    practice, with a feedback talk at the end of the day [001: "Ved afslutningen af dagen afholdes
    en feedbacksamtale"] and, where the framework asks for one, a written summary afterwards
    [001: "Observationsteamet udarbejder efterfølgende en skriftlig opsamling"]. In each
    loop-year every unit hosts one visit and is part of one visiting team [001: "Alle tilbud er en
    gang årligt vært for et besøg og en gang årligt en del af et observationsteam"]: the units of
    a sector in a ring, each visiting the next (in the second year the one after next;
    cycle.observations). Seed 001 is an OCR scan: these quotes are its words with the letters
    restored (docs/framework-sources.md quotes the scan)."""

    # The sectors whose units visit each other; units visit units of their own sector (003's
    # consultation draft: "observerer andre dagtilbud, skoler observerer andre skoler").
    sectors: list[Sector] = Field(min_length=1)
    # The visiting unit's people in the team, and people of the administration who join every team,
    # taken from the host unit (its consultant, say) (001: a leader, an employee and "en
    # medarbejder fra forvaltningen").
    team: list[Role] = Field(default=["leader", "employee_rep"], min_length=1)
    administration: list[Role] = Field(default_factory=list)
    # The host's people at the visit, and at the feedback talk (001: "værtstilbuddets ledelsesteam").
    hosts: list[Role] = Field(default=["leader"], min_length=1)
    feedback_with: list[Role] = Field(default=["leader", "pedagogical_leader"], min_length=1)
    # The window in each loop-year in which the visits fall, as MM-DD (e.g. 09-01..11-30).
    window: SeasonWindow
    # The feedback talk: the last minutes of the visit's working day.
    feedback_minutes: int = Field(default=60, gt=0)
    # The team's written summary, due this many working days after the visit, to the host's
    # leadership; None: no written summary.
    summary_working_days_after: int | None = Field(default=None, ge=1, le=60)
    # An agreement on the visit's frame and the team's questions, due this many working days
    # before it (Albertslund [004: "Forud for besøget var der udarbejdet en aftale om rammer for
    # besøget"]); None: no such deadline.
    agreement_working_days_before: int | None = Field(default=None, ge=1, le=60)
    # The title's word for a visit (001: "Læringsmiljøobservation"; 004: "Gensidigt besøg").
    label: str = "Læringsmiljøobservation"
    # The plural, where the common rule (+er) does not make it (004: "Gensidige besøg"); the year
    # wheel's ring is named with it.
    label_plural: str | None = None
    purpose: str | None = None


class Framework(_Strict):
    name: str = Field(pattern=r"^[a-z0-9_-]+$")
    version: str
    title: str
    sources: list[str] = Field(default_factory=list)
    timezone: str = DEFAULT_TIMEZONE

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{v}' is not a time zone like Europe/Copenhagen") from None
        return v

    areas: dict[str, AreaRule] = Field(min_length=1)
    working_hours: WorkingHours
    slot_minutes: int = Field(default=30, gt=0, le=240)
    buffer_minutes: int = Field(default=30, ge=0)
    max_meetings_per_person_per_day: int = Field(ge=1)
    durations: Durations
    # The council meeting whose discussion starts each loop [000]; null for a municipality whose
    # loop has no council and starts on a start date instead (Albertslund [004]).
    council_meeting: CouncilMeeting | None = CouncilMeeting()
    network_meetings: NetworkMeetings
    talks: Talks
    talk_label: str = "Læringssamtale"
    # What the quantitative data before each talk is called [000: "datapakke"].
    data_package_label: str = "Datapakke"
    # The loop's phases in the municipality's own words (cycle.phases; keys: themes, council,
    # talk-1, follow-up-talks, one-to-ones, report-back, supervision, digest); a phase left out
    # keeps the standard name built from the words above.
    phase_labels: dict[str, str] = Field(default_factory=dict)
    # The names the municipality uses for its people's roles and its areas, for texts.
    municipality: str = "Aarhus Kommune"
    # Danish names of the roles; a role left out keeps Aarhus's name (AARHUS_ROLE_LABELS).
    role_labels: dict[Role, str] = Field(default_factory=lambda: dict(AARHUS_ROLE_LABELS))
    bodies: Bodies = Bodies()
    calendar_texts: CalendarTexts = CalendarTexts()
    # The elements below that a framework may leave out (null or absent: the loop has none).
    data_packages: DataPackages | None = None
    one_to_ones: OneToOnes | None = None
    next_layer_followups: NextLayerFollowups = NextLayerFollowups()
    board_statements: BoardStatements
    youth_input: YouthInput | None = None
    followup_form: FollowupForm
    committee_overview: CommitteeOverview | None = None
    report_back: ReportBack | None = None
    supervision_report: SupervisionReport | None = None
    invitations: Invitations = Invitations()
    links: Links = Links()
    holidays: HolidayRules = HolidayRules()
    # Colleagues from another unit visit to observe and talk about practice (001's
    # læringsmiljøobservationer, Albertslund's gensidige besøg [004]); None: no visits (Aarhus, as
    # the council decided [003]).
    observation_visits: ObservationVisits | None = None

    @property
    def has_council(self) -> bool:
        """Whether a loop starts at a council meeting (a council date) or on a start date."""
        return self.council_meeting is not None

    @field_validator("phase_labels")
    @classmethod
    def _known_phases(cls, v: dict[str, str]) -> dict[str, str]:
        known = (*LOOP_PHASES, "digest")
        unknown = sorted(set(v) - set(known))
        if unknown:
            raise ValueError(f"unknown phase {', '.join(unknown)} (known: {', '.join(known)})")
        if any(not label.strip() for label in v.values()):
            raise ValueError("a phase label must not be empty")
        return v

    @field_validator("role_labels")
    @classmethod
    def _over_aarhus(cls, v: dict[str, str]) -> dict[str, str]:
        if any(not label.strip() for label in v.values()):
            raise ValueError("a role label must not be empty")
        return {**AARHUS_ROLE_LABELS, **v}

    @model_validator(mode="after")
    def _consistent(self) -> "Framework":
        sectors = {s for a in self.areas.values() for s in a.sectors}
        missing = sorted(sectors - set(self.talks.participants))
        if missing:
            raise ValueError(f"talks.participants has no list for sector(s) {', '.join(missing)}")
        n = self.talks.count
        for sector, plist in self.talks.participants.items():
            roles = {p.role for p in plist}
            if "chief" not in roles or "leader" not in roles:
                raise ValueError(f"talks.participants.{sector} must invite the chief and the leader")
            for p in plist:
                for t in p.talks or []:
                    if not 1 <= t <= n:
                        raise ValueError(f"talks.participants.{sector}: talk {t} does not exist (count is {n})")
        for key, talks in (("board_statements.talks", self.board_statements.talks),
                           ("youth_input.talks", self.youth_input.talks if self.youth_input else [])):
            for t in talks:
                if not 1 <= t <= n:
                    raise ValueError(f"{key}: talk {t} does not exist (talks.count is {n})")
        if not self.has_council:
            if self.network_meetings.weeks_before_council:
                raise ValueError("network_meetings.weeks_before_council needs a council: the framework has none "
                                 "(council_meeting is null), so give network_meetings.weeks_after_start")
            if any(rule.council_year_parity != "any" for rule in self.areas.values()):
                raise ValueError("council_year_parity needs a council: the framework has none (council_meeting is null)")
            if self.committee_overview is not None or self.report_back is not None:
                raise ValueError("committee_overview and report_back report to the council's next loop: the framework "
                                 "has no council (council_meeting is null)")
        elif self.report_back is not None and not self.network_meetings.weeks_before_council:
            raise ValueError("report_back is due before the next loop's network meetings: give "
                             "network_meetings.weeks_before_council")
        ov = self.observation_visits
        if ov is not None:
            unknown = sorted(set(ov.sectors) - {s for a in self.areas.values() for s in a.sectors})
            if unknown:
                raise ValueError(f"observation_visits.sectors: {', '.join(unknown)} is in no area of the framework")
        start, end = self.working_hours.start, self.working_hours.end
        day_minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        for kind in ("learning_talk", "one_to_one", "network_meeting", "supervision_meeting"):
            if getattr(self.durations, kind) > day_minutes:
                raise ValueError(f"durations.{kind} is longer than the working day")
        if self.next_layer_followups.duration_minutes > day_minutes:
            raise ValueError("next_layer_followups.duration_minutes is longer than the working day")
        if ov is not None and ov.feedback_minutes >= day_minutes:
            raise ValueError("observation_visits.feedback_minutes must leave part of the working day for the visit")
        return self

    def area_of(self, sector: str) -> str | None:
        for name, rule in self.areas.items():
            if sector in rule.sectors:
                return name
        return None

    def participants_for(self, sector: str, talk_number: int) -> list[Role]:
        """The roles invited to talk `talk_number` by number (not those invited per loop-year)."""
        return [p.role for p in self.talks.participants[sector]
                if p.per_loop_year is None and (p.talks is None or talk_number in p.talks)]

    def yearly_participants(self, sector: str) -> list[Participant]:
        return [p for p in self.talks.participants[sector] if p.per_loop_year is not None]


def _loc(err: dict) -> str:
    return ".".join(str(p) for p in err["loc"]) or "(top level)"


def parse_framework(data: object, source: str = "framework") -> Framework:
    """Validate a parsed YAML document; errors name the key and the problem."""
    if not isinstance(data, dict):
        raise FrameworkError(f"{source}: the file must hold a mapping of keys, not {type(data).__name__}")
    try:
        return Framework.model_validate(data)
    except ValidationError as exc:
        problems = [f"{_loc(e)}: {e['msg']}" for e in exc.errors()]
        raise FrameworkError(f"{source} is not a valid framework: " + "; ".join(problems)) from None


def content_hash(data: object) -> str:
    """A stable hash of the framework's content, recorded with each loop that uses it."""
    blob = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:16]
