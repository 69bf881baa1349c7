"""SQLAlchemy models of the shop's order database."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Column, DateTime, Enum, Index, Integer, String, Text
from sqlalchemy.orm import declarative_base
from sqlalchemy.sql.expression import false

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


class HandoffStatus(str, enum.Enum):
    """Life cycle of a human handoff: waiting for an agent, taken by one, handed back."""

    OPEN = "open"
    ASSIGNED = "assigned"
    CLOSED = "closed"


class WebhookState(str, enum.Enum):
    """Delivery of a handoff to the helpdesk webhook (``HELPDESK_WEBHOOK_URL``)."""

    NOT_CONFIGURED = "not_configured"
    PENDING = "pending"
    DELIVERED = "delivered"


class Handoff(Base):
    """A conversation handed to the human support team (see ``actions/handoff.py``).

    ``conversation_id`` is Rasa's sender id; ``channel`` the input channel the customer
    wrote on (``rest``, ``socketio``, ``facebook``...). ``reason`` is one of
    :data:`actions.handoff.REASONS`. ``transcript`` is a JSON list of
    ``{"at": ISO 8601 UTC, "from": "customer" | "bot" | "agent", "text": ..., "agent": ...}``,
    refreshed from Rasa's tracker store when the handoff is shown. Dates are naive UTC.
    """

    __tablename__ = "handoffs"

    id: int = Column(Integer, primary_key=True)
    conversation_id: str = Column(String(255), nullable=False, index=True)
    channel: str = Column(String(64), nullable=False, default="")
    reason: str = Column(String(64), nullable=False)
    customer_email: str | None = Column(String(254))
    order_number: str | None = Column(String(32))
    #: Whether ``order_number`` and ``customer_email`` were verified together by a
    #: successful order lookup in the conversation (False: the pair may not match; an
    #: agent must not send that order's details to that address).
    order_verified: bool = Column(Boolean, nullable=False, default=False,
                                  server_default=false())
    last_intent: str | None = Column(String(128))
    summary: str = Column(String(500), nullable=False, default="")
    transcript: list = Column(JSON, nullable=False, default=list)
    status: HandoffStatus = Column(
        Enum(HandoffStatus, values_callable=lambda e: [m.value for m in e],
             name="handoff_status", native_enum=False, validate_strings=True),
        nullable=False, default=HandoffStatus.OPEN, index=True,
    )
    agent: str | None = Column(String(100))
    created_at: datetime = Column(DateTime, nullable=False)
    updated_at: datetime = Column(DateTime, nullable=False)
    webhook_state: WebhookState = Column(
        Enum(WebhookState, values_callable=lambda e: [m.value for m in e],
             name="webhook_state", native_enum=False, validate_strings=True),
        nullable=False, default=WebhookState.NOT_CONFIGURED,
    )
    webhook_attempts: int = Column(Integer, nullable=False, default=0)
    webhook_error: str | None = Column(Text)

    def __repr__(self) -> str:
        return f"<Handoff {self.id} {self.conversation_id} {self.status.value}>"


class OrderLookupFailure(Base):
    """One failed order verification (unknown number or wrong e-mail), whatever the
    conversation: the per-order-number limit of :mod:`actions.lookup_limit` counts them.

    ``order_number`` is canonical (as asked, even when no such order exists);
    ``failed_at`` is a naive UTC datetime. Rows older than the limit's window are pruned.
    """

    __tablename__ = "order_lookup_failures"

    id: int = Column(Integer, primary_key=True)
    order_number: str = Column(String(32), nullable=False)
    failed_at: datetime = Column(DateTime, nullable=False, index=True)

    __table_args__ = (Index("ix_order_lookup_failures_number_at", "order_number", "failed_at"),)
