"""What both flows do to make their runs readable in the Prefect UI: tags and artifact keys."""

from __future__ import annotations


def tag_this_run(*names: str) -> None:
    """Add tags to the running flow run (a run started from the UI or a schedule has only the
    deployment's tags; these say which loop, area and framework it is about)."""
    from prefect.client.orchestration import get_client
    from prefect.runtime import flow_run

    if not flow_run.id:
        return
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(flow_run.id)
        client.update_flow_run(flow_run.id, tags=sorted(set(run.tags) | set(names)))


def artifact_key(loop_id: str, what: str) -> str:
    """An artifact key for a loop (keys take lower-case letters, digits and dashes)."""
    return "loop-" + "".join(ch if ch.isalnum() else "-" for ch in loop_id.lower()) + f"-{what}"
