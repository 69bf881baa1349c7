"""``savbot``: the project's command line.

    savbot orders import FILE.csv    import the shop's order export
    savbot orders seed --count N     fill the database with demo orders
    savbot orders count              how many orders the database holds
"""

from __future__ import annotations

import sys
from itertools import islice
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError
from tqdm import tqdm

from actions.config import load_settings
from actions.order_repository import OrderRepository
from savbot.importer import CsvFormatError, parse_csv
from savbot.seed import demo_orders


def _repository() -> OrderRepository:
    repository = OrderRepository.from_settings(load_settings())
    repository.create_schema()
    return repository


@click.group()
def main() -> None:
    """sav-bot command line (order database: DATABASE_URL, default var/orders.db)."""


@main.group()
def orders() -> None:
    """Manage the order database."""


@orders.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_orders(csv_file: Path) -> None:
    """Import (or update, by order number) the orders of the shop's CSV export."""
    try:
        parsed = parse_csv(csv_file)
        result = _repository().upsert(tqdm(parsed.rows, desc="import", unit="order",
                                           disable=None))
    except CsvFormatError as exc:
        raise click.ClickException(f"{csv_file}: {exc}") from exc
    except SQLAlchemyError as exc:
        raise click.ClickException(f"order database error: {exc}") from exc
    for error in parsed.errors:
        click.echo(f"{csv_file}:{error.line}: skipped: {error.reason}", err=True)
    click.echo(
        f"{result.created} created, {result.updated} updated, {len(parsed.errors)} rejected"
    )
    if parsed.errors:
        sys.exit(1)


@orders.command("seed")
@click.option("--count", default=200, show_default=True, type=click.IntRange(1, 10_000_000),
              help="How many demo orders.")
@click.option("--seed", "random_seed", default=42, show_default=True, help="Random seed.")
def seed_orders(count: int, random_seed: int) -> None:
    """Fill the database with realistic, deterministic demo orders."""
    repository = _repository()
    rows = tqdm(demo_orders(count, seed=random_seed), total=count, desc="seed", unit="order",
                disable=None)
    try:
        result = repository.upsert(rows, batch_size=5000)
    except SQLAlchemyError as exc:
        raise click.ClickException(f"order database error: {exc}") from exc
    click.echo(f"{result.created} created, {result.updated} updated")
    click.echo("Try these orders in the chat (order number + e-mail):")
    for row in islice(demo_orders(min(count, 6), seed=random_seed), 6):
        click.echo(f"  {row['order_number']}  {row['email']:<40} {row['status'].value}")


@orders.command("count")
def count_orders() -> None:
    """Print how many orders the database holds."""
    click.echo(_repository().count())


if __name__ == "__main__":  # pragma: no cover
    main()
