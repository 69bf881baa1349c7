"""Bulk loading of orders into PostgreSQL (COPY) and the 1M-order seed's building blocks."""

from __future__ import annotations

import pytest
from conftest import order_row
from live_services import services_or_skip

from actions.db import session_factory
from actions.models import OrderStatus
from actions.order_repository import OrderRepository
from savbot.seed import demo_orders

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def services():
    """PostgreSQL and Redis (see live_services.py)."""
    yield from services_or_skip()


@pytest.fixture
def repository(services, request) -> OrderRepository:
    url = services.new_database(f"bulk_{abs(hash(request.node.name)) % 10**8}")
    repo = OrderRepository(session_factory(url, 3.0))
    repo.create_schema()
    return repo


def test_copy_keeps_every_value_exactly(repository, now) -> None:
    tricky = order_row("1", customer_name="Zoé\tD'Arc \\ \"la\"\nPucelle",
                       tracking_url=None, delivered_at=None, status=OrderStatus.REFUNDED)

    result = repository.upsert([tricky, order_row("2", customer_name="")])

    assert (result.created, result.updated) == (2, 0)
    order = repository.find_verified("1", tricky["email"])
    assert order.customer_name == tricky["customer_name"]
    assert order.status == OrderStatus.REFUNDED
    assert order.tracking_url is None and order.delivered_at is None
    assert order.created_at == tricky["created_at"]
    assert repository.find_verified("2", tricky["email"]).customer_name == ""


def test_seeded_orders_are_found_after_a_bulk_load_and_a_reload(repository, now) -> None:
    rows = list(demo_orders(3_000, seed=9, now=now))

    first = repository.upsert(rows, batch_size=1_000)
    again = repository.upsert(rows, batch_size=1_000)

    assert (first.created, first.updated) == (3_000, 0)
    assert (again.created, again.updated) == (0, 3_000)
    assert repository.count() == 3_000
    for row in rows[::499]:
        order = repository.find_verified(row["order_number"], row["email"])
        assert order is not None and order.customer_name == row["customer_name"]
        assert order.shipped_at == row["shipped_at"]
