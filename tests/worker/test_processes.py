"""``relay worker --processes N``: N worker processes poll the task queue, and SIGTERM stops
every one of them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.testing import WorkflowEnvironment

from tests.helpers.polling import eventually

ROOT = Path(__file__).resolve().parents[2]


async def _poller_pids(env: WorkflowEnvironment, queue: str) -> set[str]:
    described = await env.client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=env.client.namespace,
            task_queue=TaskQueue(name=queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return {poller.identity.split("@")[0] for poller in described.pollers}


def _children(pid: int) -> list[int]:
    found = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(line) for line in found.stdout.split()]


def _start(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "worker.cli", "worker", "--processes", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _terminate(group: subprocess.Popen[bytes]) -> int:
    group.send_signal(signal.SIGTERM)
    return group.wait(timeout=60)


def _alive(pids: list[int]) -> list[int]:
    return [pid for pid in pids if Path(f"/proc/{pid}").exists()]


async def test_two_processes_poll_the_queue_and_sigterm_stops_both(
    dev_env: WorkflowEnvironment, database_url: str
) -> None:
    queue = f"relay-processes-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RELAY_DATABASE_URL": database_url,
        "RELAY_TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "RELAY_TASK_QUEUE": queue,
        "RELAY_SYSTEM_SCHEDULES": "false",
    }
    group = _start(env)
    try:
        workers = await eventually(
            lambda: found if len(found := _children(group.pid)) == 2 else None,
            what="two worker processes",
        )

        async def both_polling() -> set[str] | None:
            pids = await _poller_pids(dev_env, queue)
            return pids if len(pids) == 2 else None

        pollers = await eventually(both_polling, timeout=60, what="two processes polling")
        assert pollers == {str(pid) for pid in workers}
    finally:
        returncode = _terminate(group)
    assert returncode == 0
    assert _children(group.pid) == []
    assert not _alive(workers)
