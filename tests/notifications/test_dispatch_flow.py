"""The dispatch flow under Prefect's test harness: it sends what is due through a real SMTP server
and emits `kvalitetsloop.data-package.requested` for each requested package (SPEC 4.4)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from prefect.testing.utilities import prefect_test_harness

from kvalitetsloop.bootstrap import unit_of_work_for as uow_for

from kvalitetsloop.usecases import loops as loop_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def prefect_api():
    with prefect_test_harness(server_startup_timeout=120):
        yield


def _read_events(prefix: str) -> list[dict]:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        r = client._client.post("/events/filter", json={"filter": {"event": {"prefix": [prefix]}}, "limit": 50})
        r.raise_for_status()
        return r.json()["events"]


def test_dispatch_flow_sends_and_raises_data_package_events(prefect_api, small_loop, smtp, smtp_env, monkeypatch):
    from flows.dispatch import dispatch

    monkeypatch.setenv("KVALITETSLOOP_DATABASE_URL", small_loop)
    smtp_env(smtp.port)
    view = loop_cases.view_loop(uow_for(small_loop), "0-6-2027-04-28")
    trigger_day = min(dt.date.fromisoformat(e.details["trigger_date"]) for e in view.events if e.kind == "data_package")
    now = dt.datetime.combine(trigger_day, dt.time(9, 0), view.tz)
    state = dispatch(now=now, return_state=True)
    assert state.is_completed(), state.message
    result = state.result()
    assert result["sent"] == len(smtp.messages) > 0
    requested = result["data_packages_requested"]
    assert requested >= 1
    assert any(m.message["To"] == "data@aarhus.example.dk" for m in smtp.messages)
    events = []
    for _ in range(30):  # events reach the API asynchronously
        events = _read_events("kvalitetsloop.data-package.requested")
        if len(events) >= requested:
            break
        time.sleep(1)
    assert len(events) == requested
    assert all(e["resource"]["prefect.resource.id"].startswith("kvalitetsloop.unit.dt-") for e in events)
    assert {e["payload"]["loop_id"] for e in events} == {"0-6-2027-04-28"}
    # A second run at the same time sends nothing more: the outbox keys hold.
    again = dispatch(now=now, return_state=True).result()
    assert again["sent"] == 0
