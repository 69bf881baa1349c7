"""Handoff records: the only place that queries the ``handoffs`` table, and transcripts.

A transcript is a list of entries ``{"at": "2026-11-30T10:00:00Z", "from": "customer" |
"bot" | "agent", "text": "..."}`` (``"agent"`` entries also carry ``"agent"``: the agent's
name), built from Rasa tracker events (:func:`transcript_from_events`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import delete, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from actions.config import Settings, load_settings
from actions.db import session_factory
from actions.models import Handoff, HandoffStatus, WebhookState

#: Longest transcript kept in a record (the latest entries), and longest text per entry.
MAX_TRANSCRIPT_ENTRIES = 500
MAX_ENTRY_CHARS = 4000
#: Metadata key of a BotUttered event written by a support agent (value: the agent's name).
AGENT_METADATA_KEY = "handoff_agent"


class HandoffNotFound(LookupError):
    """No handoff with this id."""


class HandoffClosed(ValueError):
    """The handoff is closed: it can no longer be taken or answered."""


def utc_now() -> datetime:
    """Now, as a naive UTC datetime (the database convention)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def iso_utc(timestamp: float | None) -> str:
    """Seconds since the epoch -> ``"2026-11-30T10:00:00Z"`` (``""`` when unknown)."""
    if not timestamp:
        return ""
    moment = datetime.fromtimestamp(float(timestamp), tz=timezone.utc)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def transcript_from_events(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Customer, bot and agent messages of Rasa tracker events (dicts, as serialised by Rasa).

    User events become ``"customer"`` entries (button clicks show the button's payload),
    bot events ``"bot"`` entries, or ``"agent"`` ones when their metadata has
    :data:`AGENT_METADATA_KEY`. Other events are skipped; so are messages without text
    (bot messages made only of buttons show the buttons' titles). Keeps the last
    :data:`MAX_TRANSCRIPT_ENTRIES` entries, each text cut to :data:`MAX_ENTRY_CHARS`.
    """
    entries: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        if kind not in ("user", "bot"):
            continue
        text = str(event.get("text") or "")
        metadata = event.get("metadata") or {}
        if kind == "user" and isinstance(metadata, dict) and metadata.get("original_text"):
            text = str(metadata["original_text"])
        if kind == "bot":
            buttons = (event.get("data") or {}).get("buttons") or []
            titles = [str(b.get("title")) for b in buttons if isinstance(b, dict)]
            if titles:
                text = (text + "\n" if text else "") + " | ".join(f"[{t}]" for t in titles)
        if not text.strip():
            continue
        entry: dict[str, Any] = {"at": iso_utc(event.get("timestamp")), "from": "customer",
                                 "text": text[:MAX_ENTRY_CHARS]}
        if kind == "bot":
            agent = metadata.get(AGENT_METADATA_KEY) if isinstance(metadata, dict) else None
            entry["from"] = "agent" if agent else "bot"
            if agent:
                entry["agent"] = str(agent)
        entries.append(entry)
    return entries[-MAX_TRANSCRIPT_ENTRIES:]


class HandoffRepository:
    """Handoff records stored in the project's database (``DATABASE_URL``).

    Args:
        sessions: a SQLAlchemy ``sessionmaker`` bound to that database.

    Every method raises ``sqlalchemy.exc.SQLAlchemyError`` when the database fails; the
    ones taking an id raise :class:`HandoffNotFound` for an unknown one. Returned records
    are detached copies (reading them needs no session).
    """

    def __init__(self, sessions: sessionmaker) -> None:
        self._sessions = sessions

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> HandoffRepository:
        """Repository on ``settings.database_url``, its table created if missing."""
        settings = settings or load_settings()
        repository = cls(session_factory(settings.database_url, settings.database_timeout_s))
        repository.create_schema()
        return repository

    def create_schema(self) -> None:
        """Create the ``handoffs`` table if it does not exist; add the ``order_verified``
        column (False for the old rows) to a table created before it existed."""
        engine = self._sessions.kw["bind"]
        Handoff.__table__.create(engine, checkfirst=True)
        columns = {column["name"] for column in inspect(engine).get_columns("handoffs")}
        if "order_verified" in columns:
            return
        default = "false" if engine.dialect.name == "postgresql" else "0"
        try:
            with engine.begin() as connection:
                connection.execute(text("ALTER TABLE handoffs ADD COLUMN order_verified "
                                        f"BOOLEAN NOT NULL DEFAULT {default}"))
        except SQLAlchemyError:
            # Another process added it at the same moment: fine; anything else: raise.
            columns = {column["name"] for column in inspect(engine).get_columns("handoffs")}
            if "order_verified" not in columns:
                raise

    @staticmethod
    def _one(session: Any, handoff_id: int) -> Handoff:
        handoff = session.get(Handoff, handoff_id)
        if handoff is None:
            raise HandoffNotFound(f"no handoff {handoff_id}")
        return handoff

    def open_for(self, conversation_id: str) -> Handoff | None:
        """The conversation's handoff that is not closed yet (the latest), or ``None``."""
        with self._sessions.begin() as session:
            handoff = session.scalars(
                select(Handoff).where(Handoff.conversation_id == conversation_id,
                                      Handoff.status != HandoffStatus.CLOSED)
                .order_by(Handoff.id.desc()).limit(1)
            ).one_or_none()
            if handoff is not None:
                session.expunge(handoff)
            return handoff

    def start(self, conversation_id: str, *, channel: str, reason: str,
              customer_email: str | None, order_number: str | None, last_intent: str | None,
              summary: str, transcript: list[dict[str, Any]], webhook: bool,
              order_verified: bool = False) -> Handoff:
        """Record a handoff of ``conversation_id``; returns it.

        ``order_verified``: whether a successful order lookup in the conversation verified
        ``order_number`` together with ``customer_email`` (False: the pair may not match).

        A conversation has at most one handoff that is not closed: when it has one, that
        record is updated (fields known now replace the old ones) instead of a second
        created. ``webhook``: whether the helpdesk webhook must still receive it (state
        ``pending``), else ``not_configured``.
        """
        now = utc_now()
        with self._sessions.begin() as session:
            handoff = session.scalars(
                select(Handoff).where(Handoff.conversation_id == conversation_id,
                                      Handoff.status != HandoffStatus.CLOSED)
                .order_by(Handoff.id.desc()).limit(1)
            ).one_or_none()
            if handoff is None:
                handoff = Handoff(conversation_id=conversation_id, created_at=now,
                                  status=HandoffStatus.OPEN, webhook_attempts=0)
                session.add(handoff)
            handoff.channel = channel or ""
            handoff.reason = reason
            handoff.customer_email = customer_email or handoff.customer_email
            handoff.order_number = order_number or handoff.order_number
            handoff.order_verified = bool(order_verified and customer_email and order_number)
            handoff.last_intent = last_intent
            handoff.summary = summary[:500]
            handoff.transcript = transcript
            handoff.updated_at = now
            if webhook:
                handoff.webhook_state = WebhookState.PENDING
            elif handoff.webhook_state is None:
                handoff.webhook_state = WebhookState.NOT_CONFIGURED
            session.flush()
            session.expunge(handoff)
            return handoff

    def get(self, handoff_id: int) -> Handoff:
        """The handoff ``handoff_id``."""
        with self._sessions.begin() as session:
            handoff = self._one(session, handoff_id)
            session.expunge(handoff)
            return handoff

    def list(self, statuses: Iterable[HandoffStatus] | None = None,
             limit: int = 100) -> list[Handoff]:
        """Handoffs, newest first; only those in ``statuses`` when given."""
        query = select(Handoff).order_by(Handoff.created_at.desc(), Handoff.id.desc())
        if statuses is not None:
            query = query.where(Handoff.status.in_(list(statuses)))
        with self._sessions.begin() as session:
            handoffs = list(session.scalars(query.limit(limit)))
            session.expunge_all()
            return handoffs

    def assign(self, handoff_id: int, agent: str) -> Handoff:
        """An agent takes the handoff (status ``assigned``). Raises :class:`HandoffClosed`."""
        with self._sessions.begin() as session:
            handoff = self._one(session, handoff_id)
            if handoff.status == HandoffStatus.CLOSED:
                raise HandoffClosed(f"handoff {handoff_id} is closed")
            handoff.status = HandoffStatus.ASSIGNED
            handoff.agent = agent
            handoff.updated_at = utc_now()
            session.flush()
            session.expunge(handoff)
            return handoff

    def add_agent_reply(self, handoff_id: int, agent: str, text: str) -> Handoff:
        """Append an agent's reply to the transcript (and assign the handoff to the agent
        if nobody had taken it). Raises :class:`HandoffClosed`."""
        with self._sessions.begin() as session:
            handoff = self._one(session, handoff_id)
            if handoff.status == HandoffStatus.CLOSED:
                raise HandoffClosed(f"handoff {handoff_id} is closed")
            now = utc_now()
            entry = {"at": now.replace(microsecond=0).isoformat() + "Z", "from": "agent",
                     "agent": agent, "text": text[:MAX_ENTRY_CHARS]}
            handoff.transcript = [*(handoff.transcript or []), entry][-MAX_TRANSCRIPT_ENTRIES:]
            if handoff.status == HandoffStatus.OPEN:
                handoff.status = HandoffStatus.ASSIGNED
            handoff.agent = handoff.agent or agent
            handoff.updated_at = now
            session.flush()
            session.expunge(handoff)
            return handoff

    def refresh_transcript(self, handoff_id: int,
                           transcript: list[dict[str, Any]]) -> Handoff:
        """Replace the stored transcript with ``transcript`` (read from the tracker store),
        unless it is empty (a conversation erased or not found keeps the stored one)."""
        with self._sessions.begin() as session:
            handoff = self._one(session, handoff_id)
            if transcript and transcript != handoff.transcript:
                handoff.transcript = transcript
                handoff.updated_at = utc_now()
            session.flush()
            session.expunge(handoff)
            return handoff

    def close(self, handoff_id: int) -> Handoff:
        """Status ``closed`` (closing a closed handoff changes nothing)."""
        with self._sessions.begin() as session:
            handoff = self._one(session, handoff_id)
            if handoff.status != HandoffStatus.CLOSED:
                handoff.status = HandoffStatus.CLOSED
                handoff.updated_at = utc_now()
            session.flush()
            session.expunge(handoff)
            return handoff

    def delete(self, conversation_ids: Iterable[str] = (), email: str | None = None) -> int:
        """Delete the handoffs of ``conversation_ids`` and those whose customer e-mail is
        ``email`` (RGPD erasure, retention purge); returns how many were deleted."""
        ids = list(conversation_ids)
        deleted = 0
        with self._sessions.begin() as session:
            for start in range(0, len(ids), 500):
                result = session.execute(delete(Handoff).where(
                    Handoff.conversation_id.in_(ids[start:start + 500])))
                deleted += result.rowcount or 0
            if email:
                result = session.execute(delete(Handoff).where(
                    Handoff.customer_email == email.strip().lower()))
                deleted += result.rowcount or 0
        return deleted

    def pending_webhooks(self, limit: int = 50) -> list[Handoff]:
        """Handoffs the helpdesk webhook has not received yet, oldest first."""
        with self._sessions.begin() as session:
            handoffs = list(session.scalars(
                select(Handoff).where(Handoff.webhook_state == WebhookState.PENDING)
                .order_by(Handoff.id).limit(limit)))
            session.expunge_all()
            return handoffs

    def mark_webhook(self, handoff_id: int, delivered: bool, error: str | None = None) -> None:
        """Record a webhook attempt: ``delivered``, or still pending with ``error``."""
        with self._sessions.begin() as session:
            handoff = self._one(session, handoff_id)
            handoff.webhook_attempts = (handoff.webhook_attempts or 0) + 1
            handoff.webhook_state = WebhookState.DELIVERED if delivered else WebhookState.PENDING
            handoff.webhook_error = None if delivered else (error or "")[:1000]


def handoff_payload(handoff: Handoff) -> dict[str, Any]:
    """The JSON document of a handoff, as posted to the helpdesk webhook and shown by the
    CLI (dates ISO 8601 UTC)."""
    return {
        "id": handoff.id,
        "conversation_id": handoff.conversation_id,
        "channel": handoff.channel,
        "reason": handoff.reason,
        "status": handoff.status.value,
        "agent": handoff.agent,
        "customer_email": handoff.customer_email,
        "order_number": handoff.order_number,
        "order_verified": bool(handoff.order_verified),
        "last_intent": handoff.last_intent,
        "summary": handoff.summary,
        "created_at": handoff.created_at.isoformat() + "Z",
        "updated_at": handoff.updated_at.isoformat() + "Z",
        "transcript": list(handoff.transcript or []),
    }
