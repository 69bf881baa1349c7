"""The Facebook Messenger channel, hardened like the REST channel.

Registered in ``credentials.yml`` as ``channels.facebook.CustomerFacebookInput`` with
``verify``, ``secret`` and ``page-access-token`` (from the environment variables
``FACEBOOK_VERIFY_TOKEN``, ``FACEBOOK_APP_SECRET`` and ``FACEBOOK_PAGE_ACCESS_TOKEN``).
Same URLs as Rasa's ``facebook`` channel: ``GET /webhooks/facebook/webhook`` is Meta's
verify-token handshake, ``POST /webhooks/facebook/webhook`` receives the page's events
(https://developers.facebook.com/docs/messenger-platform/webhooks). On top of Rasa's
:class:`~rasa.core.channels.facebook.FacebookInput` (3.6.21):

- a POST without a valid ``X-Hub-Signature-256`` (HMAC-SHA256 of the body with the app
  secret) or ``X-Hub-Signature`` (HMAC-SHA1) gets HTTP 403 and is not processed (Rasa
  answers 200 "not validated", and a header such as ``foo=bar`` makes it crash with a 500:
  it looks the hash function named by the sender up in :mod:`hashlib`). While the secret or
  the page token is still the placeholder :data:`PLACEHOLDER` (or empty), Messenger counts
  as not configured: every POST gets 403, so nobody can sign with a public default;
- the webhook answers 200 at once and hands the messages to the bot in the background, one
  customer's messages in order (Rasa answers only when the bot is done, and Meta re-delivers
  events that are not acknowledged quickly);
- every event of a batch is handled (Rasa stops after the first one); events that are no
  customer message (delivery, read, echo, standby, reaction, postback without payload,
  malformed entries, garbage or non-object JSON) get 200 and are ignored instead of a 500;
  an event Meta re-delivers (same message id) is handled once;
- customer text gets the REST channel's hygiene (:mod:`channels.rest`): control characters
  removed, text cut to 2,000 characters, a typed ``/intent`` read as plain text unless it is
  the payload of a button the bot just offered (an old button's postback is read as its
  title), an empty message read as :data:`~channels.rest.EMPTY_MESSAGE`, and an apology
  when the bot produced no reply (unless a person has taken the conversation over);
- a message with only an attachment (photo, file, audio; stickers and "likes" are ignored)
  is not handed to the bot: the customer is told in French that the bot reads text only;
- replies are adapted to Messenger's limits by :func:`messenger_messages` (the pure
  function holding the rules) and sent with :mod:`aiohttp` and a timeout, without blocking
  the event loop (Rasa's channel uses ``requests`` with no timeout inside the loop) and to a
  current Graph API version (Rasa's ``fbmessenger`` client calls v2.12, long retired).

:func:`push_to_messenger` sends a text to a Messenger user from other code of the project
(a support agent's reply in a human handoff).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.facebook import FacebookInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.rest import (
    APOLOGY,
    EMPTY_MESSAGE,
    MAX_MESSAGE_CHARS,
    MAX_SENDER_CHARS,
    clean_text,
    neutralize_command,
    offered_payloads,
)

logger = logging.getLogger(__name__)

#: Value of the three variables while Messenger is not set up (the Makefile and the tests'
#: servers export it): the channel then rejects every webhook POST.
PLACEHOLDER = "not-configured"
#: Graph API base URL used when ``FACEBOOK_GRAPH_URL`` is unset (tests point it elsewhere).
DEFAULT_GRAPH_URL = "https://graph.facebook.com/v21.0"
#: Timeout of one Graph API call, seconds.
GRAPH_TIMEOUT_S = 10.0
#: Timeout of the "seen" / "typing" indicators, seconds (they must not delay the reply).
SENDER_ACTION_TIMEOUT_S = 3.0

# Messenger's limits (https://developers.facebook.com/docs/messenger-platform/reference/
# templates/button, .../send-messages/quick-replies, .../reference/send-api).
#: Longest text of a message, characters.
MAX_TEXT_CHARS = 2000
#: Longest text of a button template, characters.
MAX_BUTTON_TEMPLATE_TEXT_CHARS = 640
#: Most buttons in a button template.
MAX_BUTTONS = 3
#: Most quick replies under one message.
MAX_QUICK_REPLIES = 13
#: Longest title of a button or quick reply, characters.
MAX_TITLE_CHARS = 20
#: Longest postback / quick-reply payload, characters.
MAX_PAYLOAD_CHARS = 1000
#: Most elements of a generic template, and longest element title / subtitle.
MAX_ELEMENTS = 10
MAX_ELEMENT_TITLE_CHARS = 80

#: Shorter titles for the project's button titles longer than :data:`MAX_TITLE_CHARS`
#: (domain.yml); other long titles are cut at a word and end with "…".
SHORT_TITLES = {
    "Parler à un conseiller": "Aide d'un conseiller",
}

#: Text of a button template or quick replies whose response had no text.
DEFAULT_BUTTONS_TEXT = "Que souhaitez-vous faire ?"

#: Reply to a message with an attachment but no text (photo, file, audio, video).
ATTACHMENT_ONLY = ("Je ne peux lire que les messages écrits. Décrivez-moi votre demande en "
                   "quelques mots ; pour nous envoyer une photo ou un document, demandez à "
                   "parler à un conseiller.")

#: How many message ids are remembered to drop Meta's re-deliveries.
SEEN_MESSAGE_IDS = 10_000

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
#: Control characters except tab and newlines (removed from pushed texts).
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# ------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class MessengerSettings:
    """Messenger settings of this process.

    Attributes:
        verify_token: token Meta sends back in the webhook handshake
            (``FACEBOOK_VERIFY_TOKEN``, chosen when the webhook is set up in the Meta app).
        app_secret: the Meta app's secret, key of the webhook signatures
            (``FACEBOOK_APP_SECRET``).
        page_access_token: the page's token for the Send API (``FACEBOOK_PAGE_ACCESS_TOKEN``).
        graph_url: Graph API base URL, version included (``FACEBOOK_GRAPH_URL``, default
            :data:`DEFAULT_GRAPH_URL`).
    """

    verify_token: str = ""
    app_secret: str = ""
    page_access_token: str = ""
    graph_url: str = DEFAULT_GRAPH_URL

    @property
    def can_receive(self) -> bool:
        """Whether webhook POSTs can be checked and answered (real secret and page token)."""
        return is_set(self.app_secret) and is_set(self.page_access_token)

    @property
    def can_send(self) -> bool:
        """Whether messages can be sent (a real page token)."""
        return is_set(self.page_access_token)


def is_set(value: str | None) -> bool:
    """Whether a credential is a real value: neither empty nor :data:`PLACEHOLDER`."""
    return bool(value and value.strip() and value.strip() != PLACEHOLDER)


def load_messenger_settings(environ: Mapping[str, str] | None = None) -> MessengerSettings:
    """:class:`MessengerSettings` from ``environ`` (default ``os.environ``); empty = unset."""
    env = os.environ if environ is None else environ
    return MessengerSettings(
        verify_token=env.get("FACEBOOK_VERIFY_TOKEN") or "",
        app_secret=env.get("FACEBOOK_APP_SECRET") or "",
        page_access_token=env.get("FACEBOOK_PAGE_ACCESS_TOKEN") or "",
        graph_url=(env.get("FACEBOOK_GRAPH_URL") or DEFAULT_GRAPH_URL).rstrip("/"),
    )


# ------------------------------------------------------------------- signatures


def valid_signature(app_secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether ``body`` is signed with ``app_secret`` as Meta signs webhook requests.

    ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256>`` is checked when present, else
    ``X-Hub-Signature: sha1=<hex HMAC-SHA1>``; any other algorithm, a missing header or a
    malformed one is invalid. Constant-time comparison.
    """
    if not is_set(app_secret):
        return False
    lowered = {str(key).lower(): value for key, value in headers.items()}
    for header, algorithm in (("x-hub-signature-256", "sha256"), ("x-hub-signature", "sha1")):
        value = lowered.get(header)
        if value is None:
            continue
        prefix, _, signature = value.strip().partition("=")
        if prefix.lower() != algorithm or not signature:
            return False
        expected = hmac.new(app_secret.encode("utf-8"), body, algorithm).hexdigest()
        return hmac.compare_digest(expected, signature.strip().lower())
    return False


def signature_headers(app_secret: str, body: bytes) -> dict[str, str]:
    """The signature headers Meta would send with ``body`` (for tests and tools)."""
    key = app_secret.encode("utf-8")
    return {
        "X-Hub-Signature": "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest(),
        "X-Hub-Signature-256": "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest(),
    }


# ----------------------------------------------------------------- incoming events


@dataclass(frozen=True)
class Incoming:
    """One customer event of the webhook worth handling.

    Attributes:
        sender_id: the customer's page-scoped id (PSID), the conversation id.
        text: what the customer typed or, for a button, its title ("" when none).
        payload: payload of a tapped quick reply or button (postback), else ``None``.
        attachment_only: the message carries attachments and no text.
        message_id: Meta's message id (``mid``), used to drop re-deliveries; may be "".
    """

    sender_id: str
    text: str = ""
    payload: str | None = None
    attachment_only: bool = False
    message_id: str = ""


def messaging_events(body: bytes) -> list[dict[str, Any]]:
    """The ``entry[*].messaging[*]`` events of a webhook body, in order.

    Anything malformed (not UTF-8 JSON, not an object, no ``entry`` list, entries that are
    not objects, ``standby`` events of the handover protocol) is skipped, never raised.
    """
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return []
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        return []
    events = []
    for entry in payload["entry"]:
        if isinstance(entry, dict) and isinstance(entry.get("messaging"), list):
            events.extend(event for event in entry["messaging"] if isinstance(event, dict))
    return events


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def incoming_message(event: dict[str, Any]) -> Incoming | None:
    """The customer message in one messaging ``event``, or ``None`` for anything else.

    Kept: a text message (with the payload of a tapped quick reply, if any), a postback with
    a payload (button of a template, persistent menu), a message with attachments and no
    text (``attachment_only``; stickers and the "like" thumb are dropped). Dropped: echoes
    of the page's own messages, delivery and read receipts, reactions, postbacks without
    payload, events without a usable sender id.
    """
    sender = event.get("sender")
    sender_id = _string(sender.get("id")) if isinstance(sender, dict) else None
    if (not sender_id or not sender_id.strip() or len(sender_id) > MAX_SENDER_CHARS
            or _CONTROL_CHARACTERS.search(sender_id)):
        return None
    message = event.get("message")
    if isinstance(message, dict):
        if message.get("is_echo"):
            return None
        message_id = _string(message.get("mid")) or ""
        text = _string(message.get("text"))
        quick_reply = message.get("quick_reply")
        payload = (_string(quick_reply.get("payload")) if isinstance(quick_reply, dict)
                   else None)
        if text is not None or payload:
            return Incoming(sender_id, text or "", payload or None, message_id=message_id)
        attachments = message.get("attachments")
        if message.get("sticker_id") or not isinstance(attachments, list) or not attachments:
            return None
        if any(isinstance(item, dict) and isinstance(item.get("payload"), dict)
               and item["payload"].get("sticker_id") for item in attachments):
            return None
        return Incoming(sender_id, attachment_only=True, message_id=message_id)
    postback = event.get("postback")
    if isinstance(postback, dict):
        payload = _string(postback.get("payload"))
        if not payload or not payload.strip():
            return None
        return Incoming(sender_id, _string(postback.get("title")) or "", payload,
                        message_id=_string(postback.get("mid")) or "")
    return None


def customer_text(incoming: Incoming, allowed_payloads: set[str]) -> str:
    """The text handed to the bot for ``incoming``.

    A payload the bot offered in its last turn is used as is (``/choose_faq{...}``);
    otherwise what the customer typed or the title of the button they tapped, through the
    REST channel's hygiene: :func:`~channels.rest.clean_text`,
    :func:`~channels.rest.neutralize_command`, and :data:`~channels.rest.EMPTY_MESSAGE` when
    nothing is left. A stale payload with no title is read like a typed command.
    """
    if incoming.payload and incoming.payload.strip() in allowed_payloads:
        return incoming.payload.strip()
    text = incoming.text if incoming.text.strip() else (incoming.payload or "")
    cleaned = neutralize_command(clean_text(text), allowed_payloads)
    return cleaned if cleaned.strip() else EMPTY_MESSAGE


# ------------------------------------------------------------ outgoing, adapted


def short_title(title: str, limit: int = MAX_TITLE_CHARS) -> str:
    """``title`` fitting in ``limit`` characters: as is, from :data:`SHORT_TITLES`, or cut at
    a word boundary with "…". Control characters become spaces.
    """
    title = " ".join(_CONTROL_CHARACTERS.sub(" ", title).split())
    if len(title) <= limit:
        return title
    known = SHORT_TITLES.get(title)
    if known and len(known) <= limit:
        return known
    cut = title[: limit - 1]
    if " " in cut and title[limit - 1] != " ":
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.'-") + "…"


def split_text(text: str, limit: int = MAX_TEXT_CHARS) -> list[str]:
    """``text`` cut into parts of at most ``limit`` characters, at a paragraph, line,
    sentence or word boundary when there is one; blank text gives ``[]``.
    """
    text = text.strip()
    parts = []
    while len(text) > limit:
        window = text[:limit]
        cut = -1
        for separator in ("\n\n", "\n", ". ", " "):
            position = window.rfind(separator)
            if position > limit // 2:
                cut = position + (1 if separator == ". " else 0)
                break
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].strip())
        text = text[cut:].strip()
    if text:
        parts.append(text)
    return parts


def _buttons(raw: Any) -> list[dict[str, str]]:
    """Rasa buttons / quick replies as ``{"title", "payload"}`` or ``{"title", "url"}``."""
    buttons = []
    for button in raw if isinstance(raw, list) else []:
        if not isinstance(button, dict):
            continue
        title = str(button.get("title") or "").strip()
        url = button.get("url")
        payload = button.get("payload")
        if not title:
            continue
        if isinstance(url, str) and url.strip():
            buttons.append({"title": title, "url": url.strip()})
        elif payload is not None and str(payload).strip():
            buttons.append({"title": title, "payload": str(payload).strip()})
    return buttons


def _template_button(button: dict[str, str]) -> dict[str, str]:
    if "url" in button:
        return {"type": "web_url", "title": short_title(button["title"]), "url": button["url"]}
    return {"type": "postback", "title": short_title(button["title"]),
            "payload": button["payload"][:MAX_PAYLOAD_CHARS]}


def _with_buttons(text: str, buttons: list[dict[str, str]], quick: bool) -> list[dict[str, Any]]:
    """Messages for ``text`` followed by ``buttons`` (as quick replies if ``quick``)."""
    if not quick and len(buttons) <= MAX_BUTTONS:
        parts = split_text(text, MAX_TEXT_CHARS) or [DEFAULT_BUTTONS_TEXT]
        if len(parts[-1]) <= MAX_BUTTON_TEMPLATE_TEXT_CHARS:
            template = {"template_type": "button", "text": parts[-1],
                        "buttons": [_template_button(button) for button in buttons]}
            return ([{"text": part} for part in parts[:-1]]
                    + [{"attachment": {"type": "template", "payload": template}}])
    # Quick replies: up to 13, text up to 2000 characters; links cannot be quick replies,
    # so they are written in the text.
    links = [f"{button['title']} : {button['url']}" for button in buttons if "url" in button]
    replies = [button for button in buttons if "url" not in button]
    if len(replies) > MAX_QUICK_REPLIES:
        logger.warning("%d choices for Messenger, which shows at most %d: the rest dropped",
                       len(replies), MAX_QUICK_REPLIES)
    text = "\n".join([text.strip(), *links]).strip()
    parts = split_text(text, MAX_TEXT_CHARS) or [DEFAULT_BUTTONS_TEXT]
    messages: list[dict[str, Any]] = [{"text": part} for part in parts]
    if replies:
        messages[-1]["quick_replies"] = [
            {"content_type": "text", "title": short_title(button["title"]),
             "payload": button["payload"][:MAX_PAYLOAD_CHARS]}
            for button in replies[:MAX_QUICK_REPLIES]]
    return messages


def _elements(raw: Any) -> list[dict[str, Any]]:
    elements = []
    for element in (raw if isinstance(raw, list) else [])[:MAX_ELEMENTS]:
        if not isinstance(element, dict) or not str(element.get("title") or "").strip():
            continue
        adapted = {**element,
                   "title": short_title(str(element["title"]), MAX_ELEMENT_TITLE_CHARS)}
        if element.get("subtitle"):
            adapted["subtitle"] = short_title(str(element["subtitle"]), MAX_ELEMENT_TITLE_CHARS)
        buttons = _buttons(element.get("buttons"))[:MAX_BUTTONS]
        adapted["buttons"] = [_template_button(button) for button in buttons]
        if not adapted["buttons"]:
            del adapted["buttons"]
        elements.append(adapted)
    return elements


def messenger_messages(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The Send API ``message`` objects for one bot message, within Messenger's limits.

    ``message`` is a Rasa bot message (``BotUttered.message()``: ``text``, ``buttons``,
    ``quick_replies``, ``image``, ``attachment``, ``elements``, ``custom``, and keys this
    function ignores). Rules (limits from Meta's Send API reference):

    - text longer than :data:`MAX_TEXT_CHARS` is split into several messages;
    - 1 to :data:`MAX_BUTTONS` buttons with at most :data:`MAX_BUTTON_TEMPLATE_TEXT_CHARS`
      characters of text become a button template; more buttons, a longer text, or Rasa
      ``quick_replies`` become quick replies (at most :data:`MAX_QUICK_REPLIES`; link
      buttons are written in the text);
    - titles are cut to :data:`MAX_TITLE_CHARS` characters (:func:`short_title`), payloads
      to :data:`MAX_PAYLOAD_CHARS`; buttons without a title or payload/url are dropped;
    - ``image`` becomes an image attachment, a ``{"type", "payload"}`` ``attachment`` is
      sent as is, ``elements`` a generic template (10 elements, 80-character titles,
      3 buttons each); ``custom`` is sent only as ``custom["facebook"]`` (a Send API
      message object), since other channels' custom payloads mean nothing to Messenger.
    """
    text = message.get("text") if isinstance(message.get("text"), str) else ""
    quick_replies = _buttons(message.get("quick_replies"))
    buttons = _buttons(message.get("buttons"))
    if quick_replies:
        messages = _with_buttons(text, quick_replies + buttons, quick=True)
    elif buttons:
        messages = _with_buttons(text, buttons, quick=False)
    else:
        messages = [{"text": part} for part in split_text(text)]
    custom = message.get("custom")
    if isinstance(custom, dict) and isinstance(custom.get("facebook"), dict):
        messages.append(custom["facebook"])
    image = message.get("image")
    if isinstance(image, str) and image.strip():
        messages.append({"attachment": {"type": "image",
                                        "payload": {"url": image.strip(), "is_reusable": True}}})
    attachment = message.get("attachment")
    if isinstance(attachment, dict) and attachment.get("type") and attachment.get("payload"):
        messages.append({"attachment": attachment})
    elif isinstance(attachment, str) and attachment.strip():
        messages.extend({"text": part} for part in split_text(attachment))
    elements = _elements(message.get("elements"))
    if elements:
        messages.append({"attachment": {"type": "template", "payload": {
            "template_type": "generic", "elements": elements}}})
    return messages


# ------------------------------------------------------------------- Graph API


class GraphApi:
    """Client of the Send API (``POST {graph_url}/me/messages``), with a timeout.

    Never raises for HTTP or network failures: they are logged and reported as ``False``.
    Adds ``appsecret_proof`` (HMAC-SHA256 of the token with the app secret) when the app
    secret is known, as Meta recommends.
    """

    def __init__(self, settings: MessengerSettings, timeout_s: float = GRAPH_TIMEOUT_S,
                 session: aiohttp.ClientSession | None = None) -> None:
        """``session``: an open session to reuse (one connection for the calls of a turn);
        without it, each call opens and closes its own.
        """
        self.settings = settings
        self.timeout_s = timeout_s
        self.session = session

    def _params(self) -> dict[str, str]:
        params = {"access_token": self.settings.page_access_token}
        if is_set(self.settings.app_secret):
            params["appsecret_proof"] = hmac.new(
                self.settings.app_secret.encode("utf-8"),
                self.settings.page_access_token.encode("utf-8"), hashlib.sha256).hexdigest()
        return params

    async def post(self, body: dict[str, Any], timeout_s: float | None = None) -> bool:
        """POST ``body`` to ``/me/messages``; ``True`` when the Graph API answered 2xx."""
        url = f"{self.settings.graph_url}/me/messages"
        timeout = aiohttp.ClientTimeout(total=timeout_s or self.timeout_s)
        try:
            if self.session is not None and not self.session.closed:
                status, detail = await self._post(self.session, url, body, timeout)
            else:
                async with aiohttp.ClientSession() as session:
                    status, detail = await self._post(session, url, body, timeout)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            logger.error("Messenger Send API unreachable (%s) for %s: %r", url,
                         body.get("recipient"), error)
            return False
        if status < 300:
            return True
        logger.error("Messenger Send API answered %s for %s: %s", status,
                     body.get("recipient"), detail)
        return False

    async def _post(self, session: aiohttp.ClientSession, url: str, body: dict[str, Any],
                    timeout: aiohttp.ClientTimeout) -> tuple[int, str]:
        async with session.post(url, params=self._params(), json=body,
                                timeout=timeout) as answer:
            return answer.status, ("" if answer.status < 300 else (await answer.text())[:500])

    async def send_message(self, recipient_id: str, message: dict[str, Any]) -> bool:
        """Send one Send API ``message`` object to ``recipient_id`` (a reply, ``RESPONSE``)."""
        return await self.post({"recipient": {"id": recipient_id},
                                "messaging_type": "RESPONSE", "message": message})

    async def sender_action(self, recipient_id: str, action: str) -> bool:
        """Send ``mark_seen``, ``typing_on`` or ``typing_off`` (short timeout)."""
        return await self.post({"recipient": {"id": recipient_id}, "sender_action": action},
                               timeout_s=SENDER_ACTION_TIMEOUT_S)


class MessengerOutput(OutputChannel):
    """Sends the bot's messages to Messenger, adapted by :func:`messenger_messages`.

    ``sent`` counts the Send API messages attempted, so that the input channel knows
    whether the customer got any reply. ``before_first``, when set, is awaited before the
    first message is sent (the "seen" / "typing" indicators, sent while the bot thinks).
    """

    @classmethod
    def name(cls) -> str:
        return "facebook"

    def __init__(self, graph: GraphApi) -> None:
        super().__init__()
        self.graph = graph
        self.sent = 0
        self.before_first: asyncio.Task | None = None

    async def settle(self) -> None:
        """Wait for :attr:`before_first`, if any (it never raises)."""
        task, self.before_first = self.before_first, None
        if task is not None:
            await task

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """Send one Rasa bot message (see :func:`messenger_messages`)."""
        for part in messenger_messages(message):
            await self.settle()
            self.sent += 1
            await self.graph.send_message(recipient_id, part)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Send a text (split when longer than Messenger allows)."""
        await self.send_response(recipient_id, {"text": text})


async def push_to_messenger(recipient_id: str, text: str) -> bool:
    """Send ``text`` to the Messenger user ``recipient_id`` (their page-scoped id, which is
    the conversation id of a Messenger conversation), e.g. a support agent's reply.

    Uses ``FACEBOOK_PAGE_ACCESS_TOKEN`` (and ``FACEBOOK_APP_SECRET``, ``FACEBOOK_GRAPH_URL``)
    from the environment. Text longer than 2,000 characters is sent in several messages.
    Sent as a ``RESPONSE``: Messenger only accepts it within 24 hours of the customer's last
    message. Returns ``True`` when every part was accepted by the Graph API; ``False`` when
    Messenger is not configured, the text or recipient is empty, or a call failed (logged).
    Never raises for these.
    """
    settings = load_messenger_settings()
    if not settings.can_send:
        logger.info("Messenger is not configured: message to %s not sent", recipient_id)
        return False
    parts = split_text(_UNPRINTABLE.sub("", text), MAX_TEXT_CHARS) if isinstance(text, str) else []
    if not isinstance(recipient_id, str) or not recipient_id.strip() or not parts:
        return False
    graph = GraphApi(settings)
    for part in parts:
        if not await graph.send_message(recipient_id.strip(), {"text": part}):
            return False
    return True


# ------------------------------------------------------------------- input channel


def _forbidden(error: str) -> HTTPResponse:
    return response.json({"error": error}, status=403)


class CustomerFacebookInput(FacebookInput):
    """Messenger channel (see the module docstring); credentials as Rasa's ``facebook``."""

    @classmethod
    def name(cls) -> str:
        return "facebook"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Build the channel from ``credentials.yml`` (``verify``, ``secret``,
        ``page-access-token``; placeholders allowed) and ``FACEBOOK_GRAPH_URL``.
        """
        credentials = credentials or {}
        return cls(str(credentials.get("verify") or ""), str(credentials.get("secret") or ""),
                   str(credentials.get("page-access-token") or ""))

    def __init__(self, fb_verify: str, fb_secret: str, fb_access_token: str,
                 graph_url: str | None = None) -> None:
        super().__init__(fb_verify, fb_secret, fb_access_token)
        self.settings = MessengerSettings(
            verify_token=fb_verify, app_secret=fb_secret, page_access_token=fb_access_token,
            graph_url=(graph_url or load_messenger_settings().graph_url).rstrip("/"))
        self._seen: OrderedDict[str, None] = OrderedDict()
        # Background handling: one lock per customer keeps their messages in order; tasks
        # are referenced until done (asyncio only keeps weak references).
        self._locks: dict[str, asyncio.Lock] = {}
        self._queued: dict[str, int] = {}
        self._tasks: set[asyncio.Task] = set()
        if not self.settings.can_receive:
            logger.info("Messenger is not configured (FACEBOOK_APP_SECRET / "
                        "FACEBOOK_PAGE_ACCESS_TOKEN): its webhook rejects every message")

    def get_output_channel(self) -> OutputChannel:
        """Output channel for messages Rasa sends on its own (``trigger_intent``, reminders)."""
        return MessengerOutput(GraphApi(self.settings))

    def check_request(self, body: bytes, headers: Mapping[str, str]) -> HTTPResponse | None:
        """The 403 response a webhook POST gets, or ``None`` if it may be processed:
        Messenger configured and ``body`` signed with the app secret (:func:`valid_signature`).
        """
        if not self.settings.can_receive:
            return _forbidden("Messenger is not configured on this server: set "
                              "FACEBOOK_APP_SECRET and FACEBOOK_PAGE_ACCESS_TOKEN")
        if not valid_signature(self.settings.app_secret, body, headers):
            return _forbidden("missing or invalid X-Hub-Signature-256 / X-Hub-Signature")
        return None

    def verify_handshake(self, args: Mapping[str, str]) -> HTTPResponse:
        """Answer Meta's ``GET`` handshake: the ``hub.challenge`` when ``hub.mode`` is
        ``subscribe`` and ``hub.verify_token`` is the configured (non-placeholder) token,
        else 403.
        """
        token = args.get("hub.verify_token") or ""
        if (is_set(self.settings.verify_token) and args.get("hub.mode") == "subscribe"
                and hmac.compare_digest(token.encode("utf-8"),
                                        self.settings.verify_token.encode("utf-8"))):
            return response.text(args.get("hub.challenge") or "")
        logger.warning("Messenger webhook handshake refused: wrong hub.verify_token or mode")
        return _forbidden("invalid hub.verify_token (FACEBOOK_VERIFY_TOKEN) or hub.mode")

    def _first_time(self, message_id: str) -> bool:
        """Whether ``message_id`` was not handled yet (remembers it)."""
        if not message_id:
            return True
        if message_id in self._seen:
            return False
        self._seen[message_id] = None
        while len(self._seen) > SEEN_MESSAGE_IDS:
            self._seen.popitem(last=False)
        return True

    @staticmethod
    async def _tracker(agent: Any, sender_id: str) -> Any:
        if agent is None or agent.tracker_store is None:
            return None
        return await agent.tracker_store.retrieve(sender_id)

    @staticmethod
    async def _indicators(graph: GraphApi, sender_id: str) -> None:
        """Mark the message seen, then show "typing" (failures are only logged)."""
        await graph.sender_action(sender_id, "mark_seen")
        await graph.sender_action(sender_id, "typing_on")

    def schedule(self, incoming: Incoming, agent: Any,
                 on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> asyncio.Task:
        """Handle ``incoming`` in the background (:meth:`handle`), after the messages of the
        same customer scheduled before it. Returns the task.
        """
        sender_id = incoming.sender_id
        lock = self._locks.setdefault(sender_id, asyncio.Lock())
        self._queued[sender_id] = self._queued.get(sender_id, 0) + 1

        async def run() -> None:
            try:
                async with lock:
                    await self.handle(incoming, agent, on_new_message)
            except Exception:  # noqa: BLE001 - logged; the other messages go on
                logger.exception("Messenger message of %s failed", sender_id)
            finally:
                self._queued[sender_id] -= 1
                if not self._queued[sender_id]:
                    del self._queued[sender_id], self._locks[sender_id]

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def handle(self, incoming: Incoming, agent: Any,
                     on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Hand one customer event to the bot (Rasa's ``agent`` gives its tracker store) and
        send its replies, over one Graph API connection.
        """
        async with aiohttp.ClientSession() as session:
            await self._handle(incoming, agent, on_new_message,
                               MessengerOutput(GraphApi(self.settings, session=session)))

    async def _handle(self, incoming: Incoming, agent: Any,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]],
                      output: MessengerOutput) -> None:
        sender_id = incoming.sender_id
        tracker = None
        if incoming.attachment_only:
            tracker = await self._tracker(agent, sender_id)
            if not (tracker and tracker.is_paused()):
                await output.send_text_message(sender_id, ATTACHMENT_ONLY)
            return
        allowed: set[str] = set()
        if incoming.payload or incoming.text.lstrip().startswith("/"):
            tracker = await self._tracker(agent, sender_id)
            allowed = offered_payloads(list(tracker.events)) if tracker else set()
        text = customer_text(incoming, allowed)
        metadata: dict[str, Any] = {}
        if incoming.text and text not in (incoming.text, (incoming.payload or "").strip()):
            metadata["original_text"] = incoming.text[: 10 * MAX_MESSAGE_CHARS]
        output.before_first = asyncio.create_task(self._indicators(output.graph, sender_id))
        try:
            await on_new_message(UserMessage(text, output, sender_id,
                                             input_channel=self.name(), metadata=metadata))
        except Exception:  # noqa: BLE001 - the customer must get an answer, never a 500
            logger.exception("Messenger message of conversation %s failed", sender_id)
        await output.settle()
        if output.sent:
            return
        tracker = await self._tracker(agent, sender_id)
        if tracker and tracker.is_paused():
            await output.graph.sender_action(sender_id, "typing_off")
        else:
            logger.warning("no reply in Messenger conversation %s: sending an apology",
                           sender_id)
            await output.send_text_message(sender_id, APOLOGY)

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        webhook = Blueprint("customer_facebook_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": self.settings.can_receive})

        @webhook.route("/webhook", methods=["GET"])
        async def token_verification(request: Request) -> HTTPResponse:
            return self.verify_handshake({key: request.args.get(key) for key in request.args})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            rejection = self.check_request(request.body, request.headers)
            if rejection is not None:
                logger.warning("Messenger webhook POST rejected: %s",
                               json.loads(rejection.body)["error"])
                return rejection
            # Meta wants a 200 within seconds: the messages are handled in the background.
            agent = getattr(request.app.ctx, "agent", None)
            for event in messaging_events(request.body):
                incoming = incoming_message(event)
                if incoming is None:
                    continue
                if not self._first_time(incoming.message_id):
                    logger.info("Messenger re-delivered message %s: ignored",
                                incoming.message_id)
                    continue
                self.schedule(incoming, agent, on_new_message)
            return response.text("EVENT_RECEIVED")

        return webhook
