"""Import of the shop's CSV order export (`savbot orders import`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from actions.models import OrderStatus
from savbot.cli import main
from savbot.importer import CSV_COLUMNS, CsvFormatError, parse_csv

HEADER = ",".join(CSV_COLUMNS)
GOOD_ROWS = [
    "104522,Marie.Dupont@example.com,Marie Dupont,2026-11-20T09:15:00+01:00,shipped,standard,FR,"
    "La Poste,6A12345678901,https://www.laposte.fr/suivi?code=6A12345678901,"
    "2026-11-21T10:00:00Z,,49.90,EUR",
    "#104523,luc.martin@example.com,Luc Martin,2026-11-28,processing,express,BE,,,,,,19.00,EUR",
    "FR20931,\"chloe@example.fr\",\"Chloé Bernard, Paris\",2026-10-01T08:00:00,delivered,standard,"
    "CH,DHL,JD0001,,2026-10-02T08:00:00,2026-10-10T12:00:00,120.50,CHF",
]


def write_csv(tmp_path: Path, rows: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def run_cli(database_url: str, *args: str):
    return CliRunner().invoke(main, list(args), env={"DATABASE_URL": database_url},
                              catch_exceptions=False)


def test_a_good_file_is_imported_with_typed_values(tmp_path, database_url, repository) -> None:
    result = run_cli(database_url, "orders", "import", str(write_csv(tmp_path, GOOD_ROWS)))

    assert result.exit_code == 0, result.output
    assert "3 created, 0 updated, 0 rejected" in result.output
    order = repository.find_verified("104522", "marie.dupont@example.com")
    assert order is not None
    assert order.status == OrderStatus.SHIPPED
    assert order.created_at == datetime(2026, 11, 20, 8, 15)  # +01:00 stored as UTC
    assert order.shipped_at == datetime(2026, 11, 21, 10, 0)
    assert str(order.total) == "49.9"
    assert repository.find_verified("104523", "luc.martin@example.com").tracking_number is None
    assert repository.find_verified("FR20931", "chloe@example.fr").customer_name == \
        "Chloé Bernard, Paris"


def test_reimporting_updates_orders_by_number(tmp_path, database_url, repository) -> None:
    run_cli(database_url, "orders", "import", str(write_csv(tmp_path, GOOD_ROWS)))
    changed = GOOD_ROWS[1].replace("processing,express,BE,,,", "shipped,express,BE,DHL,JD42,")
    result = run_cli(database_url, "orders", "import", str(write_csv(tmp_path, [changed])))

    assert "0 created, 1 updated, 0 rejected" in result.output
    assert repository.count() == 3
    order = repository.find_verified("104523", "luc.martin@example.com")
    assert (order.status, order.carrier, order.tracking_number) == (
        OrderStatus.SHIPPED, "DHL", "JD42")


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        ("104600,a@example.com,A B,2026-11-20,shipped,standard,FR,,,,,,10.00", "number of columns"),
        ("104601,a@example.com,A B,20/11/2026,shipped,standard,FR,,,,,,10.00,EUR", "created_at"),
        ("104602,a@example.com,A B,2026-11-20,lost,standard,FR,,,,,,10.00,EUR", "status"),
        ("104603,a@example.com,A B,2026-11-20,shipped,boat,FR,,,,,,10.00,EUR", "shipping_method"),
        ("104604,not-an-email,A B,2026-11-20,shipped,standard,FR,,,,,,10.00,EUR", "email"),
        ("abc,a@example.com,A B,2026-11-20,shipped,standard,FR,,,,,,10.00,EUR", "order_number"),
        ("104605,a@example.com,,2026-11-20,shipped,standard,FR,,,,,,10.00,EUR", "customer_name"),
        ("104606,a@example.com,A B,2026-11-20,shipped,standard,FR,,,,,,dix,EUR", "total"),
        ("104607,a@example.com,A B,2026-11-20,shipped,standard,FR,,,,x,,10.00,EUR", "shipped_at"),
    ],
)
def test_bad_rows_are_reported_with_line_and_reason_and_good_rows_kept(
    tmp_path, database_url, repository, bad_row, reason
) -> None:
    path = write_csv(tmp_path, [GOOD_ROWS[0], bad_row, GOOD_ROWS[1]])

    result = CliRunner().invoke(
        main, ["orders", "import", str(path)], env={"DATABASE_URL": database_url})

    assert result.exit_code == 1
    assert "orders.csv:3: skipped: " in result.stderr
    assert reason in result.stderr
    assert "2 created, 0 updated, 1 rejected" in result.stdout
    assert repository.count() == 2


def test_a_header_without_a_column_is_refused_whole(tmp_path) -> None:
    header = HEADER.replace(",currency", "")
    with pytest.raises(CsvFormatError, match="currency"):
        parse_csv(write_csv(tmp_path, [], header=header))


def test_a_file_that_is_not_utf8_is_refused(tmp_path) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes((HEADER + "\n" + GOOD_ROWS[2] + "\n").encode("latin-1"))
    result = CliRunner().invoke(main, ["orders", "import", str(path)],
                                env={"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert result.exit_code == 1
    assert "not UTF-8" in result.output
