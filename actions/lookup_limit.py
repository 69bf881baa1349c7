"""Limit on failed order verifications per order number, across conversations.

The per-conversation limits of :mod:`actions.orders` do not stop someone who opens a new
conversation for each try (any REST sender id, a fresh widget session): with sequential
order numbers, trying many e-mail addresses for one number would pay off. This module counts
failed verifications (unknown number or wrong e-mail) per order number in the project
database (``DATABASE_URL``), which every action-server process shares, and blocks the
lookups of a number that failed too often recently.

Numbers and their source:

- :data:`MAX_FAILURES_PER_ORDER` = 5 failures within :data:`FAILURE_WINDOW` = 1 hour block
  the number until the oldest of them is more than an hour old (a sliding window), so one
  number gets at most 5 guesses per hour, 120 per day. NIST SP 800-63B section 5.2.2 caps
  failed attempts on one account at 100 before a lock-out; an e-mail address is a far
  weaker secret than a password (often guessable from the customer's name), hence a much
  lower cap. 5 is above the per-conversation cap (3, :data:`actions.orders.MAX_FAILED_LOOKUPS`)
  so a customer who mistypes in one conversation can still retry in the next one.
- A blocked number gets the same reply whether it exists or not, and failures are counted
  for unknown numbers too, so the block reveals nothing about which numbers exist.
- A blocked customer is offered a person (``utter_order_lookup_blocked``).

The table holds one row per failure (``order_lookup_failures``, indexed by number and date);
rows older than the window are deleted whenever a failure is recorded, so it stays small.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, select
from sqlalchemy.orm import sessionmaker

from actions.config import Settings, load_settings
from actions.db import session_factory
from actions.models import OrderLookupFailure

#: Failed verifications of one order number, within :data:`FAILURE_WINDOW`, that block it.
MAX_FAILURES_PER_ORDER = 5
#: Sliding window over which failures of one order number are counted.
FAILURE_WINDOW = timedelta(hours=1)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class OrderLookupLimit:
    """Failed order verifications per order number, stored in the project database.

    Args:
        sessions: a SQLAlchemy ``sessionmaker`` bound to that database.
        max_failures: failures within ``window`` that block a number
            (default :data:`MAX_FAILURES_PER_ORDER`).
        window: the sliding window (default :data:`FAILURE_WINDOW`).

    ``now`` arguments are naive UTC datetimes (default: the current time). Every method
    raises ``sqlalchemy.exc.SQLAlchemyError`` when the database fails.
    """

    def __init__(self, sessions: sessionmaker, max_failures: int = MAX_FAILURES_PER_ORDER,
                 window: timedelta = FAILURE_WINDOW) -> None:
        self._sessions = sessions
        self.max_failures = max_failures
        self.window = window

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> OrderLookupLimit:
        """Limit on ``settings.database_url``, its table created if missing."""
        settings = settings or load_settings()
        limit = cls(session_factory(settings.database_url, settings.database_timeout_s))
        limit.create_schema()
        return limit

    def create_schema(self) -> None:
        """Create the ``order_lookup_failures`` table (and its indexes) if missing."""
        OrderLookupFailure.__table__.create(self._sessions.kw["bind"], checkfirst=True)

    def recent_failures(self, order_number: str, now: datetime | None = None) -> int:
        """Failed verifications of ``order_number`` (canonical) within the window."""
        since = (now or _utc_now()) - self.window
        with self._sessions.begin() as session:
            return session.scalar(
                select(func.count()).select_from(OrderLookupFailure).where(
                    OrderLookupFailure.order_number == order_number,
                    OrderLookupFailure.failed_at > since)) or 0

    def is_blocked(self, order_number: str, now: datetime | None = None) -> bool:
        """Whether lookups of ``order_number`` are blocked (too many recent failures)."""
        return self.recent_failures(order_number, now) >= self.max_failures

    def record_failure(self, order_number: str, now: datetime | None = None) -> None:
        """Record a failed verification of ``order_number`` and delete the failures (of
        every number) older than the window."""
        now = now or _utc_now()
        with self._sessions.begin() as session:
            session.add(OrderLookupFailure(order_number=order_number, failed_at=now))
            session.execute(delete(OrderLookupFailure).where(
                OrderLookupFailure.failed_at <= now - self.window))
