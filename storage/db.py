"""Engine and session creation, and schema migration through Alembic."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread
from alembic import command
from alembic.config import Config
from sqlalchemy import BindParameter, Executable, bindparam, event
from sqlalchemy.engine import CursorResult, Dialect, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, create_engine

_MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")

UNSYNCHRONIZED: dict[str, Any] = {"synchronize_session": False}
"""Execution options for an UPDATE through the ORM whose session holds none of the rows it
changes: by default (``"auto"``) the ORM evaluates the WHERE clause against every object in
the session, which costs more than the UPDATE itself on the path of every accepted event."""


def param(column: Any, name: str) -> BindParameter[Any]:
    """A value of a statement built once at import and run many times, given at execution
    (``write(session, STATEMENT, {name: value})`` for a write, ``session.exec(STATEMENT,
    params={name: value})`` for a read), typed as ``column`` is (its timestamps
    and JSON converted as the column's own values are). ``name`` must not be a column's
    name: SQLAlchemy keeps those for the values it binds itself.

    Building an UPDATE (``update(Model).where(...).values(...)``) and its cache key costs about
    0.3 ms of CPU, as much as sending and running it on PostgreSQL: the statements written on
    every run's path are built once."""
    return bindparam(name, type_=column.type)


def write(session: Session, statement: Executable, values: dict[str, Any]) -> CursorResult[Any]:
    """Run an INSERT, UPDATE or DELETE built once (``param``) with ``values``, in the
    session's transaction; its result (``rowcount``). The session's pending objects are
    flushed first, as ``session.execute`` would.

    On the session's connection rather than through ``session.execute``: the ORM copies an
    UPDATE of a mapped class with its own options on every call, so the statement's cache key
    is computed again each time (about 0.1 ms of CPU per call on the path of every run)."""
    session.flush()
    return session.connection().execute(statement, values)


POOL_SIZE = 30
"""PostgreSQL connections a process opens at most — and keeps, once opened.

Opening one costs the server a process and its catalog caches, and both sides an
authentication: several milliseconds of CPU. The pool used to keep 10 and close every one it
had opened beyond them (up to 20 more) as soon as it came back; under 50 concurrent senders the
API and the workers then opened about 13 connections a second, one per three runs. Keeping
them (the most recently used handed out first, so the others sit idle), alternated ``http``
c50 rounds on PostgreSQL (``benchmarks.end_to_end``) finished 34.0, 36.2, 38.4 runs/s against
25.7, 29.5, 30.5; at c10, which needs fewer than 10 at once, nothing changed. Under c50 the API
held 20 or more at once, a worker about 7. The ceiling per process is the one it was (30).

SQLite keeps SQLAlchemy's own pool: a file opens in microseconds, and more connections at once
only wait longer for its one write lock."""


def make_engine(url: str) -> Engine:
    """An engine tuned for the database at ``url``.

    SQLite is shared by the API and the worker processes: WAL lets readers proceed during a
    write, and the busy timeout makes a writer wait for the lock instead of failing.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_size=POOL_SIZE, max_overflow=0, pool_use_lifo=True)
    event.listen(engine, "checkin", _note_idle_since)
    event.listen(engine, "checkout", _pinging_if_idle(engine.dialect))
    return engine


IDLE_BEFORE_PING = 1.0
"""Seconds a pooled connection may sit unused before it is checked before use (a server
restarted or a proxy that dropped it meanwhile is found then, and the connection replaced).

Not on every checkout (SQLAlchemy's ``pool_pre_ping``): under load a connection is reused
within milliseconds, and a ping before each of a run's six transactions cost its own round
trip — about 0.1 ms of the client's CPU and 0.04 ms of the server's each. A connection in use when
the server goes away fails its statement, and the pool then replaces all it holds."""


def _note_idle_since(_dbapi_connection: Any, entry: ConnectionPoolEntry) -> None:
    entry.info["idle_since"] = time.monotonic()


def _pinging_if_idle(dialect: Dialect) -> Callable[[Any, ConnectionPoolEntry, Any], None]:
    """The pool's checkout hook: ``dialect``'s own ping (what ``pool_pre_ping`` sends, outside
    any transaction) for a connection idle ``IDLE_BEFORE_PING`` s or more."""

    def ping_if_idle(dbapi_connection: Any, entry: ConnectionPoolEntry, _proxy: Any) -> None:
        idle_since = entry.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_BEFORE_PING:
            return  # new, or just used
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool discards this connection and checks out another (a new one if need be).
            raise DisconnectionError("a pooled connection was closed while idle") from exc

    return ping_if_idle


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


async def in_thread(work: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``work(*args, **kwargs)`` in a worker thread: how async code (the API's routes, ``runs``,
    the recoverer) does blocking database work, so that the event loop it runs on keeps
    answering other requests and Temporal while the database is slow or locked.

    Runs in the same thread pool (and under the same limit) as FastAPI's synchronous routes.
    Not cancellable once started: a cancelled caller waits for the work, so a session is never
    used by two threads at once."""
    return await anyio.to_thread.run_sync(partial(work, *args, **kwargs))


@asynccontextmanager
async def session_in_thread(engine: Engine) -> AsyncIterator[Session]:
    """``session_scope`` for async code whose transaction spans an await (a workflow's schedule
    changed in Temporal before its new status commits): opening, committing and rolling back
    happen through ``in_thread``, and the caller hands the session to ``in_thread`` for its
    work. One thread at a time uses it."""
    scope = session_scope(engine)
    session = await in_thread(scope.__enter__)
    try:
        yield session
    except BaseException as exc:
        if not await in_thread(scope.__exit__, type(exc), exc, exc.__traceback__):
            raise
    else:
        await in_thread(scope.__exit__, None, None, None)


def upgrade(url: str) -> None:
    """Apply every migration up to the head."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")
