"""Orders in PostgreSQL: the repository and the `savbot orders` commands on a real server."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import order_row
from live_services import services_or_skip

from actions.db import session_factory
from actions.models import OrderStatus
from actions.order_repository import OrderRepository
from savbot.cli import main
from savbot.importer import CSV_COLUMNS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def services():
    """PostgreSQL and Redis (see live_services.py)."""
    yield from services_or_skip()


@pytest.fixture
def orders_url(services, request) -> str:
    """URL of a fresh, empty PostgreSQL database of this test."""
    return services.new_database(f"orders_{abs(hash(request.node.name)) % 10**8}")


def test_verified_lookup_and_upsert_on_postgresql(orders_url) -> None:
    repository = OrderRepository(session_factory(orders_url, 3.0))
    repository.create_schema()

    created = repository.upsert([order_row("104522"),
                                 order_row("104530", email="luc.martin@example.com",
                                           status=OrderStatus.PROCESSING)])
    updated = repository.upsert([order_row("104530", email="luc.martin@example.com",
                                           status=OrderStatus.DELIVERED)])

    assert (created.created, created.updated) == (2, 0)
    assert (updated.created, updated.updated) == (0, 1)
    assert repository.count() == 2
    order = repository.find_verified("104522", "  Marie.Dupont@Example.com ")
    assert order is not None and order.tracking_number == "6A12345678901"
    assert repository.find_verified("104530", "luc.martin@example.com").status == \
        OrderStatus.DELIVERED
    assert repository.find_verified("104522", "luc.martin@example.com") is None
    assert repository.find_verified("999999", "marie.dupont@example.com") is None


def test_cli_import_seed_and_count_on_postgresql(orders_url, tmp_path) -> None:
    csv = tmp_path / "orders.csv"
    csv.write_text(
        ",".join(CSV_COLUMNS) + "\n"
        "900001,Marie.Dupont@example.com,Marie Dupont,2026-11-20T09:15:00+01:00,shipped,"
        "standard,FR,La Poste,6A12345678901,,2026-11-21T10:00:00Z,,49.90,EUR\n"
        "900002,luc.martin@example.com,Luc Martin,2026-11-28,processing,express,BE,,,,,,"
        "19.00,EUR\n", encoding="utf-8")
    runner = CliRunner()
    env = {"DATABASE_URL": orders_url}

    imported = runner.invoke(main, ["orders", "import", str(csv)], env=env)
    seeded = runner.invoke(main, ["orders", "seed", "--count", "300"], env=env)
    counted = runner.invoke(main, ["orders", "count"], env=env)

    assert imported.exit_code == 0, imported.output
    assert "2 created, 0 updated, 0 rejected" in imported.output
    assert seeded.exit_code == 0, seeded.output
    assert "300 created, 0 updated" in seeded.output
    assert counted.exit_code == 0 and counted.output.strip() == "302"
    repository = OrderRepository(session_factory(orders_url, 3.0))
    assert repository.find_verified("900001", "marie.dupont@example.com").total_cents == 4990
    number, email = seeded.output.splitlines()[2].split()[:2]
    assert repository.find_verified(number, email) is not None
