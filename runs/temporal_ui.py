"""What the Temporal web UI shows of a run: its user metadata speaks Relay's language.

Every execution is ``run_<hash>`` of type ``RelayRun`` there; the static summary names the Relay
workflow and version, the static details link back to the run's page in the console (when the
API's public address is configured), and the interpreter keeps the current details at the step
the run is at (``workflows.interpreter``). No customer data: names and ids the tenant chose,
never event data.
"""

from __future__ import annotations


def run_summary(workflow_name: str, version: int) -> str:
    return f"{workflow_name} · v{version}"


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
