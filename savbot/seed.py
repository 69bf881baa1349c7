"""Realistic, deterministic demo orders (French customers, ``example.com`` e-mails)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from faker import Faker

from actions.models import OrderStatus, ShippingMethod

#: First order number of the demo shop.
FIRST_ORDER_NUMBER = 104500

#: (carrier, tracking URL template) used by the demo shop.
CARRIERS = (
    ("La Poste - Colissimo", "https://www.laposte.fr/outils/suivre-vos-envois?code={}"),
    ("DHL Express", "https://www.dhl.com/fr-fr/home/suivi.html?tracking-id={}"),
    ("UPS", "https://www.ups.com/track?loc=fr_FR&tracknum={}"),
    ("Chronopost", "https://www.chronopost.fr/tracking-no-cms/suivi-page?listeNumerosLT={}"),
)
#: (country, currency) pairs of French-speaking customers worldwide.
COUNTRIES = (
    ("FR", "EUR"), ("FR", "EUR"), ("FR", "EUR"), ("BE", "EUR"), ("CH", "CHF"),
    ("CA", "CAD"), ("LU", "EUR"), ("MA", "EUR"), ("SN", "EUR"), ("MC", "EUR"),
)
_STATUSES = tuple(OrderStatus)


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isalnum() and ord(c) < 128).lower()


def demo_orders(
    count: int, seed: int = 42, now: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """Yield ``count`` demo orders as :class:`~actions.models.Order` column values.

    Args:
        count: how many orders (numbers ``104500``, ``104501``, ...).
        seed: random seed: the same ``seed`` and ``now`` give the same orders.
        now: the shop's "today" (naive UTC); default: the current time. Dates are
            placed before it so statuses are consistent (a shipped order shipped
            0-7 days ago, a delivered one 8-13 days after shipping).

    Every status appears: order ``i`` has status ``OrderStatus`` number ``i % 6``.
    """
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    now = (now or datetime.utcnow()).replace(microsecond=0)
    for i in range(count):
        first, last = fake.first_name(), fake.last_name()
        status = _STATUSES[i % len(_STATUSES)]
        country, currency = COUNTRIES[fake.random_int(0, len(COUNTRIES) - 1)]
        method = ShippingMethod.EXPRESS if fake.random_int(0, 4) == 0 else ShippingMethod.STANDARD
        row: dict[str, Any] = {
            "order_number": str(FIRST_ORDER_NUMBER + i),
            "email": f"{_ascii(first)}.{_ascii(last)}{i}@example.com",
            "customer_name": f"{first} {last}",
            "status": status,
            "shipping_method": method,
            "country": country,
            "currency": currency,
            "total_cents": fake.random_int(1490, 18990),
            "carrier": None,
            "tracking_number": None,
            "tracking_url": None,
            "shipped_at": None,
            "delivered_at": None,
        }
        if status in (OrderStatus.PENDING_PAYMENT, OrderStatus.PROCESSING):
            created = now - timedelta(hours=fake.random_int(1, 36))
        elif status == OrderStatus.SHIPPED:
            shipped = now - timedelta(days=fake.random_int(0, 7), hours=fake.random_int(0, 12))
            created = shipped - timedelta(days=fake.random_int(1, 2))
        else:
            shipped = now - timedelta(days=fake.random_int(20, 90))
            created = shipped - timedelta(days=fake.random_int(1, 2))
        if status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.REFUNDED):
            carrier, url = CARRIERS[fake.random_int(0, len(CARRIERS) - 1)]
            tracking = f"{fake.random_uppercase_letter()}{fake.random_uppercase_letter()}" \
                f"{fake.random_number(digits=9, fix_len=True)}FR"
            row.update(carrier=carrier, tracking_number=tracking,
                       tracking_url=url.format(tracking), shipped_at=shipped)
        if status == OrderStatus.DELIVERED:
            row["delivered_at"] = shipped + timedelta(days=fake.random_int(8, 13))
        row["created_at"] = created
        yield row
