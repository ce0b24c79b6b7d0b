"""Relay's stack as child processes on loopback, for the benchmarks that measure it whole.

Temporal (the dev server on a file, as ``relay dev`` runs it), ``relay worker`` and ``relay api`` processes — several of
each when asked — each on free ports, with their logs in one directory; and the database they
share: an SQLite file beside Temporal's, or a new database on a PostgreSQL server (dropped after).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from activities.outbound import LOOPBACK_ALLOW
from benchmarks.analytics import scratch_database
from tests.helpers.serving import free_port, port_is_free
from worker.dev import (
    TEMPORAL_SERVER_FLAGS,
    listening,
    temporal_binary,
    temporal_environment,
)
from workflows.search_attributes import dev_server_flags

Process = subprocess.Popen[bytes]
STARTUP_WAIT = 180
"""Seconds a process may take to listen: an API's imports alone took ~55 s on a 2-core
machine at load 25-30, past the minute this used to allow."""


class Stack:
    """Temporal, workers and APIs as child processes of this one, on loopback."""

    def __init__(
        self,
        directory: Path,
        database_url: str,
        apis: int = 1,
        task_queue: str = "bench",
        codec_keys: str | None = None,
    ) -> None:
        self.directory = directory
        self.database_url = database_url
        self.codec_keys = codec_keys
        """``RELAY_CODEC_KEYS`` for the workers and APIs (payloads sealed, as ``relay dev``
        runs them; empty: in clear); None: whatever this process's environment says."""
        self.task_queue = task_queue
        self.temporal_port = free_port()
        self.api_ports = [free_port() for _ in range(apis)]
        self.temporal: Process | None = None
        self.apis: list[Process | None] = [None] * apis
        self.workers: list[Process] = []
        self._ports = [free_port(), free_port()]

    @property
    def api(self) -> Process | None:
        return self.apis[0]

    @property
    def api_url(self) -> str:
        return self.api_urls[0]

    @property
    def api_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.api_ports]

    def processes(self) -> dict[str, Process]:
        """Every live child by name (``temporal``, ``worker0``…, ``api0``…)."""
        named: dict[str, Process | None] = {"temporal": self.temporal}
        named.update({f"worker{i}": w for i, w in enumerate(self.workers)})
        named.update({f"api{i}": a for i, a in enumerate(self.apis)})
        return {name: p for name, p in named.items() if p is not None and p.poll() is None}

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "RELAY_DATABASE_URL": self.database_url,
            "RELAY_TEMPORAL_ADDRESS": f"127.0.0.1:{self.temporal_port}",
            "RELAY_TASK_QUEUE": self.task_queue,
            "RELAY_OUTBOUND_ALLOW": LOOPBACK_ALLOW,
            "RELAY_SYSTEM_SCHEDULES": "false",
            "RELAY_STATE_DIR": str(self.directory),
            "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
            **({"RELAY_CODEC_KEYS": self.codec_keys} if self.codec_keys is not None else {}),
            **extra,
        }

    def start_temporal(self) -> None:
        """Start (or restart, on the same ports) the dev server. It picks its internal
        services' ports at random and may take one of ours before it binds it ("bind: address
        already in use", and it exits): at the first start it then starts again on others."""
        log_path = self.directory / "temporal.log"
        for _ in range(3):
            logged = log_path.stat().st_size if log_path.exists() else 0
            with log_path.open("ab") as log:
                command = [
                    temporal_binary(), "server", "start-dev", "--headless",
                    "--db-filename", str(self.directory / "temporal.db"),
                    "--port", str(self.temporal_port),
                    "--http-port", str(self._ports[0]), "--metrics-port", str(self._ports[1]),
                    "--log-level", "error", *TEMPORAL_SERVER_FLAGS, *dev_server_flags(),
                ]  # fmt: skip
                self.temporal = subprocess.Popen(
                    command,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=temporal_environment(),
                    preexec_fn=_die_with_parent(),
                )
            try:
                wait_for_port(self.temporal_port, STARTUP_WAIT, self.temporal)
                return
            except ProcessExited:
                with log_path.open(errors="replace") as written:
                    written.seek(logged)
                    reason = written.read()
                first = not self.workers and not any(self.apis)
                if not first or "address already in use" not in reason:
                    raise RuntimeError(f"Temporal exited while starting:\n{reason}") from None
                self.temporal_port, self._ports = free_port(), [free_port(), free_port()]
        raise RuntimeError("Temporal found a port of its own taken three times")

    def start_worker(self, *arguments: str) -> Process:
        worker = self._relay(["worker", *arguments], f"worker{len(self.workers)}")
        self.workers.append(worker)
        return worker

    def start_api(self, index: int = 0) -> None:
        """Start (or restart) the ``index``-th API on its port. At its first start, a port
        taken since it was picked — the dev server binds its internal services to ports of its
        own choosing — is exchanged for a free one: whatever listened there would pass for the
        API (a test once posted its first request to one of Temporal's)."""
        if self.apis[index] is None and not port_is_free(self.api_ports[index]):
            self.api_ports[index] = free_port()
        port = self.api_ports[index]
        api = self.apis[index] = self._relay(["api"], f"api{index}", RELAY_API_PORT=str(port))
        wait_for_port(port, STARTUP_WAIT, api)

    def _relay(self, command: list[str], name: str, **env: str) -> Process:
        log = (self.directory / f"{name}.log").open("ab")
        return subprocess.Popen(
            [sys.executable, "-m", "worker.cli", *command],
            env=self.env(**env),
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent(),
        )

    def stop(self) -> None:
        everything = [*self.apis, *self.workers, self.temporal]
        for process in everything:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in everything:
            if process is not None:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _die_with_parent() -> Callable[[], None] | None:
    """A child that Linux kills when this process dies, however it dies: a benchmark stopped
    with SIGKILL (or by a time limit) left its worker and API polling a dead Temporal for an
    hour. Linux sends the signal when the *thread* that started the child ends, so only
    children started by the main thread get it (a fault injected from a worker thread
    restarts its process without)."""
    if sys.platform != "linux" or threading.current_thread() is not threading.main_thread():
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def set_death_signal() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)

    return set_death_signal


_PR_SET_PDEATHSIG = 1


def kill9(process: Process | None) -> None:
    assert process is not None
    process.kill()  # SIGKILL
    process.wait()


class ProcessExited(RuntimeError):
    """The process that was to listen on the port exited first."""


def wait_for_port(port: int, timeout: float, process: Process | None = None) -> None:
    """Until something listens on ``port``; raises ``ProcessExited`` as soon as ``process``
    (the one meant to listen) has exited, RuntimeError after ``timeout`` s."""
    if listening("127.0.0.1", port, process, timeout):
        return
    if process is not None and process.poll() is not None:
        raise ProcessExited(f"exited ({process.returncode}) before listening on {port}")
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


@contextmanager
def stack_database(url: str, directory: Path) -> Iterator[str]:
    """SQLite: a file in ``directory`` beside Temporal's; PostgreSQL: a new database on the
    server of ``url``, dropped after."""
    if url.startswith("sqlite"):
        yield f"sqlite:///{directory}/relay.db"
        return
    with scratch_database(url) as scratch:
        yield scratch
