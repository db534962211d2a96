"""The organisation: units and the people around them, parsed from the CSV of SPEC 2.1.

Parsing is all-or-nothing: every problem is collected with its line and column, and the caller
stores nothing unless the list is empty.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from cycle.framework import SECTORS

REQUIRED_COLUMNS = ("id", "name", "sector", "chief_email", "leader_name", "leader_email", "board_email")
LIST_COLUMNS = {
    "pedagogical_leader_emails": "pedagogical_leader",
    "employee_rep_emails": "employee_rep",
    "consultant_emails": "consultant",
    "youth_rep_emails": "youth_rep",
    "dept_leader_rep_emails": "dept_leader_rep",
    "deputy_leader_emails": "deputy_leader",
    # The FU table's "Fritidscenterledere • Ungdomsskolekoordinatorer" [000].
    "leisure_centre_leader_emails": "leisure_centre_leader",
    "youth_school_coordinator_emails": "youth_school_coordinator",
}
OPTIONAL_COLUMNS = ("chief_name", "board_name", "self_owned", "special_needs", "address", *LIST_COLUMNS)
KNOWN_COLUMNS = frozenset(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)

# The area follows from the sector (SPEC 2.1).
AREA_OF_SECTOR = {"dagtilbud": "0-6", "skole": "6-18", "fu": "6-18"}

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
_UNIT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TRUE = {"true", "ja", "yes", "1"}
_FALSE = {"false", "nej", "no", "0", ""}


@dataclass(frozen=True)
class Person:
    email: str
    name: str = ""


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    sector: str
    self_owned: bool = False
    special_needs: bool = False
    address: str = ""
    # role -> the people in that role, in file order
    people: tuple[tuple[str, tuple[Person, ...]], ...] = ()

    @property
    def area(self) -> str:
        return AREA_OF_SECTOR[self.sector]

    def role(self, role: str) -> tuple[Person, ...]:
        for r, persons in self.people:
            if r == role:
                return persons
        return ()

    @property
    def chief(self) -> Person:
        return self.role("chief")[0]

    @property
    def leader(self) -> Person:
        return self.role("leader")[0]

    @property
    def board(self) -> Person:
        return self.role("board")[0]


@dataclass(frozen=True)
class Organisation:
    units: tuple[Unit, ...]

    def by_id(self) -> dict[str, Unit]:
        return {u.id: u for u in self.units}

    def in_sectors(self, sectors: list[str] | tuple[str, ...]) -> list[Unit]:
        return sorted((u for u in self.units if u.sector in sectors), key=lambda u: u.id)


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class OrganisationError(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        n = len(problems)
        super().__init__(
            f"the organisation file has {n} problem{'s' if n != 1 else ''} and nothing was imported"
        )


def _bool(value: str, line: int, column: str, problems: list[Problem]) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    problems.append(Problem(line, column, f"'{value}' is not true or false"))
    return False


def _email(value: str, line: int, column: str, problems: list[Problem]) -> str | None:
    v = value.strip()
    if not _EMAIL.match(v):
        problems.append(Problem(line, column, f"'{v}' is not a valid email address"))
        return None
    return v.lower()


def parse_organisation(text: str) -> Organisation:
    """Parse the CSV text; raise OrganisationError listing every problem."""
    if text.startswith("\ufeff"):  # Excel writes a byte-order mark
        text = text[1:]
    problems: list[Problem] = []
    first_line = text.split("\n", 1)[0]
    # Danish Excel saves "CSV" with semicolons; the participant lists then come quoted.
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = reader.fieldnames or []
    if not header:
        raise OrganisationError([Problem(1, "", "the file is empty; it needs a header row")])
    header = [h.strip() for h in header]
    reader.fieldnames = header
    for col in REQUIRED_COLUMNS:
        if col not in header:
            problems.append(Problem(1, col, "this required column is missing from the header"))
    for col in header:
        if col not in KNOWN_COLUMNS:
            problems.append(Problem(1, col, "unknown column"))
    if problems:
        raise OrganisationError(problems)

    units: list[Unit] = []
    first_line_of: dict[str, int] = {}
    names_seen: dict[str, tuple[str, int]] = {}  # email -> (name, line)

    def person(email: str, name: str, line: int, column: str) -> Person:
        name = name.strip()
        if name:
            seen = names_seen.get(email)
            if seen and seen[0] != name:
                problems.append(Problem(line, column, f"{email} is named '{name}' here but '{seen[0]}' on line {seen[1]}"))
            elif not seen:
                names_seen[email] = (name, line)
        return Person(email, name)

    for row in reader:
        line = reader.line_num
        if None in row:
            problems.append(Problem(line, "", "the row has more fields than the header"))
            continue
        row = {k: (v or "").strip() for k, v in row.items()}
        if not any(row.values()):
            continue
        before = len(problems)
        for col, value in row.items():
            if not value.isprintable():
                problems.append(Problem(line, col, "a line break or other control character is not allowed here"))
        for col in REQUIRED_COLUMNS:
            if not row.get(col):
                what = "the unit's chief is missing" if col == "chief_email" else "missing value"
                problems.append(Problem(line, col, what))
        uid = row.get("id", "")
        if uid:
            if not _UNIT_ID.match(uid):
                problems.append(Problem(line, "id", f"'{uid}' may hold only letters a-z, digits, '-' and '_'"))
            elif uid in first_line_of:
                problems.append(Problem(line, "id", f"duplicate id '{uid}' (first on line {first_line_of[uid]})"))
            else:
                first_line_of[uid] = line
        sector = row.get("sector", "").lower()
        if sector and sector not in SECTORS:
            problems.append(Problem(line, "sector", f"unknown sector '{row['sector']}' (use dagtilbud, skole or fu)"))
        people: list[tuple[str, tuple[Person, ...]]] = []
        for role, col, name_col in (("chief", "chief_email", "chief_name"),
                                    ("leader", "leader_email", "leader_name"),
                                    ("board", "board_email", "board_name")):
            if row.get(col):
                email = _email(row[col], line, col, problems)
                if email:
                    people.append((role, (person(email, row.get(name_col, ""), line, name_col),)))
        for col, role in LIST_COLUMNS.items():
            raw = row.get(col, "")
            if raw:
                emails = [e for e in (_email(x, line, col, problems) for x in raw.split(";") if x.strip()) if e]
                if emails:
                    people.append((role, tuple(Person(e) for e in dict.fromkeys(emails))))
        self_owned = _bool(row.get("self_owned", ""), line, "self_owned", problems)
        special = _bool(row.get("special_needs", ""), line, "special_needs", problems)
        if self_owned and sector in SECTORS and sector != "dagtilbud":
            problems.append(Problem(line, "self_owned", "only daycares (dagtilbud) can be self-owned"))
        if len(problems) == before:
            units.append(Unit(uid, row["name"], sector, self_owned, special, row.get("address", ""), tuple(people)))
    if not units and not problems:
        problems.append(Problem(2, "", "the file has a header but no units"))
    if problems:
        raise OrganisationError(problems)
    return Organisation(tuple(sorted(units, key=lambda u: u.id)))


@dataclass
class OrganisationDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    # (unit id, role, emails before, emails after) for every role whose people changed
    people_changed: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.people_changed)


def diff_organisations(old: Organisation, new: Organisation) -> OrganisationDiff:
    """What a re-import changes, unit by unit."""
    diff = OrganisationDiff()
    before, after = old.by_id(), new.by_id()
    diff.added = sorted(set(after) - set(before))
    diff.removed = sorted(set(before) - set(after))
    for uid in sorted(set(before) & set(after)):
        a, b = before[uid], after[uid]
        if (a.name, a.sector, a.self_owned, a.special_needs, a.address) != (
            b.name, b.sector, b.self_owned, b.special_needs, b.address
        ):
            diff.changed.append(uid)
        roles = {r for r, _ in a.people} | {r for r, _ in b.people}
        for role in sorted(roles):
            ea = tuple(p.email for p in a.role(role))
            eb = tuple(p.email for p in b.role(role))
            if ea != eb:
                diff.people_changed.append((uid, role, ea, eb))
    return diff


def unit_row(unit: Unit) -> dict[str, str]:
    """One unit as a row of the organisation file (the inverse of parsing it)."""
    def one(role: str, attr: str) -> str:
        people = unit.role(role)
        return getattr(people[0], attr) if people else ""

    row = {"id": unit.id, "name": unit.name, "sector": unit.sector, "chief_email": one("chief", "email"),
           "chief_name": one("chief", "name"), "leader_name": one("leader", "name"),
           "leader_email": one("leader", "email"), "board_email": one("board", "email"),
           "board_name": one("board", "name"), "self_owned": "true" if unit.self_owned else "false",
           "special_needs": "true" if unit.special_needs else "false", "address": unit.address}
    for column, role in LIST_COLUMNS.items():
        row[column] = ";".join(p.email for p in unit.role(role))
    return row


def organisation_csv(rows: list[dict[str, str]]) -> str:
    """Rows (as `unit_row` gives them) as the CSV text `parse_organisation` reads."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS], lineterminator="\n",
                            extrasaction="raise")
    writer.writeheader()
    writer.writerows({**dict.fromkeys((*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS), ""), **r} for r in rows)
    return out.getvalue()
