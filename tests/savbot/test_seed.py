"""Demo orders (`savbot orders seed`)."""

from __future__ import annotations

from click.testing import CliRunner

from actions.models import OrderStatus
from savbot.cli import main
from savbot.seed import demo_orders


def test_demo_orders_are_deterministic_and_cover_every_status(now) -> None:
    first = list(demo_orders(30, seed=7, now=now))
    again = list(demo_orders(30, seed=7, now=now))
    other = list(demo_orders(30, seed=8, now=now))

    assert first == again
    assert first != other
    assert {row["status"] for row in first} == set(OrderStatus)
    assert all(row["email"].endswith("@example.com") for row in first)
    assert len({row["order_number"] for row in first}) == 30


def test_demo_orders_are_consistent_with_their_status(now) -> None:
    for row in demo_orders(60, seed=1, now=now):
        assert row["created_at"] <= now
        shipped = row["status"] in (OrderStatus.SHIPPED, OrderStatus.DELIVERED,
                                    OrderStatus.REFUNDED)
        assert (row["tracking_number"] is not None) == shipped
        if row["shipped_at"]:
            assert row["created_at"] < row["shipped_at"] <= now
        if row["status"] == OrderStatus.DELIVERED:
            assert row["delivered_at"] > row["shipped_at"]


def test_the_seed_command_fills_the_database_once(database_url, repository) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["orders", "seed", "--count", "12"],
                          env={"DATABASE_URL": database_url})
    second = runner.invoke(main, ["orders", "seed", "--count", "12"],
                           env={"DATABASE_URL": database_url})

    assert first.exit_code == 0, first.output
    assert "12 created, 0 updated" in first.output
    assert "0 created, 12 updated" in second.output
    assert repository.count() == 12
    number, email = first.output.splitlines()[2].split()[:2]
    assert repository.find_verified(number, email) is not None
