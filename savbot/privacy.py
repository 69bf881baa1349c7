"""RGPD: erasing a customer's conversations, and purging conversations past retention.

Works on the table ``events`` of Rasa's SQL tracker store (one row per event, with
``sender_id`` — the conversation —, ``timestamp`` in seconds since the epoch, and the
event as JSON in ``data``).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import MetaData, Table, delete, func, inspect, select
from sqlalchemy.engine import Engine

from actions.db import make_engine
from actions.order_numbers import EMAIL_PATTERN

EVENTS_TABLE = "events"
_DURATION = re.compile(r"^\s*(\d+)\s*([hdw])\s*$", re.IGNORECASE)
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


@dataclass
class Deletion:
    """What a privacy command deleted: the conversations and their number of events."""

    conversations: list[str] = field(default_factory=list)
    events: int = 0


def parse_duration(text: str) -> timedelta:
    """``"90d"`` -> 90 days; also hours (``"12h"``) and weeks (``"4w"``).

    Raises ``ValueError`` for anything else, or a zero duration.
    """
    match = _DURATION.match(text or "")
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"not a duration like 90d, 12h or 4w: {text!r}")
    return timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})


def _events(engine: Engine) -> Table | None:
    if not inspect(engine).has_table(EVENTS_TABLE):
        return None
    return Table(EVENTS_TABLE, MetaData(), autoload_with=engine)


def _delete_conversations(engine: Engine, events: Table, senders: list[str]) -> Deletion:
    deletion = Deletion(conversations=sorted(senders))
    with engine.begin() as connection:
        for start in range(0, len(senders), 500):
            chunk = senders[start:start + 500]
            result = connection.execute(delete(events).where(events.c.sender_id.in_(chunk)))
            deletion.events += result.rowcount or 0
    return deletion


def erase_email(tracker_store_url: str, email: str) -> Deletion:
    """Delete every conversation in which ``email`` appears (typed, or set as a slot).

    Whole addresses only: erasing ``marie@example.com`` leaves ``annemarie@example.com``.
    The address is matched case-insensitively anywhere in the stored events (LIKE wildcards
    in it are escaped). Raises ``ValueError`` for an empty or malformed address.
    """
    address = (email or "").strip().lower()
    if not EMAIL_PATTERN.fullmatch(address):
        raise ValueError(f"not an e-mail address: {email!r}")
    engine = make_engine(tracker_store_url)
    events = _events(engine)
    if events is None:
        return Deletion()
    escaped = address.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    # LIKE narrows the rows down; the regular expression keeps whole addresses only
    # (not "xmarie@example.com" nor "marie@example.community").
    whole = re.compile(r"(?<![A-Za-z0-9._%+-])" + re.escape(address)
                       + r"(?![A-Za-z0-9-]|\.[A-Za-z0-9])", re.IGNORECASE)
    with engine.connect() as connection:
        rows = connection.execute(
            select(events.c.sender_id, events.c.data)
            .where(func.lower(events.c.data).like(pattern, escape="\\"))
        )
        senders = {sender for sender, data in rows if whole.search(data or "")}
    return _delete_conversations(engine, events, list(senders))


def purge_older_than(tracker_store_url: str, age: timedelta, now: float | None = None) -> Deletion:
    """Delete the conversations whose last event is older than ``age``.

    ``now`` is in seconds since the epoch (default: the current time).
    """
    cutoff = (time.time() if now is None else now) - age.total_seconds()
    engine = make_engine(tracker_store_url)
    events = _events(engine)
    if events is None:
        return Deletion()
    with engine.connect() as connection:
        senders = connection.scalars(
            select(events.c.sender_id).group_by(events.c.sender_id)
            .having(func.max(events.c.timestamp) < cutoff)
        ).all()
    return _delete_conversations(engine, events, list(senders))
