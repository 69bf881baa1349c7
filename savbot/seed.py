"""Realistic, deterministic demo orders (French customers, ``example.com`` e-mails).

Faker builds pools of first names, last names and cities once; every order then draws from
them with one :class:`random.Random`, so a million orders take seconds instead of the minutes
one Faker call per field would take, and the same seed gives the same orders.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from faker import Faker

from actions.models import OrderStatus, ShippingMethod

#: First order number of the demo shop.
FIRST_ORDER_NUMBER = 104500

#: How many distinct first names and last names Faker draws for the pools.
POOL_SIZE = 400

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
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_HOUR, _DAY = timedelta(hours=1), timedelta(days=1)


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isalnum() and ord(c) < 128).lower()


def name_pools(seed: int, size: int = POOL_SIZE) -> tuple[list[tuple[str, str]],
                                                           list[tuple[str, str]]]:
    """French (first names, last names) drawn by Faker with ``seed``, each as
    ``(name, ascii_lower_name)`` for the e-mail; at most ``size`` of each, no duplicates."""
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    firsts = dict.fromkeys(fake.first_name() for _ in range(size))
    lasts = dict.fromkeys(fake.last_name() for _ in range(size))
    return ([(n, _ascii(n)) for n in firsts], [(n, _ascii(n)) for n in lasts])


def demo_orders(
    count: int, seed: int = 42, now: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """Yield ``count`` demo orders as :class:`~actions.models.Order` column values.

    Args:
        count: how many orders (numbers ``104500``, ``104501``, ...: unique).
        seed: random seed: the same ``seed`` and ``now`` give the same orders.
        now: the shop's "today" (naive UTC); default: the current time. Dates are
            placed before it so statuses are consistent (a shipped order shipped
            0-7 days ago, a delivered one 8-13 days after shipping).

    Every status appears: order ``i`` has status ``OrderStatus`` number ``i % 6``. E-mails
    (``first.last<i>@example.com``) are unique too. About 5-8 µs per order on one core.
    """
    firsts, lasts = name_pools(seed)
    rng = random.Random(seed)
    rand, choice = rng.random, rng.choice
    now = (now or datetime.utcnow()).replace(microsecond=0)
    n_statuses = len(_STATUSES)
    for i in range(count):
        first, first_ascii = choice(firsts)
        last, last_ascii = choice(lasts)
        status = _STATUSES[i % n_statuses]
        country, currency = choice(COUNTRIES)
        row: dict[str, Any] = {
            "order_number": str(FIRST_ORDER_NUMBER + i),
            "email": f"{first_ascii}.{last_ascii}{i}@example.com",
            "customer_name": f"{first} {last}",
            "status": status,
            "shipping_method": (ShippingMethod.EXPRESS if rand() < 0.2
                                else ShippingMethod.STANDARD),
            "country": country,
            "currency": currency,
            "total_cents": 1490 + int(rand() * 17501),
            "carrier": None,
            "tracking_number": None,
            "tracking_url": None,
            "shipped_at": None,
            "delivered_at": None,
        }
        if status in (OrderStatus.PENDING_PAYMENT, OrderStatus.PROCESSING):
            created = now - (1 + int(rand() * 36)) * _HOUR
        else:
            if status == OrderStatus.SHIPPED:
                shipped = now - int(rand() * 8) * _DAY - int(rand() * 13) * _HOUR
            else:
                shipped = now - (20 + int(rand() * 71)) * _DAY
            created = shipped - (1 + int(rand() * 2)) * _DAY
        if status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.REFUNDED):
            carrier, url = choice(CARRIERS)
            tracking = (f"{choice(_LETTERS)}{choice(_LETTERS)}"
                        f"{100_000_000 + int(rand() * 900_000_000)}FR")
            row.update(carrier=carrier, tracking_number=tracking,
                       tracking_url=url.format(tracking), shipped_at=shipped)
        if status == OrderStatus.DELIVERED:
            row["delivered_at"] = shipped + (8 + int(rand() * 6)) * _DAY
        row["created_at"] = created
        yield row


def demo_pairs_in_database(repository: Any, limit: int = 6, seed: int = 42,
                           scan: int = 200) -> list[tuple[str, str, str]]:
    """Demo orders actually stored, to try in the chat: ``(number, e-mail, status)``.

    Walks the first ``scan`` orders :func:`demo_orders` makes with ``seed`` and keeps those
    the database holds with that very e-mail (``repository.find_verified``), at most
    ``limit``: a number that belongs to a real (imported) order is never shown, and nothing
    is written. Raises ``sqlalchemy.exc.SQLAlchemyError`` when the database fails.
    """
    pairs: list[tuple[str, str, str]] = []
    for row in demo_orders(scan, seed=seed):
        order = repository.find_verified(row["order_number"], row["email"])
        if order is not None:
            pairs.append((order.order_number, order.email, order.status.value))
            if len(pairs) >= limit:
                break
    return pairs
