"""Human handoffs from a terminal (``savbot handoffs list|show|close|retry``).

- Transcripts are refreshed from Rasa's SQL tracker store (``TRACKER_STORE_URL``, table
  ``events``, read like :mod:`savbot.privacy`), so customer messages written while the
  conversation is paused are shown and stored in the record.
- Replying and closing go through the running Rasa server's HTTP API
  (``POST /conversations/<id>/tracker/events`` with ``RASA_AUTH_TOKEN``): the server appends
  the events under the conversation's lock, so a message arriving at the same moment cannot
  be lost or reordered (writing the tracker store from here would bypass that lock, and an
  in-memory lock store cannot be shared between processes). With
  ``output_channel=latest&execute_side_effects=true`` the server also sends the bot messages
  among them to the customer's channel when it can send on its own (the widget's Socket.IO
  channel and Messenger can; REST cannot).
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
from actions.handoff_repository import (
    AGENT_METADATA_KEY,
    HandoffRepository,
    transcript_from_events,
)
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


def append_events(settings: Settings, conversation_id: str,
                  events: list[dict[str, Any]]) -> dict[str, Any]:
    """Append ``events`` to the conversation on the running Rasa server and send its bot
    messages to the customer's latest channel (see the module docstring); returns the
    tracker state the server answers.

    Raises :class:`RasaUnavailable` when the server cannot be reached or refuses.
    """
    url = (f"{settings.rasa_url}/conversations/{quote(conversation_id, safe='')}"
           "/tracker/events")
    params = {"token": settings.rasa_auth_token, "output_channel": "latest",
              "execute_side_effects": "true"}
    try:
        response = requests.post(url, params=params, json=events, timeout=RASA_TIMEOUT_S)
    except requests.RequestException as exc:
        # The exception's text holds the URL with the token: name its type only.
        raise RasaUnavailable(f"Rasa server not reachable at {settings.rasa_url} "
                              f"({type(exc).__name__}); start it (make run) or set RASA_URL"
                              ) from None
    if response.status_code in (401, 403):
        raise RasaUnavailable("the Rasa server refused RASA_AUTH_TOKEN")
    if not response.ok:
        raise RasaUnavailable(f"the Rasa server answered HTTP {response.status_code}: "
                              f"{response.text[:200]}")
    return response.json()


def resume_conversation(settings: Settings, conversation_id: str) -> None:
    """Hand the conversation back to the bot: append ``ConversationResumed``, the
    ``utter_handoff_resumed`` message (sent to the customer where possible) and
    ``action_listen``. Raises :class:`RasaUnavailable`."""
    append_events(settings, conversation_id, [
        {"event": "resume"},
        {"event": "bot", "text": resumed_text(), "metadata": {"utter_action": RESUMED_RESPONSE}},
        # Closes the turns logged during the pause: the next message is predicted from a
        # clean state, as after any bot turn.
        {"event": "action", "name": "action_listen"},
    ])


def send_reply(settings: Settings, handoff: Handoff, agent: str, text: str) -> str:
    """Append an agent's reply to the conversation (a bot message whose metadata names the
    agent), sent to the customer where possible; returns the conversation's latest input
    channel. Raises :class:`RasaUnavailable`."""
    state = append_events(settings, handoff.conversation_id, [
        {"event": "bot", "text": text,
         "metadata": {AGENT_METADATA_KEY: agent, "handoff_id": handoff.id}}])
    return str(state.get("latest_input_channel") or handoff.channel or "")


def format_handoff(handoff: Handoff) -> str:
    """A handoff as text for the terminal: details, then the transcript."""
    lines = [
        f"handoff {handoff.id}: {handoff.summary}",
        f"  status:        {handoff.status.value}" + (f" ({handoff.agent})"
                                                       if handoff.agent else ""),
        f"  conversation:  {handoff.conversation_id} ({handoff.channel or '?'})",
        f"  reason:        {handoff.reason}",
        f"  e-mail:        {handoff.customer_email or '-'}",
        f"  order:         {handoff.order_number or '-'}" + (
            "" if not (handoff.order_number and handoff.customer_email)
            else " (verified with this e-mail)" if handoff.order_verified
            else " (NOT verified with this e-mail: send no order details to it)"),
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
