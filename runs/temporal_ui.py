"""What the Temporal web UI shows of a run: its user metadata speaks Relay's language.

Every execution is ``run_<hash>`` of type ``RelayRun`` there; the static summary names the Relay
workflow, its version and the run's entity, the static details link back to the run's page in
the console (when the API's public address is configured), and the interpreter keeps the current
details at the step the run is at (``workflows.interpreter``). No event data: names and ids only.
The SDK encodes user metadata with the data converter, so with ``RELAY_CODEC_KEYS`` they are
sealed like every payload and the Temporal UI reads them through the codec server.
"""

from __future__ import annotations


def run_summary(workflow_name: str, version: int, entity: str | None = None) -> str:
    summary = f"{workflow_name} · v{version}"
    return f"{summary} · entity {entity}" if entity else summary


def run_details(public_url: str | None, run_id: str) -> str | None:
    """A Markdown link to the run's page in the Relay console."""
    if not public_url:
        return None
    return f"Relay run: [{run_id}]({public_url.rstrip('/')}/runs/{run_id})"


def schedule_details(public_url: str | None, workflow_id: str) -> str | None:
    """A scheduled run's id is Temporal's to choose: its details link to the workflow's runs."""
    if not public_url:
        return None
    return f"Relay workflow: [{workflow_id}]({public_url.rstrip('/')}/workflows/{workflow_id}/runs)"
