"""Privacy records in PostgreSQL: the per-order-number lookup limit and the handoff
``order_verified`` column (added to a table created before it existed)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from live_services import services_or_skip
from sqlalchemy import text

from actions.db import session_factory
from actions.handoff_repository import HandoffRepository
from actions.lookup_limit import MAX_FAILURES_PER_ORDER, OrderLookupLimit

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 30, 10, 0, 0)


@pytest.fixture(scope="module")
def services():
    """PostgreSQL and Redis (see live_services.py)."""
    yield from services_or_skip()


@pytest.fixture
def database_url(services, request) -> str:
    """URL of a fresh, empty PostgreSQL database of this test."""
    return services.new_database(f"privacy_{abs(hash(request.node.name)) % 10**8}")


def test_the_lookup_limit_blocks_and_prunes_on_postgresql(database_url) -> None:
    limit = OrderLookupLimit(session_factory(database_url, 3.0))
    limit.create_schema()
    limit.create_schema()
    for i in range(MAX_FAILURES_PER_ORDER):
        limit.record_failure("104522", T0 + timedelta(seconds=i))
    assert limit.is_blocked("104522", T0 + timedelta(minutes=1))
    assert not limit.is_blocked("104530", T0 + timedelta(minutes=1))

    limit.record_failure("104530", T0 + timedelta(hours=2))

    assert limit.recent_failures("104522", T0 + timedelta(minutes=1)) == 0  # pruned


def test_an_old_handoffs_table_gets_the_verification_column(database_url) -> None:
    sessions = session_factory(database_url, 3.0)
    repository = HandoffRepository(sessions)
    repository.create_schema()
    with sessions.kw["bind"].begin() as connection:
        connection.execute(text("ALTER TABLE handoffs DROP COLUMN order_verified"))
    record = repository.__class__(sessions)
    record.create_schema()

    handoff = record.start("c-1", channel="rest", reason="customer_request",
                           customer_email="a@example.com", order_number="104522",
                           last_intent=None, summary="s", transcript=[], webhook=False)
    assert handoff.order_verified is False
