"""Engine and session creation for the order database (SQLAlchemy 1.4, 2.0-style API)."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url
from sqlalchemy.orm import sessionmaker


def make_engine(url: str, timeout_s: float = 3.0) -> Engine:
    """Create an engine for ``url`` with connect and statement timeouts of ``timeout_s`` seconds.

    SQLite: the file's folder is created if missing; ``timeout`` bounds lock waits.
    PostgreSQL (psycopg2): ``connect_timeout`` and a ``statement_timeout`` per connection.
    ``pool_pre_ping`` makes the engine recover by itself when the database comes back.
    """
    parsed = make_url(url)
    connect_args: dict = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            from pathlib import Path

            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"timeout": timeout_s, "check_same_thread": False}
    elif parsed.get_backend_name() == "postgresql":
        connect_args = {
            "connect_timeout": max(1, int(timeout_s)),
            "options": f"-c statement_timeout={int(timeout_s * 1000)}",
        }
    engine = create_engine(url, future=True, pool_pre_ping=True, connect_args=connect_args)
    if parsed.get_backend_name() == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

    return engine


@lru_cache(maxsize=8)
def session_factory(url: str, timeout_s: float = 3.0) -> sessionmaker:
    """Return the (process-wide, cached per URL) session factory for ``url``."""
    return sessionmaker(bind=make_engine(url, timeout_s), future=True, expire_on_commit=False)

