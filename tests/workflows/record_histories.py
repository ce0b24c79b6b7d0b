"""Regenerates committed histories in ``histories/`` from ``history_cases.CASES``.

    .venv/bin/python -m tests.workflows.record_histories [NAME ...]

Without names it records only the cases that have no history yet: an existing history is the
record of what running workflows did, and is rewritten only on purpose (name it).
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from definitions.loading import load_definition
from storage.db import make_engine, session_scope, upgrade
from storage.payload_codec import EncryptionCodec, data_converter
from storage.workflows import create_workflow, set_status
from tests.helpers.db import steps_of
from tests.helpers.peers import RecordingHttpServer
from tests.helpers.temporal import relay_worker, run_input, start_run
from tests.workflows.history_cases import (
    CASES,
    CHILD,
    CHILD_DEFINITION,
    REPLAY_CODEC_KEY,
    HistoryCase,
)
from workflows.contract import MIGRATE_SIGNAL, MigrateRequest
from workflows.policies import PATCHES

HERE = Path(__file__).parent / "histories"
TENANT = "t_test"


async def record(
    env: WorkflowEnvironment, client: Client, worker_queue: object, engine: Engine,
    peer: RecordingHttpServer, name: str, case: HistoryCase, child_id: str,
) -> None:  # fmt: skip
    for status in case.script:
        peer.script(status)
    document = json.loads(json.dumps(case.document).replace(CHILD, child_id))
    input = run_input(document, {**case.data, "url": peer.base_url}, tenant=TENANT)
    input.trigger["entity"] = case.entity
    if case.born_patched:
        input.patches = list(PATCHES)
    # The id the replay test replays under: a child's id derives from its parent's.
    handle = await start_run(client, worker_queue, input, run_id=f"replay-{name}")  # type: ignore[arg-type]
    for node_id, action in case.script_events:
        await _until_waiting(engine, handle, node_id)
        if isinstance(action, MigrateRequest):
            await handle.signal(MIGRATE_SIGNAL, action)
        elif isinstance(action, dict):
            await handle.signal("relay.event", action)
        elif action == "cancel":
            await handle.cancel()
        else:
            await env.sleep(timedelta(seconds=float(action)))
    try:
        await handle.result()
    except WorkflowFailureError:
        if "cancel" not in [action for _, action in case.script_events]:
            raise
    first = client.get_workflow_handle(handle.id, run_id=handle.first_execution_run_id)
    history = await first.fetch_history()
    for _ in range(case.execution):  # the execution it continued-as-new into
        continued = history.events[-1].workflow_execution_continued_as_new_event_attributes
        execution = client.get_workflow_handle(handle.id, run_id=continued.new_execution_run_id)
        history = await execution.fetch_history()
    (HERE / f"{name}.json").write_text(history.to_json())
    print(f"recorded {name}: {len(history.events)} events")


async def _until_waiting(engine: Engine, handle: WorkflowHandle, node_id: str) -> None:  # type: ignore[type-arg]
    for _ in range(200):
        step = steps_of(engine, handle.id).get(node_id)
        if step is not None and step.status == "waiting":
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{node_id} never started waiting")


async def main(names: list[str]) -> None:
    wanted = names or [n for n in CASES if not (HERE / f"{n}.json").exists()]
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(Path(sys.executable).parent / "temporal-test-server")
    )
    with tempfile.TemporaryDirectory() as directory, RecordingHttpServer() as peer:
        url = f"sqlite:///{directory}/histories.db"
        upgrade(url)
        engine = make_engine(url)
        with session_scope(engine) as session:
            child = load_definition(CHILD_DEFINITION).canonical()
            workflow = create_workflow(session, TENANT, child, CHILD_DEFINITION)
            set_status(session, workflow, "active")
        codec = EncryptionCodec(REPLAY_CODEC_KEY)
        sealed = Client(**{**env.client.config(), "data_converter": data_converter(codec)})  # type: ignore[arg-type]
        async with (
            env,
            relay_worker(env.client, engine) as plain,
            relay_worker(sealed, engine) as sealing,
        ):
            for name in wanted:
                case = CASES[name]
                client, worker = (sealed, sealing) if case.sealed else (env.client, plain)
                await record(env, client, worker, engine, peer, name, case, workflow.id)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
