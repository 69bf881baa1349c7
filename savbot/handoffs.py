"""Human handoffs from a terminal (``savbot handoffs list|show|close|retry``).

- Transcripts are refreshed from Rasa's SQL tracker store (``TRACKER_STORE_URL``, table
  ``events``, read like :mod:`savbot.privacy`), so customer messages written while the
  conversation is paused are shown and stored in the record.
- Closing hands the conversation back to the bot through the running Rasa server's HTTP
  API (``POST /conversations/<id>/tracker/events`` with ``RASA_AUTH_TOKEN``): the server
  appends ``ConversationResumed`` under the conversation's lock, so a message arriving at
  the same moment cannot be lost or reordered (writing the tracker store from here would
  bypass that lock, and an in-memory lock store cannot be shared between processes).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
import yaml
from sqlalchemy import MetaData, Table, inspect, select

from actions.config import PROJECT_ROOT, Settings
from actions.db import make_engine
from actions.handoff_repository import HandoffRepository, transcript_from_events
from actions.models import Handoff, HandoffStatus

EVENTS_TABLE = "events"
RESUMED_RESPONSE = "utter_handoff_resumed"
#: Timeout of a call to the Rasa server, seconds.
RASA_TIMEOUT_S = 10


class RasaUnavailable(RuntimeError):
    """The Rasa server could not append the events (down, wrong token, error)."""


def conversation_events(tracker_store_url: str, conversation_id: str) -> list[dict[str, Any]]:
    """Every stored event of ``conversation_id`` (dicts as Rasa serialises them), oldest
    first; ``[]`` when the store has no such conversation (or no ``events`` table)."""
    engine = make_engine(tracker_store_url)
    try:
        if not inspect(engine).has_table(EVENTS_TABLE):
            return []
        events = Table(EVENTS_TABLE, MetaData(), autoload_with=engine)
        with engine.connect() as connection:
            rows = connection.execute(
                select(events.c.data).where(events.c.sender_id == conversation_id)
                .order_by(events.c.id))
            return [json.loads(data) for (data,) in rows if data]
    finally:
        engine.dispose()


def refreshed(repository: HandoffRepository, settings: Settings, handoff: Handoff) -> Handoff:
    """``handoff`` with its transcript refreshed from the tracker store (and stored);
    closed handoffs keep the transcript they were closed with."""
    if handoff.status == HandoffStatus.CLOSED:
        return handoff
    events = conversation_events(settings.tracker_store_url, handoff.conversation_id)
    return repository.refresh_transcript(handoff.id, transcript_from_events(events))


def resumed_text(domain_path: Path = PROJECT_ROOT / "domain.yml") -> str:
    """The first text of ``utter_handoff_resumed`` in the domain."""
    domain = yaml.safe_load(domain_path.read_text(encoding="utf-8"))
    return str(domain["responses"][RESUMED_RESPONSE][0]["text"])


def resume_conversation(settings: Settings, conversation_id: str) -> None:
    """Hand the conversation back to the bot on the running Rasa server: append
    ``ConversationResumed``, the ``utter_handoff_resumed`` message and ``action_listen``.

    Raises :class:`RasaUnavailable` when the server cannot be reached or refuses.
    """
    url = (f"{settings.rasa_url}/conversations/{quote(conversation_id, safe='')}"
           "/tracker/events")
    events = [{"event": "resume"},
              {"event": "bot", "text": resumed_text(),
               "metadata": {"utter_action": RESUMED_RESPONSE}},
              # Closes the turns logged during the pause: the next message is predicted
              # from a clean state, as after any bot turn.
              {"event": "action", "name": "action_listen"}]
    try:
        response = requests.post(url, params={"token": settings.rasa_auth_token},
                                 json=events, timeout=RASA_TIMEOUT_S)
    except requests.RequestException as exc:
        raise RasaUnavailable(f"Rasa server not reachable at {settings.rasa_url} ({exc}); "
                              "start it (make run) or set RASA_URL") from exc
    if response.status_code in (401, 403):
        raise RasaUnavailable("the Rasa server refused RASA_AUTH_TOKEN")
    if not response.ok:
        raise RasaUnavailable(f"the Rasa server answered HTTP {response.status_code}: "
                              f"{response.text[:200]}")


def format_handoff(handoff: Handoff) -> str:
    """A handoff as text for the terminal: details, then the transcript."""
    lines = [
        f"handoff {handoff.id}: {handoff.summary}",
        f"  status:        {handoff.status.value}" + (f" ({handoff.agent})"
                                                       if handoff.agent else ""),
        f"  conversation:  {handoff.conversation_id} ({handoff.channel or '?'})",
        f"  reason:        {handoff.reason}",
        f"  e-mail:        {handoff.customer_email or '-'}",
        f"  order:         {handoff.order_number or '-'}",
        f"  last intent:   {handoff.last_intent or '-'}",
        f"  created:       {handoff.created_at:%Y-%m-%d %H:%M:%S} UTC, updated "
        f"{handoff.updated_at:%Y-%m-%d %H:%M:%S} UTC",
        f"  helpdesk:      {handoff.webhook_state.value}"
        + (f" ({handoff.webhook_error})" if handoff.webhook_error else ""),
        "  transcript:",
    ]
    for entry in handoff.transcript or []:
        who = entry.get("from", "?") + (f" {entry['agent']}" if entry.get("agent") else "")
        text = str(entry.get("text", "")).replace("\n", "\n" + " " * 8)
        lines.append(f"    {entry.get('at', '')} {who}: {text}")
    return "\n".join(lines)
