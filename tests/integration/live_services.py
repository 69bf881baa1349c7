"""The PostgreSQL and Redis servers of ``scripts/services.sh`` for the integration tests
(``make test`` starts them and exports their environment).

Not a ``conftest.py``: ``tests/conftest.py`` is imported as ``conftest`` by the other tests,
and a second one would shadow it. Each test module declares a ``services`` fixture with
:func:`services_or_skip`.

Every test run works in databases and a Redis key prefix of its own (random names), dropped
and deleted at the end, so runs sharing the servers (``make test`` and ``make bench`` at
once) never see each other's data.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import redis
import sqlalchemy as sa
from sqlalchemy.engine import make_url

NOT_CONFIGURED = (
    "PostgreSQL and Redis are not configured: run the tests through `make test`, or "
    "`scripts/services.sh run .venv/bin/pytest tests/integration` (needs DATABASE_URL and "
    "TRACKER_STORE_URL on postgresql:// and a Redis LOCK_STORE_TYPE)"
)

#: Lock store types on Redis: ours (components/lock_store.py), then Rasa's.
REDIS_LOCK_STORES = ("components.lock_store.AtomicRedisLockStore", "redis")


@dataclass
class Services:
    """The running PostgreSQL and Redis servers, and what this test run created on them.

    Attributes:
        server_url: SQLAlchemy URL of the PostgreSQL server (maintenance database
            ``postgres``), with a role allowed to create databases.
        redis_host, redis_port, redis_password: the Redis server (password may be empty).
        lock_store_type: ``LOCK_STORE_TYPE`` of the Rasa servers (a Redis lock store).
        run_id: random lowercase alphanumeric id of this run, in every name it creates.
    """

    server_url: sa.engine.URL
    redis_host: str
    redis_port: int
    redis_password: str
    lock_store_type: str = REDIS_LOCK_STORES[0]
    run_id: str = field(default_factory=lambda: secrets.token_hex(4))
    databases: list[str] = field(default_factory=list)

    def new_database(self, name: str) -> str:
        """Create the empty database ``savbot_it_<run_id>_<name>``; return its URL (str).

        It is dropped by :meth:`cleanup`. Raises ``sqlalchemy.exc.SQLAlchemyError``."""
        database = f"savbot_it_{self.run_id}_{name}"
        with self._admin() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{database}"'))
        self.databases.append(database)
        return self.server_url.set(database=database).render_as_string(hide_password=False)

    @property
    def key_prefix(self) -> str:
        """Redis key prefix of this run's lock store (alphanumeric, as Rasa requires)."""
        return f"savbotit{self.run_id}"

    def redis(self) -> redis.Redis:
        """A client of the Redis server (database 1, the one Rasa's lock store uses)."""
        return redis.Redis(host=self.redis_host, port=self.redis_port, db=1,
                           password=self.redis_password or None, socket_timeout=5)

    def lock_store_env(self) -> dict[str, str]:
        """Environment of a Rasa server using this Redis as lock store, with this run's prefix."""
        return {"LOCK_STORE_TYPE": self.lock_store_type, "REDIS_HOST": self.redis_host,
                "REDIS_PORT": str(self.redis_port), "REDIS_PASSWORD": self.redis_password,
                "REDIS_KEY_PREFIX": self.key_prefix}

    def cleanup(self) -> None:
        """Drop this run's databases (closing their connections) and delete its Redis keys."""
        with self._admin() as connection:
            for database in self.databases:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        self.databases.clear()
        client = self.redis()
        for key in client.scan_iter(f"{self.key_prefix}:*"):
            client.delete(key)

    def _admin(self):
        engine = sa.create_engine(self.server_url, isolation_level="AUTOCOMMIT", future=True)
        return _Disposing(engine)


class _Disposing:
    """``with`` a connection of ``engine``, disposing the engine afterwards."""

    def __init__(self, engine: sa.engine.Engine) -> None:
        self.engine = engine

    def __enter__(self) -> sa.engine.Connection:
        self.connection = self.engine.connect()
        return self.connection

    def __exit__(self, *exc) -> None:
        self.connection.close()
        self.engine.dispose()


def configured_services(environ: dict[str, str] | os._Environ) -> Services | None:
    """:class:`Services` from the environment ``scripts/services.sh env`` prints, or ``None``
    when it does not point to PostgreSQL and Redis."""
    database_url = environ.get("DATABASE_URL", "")
    if not (database_url.startswith("postgresql")
            and environ.get("TRACKER_STORE_URL", "").startswith("postgresql")
            and environ.get("LOCK_STORE_TYPE") in REDIS_LOCK_STORES):
        return None
    return Services(server_url=make_url(database_url).set(database="postgres"),
                    redis_host=environ.get("REDIS_HOST", "localhost"),
                    redis_port=int(environ.get("REDIS_PORT", "6379")),
                    redis_password=environ.get("REDIS_PASSWORD", ""),
                    lock_store_type=environ["LOCK_STORE_TYPE"])


def services_or_skip() -> Iterator[Services]:
    """Body of a ``services`` fixture: the configured servers, cleaned up afterwards; skips
    the tests with :data:`NOT_CONFIGURED` when the environment does not point to them."""
    found = configured_services(os.environ)
    if found is None:
        pytest.skip(NOT_CONFIGURED)
    try:
        yield found
    finally:
        found.cleanup()
