"""Tests for bench/make_org.py, the synthetic organisation generator (SPEC 2.1)."""

from __future__ import annotations

import csv
import importlib.util
import io
import math
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bench" / "make_org.py"
EXAMPLE = ROOT / "examples" / "aarhus.csv"

_spec = importlib.util.spec_from_file_location("make_org", SCRIPT)
make_org = importlib.util.module_from_spec(_spec)
assert _spec.loader is not None
_spec.loader.exec_module(make_org)

COLUMNS = [
    "id", "name", "sector", "chief_name", "chief_email", "leader_name", "leader_email",
    "board_name", "board_email", "self_owned", "special_needs", "address",
    "pedagogical_leader_emails", "employee_rep_emails", "consultant_emails", "youth_rep_emails",
    "dept_leader_rep_emails", "deputy_leader_emails", "leisure_centre_leader_emails",
    "youth_school_coordinator_emails",
]
REQUIRED = ["id", "name", "sector", "chief_email", "leader_name", "leader_email", "board_email"]
LIST_COLUMNS = [
    "pedagogical_leader_emails", "employee_rep_emails", "consultant_emails", "youth_rep_emails",
    "dept_leader_rep_emails", "deputy_leader_emails", "leisure_centre_leader_emails",
    "youth_school_coordinator_emails",
]
FU_ONLY = ["youth_rep_emails", "dept_leader_rep_emails", "deputy_leader_emails", "leisure_centre_leader_emails",
           "youth_school_coordinator_emails"]
EMAIL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?@example\.dk$")
ID_RE = re.compile(r"^[A-Za-z0-9_-]+$")
ROLE_COLUMNS = {
    "chief": "chief_email",
    "leader": "leader_email",
    "board": "board_email",
    "pedagogical_leader": "pedagogical_leader_emails",
    "employee_rep": "employee_rep_emails",
    "consultant": "consultant_emails",
    "youth_rep": "youth_rep_emails",
    "dept_leader_rep": "dept_leader_rep_emails",
    "deputy_leader": "deputy_leader_emails",
    "leisure_centre_leader": "leisure_centre_leader_emails",
    "youth_school_coordinator": "youth_school_coordinator_emails",
}
# Roles whose person belongs to exactly one unit.
PER_UNIT_ROLES = ["board", "pedagogical_leader", "employee_rep", "youth_rep", "dept_leader_rep",
                  "deputy_leader", "leisure_centre_leader", "youth_school_coordinator"]


def run(*args: str, env: dict[str, str] | None = None) -> bytes:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, check=True, env=env
    )
    return proc.stdout


def text(*argv: str) -> str:
    return make_org.build(make_org.parse_args(list(argv)))


def parse(data: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(data))
    assert reader.fieldnames == COLUMNS
    return list(reader)


def emails(row: dict[str, str], column: str) -> list[str]:
    return [e for e in row[column].split(";") if e]


@pytest.fixture(scope="module")
def aarhus() -> list[dict[str, str]]:
    return parse(text("--aarhus"))


@pytest.fixture(scope="module")
def big() -> list[dict[str, str]]:
    return parse(text("--units", "4400", "--chiefs", "300", "--seed", "7"))


# --- determinism -------------------------------------------------------------------------------


def test_same_args_give_byte_identical_output_across_processes():
    env1 = {**os.environ, "PYTHONHASHSEED": "1"}
    env2 = {**os.environ, "PYTHONHASHSEED": "2"}
    a = run("--units", "300", "--chiefs", "17", "--seed", "5", env=env1)
    b = run("--units", "300", "--chiefs", "17", "--seed", "5", env=env2)
    assert a == b
    assert run("--aarhus", env=env1) == run("--aarhus", env=env2)


def test_seed_changes_output():
    assert text("--units", "100", "--chiefs", "5", "--seed", "1") != text(
        "--units", "100", "--chiefs", "5", "--seed", "2"
    )


def test_out_file_equals_stdout(tmp_path):
    out = tmp_path / "org.csv"
    run("--aarhus", "--out", str(out))
    assert out.read_bytes() == run("--aarhus")
    assert out.read_bytes() == text("--aarhus").encode("utf-8")


def test_committed_example_is_the_preset_output():
    assert EXAMPLE.read_bytes() == text("--aarhus").encode("utf-8")


# --- the Aarhus preset -------------------------------------------------------------------------


def test_aarhus_preset_counts(aarhus):
    sectors = Counter(r["sector"] for r in aarhus)
    assert sectors == {"skole": 45, "fu": 12, "dagtilbud": 80}
    assert sum(r["self_owned"] == "true" for r in aarhus) == 12
    assert all(r["sector"] == "dagtilbud" for r in aarhus if r["self_owned"] == "true")
    assert len({r["chief_email"] for r in aarhus}) == 5
    assert len({r["chief_name"] for r in aarhus}) == 5
    special = [r for r in aarhus if r["special_needs"] == "true"]
    assert 4 <= len(special) <= 6
    assert len({r["sector"] for r in special}) == 3  # spread across the sectors
    leaders = Counter(r["leader_email"] for r in aarhus)
    assert 1 <= sum(n == 2 for n in leaders.values()) <= 5
    assert max(leaders.values()) == 2


def test_aarhus_has_danish_letters_and_addresses(aarhus):
    blob = "".join(r["name"] + r["leader_name"] + r["chief_name"] for r in aarhus)
    for letter in "æøåÆØÅ":
        assert letter in blob
    with_address = [r for r in aarhus if r["address"]]
    assert len(with_address) >= 0.9 * len(aarhus)
    assert len(with_address) < len(aarhus)  # a few are empty
    assert all(re.search(r", 8\d{3} \w", r["address"]) for r in with_address)


# --- structural rules, on the preset and a large generic organisation --------------------------


@pytest.mark.parametrize("org", ["aarhus", "big"])
def test_required_columns_non_empty_and_values_valid(org, request):
    rows = request.getfixturevalue(org)
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == len(ids)
    for r in rows:
        for col in REQUIRED:
            assert r[col], (r["id"], col)
        assert ID_RE.match(r["id"])
        assert r["sector"] in ("dagtilbud", "skole", "fu")
        assert r["id"].split("-")[0] == {"dagtilbud": "dt", "skole": "sk", "fu": "fu"}[r["sector"]]
        assert r["self_owned"] in ("true", "false")
        assert r["special_needs"] in ("true", "false")
        assert r["board_name"] == f"Bestyrelsen for {r['name']}"
        assert r["board_email"] == f"bestyrelse-{r['id']}@example.dk"
        assert 1 <= len(emails(r, "pedagogical_leader_emails")) <= 3
        assert len(emails(r, "employee_rep_emails")) == 1
        assert len(emails(r, "consultant_emails")) == 1
        for col in FU_ONLY:
            if r["sector"] == "fu":
                assert emails(r, col), (r["id"], col)
            else:
                assert r[col] == "", (r["id"], col)


@pytest.mark.parametrize("org", ["aarhus", "big"])
def test_every_consultant_serves_exactly_one_chief(org, request):
    rows = request.getfixturevalue(org)
    chiefs_of = defaultdict(set)
    consultants_of = defaultdict(set)
    for r in rows:
        for e in emails(r, "consultant_emails"):
            chiefs_of[e].add(r["chief_email"])
            consultants_of[r["chief_email"]].add(e)
    assert all(len(c) == 1 for c in chiefs_of.values())
    assert all(1 <= len(c) <= 2 for c in consultants_of.values())


@pytest.mark.parametrize("org", ["aarhus", "big"])
def test_shared_leaders_share_chief_and_sector(org, request):
    rows = request.getfixturevalue(org)
    units_of = defaultdict(list)
    for r in rows:
        units_of[r["leader_email"]].append(r)
    shared = [us for us in units_of.values() if len(us) > 1]
    assert shared
    for us in shared:
        assert len(us) == 2
        assert len({u["chief_email"] for u in us}) == 1
        assert len({u["sector"] for u in us}) == 1
        assert len({u["leader_name"] for u in us}) == 1


@pytest.mark.parametrize("org", ["aarhus", "big"])
def test_emails_valid_and_unique_per_person_role(org, request):
    rows = request.getfixturevalue(org)
    role_of: dict[str, str] = {}
    units_of: dict[str, set[str]] = defaultdict(set)
    name_of: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        name_of[r["chief_email"]].add(r["chief_name"])
        name_of[r["leader_email"]].add(r["leader_name"])
        for role, col in ROLE_COLUMNS.items():
            for e in emails(r, col):
                assert EMAIL_RE.match(e), (r["id"], col, e)
                assert role_of.setdefault(e, role) == role, f"{e} has two roles"
                units_of[e].add(r["id"])
    # One person, one name; chiefs have distinct names.
    assert all(len(n) == 1 for n in name_of.values())
    chief_names = Counter(next(iter(name_of[e])) for e, role in role_of.items() if role == "chief")
    assert len(chief_names) == sum(chief_names.values())
    for e, role in role_of.items():
        if role in PER_UNIT_ROLES:
            assert len(units_of[e]) == 1, (e, role)
        if role == "leader":
            assert len(units_of[e]) <= 2
        if role == "chief":
            assert re.match(r"^chief-\d{2,}@example\.dk$", e)


def test_chief_balance_generic(big):
    per_chief = Counter(r["chief_email"] for r in big)
    assert len(per_chief) == 300
    assert max(per_chief.values()) <= math.ceil(4400 / 300) + 1
    sectors = Counter(r["sector"] for r in big)
    assert abs(sectors["dagtilbud"] / 4400 - 0.58) < 0.01
    assert abs(sectors["skole"] / 4400 - 0.33) < 0.01
    assert abs(sectors["fu"] / 4400 - 0.09) < 0.01
    daycares = [r for r in big if r["sector"] == "dagtilbud"]
    assert abs(sum(r["self_owned"] == "true" for r in daycares) / len(daycares) - 0.15) < 0.02
    assert abs(sum(r["special_needs"] == "true" for r in big) / 4400 - 0.04) < 0.01
    leaders = Counter(r["leader_email"] for r in big)
    assert abs(sum(n == 2 for n in leaders.values()) / len(leaders) - 0.03) < 0.01
    assert {len(r["id"].split("-")[1]) for r in big} == {4}


@pytest.mark.parametrize("units,chiefs", [(1, 1), (3, 10), (20, 3), (137, 5)])
def test_small_and_odd_sizes(units, chiefs):
    rows = parse(text("--units", str(units), "--chiefs", str(chiefs)))
    assert len(rows) == units
    per_chief = Counter(r["chief_email"] for r in rows)
    assert max(per_chief.values()) <= math.ceil(units / chiefs) + 1


def test_bad_arguments_exit_nonzero():
    bad = (["--units", "10"], ["--aarhus", "--units", "5"], ["--units", "0", "--chiefs", "1"])
    for args in bad:
        proc = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True)
        assert proc.returncode != 0
        assert b"Traceback" not in proc.stderr
