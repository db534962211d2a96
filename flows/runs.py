"""What both flows do to make their runs readable in the Prefect UI: tags and artifact keys."""

from __future__ import annotations


def tag_this_run(*names: str) -> None:
    """Add tags to the running flow run (a run started from the UI or a schedule has only the
    deployment's tags; these say which loop, area and framework it is about)."""
    from prefect.client.orchestration import get_client
    from prefect.runtime import flow_run

    if not flow_run.id or set(names) <= set(flow_run.tags or ()):
        return  # a deployment's run has its tags already: no round trip to the server
    with get_client(sync_client=True) as client:  # the run's own tags are known here: no read first
        client.update_flow_run(flow_run.id, tags=sorted(set(flow_run.tags or ()) | set(names)))


def artifact_key(loop_id: str, what: str) -> str:
    """An artifact key for a loop (keys take lower-case letters, digits and dashes)."""
    return "loop-" + "".join(ch if ch.isalnum() else "-" for ch in loop_id.lower()) + f"-{what}"


FAILED_EVENT = "kvalitetsloop.flow-run.failed"


def announce_failure(flow, flow_run, state) -> None:
    """State hook (on_failure): say at once that this run failed, for the ops alert.

    The alert does not wait for Prefect's own `prefect.flow-run.Failed`: for a run the scheduler
    created, that event follows a `Scheduled` event that was never emitted, and the server's
    triggers hold it back for up to 15 minutes (causal ordering). This event follows nothing and
    reaches the automation at once. A crash, where no hook may run, is caught by Prefect's
    `prefect.flow-run.Crashed` instead (prefect.yaml)."""
    from prefect.events import emit_event

    emit_event(
        event=FAILED_EVENT,
        resource={"prefect.resource.id": f"prefect.flow-run.{flow_run.id}",
                  "prefect.resource.name": flow_run.name,
                  "prefect.state-name": state.name or "Failed",
                  "prefect.state-message": (state.message or "")[:2000]},
        # The run's tags as Prefect relates them; `kvalitetsloop` always (a flow run called
        # directly, not from a deployment, has no tags of its own).
        related=[{"prefect.resource.id": f"prefect.tag.{tag}", "prefect.resource.role": "tag"}
                 for tag in sorted({"kvalitetsloop", *(flow_run.tags or ())})],
    )


# Flow options: the result of a run stays in memory. Nothing reads a run's result back (the
# database is the source of truth), and saying so spares a round trip at every flow run's start:
# otherwise Prefect asks the server for its default result storage to decide whether to persist.
IN_MEMORY = {"persist_result": False}
