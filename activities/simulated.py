"""Side effects replaced by a recorder, for simulations: nothing is sent, nothing is written.

``SimulatedEffects`` registers the interpreter's bookkeeping local activities (``relay.*``) under
their real names, keeping what they are given in memory, and one dynamic activity that takes
every other activity name. Any action type is therefore recorded with its content rendered as
it would be sent, without this module knowing it — a team's own ``activity`` steps too, on
whichever task queue the simulator serves it.
``{{ secrets.NAME }}`` stays a placeholder: secrets are never read here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from temporalio import activity
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

from activities.actions import address_list, as_text
from activities.stored_reads import RECORD_ACTIONS, StoredReads
from definitions.actions import TEMPLATE_CONTEXT
from workflows.contract import (
    FINISH_RUN,
    LOAD_DEFINITION,
    RECORD_RUN_MARKS,
    RECORD_STEPS,
    SIMULATION_HORIZON,
    WATCH,
    ActionInput,
    FinishRunInput,
    LoadDefinitionInput,
    RecordStepsInput,
    RunMarksInput,
    StepRecord,
    WatchInput,
    permanent,
)

DefinitionLoader = Callable[[LoadDefinitionInput], Awaitable[dict[str, Any]]]
"""What a ``sub_workflow`` step runs: the read-only lookup of the real worker, or none."""

SIMULATED_OUTPUTS: dict[str, dict[str, Any]] = {
    # What an action returns when nothing is sent: the real receipts' shape, so that steps
    # reading ``steps.<id>.output`` take the path they would take after a success.
    "send_email": {"transport": "simulated", "accepted": 1, "refused": 0},
    "send_sms": {"transport": "simulated", "status": "queued"},
    "http_request": {"status": 200, "headers": {}, "json": None, "text": "", "truncated": False},
}


SIMULATED_FAILURE = "simulated_failure"
"""The error type of an action a simulation was told to fail."""


@dataclass
class Trace:
    """What one simulated run did, as its activities were told."""

    outputs: dict[str, Any] = field(default_factory=dict)
    """node id → the output its action returns instead of the default simulated one."""
    failures: dict[str, str] = field(default_factory=dict)
    """node id → the message its action fails with instead (``SIMULATED_FAILURE``)."""
    steps: dict[tuple[str, str], StepRecord] = field(default_factory=dict)
    """(run id, step key) → the step's latest record."""
    content: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    """(run id, step key) → what the action would have sent."""
    variant: str | None = None
    goal: str | None = None
    status: str | None = None
    internal: list[str] = field(default_factory=list)
    """Engine activities this recorder does not know (``relay.*``): called, and ignored."""
    frozen: bool = False
    """The simulation's horizon passed: what the run records while it is cancelled is not
    part of the simulation."""

    def record(self, run_id: str, steps: Sequence[StepRecord]) -> None:
        if self.frozen:
            return
        for step in steps:
            key = (run_id, step.step_key)
            previous = self.steps.get(key)
            if previous is not None and step.started_at is None:
                step = dataclasses.replace(step, started_at=previous.started_at)
            self.steps[key] = step


class SimulatedEffects:
    """The activities of a simulation worker; one ``Trace`` per run, found by its run id."""

    def __init__(
        self, load_definition: DefinitionLoader | None = None, reads: StoredReads | None = None
    ) -> None:
        self._traces: dict[str, Trace] = {}
        self._load = load_definition
        self._reads = reads
        """The tenant's stored templates and records, read as live steps read them (or none:
        a template is then not rendered, and record steps answer a simulated success)."""

    def open(
        self,
        run_id: str,
        outputs: dict[str, Any] | None = None,
        failures: dict[str, str] | None = None,
    ) -> Trace:
        trace = Trace(outputs=dict(outputs or {}), failures=dict(failures or {}))
        self._traces[run_id] = trace
        return trace

    def close(self, run_id: str) -> Trace:
        return self._traces.pop(run_id, Trace())

    def _trace(self, run_id: str) -> Trace:
        # A sub-workflow's run id is "<parent>.<step key>": it records into its root's trace.
        root = run_id.split(".", 1)[0]
        return self._traces.setdefault(root, Trace())

    @activity.defn(name=RECORD_STEPS)
    async def record_steps(self, input: RecordStepsInput) -> None:
        self._trace(input.run.run_id).record(input.run.run_id, input.steps)

    @activity.defn(name=FINISH_RUN)
    async def finish_run(self, input: FinishRunInput) -> None:
        trace = self._trace(input.run.run_id)
        trace.record(input.run.run_id, input.steps)
        if input.run.run_id == input.run.run_id.split(".", 1)[0]:
            trace.status = input.status

    @activity.defn(name=WATCH)
    async def watch(self, input: WatchInput) -> None:
        """Events reach a simulated run from the simulation itself; there is nothing to index."""

    @activity.defn(name=RECORD_RUN_MARKS)
    async def record_run_marks(self, input: RunMarksInput) -> None:
        trace = self._trace(input.run.run_id)
        trace.variant = trace.variant or input.variant
        trace.goal = trace.goal or input.goal

    @activity.defn(name=SIMULATION_HORIZON)
    async def horizon(self, run_id: str) -> None:
        """The run is still waiting at the horizon: its steps stay as they are now, and it is
        cancelled. Through the server's API, while the driver's workflow task is open: the test
        server then records the request at once, with its clock held, where a cancel command
        of the driver reaches the run later, and the clock may jump to a run's deadline first."""
        self._trace(run_id).frozen = True
        await activity.client().get_workflow_handle(run_id).cancel()

    @activity.defn(name=LOAD_DEFINITION)
    async def load_definition(self, input: LoadDefinitionInput) -> dict[str, Any]:
        """Reads only: a sub-workflow's definition, when the simulator was given a lookup."""
        if self._load is None:
            raise ApplicationError(
                "sub-workflows need the workflow store; simulate through the API to run them",
                type="unavailable",
                non_retryable=True,
            )
        return await self._load(input)

    @activity.defn(dynamic=True)
    async def action(self, args: Sequence[RawValue]) -> Any:
        """Every other activity: an action, recorded with what it would send."""
        info = activity.info()
        run_id = info.workflow_id or ""  # always set: activities here run for workflows
        trace = self._trace(run_id)
        if info.activity_type.startswith("relay."):
            trace.internal.append(info.activity_type)
            return None
        converter = activity.payload_converter()
        argument = converter.from_payload(args[0].payload) if args else None
        if isinstance(argument, dict) and {"run", "step", "config"} <= argument.keys():
            return await self._action(
                trace, info.activity_type, converter.from_payload(args[0].payload, ActionInput)
            )
        return self._custom(trace, run_id, info.activity_type, argument)

    async def _action(self, trace: Trace, name: str, input: ActionInput) -> Any:
        """An action step (``ActionInput``): it records its own step, as the real one does.

        With the stored data, a send_email's stored template is rendered and a record step
        runs against the records (rolled back), failing where the live step would fail."""
        content = rendered_content(name, input.config, input.idempotency_key)
        if input.step.node_id in trace.failures:
            # What it would have sent is kept; the interpreter records the failed step.
            trace.content[(input.run.run_id, input.step.step_key)] = content
            raise permanent(trace.failures[input.step.node_id], SIMULATED_FAILURE)
        if input.step.node_id in trace.outputs:
            output = trace.outputs[input.step.node_id]
        else:
            output = {**SIMULATED_OUTPUTS.get(name, {}), "simulated": True}
            if name == "send_email":
                output["message_id"] = input.idempotency_key
            if self._reads is not None and name == "send_email":
                content.update(await self._stored_email(self._reads, input))
            elif self._reads is not None and name in RECORD_ACTIONS:
                output = await self._reads.record_action(name, input)
        at = input.step.started_at
        done = dataclasses.replace(
            input.step, status="completed", attempts=1, completed_at=at, output=output
        )
        trace.record(input.run.run_id, [*input.pending, done])
        trace.content[(input.run.run_id, input.step.step_key)] = content
        return output

    @staticmethod
    async def _stored_email(reads: StoredReads, input: ActionInput) -> dict[str, Any]:
        config = dict(input.config)
        context = config.pop(TEMPLATE_CONTEXT, None)
        subject, text, html = await reads.email_content(input.run.tenant_id, config, context)
        if text is None and html is None:
            raise permanent("an email needs a body or html", "invalid_config")
        return {"subject": subject, "text": text, "html": html}

    def _custom(self, trace: Trace, run_id: str, name: str, argument: Any) -> Any:
        """A team's own activity (an ``activity`` step): the workflow records its step, which
        it marked running just before the call; the call is what it would have sent."""
        running = [
            key for key, step in trace.steps.items()
            if key[0] == run_id and step.status == "running" and step.type == "activity"
        ]  # fmt: skip
        node_id = trace.steps[running[-1]].node_id if running else None
        if running:
            trace.content[running[-1]] = {"activity": name, "input": argument}
        if node_id is not None and node_id in trace.failures:
            raise permanent(trace.failures[node_id], SIMULATED_FAILURE)
        if node_id is not None and node_id in trace.outputs:
            return trace.outputs[node_id]
        return {"simulated": True}


def rendered_content(kind: str, config: dict[str, Any], key: str) -> dict[str, Any]:
    """What an action would send, as its activity would build it from ``config``."""
    if kind == "send_email":
        return {
            "to": address_list(config.get("to")),
            "cc": address_list(config.get("cc")),
            "bcc": address_list(config.get("bcc")),
            "from": config.get("from") or None,
            "subject": as_text(config.get("subject")),
            "text": config.get("body") or None,
            "html": config.get("html") or None,
            "message_id": key,
        }
    if kind == "send_sms":
        return {"to": as_text(config.get("to")), "body": as_text(config.get("body"))}
    if kind == "http_request":
        headers = {str(k): as_text(v) for k, v in (config.get("headers") or {}).items()}
        return {
            "method": as_text(config.get("method") or "POST").upper(),
            "url": as_text(config.get("url")),
            "headers": {**headers, "Idempotency-Key": key},
            "query": config.get("query"),
            "body": config.get("body"),
        }
    return dict(config)
