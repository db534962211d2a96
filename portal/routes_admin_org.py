"""The administration's pages that change things: start a loop, update the organisation, plan a
unit into a running loop.

The first two go upload → preview → confirm, through the use cases the command line uses (`loop start
--dry-run`, `org import --dry-run` / `--apply`). A preview changes nothing. Its confirmation form
carries the file itself (base64: browsers rewrite line breaks in plain fields), the file's SHA-256,
the choices and the fingerprint of what the preview showed, sealed under the session; the confirm
refuses a file or choice other than the sealed ones, and the use case stores nothing unless the
effect worked out again in the confirm's own transaction still equals the fingerprint. Planning
a unit in (`loop add-unit`) goes preview → confirm the same way, sealed on the loop, the unit and
the plan's fingerprint.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
from collections import Counter
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from cycle.framework import AARHUS_ROLE_LABELS, FrameworkError
from cycle.organisation import OrganisationError
from kvalitetsloop.errors import (CouncilDatePassed, CouncilYearRefused, LoopExists, NotFound, PastMilestones,
                                  PreviewChanged, UserError)
from portal.app import PortalDep
from portal.routes_admin import _form, _page, _posted, _refused, _session, _sessions
from portal.security import MAX_BODY_BYTES

router = APIRouter(prefix="/admin")

NOT_SEALED = ("Bekræftelsen passer ikke til forhåndsvisningen (en anden fil eller andre valg). Intet er gemt; "
              "indlæs filen igen, og se forhåndsvisningen først.")


@dataclass
class Upload:
    """An organisation file as the pages carry it: its text, name and hash."""

    text: str
    name: str

    @property
    def sha(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def carried(self) -> str:
        return base64.b64encode(self.text.encode("utf-8")).decode("ascii")


async def _upload(data) -> tuple[Upload | None, str | None]:
    """The file chosen in the form (field `fil`), else the one a previous preview carried
    (`indhold`); or the one sentence that says why there is none."""
    chosen = data.get("fil")
    if chosen is not None and hasattr(chosen, "read") and chosen.filename:
        raw, name = await chosen.read(), chosen.filename
    elif data.get("indhold"):
        try:
            raw = base64.b64decode(str(data.get("indhold")), validate=True)
        except (binascii.Error, ValueError):
            return None, "Den medsendte fil kan ikke læses. Vælg filen igen."
        name = str(data.get("filnavn") or "organisation.csv")
    else:
        return None, "Vælg organisationsfilen (CSV)."
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, "Filen er ikke gemt som UTF-8-tekst. Gem den som «CSV UTF-8» i Excel, og prøv igen."
    return Upload(text, name[:200]), None


# The organisation file's problems (cycle.organisation, English like the command line) in Danish;
# a message not listed here is shown as it is.
DANISH_PROBLEMS = [(re.compile(pattern), danish) for pattern, danish in (
    (r"the file is empty; it needs a header row", "filen er tom; den skal have en overskriftslinje"),
    (r"this required column is missing from the header", "kolonnen skal være med i overskriftslinjen"),
    (r"unknown column", "ukendt kolonne"),
    (r"(\S+) is named '(.*)' here but '(.*)' on line (\d+)", "{0} hedder «{1}» her, men «{2}» på linje {3}"),
    (r"the row has more fields than the header", "rækken har flere felter end overskriftslinjen"),
    (r"a line break or other control character is not allowed here", "linjeskift og andre styretegn må ikke stå her"),
    (r"the unit's chief is missing", "enhedens chef mangler"),
    (r"missing value", "værdien mangler"),
    (r"'(.*)' may hold only letters a-z, digits, '-' and '_'", "«{0}» må kun indeholde a-z, cifre, - og _"),
    (r"duplicate id '(.*)' \(first on line (\d+)\)", "id'et «{0}» står der allerede (første gang på linje {1})"),
    (r"unknown sector '(.*)' \(use dagtilbud, skole or fu\)", "ukendt sektor «{0}» (brug dagtilbud, skole eller fu)"),
    (r"only daycares \(dagtilbud\) can be self-owned", "kun dagtilbud kan være selvejende"),
    (r"the file has a header but no units", "filen har en overskriftslinje, men ingen enheder"),
    (r"'(.*)' is not true or false", "«{0}» er hverken true eller false"),
    (r"'(.*)' is not a valid email address", "«{0}» er ikke en gyldig e-mailadresse"),
)]


def _danish(message: str) -> str:
    for pattern, danish in DANISH_PROBLEMS:
        if m := pattern.fullmatch(message):
            return danish.format(*m.groups())
    return message


async def _posted_file(portal, request: Request, files: int = 0):
    """The session, the posted form (size, cross-site and CSRF checked) and its organisation file:
    (session, form, upload, why there is no upload, refusal page or None)."""
    session = _session(portal, request)
    data, refusal = await _posted(portal, request, session.nonce, MAX_BODY_BYTES, files=files)
    if refusal:
        return session, None, None, None, refusal
    upload, missing = await _upload(data)
    return session, data, upload, missing, None


def _file_problems(exc: OrganisationError) -> list[str]:
    return [f"Linje {p.line}" + (f", kolonne {p.column}" if p.column else "") + f": {_danish(p.message)}"
            for p in exc.problems]


def _frameworks(portal) -> list:
    """The frameworks shipped in frameworks/, by name: the only ones the web may start a loop with."""
    from kvalitetsloop.frameworks import available, load_framework

    return [load_framework(name, portal.settings.frameworks_dir).framework
            for name in available(portal.settings.frameworks_dir)]


# -- start a loop -----------------------------------------------------------------------------

@dataclass
class StartChoice:
    framework: str = "aarhus"
    area: str = ""
    council_date: str = ""
    past_held: bool = False
    any_year: bool = False

    @classmethod
    def of(cls, data) -> "StartChoice":
        return cls(str(data.get("ramme") or "")[:64], str(data.get("omraade") or "")[:16],
                   str(data.get("dato") or "")[:10], data.get("tidligere") == "held", data.get("alle_aar") == "ja")

    def parts(self) -> tuple[str, ...]:
        return (self.framework, self.area, self.council_date, str(self.past_held), str(self.any_year))


def _start_page(portal, request, session, status: int = 200, **values) -> HTMLResponse:
    fws = _frameworks(portal)
    values.setdefault("choice", StartChoice(area=min(fws[0].areas) if fws else ""))
    values.setdefault("problems", [])
    return _page(portal, request, session, "start.html", status=status, frameworks=fws,
                 areas=sorted({a for fw in fws for a in fw.areas}), **values)


@router.get("/start", response_class=HTMLResponse)
def start_form(request: Request, portal: PortalDep):
    return _start_page(portal, request, _session(portal, request))


def _plan(portal, upload: Upload, choice: StartChoice, *, dry_run: bool, expect: str | None = None):
    """start_loop on the uploaded file: the preview (dry run) or the real start."""
    from kvalitetsloop.usecases.loops import start_loop

    # One date field: the council date, or the start date of a framework without a council.
    day = dt.date.fromisoformat(choice.council_date)
    council = next((fw.has_council for fw in _frameworks(portal) if fw.name == choice.framework), True)
    return start_loop(portal.uow(), portal.settings.frameworks_dir, choice.framework, choice.area,
                      day if council else None, portal.clock(), dry_run=dry_run,
                      allow_any_year=choice.any_year, past="held" if choice.past_held else None,
                      organisation_text=upload.text, expect=expect, start_date=None if council else day)


def _refusal(exc: Exception) -> tuple[str, str | None]:
    """A refusal of the plan as a Danish sentence, and the way out the page offers (if any)."""
    if isinstance(exc, PastMilestones):
        listed = "; ".join(f"{e.start.date().isoformat()} {e.title}" for e in exc.events[:10])
        more = f" og {len(exc.events) - 10} flere" if len(exc.events) > 10 else ""
        return (f"{len(exc.events)} af loopets begivenheder ligger før i dag: {listed}{more}. Vælg «registrér som "
                "afholdt» (der sendes intet for dem), eller vælg en senere dato.", "past")
    if isinstance(exc, CouncilYearRefused):
        return f"Datoen passer ikke til områdets byrådsår ({exc}). Vælg «planlæg alligevel» for at se planen.", "year"
    if isinstance(exc, CouncilDatePassed):
        return f"Datoen er passeret ({exc}).", None
    if isinstance(exc, LoopExists):
        return f"Loopet {exc.loop_id} findes allerede.", None
    return f"Loopet kan ikke planlægges: {exc}.", None


@router.post("/start", response_class=HTMLResponse)
async def start_preview(request: Request, portal: PortalDep):
    session, data, upload, missing, refusal = await _posted_file(portal, request, files=1)
    if refusal:
        return refusal
    choice = StartChoice.of(data)
    problem = _check_choice(portal, choice) or missing
    if problem:
        return _start_page(portal, request, session, 422, choice=choice, upload=upload if not missing else None,
                           problems=[problem])
    try:
        started = _plan(portal, upload, choice, dry_run=True)
    except OrganisationError as exc:
        return _start_page(portal, request, session, 422, choice=choice, file_problems=_file_problems(exc),
                           file_name=upload.name)
    except (UserError, FrameworkError) as exc:
        text, way_out = _refusal(exc)
        return _start_page(portal, request, session, 422, choice=choice, upload=upload, problems=[text],
                           way_out=way_out)
    return _start_preview_page(portal, request, session, upload, choice, started)


def _check_choice(portal, choice: StartChoice) -> str | None:
    # Only a framework shipped in frameworks/ by its name: never a path from the web.
    if choice.framework not in {fw.name for fw in _frameworks(portal)}:
        return "Vælg en af de rammer, der følger med kvalitetsloop."
    try:
        dt.date.fromisoformat(choice.council_date)
    except ValueError:
        return "Skriv datoen som åååå-mm-dd, fx 2027-04-28."
    return None


def _start_preview_page(portal, request, session, upload: Upload, choice: StartChoice, started, status: int = 200,
                        notice: str = "") -> HTMLResponse:
    from cycle.summary import milestones, per_chief

    fingerprint = started.fingerprint
    seal = _sessions(request).seal(session.nonce, "start", upload.sha, *choice.parts(), fingerprint)
    return _start_page(portal, request, session, status, choice=choice, upload=upload, started=started,
                       kinds=sorted(Counter(e.kind for e in started.events).items()),
                       units=len({e.unit_id for e in started.events if e.unit_id}),
                       held=[e for e in started.events if e.status == "held"],
                       milestones=milestones(started.events), chiefs=per_chief(started.events, started.organisation),
                       imported=started.imported, roles=AARHUS_ROLE_LABELS, fingerprint=fingerprint, seal=seal,
                       notice=notice)


@router.post("/start/bekraeft", response_class=HTMLResponse)
async def start_confirm(request: Request, portal: PortalDep):
    session, data, upload, _, refusal = await _posted_file(portal, request)
    if refusal:
        return refusal
    choice = StartChoice.of(data)
    fingerprint = str(data.get("fingerprint") or "")
    if upload is None or _check_choice(portal, choice) or not _sessions(request).seal_valid(
            session.nonce, data.get("segl"), "start", upload.sha, *choice.parts(), fingerprint):
        return _refused(portal, 409, NOT_SEALED)
    try:
        started = _plan(portal, upload, choice, dry_run=False, expect=fingerprint)
    except PreviewChanged:
        # Show what a start would do now; the administrator confirms that one, or not.
        try:
            again = _plan(portal, upload, choice, dry_run=True)
        except (UserError, FrameworkError, OrganisationError) as exc:
            return _refused(portal, 409, f"Planen er ændret siden forhåndsvisningen, og intet er gemt: {exc}.")
        return _start_preview_page(portal, request, session, upload, choice, again, 409,
                                   "Planen er ændret siden forhåndsvisningen (organisationen, de andre loops eller "
                                   "ferierne er ændret imens). Intet er gemt. Se den nye plan, og bekræft igen.")
    except (UserError, FrameworkError, OrganisationError) as exc:
        return _refused(portal, 409, _refusal(exc)[0] + " Intet er gemt.")
    return RedirectResponse(f"/admin/loop/{started.loop_id}", status_code=303)


# -- update the organisation ------------------------------------------------------------------

def _org_page(portal, request, session, status: int = 200, **values) -> HTMLResponse:
    values.setdefault("problems", [])
    return _page(portal, request, session, "organisation.html", status=status, roles=AARHUS_ROLE_LABELS, **values)


@router.get("/organisation", response_class=HTMLResponse)
def org_form(request: Request, portal: PortalDep):
    return _org_page(portal, request, _session(portal, request))


def _org_preview_page(portal, request, session, upload: Upload, report, status: int = 200, notice: str = ""):
    fingerprint = report.fingerprint
    seal = _sessions(request).seal(session.nonce, "organisation", upload.sha, fingerprint)
    return _org_page(portal, request, session, status, upload=upload, report=report, fingerprint=fingerprint,
                     seal=seal, notice=notice)


@router.post("/organisation", response_class=HTMLResponse)
async def org_preview(request: Request, portal: PortalDep):
    from kvalitetsloop.usecases.organisation import import_organisation

    session, data, upload, missing, refusal = await _posted_file(portal, request, files=1)
    if refusal:
        return refusal
    if missing:
        return _org_page(portal, request, session, 422, problems=[missing])
    try:
        report = import_organisation(portal.uow(), upload.text, portal.clock(), dry_run=True)
    except OrganisationError as exc:
        return _org_page(portal, request, session, 422, file_problems=_file_problems(exc), file_name=upload.name)
    return _org_preview_page(portal, request, session, upload, report)


@router.post("/organisation/anvend", response_class=HTMLResponse)
async def org_apply(request: Request, portal: PortalDep):
    from kvalitetsloop.usecases.organisation import import_organisation

    session, data, upload, _, refusal = await _posted_file(portal, request)
    if refusal:
        return refusal
    fingerprint = str(data.get("fingerprint") or "")
    if upload is None or not _sessions(request).seal_valid(session.nonce, data.get("segl"), "organisation",
                                                           upload.sha, fingerprint):
        return _refused(portal, 409, NOT_SEALED)
    try:
        report = import_organisation(portal.uow(), upload.text, portal.clock(), apply=True, expect=fingerprint)
    except PreviewChanged:
        again = import_organisation(portal.uow(), upload.text, portal.clock(), dry_run=True)
        return _org_preview_page(portal, request, session, upload, again, 409,
                                 "Organisationen eller loopene er ændret siden forhåndsvisningen. Intet er gemt. "
                                 "Se, hvad filen ændrer nu, og bekræft igen.")
    except (UserError, OrganisationError) as exc:
        return _refused(portal, 409, f"Organisationen kan ikke opdateres: {exc}. Intet er gemt.")
    return _org_page(portal, request, session, report=report, applied=True, upload=upload)


# -- plan a unit into a running loop ------------------------------------------------------------

# The joining planner's reasons (cycle.joining, cycle.observations; English like the command line)
# in Danish.
DANISH_LEFT_OUT = [(re.compile(pattern), danish) for pattern, danish in (
    (r"its window ended on (\S+)", "vinduet sluttede {0}"),
    (r"it took place on (\S+)", "den blev holdt {0}, før enheden blev taget ud"),
    (r"its window ends on (\S+), before (\S+), the first day that leaves its data package and deadlines time",
     "vinduet slutter {0}, før {1}, som er den første dag, der giver tid til datapakken og fristerne"),
    (r"its window ends on (\S+), before (\S+), the first day that leaves its deadlines time",
     "vinduet slutter {0}, før {1}, som er den første dag, der giver tid til fristerne"),
    (r"no observation visit in loop-year (\d+): no day of its window is left that gives the agreement before a "
     r"visit time", "intet besøg i loopår {0}: der er ingen dag tilbage i besøgenes periode, som giver tid til "
                    "aftalen før besøget"),
    (r"no observation visit in loop-year (\d+): no day of its window is left",
     "intet besøg i loopår {0}: der er ingen dag tilbage i besøgenes periode"),
    (r"no observation visit in loop-year (\d+): no visit ahead could take the unit's team in, and the unit host a "
     r"team, on days when all of them are free",
     "intet besøg i loopår {0}: intet af de kommende besøg kan tage enhedens hold ind, og enheden selv være vært "
     "for et hold, på dage hvor alle er ledige"),
    (r"in loop-year (\d+) no team visits the unit: no team of the loop is without a visit and free on a day with it",
     "i loopår {0} besøger intet hold enheden: alle loopets hold har et besøg, eller ingen er ledig en dag sammen "
     "med enheden"),
    (r"in loop-year (\d+) the unit's team visits nobody: no unit of the loop is without a visit and free on a day "
     r"with it", "i loopår {0} besøger enhedens hold ingen: alle loopets enheder får besøg, eller ingen er ledig en "
                 "dag sammen med holdet"),
)]
# "talk 2: its window ended on …; talk 3: …" in the refusal of a unit no window is left for.
NO_WINDOW = re.compile(r"(\S+) cannot be planned into the loop (\S+): no talk window of the loop \S+ is left for "
                       r"\S+: (.*)")


def _danish_reason(message: str) -> str:
    for pattern, danish in DANISH_LEFT_OUT:
        if m := pattern.fullmatch(message):
            return danish.format(*m.groups())
    return message


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _add_unit_page(portal, request, session, added, status: int = 200, notice: str = "") -> HTMLResponse:
    from cycle.vocabulary import plural, words

    w = words(added.framework)
    fingerprint = added.fingerprint
    seal = _sessions(request).seal(session.nonce, "add-unit", added.loop_id, added.unit_id, fingerprint)
    left_out = [f"{w['Talk']} {n} planlægges ikke: {_danish_reason(why)}." for n, why in added.left_out]
    left_out += [_sentence(_danish_reason(why)) for why in added.not_planned]
    talks = sum(e.kind == "learning_talk" for e in added.events)
    taken_over = [e for e in added.changed if e.kind == "observation_visit"]
    return _page(portal, request, session, "add_unit.html", status=status, added=added, left_out=left_out,
                 talks=talks, talks_word=w["talk"] if talks == 1 else plural(w["talk"]), taken_over=taken_over,
                 fingerprint=fingerprint,
                 seal=seal, notice=notice)


def _add_unit(portal, loop_id: str, unit_id: str, *, dry_run: bool, expect: str | None = None):
    from kvalitetsloop.usecases.loop_changes import add_unit

    return add_unit(portal.uow(), portal.settings.frameworks_dir, loop_id, unit_id, portal.clock(),
                    dry_run=dry_run, expect=expect)


# Why a unit cannot be planned in (kvalitetsloop.usecases.loop_changes), in Danish.
DANISH_REFUSALS = [(re.compile(pattern), danish) for pattern, danish in (
    (r"there is no loop '(.*)' .*", "Loopet {0} findes ikke."),
    (r"there is no unit '(.*)' in the organisation .*", "Enheden {0} findes ikke i organisationen."),
    (r"(\S+) already takes part in the loop (\S+) \(it has meetings or deadlines ahead\)",
     "{0} er allerede med i loopet {1} (den har møder eller frister forude)."),
    (r"the loop (\S+) is cancelled, not running", "Loopet {0} er aflyst og tager ingen enheder ind."),
    (r"the loop (\S+) is closed, not running", "Loopet {0} er afsluttet og tager ingen enheder ind."),
)]


def _add_unit_refusal(portal, exc: Exception) -> HTMLResponse:
    message = str(exc)
    if m := NO_WINDOW.fullmatch(message):
        parts = [re.fullmatch(r"talk (\d+): (.*)", part) for part in m.group(3).split("; ")]
        reasons = "; ".join(f"samtale {p.group(1)}: {_danish_reason(p.group(2))}" if p else part
                            for p, part in zip(parts, m.group(3).split("; ")))
        return _refused(portal, 409, f"{m.group(1)} kan ikke planlægges ind i loopet {m.group(2)}: der er ingen "
                                     f"samtale tilbage at planlægge ({reasons}). Intet er gemt.")
    for pattern, danish in DANISH_REFUSALS:
        if m := pattern.fullmatch(message):
            message = danish.format(*m.groups())
            break
    else:
        message = f"Enheden kan ikke planlægges ind i loopet: {message}."
    return _refused(portal, 404 if isinstance(exc, NotFound) else 409, f"{message} Intet er gemt.")


@router.post("/loop/{loop_id}/enhed/{unit_id}/planlaeg", response_class=HTMLResponse)
async def add_unit_preview(request: Request, portal: PortalDep, loop_id: str, unit_id: str):
    """The plan `loop add-unit` would store for the unit, shown; nothing is stored."""
    session, _, refusal = await _form(portal, request)
    if refusal:
        return refusal
    try:
        added = _add_unit(portal, loop_id, unit_id, dry_run=True)
    except UserError as exc:
        return _add_unit_refusal(portal, exc)
    return _add_unit_page(portal, request, session, added)


@router.post("/loop/{loop_id}/enhed/{unit_id}/planlaeg/bekraeft", response_class=HTMLResponse)
async def add_unit_confirm(request: Request, portal: PortalDep, loop_id: str, unit_id: str):
    session, data, refusal = await _form(portal, request)
    if refusal:
        return refusal
    fingerprint = str(data.get("fingerprint") or "")
    if not _sessions(request).seal_valid(session.nonce, data.get("segl"), "add-unit", loop_id, unit_id, fingerprint):
        return _refused(portal, 409, NOT_SEALED)
    try:
        _add_unit(portal, loop_id, unit_id, dry_run=False, expect=fingerprint)
    except PreviewChanged:
        try:
            again = _add_unit(portal, loop_id, unit_id, dry_run=True)
        except UserError as exc:
            return _add_unit_refusal(portal, exc)
        return _add_unit_page(portal, request, session, again, 409,
                              "Planen er ændret siden forhåndsvisningen (organisationen, loopene eller ferierne er "
                              "ændret imens). Intet er gemt. Se den nye plan, og bekræft igen.")
    except UserError as exc:
        return _add_unit_refusal(portal, exc)
    return RedirectResponse(f"/admin/loop/{loop_id}/enhed/{unit_id}", status_code=303)
