"""The PostgreSQL pool: a connection closed while idle is replaced before use, and the
connections a burst opened are kept for the next one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from storage import db
from storage.db import make_engine, session_scope


@pytest.fixture
def pool(database_url: str) -> Iterator[Engine]:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite opens no server connection to lose")
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _backend(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.connection().execute(text("SELECT pg_backend_pid()")).scalar_one())


def _close_on_the_server(engine: Engine, pid: int) -> None:
    """What a restarted server or a proxy's idle timeout does to a pooled connection."""
    other = create_engine(engine.url, poolclass=NullPool)
    with other.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    other.dispose()


def test_a_connection_closed_while_idle_is_replaced_before_use(
    pool: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _backend(pool)
    _close_on_the_server(pool, first)
    monkeypatch.setattr(db, "IDLE_BEFORE_PING", 0.0)  # as if it sat unused for a while

    assert _backend(pool) != first  # no error: checked, found closed, replaced


def test_a_connection_just_used_is_not_checked_and_the_pool_recovers_after_its_failure(
    pool: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "IDLE_BEFORE_PING", 3600.0)
    first = _backend(pool)
    _close_on_the_server(pool, first)

    with pytest.raises(OperationalError):  # no round trip spent checking a busy connection
        _backend(pool)
    assert _backend(pool) != first  # the failure discarded it


def test_the_connections_a_burst_opened_serve_the_next_bursts(pool: Engine) -> None:
    opened: list[object] = []
    event.listen(pool, "connect", lambda connection, _record: opened.append(connection))
    burst = 25  # more than the pool once kept (10), within what it opens (db.POOL_SIZE)
    all_in = threading.Barrier(burst)

    def transaction(_: int) -> int:
        with session_scope(pool) as session:
            pid = int(session.connection().execute(text("SELECT pg_backend_pid()")).scalar_one())
            all_in.wait(timeout=30)  # every session of the burst open at once
            return pid

    backends: set[int] = set()
    with ThreadPoolExecutor(burst) as threads:
        for _ in range(3):
            backends |= set(threads.map(transaction, range(burst)))

    assert len(opened) == burst  # the second and third bursts opened none
    assert len(backends) == burst
