"""The Prefect flows under Prefect's own test harness (a real, temporary Prefect API)."""

from __future__ import annotations

import datetime as dt

import pytest
from prefect.testing.utilities import prefect_test_harness

from kvalitetsloop.bootstrap import unit_of_work_for as uow_for

from kvalitetsloop.usecases import loops as loop_cases
from tests.conftest import EXAMPLE_ORG


@pytest.fixture(scope="module")
def prefect_api():
    with prefect_test_harness(server_startup_timeout=300):
        yield


def _run_start_loop(url: str, monkeypatch, council: dt.date):
    """Run the flow against `url` (settings come from the environment, as on a worker)."""
    from flows.start_loop import start_loop
    from kvalitetsloop.settings import get_settings

    monkeypatch.setenv("KVALITETSLOOP_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        return start_loop(area="6-18", council_date=council, org_file=str(EXAMPLE_ORG),
                          now=dt.datetime(2027, 3, 1, 8, tzinfo=dt.timezone.utc), return_state=True)
    finally:
        get_settings.cache_clear()


def test_start_loop_flow_plans_and_stores_the_loop(prefect_api, sqlite_url, monkeypatch):
    state = _run_start_loop(sqlite_url, monkeypatch, dt.date(2028, 4, 26))
    assert state.is_completed()
    result = state.result()
    assert result["loop_id"] == "6-18-2028-04-26" and result["kinds"]["learning_talk"] == 57 * 4
    assert [l.id for l in loop_cases.list_loops(uow_for(sqlite_url))] == ["6-18-2028-04-26"]


def test_a_bad_request_fails_the_flow_run_with_the_sentence(prefect_api, sqlite_url, monkeypatch):
    state = _run_start_loop(sqlite_url, monkeypatch, dt.date(2027, 4, 28))
    assert state.is_failed()
    assert "even years" in state.message
    assert loop_cases.list_loops(uow_for(sqlite_url)) == []


def test_a_start_loop_run_is_named_tagged_and_publishes_the_plan(prefect_api, sqlite_url, monkeypatch):
    import json

    from prefect.client.orchestration import get_client

    state = _run_start_loop(sqlite_url, monkeypatch, dt.date(2028, 4, 26))
    assert state.is_completed()
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
        plan = next(a for a in client.read_artifacts() if a.key == "loop-6-18-2028-04-26-plan")
    assert run.name == "start loop 6-18-2028-04-26"
    assert {"kvalitetsloop", "loop:6-18-2028-04-26", "area:6-18", "framework:aarhus"} <= set(run.tags)
    text = plan.data if isinstance(plan.data, str) else json.dumps(plan.data)
    assert "# Loop 6-18-2028-04-26" in text and "## Fælles milepæle" in text and "## Pr. chef" in text
    # The table per chief speaks the framework's word, and every chief has 4 talks and 12 one-to-ones per unit.
    assert "| chef | enheder | læringssamtaler | 1:1 | mødetimer |" in text
    rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| ") and "@" in line]
    assert rows and all(int(r[2]) == 4 * int(r[1]) and int(r[3]) == 12 * int(r[1]) for r in rows)


def test_a_start_loop_run_for_a_framework_without_a_council_takes_a_start_date(prefect_api, sqlite_url, monkeypatch):
    """Albertslund has no council [004: the loop starts on a start date]: the flow plans it from
    `start_date`, names the run after it and its plan says "start"; a council date is refused in
    one sentence and nothing is stored."""
    import json

    from prefect.client.orchestration import get_client

    from flows.start_loop import start_loop
    from kvalitetsloop.settings import get_settings

    monkeypatch.setenv("KVALITETSLOOP_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    now = dt.datetime(2027, 3, 1, 8, tzinfo=dt.timezone.utc)
    try:
        refused = start_loop(area="0-6", council_date=dt.date(2027, 4, 28), framework="albertslund",
                             org_file=str(EXAMPLE_ORG), now=now, return_state=True)
        assert refused.is_failed() and "has no council meeting to start a loop from" in refused.message
        assert loop_cases.list_loops(uow_for(sqlite_url)) == []
        state = start_loop(area="0-6", start_date=dt.date(2027, 4, 28), framework="albertslund",
                           org_file=str(EXAMPLE_ORG), now=now, return_state=True)
    finally:
        get_settings.cache_clear()
    assert state.is_completed()
    result = state.result()
    assert result["loop_id"] == "0-6-2027-04-28" and "council_meeting" not in result["kinds"]
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
        plan = next(a for a in client.read_artifacts() if a.key == "loop-0-6-2027-04-28-plan")
    assert run.name == "start loop 0-6-2027-04-28"
    text = plan.data if isinstance(plan.data, str) else json.dumps(plan.data)
    assert "område 0-6, start 2027-04-28" in text and "byråd" not in text


def test_status_report_flow_publishes_each_loops_units_and_overdue(prefect_api, monkeypatch, tmp_path):
    from prefect.client.orchestration import get_client

    from flows.status_report import status_report
    from kvalitetsloop.settings import get_settings
    from tests.notifications.conftest import make_loop_db, small_org_csv

    url = make_loop_db(tmp_path / "loop.sqlite", small_org_csv())
    monkeypatch.setenv("KVALITETSLOOP_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        state = status_report(now=dt.datetime(2027, 9, 1, 7, tzinfo=dt.timezone.utc), return_state=True)
    finally:
        get_settings.cache_clear()
    assert state.is_completed()
    result = state.result()
    assert result["0-6-2027-04-28"]["units"] == 7 and result["0-6-2027-04-28"]["overdue"] > 0
    with get_client(sync_client=True) as client:
        arts = {a.key: a for a in client.read_artifacts()}
    import json

    rows = json.loads(arts["loop-0-6-2027-04-28-status"].data)
    assert len(rows) == 7 and rows[0]["Enhed"] == "dt-001" and rows[0]["Læringssamtaler afholdt"] == "1 af 4"  # talk 2 is that morning
    summary = arts["loop-0-6-2027-04-28-status-summary"].data
    assert summary.startswith("# Status for loopet 0-6-2027-04-28") and "## Forsinket (" in summary
