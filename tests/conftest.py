"""Shared fixtures: a real SQLite order database per test, and order rows."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.db import session_factory
from actions.models import OrderStatus, ShippingMethod
from actions.order_repository import OrderRepository

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: The shop's "now" in the tests (naive UTC).
NOW = datetime(2026, 11, 30, 10, 0, 0)


def order_row(number: str = "104522", **overrides: Any) -> dict[str, Any]:
    """Column values of one order (a shipped order by default); ``overrides`` replace them."""
    row: dict[str, Any] = {
        "order_number": number,
        "email": "marie.dupont@example.com",
        "customer_name": "Marie Dupont",
        "created_at": NOW - timedelta(days=4),
        "status": OrderStatus.SHIPPED,
        "shipping_method": ShippingMethod.STANDARD,
        "country": "FR",
        "carrier": "La Poste - Colissimo",
        "tracking_number": "6A12345678901",
        "tracking_url": "https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901",
        "shipped_at": NOW - timedelta(days=3),
        "delivered_at": None,
        "total_cents": 4990,
        "currency": "EUR",
    }
    row.update(overrides)
    return row


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """URL of a fresh, empty SQLite order database file."""
    return f"sqlite:///{tmp_path / 'orders.db'}"


@pytest.fixture
def repository(database_url: str) -> OrderRepository:
    """Repository on a fresh database with the ``orders`` table created."""
    repo = OrderRepository(session_factory(database_url, 3.0))
    repo.create_schema()
    return repo


@pytest.fixture(scope="session")
def domain_responses() -> dict[str, list[dict[str, Any]]]:
    """The ``responses`` of domain.yml."""
    return yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]


@pytest.fixture
def make_order_row():
    """:func:`order_row` as a fixture, for test modules."""
    return order_row


@pytest.fixture
def now() -> datetime:
    """The tests' "now" (naive UTC)."""
    return NOW
