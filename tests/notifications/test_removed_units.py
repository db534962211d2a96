"""A re-import that removes units while a loop runs (issue 10.1): dispatch goes on for the other
units and decides nothing about the removed ones, except the cancellation of their meetings."""

from __future__ import annotations

import email
import re
from email import policy

from tests.conftest import EXAMPLE_ORG, NOW, Cli

REMOVED = [f"dt-{i:03d}" for i in range(1, 11)]
DISPATCH_AT = "2027-06-01T09:10+02:00"


def _without_removed_units(tmp_path):
    lines = EXAMPLE_ORG.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [l for l in lines if l.split(",", 1)[0] not in REMOVED]
    assert len(kept) == len(lines) - len(REMOVED)
    path = tmp_path / "without-dt-001-010.csv"
    path.write_text("".join(kept), encoding="utf-8")
    removed_names = [l.split(",")[1] for l in lines if l.split(",", 1)[0] in REMOVED]
    return path, removed_names


def _unit_of_event(url: str) -> dict[str, str | None]:
    from kvalitetsloop.bootstrap import unit_of_work_for
    from kvalitetsloop.usecases.loops import view_loop

    return {e.uid: e.unit_id for e in view_loop(unit_of_work_for(url), "0-6-2027-04-28").events}


def _about_removed(msg: email.message.EmailMessage, removed_names: list[str], units: dict) -> bool:
    if units.get(msg["X-Kvalitetsloop-Event"] or "") in REMOVED:
        return True
    text = msg["Subject"] + "\n" + msg.get_body(("plain",)).get_content()
    # "Dagtilbud Hasselnødden" is removed, "Dagtilbud Hasselnødden, Risskov" is not.
    return any(re.search(re.escape(name) + r"(?![,\w])", text) for name in removed_names)


def test_a_reimport_without_some_units_sends_nothing_about_them(sqlite_url, tmp_path, smtp, smtp_env):
    smtp_env(smtp.port)
    cli = Cli(sqlite_url, tmp_path)
    cli("org", "import", str(EXAMPLE_ORG), "--now", NOW)
    cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", NOW, "--past", "held")
    smaller, removed_names = _without_removed_units(tmp_path)
    r = cli("org", "import", str(smaller), "--apply", "--now", "2027-06-01T09:00+02:00")
    assert "Units removed (10)" in r.stdout

    dry = cli("dispatch", "--dry-run", "--now", DISPATCH_AT, "--out", str(tmp_path / "dry"), check=False)
    assert dry.returncode == 0, dry.stderr
    files = sorted((tmp_path / "dry").glob("*.eml"))
    assert files
    dry_msgs = [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]

    real = cli("dispatch", "--now", DISPATCH_AT, check=False)
    assert real.returncode == 0, real.stderr
    sent = [m.message for m in smtp.messages]
    assert len(sent) == len(dry_msgs)

    units = _unit_of_event(sqlite_url)
    for msgs in (dry_msgs, sent):
        kinds = {m["X-Kvalitetsloop-Kind"] for m in msgs}
        # The other units' reminders go out ...
        assert "followup_form_reminder" in kinds, kinds
        about_removed = [m for m in msgs if _about_removed(m, removed_names, units)]
        # ... and about a removed unit at most the cancellation of a meeting whose invitation went
        # out (here none had: this is the loop's first dispatch, so nobody is sent a CANCEL).
        for m in about_removed:
            assert m["X-Kvalitetsloop-Kind"] == "invitation", (m["X-Kvalitetsloop-Kind"], m["Subject"])
            assert "METHOD:CANCEL" in _calendar_part(m), m["Subject"]


def _calendar_part(msg: email.message.EmailMessage) -> str:
    for part in msg.walk():
        if part.get_content_type() == "text/calendar":
            return part.get_payload(decode=True).decode("utf-8")
    return ""
