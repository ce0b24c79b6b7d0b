"""The PostgreSQL pool: a connection closed while idle is replaced before use."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
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
