"""The calendar commands as an administrator and a chief use them: loop export as .ics, a personal
feed to subscribe to, and publishing to a real CalDAV server (Radicale) idempotently."""

from __future__ import annotations

import json

import icalendar

from bench.make_org import generate, render
from tests.calendars.test_calendars_caldav import USER, radicale, read_collection  # noqa: F401  (fixture)
from tests.conftest import EXAMPLE_ORG, NOW


def _small_loop(cli, tmp_path) -> dict:
    org = tmp_path / "org.csv"
    org.write_text(render(generate(10, 1, 3)), encoding="utf-8")
    cli("org", "import", str(org), "--now", NOW)
    cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", NOW, "--past", "held")
    return json.loads(cli("loop", "export", "0-6-2027-04-28").stdout)


def test_loop_export_ics_holds_every_event(sqlite_cli, tmp_path):
    sqlite_cli("org", "import", str(EXAMPLE_ORG), "--now", NOW)
    sqlite_cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", NOW, "--past", "held")
    data = json.loads(sqlite_cli("loop", "export", "0-6-2027-04-28").stdout)
    sqlite_cli("loop", "export", "0-6-2027-04-28", "--format", "ics", "--out", "loop.ics")
    cal = icalendar.Calendar.from_ical((tmp_path / "loop.ics").read_bytes())
    vevents = cal.walk("VEVENT")
    assert cal["METHOD"] == "PUBLISH"
    assert sorted(str(v["UID"]) for v in vevents) == sorted(e["uid"] for e in data["events"])
    tz = cal.walk("VTIMEZONE")
    assert len(tz) == 1 and len(tz[0].walk("STANDARD")) == 1 and len(tz[0].walk("DAYLIGHT")) == 1


def test_a_chief_feed_holds_exactly_the_chiefs_events(sqlite_cli, tmp_path):
    data = _small_loop(sqlite_cli, tmp_path)
    chief = next(a["email"] for e in data["events"] for a in e["attendees"] if a["role"] == "chief")
    mine = {e["uid"] for e in data["events"] if chief in {a["email"] for a in e["attendees"]}}
    out = sqlite_cli("calendar", "feed", chief, "--out", "feed.ics", "--now", NOW).stdout
    assert f"Wrote {len(mine)} events" in out
    cal = icalendar.Calendar.from_ical((tmp_path / "feed.ics").read_bytes())
    assert cal["METHOD"] == "PUBLISH"
    assert {str(v["UID"]) for v in cal.walk("VEVENT")} == mine
    nobody = sqlite_cli("calendar", "feed", "nobody@example.dk", check=False)
    assert nobody.returncode == 2 and "takes part in no event" in nobody.stderr


def test_publish_twice_changes_nothing_and_a_move_updates_one_resource(sqlite_cli, tmp_path, radicale):  # noqa: F811
    data = _small_loop(sqlite_cli, tmp_path)
    url = f"{radicale}/{USER}/kvalitetsloop-cli/"
    proc = sqlite_cli("calendar", "publish", "--url", url, "--now", NOW)
    first = proc.stdout
    n = len(data["events"])
    assert f"{n} created, 0 updated, 0 cancelled, 0 unchanged" in first
    # Not on a terminal: a few plain progress lines on stderr, not one per event (issue 10, 7).
    progress = proc.stderr.splitlines()
    assert progress[0] == f"Publishing loop 0-6-2027-04-28 (events): 0 of {n} ..."
    assert progress[-1].startswith(f"Publishing loop 0-6-2027-04-28 (events): {n} of {n} done in ")
    assert 2 <= len(progress) <= 5
    again = sqlite_cli("calendar", "publish", "--url", url, "--now", "2027-03-02T09:00+01:00").stdout
    assert f"0 created, 0 updated, 0 cancelled, {n} unchanged" in again
    o2o = next(e for e in data["events"] if e["kind"] == "one_to_one")
    sqlite_cli("event", "move", o2o["uid"], "--start", "2027-06-30T14:00", "--force", "--now", NOW)
    moved = sqlite_cli("calendar", "publish", "--url", url, "--now", NOW).stdout
    assert f"0 created, 1 updated, 0 cancelled, {n - 1} unchanged" in moved
    stored = read_collection(url)
    assert len(stored) == n
    body = next(b for _, b in stored.values() if o2o["uid"].encode() in b)
    ev = icalendar.Calendar.from_ical(body).walk("VEVENT")[0]
    assert int(ev["SEQUENCE"]) == 1 and ev["DTSTART"].dt.hour == 14
    unreachable = sqlite_cli("calendar", "publish", "--url", "http://127.0.0.1:1/x/", check=False)
    assert unreachable.returncode == 2 and "could not be reached" in unreachable.stderr
    assert len(unreachable.stderr.splitlines()) == 1  # one sentence: the progress had not started


def _descriptions(path) -> dict[str, str]:
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    return {str(v["SUMMARY"]): str(v["DESCRIPTION"]) for v in cal.walk("VEVENT")}


def test_a_feed_over_both_loops_describes_each_event_with_its_own_loop(sqlite_cli, tmp_path):
    """The reviewer's case: 0-6 (council 2027-04-28) and 6-18 (council 2028-04-26) from
    examples/aarhus.csv; chief-01's feed described the 6-18 talks as part of the 0-6 loop."""
    sqlite_cli("org", "import", str(EXAMPLE_ORG), "--now", NOW)
    sqlite_cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", NOW, "--past", "held")
    sqlite_cli("loop", "start", "--area", "6-18", "--council-date", "2028-04-26", "--now", NOW, "--past", "held")
    sqlite_cli("calendar", "feed", "chief-01@example.dk", "--out", "chief.ics", "--now", NOW)
    got = _descriptions(tmp_path / "chief.ics")
    fu = got["Læringssamtale 1 af 4: FU Sødal Vest"]
    assert "Kvalitetsloop for 6-18-årsområdet" in fu and "26. april 2028" in fu, fu
    assert "0-6-årsområdet" not in fu and "28. april 2027" not in fu
    daycare = next(text for title, text in got.items() if title.startswith("Læringssamtale 1 af 4: ")
                   and "(dagtilbud)." in text)
    assert "Kvalitetsloop for 0-6-årsområdet" in daycare and "28. april 2027" in daycare


def test_a_feed_over_loops_of_two_frameworks_counts_and_names_each_talk_by_its_own(sqlite_cli, tmp_path):
    sqlite_cli("org", "import", str(EXAMPLE_ORG), "--now", NOW)
    sqlite_cli("loop", "start", "--framework", "albertslund", "--area", "0-6", "--start-date", "2027-04-28",
               "--now", NOW, "--past", "held")
    sqlite_cli("loop", "start", "--area", "6-18", "--council-date", "2028-04-26", "--now", NOW, "--past", "held")
    sqlite_cli("calendar", "feed", "chief-01@example.dk", "--out", "chief.ics", "--now", NOW)
    got = _descriptions(tmp_path / "chief.ics")
    evaluation = next(text for title, text in got.items()
                      if title.startswith("Evaluering af hele den pædagogiske læreplan: "))
    assert "(kvalitetsdialog 3 af 3)" in evaluation.split("\n", 1)[0]
    assert "skriftlige udtalelse" not in evaluation and "Børn og Unge" not in evaluation
    assert "om kvaliteten i dagtilbuddene, startet onsdag den 28. april 2027" in evaluation
    school = got["Læringssamtale 3 af 4: FU Sødal Vest"]
    assert school.startswith("Læringssamtale 3 af 4 for FU Sødal Vest (FU).")
    assert "Bestyrelsens skriftlige udtalelse indgår i datagrundlaget (D)." in school
    assert "byrådets drøftelse af kvalitetsrapporten onsdag den 26. april 2028" in school
    firsts = [text.split("\n", 1)[0] for title, text in got.items() if title.startswith("1:1")]
    # Albertslund has no one-to-ones [004]: every one in the feed is the 6-18 loop's.
    assert firsts and all(" af 12 for " in line for line in firsts)


def test_a_feed_that_cannot_be_written_is_one_clear_error(sqlite_cli, tmp_path):
    data = _small_loop(sqlite_cli, tmp_path)
    chief = next(a["email"] for e in data["events"] for a in e["attendees"] if a["role"] == "chief")
    for target in ("/proc/x/y.ics", str(tmp_path)):  # a folder that cannot be made; a folder, not a file
        r = sqlite_cli("calendar", "feed", chief, "--out", target, "--now", NOW, check=False)
        assert r.returncode == 2, r
        assert f"cannot write {target} (" in r.stderr and "Traceback" not in r.stderr + r.stdout, r.stderr
