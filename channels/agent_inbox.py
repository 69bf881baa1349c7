"""The agent inbox: support agents see handed-over conversations, answer, and hand them back.

A custom input channel (registered in ``credentials.yml``) that only serves web pages, so
the Rasa server itself serves the inbox, next to the conversations it holds:

- ``GET  /webhooks/agent_inbox/?token=T`` — open and assigned handoffs, newest first, each
  with its summary and its transcript (refreshed from the tracker store, so customer
  messages written during the pause are shown); ``&status=all`` also shows closed ones;
- ``POST /webhooks/agent_inbox/handoffs/<id>/take`` (``agent``) — status ``assigned``;
- ``POST .../reply`` (``agent``, ``text``) — the reply is appended to the conversation as a
  ``BotUttered`` event (metadata ``handoff_agent``: the agent's name) under the
  conversation's lock, stored in the handoff's transcript, and pushed live to the customer
  on the Socket.IO widget (``channels.socketio.push_to_session``) or Messenger
  (``channels.facebook.push_to_messenger``); on the REST channel it cannot be pushed (the
  client only receives answers to its own requests): it stays in the conversation;
- ``POST .../close`` — appends ``ConversationResumed``, ``utter_handoff_resumed`` (pushed
  like a reply) and ``action_listen``: the bot answers again.

Every request needs the agent token (``AGENT_TOKEN``) as ``?token=``, a ``token`` form field
or ``Authorization: Bearer``: none gives HTTP 401, a wrong one 403; without ``AGENT_TOKEN``
the inbox is closed (403). Everything shown is HTML-escaped.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationResumed
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from actions.config import Settings, load_settings
from actions.handoff import REASONS
from actions.handoff_repository import (
    AGENT_METADATA_KEY,
    HandoffClosed,
    HandoffNotFound,
    HandoffRepository,
    transcript_from_events,
)
from actions.models import Handoff, HandoffStatus

logger = logging.getLogger(__name__)

MAX_REPLY_CHARS = 4000
MAX_AGENT_CHARS = 100
#: Said to the customer when an agent hands the conversation back (domain response).
RESUMED_RESPONSE = "utter_handoff_resumed"
RESUMED_FALLBACK = ("Le conseiller a terminé et vous redonne la parole avec l'assistant "
                    "virtuel. Puis-je vous aider pour autre chose ?")
#: Channels an agent's message can be pushed to while the customer is not writing.
LIVE_CHANNELS = {"socketio": "le widget du site", "facebook": "Messenger"}

STATUS_LABELS = {HandoffStatus.OPEN: "en attente", HandoffStatus.ASSIGNED: "pris en charge",
                 HandoffStatus.CLOSED: "clôturé"}
NOTICES = {
    "taken": "Conversation prise en charge.",
    "sent": "Réponse envoyée au client.",
    "stored": "Réponse enregistrée dans la conversation, mais elle n'a pas pu être envoyée en "
              "direct (canal REST, widget fermé, ou Messenger plus de 24 h après le dernier "
              "message du client) : le client risque de ne pas la voir. Répondez-lui aussi "
              "par e-mail si vous avez son adresse.",
    "closed": "Conversation rendue à l'assistant virtuel.",
}

PAGE_STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#222}
article{border:1px solid #ccc;border-radius:6px;padding:.8rem 1rem;margin:1rem 0}
.meta{color:#555;font-size:.9rem}.notice{background:#eef7ee;padding:.5rem 1rem}
ol.transcript{list-style:none;padding:0;max-height:24rem;overflow:auto}
ol.transcript li{margin:.3rem 0;padding:.3rem .5rem;border-radius:4px;white-space:pre-wrap}
li.customer{background:#f0f0f0}li.bot{background:#eef3fb}li.agent{background:#fdf3e1}
form{display:inline-block;margin:.3rem .5rem .3rem 0}textarea{width:30rem;height:4rem}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def token_status(settings: Settings, given: str | None) -> int | None:
    """``None`` when ``given`` is the agent token; else the HTTP status to answer:
    401 without a token, 403 for a wrong one or when ``AGENT_TOKEN`` is not set."""
    if not settings.agent_token:
        return 403
    if not given:
        return 401
    if not hmac.compare_digest(given.encode("utf-8"), settings.agent_token.encode("utf-8")):
        return 403
    return None


def request_token(request: Request) -> str | None:
    """The token of a request: ``?token=``, a ``token`` form field, or a Bearer header."""
    token = request.args.get("token")
    if not token and request.method == "POST" and request.form:
        token = request.form.get("token")
    if not token:
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            token = header[7:].strip()
    return token or None


def _page(title: str, body: str, status: int = 200) -> HTTPResponse:
    return response.html(
        f"<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">"
        f"<meta name=\"robots\" content=\"noindex\"><title>{_e(title)}</title>"
        f"<style>{PAGE_STYLE}</style></head><body>{body}</body></html>",
        status=status,
        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                 "Referrer-Policy": "no-referrer"})


def _error(status: int, message: str) -> HTTPResponse:
    return _page("Boîte des conseillers", f"<h1>Erreur {status}</h1><p>{_e(message)}</p>",
                 status=status)


def render_transcript(transcript: list[dict[str, Any]]) -> str:
    """The transcript as an HTML list (every text escaped)."""
    labels = {"customer": "Client", "bot": "Assistant", "agent": "Conseiller"}
    items = []
    for entry in transcript:
        who = str(entry.get("from") or "")
        label = labels.get(who, who)
        if who == "agent" and entry.get("agent"):
            label = f"Conseiller ({entry['agent']})"
        items.append(f"<li class=\"{_e(who)}\"><span class=\"meta\">{_e(entry.get('at'))} · "
                     f"{_e(label)}</span><br>{_e(entry.get('text'))}</li>")
    return "<ol class=\"transcript\">" + "".join(items) + "</ol>"


def verification_label(handoff: Handoff) -> str:
    """Whether the record's order number and e-mail were verified together by a successful
    order lookup (``Handoff.order_verified``), in words an agent cannot misread."""
    if not handoff.order_number or not handoff.customer_email:
        return "sans objet (numéro de commande ou e-mail manquant)"
    if handoff.order_verified:
        return "vérifiée : la commande correspond à cet e-mail"
    return ("NON vérifiée : rien ne prouve que cette commande appartient à cet e-mail, "
            "n'y envoyez aucun détail de la commande")


def render_handoff(handoff: Handoff, base: str, token: str, agent: str) -> str:
    """One handoff: summary, details, transcript and the agent's forms (escaped)."""
    action = f"{base}/handoffs/{handoff.id}"
    hidden = (f"<input type=\"hidden\" name=\"token\" value=\"{_e(token)}\">")
    agent_field = (f"<input name=\"agent\" required maxlength=\"{MAX_AGENT_CHARS}\" "
                   f"placeholder=\"Votre nom\" value=\"{_e(agent)}\">")
    forms = ""
    if handoff.status != HandoffStatus.CLOSED:
        if handoff.status == HandoffStatus.OPEN:
            forms += (f"<form method=\"post\" action=\"{_e(action)}/take\">{hidden}"
                      f"{agent_field}<button>Prendre en charge</button></form>")
        forms += (f"<form method=\"post\" action=\"{_e(action)}/reply\">{hidden}"
                  f"{agent_field}<br><textarea name=\"text\" required "
                  f"maxlength=\"{MAX_REPLY_CHARS}\" placeholder=\"Votre réponse au client\">"
                  f"</textarea><br><button>Envoyer</button></form>"
                  f"<form method=\"post\" action=\"{_e(action)}/close\">{hidden}"
                  f"<button>Clôturer et rendre la main à l'assistant</button></form>")
    details = [
        ("Statut", STATUS_LABELS.get(handoff.status, handoff.status)
         + (f" ({handoff.agent})" if handoff.agent else "")),
        ("Motif", REASONS.get(handoff.reason, handoff.reason)),
        ("Canal", handoff.channel or "?"),
        ("Conversation", handoff.conversation_id),
        ("E-mail", handoff.customer_email or "inconnu"),
        ("Commande", handoff.order_number or "inconnue"),
        ("Vérification", verification_label(handoff)),
        ("Dernière intention", handoff.last_intent or "?"),
        ("Créé le", f"{handoff.created_at:%Y-%m-%d %H:%M} UTC"),
    ]
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in details)
    return (f"<article id=\"handoff-{handoff.id}\"><h2>#{handoff.id} · {_e(handoff.summary)}</h2>"
            f"<dl class=\"meta\">{rows}</dl>{render_transcript(handoff.transcript or [])}"
            f"{forms}</article>")


async def push_to_customer(channel: str, conversation_id: str, text: str) -> bool:
    """Send ``text`` live to the customer of ``conversation_id`` on ``channel``.

    ``socketio``: ``channels.socketio.push_to_session``; ``facebook``:
    ``channels.facebook.push_to_messenger``; other channels (REST...) cannot be pushed to.
    A channel module that is missing or fails counts as not delivered (``False``).
    """
    try:
        if channel == "socketio":
            from channels.socketio import push_to_session

            return bool(await push_to_session(conversation_id, {"text": text}))
        if channel == "facebook":
            from channels.facebook import push_to_messenger

            return bool(await push_to_messenger(conversation_id, text))
    except ImportError:
        logger.warning("channel %s has no push function: reply not delivered live", channel)
    except Exception:  # noqa: BLE001 - a channel failure must not lose the stored reply
        logger.exception("pushing to conversation %s on %s failed", conversation_id, channel)
    return False


class AgentInboxInput(InputChannel):
    """The agent inbox channel (see the module docstring).

    Args:
        settings: the agent token; default: the environment (``AGENT_TOKEN``).
        handoffs: the handoff records; default: on ``DATABASE_URL``.
    """

    def __init__(self, settings: Settings | None = None,
                 handoffs: HandoffRepository | None = None) -> None:
        self._settings = settings
        self._handoffs = handoffs

    @classmethod
    def name(cls) -> str:
        return "agent_inbox"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> AgentInboxInput:
        return cls()

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    async def _repository(self) -> HandoffRepository:
        if self._handoffs is None:
            self._handoffs = await asyncio.to_thread(HandoffRepository.from_settings,
                                                     self.settings())
        return self._handoffs

    @staticmethod
    def _rasa_agent(request: Request) -> Any:
        return getattr(request.app.ctx, "agent", None)

    async def _events(self, request: Request, conversation_id: str) -> list[dict[str, Any]]:
        """The conversation's events (all sessions) as dicts, from Rasa's tracker store."""
        agent = self._rasa_agent(request)
        if agent is None or agent.tracker_store is None:
            return []
        store = agent.tracker_store
        tracker = await store.retrieve_full_tracker(conversation_id)
        return [event.as_dict() for event in tracker.events] if tracker else []

    async def _refreshed(self, request: Request, handoff: Handoff) -> Handoff:
        """``handoff`` with its transcript refreshed from the tracker store (and stored)."""
        if handoff.status == HandoffStatus.CLOSED:
            return handoff
        events = await self._events(request, handoff.conversation_id)
        transcript = transcript_from_events(events)
        repository = await self._repository()
        return await asyncio.to_thread(repository.refresh_transcript, handoff.id, transcript)

    async def _append(self, request: Request, conversation_id: str,
                      events: list[Any]) -> str | None:
        """Append ``events`` to the conversation under its lock; returns the conversation's
        latest input channel, or ``None`` when the conversation is not in the store."""
        agent = self._rasa_agent(request)
        if agent is None or agent.tracker_store is None:
            return None
        async with agent.lock_store.lock(conversation_id):
            tracker = await agent.tracker_store.retrieve(conversation_id)
            if tracker is None:
                return None
            for event in events:
                tracker.update(event)
            await agent.tracker_store.save(tracker)
            return tracker.get_latest_input_channel() or ""

    def _resumed_text(self, request: Request) -> str:
        agent = self._rasa_agent(request)
        domain = getattr(agent, "domain", None)
        for variant in (getattr(domain, "responses", None) or {}).get(RESUMED_RESPONSE, []):
            if variant.get("text"):
                return str(variant["text"])
        return RESUMED_FALLBACK

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        inbox = Blueprint("agent_inbox", __name__)
        channel = self

        def check(request: Request) -> HTTPResponse | None:
            status = token_status(channel.settings(), request_token(request))
            if status == 401:
                return _error(401, "Jeton de conseiller manquant : ajoutez ?token=… à l'adresse.")
            if status == 403:
                return _error(403, "Jeton de conseiller refusé.")
            return None

        def back(request: Request, handoff_id: int, notice: str) -> HTTPResponse:
            query = {"token": request_token(request) or "", "notice": notice}
            agent = (request.form.get("agent") or "").strip() if request.form else ""
            if agent:
                query["agent"] = agent
            url = f"{request.app.url_for('agent_inbox.index')}?{urlencode(query)}"
            return response.redirect(f"{url}#handoff-{handoff_id}", status=303)

        def agent_name(request: Request) -> str | None:
            name = " ".join((request.form.get("agent") or "").split()) if request.form else ""
            return name[:MAX_AGENT_CHARS] or None

        async def guarded(work: Callable[[], Awaitable[HTTPResponse]]) -> HTTPResponse:
            try:
                return await work()
            except HandoffNotFound:
                return _error(404, "Cette demande de prise en charge n'existe pas.")
            except HandoffClosed:
                return _error(409, "Cette conversation est déjà clôturée.")
            except SQLAlchemyError:
                logger.exception("agent inbox: database error")
                return _error(503, "La base de données ne répond pas : réessayez dans un instant.")

        @inbox.route("/", methods=["GET"], name="index")
        async def index(request: Request) -> HTTPResponse:
            if (denied := check(request)) is not None:
                return denied

            async def work() -> HTTPResponse:
                repository = await channel._repository()
                statuses = None if request.args.get("status") == "all" else [
                    HandoffStatus.OPEN, HandoffStatus.ASSIGNED]
                handoffs = await asyncio.to_thread(repository.list, statuses)
                handoffs = [await channel._refreshed(request, h) for h in handoffs]
                token = request_token(request) or ""
                agent = request.args.get("agent") or ""
                base = request.app.url_for("agent_inbox.index").rstrip("/")
                notice = NOTICES.get(request.args.get("notice") or "")
                body = ["<h1>Boîte des conseillers</h1>"]
                if notice:
                    body.append(f"<p class=\"notice\">{_e(notice)}</p>")
                other = {"token": token, "agent": agent}
                if statuses is not None:
                    other["status"] = "all"
                link = f"{base}/?{urlencode(other)}"
                label = "voir aussi les clôturées" if statuses else "en cours seulement"
                body.append(f"<p class=\"meta\">{len(handoffs)} conversation(s) · "
                            f"<a href=\"{_e(link)}\">{label}</a></p>")
                if not handoffs:
                    body.append("<p>Aucune conversation en attente.</p>")
                body.extend(render_handoff(h, base, token, agent) for h in handoffs)
                return _page("Boîte des conseillers", "".join(body))

            return await guarded(work)

        @inbox.route("/handoffs/<handoff_id:int>/take", methods=["POST"])
        async def take(request: Request, handoff_id: int) -> HTTPResponse:
            if (denied := check(request)) is not None:
                return denied
            name = agent_name(request)
            if not name:
                return _error(400, "Indiquez votre nom pour prendre la conversation en charge.")

            async def work() -> HTTPResponse:
                repository = await channel._repository()
                await asyncio.to_thread(repository.assign, handoff_id, name)
                return back(request, handoff_id, "taken")

            return await guarded(work)

        @inbox.route("/handoffs/<handoff_id:int>/reply", methods=["POST"])
        async def reply(request: Request, handoff_id: int) -> HTTPResponse:
            if (denied := check(request)) is not None:
                return denied
            name = agent_name(request)
            text = (request.form.get("text") or "").strip() if request.form else ""
            if not name:
                return _error(400, "Indiquez votre nom avant de répondre.")
            if not text:
                return _error(400, "Le message est vide.")
            if len(text) > MAX_REPLY_CHARS:
                return _error(400, f"Le message dépasse {MAX_REPLY_CHARS} caractères.")

            async def work() -> HTTPResponse:
                repository = await channel._repository()
                handoff = await asyncio.to_thread(repository.get, handoff_id)
                if handoff.status == HandoffStatus.CLOSED:
                    raise HandoffClosed(str(handoff_id))
                event = BotUttered(text, metadata={AGENT_METADATA_KEY: name,
                                                   "handoff_id": handoff_id})
                input_channel = await channel._append(request, handoff.conversation_id, [event])
                if input_channel is None:
                    return _error(410, "La conversation n'existe plus (effacée ?) : "
                                       "répondez au client par e-mail.")
                await asyncio.to_thread(repository.add_agent_reply, handoff_id, name, text)
                live = await push_to_customer(input_channel, handoff.conversation_id, text)
                logger.info("handoff %s: reply by %s, %s", handoff_id, name,
                            "pushed live" if live else f"stored only ({input_channel})")
                return back(request, handoff_id, "sent" if live else "stored")

            return await guarded(work)

        @inbox.route("/handoffs/<handoff_id:int>/close", methods=["POST"])
        async def close(request: Request, handoff_id: int) -> HTTPResponse:
            if (denied := check(request)) is not None:
                return denied

            async def work() -> HTTPResponse:
                repository = await channel._repository()
                handoff = await asyncio.to_thread(repository.get, handoff_id)
                if handoff.status != HandoffStatus.CLOSED:
                    handoff = await channel._refreshed(request, handoff)
                    text = channel._resumed_text(request)
                    # action_listen closes the turns logged during the pause, so the next
                    # message is predicted from a clean state (as after any bot turn).
                    input_channel = await channel._append(request, handoff.conversation_id, [
                        ConversationResumed(),
                        BotUttered(text, metadata={"utter_action": RESUMED_RESPONSE}),
                        ActionExecuted(ACTION_LISTEN_NAME),
                    ])
                    await asyncio.to_thread(repository.close, handoff_id)
                    if input_channel:
                        await push_to_customer(input_channel, handoff.conversation_id, text)
                return back(request, handoff_id, "closed")

            return await guarded(work)

        return inbox
