"""Import of the shop's order export (CSV) into the order database."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from dateutil.parser import isoparse

from actions.models import OrderStatus, ShippingMethod
from actions.order_numbers import EMAIL_PATTERN, canonical_order_number

#: Header of the shop's order export, in this order.
CSV_COLUMNS = (
    "order_number", "email", "customer_name", "created_at", "status", "shipping_method",
    "country", "carrier", "tracking_number", "tracking_url", "shipped_at", "delivered_at",
    "total", "currency",
)
REQUIRED_COLUMNS = frozenset(CSV_COLUMNS) - {
    "carrier", "tracking_number", "tracking_url", "shipped_at", "delivered_at",
}


class CsvFormatError(ValueError):
    """The file cannot be imported at all (not UTF-8, wrong header)."""


@dataclass
class RowError:
    """A row that was not imported: its line number in the file (header = line 1)."""

    line: int
    reason: str


@dataclass
class ParseResult:
    """Rows ready for :meth:`actions.order_repository.OrderRepository.upsert`, and the rejects."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _parse_datetime(value: str, column: str) -> datetime:
    try:
        parsed = isoparse(value)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{column}: not an ISO 8601 date: {value!r}") from exc
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def parse_row(raw: dict[str, str]) -> dict[str, Any]:
    """Turn one CSV row (column -> text) into typed :class:`~actions.models.Order` values.

    Dates are ISO 8601 (offsets converted to naive UTC); ``status`` is one of
    :class:`~actions.models.OrderStatus`; ``shipping_method`` is ``standard`` or ``express``;
    the shipping columns may be empty. Raises ``ValueError`` naming the bad column.
    """
    value = {k: (raw.get(k) or "").strip() for k in CSV_COLUMNS}
    for column in sorted(REQUIRED_COLUMNS):
        if not value[column]:
            raise ValueError(f"{column}: missing value")
    number = canonical_order_number(value["order_number"])
    if number is None:
        raise ValueError(f"order_number: not an order number: {value['order_number']!r}")
    if not EMAIL_PATTERN.fullmatch(value["email"]):
        raise ValueError(f"email: not an e-mail address: {value['email']!r}")
    try:
        status = OrderStatus(value["status"].lower())
    except ValueError as exc:
        allowed = ", ".join(s.value for s in OrderStatus)
        raise ValueError(f"status: {value['status']!r} is not one of {allowed}") from exc
    try:
        method = ShippingMethod(value["shipping_method"].lower())
    except ValueError as exc:
        raise ValueError(
            f"shipping_method: {value['shipping_method']!r} is not standard or express"
        ) from exc
    try:
        total = Decimal(value["total"])
        valid_total = total.is_finite() and 0 <= total < 10**8 and total == round(total, 2)
    except InvalidOperation as exc:
        raise ValueError(f"total: not a number: {value['total']!r}") from exc
    if not valid_total:
        raise ValueError(f"total: not an amount with at most 2 decimals: {value['total']!r}")
    if len(value["country"]) != 2 or not value["country"].isalpha():
        raise ValueError(f"country: not a 2-letter country code: {value['country']!r}")
    if len(value["currency"]) != 3 or not value["currency"].isalpha():
        raise ValueError(f"currency: not a 3-letter currency code: {value['currency']!r}")
    return {
        "order_number": number,
        "email": value["email"].lower(),
        "customer_name": value["customer_name"],
        "created_at": _parse_datetime(value["created_at"], "created_at"),
        "status": status,
        "shipping_method": method,
        "country": value["country"].upper(),
        "carrier": value["carrier"] or None,
        "tracking_number": value["tracking_number"] or None,
        "tracking_url": value["tracking_url"] or None,
        "shipped_at": _parse_datetime(value["shipped_at"], "shipped_at")
        if value["shipped_at"] else None,
        "delivered_at": _parse_datetime(value["delivered_at"], "delivered_at")
        if value["delivered_at"] else None,
        "total_cents": int(total * 100),
        "currency": value["currency"].upper(),
    }


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str], bool]]:
    """Yield (line number, row, row has the header's cell count) from a UTF-8 CSV file."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle, restkey="__extra__")
        header = reader.fieldnames or []
        missing = [c for c in CSV_COLUMNS if c not in header]
        if missing:
            raise CsvFormatError(f"header is missing column(s): {', '.join(missing)}")
        for row in reader:
            complete = "__extra__" not in row and None not in row.values()
            yield reader.line_num, row, complete


def parse_csv(path: Path) -> ParseResult:
    """Read and check every row of the order export at ``path``.

    Raises :class:`CsvFormatError` if the file is not UTF-8 or its header lacks a column.
    A row with too few or too many cells, or a bad value, becomes a :class:`RowError`;
    the other rows are returned. A number seen twice keeps its last row.
    """
    result = ParseResult()
    by_number: dict[str, dict[str, Any]] = {}
    try:
        for line, raw, complete in _rows(path):
            if not complete:
                result.errors.append(RowError(line, "wrong number of columns"))
                continue
            try:
                parsed = parse_row(raw)
            except ValueError as exc:
                result.errors.append(RowError(line, str(exc)))
                continue
            by_number[parsed["order_number"]] = parsed
    except UnicodeDecodeError as exc:
        raise CsvFormatError(f"file is not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    except csv.Error as exc:
        raise CsvFormatError(f"unreadable CSV: {exc}") from exc
    result.rows = list(by_number.values())
    return result
