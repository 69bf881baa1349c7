"""Demo orders (`savbot orders seed`)."""

from __future__ import annotations

from click.testing import CliRunner

from actions.models import OrderStatus
from savbot.cli import main
from savbot.seed import COUNTRIES, demo_orders


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


def test_many_demo_orders_have_unique_numbers_and_emails_and_are_deterministic(now) -> None:
    rows = list(demo_orders(20_000, seed=3, now=now))

    assert len(rows) == 20_000
    assert len({row["order_number"] for row in rows}) == 20_000
    assert len({row["email"] for row in rows}) == 20_000
    assert rows[-1] == list(demo_orders(20_000, seed=3, now=now))[-1]
    # Pooled names, but not one name for everybody: realistic variety.
    assert len({row["customer_name"] for row in rows}) > 5_000
    assert {row["country"] for row in rows} == {country for country, _ in COUNTRIES}


def test_a_smaller_seed_is_a_prefix_of_a_larger_one(now) -> None:
    assert list(demo_orders(50, seed=5, now=now)) == list(demo_orders(80, seed=5, now=now))[:50]


def test_the_seed_command_stores_every_order_across_batches(database_url, repository) -> None:
    result = CliRunner().invoke(main, ["orders", "seed", "--count", "45000"],
                                env={"DATABASE_URL": database_url})

    assert result.exit_code == 0, result.output
    assert "45000 created, 0 updated" in result.output
    assert repository.count() == 45_000
    last = list(demo_orders(45_000))[-1]
    assert repository.find_verified(last["order_number"], last["email"]) is not None


def test_upsert_counts_a_number_repeated_in_one_batch_once_created(repository,
                                                                    make_order_row) -> None:
    result = repository.upsert([make_order_row("1"), make_order_row("2"),
                                make_order_row("1", email="autre@example.com")])

    assert (result.created, result.updated) == (2, 1)
    assert repository.count() == 2
    assert repository.find_verified("1", "autre@example.com") is not None
