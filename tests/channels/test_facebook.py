"""Tests of the Messenger channel (channels/facebook.py).

Unit tests of its parts (signatures, events, text hygiene, Messenger's limits, settings,
push_to_messenger), then end-to-end tests: signed and unsigned webhook POSTs to the running
Rasa server of the ``bot`` fixture, whose Graph API URL (``FACEBOOK_GRAPH_URL``) points at
:class:`FakeGraphApi`, an HTTP server run by this module: what the bot would send to
Messenger is checked there, with no network.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from conftest import FACEBOOK_APP_SECRET, FACEBOOK_PAGE_ACCESS_TOKEN, FACEBOOK_VERIFY_TOKEN

from channels import facebook
from channels.facebook import (
    ATTACHMENT_ONLY,
    CustomerFacebookInput,
    Incoming,
    MessengerSettings,
    customer_text,
    incoming_message,
    load_messenger_settings,
    messaging_events,
    messenger_messages,
    push_to_messenger,
    short_title,
    signature_headers,
    split_text,
    valid_signature,
)
from channels.rest import APOLOGY, EMPTY_MESSAGE


class FakeGraphApi:
    """A local stand-in for the Graph API's ``POST /<version>/me/messages``: records every
    call (``path``, ``params``, JSON ``body``) and answers ``status`` (200 by default).
    Use as a context manager; ``url`` is the base URL to put in ``FACEBOOK_GRAPH_URL``.
    """

    def __init__(self, port: int = 0) -> None:
        self.calls: list[dict[str, Any]] = []
        self.status = 200
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                split = urlsplit(self.path)
                with fake.lock:
                    fake.calls.append({
                        "path": split.path,
                        "params": {k: v[0] for k, v in parse_qs(split.query).items()},
                        "body": json.loads(raw or b"null")})
                answer = json.dumps({"recipient_id": "x", "message_id": "mid.fake"}
                                    if fake.status < 300 else
                                    {"error": {"message": "fake failure"}}).encode()
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v21.0"

    def __enter__(self) -> FakeGraphApi:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def to(self, recipient_id: str) -> list[dict[str, Any]]:
        """All calls addressed to ``recipient_id``, in order."""
        with self.lock:
            return [call for call in self.calls
                    if (call["body"] or {}).get("recipient", {}).get("id") == recipient_id]

    def messages_to(self, recipient_id: str) -> list[dict[str, Any]]:
        """The Send API messages (not the typing indicators) to ``recipient_id``."""
        return [call for call in self.to(recipient_id) if "message" in call["body"]]


SECRET = "unit-test-secret"
BODY = b'{"object": "page", "entry": []}'

# ------------------------------------------------------------------- signatures


def test_both_signature_headers_are_accepted_alone():
    headers = signature_headers(SECRET, BODY)
    assert valid_signature(SECRET, BODY, headers)
    assert valid_signature(SECRET, BODY, {"X-Hub-Signature": headers["X-Hub-Signature"]})
    assert valid_signature(SECRET, BODY, {"x-hub-signature-256": headers["X-Hub-Signature-256"]})


@pytest.mark.parametrize("headers", [
    {},
    {"X-Hub-Signature": ""},
    {"X-Hub-Signature": "sha1="},
    {"X-Hub-Signature": "foo=bar"},  # Rasa's channel crashes on this one (getattr(hashlib))
    {"X-Hub-Signature": "md5=" + "0" * 32},
    {"X-Hub-Signature": "sha1=" + "0" * 40},
    {"X-Hub-Signature-256": "sha256=" + "0" * 64},
    {"X-Hub-Signature-256": "sha1=" + "0" * 40},
    {"X-Hub-Signature": "a=b=c"},
])
def test_missing_malformed_or_wrong_signatures_are_invalid(headers):
    assert not valid_signature(SECRET, BODY, headers)


def test_signature_of_another_body_or_secret_is_invalid():
    assert not valid_signature(SECRET, BODY + b" ", signature_headers(SECRET, BODY))
    assert not valid_signature(SECRET, BODY, signature_headers("other-secret", BODY))


def test_a_wrong_sha256_is_not_rescued_by_a_right_sha1():
    headers = signature_headers(SECRET, BODY)
    headers["X-Hub-Signature-256"] = "sha256=" + "0" * 64
    assert not valid_signature(SECRET, BODY, headers)


@pytest.mark.parametrize("secret", ["", "not-configured"])
def test_placeholder_secret_never_validates(secret):
    assert not valid_signature(secret, BODY, signature_headers(secret, BODY))


# ------------------------------------------------------------------- the channel


def channel(secret: str = SECRET, token: str = "page-token",
            verify: str = "verify-me") -> CustomerFacebookInput:
    return CustomerFacebookInput(verify, secret, token, graph_url="http://127.0.0.1:9/v21.0")


def test_not_configured_channel_rejects_even_correctly_signed_posts():
    for secret, token in (("not-configured", "page-token"), (SECRET, "not-configured"),
                          ("", "")):
        rejection = channel(secret, token).check_request(BODY, signature_headers(secret, BODY))
        assert rejection is not None and rejection.status == 403
        assert b"not configured" in rejection.body


def test_configured_channel_accepts_signed_and_rejects_unsigned_posts():
    assert channel().check_request(BODY, signature_headers(SECRET, BODY)) is None
    rejection = channel().check_request(BODY, {})
    assert rejection is not None and rejection.status == 403


def test_from_credentials_reads_rasa_keys():
    made = CustomerFacebookInput.from_credentials(
        {"verify": "v", "secret": "s", "page-access-token": "t"})
    assert (made.settings.verify_token, made.settings.app_secret,
            made.settings.page_access_token) == ("v", "s", "t")
    assert made.name() == "facebook"


def test_handshake():
    ok = channel().verify_handshake({"hub.mode": "subscribe", "hub.verify_token": "verify-me",
                                     "hub.challenge": "12345"})
    assert ok.status == 200 and ok.body == b"12345"
    for args in ({"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
                 {"hub.mode": "unsubscribe", "hub.verify_token": "verify-me"}, {}):
        assert channel().verify_handshake(args).status == 403
    placeholder = channel(verify="not-configured").verify_handshake(
        {"hub.mode": "subscribe", "hub.verify_token": "not-configured", "hub.challenge": "1"})
    assert placeholder.status == 403


def test_redelivered_message_ids_are_handled_once():
    made = channel()
    assert made._first_time("m1") and not made._first_time("m1")
    assert made._first_time("") and made._first_time("")


# ------------------------------------------------------------------- incoming events


@pytest.mark.parametrize("body", [
    b"", b"garbage", b"\xff\xfe", b"[]", b"42", b'"x"', b"null", b"{}", b'{"entry": 3}',
    b'{"entry": [3, null, {"messaging": "x"}, {"messaging": [1, "a"]}]}',
    b'{"entry": [{"standby": [{"sender": {"id": "1"}, "message": {"text": "x"}}]}]}',
])
def test_malformed_bodies_give_no_events(body):
    assert messaging_events(body) == []


def test_every_event_of_a_batch_is_returned_in_order():
    body = json.dumps({"object": "page", "entry": [
        {"messaging": [{"n": 1}, {"n": 2}]}, {"messaging": [{"n": 3}]}]}).encode()
    assert [event["n"] for event in messaging_events(body)] == [1, 2, 3]


SENDER = {"sender": {"id": "123"}, "recipient": {"id": "999"}, "timestamp": 1}


@pytest.mark.parametrize("event", [
    {**SENDER, "delivery": {"mids": ["m1"], "watermark": 1}},
    {**SENDER, "read": {"watermark": 1}},
    {**SENDER, "message": {"mid": "m", "text": "echo", "is_echo": True}},
    {**SENDER, "reaction": {"mid": "m", "action": "react", "emoji": "❤"}},
    {**SENDER, "postback": {"title": "Démarrer"}},
    {**SENDER, "postback": {"title": "x", "payload": "  "}},
    {**SENDER, "postback": "x"},
    {**SENDER, "message": {"mid": "m", "sticker_id": 369239263222822,
                           "attachments": [{"type": "image", "payload": {
                               "url": "https://x/like.png", "sticker_id": 369239263222822}}]}},
    {**SENDER, "message": {"mid": "m", "attachments": []}},
    {**SENDER, "message": {"mid": "m"}},
    {"message": {"text": "no sender"}},
    {"sender": {"id": 123}, "message": {"text": "numeric id"}},
    {"sender": {"id": "a\nb"}, "message": {"text": "control character"}},
    {"sender": "123", "message": {"text": "sender not an object"}},
    {**SENDER, "message": "text"},
    {**SENDER, "optin": {"ref": "x"}},
])
def test_events_that_are_no_customer_message_are_dropped(event):
    assert incoming_message(event) is None


def test_customer_messages_are_read():
    assert incoming_message({**SENDER, "message": {"mid": "m1", "text": "Bonjour"}}) == \
        Incoming("123", "Bonjour", None, message_id="m1")
    quick = incoming_message({**SENDER, "message": {
        "mid": "m2", "text": "Non merci", "quick_reply": {"payload": "/deny"}}})
    assert quick == Incoming("123", "Non merci", "/deny", message_id="m2")
    postback = incoming_message({**SENDER, "postback": {
        "mid": "m3", "title": "Réessayer", "payload": "/check_order_status"}})
    assert postback == Incoming("123", "Réessayer", "/check_order_status", message_id="m3")
    photo = incoming_message({**SENDER, "message": {"mid": "m4", "attachments": [
        {"type": "image", "payload": {"url": "https://x/photo.jpg"}}]}})
    assert photo == Incoming("123", attachment_only=True, message_id="m4")


def test_offered_payloads_are_obeyed_others_read_as_text():
    offered = {"/request_human", '/choose_faq{"faq_key":"delivery_time"}'}
    assert customer_text(Incoming("1", "Aide d'un conseiller", "/request_human"),
                         offered) == "/request_human"
    # An old button, no longer offered: its title is what the customer meant.
    assert customer_text(Incoming("1", "Réessayer", "/check_order_status"), offered) \
        == "Réessayer"
    # A stale payload without title, and a typed command, lose their slash.
    assert customer_text(Incoming("1", "", '/check_order_status{"order_number":"1"}'),
                         set()) == 'check_order_status{"order_number":"1"}'
    assert customer_text(Incoming("1", '/inform{"order_email":"a@b.c"}'), offered) \
        == 'inform{"order_email":"a@b.c"}'
    # A typed offered payload is obeyed, as in the REST channel.
    assert customer_text(Incoming("1", "/request_human"), offered) == "/request_human"


def test_text_hygiene_and_empty_messages():
    assert customer_text(Incoming("1", "Bon\x00jour\x07"), set()) == "Bonjour"
    assert len(customer_text(Incoming("1", "a" * 5000), set())) == 2000
    for blank in ("", "   ", "\x00\x01"):
        assert customer_text(Incoming("1", blank), set()) == EMPTY_MESSAGE


# ------------------------------------------------------------ Messenger's limits


def test_short_titles():
    assert short_title("Parler à un conseiller") == "Aide d'un conseiller"
    assert short_title("Non merci") == "Non merci"
    assert short_title("Annuler une commande") == "Annuler une commande"  # exactly 20
    cut = short_title("Modifier l'adresse de livraison")
    assert len(cut) <= 20 and cut == "Modifier l'adresse…"
    assert len(short_title("x" * 50)) == 20
    assert short_title("a\nb") == "a b"


def test_every_domain_button_title_fits_messenger(domain_responses):
    from actions.faq import FAQ_TOPIC_TITLES

    titles = [button["title"] for variants in domain_responses.values()
              for variant in variants for button in variant.get("buttons", [])]
    titles += list(FAQ_TOPIC_TITLES.values())
    assert titles
    for title in titles:
        # A longer title needs a chosen short version, not a cut one ending in "…".
        assert len(title) <= 20 or title in facebook.SHORT_TITLES, title
        assert 0 < len(short_title(title)) <= 20 and not short_title(title).endswith("…")


def test_split_text():
    assert split_text("  ") == []
    assert split_text("court") == ["court"]
    text = ("Une phrase assez longue pour le test. " * 120).strip()
    parts = split_text(text)
    assert len(parts) > 1 and all(len(part) <= 2000 for part in parts)
    assert all(part.endswith(".") for part in parts)
    assert " ".join(parts) == text
    assert all(len(part) <= 2000 for part in split_text("x" * 4500))


def template(message):
    return message["attachment"]["payload"]


def test_two_buttons_become_a_button_template_with_short_titles():
    messages = messenger_messages({
        "text": "Voulez-vous de l'aide ?", "utter_action": "utter_default_offer_human",
        "buttons": [{"title": "Parler à un conseiller", "payload": "/request_human"},
                    {"title": "Non merci", "payload": "/deny"}]})
    assert len(messages) == 1
    payload = template(messages[0])
    assert payload["template_type"] == "button" and payload["text"] == "Voulez-vous de l'aide ?"
    assert payload["buttons"] == [
        {"type": "postback", "title": "Aide d'un conseiller", "payload": "/request_human"},
        {"type": "postback", "title": "Non merci", "payload": "/deny"}]


def test_more_than_three_buttons_become_quick_replies_at_most_13():
    buttons = [{"title": f"Sujet numéro {i} un peu long", "payload": f"/choose_faq{{\"k\":{i}}}"}
               for i in range(20)]
    messages = messenger_messages({"text": "Lequel ?", "buttons": buttons})
    assert len(messages) == 1
    replies = messages[0]["quick_replies"]
    assert messages[0]["text"] == "Lequel ?"
    assert len(replies) == 13
    assert all(len(reply["title"]) <= 20 and reply["content_type"] == "text"
               for reply in replies)
    assert replies[0]["payload"] == '/choose_faq{"k":0}'
    four = messenger_messages({"text": "Lequel ?", "buttons": buttons[:4]})
    assert len(four[0]["quick_replies"]) == 4


def test_buttons_under_a_long_text():
    long_text = "Une phrase. " * 100  # 1200 characters: too long for a button template
    messages = messenger_messages({"text": long_text,
                                   "buttons": [{"title": "Oui", "payload": "/affirm"}]})
    assert len(messages) == 1 and len(messages[0]["text"]) <= 2000
    assert messages[0]["quick_replies"][0]["payload"] == "/affirm"
    very_long = "Une phrase. " * 400  # 4800 characters: three messages, buttons on the last
    messages = messenger_messages({"text": very_long,
                                   "buttons": [{"title": "Oui", "payload": "/affirm"}]})
    assert len(messages) == 3 and "quick_replies" in messages[-1]
    assert all(len(message["text"]) <= 2000 for message in messages)


def test_quick_replies_links_and_bad_buttons():
    messages = messenger_messages({"text": "", "quick_replies": [
        {"title": "Oui", "payload": "/affirm"}, {"title": "", "payload": "/x"},
        {"title": "Sans payload"}, "garbage",
        {"title": "Site", "url": "https://shop.example.com"}]})
    assert messages == [{"text": "Site : https://shop.example.com", "quick_replies": [
        {"content_type": "text", "title": "Oui", "payload": "/affirm"}]}]
    link = messenger_messages({"text": "Voir", "buttons": [
        {"title": "Suivre mon colis maintenant", "url": "https://t.example/1"}]})
    assert template(link[0])["buttons"] == [
        {"type": "web_url", "title": "Suivre mon colis…", "url": "https://t.example/1"}]
    assert template(messenger_messages({"buttons": [{"title": "Oui", "payload": "/a"}]})[0])[
        "text"] == facebook.DEFAULT_BUTTONS_TEXT


def test_text_image_attachment_custom_and_elements():
    assert messenger_messages({"text": "Bonjour", "timestamp": 1, "attachment": None}) == \
        [{"text": "Bonjour"}]
    assert messenger_messages({"text": ""}) == []
    assert messenger_messages({"text": "x" * 4001}) == [
        {"text": "x" * 2000}, {"text": "x" * 2000}, {"text": "x"}]
    image = messenger_messages({"image": "https://x/a.png"})
    assert image[0]["attachment"]["type"] == "image"
    assert messenger_messages({"custom": {"handoff": True}}) == []
    assert messenger_messages({"custom": {"facebook": {"text": "fb"}}}) == [{"text": "fb"}]
    elements = messenger_messages({"elements": [
        {"title": "t" * 100, "buttons": [{"title": str(i), "payload": "/x"} for i in range(5)]}
        for _ in range(12)]})
    generic = template(elements[0])["elements"]
    assert len(generic) == 10 and len(generic[0]["title"]) <= 80
    assert len(generic[0]["buttons"]) == 3


# ------------------------------------------------------------------- settings, push


def test_settings_from_the_environment():
    settings = load_messenger_settings({"FACEBOOK_APP_SECRET": "s",
                                        "FACEBOOK_PAGE_ACCESS_TOKEN": "t",
                                        "FACEBOOK_GRAPH_URL": "http://x/v1/"})
    assert settings.can_receive and settings.can_send and settings.graph_url == "http://x/v1"
    default = load_messenger_settings({})
    assert not default.can_send and default.graph_url == facebook.DEFAULT_GRAPH_URL
    assert not MessengerSettings(app_secret="not-configured", page_access_token="t").can_receive


@pytest.fixture
def fake_graph():
    with FakeGraphApi() as graph:
        yield graph


@pytest.fixture
def messenger_env(monkeypatch, fake_graph):
    monkeypatch.setenv("FACEBOOK_PAGE_ACCESS_TOKEN", "push-token")
    monkeypatch.setenv("FACEBOOK_APP_SECRET", SECRET)
    monkeypatch.setenv("FACEBOOK_GRAPH_URL", fake_graph.url)
    return fake_graph


async def test_push_to_messenger_sends_the_text(messenger_env):
    assert await push_to_messenger("4242", "Bonjour, ici Julie du service client.")
    [call] = messenger_env.messages_to("4242")
    assert call["body"]["message"] == {"text": "Bonjour, ici Julie du service client."}
    assert call["body"]["messaging_type"] == "RESPONSE"
    assert call["params"]["access_token"] == "push-token"
    assert call["params"]["appsecret_proof"]


async def test_push_to_messenger_splits_long_texts(messenger_env):
    assert await push_to_messenger("4243", "Mot " * 1000)
    parts = messenger_env.messages_to("4243")
    assert len(parts) == 2 and all(len(p["body"]["message"]["text"]) <= 2000 for p in parts)


async def test_push_to_messenger_reports_failures(messenger_env, monkeypatch):
    messenger_env.status = 500
    assert not await push_to_messenger("4244", "Bonjour")
    messenger_env.status = 200
    assert not await push_to_messenger("", "Bonjour")
    assert not await push_to_messenger("4245", "")
    monkeypatch.setenv("FACEBOOK_GRAPH_URL", "http://127.0.0.1:9/v21.0")  # nobody listens
    assert not await push_to_messenger("4246", "Bonjour")
    monkeypatch.setenv("FACEBOOK_PAGE_ACCESS_TOKEN", "not-configured")
    monkeypatch.setenv("FACEBOOK_GRAPH_URL", messenger_env.url)
    assert not await push_to_messenger("4247", "Bonjour")
    assert messenger_env.messages_to("4247") == []


class FakeTracker:
    def __init__(self, paused: bool) -> None:
        self.paused, self.events = paused, []

    def is_paused(self) -> bool:
        return self.paused


def fake_agent(paused: bool = False) -> Any:
    """Just enough of Rasa's agent for :meth:`CustomerFacebookInput.handle`."""
    from types import SimpleNamespace

    async def retrieve(sender_id: str) -> FakeTracker:
        return FakeTracker(paused)

    return SimpleNamespace(tracker_store=SimpleNamespace(retrieve=retrieve))


async def test_a_failed_or_silent_turn_gets_the_apology(fake_graph):
    made = CustomerFacebookInput("v", SECRET, "t", graph_url=fake_graph.url)
    received = []

    async def crash(message):
        received.append(message)
        raise RuntimeError("action server down")

    await made.handle(Incoming("u1", "Bonjour\x00", message_id="x1"), fake_agent(), crash)

    assert received[0].text == "Bonjour" and received[0].sender_id == "u1"
    assert received[0].metadata == {"original_text": "Bonjour\x00"}
    assert [c["body"]["message"] for c in fake_graph.messages_to("u1")] == [{"text": APOLOGY}]


async def test_a_paused_conversation_stays_silent(fake_graph):
    made = CustomerFacebookInput("v", SECRET, "t", graph_url=fake_graph.url)

    async def silent(message):
        return None

    await made.handle(Incoming("u2", "Bonjour"), fake_agent(paused=True), silent)
    await made.handle(Incoming("u2", attachment_only=True), fake_agent(paused=True), silent)
    assert fake_graph.messages_to("u2") == []
    await made.handle(Incoming("u3", attachment_only=True), fake_agent(), silent)
    assert [c["body"]["message"] for c in fake_graph.messages_to("u3")] == \
        [{"text": ATTACHMENT_ONLY}]


async def test_one_customers_messages_are_handled_in_order(fake_graph):
    import asyncio

    made = CustomerFacebookInput("v", SECRET, "t", graph_url=fake_graph.url)
    handled = []

    async def slow_first(message):
        if message.text == "premier":
            await asyncio.sleep(0.3)
        handled.append(message.text)
        await message.output_channel.send_text_message(message.sender_id, message.text)

    tasks = [made.schedule(Incoming("u4", text), fake_agent(), slow_first)
             for text in ("premier", "deuxième", "troisième")]
    tasks.append(made.schedule(Incoming("u5", "autre client"), fake_agent(), slow_first))
    await asyncio.gather(*tasks)

    assert handled == ["autre client", "premier", "deuxième", "troisième"]
    assert [c["body"]["message"]["text"] for c in fake_graph.messages_to("u4")] == \
        ["premier", "deuxième", "troisième"]
    assert made._locks == {} and made._queued == {}


# ------------------------------------------- end to end: the running bot's webhook


@pytest.fixture(scope="module")
def graph(bot):
    """The fake Graph API, on the URL the ``bot`` fixture's Rasa server sends to."""
    with FakeGraphApi(urlsplit(bot.facebook_graph_url).port) as fake:
        yield fake


def page(*events: dict[str, Any]) -> dict[str, Any]:
    """A webhook body of the page with ``events`` (``entry[0].messaging``)."""
    return {"object": "page", "entry": [{"id": "PAGE", "time": 1, "messaging": list(events)}]}


def text_event(psid: str, text: str, mid: str = "", **message: Any) -> dict[str, Any]:
    """A customer's text message event."""
    return {"sender": {"id": psid}, "recipient": {"id": "PAGE"}, "timestamp": 1,
            "message": {"mid": mid or f"m-{psid}-{time.monotonic_ns()}", "text": text,
                        **message}}


def postback_event(psid: str, title: str, payload: str) -> dict[str, Any]:
    return {"sender": {"id": psid}, "recipient": {"id": "PAGE"}, "timestamp": 1,
            "postback": {"mid": f"p-{psid}-{time.monotonic_ns()}", "title": title,
                         "payload": payload}}


def post(bot, payload: Any = None, *, raw: bytes | None = None,
         secret: str | None = FACEBOOK_APP_SECRET,
         headers: dict[str, str] | None = None) -> requests.Response:
    """POST ``payload`` (or the bytes ``raw``) to the Messenger webhook, signed with
    ``secret`` (unsigned when ``None``) unless ``headers`` are given.
    """
    body = raw if raw is not None else json.dumps(payload).encode("utf-8")
    signed = signature_headers(secret, body) if secret is not None else {}
    return requests.post(f"{bot.url}/webhooks/facebook/webhook", data=body, timeout=120,
                         headers={"Content-Type": "application/json",
                                  **(signed if headers is None else headers)})


def wait_for(condition: Callable[[], Any], what: str, timeout_s: float = 120) -> Any:
    """Poll ``condition`` until it returns something true (the channel answers Meta at
    once and handles messages in the background)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def turn_done(bot, psid: str, user_messages: int) -> None:
    """Wait until the bot has finished its turn after customer message ``user_messages``
    (the tracker is saved after the replies are sent)."""
    def done() -> bool:
        state = tracker(bot, psid)
        events = state["events"] or [{}]
        return len([e for e in events if e.get("event") == "user"]) >= user_messages and (
            state.get("paused") or events[-1].get("name") == "action_listen")
    wait_for(done, f"the bot's turn in {psid}")


def say(bot, graph: FakeGraphApi, psid: str, text: str, **message: Any) -> list[dict]:
    """Send a signed text message; return the Send API messages it produced."""
    before, users = len(graph.messages_to(psid)), len(user_texts(bot, psid))
    answer = post(bot, page(text_event(psid, text, **message)))
    assert answer.status_code == 200, answer.text
    turn_done(bot, psid, users + 1)
    return [call["body"]["message"] for call in graph.messages_to(psid)[before:]]


def tracker(bot, psid: str) -> dict[str, Any]:
    answer = requests.get(f"{bot.url}/conversations/{psid}/tracker",
                          params={"token": bot.token}, timeout=30)
    answer.raise_for_status()
    return answer.json()


def user_texts(bot, psid: str) -> list[str]:
    """Texts of the customer messages the bot received in conversation ``psid``."""
    return [event.get("text") for event in tracker(bot, psid)["events"]
            if event["event"] == "user"]


@pytest.mark.e2e
def test_verify_token_handshake(bot):
    url = f"{bot.url}/webhooks/facebook/webhook"
    ok = requests.get(url, timeout=30, params={
        "hub.mode": "subscribe", "hub.verify_token": FACEBOOK_VERIFY_TOKEN,
        "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.text == "1158201444"
    wrong = requests.get(url, timeout=30, params={
        "hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"})
    assert wrong.status_code == 403 and wrong.text != "1"


@pytest.mark.e2e
def test_a_signed_question_is_answered_on_messenger(bot, graph):
    psid = "fb-faq"
    sent = say(bot, graph, psid, "Bonjour, combien de temps faut-il pour recevoir ma commande ?")

    assert len(sent) == 1 and "8 à 13 jours" in sent[0]["text"]
    calls = graph.to(psid)
    assert [c["body"].get("sender_action") for c in calls[:2]] == ["mark_seen", "typing_on"]
    reply = calls[-1]
    assert reply["path"] == "/v21.0/me/messages"
    assert reply["params"]["access_token"] == FACEBOOK_PAGE_ACCESS_TOKEN
    assert reply["body"]["messaging_type"] == "RESPONSE"
    assert user_texts(bot, psid) == [
        "Bonjour, combien de temps faut-il pour recevoir ma commande ?"]


@pytest.mark.e2e
def test_the_sha1_signature_alone_is_accepted(bot, graph):
    psid = "fb-sha1"
    body = json.dumps(page(text_event(psid, "Bonjour"))).encode()
    sha1 = {"X-Hub-Signature": signature_headers(FACEBOOK_APP_SECRET, body)["X-Hub-Signature"]}
    assert post(bot, raw=body, headers=sha1).status_code == 200
    wait_for(lambda: graph.messages_to(psid), "a reply")


@pytest.mark.e2e
def test_unsigned_or_wrongly_signed_posts_are_rejected_and_not_processed(bot, graph):
    psid = "fb-forged"
    body = json.dumps(page(text_event(psid, "où en est ma commande 104522 ?"))).encode()
    good = signature_headers(FACEBOOK_APP_SECRET, body)
    attempts = {
        "no signature": post(bot, raw=body, secret=None),
        "other secret": post(bot, raw=body, secret="not-the-secret"),
        "public placeholder": post(bot, raw=body, secret="not-configured"),
        "tampered body": post(bot, raw=body.replace(b"104522", b"104530"), headers=good),
        "unknown algorithm": post(bot, raw=body, headers={"X-Hub-Signature": "foo=bar"}),
        "md5": post(bot, raw=body, headers={"X-Hub-Signature": "md5=" + "0" * 32}),
        "wrong sha256": post(bot, raw=body, headers={
            "X-Hub-Signature-256": "sha256=" + "0" * 64,
            "X-Hub-Signature": good["X-Hub-Signature"]}),
    }

    for name, answer in attempts.items():
        assert answer.status_code == 403, name
        assert "Signature" in answer.json()["error"], name
    assert graph.to(psid) == []
    assert user_texts(bot, psid) == []


@pytest.mark.e2e
def test_events_that_are_no_customer_message_get_200_and_are_ignored(bot, graph):
    psid = "fb-noise"
    who = {"sender": {"id": psid}, "recipient": {"id": "PAGE"}, "timestamp": 1}
    events = [
        {**who, "delivery": {"mids": ["m1"], "watermark": 1}},
        {**who, "read": {"watermark": 1}},
        {**who, "message": {"mid": "e1", "text": "écho de la page", "is_echo": True}},
        {**who, "reaction": {"mid": "m1", "action": "react", "emoji": "\u2764"}},
        {**who, "postback": {"mid": "p1", "title": "Démarrer"}},
        {**who, "message": {"mid": "s1", "sticker_id": 369239263222822, "attachments": [
            {"type": "image", "payload": {"url": "https://x/like.png",
                                          "sticker_id": 369239263222822}}]}},
        {**who, "message": {"mid": "a1", "attachments": []}},
        {**who, "message": None}, {**who, "postback": None}, {"sender": None}, 7, "x",
    ]
    bodies = [
        json.dumps(page(*events)).encode(),
        json.dumps({"object": "page", "entry": [{"id": "PAGE", "standby": [
            {**who, "message": {"mid": "sb1", "text": "en attente"}}]}]}).encode(),
        b"garbage", b"[1, 2]", b'"text"', b"null", b"{}", b'{"entry": {"messaging": []}}',
        b'{"entry": [null, 1, {"messaging": {"a": 1}}]}', b"\xff\xfe\x00", b"",
    ]

    for body in bodies:
        answer = post(bot, raw=body)
        assert answer.status_code == 200, (body, answer.text)

    assert graph.to(psid) == []
    assert user_texts(bot, psid) == []
    assert say(bot, graph, psid, "Bonjour")  # and the channel still works


@pytest.mark.e2e
def test_every_message_of_a_batch_is_answered(bot, graph):
    answer = post(bot, page(text_event("fb-batch-1", "Bonjour"),
                            text_event("fb-batch-2", "Combien coûtent les frais de retour ?")))
    assert answer.status_code == 200
    turn_done(bot, "fb-batch-1", 1)
    turn_done(bot, "fb-batch-2", 1)
    assert graph.messages_to("fb-batch-1") and graph.messages_to("fb-batch-2")


@pytest.mark.e2e
def test_a_redelivered_message_is_handled_once(bot, graph):
    event = text_event("fb-again", "Bonjour", mid="m-fb-again-1")
    for _ in range(2):
        assert post(bot, page(event)).status_code == 200
    turn_done(bot, "fb-again", 1)  # the second one was dropped before the answer
    assert user_texts(bot, "fb-again") == ["Bonjour"]


@pytest.mark.e2e
def test_a_typed_command_is_read_as_text(bot, graph):
    psid = "fb-command"
    sent = say(bot, graph, psid, '/check_order_status{"order_number": "104522"}')

    assert sent and not any("6A12345678901" in json.dumps(message) for message in sent)
    latest = tracker(bot, psid)["latest_message"]
    assert latest["text"] == 'check_order_status{"order_number": "104522"}'
    # A command obeyed by Rasa has confidence 1.0; read as text, the NLU decides.
    assert latest["intent"].get("confidence", 1.0) < 1.0


@pytest.mark.e2e
def test_empty_text_gets_a_reply(bot, graph):
    psid = "fb-empty"
    sent = say(bot, graph, psid, " \u0000 ")
    # "Reformulez" comes with the "Parler à un conseiller" button: a button template.
    assert sent and "reformuler" in template(sent[0])["text"]
    assert [b["payload"] for b in template(sent[0])["buttons"]] == ["/request_human"]
    assert tracker(bot, psid)["latest_message"]["intent"]["name"] == "nlu_fallback"


@pytest.mark.e2e
def test_a_photo_gets_a_french_reply_without_reaching_the_bot(bot, graph):
    psid = "fb-photo"
    event = {"sender": {"id": psid}, "recipient": {"id": "PAGE"}, "timestamp": 1,
             "message": {"mid": "photo-1", "attachments": [
                 {"type": "image", "payload": {"url": "https://x/colis.jpg"}}]}}
    assert post(bot, page(event)).status_code == 200
    sent = wait_for(lambda: graph.messages_to(psid), "the reply to a photo")
    assert [c["body"]["message"] for c in sent] == [{"text": ATTACHMENT_ONLY}]
    assert user_texts(bot, psid) == []


@pytest.mark.e2e
def test_buttons_fit_messenger_and_an_offered_button_is_obeyed(bot, graph):
    psid = "fb-buttons"
    say(bot, graph, psid, "où en est ma commande 999999 ?")
    sent = say(bot, graph, psid, "inconnu@example.com")

    templates = [m["attachment"]["payload"] for m in sent if "attachment" in m]
    assert len(templates) == 1 and templates[0]["template_type"] == "button"
    buttons = templates[0]["buttons"]
    assert 1 <= len(buttons) <= 3
    assert all(len(button["title"]) <= 20 for button in buttons)
    assert {"type": "postback", "title": "Aide d'un conseiller",
            "payload": "/request_human"} in buttons

    answer = post(bot, page(postback_event(psid, "Aide d'un conseiller", "/request_human")))

    assert answer.status_code == 200
    turn_done(bot, psid, 3)
    assert tracker(bot, psid)["latest_message"]["intent"]["name"] == "request_human"


@pytest.mark.e2e
def test_a_button_no_longer_offered_is_read_as_its_title(bot, graph):
    psid = "fb-stale"
    say(bot, graph, psid, "Bonjour")
    post(bot, page(postback_event(psid, "Réessayer", '/check_order_status{"order_number": '
                                                    '"104522"}')))
    turn_done(bot, psid, 2)
    assert user_texts(bot, psid)[-1] == "Réessayer"


@pytest.mark.e2e
def test_a_graph_api_failure_is_no_webhook_failure(bot, graph):
    graph.status = 500
    try:
        answer = post(bot, page(text_event("fb-graph-down", "Bonjour")))
        assert answer.status_code == 200
        wait_for(lambda: graph.messages_to("fb-graph-down"), "an attempt")  # failure logged
        turn_done(bot, "fb-graph-down", 1)
    finally:
        graph.status = 200
    assert say(bot, graph, "fb-graph-down", "Merci")  # the conversation goes on
