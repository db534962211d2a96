"""Generate a synthetic, deterministic organisation CSV (SPEC 2.1) for benchmarks and examples.

    python bench/make_org.py --units N --chiefs M [--seed S] [--out FILE]
    python bench/make_org.py --aarhus [--seed S] [--out FILE]

The same arguments always give byte-identical output (no wall clock, no hash-order dependence;
only ``random.Random(seed)``). Without ``--out`` the CSV goes to stdout (UTF-8, ``\\n`` line ends).

``examples/aarhus.csv`` was generated with

    python bench/make_org.py --aarhus --out examples/aarhus.csv

(the preset: 5 chiefs, 80 dagtilbud of which 12 self-owned, 45 skoler, 12 FU areas,
5 special-needs units (2 dagtilbud, 2 skoler, 1 FU), 3 leaders who lead two units; seed 0).

Shape of the generic output (``--units N --chiefs M``):

* sectors: about 58 % dagtilbud, 33 % skole, 9 % fu; ids ``dt-001``, ``sk-001``, ``fu-001``,
  zero padded to ``max(3, len(str(N)))`` digits;
* about 15 % of the daycares are self-owned, about 4 % of each sector are special-needs units
  (self-owned and special-needs units are disjoint);
* chiefs: a single round-robin counter runs over dagtilbud, then skole, then fu, so every chief
  has at most ``ceil(N/M)`` units in total and the per-area counts (0-6 = dagtilbud, 6-18 =
  skole + fu) differ by at most one between chiefs; each chief gets a contiguous block of ids
  per sector;
* about 3 % of the leaders lead two units; both units are in the same sector (dagtilbud or
  skole) and under the same chief, and are neither self-owned nor special-needs;
* every chief has two consultants of their own; within each (chief, area) the chief's units
  alternate between them, so a consultant never serves two chiefs;
* pedagogical leaders (1-3), the employee representative (1), and for FU the youth
  representatives (1-2), the department-leader representative (1), the deputy leader (1), the
  leisure-centre leaders (1-2) and the youth-school coordinator (1) are unique to their unit;
  skole/dagtilbud leave the five FU lists empty;
* chief names are distinct; other people may share a name, never an address;
* every person has one ASCII e-mail address at example.dk (æ->ae, ø->oe, å->aa), unique to that
  person; chiefs are ``chief-NN@example.dk``, boards ``bestyrelse-<id>@example.dk``;
* most units have an Aarhus street address (in one of their chief's postal districts); about
  3 % have none.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import random
import sys
from collections.abc import Sequence

COLUMNS = (
    "id",
    "name",
    "sector",
    "chief_name",
    "chief_email",
    "leader_name",
    "leader_email",
    "board_name",
    "board_email",
    "self_owned",
    "special_needs",
    "address",
    "pedagogical_leader_emails",
    "employee_rep_emails",
    "consultant_emails",
    "youth_rep_emails",
    "dept_leader_rep_emails",
    "deputy_leader_emails",
    "leisure_centre_leader_emails",
    "youth_school_coordinator_emails",
)
REQUIRED_COLUMNS = (
    "id",
    "name",
    "sector",
    "chief_email",
    "leader_name",
    "leader_email",
    "board_email",
)
SECTORS = ("dagtilbud", "skole", "fu")
ID_PREFIX = {"dagtilbud": "dt", "skole": "sk", "fu": "fu"}
AREA = {"dagtilbud": "0-6", "skole": "6-18", "fu": "6-18"}
DOMAIN = "example.dk"

# Shares of the generic shape (Aarhus: 80 / 45 / 12 of 137).
SECTOR_SHARE = {"dagtilbud": 0.58, "skole": 0.33, "fu": 0.09}
SELF_OWNED_SHARE = 0.15  # of the daycares
SPECIAL_NEEDS_SHARE = 0.04  # of each sector
SHARED_LEADER_SHARE = 0.03  # of the leaders
NO_ADDRESS_SHARE = 0.03

AARHUS = {
    "chiefs": 5,
    "sectors": {"dagtilbud": 80, "skole": 45, "fu": 12},
    "self_owned": 12,
    "special_needs": {"dagtilbud": 2, "skole": 2, "fu": 1},
    "shared_leaders": 3,
}

FIRST_NAMES = (
    "Søren", "Åse", "Bjørn", "Mette", "Jørgen", "Kirsten", "Anne-Mette", "Mads", "Søs", "Ærtebjørg",
    "Jens", "Hanne", "Lærke", "Frederik", "Sørine", "Ida", "Rasmus", "Signe", "Morten", "Birgitte",
    "Troels", "Dorthe", "Kåre", "Gitte", "Thøger", "Pernille", "Anders", "Lene", "Jesper", "Maja",
    "Niels", "Tove", "Bo", "Karen", "Øjvind", "Louise", "Henrik", "Marianne", "Steen", "Camilla",
    "Torben", "Helle", "Peter", "Susanne", "Ulrik", "Rikke", "Claus", "Vibeke", "Asger", "Bodil",
    "Ove", "Inger", "Emil", "Freja", "Kasper", "Sofie", "Lasse", "Astrid", "Jonas", "Ellen",
)
MIDDLE_NAMES = (
    "", "", "", "", "", "", "", "", "", "",
    "Ågård", "Kjær", "Bæk", "Dam", "Holm", "Skov", "Lund", "Bøgh", "Krogh", "Mølgaard",
    "Højer", "Bech", "Friis", "Brøndum", "Ravn", "Vestergård", "Ørum", "Bang", "Wæver", "Lyng",
)
LAST_NAMES = (
    "Præstø", "Sørensen", "Jørgensen", "Møller", "Østergaard", "Nørgaard", "Højgaard", "Lægaard",
    "Thøgersen", "Frølund", "Kjærsgaard", "Bækgaard", "Søndergaard", "Mørch", "Lønborg", "Ærbø",
    "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Rasmussen", "Madsen",
    "Kristensen", "Olsen", "Thomsen", "Poulsen", "Johansen", "Knudsen", "Mortensen", "Jensen",
    "Damgård", "Bødker", "Hjørne", "Ålund", "Kræmer", "Brændgaard", "Skøtt", "Fønss",
)

DAYCARE_KINDS = (
    "Børnehuset", "Vuggestuen", "Børnehaven", "Dagtilbud", "Institutionen", "Børnegården",
)
DAYCARE_WORDS = (
    "Æblehaven", "Solsikken", "Mælkebøtten", "Skovbrynet", "Søstjernen", "Troldehøjen",
    "Fuglereden", "Ålekisten", "Kastanjegården", "Rønnebærhuset", "Møllehøj", "Bøgelunden",
    "Kløverengen", "Spiren", "Græshoppen", "Mariehønen", "Sommerfuglen", "Humlebien", "Egetræet",
    "Hyldebærhaven", "Tusindfryd", "Bækkelund", "Skovhøj", "Lærkereden", "Stjerneskuddet",
    "Regnbuen", "Hasselnødden", "Birkebo", "Nøddebo", "Fyrretræet", "Pilehytten", "Strandengen",
    "Gøgeurten", "Krudtuglen", "Bjørnebo", "Rævehulen", "Pindsvinet", "Odderen", "Frøen",
    "Ørnereden",
)
PLACES = (
    "Skæring", "Åby", "Ellevang", "Risskov", "Vejlby", "Højvang", "Næshøj", "Søndervang",
    "Tranbjerg", "Mårslet", "Beder", "Malling", "Højbjerg", "Rundhøj", "Kragelund", "Bispehaven",
    "Frederiksbjerg",
    "Lystrup", "Elev", "Hårup", "Sødal", "Skødstrup", "Lisbjerg", "Sabro", "Tilst", "Hasle",
    "Møllevang", "Ellekær", "Viby", "Holme", "Kolt", "Hasselager", "Solbjerg", "Lyseng", "Åbyhøj",
    "Brabrand", "Gellerup", "Tovshøj", "Ølsted", "Egå", "Trøjborg", "Vorrevang", "Hjortshøj",
    "Harlev", "Fårup", "Stavtrup", "Bøgehøj", "Engdal", "Næsbjerg", "Gammelgård",
)
PLACE_VARIANTS = ("", " Nord", " Syd", " Øst", " Vest", " Midt", " Bakke", " Strand")

STREETS = (
    "Æblehavevej", "Skæringvej", "Søndergade", "Møllevej", "Østergade", "Kærvej", "Bøgeskovvej",
    "Rønnevangen", "Ågade", "Fælledvej", "Nørrebrogade", "Trøjborgvej", "Åboulevarden",
    "Ørneredevej",
    "Grøfthøjparken", "Præstevangen", "Skødstrupvej", "Bøgevej", "Lærkevej", "Tjørnevej",
    "Kløvervej", "Hjortøvej", "Frøhavevej", "Lyngbygade", "Højvangs Allé", "Sønderhøj",
    "Bispehavevej", "Viborgvej", "Silkeborgvej", "Grenåvej", "Randersvej", "Skanderborgvej",
    "Jægergårdsgade", "Mølleparkvej", "Kirkevænget", "Åkandevej", "Stjernepladsen", "Rosenvænget",
)
DISTRICTS = (
    "8000 Aarhus C", "8200 Aarhus N", "8210 Aarhus V", "8220 Brabrand", "8230 Åbyhøj",
    "8240 Risskov", "8250 Egå", "8260 Viby J", "8270 Højbjerg", "8310 Tranbjerg J", "8320 Mårslet",
    "8330 Beder", "8340 Malling", "8355 Solbjerg", "8361 Hasselager", "8380 Trige", "8381 Tilst",
    "8462 Harlev J", "8471 Sabro", "8520 Lystrup", "8530 Hjortshøj", "8541 Skødstrup",
)

_TRANSLIT = str.maketrans(
    {"æ": "ae", "ø": "oe", "å": "aa", "é": "e", "ü": "u", "ö": "oe", "ä": "ae", " ": ".", "'": ""}
)


def ascii_local(name: str) -> str:
    """The ASCII local part for a person's name: lower case, æ->ae, ø->oe, å->aa, dots."""
    local = name.lower().translate(_TRANSLIT)
    local = "".join(ch for ch in local if ch.isascii() and (ch.isalnum() or ch in ".-"))
    while ".." in local:
        local = local.replace("..", ".")
    return local.strip(".-") or "person"


class _People:
    """Draws Danish person names and hands out one unique e-mail address per person."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: dict[str, int] = {}

    def name(self) -> str:
        rng = self.rng
        parts = [rng.choice(FIRST_NAMES), rng.choice(MIDDLE_NAMES), rng.choice(LAST_NAMES)]
        return " ".join(p for p in parts if p)

    def email_for(self, name: str) -> str:
        base = ascii_local(name)
        n = self.used.get(base, 0) + 1
        self.used[base] = n
        local = base if n == 1 else f"{base}{n}"
        return f"{local}@{DOMAIN}"

    def person(self) -> tuple[str, str]:
        name = self.name()
        return name, self.email_for(name)

    def emails(self, count: int) -> list[str]:
        return [self.person()[1] for _ in range(count)]


def _split(total: int, shares: dict[str, float]) -> dict[str, int]:
    """Largest-remainder apportionment of ``total`` by ``shares`` (deterministic, sums exactly)."""
    raw = {k: total * v for k, v in shares.items()}
    out = {k: math.floor(x) for k, x in raw.items()}
    rest = total - sum(out.values())
    order = sorted(shares, key=lambda k: (-(raw[k] - out[k]), list(shares).index(k)))
    for k in order[:rest]:
        out[k] += 1
    return out


def _unique(name: str, used: set[str]) -> str:
    if name not in used:
        used.add(name)
        return name
    n = 2
    while f"{name} {n}" in used:
        n += 1
    used.add(f"{name} {n}")
    return f"{name} {n}"


def _unit_name(rng: random.Random, sector: str, special: bool, used: set[str]) -> str:
    place = rng.choice(PLACES) + rng.choice(PLACE_VARIANTS)
    if sector == "dagtilbud":
        kind = "Specialbørnehaven" if special else rng.choice(DAYCARE_KINDS)
        name = f"{kind} {rng.choice(DAYCARE_WORDS)}"
        if name in used:
            name = f"{name}, {place}"
    elif sector == "skole":
        name = f"{place} Specialskole" if special else f"{place} Skole"
    else:
        name = f"Special-FU {place}" if special else f"FU {place}"
    return _unique(name, used)


def generate(
    units: int,
    chiefs: int,
    seed: int = 0,
    *,
    sector_counts: dict[str, int] | None = None,
    self_owned: int | None = None,
    special_needs: dict[str, int] | None = None,
    shared_leaders: int | None = None,
) -> list[dict[str, str]]:
    """Return the organisation as a list of rows (dicts keyed by ``COLUMNS``)."""
    if chiefs < 1:
        raise ValueError("--chiefs must be at least 1")
    if units < 1:
        raise ValueError("--units must be at least 1")
    rng = random.Random(seed)
    people = _People(rng)

    counts = sector_counts or _split(units, SECTOR_SHARE)
    if sum(counts.values()) != units:
        raise ValueError("sector counts do not add up to --units")
    width = max(3, len(str(units)))
    cwidth = max(2, len(str(chiefs)))

    # Chiefs and their two consultants each.
    chief_rows = []
    chief_names: set[str] = set()
    for c in range(chiefs):
        name = people.name()
        while name in chief_names:  # chiefs are told apart by name in reports
            name = people.name()
        chief_names.add(name)
        consultants = people.emails(2)
        districts = (DISTRICTS[(2 * c) % len(DISTRICTS)], DISTRICTS[(2 * c + 1) % len(DISTRICTS)])
        chief_rows.append(
            {
                "name": name,
                "email": f"chief-{c + 1:0{cwidth}d}@{DOMAIN}",
                "consultants": consultants,
                "districts": districts,
            }
        )

    # Units per sector, chief by a round-robin counter that runs on across the sectors; each
    # chief's units of a sector form one contiguous block of ids.
    rows: list[dict[str, str]] = []
    chief_of: list[int] = []
    counter = 0
    for sector in SECTORS:
        slots = sorted((counter + i) % chiefs for i in range(counts[sector]))
        counter += counts[sector]
        for i, c in enumerate(slots):
            row = dict.fromkeys(COLUMNS, "")
            row["id"] = f"{ID_PREFIX[sector]}-{i + 1:0{width}d}"
            row["sector"] = sector
            row["self_owned"] = "false"
            row["special_needs"] = "false"
            rows.append(row)
            chief_of.append(c)

    by_sector = {s: [i for i, r in enumerate(rows) if r["sector"] == s] for s in SECTORS}

    # Special-needs units (about 4 % of each sector), then self-owned daycares (disjoint).
    sn = special_needs or {
        s: round(len(by_sector[s]) * SPECIAL_NEEDS_SHARE) for s in SECTORS
    }
    special: set[int] = set()
    for s in SECTORS:
        special.update(rng.sample(by_sector[s], min(sn.get(s, 0), len(by_sector[s]))))
    ordinary_dt = [i for i in by_sector["dagtilbud"] if i not in special]
    n_self = self_owned
    if n_self is None:
        n_self = round(len(by_sector["dagtilbud"]) * SELF_OWNED_SHARE)
    selfown = set(rng.sample(ordinary_dt, min(n_self, len(ordinary_dt))))
    for i in special:
        rows[i]["special_needs"] = "true"
    for i in selfown:
        rows[i]["self_owned"] = "true"

    # Names, boards, addresses, leaders, participant lists.
    used_names: set[str] = set()
    for i, row in enumerate(rows):
        sector = row["sector"]
        chief = chief_rows[chief_of[i]]
        row["name"] = _unit_name(rng, sector, i in special, used_names)
        row["chief_name"] = chief["name"]
        row["chief_email"] = chief["email"]
        row["board_name"] = f"Bestyrelsen for {row['name']}"
        row["board_email"] = f"bestyrelse-{row['id']}@{DOMAIN}"
        if rng.random() >= NO_ADDRESS_SHARE:
            row["address"] = (
                f"{rng.choice(STREETS)} {rng.randint(1, 180)}, {rng.choice(chief['districts'])}"
            )
        row["leader_name"], row["leader_email"] = people.person()
        row["pedagogical_leader_emails"] = ";".join(people.emails(rng.randint(1, 3)))
        row["employee_rep_emails"] = people.emails(1)[0]
        if sector == "fu":
            row["youth_rep_emails"] = ";".join(people.emails(rng.randint(1, 2)))
            row["dept_leader_rep_emails"] = people.emails(1)[0]
            row["deputy_leader_emails"] = people.emails(1)[0]

    # Consultants: alternate between the chief's two within each (chief, area).
    seen: dict[tuple[int, str], int] = {}
    for i, row in enumerate(rows):
        key = (chief_of[i], AREA[row["sector"]])
        k = seen.get(key, 0)
        seen[key] = k + 1
        row["consultant_emails"] = chief_rows[chief_of[i]]["consultants"][k % 2]

    # Shared leaders: pairs of ordinary units in the same sector under the same chief.
    n_leaders_total = units
    n_pairs = (
        round(n_leaders_total * SHARED_LEADER_SHARE / (1 + SHARED_LEADER_SHARE))
        if shared_leaders is None
        else shared_leaders
    )
    pair_sectors = ("dagtilbud", "skole")
    per_sector = _split(
        n_pairs,
        {
            s: (len(by_sector[s]) / max(1, len(by_sector["dagtilbud"]) + len(by_sector["skole"])))
            for s in pair_sectors
        },
    )
    chief_order = list(range(chiefs))
    rng.shuffle(chief_order)
    paired: set[int] = set()
    turn = 0
    for s in pair_sectors:
        for _ in range(per_sector[s]):
            for attempt in range(chiefs):
                c = chief_order[(turn + attempt) % chiefs]
                free = [
                    i
                    for i in by_sector[s]
                    if chief_of[i] == c
                    and i not in special
                    and i not in selfown
                    and i not in paired
                ]
                if len(free) >= 2:
                    a, b = sorted(rng.sample(free, 2))
                    rows[b]["leader_name"] = rows[a]["leader_name"]
                    rows[b]["leader_email"] = rows[a]["leader_email"]
                    paired.update((a, b))
                    turn = (turn + attempt + 1) % chiefs
                    break
            # No chief has two free units left in this sector: fewer pairs than asked.

    # The FU table's leisure-centre leaders and youth-school coordinators [000], drawn last so
    # that every value before them stays what it was before these columns existed.
    for row in rows:
        if row["sector"] == "fu":
            row["leisure_centre_leader_emails"] = ";".join(people.emails(rng.randint(1, 2)))
            row["youth_school_coordinator_emails"] = people.emails(1)[0]
    return rows


def render(rows: Sequence[dict[str, str]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def build(args: argparse.Namespace) -> str:
    if args.aarhus:
        p = AARHUS
        rows = generate(
            sum(p["sectors"].values()),
            p["chiefs"],
            args.seed,
            sector_counts=dict(p["sectors"]),
            self_owned=p["self_owned"],
            special_needs=dict(p["special_needs"]),
            shared_leaders=p["shared_leaders"],
        )
    else:
        rows = generate(args.units, args.chiefs, args.seed)
    return render(rows)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="make_org.py", description="Generate a synthetic organisation CSV (SPEC 2.1)."
    )
    parser.add_argument("--units", type=int, help="number of units")
    parser.add_argument("--chiefs", type=int, help="number of chiefs")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", help="output file (default: stdout)")
    parser.add_argument(
        "--aarhus",
        action="store_true",
        help="Aarhus-sized preset: 5 chiefs, 80 dagtilbud (12 self-owned), 45 skoler, 12 FU",
    )
    args = parser.parse_args(argv)
    if args.aarhus:
        if args.units is not None or args.chiefs is not None:
            parser.error("--aarhus cannot be combined with --units or --chiefs")
    else:
        if args.units is None or args.chiefs is None:
            parser.error("--units and --chiefs are required (or use --aarhus)")
        if args.units < 1 or args.chiefs < 1:
            parser.error("--units and --chiefs must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    data = build(args).encode("utf-8")
    if args.out:
        with open(args.out, "wb") as fh:
            fh.write(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
