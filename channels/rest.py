"""The REST channel, hardened for customers' input.

Same URL and protocol as Rasa's ``rest`` channel (``POST /webhooks/rest/webhook`` with
``{"sender": "...", "message": "..."}``, replies as a JSON list), plus:

- a body that is not UTF-8 JSON, or has no ``sender``, gets HTTP 400 with a clear error
  instead of a 500 or a message in a shared "default" conversation;
- control characters (NUL included) are removed, and a text longer than
  :data:`MAX_MESSAGE_CHARS` is cut in its middle before the NLU sees it: its beginning and its
  end are kept, where customers who paste a long story put their question (the full text
  stays in the message metadata, so nothing is lost);
- a typed ``/intent{...}`` command is only obeyed when it is the payload of a button the
  bot offered in its last turn; otherwise it is read as ordinary text, so nobody can skip
  the order verification by typing ``/check_order_status{"order_number": "104522"}``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

#: Longest text handed to the NLU, in characters.
MAX_MESSAGE_CHARS = 2000
#: Longest sender id accepted, in characters.
MAX_SENDER_CHARS = 128

#: What an empty or blank message becomes: Rasa's fallback intent, so the customer is asked
#: to rephrase (Rasa 3.6's LogisticRegressionClassifier raises on an empty text).
EMPTY_MESSAGE = "/nlu_fallback"

#: Sent when handling a message failed, or produced no reply, before the bot said anything.
APOLOGY = ("Désolé, un problème technique m'empêche de vous répondre pour le moment. "
           "Réessayez dans quelques minutes, ou écrivez à notre service client.")

#: Put where the middle of a too long message was cut out.
CUT_MARK = " […] "

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Remove control characters (keeps tabs and newlines); a longer text than
    :data:`MAX_MESSAGE_CHARS` keeps its beginning and its end, joined by :data:`CUT_MARK`, at
    exactly that length (a question after a pasted story stays readable: QA pass 4)."""
    text = _CONTROL_CHARACTERS.sub("", text)
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    head = (MAX_MESSAGE_CHARS - len(CUT_MARK)) // 2
    tail = MAX_MESSAGE_CHARS - len(CUT_MARK) - head
    return text[:head] + CUT_MARK + text[-tail:]


def offered_payloads(events: list[Any]) -> set[str]:
    """Payloads of the buttons the bot sent since the customer's last message."""
    payloads: set[str] = set()
    for event in reversed(events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            for button in (event.data or {}).get("buttons") or []:
                if isinstance(button, dict) and button.get("payload"):
                    payloads.add(str(button["payload"]))
    return payloads


#: Commands a customer may always send, offered or not: ``/restart`` starts the conversation
#: over (Rasa's default intent; it also works while a person has the conversation, see README
#: "Human handoff"); the payloads of the bot's own buttons that carry no data the customer
#: could forge: "Parler à un conseiller" and "Réessayer" (the widget keeps old buttons
#: clickable, and a click on one must do what its title says, not read "request_human" as
#: text). Each only affects the sender's own conversation.
ALWAYS_ALLOWED_COMMANDS = frozenset({"/restart", "/request_human", "/check_order_status"})
#: An FAQ topic button (``actions.faq.choice_button``): harmless whatever the key, since
#: ``action_answer_faq_choice`` answers only known keys.
FAQ_CHOICE_COMMAND = re.compile(r'/choose_faq\{"faq_key":\s?"[a-z_]{1,40}"\}')


def neutralize_command(text: str, allowed: set[str]) -> str:
    """``text`` unchanged if it is no command, an offered payload, one of
    :data:`ALWAYS_ALLOWED_COMMANDS` or an FAQ topic button; else without its ``/``.

    ``"/affirm"`` -> ``"affirm"`` (read as a word by the NLU) unless ``"/affirm"`` is in
    ``allowed``.
    """
    stripped = text.strip()
    if (not stripped.startswith("/") or stripped in allowed
            or stripped in ALWAYS_ALLOWED_COMMANDS or FAQ_CHOICE_COMMAND.fullmatch(stripped)):
        return text
    return stripped.lstrip("/ ")


def bad_request(error: str) -> HTTPResponse:
    return response.json({"error": error}, status=400)


class CustomerRestInput(InputChannel):
    """REST channel for the website and API clients (see the module docstring)."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    @staticmethod
    async def _tracker(request: Request, sender_id: str) -> Any:
        agent = getattr(request.app.ctx, "agent", None)
        if agent is None or agent.tracker_store is None:
            return None
        return await agent.tracker_store.retrieve(sender_id)

    async def _allowed_payloads(self, request: Request, sender_id: str) -> set[str]:
        tracker = await self._tracker(request, sender_id)
        return offered_payloads(list(tracker.events)) if tracker else set()

    async def _is_paused(self, request: Request, sender_id: str) -> bool:
        tracker = await self._tracker(request, sender_id)
        return bool(tracker and tracker.is_paused())

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        webhook = Blueprint("customer_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = json.loads(request.body.decode("utf-8"))
            except UnicodeDecodeError:
                return bad_request("the request body is not valid UTF-8")
            except json.JSONDecodeError:
                return bad_request("the request body is not valid JSON")
            if not isinstance(body, dict):
                return bad_request('expected a JSON object {"sender": ..., "message": ...}')
            sender_id = body.get("sender")
            if not isinstance(sender_id, str) or not sender_id.strip():
                return bad_request('"sender" is required: a conversation id (non-empty string)')
            if len(sender_id) > MAX_SENDER_CHARS or _CONTROL_CHARACTERS.search(sender_id):
                return bad_request(f'"sender" must be at most {MAX_SENDER_CHARS} printable '
                                   "characters")
            text = body.get("message", "")
            if text is None:
                text = ""
            if not isinstance(text, str):
                return bad_request('"message" must be a string')
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            cleaned = clean_text(text)
            if cleaned != text:
                metadata = {**metadata, "original_text": text}
            if cleaned.lstrip().startswith("/"):  # the tracker is only read for commands
                cleaned = neutralize_command(cleaned,
                                             await self._allowed_payloads(request, sender_id))
            if not cleaned.strip():
                cleaned = EMPTY_MESSAGE
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(cleaned, collector, sender_id,
                                                 input_channel=self.name(), metadata=metadata))
            except Exception:  # noqa: BLE001 - the customer must get an answer, never a 500
                logger.exception("message of conversation %s failed", sender_id)
            # Never silent: a message the bot could not answer (an action server down, an
            # error) gets an apology, unless a person has taken the conversation over.
            if not collector.messages and not await self._is_paused(request, sender_id):
                logger.warning("no reply in conversation %s: sending an apology", sender_id)
                collector.messages.append({"recipient_id": sender_id, "text": APOLOGY})
            return response.json(collector.messages)

        return webhook
