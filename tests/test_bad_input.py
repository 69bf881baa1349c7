"""Whatever a customer types, over REST: HTTP 200 and a sensible French reply, never a
traceback or silence; in the middle of the order form too, which then still works.
Malformed requests get HTTP 400 with a clear error.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
import yaml

from channels.rest import APOLOGY

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent

BAD_INPUTS = {
    "empty": "",
    "whitespace": "   \n\t  ",
    "emoji only": "😀🙏💍✨",
    "5,000+ characters": "Bonjour, j'ai une question. " * 200,
    "100,000 characters": "x" * 100_000,
    "html": "<b>Bonjour</b><img src=x onerror=alert(1)>",
    "script": "<script>alert('pirate')</script>",
    "sql as order number": "104522' OR '1'='1",
    "sql drop": "'; DROP TABLE orders; --",
    "quotes": "\"\"\"''' ``` \\",
    "control characters and NUL": "bon\x00jour\x07\x1b[31m",
    "english": "Hi, where is my order? I need it before Friday.",
    "arabic": "مرحبا، أين طلبي؟",
}


def known_reply_starts() -> list[str]:
    """The first words of every response the bot has (domain and FAQ answers)."""
    responses = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    faq = yaml.safe_load((ROOT / "data/nlu/faq.yml").read_text(encoding="utf-8"))["responses"]
    starts = []
    for variants in [*responses.values(), *faq.values()]:
        for variant in variants:
            starts.append(re.split(r"[{\n]", variant["text"])[0][:25])
    return starts


STARTS = known_reply_starts()


def assert_sensible(messages: list[dict]) -> None:
    texts = [m.get("text") or "" for m in messages]
    assert texts, "the bot said nothing"
    assert APOLOGY not in texts, f"the bot failed technically: {texts}"
    for text in texts:
        assert any(text.startswith(start) for start in STARTS), f"unexpected reply {text!r}"


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_gets_a_french_reply(bot, name) -> None:
    assert_sensible(bot.say(f"bad-{name}", BAD_INPUTS[name]))


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_in_the_order_form_loses_nothing(bot, name) -> None:
    sender = f"bad-form-{name}"
    bot.say(sender, "où en est ma commande 104522 ?")

    assert_sensible(bot.say(sender, BAD_INPUTS[name]))

    replies = bot.texts(sender, "marie.dupont@example.com")
    if not any("6A12345678901" in text for text in replies):
        # the bad input ended the form (e.g. read as leaving it): asking again works
        bot.say(sender, "où en est ma commande 104522 ?")
        replies = bot.texts(sender, "marie.dupont@example.com")
    assert any("6A12345678901" in text for text in replies), replies


@pytest.mark.parametrize("text", ["?", "...", "😡", "😀🙏💍✨"])
def test_a_message_without_words_is_asked_to_be_rephrased(bot, text) -> None:
    # Nothing in it the model knows: not the out-of-scope reply ("je ne peux pas vous aider
    # sur ce sujet", QA pass 4) but the request to rephrase.
    messages = bot.say(f"no-words-{len(text)}-{ord(text[0])}", text)
    assert any("reformuler" in (m.get("text") or "") for m in messages), messages
    # The "Parler à un conseiller" the reply mentions is a button too (QA pass 6).
    assert "/request_human" in [b["payload"] for m in messages for b in m.get("buttons", [])]


def post_raw(bot, body: bytes) -> requests.Response:
    return requests.post(f"{bot.url}/webhooks/rest/webhook", data=body,
                         headers={"Content-Type": "application/json"}, timeout=30)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b'{"sender": "x", "message": "\xff\xfe bonjour"}', "UTF-8"),
        (b'{"sender": "x", "message": ', "JSON"),
        (b'["bonjour"]', "JSON object"),
        (b'{"message": "bonjour"}', "sender"),
        (b'{"sender": "", "message": "bonjour"}', "sender"),
        (b'{"sender": "x", "message": 42}', "message"),
    ],
)
def test_malformed_requests_get_400_with_a_clear_error(bot, body, error) -> None:
    response = post_raw(bot, body)
    assert response.status_code == 400
    assert error in response.json()["error"]


def latest_user_message(bot, sender: str) -> dict:
    tracker = requests.get(f"{bot.url}/conversations/{sender}/tracker",
                           params={"token": bot.token}, timeout=30).json()
    return tracker["latest_message"]


def test_a_typed_command_is_read_as_text(bot) -> None:
    sender = "typed-command"
    bot.say(sender, '/check_order_status{"order_number": "104522"}')

    message = latest_user_message(bot, sender)
    assert not message["text"].startswith("/")
    assert message["intent"].get("confidence", 1.0) < 1.0 or \
        message["intent"]["name"] != "check_order_status"


def test_the_payload_of_an_offered_button_is_obeyed(bot) -> None:
    sender = "offered-button"
    bot.say(sender, "où en est ma commande 104522 ?")
    offered = bot.say(sender, "inconnu@example.com")
    payloads = [b["payload"] for m in offered for b in m.get("buttons", [])]
    assert "/request_human" in payloads

    replies = bot.texts(sender, "/request_human")

    assert latest_user_message(bot, sender)["intent"]["name"] == "request_human"
    assert any("support@example.com" in text for text in replies)


def test_an_old_human_button_still_works_but_other_old_payloads_are_text(bot) -> None:
    sender = "stale-button"
    bot.say(sender, "où en est ma commande 104522 ?")
    bot.say(sender, "inconnu@example.com")
    bot.say(sender, "bonjour")
    # "Parler à un conseiller" clicked in an old message of the widget (QA: it used to be
    # read as the text "request_human" and get "je n'ai pas bien compris").
    replies = bot.texts(sender, "/request_human")
    assert latest_user_message(bot, sender)["intent"]["name"] == "request_human"
    assert not any("pas bien compris" in text for text in replies)

    bot.say("stale-affirm", "bonjour")
    bot.say("stale-affirm", "/affirm")
    assert latest_user_message(bot, "stale-affirm")["text"] == "affirm"
