"""A Redis lock store whose ticket updates are atomic, for several Rasa processes.

Rasa 3.6's ``RedisLockStore`` updates a conversation's ticket lock with a plain GET then
SET. Two processes (two Sanic workers, or two servers behind a load balancer) receiving
messages of one conversation at the same moment can both read the same lock, both issue
the same ticket number, and overwrite each other: both messages are then processed at
once on the same tracker, and one of them is lost from the conversation (seen in
``tests/integration/test_rasa_postgres_redis.py`` with 10 concurrent messages on two
servers). This store does every read-modify-write of a lock in a Redis transaction
(WATCH / MULTI / EXEC, retried when another process changed the key in between), so each
message gets its own ticket and the messages of a conversation are handled one at a time.

Use it in ``endpoints.yml`` as ``lock_store: type: components.lock_store.AtomicRedisLockStore``
(``LOCK_STORE_TYPE``), with the same keys as Rasa's ``redis`` lock store (``url``, ``port``,
``password``, ``db``, ``key_prefix``, ...). Rasa then allows ``SANIC_WORKERS`` > 1 with it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

T = TypeVar("T")

#: Returned by a transaction's change function to leave the stored lock as it is.
UNCHANGED = object()


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's Redis lock store with atomic ticket issue, expiry and release.

    Args:
        endpoint_config: the ``lock_store`` section of ``endpoints.yml``: ``url`` is the
            Redis host, the other keys are :class:`rasa.core.lock_store.RedisLockStore`'s.
            Raises ``redis.RedisError`` on use when Redis cannot be reached.
    """

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url or "localhost", **endpoint_config.kwargs)

    def _transact(self, conversation_id: str,
                  change: Callable[[TicketLock | None], tuple[Any, T]]) -> T:
        """Apply ``change`` to the conversation's stored lock atomically.

        ``change`` gets the stored lock (``None`` if there is none) and returns the lock to
        store (``None``: delete it; :data:`UNCHANGED`: leave it) and a result, returned.
        It may run more than once (when another process wrote the lock meanwhile).
        """
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    serialised = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(serialised)) if serialised else None
                    new_lock, result = change(lock)
                    pipe.multi()
                    if new_lock is None:
                        pipe.delete(key)
                    elif new_lock is not UNCHANGED:
                        pipe.set(key, new_lock.dumps())
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Issue the next ticket of the conversation's lock (created if missing).

        Raises :class:`rasa.core.lock_store.LockError` when Redis fails."""

        def issue(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._transact(conversation_id, issue)
        except redis.RedisError as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        """Remove the expired tickets of the conversation's lock, if there is one."""

        def expire(lock: TicketLock | None) -> tuple[Any, None]:
            if lock is None:
                return UNCHANGED, None
            lock.remove_expired_tickets()
            return lock, None

        self._transact(conversation_id, expire)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Remove ticket ``ticket_number`` from the conversation's lock."""

        def finish(lock: TicketLock | None) -> tuple[Any, None]:
            if lock is None:
                return UNCHANGED, None
            lock.remove_ticket_for(ticket_number)
            return lock, None

        self._transact(conversation_id, finish)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove ticket ``ticket_number``; delete the lock when nobody else waits for it."""

        def release(lock: TicketLock | None) -> tuple[Any, None]:
            if lock is None:
                return UNCHANGED, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._transact(conversation_id, release)
