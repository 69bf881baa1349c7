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
    assert "12 created, 0 updated, 0 skipped" in first.output
    assert "0 created, 0 updated, 12 skipped" in second.output
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


def test_seeding_never_overwrites_an_existing_order_unless_asked(
        database_url, repository, make_order_row) -> None:
    """A real (imported) order 104500 keeps its customer: the seed skips its number."""
    repository.upsert([make_order_row("104500", email="vraie.cliente@example.org")])
    demo = list(demo_orders(3))
    runner = CliRunner()

    seeded = runner.invoke(main, ["orders", "seed", "--count", "3"],
                           env={"DATABASE_URL": database_url})

    assert seeded.exit_code == 0, seeded.output
    assert "2 created, 0 updated, 1 skipped" in seeded.output
    assert "--replace" in seeded.output
    assert repository.find_verified("104500", "vraie.cliente@example.org") is not None
    assert repository.find_verified("104500", demo[0]["email"]) is None
    # Only pairs that are really in the database are suggested.
    assert "vraie.cliente" not in seeded.output and demo[0]["email"] not in seeded.output
    assert demo[1]["email"] in seeded.output

    replaced = runner.invoke(main, ["orders", "seed", "--count", "3", "--replace"],
                             env={"DATABASE_URL": database_url})
    assert "0 created, 3 updated, 0 skipped" in replaced.output
    assert repository.find_verified("104500", demo[0]["email"]) is not None


def test_sample_prints_stored_demo_pairs_and_changes_nothing(
        database_url, repository, make_order_row) -> None:
    runner = CliRunner()
    env = {"DATABASE_URL": database_url}
    empty = runner.invoke(main, ["orders", "sample"], env=env)
    assert empty.exit_code == 0, empty.output
    assert "No demo order in the database" in empty.output

    repository.upsert([make_order_row("104501", email="vraie.cliente@example.org")])
    runner.invoke(main, ["orders", "seed", "--count", "10"], env=env)
    sample = runner.invoke(main, ["orders", "sample", "--count", "4"], env=env)

    assert sample.exit_code == 0, sample.output
    pairs = [line.split()[:2] for line in sample.output.splitlines()[1:]]
    assert len(pairs) == 4
    assert all(repository.find_verified(number, email) for number, email in pairs)
    assert "104501" not in sample.output
    assert repository.count() == 10
