"""``relay worker --processes N``: N worker processes under one supervising process.

One Python process runs its workflow tasks and its activities' Python work on one core (the
GIL); Temporal hands a task queue's tasks to every process polling it, so more processes use
more cores with nothing else to share. The supervisor forwards SIGTERM and Ctrl-C to every
worker and stops them all when one exits, so the group is never half up; only the first creates
Relay's system schedules (the others would race it to create them).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time


def default_processes() -> int:
    """A worker process per core."""
    return os.cpu_count() or 1


def run_processes(count: int) -> int:
    """Run ``count`` ``relay worker`` processes until a signal or one of them exits."""
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    command = [sys.executable, "-m", "worker.cli", "worker", "--processes", "1"]
    workers: list[subprocess.Popen[bytes]] = []
    try:
        for index in range(count):
            env = dict(os.environ)
            if index > 0:
                env["RELAY_SYSTEM_SCHEDULES"] = "false"
            workers.append(subprocess.Popen(command, env=env))
        while not stopping:
            if any(worker.poll() is not None for worker in workers):
                print("relay worker: a worker process exited; stopping the others", file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
