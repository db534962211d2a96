"""`report replies` counts the answers per kind of meeting and chief. A leader network's theme
meeting has every chief of the area in it, so it counts for no one chief: "(fælles møde)"; a
removed unit's past meeting still counts for its chief."""

from __future__ import annotations

import collections
import json

from tests.conftest import EXAMPLE_ORG, Cli
from tests.notifications.conftest import smtp, smtp_env  # noqa: F401 (fixtures)


def _meetings(cli, loop: str) -> dict[tuple[str, str], int]:
    """`report replies`: the meetings invited, per (kind, chief)."""
    out = {}
    for line in cli("report", "replies", loop).stdout.splitlines():
        cells = [c.strip() for c in line.replace("┃", "│").split("│")[1:-1]]
        if len(cells) == 8 and cells[2].isdigit():
            out[(cells[0], cells[1])] = int(cells[2])
    return out


def test_the_networks_meetings_count_once_as_shared_and_the_talks_per_chief(sqlite_url, tmp_path, smtp, smtp_env):
    smtp_env(smtp.port)
    cli = Cli(sqlite_url, tmp_path)
    loop = "0-6-2027-04-28"
    cli("org", "import", str(EXAMPLE_ORG), "--now", "2026-11-02T09:00+01:00")
    cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", "2026-11-02T09:00+01:00")
    # The first theme meeting (9 December) is invited 28 days before; the talks in the spring.
    cli("dispatch", "--now", "2026-11-12T09:00+01:00")
    cli("dispatch", "--now", "2027-04-12T09:00+02:00")
    events = json.loads(cli("loop", "export", loop, "--format", "json").stdout)["events"]
    invited = {r.message["X-Kvalitetsloop-Event"] for r in smtp.messages
               if r.message["X-Kvalitetsloop-Kind"] == "invitation"}
    networks = [e for e in events if e["kind"] == "network_meeting" and e["uid"] in invited]
    talks = [e for e in events if e["kind"] == "learning_talk" and e["uid"] in invited]
    assert networks and talks
    rows = _meetings(cli, loop)
    shared = {chief: n for (kind, chief), n in rows.items() if kind == "network_meeting"}
    assert shared == {"(fælles møde)": len(networks)}
    # Each talk counts for its unit's chief.
    per_chief = collections.Counter(next(a["name"] for a in e["attendees"] if a["role"] == "chief") for e in talks)
    talk_rows = {chief: n for (kind, chief), n in rows.items() if kind == "learning_talk"}
    assert talk_rows == dict(per_chief) and len(talk_rows) > 1

    # A unit removed after its talk: the talk it held still counts for its chief, not as shared.
    held = min(talks, key=lambda e: e["start"])
    gone = held["unit_id"]
    rest = tmp_path / "uden.csv"
    rest.write_text("\n".join(l for l in EXAMPLE_ORG.read_text(encoding="utf-8").splitlines()
                              if not l.startswith(f"{gone},")) + "\n", encoding="utf-8")
    cli("org", "import", str(rest), "--apply", "--now", "2027-07-01T09:00+02:00")
    after = _meetings(cli, loop)
    chief = next(a["name"] for a in held["attendees"] if a["role"] == "chief")
    assert after[("learning_talk", chief)] >= 1
    assert {chief for (kind, chief) in after if kind == "learning_talk"} <= set(talk_rows)

