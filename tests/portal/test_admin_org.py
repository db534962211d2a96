"""Starting a loop and updating the organisation from the administration pages, over HTTP on a
real port, on the small planned loop (12 units, clock 1 March 2027): what is refused and that a
refusal stores nothing — no session, a cross-site post, a framework that is not shipped, a file
with mistakes, a confirm whose file or choices differ from the preview, a preview overtaken by
another change — and the past milestones recorded as held when the administrator says so."""

from __future__ import annotations

import base64
import datetime as dt
import re

import httpx
import pytest
import sqlalchemy as sa

from kvalitetsloop.bootstrap import unit_of_work_for
from kvalitetsloop.usecases.organisation import import_organisation
from storage.db import engine_for
from tests.notifications.conftest import small_org_csv
from tests.portal.test_admin import _hidden, admin, login  # noqa: F401 (fixture)


def _count(url: str, sql: str) -> int:
    with engine_for(url).connect() as c:
        return c.execute(sa.text(sql)).scalar()


def _snapshot(url: str) -> tuple:
    """What a refused post must leave as it was: loops, units, events and their states."""
    return (_count(url, "select count(*) from loop"), _count(url, "select count(*) from unit"),
            _count(url, "select count(*) from event where status != 'cancelled'"),
            _count(url, "select coalesce(sum(sequence), 0) from event"))


def _form(client: httpx.Client, url: str, action: str) -> dict:
    page = client.get(url)
    form = page.text[page.text.index(f'action="{action}"'):]
    return {"form_id": _hidden(form, "form_id"), "csrf": _hidden(form, "csrf")}


def _confirm_fields(html: str, action: str) -> dict:
    form = html[html.index(f'action="{action}"'):]
    form = form[:form.index("</form>")]
    return dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))


@pytest.fixture
def client(admin):
    with httpx.Client(timeout=120) as c:
        assert login(c, admin.base).status_code == 303
        yield c


CSV = small_org_csv()
START_6_18 = {"ramme": "aarhus", "omraade": "6-18", "dato": "2028-04-26"}


def _preview_start(client, base, csv: str = CSV, **choice) -> httpx.Response:
    return client.post(f"{base}/admin/start", data={**_form(client, f"{base}/admin/start", "/admin/start"),
                                                   **START_6_18, **choice},
                       files={"fil": ("org.csv", csv.encode(), "text/csv")})


def test_the_pages_need_a_session_and_refuse_cross_site_posts(admin, client):
    before = _snapshot(admin.db)
    with httpx.Client(timeout=30) as anonymous:
        for path in ("/admin/start", "/admin/organisation"):
            r = anonymous.get(f"{admin.base}{path}")
            assert r.status_code == 303 and r.headers["location"].startswith("/admin/login?next=")
        r = anonymous.post(f"{admin.base}/admin/start", data=START_6_18, files={"fil": ("org.csv", CSV.encode())})
        assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")
    fields = _form(client, f"{admin.base}/admin/start", "/admin/start")
    r = client.post(f"{admin.base}/admin/start", data={**fields, **START_6_18}, files={"fil": ("org.csv", CSV.encode())},
                    headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and "kun sendes fra kvalitetsloops egen side" in r.text
    r = client.post(f"{admin.base}/admin/organisation/anvend", data={**fields, "csrf": "0" * 64})
    assert r.status_code == 403
    assert _snapshot(admin.db) == before


def test_the_front_page_links_both_pages_and_every_field_has_a_label(admin, client):
    front = client.get(f"{admin.base}/admin")
    assert 'href="/admin/start"' in front.text and 'href="/admin/organisation"' in front.text
    for path in ("/admin/start", "/admin/organisation"):
        page = client.get(f"{admin.base}{path}").text
        fields = re.findall(r'<(?:input|select)(?![^>]*type="hidden")[^>]*id="([^"]+)"', page)
        assert fields and all(f'<label for="{f}">' in page for f in fields)
        assert "<script" not in page


@pytest.mark.parametrize("name", ["../frameworks/aarhus", "/etc/passwd", "frameworks/aarhus.yaml", "nope"])
def test_a_framework_that_is_not_shipped_is_refused(admin, client, name):
    before = _snapshot(admin.db)
    r = _preview_start(client, admin.base, ramme=name)
    assert r.status_code == 422 and "Vælg en af de rammer, der følger med kvalitetsloop." in r.text
    assert _snapshot(admin.db) == before


def test_a_file_with_mistakes_lists_them_by_line_and_column_and_stores_nothing(admin, client):
    before = _snapshot(admin.db)
    lines = CSV.splitlines()
    lines[3] = lines[3].replace("@example.dk", "-at-example.dk", 1)
    lines[5] = lines[5].replace("dagtilbud", "vuggestue", 1)
    r = _preview_start(client, admin.base, "\n".join(lines) + "\n")
    assert r.status_code == 422 and "Filen org.csv er ikke indlæst" in r.text
    assert re.search(r"Linje 4, kolonne \w+_email: «[^»]+-at-example.dk» er ikke en gyldig e-mailadresse", r.text)
    assert "Linje 6, kolonne sector: ukendt sektor «vuggestue» (brug dagtilbud, skole eller fu)" in r.text
    assert "Forhåndsvisning" not in r.text
    r = client.post(f"{admin.base}/admin/organisation",
                    data=_form(client, f"{admin.base}/admin/organisation", "/admin/organisation"),
                    files={"fil": ("ny.csv", "\n".join(lines).encode())})
    assert r.status_code == 422 and "Linje 6, kolonne sector: " in r.text
    assert _snapshot(admin.db) == before


def test_a_confirm_whose_file_or_choices_differ_from_the_preview_is_refused(admin, client):
    before = _snapshot(admin.db)
    preview = _preview_start(client, admin.base)
    assert preview.status_code == 200 and "Forhåndsvisning: loop 6-18-2028-04-26" in preview.text
    fields = _confirm_fields(preview.text, "/admin/start/bekraeft")
    other = CSV.replace("Bestyrelsen", "Forældrebestyrelsen", 1)
    for changed in ({"indhold": base64.b64encode(other.encode()).decode()}, {"dato": "2030-04-24"},
                    {"ramme": "albertslund"}, {"fingerprint": "0" * 64}, {"segl": "0" * 64}):
        r = client.post(f"{admin.base}/admin/start/bekraeft", data={**fields, **changed})
        assert r.status_code == 409 and "Bekræftelsen passer ikke til forhåndsvisningen" in r.text
    assert _snapshot(admin.db) == before
    r = client.post(f"{admin.base}/admin/start/bekraeft", data=fields)
    assert r.status_code == 303 and r.headers["location"] == "/admin/loop/6-18-2028-04-26"
    assert _count(admin.db, "select count(*) from loop") == before[0] + 1


def test_an_update_overtaken_by_another_change_shows_the_new_effect_and_stores_nothing(admin, client):
    lines = CSV.splitlines()
    without = "\n".join(line for line in lines if not line.startswith("dt-001,")) + "\n"
    r = client.post(f"{admin.base}/admin/organisation",
                    data=_form(client, f"{admin.base}/admin/organisation", "/admin/organisation"),
                    files={"fil": ("uden-dt-001.csv", without.encode())})
    assert r.status_code == 200 and "Enheder fjernet (1)" in r.text
    fields = _confirm_fields(r.text, "/admin/organisation/anvend")
    # Meanwhile someone else removes dt-002 (say from the command line): the preview is stale.
    import_organisation(unit_of_work_for(admin.db), "\n".join(l for l in lines if not l.startswith("dt-002,")) + "\n",
                        admin.clock.now, apply=True)
    before = _snapshot(admin.db)
    r = client.post(f"{admin.base}/admin/organisation/anvend", data=fields)
    assert r.status_code == 409 and "ændret siden forhåndsvisningen" in r.text and "Intet er gemt" in r.text
    assert _snapshot(admin.db) == before
    # The page shows what the file does now (dt-001 out, dt-002 back) and applies that when confirmed.
    assert "Enheder fjernet (1)" in r.text and "Enheder tilføjet (1)" in r.text
    r = client.post(f"{admin.base}/admin/organisation/anvend",
                    data=_confirm_fields(r.text, "/admin/organisation/anvend"))
    assert r.status_code == 200 and "Organisationen er opdateret" in r.text
    assert _count(admin.db, "select count(*) from unit where id = 'dt-001'") == 0


def test_milestones_in_the_past_are_refused_until_recorded_as_held(admin, client):
    # Aarhus's networks meet 20 and 12 weeks before the council: on 1 March 2027 the first of a
    # loop for 2 June 2027 (13 January) lies behind.
    choice = {"ramme": "aarhus", "omraade": "0-6", "dato": "2027-06-02"}
    r = _preview_start(client, admin.base, **choice)
    assert r.status_code == 422 and "af loopets begivenheder ligger før i dag" in r.text
    assert 'name="tidligere" value="held"' in r.text and "Forhåndsvisning" not in r.text
    # The file comes along, so the administrator only ticks the box.
    fields = _confirm_fields(r.text, "/admin/start")
    assert base64.b64decode(fields["indhold"]).decode() == CSV
    r = client.post(f"{admin.base}/admin/start", data={**fields, **choice, "tidligere": "held"})
    assert r.status_code == 200 and "registreres som afholdt" in r.text
    r = client.post(f"{admin.base}/admin/start/bekraeft", data=_confirm_fields(r.text, "/admin/start/bekraeft"))
    assert r.status_code == 303
    assert _count(admin.db, "select count(*) from event where loop_id = '0-6-2027-06-02' and status = 'held'") >= 1


def test_a_framework_without_a_council_is_started_from_its_start_date(admin, client):
    """Albertslund has no council [004]: the page's one date is the loop's start date ("startdato"
    once the framework is chosen), the preview says so, and the started loop's page shows."""
    page = client.get(f"{admin.base}/admin/start").text
    assert "eller loopets startdato med albertslund, hvor loopet ikke starter fra et byrådsmøde" in page
    choice = {"ramme": "albertslund", "omraade": "0-6", "dato": "2027-05-03"}
    r = _preview_start(client, admin.base, **choice)
    assert r.status_code == 200, r.text
    assert "Forhåndsvisning: loop 0-6-2027-05-03" in r.text and "startdato" in r.text
    assert "byrådsmøde 3" not in r.text and "Loopets startdato (med albertslund starter loopet ikke fra et byrådsmøde" in r.text
    r = client.post(f"{admin.base}/admin/start/bekraeft", data=_confirm_fields(r.text, "/admin/start/bekraeft"))
    assert r.status_code == 303 and r.headers["location"] == "/admin/loop/0-6-2027-05-03"
    loop = client.get(f"{admin.base}/admin/loop/0-6-2027-05-03")
    assert loop.status_code == 200 and "<dt>Startdato</dt>" in loop.text and "Byrådsmøde</dt>" not in loop.text
    # 004 has no overview for the committee and no report-back: the loop's page offers neither,
    # and their addresses say so in a sentence.
    assert "Oversigt til udvalget" not in loop.text and "Afrapportering" not in loop.text
    assert "/rapport/status" in loop.text
    for kind, words in (("committee", "oversigt til udvalget"), ("report-back", "afrapportering")):
        r = client.get(f"{admin.base}/admin/loop/0-6-2027-05-03/rapport/{kind}")
        assert r.status_code == 404 and f"Loopets ramme har ingen {words}." in r.text
    chief = client.get(f"{admin.base}/admin/loop/0-6-2027-05-03/chef/chief-01@example.dk")
    assert chief.status_code == 200 and "Samtaler afholdt" in chief.text and "1:1 i loopåret" not in chief.text


def _with_new_unit(csv_text: str, unit_id: str = "dt-900") -> str:
    """The file with a new daycare, a copy of dt-001 with its own id, name and people."""
    import csv as csvmod
    import io

    rows = list(csvmod.DictReader(io.StringIO(csv_text)))
    rows.append(dict(rows[0], id=unit_id, name="Nyt Dagtilbud", leader_name="Ny Leder",
                     leader_email="ny.leder@example.dk", board_email=f"bestyrelse-{unit_id}@example.dk",
                     pedagogical_leader_emails="ny.paed@example.dk", employee_rep_emails="ny.tr@example.dk"))
    out = io.StringIO()
    writer = csvmod.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_a_new_unit_is_planned_into_the_running_loop_from_its_page_after_a_preview(admin, client):
    """`loop add-unit` from the web (issue 10's path for a new unit, on the administration's
    pages): the loop's page lists the unit that takes no part, its button previews the plan and
    stores nothing, a tampered or stale confirmation is refused and stores nothing, and the
    confirmation plans exactly what was shown."""
    loop = "0-6-2027-04-28"
    import_organisation(unit_of_work_for(admin.db), _with_new_unit(CSV), admin.clock.now, apply=True)
    page = client.get(f"{admin.base}/admin/loop/{loop}").text
    assert "Enheder uden for loopet (1)" in page and "Nyt Dagtilbud" in page
    action = f"/admin/loop/{loop}/enhed/dt-900/planlaeg"
    fields = _form(client, f"{admin.base}/admin/loop/{loop}", action)
    before = _snapshot(admin.db)
    r = client.post(f"{admin.base}{action}", data=fields)
    assert r.status_code == 200 and "Planlæg Nyt Dagtilbud ind i loopet" in r.text and "Intet er gemt endnu" in r.text
    # On 1 March 2027 every window of a loop for 28 April 2027 is still open: four talks.
    assert "heraf 4 læringssamtaler" in r.text
    shown = re.findall(r"<tr><td>(\d{4}-\d\d-\d\d[ \d:]*)</td><td>([^<]*)</td></tr>", r.text)
    assert len(shown) > 20 and any("Læringssamtale 1" in t for _, t in shown)
    assert _snapshot(admin.db) == before  # a preview stores nothing
    confirm = _confirm_fields(r.text, f"{action}/bekraeft")
    for changed in ({"fingerprint": "0" * 64}, {"segl": "0" * 64}):
        bad = client.post(f"{admin.base}{action}/bekraeft", data={**confirm, **changed})
        assert bad.status_code == 409 and "Bekræftelsen passer ikke til forhåndsvisningen" in bad.text
    # The seal names the unit: the confirmation cannot be used for another.
    other = client.post(f"{admin.base}/admin/loop/{loop}/enhed/dt-001/planlaeg/bekraeft", data=confirm)
    assert other.status_code == 409 and "Bekræftelsen passer ikke til forhåndsvisningen" in other.text
    assert _snapshot(admin.db) == before
    r = client.post(f"{admin.base}{action}/bekraeft", data=confirm)
    assert r.status_code == 303 and r.headers["location"] == f"/admin/loop/{loop}/enhed/dt-900"
    with engine_for(admin.db).connect() as c:
        stored = c.execute(sa.text("select start, title from event where unit_id = 'dt-900' and loop_id = :l "
                                   "and status != 'cancelled' order by start, kind, number, uid"), {"l": loop}).all()
    assert len(stored) == len(shown) and sorted(t for _, t in stored) == sorted(t for _, t in shown)
    assert "Enheder uden for loopet" not in client.get(f"{admin.base}/admin/loop/{loop}").text
    # Again: it is in the loop now, one sentence and nothing stored.
    again = client.post(f"{admin.base}{action}", data=fields)
    assert again.status_code == 409 and "dt-900 er allerede med i loopet 0-6-2027-04-28 (den har møder eller frister forude). Intet er gemt." in again.text
    missing = client.post(f"{admin.base}/admin/loop/{loop}/enhed/dt-999/planlaeg", data=fields)
    assert missing.status_code == 404 and "Enheden dt-999 findes ikke i organisationen." in missing.text
    # A cross-site post is refused before anything is worked out.
    r = client.post(f"{admin.base}{action}", data=fields, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403


def test_a_preview_of_a_new_unit_overtaken_by_a_change_shows_the_new_plan_and_stores_nothing(admin, client):
    loop = "0-6-2027-04-28"
    import_organisation(unit_of_work_for(admin.db), _with_new_unit(CSV), admin.clock.now, apply=True)
    action = f"/admin/loop/{loop}/enhed/dt-900/planlaeg"
    r = client.post(f"{admin.base}{action}", data=_form(client, f"{admin.base}/admin/loop/{loop}", action))
    confirm = _confirm_fields(r.text, f"{action}/bekraeft")
    # Meanwhile the new unit's leader is changed (say from the command line): the plan's people differ.
    changed = _with_new_unit(CSV).replace("ny.leder@example.dk", "anden.leder@example.dk")
    import_organisation(unit_of_work_for(admin.db), changed, admin.clock.now, apply=True)
    before = _snapshot(admin.db)
    r = client.post(f"{admin.base}{action}/bekraeft", data=confirm)
    assert r.status_code == 409 and "ændret siden forhåndsvisningen" in r.text and "Intet er gemt" in r.text
    assert _snapshot(admin.db) == before
    r = client.post(f"{admin.base}{action}/bekraeft", data=_confirm_fields(r.text, f"{action}/bekraeft"))
    assert r.status_code == 303
    with engine_for(admin.db).connect() as c:
        leaders = c.execute(sa.text("select count(*) from attendee a join event e on e.id = a.event_id "
                                    "where e.unit_id = 'dt-900' and a.email = 'anden.leder@example.dk'")).scalar()
    assert leaders > 0


def test_every_problem_the_organisation_file_can_have_is_said_in_danish():
    """The pages show an organisation file's problems in Danish (portal.routes_admin_org): files
    that make the parser say each of its sentences, and none is left in English."""
    import csv as csvmod
    import io

    from cycle.organisation import OrganisationError, parse_organisation
    from portal.routes_admin_org import DANISH_PROBLEMS, _danish

    rows = list(csvmod.DictReader(io.StringIO(CSV)))
    header = list(rows[0])
    school = next(r for r in rows if r["sector"] == "skole")

    def text(*changed: dict, extra: str = "", columns=header) -> str:
        out = io.StringIO()
        w = csvmod.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(changed)
        return out.getvalue() + extra

    files = [
        "",
        ",".join(header) + "\n",
        text(rows[0], columns=[c for c in header if c != "board_email"] + ["farve"]),
        text(
            dict(rows[0], name="To\nlinjer"), dict(rows[1], chief_email=""), dict(rows[2], leader_name=""),
            dict(rows[3], id="DT 4"), dict(rows[4], id=rows[0]["id"]), dict(rows[5], sector="vuggestue"),
            dict(rows[6], self_owned="måske"), dict(school, self_owned="true"), dict(rows[7], leader_email="ingen-snabel-a"),
            dict(rows[8], leader_email=rows[9]["leader_email"], leader_name="Et Andet Navn"), rows[9],
            extra=",".join(["dt-777"] + ["x"] * len(header)) + "\n"),
    ]
    said: dict[str, str] = {}
    for f in files:
        with pytest.raises(OrganisationError) as exc:
            parse_organisation(f)
        said.update({p.message: _danish(p.message) for p in exc.value.problems})
    english = [m for m, d in said.items() if d == m]
    assert english == [], english
    # Every sentence the parser has was made here: each translation was used.
    used = {i for m in said for i, (pattern, _) in enumerate(DANISH_PROBLEMS) if pattern.fullmatch(m)}
    assert used == set(range(len(DANISH_PROBLEMS))), [DANISH_PROBLEMS[i][1] for i in range(len(DANISH_PROBLEMS))
                                                        if i not in used]


def test_a_daycare_planned_into_an_albertslund_loop_shows_the_visits_its_team_takes_over(admin, client):
    """Albertslund's mutual visits [004]: the preview of a new daycare's plan names the visit its
    team takes over in each loop-year, and its own visit from the team that was taken off."""
    r = _preview_start(client, admin.base, ramme="albertslund", omraade="0-6", dato="2027-05-03")
    client.post(f"{admin.base}/admin/start/bekraeft", data=_confirm_fields(r.text, "/admin/start/bekraeft"))
    loop = "0-6-2027-05-03"
    import_organisation(unit_of_work_for(admin.db), _with_new_unit(CSV), admin.clock.now, apply=True)
    action = f"/admin/loop/{loop}/enhed/dt-900/planlaeg"
    r = client.post(f"{admin.base}{action}", data=_form(client, f"{admin.base}/admin/loop/{loop}", action))
    assert r.status_code == 200 and "Besøg, der fordeles på ny" in r.text
    section = r.text[r.text.index("Besøg, der fordeles på ny"):r.text.index("<h2>Planen</h2>")]
    assert section.count("<li>") == 2 and section.count("(besøg fra Nyt Dagtilbud)") == 2
    plan = r.text[r.text.index("<h2>Planen</h2>"):]
    assert plan.count("Gensidigt besøg: Nyt Dagtilbud (besøg fra ") == 2 and "Kvalitetsdialog" in plan
    assert "Det får enheden ikke" not in r.text


@pytest.mark.parametrize("framework, start", [("aarhus", "--council-date"), ("albertslund", "--start-date")])
def test_every_reason_a_joining_unit_gets_less_is_said_in_danish(sqlite_cli, tmp_path, framework, start):
    """The preview and the refusal of `loop add-unit` on the pages say in Danish why a unit gets
    less than the others: the reasons the joining planner really gives, collected by planning a new
    unit and a removed-and-restored one into a running loop every other month of its two years."""
    from kvalitetsloop.errors import UserError
    from kvalitetsloop.settings import get_settings
    from kvalitetsloop.usecases.loop_changes import add_unit
    from portal.routes_admin_org import DANISH_LEFT_OUT, NO_WINDOW, _danish_reason
    from tests.conftest import EXAMPLE_ORG

    cli, loop = sqlite_cli, "0-6-2027-04-28"
    full = EXAMPLE_ORG.read_text(encoding="utf-8")
    cli("org", "import", str(EXAMPLE_ORG), "--now", "2027-03-01T09:00+01:00")
    cli("loop", "start", "--framework", framework, "--area", "0-6", start, "2027-04-28", "--now", "2027-03-01T09:00+01:00",
        *(["--past", "held"] if framework == "aarhus" else []))
    without = tmp_path / "uden.csv"
    without.write_text("\n".join(l for l in full.splitlines() if not l.startswith("dt-001,")) + "\n", encoding="utf-8")
    cli("org", "import", str(without), "--apply", "--now", "2027-08-20T09:00+02:00")
    plus = tmp_path / "plus.csv"
    plus.write_text(_with_new_unit(full), encoding="utf-8")
    cli("org", "import", str(plus), "--now", "2027-08-21T09:00+02:00")
    reasons, refusals = set(), set()
    for month in range(9, 9 + 22, 2):
        when = dt.datetime(2027 + (month - 1) // 12, (month - 1) % 12 + 1, 3, 9, tzinfo=dt.timezone.utc)
        for unit in ("dt-900", "dt-001"):
            try:
                added = add_unit(unit_of_work_for(cli.url), get_settings().frameworks_dir, loop, unit, when,
                                 dry_run=True)
            except UserError as exc:
                refusals.add(str(exc))
                continue
            reasons |= {why for _, why in added.left_out} | set(added.not_planned)
    untranslated = sorted(r for r in reasons if _danish_reason(r) == r)
    assert untranslated == [], untranslated
    assert any(NO_WINDOW.fullmatch(r) for r in refusals), refusals
    said = {pattern.pattern for r in reasons for pattern, _ in DANISH_LEFT_OUT if pattern.fullmatch(r)}
    assert any("took place" in p for p in said) and any("window ended" in p for p in said)
    if framework == "albertslund":
        assert any("observation visit" in p for p in said), said
