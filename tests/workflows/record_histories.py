"""Regenerates the committed histories in ``histories/`` from ``history_cases.CASES``.

.venv/bin/python -m tests.workflows.record_histories
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from storage.db import make_engine, upgrade
from tests.helpers.peers import RecordingHttpServer
from tests.helpers.temporal import relay_worker, run_input, start_run
from tests.workflows.history_cases import CASES

HERE = Path(__file__).parent / "histories"


async def main() -> None:
    bin_dir = Path(sys.executable).parent
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(bin_dir / "temporal-test-server")
    )
    with tempfile.TemporaryDirectory() as directory, RecordingHttpServer() as peer:
        url = f"sqlite:///{directory}/histories.db"
        upgrade(url)
        async with env, relay_worker(env.client, make_engine(url)) as worker:
            for name, (document, data) in CASES.items():
                for _ in range(4):  # the 404s of the failure cases
                    peer.script(404)
                handle = await start_run(
                    env.client, worker, run_input(document, {**data, "url": peer.base_url})
                )
                await handle.result()
                history = await handle.fetch_history()
                (HERE / f"{name}.json").write_text(history.to_json())
                print(f"recorded {name}: {len(history.events)} events")


if __name__ == "__main__":
    asyncio.run(main())
