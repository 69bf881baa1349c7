"""The per-order-number limit on failed verifications (``actions/lookup_limit.py``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from actions.lookup_limit import FAILURE_WINDOW, MAX_FAILURES_PER_ORDER, OrderLookupLimit
from actions.models import OrderLookupFailure

T0 = datetime(2026, 11, 30, 10, 0, 0)


def make_limit(repository) -> OrderLookupLimit:
    limit = OrderLookupLimit(repository.sessions)
    limit.create_schema()
    return limit


def rows(limit: OrderLookupLimit) -> int:
    with limit._sessions.begin() as session:
        return session.scalar(select(func.count()).select_from(OrderLookupFailure))


def test_a_number_is_blocked_after_the_maximum_failures_within_the_window(repository) -> None:
    limit = make_limit(repository)
    for i in range(MAX_FAILURES_PER_ORDER - 1):
        limit.record_failure("104522", T0 + timedelta(minutes=i))
    assert not limit.is_blocked("104522", T0 + timedelta(minutes=5))

    limit.record_failure("104522", T0 + timedelta(minutes=10))

    assert limit.is_blocked("104522", T0 + timedelta(minutes=11))
    assert not limit.is_blocked("104523", T0 + timedelta(minutes=11))  # per number


def test_the_block_ends_when_the_failures_leave_the_window(repository) -> None:
    limit = make_limit(repository)
    for _ in range(MAX_FAILURES_PER_ORDER):
        limit.record_failure("104522", T0)
    assert limit.is_blocked("104522", T0 + FAILURE_WINDOW - timedelta(seconds=1))
    assert not limit.is_blocked("104522", T0 + FAILURE_WINDOW)


def test_old_failures_are_pruned_when_a_new_one_is_recorded(repository) -> None:
    limit = make_limit(repository)
    for i in range(30):
        limit.record_failure(str(200000 + i), T0)
    assert rows(limit) == 30

    limit.record_failure("104522", T0 + FAILURE_WINDOW + timedelta(seconds=1))

    assert rows(limit) == 1
