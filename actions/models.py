"""SQLAlchemy models of the shop's order database."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, DateTime, Enum, Index, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class OrderStatus(str, enum.Enum):
    """Life cycle of an order, as exported by the shop."""

    PENDING_PAYMENT = "pending_payment"
    PROCESSING = "processing"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class ShippingMethod(str, enum.Enum):
    """Shipping methods the shop offers (FAQ, Expédition 2: flat mail or express)."""

    STANDARD = "standard"
    EXPRESS = "express"


class Order(Base):
    """One customer order.

    ``order_number`` is the canonical number printed on the invoice (upper case, no
    spaces or ``#``; see :func:`actions.order_numbers.canonical_order_number`).
    ``email`` is stored lower-cased and trimmed. Dates are naive UTC datetimes.
    ``total_cents`` is the amount in hundredths of ``currency`` (ISO 4217 code), an integer
    so every database stores it exactly; :attr:`total` gives it as a ``Decimal``.
    """

    __tablename__ = "orders"

    id: int = Column(Integer, primary_key=True)
    order_number: str = Column(String(32), nullable=False, unique=True)
    email: str = Column(String(254), nullable=False)
    customer_name: str = Column(String(200), nullable=False)
    created_at: datetime = Column(DateTime, nullable=False)
    status: OrderStatus = Column(
        Enum(OrderStatus, values_callable=lambda e: [m.value for m in e],
             name="order_status", native_enum=False, validate_strings=True),
        nullable=False,
    )
    shipping_method: ShippingMethod = Column(
        Enum(ShippingMethod, values_callable=lambda e: [m.value for m in e],
             name="shipping_method", native_enum=False, validate_strings=True),
        nullable=False,
    )
    country: str = Column(String(2), nullable=False)
    carrier: str | None = Column(String(100))
    tracking_number: str | None = Column(String(100))
    tracking_url: str | None = Column(String(500))
    shipped_at: datetime | None = Column(DateTime)
    delivered_at: datetime | None = Column(DateTime)
    total_cents: int = Column(Integer, nullable=False)
    currency: str = Column(String(3), nullable=False)

    __table_args__ = (Index("ix_orders_order_number", "order_number", unique=True),)

    @property
    def total(self) -> Decimal:
        """Order total in ``currency`` units (``1999`` cents -> ``Decimal("19.99")``)."""
        return Decimal(self.total_cents) / 100

    def __repr__(self) -> str:
        return f"<Order {self.order_number} {self.status.value}>"
